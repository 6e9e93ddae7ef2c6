import { drizzle, type PgRemoteDatabase } from 'drizzle-orm/pg-proxy';
import pg from 'pg';
// @ts-expect-error pg ships no types for its utils module; we use only prepareValue.
import pgUtils from 'pg/lib/utils.js';
import { MAX_PREPARED, type Conn, type Driver } from './driver.ts';
import { ROLES } from './migrate.ts';

/** Who is acting: recorded in the audit trail and available to the database as app.actor_id. */
export interface Actor {
  type: 'user' | 'kiosk' | 'guest' | 'platform' | 'system' | 'anonymous';
  id: string | null;
  label: string;
}

export interface Tx {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** Drizzle over this transaction, for typed queries. */
  readonly db: PgRemoteDatabase;
  /** Runs after COMMIT succeeds (never after a rollback). */
  afterCommit(fn: () => void | Promise<void>): void;
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

function bindStatement(tenantId: string, actor: Actor): string {
  if (!UUID.test(tenantId)) throw new Error('tenant id must be a UUID');
  const actorId = actor.id && UUID.test(actor.id) ? actor.id : '';
  return `SELECT set_config('app.tenant_id', '${tenantId}', true), set_config('app.actor_id', '${actorId}', true)`;
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

abstract class BaseTx implements Tx {
  private drizzleDb?: PgRemoteDatabase;
  protected after: Array<() => void | Promise<void>> = [];
  constructor(protected conn: Conn) {}

  abstract run<R>(text: string, params: unknown[] | undefined, arrayRows: boolean): Promise<R[]>;

  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]> {
    return this.run<R>(text, params, false);
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

class WriteTx extends BaseTx implements TenantTx {
  readonly readOnly = false;
  constructor(conn: Conn, readonly tenantId: string, readonly actor: Actor) {
    super(conn);
  }
  async run<R>(text: string, params: unknown[] | undefined, arrayRows: boolean): Promise<R[]> {
    return (await this.conn.query<R>(text, params, arrayRows)).rows;
  }
}

/** A read needs no BEGIN/COMMIT: each query carries the tenant binding in the same round trip. */
class ReadTx extends BaseTx implements TenantTx {
  readonly readOnly = true;
  constructor(
    conn: Conn,
    readonly tenantId: string,
    readonly actor: Actor,
    private readonly bind: string,
  ) {
    super(conn);
  }
  async run<R>(text: string, params: unknown[] | undefined, arrayRows: boolean): Promise<R[]> {
    const statements = this.conn.prepared;
    let name = statements.names.get(text);
    let prepare = '';
    if (name === undefined && !unpreparable.has(text) && statements.attempts < MAX_PREPARED) {
      name = `bs${++statements.attempts}`;
      prepare = `PREPARE ${name} AS ${text};\n`;
    }
    if (name === undefined) return this.last<R>(await this.conn.multi(`${this.bind};\n${inlineParams(text, params)}`, arrayRows));
    const execute = `EXECUTE ${name}${params && params.length > 0 ? `(${params.map(literal).join(', ')})` : ''}`;
    let results;
    try {
      results = await this.conn.multi(`${this.bind};\n${prepare}${execute}`, arrayRows);
    } catch (err) {
      if (!prepare) throw err;
      // Either PostgreSQL would not prepare the text (a parameter whose type only its literal tells) or the read
      // itself failed; the message ran as one implicit transaction, so nothing it did remains but, possibly, the
      // prepared statement (PREPARE outlives a rollback; its name is simply not used again). Tried once more as
      // a plain read: if that works, the text was the problem and stays plain; a real error fails again.
      const results = await this.conn.multi(`${this.bind};\n${inlineParams(text, params)}`, arrayRows);
      unpreparable.add(text);
      return this.last<R>(results);
    }
    if (prepare) statements.names.set(text, name);
    return this.last<R>(results);
  }
  private last<R>(results: { rows: unknown[] }[]): R[] {
    return (results[results.length - 1]?.rows ?? []) as R[];
  }
}

/**
 * Read texts PostgreSQL would not prepare. Reads are sent as `PREPARE` (once per connection) and `EXECUTE` with the
 * values inlined, in the same message as the tenant binding: still one round trip, and PostgreSQL plans each read
 * once per connection instead of at every request.
 */
const unpreparable = new Set<string>();

class PlatformWriteTx extends BaseTx implements PlatformTx {
  readonly platform = true as const;
  constructor(conn: Conn, readonly actor: Actor) {
    super(conn);
  }
  async asTenant<T>(tenantId: string, fn: (tx: TenantTx) => Promise<T>): Promise<T> {
    await this.conn.multi(`SET LOCAL ROLE ${ROLES.app}; ${bindStatement(tenantId, this.actor)}`);
    try {
      return await fn(new WriteTx(this.conn, tenantId, this.actor));
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
  async function inTransaction<T, X extends BaseTx>(conn: Conn, begin: string, tx: X, fn: (tx: X) => Promise<T>): Promise<T> {
    let broken = false;
    try {
      await conn.multi(begin);
      let result: T;
      try {
        result = await fn(tx);
      } catch (err) {
        await conn.multi('ROLLBACK').catch(() => {
          broken = true;
        });
        throw err;
      }
      await conn.multi('COMMIT');
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
      const bind = bindStatement(tenantId, actor);
      const conn = await driver.acquire();
      if (mode === 'read') {
        const tx = new ReadTx(conn, tenantId, actor, bind);
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
      const tx = new WriteTx(conn, tenantId, actor);
      const r = await inTransaction(conn, `BEGIN; ${bind}`, tx, fn);
      await tx.flushAfterCommit();
      return r;
    },
    async withPlatform(actor, fn) {
      const conn = await driver.acquire();
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
