import { drizzle, type PgRemoteDatabase } from 'drizzle-orm/pg-proxy';
import pg from 'pg';
// @ts-expect-error pg ships no types for its utils module; we use only prepareValue.
import pgUtils from 'pg/lib/utils.js';
import { MAX_PREPARED, type Conn, type Driver } from './driver.ts';
import { ROLES } from './migrate.ts';

/** Who is acting: recorded in the audit trail and available to the database as app.actor_id. */
export interface Actor {
  type: 'user' | 'kiosk' | 'guest' | 'platform' | 'system' | 'api_key' | 'anonymous';
  id: string | null;
  label: string;
}

export interface Statement {
  text: string;
  params?: unknown[];
}

export interface Tx {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /**
   * Several statements in one round trip, run in order, each with its own snapshot (so a statement after a lock
   * reads what committed before the lock was granted); the rows of each. Any failure fails the transaction.
   */
  queries(statements: Statement[]): Promise<Record<string, unknown>[][]>;
  /** Drizzle over this transaction, for typed queries. */
  readonly db: PgRemoteDatabase;
  /** Runs after COMMIT succeeds (never after a rollback). */
  afterCommit(fn: () => void | Promise<void>): void;
  /**
   * A write whose result nothing in this transaction reads (an audit record, a live event): it is sent in the
   * COMMIT's own message, so it costs no round trip of its own and holds what it locks (the audit chain's head)
   * only for the commit. It runs after every statement sent with `query`; if it fails, the transaction fails.
   */
  writeAtCommit(text: string, params?: unknown[]): void;
}

/** A transaction bound to one tenant. Row-level security sees only this tenant's rows. */
export interface TenantTx extends Tx {
  readonly tenantId: string;
  readonly actor: Actor;
  readonly readOnly: boolean;
}

/** A transaction on the platform path: crosses tenants, allowed to platform work only. */
export interface PlatformTx extends Tx {
  readonly platform: true;
  readonly actor: Actor;
  /**
   * Runs tenant code for one tenant inside this platform transaction, as the runtime role with the tenant bound
   * (row-level security on), then returns to the platform role: a lifecycle step and the tenant's own audit
   * record, or a plan change and the usage it is checked against, commit together. (On the embedded database a
   * second transaction could not even start while this one holds the only connection.)
   */
  asTenant<T>(tenantId: string, fn: (tx: TenantTx) => Promise<T>): Promise<T>;
}

// pg's own value preparation (dates, arrays, JSON), so inlined literals read exactly like bound parameters.
const prepareValue = (pgUtils as { prepareValue: (v: unknown) => unknown }).prepareValue;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The binding's values: fails closed, before any connection is taken, on a tenant id that is not a UUID. */
function bindingOf(tenantId: string, actor: Actor): [string, string] {
  if (!UUID.test(tenantId)) throw new Error('tenant id must be a UUID');
  return [tenantId, actor.id && UUID.test(actor.id) ? actor.id : ''];
}

const BIND = `SELECT set_config('app.tenant_id', $1, true), set_config('app.actor_id', $2, true)`;

/** The binding as plain SQL (values checked by `bindingOf`, so inlining them is safe). */
function bindStatement(tenantId: string, actor: Actor): string {
  return inlineParams(BIND, bindingOf(tenantId, actor));
}

/**
 * Inlines parameters as quoted literals so a read can travel as one simple-protocol message together with
 * the tenant binding. Values are escaped by pg's own escapeLiteral after pg's own value preparation.
 */
export function inlineParams(text: string, params: unknown[] | undefined): string {
  if (!params || params.length === 0) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, i + 1);
      const stop = end === -1 ? text.length : end + 1;
      out += text.slice(i, stop);
      i = stop;
    } else if (ch === '$' && /[0-9]/.test(text[i + 1] ?? '')) {
      let j = i + 1;
      while (j < text.length && /[0-9]/.test(text[j]!)) j++;
      const n = Number(text.slice(i + 1, j));
      if (n < 1 || n > params.length) throw new Error(`parameter $${n} has no value`);
      out += literal(params[n - 1]);
      i = j;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `'\\x${Buffer.from(value).toString('hex')}'::bytea`;
  const prepared = prepareValue(value);
  if (prepared === null || prepared === undefined) return 'NULL';
  return pg.escapeLiteral(String(prepared));
}

/**
 * A statement as one simple-protocol message part: `EXECUTE` of the connection's prepared statement for the text,
 * preceded by its `PREPARE` the first time, the values inlined as literals; the plain statement when the text
 * cannot be prepared or the connection holds enough. `done` records the PREPARE once the message has succeeded.
 */
interface MessagePart {
  sql: string;
  /** Whether the part carries a new PREPARE (two statements, and a failure that may be the PREPARE's). */
  prepared: boolean;
  done(): void;
}

function asMessagePart(conn: Conn, text: string, params: unknown[] | undefined): MessagePart {
  const statements = conn.prepared;
  const known = statements.names.get(text);
  const args = params && params.length > 0 ? `(${params.map(literal).join(', ')})` : '';
  if (known !== undefined) return { sql: `EXECUTE ${known}${args}`, prepared: false, done() {} };
  if (unpreparable.has(text) || statements.attempts >= MAX_PREPARED) return { sql: inlineParams(text, params), prepared: false, done() {} };
  const name = `bs${++statements.attempts}`;
  return { sql: `PREPARE ${name} AS ${text};\nEXECUTE ${name}${args}`, prepared: true, done: () => void statements.names.set(text, name) };
}

/** Each part's rows from a message's results (a part with a new PREPARE has two results, the EXECUTE's last). */
function rowsOfParts(results: { rows: unknown[] }[], skip: number, parts: MessagePart[]): Record<string, unknown>[][] {
  const out: Record<string, unknown>[][] = [];
  let i = skip;
  for (const part of parts) {
    i += part.prepared ? 2 : 1;
    out.push((results[i - 1]?.rows ?? []) as Record<string, unknown>[]);
  }
  return out;
}

/**
 * Texts PostgreSQL would not prepare (a parameter whose type only its literal tells). Statements sent in a
 * simple-protocol message (reads with their tenant binding, a transaction's first statement with its BEGIN, the
 * writes sent with COMMIT) are prepared once per connection, so PostgreSQL plans them once, not at every request.
 */
const unpreparable = new Set<string>();

abstract class BaseTx implements Tx {
  private drizzleDb?: PgRemoteDatabase;
  protected after: Array<() => void | Promise<void>> = [];
  protected atCommit: Array<{ text: string; params: unknown[] | undefined }> = [];
  constructor(protected conn: Conn) {}

  abstract run<R>(text: string, params: unknown[] | undefined, arrayRows: boolean): Promise<R[]>;

  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]> {
    return this.run<R>(text, params, false);
  }

  async queries(statements: Statement[]): Promise<Record<string, unknown>[][]> {
    const out = [];
    for (const st of statements) out.push(await this.query(st.text, st.params));
    return out;
  }

  get db(): PgRemoteDatabase {
    this.drizzleDb ??= drizzle(async (sql, params, method) => ({
      rows: await this.run(sql, params, method === 'all'),
    }));
    return this.drizzleDb;
  }

  afterCommit(fn: () => void | Promise<void>): void {
    this.after.push(fn);
  }

  writeAtCommit(text: string, params?: unknown[]): void {
    this.atCommit.push({ text, params });
  }

  /** The writes kept for the commit, as message parts; their PREPAREs are recorded when `done` is called. */
  protected takeAtCommit(): { sql: string; done(): void } | null {
    if (this.atCommit.length === 0) return null;
    const parts = this.atCommit.map((w) => asMessagePart(this.conn, w.text, w.params));
    this.atCommit = [];
    return { sql: parts.map((p) => p.sql).join(';\n'), done: () => parts.forEach((p) => p.done()) };
  }

  /** What ends the transaction: the kept writes and COMMIT in one message (nothing at all if nothing was begun). */
  async commit(): Promise<void> {
    const writes = this.takeAtCommit();
    await this.conn.multi(writes ? `${writes.sql};\nCOMMIT` : 'COMMIT');
    writes?.done();
  }

  /** Whether a transaction is open on the connection (and so needs its ROLLBACK). */
  get begun(): boolean {
    return true;
  }

  async flushAfterCommit(): Promise<void> {
    for (const fn of this.after) {
      try {
        await fn();
      } catch {
        // After-commit work is best effort by design (announcements, wake-ups); durable work goes through jobs.
      }
    }
  }
}

/**
 * A tenant's write transaction. Its BEGIN and tenant binding travel with its first statement, and the writes kept
 * for the commit with its COMMIT, so a transaction of n statements costs n + 1 round trips, not n + 2 plus one per
 * audit record or event.
 */
class WriteTx extends BaseTx implements TenantTx {
  readonly readOnly = false;
  constructor(
    conn: Conn,
    readonly tenantId: string,
    readonly actor: Actor,
    /** The binding's values until `BEGIN` and the binding are sent; null inside a transaction someone else began. */
    private binding: [string, string] | null,
  ) {
    super(conn);
  }
  override get begun(): boolean {
    return this.binding === null;
  }
  /** `BEGIN` and the binding as the start of a message, once; null when they have been sent. */
  private takeBegin(): Opening | null {
    const binding = this.binding;
    if (binding === null) return null;
    this.binding = null;
    const bind = asMessagePart(this.conn, BIND, binding);
    return {
      sql: `BEGIN;\n${bind.sql}`,
      results: 1 + (bind.prepared ? 2 : 1),
      plain: `BEGIN;\n${inlineParams(BIND, binding)}`,
      done: bind.done,
    };
  }
  async run<R>(text: string, params: unknown[] | undefined, arrayRows: boolean): Promise<R[]> {
    const begin = this.takeBegin();
    if (begin === null) return (await this.conn.query<R>(text, params, arrayRows)).rows;
    const part = asMessagePart(this.conn, text, params);
    try {
      const results = await this.conn.multi(`${begin.sql};\n${part.sql}`, arrayRows);
      begin.done();
      part.done();
      return (results[results.length - 1]?.rows ?? []) as R[];
    } catch (err) {
      if (!part.prepared) throw err;
      // Nothing ran before this statement, so the transaction can start again with it as a plain statement: if
      // that works the text was what PostgreSQL would not prepare; a real error fails again and rolls back.
      const results = await this.conn.multi(`ROLLBACK;\n${begin.plain};\n${inlineParams(text, params)}`, arrayRows);
      unpreparable.add(text);
      return (results[results.length - 1]?.rows ?? []) as R[];
    }
  }
  override async queries(statements: Statement[]): Promise<Record<string, unknown>[][]> {
    const begin = this.takeBegin();
    const parts = statements.map((st) => asMessagePart(this.conn, st.text, st.params));
    const body = parts.map((p) => p.sql).join(';\n');
    try {
      const results = await this.conn.multi(begin ? `${begin.sql};\n${body}` : body);
      begin?.done();
      parts.forEach((p) => p.done());
      return rowsOfParts(results, begin ? begin.results : 0, parts);
    } catch (err) {
      // As for a first statement: only a batch that began the transaction can start it again, as plain statements.
      if (!begin || !parts.some((p) => p.prepared)) throw err;
      const plain = statements.map((st) => ({ sql: inlineParams(st.text, st.params), prepared: false, done() {} }));
      const results = await this.conn.multi(`ROLLBACK;\n${begin.plain};\n${plain.map((p) => p.sql).join(';\n')}`);
      statements.forEach((st, i) => parts[i]!.prepared && unpreparable.add(st.text));
      // ROLLBACK, BEGIN and the plain binding come first.
      return rowsOfParts(results, 3, plain);
    }
  }
  override async commit(): Promise<void> {
    if (this.binding === null) return super.commit();
    // No statement was sent: a transaction is opened only if writes were kept for the commit. From here on it is
    // begun, so a kept write that fails leaves it to be rolled back, not an aborted transaction on a pooled connection.
    const writes = this.takeAtCommit();
    if (!writes) return;
    const begin = this.takeBegin()!;
    await this.conn.multi(`${begin.sql};\n${writes.sql};\nCOMMIT`);
    begin.done();
    writes.done();
  }
  /** Inside a transaction begun elsewhere (the platform's `asTenant`): the kept writes go now, under this binding. */
  async flushAtCommit(): Promise<void> {
    const writes = this.takeAtCommit();
    if (!writes) return;
    await this.conn.multi(writes.sql);
    writes.done();
  }
}

/** A write transaction's first message part: `BEGIN` and the binding, and how many results they answer with. */
interface Opening {
  sql: string;
  results: number;
  /** The same unprepared, for a message sent again after a failure. */
  plain: string;
  done(): void;
}

/** A read needs no BEGIN/COMMIT: each query carries the tenant binding in the same round trip. */
class ReadTx extends BaseTx implements TenantTx {
  readonly readOnly = true;
  constructor(
    conn: Conn,
    readonly tenantId: string,
    readonly actor: Actor,
    private readonly binding: [string, string],
  ) {
    super(conn);
  }
  async run<R>(text: string, params: unknown[] | undefined, arrayRows: boolean): Promise<R[]> {
    const bind = asMessagePart(this.conn, BIND, this.binding);
    const part = asMessagePart(this.conn, text, params);
    let results;
    try {
      results = await this.conn.multi(`${bind.sql};\n${part.sql}`, arrayRows);
    } catch (err) {
      if (!part.prepared) throw err;
      // Either PostgreSQL would not prepare the text or the read itself failed; the message ran as one implicit
      // transaction, so nothing it did remains but, possibly, the prepared statements (PREPARE outlives a
      // rollback; their names are simply not used again). Tried once more as a plain read: if that works, the text
      // was the problem and stays plain; a real error fails again.
      results = await this.conn.multi(`${inlineParams(BIND, this.binding)};\n${inlineParams(text, params)}`, arrayRows);
      unpreparable.add(text);
      return (results[results.length - 1]?.rows ?? []) as R[];
    }
    bind.done();
    part.done();
    return (results[results.length - 1]?.rows ?? []) as R[];
  }
  override writeAtCommit(): void {
    throw new Error('A read-only transaction keeps no writes for a commit.');
  }
}

class PlatformWriteTx extends BaseTx implements PlatformTx {
  readonly platform = true as const;
  constructor(conn: Conn, readonly actor: Actor) {
    super(conn);
  }
  async asTenant<T>(tenantId: string, fn: (tx: TenantTx) => Promise<T>): Promise<T> {
    await this.conn.multi(`SET LOCAL ROLE ${ROLES.app}; ${bindStatement(tenantId, this.actor)}`);
    try {
      const tx = new WriteTx(this.conn, tenantId, this.actor, null);
      const result = await fn(tx);
      await tx.flushAtCommit();
      return result;
    } finally {
      await this.conn.multi(`SELECT set_config('app.tenant_id', '', true), set_config('app.actor_id', '', true); SET LOCAL ROLE ${ROLES.platform}`);
    }
  }
  async run<R>(text: string, params: unknown[] | undefined, arrayRows: boolean): Promise<R[]> {
    return (await this.conn.query<R>(text, params, arrayRows)).rows;
  }
}

export interface Database {
  readonly driver: Driver;
  withTenant<T>(tenantId: string, actor: Actor, mode: 'read' | 'write', fn: (tx: TenantTx) => Promise<T>): Promise<T>;
  withPlatform<T>(actor: Actor, fn: (tx: PlatformTx) => Promise<T>): Promise<T>;
}

export function createDatabase(driver: Driver): Database {
  async function inTransaction<T, X extends BaseTx>(conn: Conn, begin: string | null, tx: X, fn: (tx: X) => Promise<T>): Promise<T> {
    let broken = false;
    try {
      if (begin !== null) await conn.multi(begin);
      let result: T;
      try {
        result = await fn(tx);
        await tx.commit();
      } catch (err) {
        // A failed COMMIT message (a kept write refused) leaves the transaction aborted, not ended: roll it back.
        if (tx.begun) {
          await conn.multi('ROLLBACK').catch(() => {
            broken = true;
          });
        }
        throw err;
      }
      return result;
    } catch (err) {
      if (!broken) broken = isConnectionError(err);
      throw err;
    } finally {
      conn.release(broken);
    }
  }

  return {
    driver,
    async withTenant(tenantId, actor, mode, fn) {
      // Checked before a connection is taken, so a missing tenant fails closed without holding one.
      const binding = bindingOf(tenantId, actor);
      const conn = await driver.acquire();
      if (mode === 'read') {
        const tx = new ReadTx(conn, tenantId, actor, binding);
        let result: Awaited<ReturnType<typeof fn>>;
        try {
          result = await fn(tx);
        } catch (err) {
          conn.release(isConnectionError(err));
          throw err;
        }
        conn.release();
        await tx.flushAfterCommit();
        return result;
      }
      const tx = new WriteTx(conn, tenantId, actor, binding);
      const r = await inTransaction(conn, null, tx, fn);
      await tx.flushAfterCommit();
      return r;
    },
    async withPlatform(actor, fn) {
      const conn = await driver.acquirePlatform();
      const tx = new PlatformWriteTx(conn, actor);
      const r = await inTransaction(conn, `BEGIN; SET LOCAL ROLE ${ROLES.platform}`, tx, fn);
      await tx.flushAfterCommit();
      return r;
    },
  };
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P'));
}
