import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';

export interface QueryResult<R = Record<string, unknown>> {
  rows: R[];
  rowCount: number;
}

/** One database connection, held by one piece of work at a time. */
export interface Conn {
  query<R = Record<string, unknown>>(text: string, params?: unknown[], arrayRows?: boolean): Promise<QueryResult<R>>;
  /** Several statements in one round trip (simple protocol, no parameters); they run as one implicit transaction. */
  multi(text: string, arrayRows?: boolean): Promise<QueryResult[]>;
  release(broken?: boolean): void;
  /**
   * The statements prepared on this physical connection (text → name). Prepared statements live as long as the
   * connection, so the map belongs to it, not to one borrowing of it.
   */
  readonly prepared: PreparedStatements;
}

export interface PreparedStatements {
  names: Map<string, string>;
  /** PREPAREs sent on this connection, successful or not: bounds the statements a connection can hold. */
  attempts: number;
}

/** Statements per connection before new ones are sent unprepared (reads with generated text must not grow it forever). */
export const MAX_PREPARED = 500;

export interface Driver {
  readonly kind: 'pg' | 'pglite';
  /** A connection of the runtime role (brigade_app): tenant work, under row-level security. */
  acquire(): Promise<Conn>;
  /**
   * A connection for the platform path. On a PostgreSQL server it comes from a pool of its own that logs in as
   * brigade_platform, because the runtime login may not become that role: if it could, one `SET ROLE` in a tenant's
   * transaction would leave row-level security behind. PGlite is one session, so it is the same connection.
   */
  acquirePlatform(): Promise<Conn>;
  /** Subscribes to a NOTIFY channel on a dedicated connection. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

// Both drivers hand back the same JavaScript types: int8 as number (our counters stay far below 2^53), bytea as Buffer.
const int8 = (v: string) => Number(v);
pg.types.setTypeParser(pg.types.builtins.INT8, int8);

/** `prepare: false` keeps every statement unnamed and unprepared, for a pooler in transaction mode (see README). */
export interface DriverOptions {
  prepare?: boolean;
}

/** A connection's prepared statements; one that must not prepare starts full, so nothing is ever prepared on it. */
function noStatements(prepare: boolean | undefined): PreparedStatements {
  return { names: new Map(), attempts: prepare === false ? MAX_PREPARED : 0 };
}

/** The platform path's own pool (see `Driver.acquirePlatform`). */
export interface PlatformPool {
  url: string;
  max: number;
  /** As for the runtime pool: a login that is a superuser steps down to this role. */
  role?: string;
}

function poolOf(url: string, max: number, role: string | undefined): pg.Pool {
  // A connection string that logs in as a superuser still queries as the given role: it is set as a startup option, so
  // a connection that may not take the role fails to open instead of querying with the login's powers.
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000, ...(role ? { options: `-c role=${role}` } : {}) });
  pool.on('error', () => undefined);
  return pool;
}

export function pgDriver(url: string, opts: { max: number; runtimeRole?: string; platform?: PlatformPool } & DriverOptions): Driver {
  const pool = poolOf(url, opts.max, opts.runtimeRole);
  const platformPool = opts.platform ? poolOf(opts.platform.url, opts.platform.max, opts.platform.role) : null;
  const statements = new WeakMap<pg.PoolClient, PreparedStatements>();
  let listener: Promise<Listener> | null = null;
  const wrap = (client: pg.PoolClient): Conn => {
    let prepared = statements.get(client);
    if (!prepared) statements.set(client, (prepared = noStatements(opts.prepare)));
    return {
      prepared,
      async query(text, params, arrayRows) {
        // A named statement is parsed and planned once per connection (pg sends Parse only the first time), so a
        // write transaction's statements cost PostgreSQL an execution, not a plan, from the second time on.
        const name = params && params.length > 0 ? protocolName(prepared, text) : undefined;
        const q = { text, values: params as unknown[] | undefined, ...(name ? { name } : {}) };
        const r = arrayRows ? await client.query({ ...q, rowMode: 'array' }) : await client.query(q);
        return { rows: r.rows, rowCount: r.rowCount ?? 0 };
      },
      async multi(text, arrayRows) {
        const r = (arrayRows ? await client.query({ text, rowMode: 'array' }) : await client.query(text)) as unknown as pg.QueryResult | pg.QueryResult[];
        const list = Array.isArray(r) ? r : [r];
        return list.map((x) => ({ rows: x.rows, rowCount: x.rowCount ?? 0 }));
      },
      release(broken) {
        client.release(broken ? true : undefined);
      },
    };
  };
  return {
    kind: 'pg',
    async acquire() {
      return wrap(await pool.connect());
    },
    async acquirePlatform() {
      return wrap(await (platformPool ?? pool).connect());
    },
    async listen(channel, onMessage) {
      // One listening connection for every channel: PostgreSQL wakes each listening backend of the database at
      // every NOTIFY, whatever its channels, so five connections meant five wake-ups per change committed.
      listener ??= openListener(url).catch((err: unknown) => {
        listener = null;
        throw err;
      });
      const l = await listener;
      const handler = { onMessage };
      let set = l.handlers.get(channel);
      if (!set) {
        l.handlers.set(channel, (set = new Set()));
        await l.client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      }
      set.add(handler);
      return async () => {
        if (!set.delete(handler) || set.size > 0) return;
        l.handlers.delete(channel);
        await l.client.query(`UNLISTEN ${pg.escapeIdentifier(channel)}`).catch(() => undefined);
      };
    },
    async close() {
      const l = listener;
      listener = null;
      if (l) await l.then((x) => x.client.end()).catch(() => undefined);
      await Promise.all([pool.end(), platformPool?.end()]);
    },
  };
}

interface Listener {
  client: pg.Client;
  handlers: Map<string, Set<{ onMessage: (payload: string) => void }>>;
}

async function openListener(url: string): Promise<Listener> {
  const client = new pg.Client({ connectionString: url });
  const handlers: Listener['handlers'] = new Map();
  client.on('notification', (n) => {
    for (const h of handlers.get(n.channel) ?? []) h.onMessage(n.payload ?? '');
  });
  client.on('error', () => undefined);
  await client.connect();
  return { client, handlers };
}

/**
 * PGlite is one in-process connection: work takes turns on it. It logs in as a superuser, so after
 * migrating the session switches to the runtime role and stays there.
 */
export async function pgliteDriver(dir: string | undefined, opts: DriverOptions = {}): Promise<Driver & { db: PGlite }> {
  if (dir) mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir ? { dataDir: dir } : {});
  let tail: Promise<void> = Promise.resolve();
  const conn: Conn = {
    prepared: noStatements(opts.prepare),
    async query(text, params, arrayRows) {
      const r = await db.query(text, params as unknown[] | undefined, { rowMode: arrayRows ? 'array' : 'object' });
      return { rows: fixBytes(r.rows) as never[], rowCount: r.affectedRows ?? r.rows.length };
    },
    async multi(text, arrayRows) {
      const results = await db.exec(text, { rowMode: arrayRows ? 'array' : 'object' });
      return results.map((r) => ({ rows: fixBytes(r.rows) as never[], rowCount: r.affectedRows ?? r.rows.length }));
    },
    release() {},
  };
  const acquire = () => {
    let unlock!: () => void;
    const turn = new Promise<void>((res) => (unlock = res));
    const mine = tail.then(() => ({ ...conn, release: () => unlock() }));
    tail = tail.then(() => turn);
    return mine;
  };
  return {
    kind: 'pglite',
    db,
    acquire,
    acquirePlatform: acquire,
    async listen(channel, onMessage) {
      const unsub = await db.listen(channel, onMessage);
      return unsub;
    },
    async close() {
      await db.close();
    },
  };
}

function fixBytes(rows: unknown[]): unknown[] {
  for (const row of rows) {
    if (row && typeof row === 'object') {
      const r = row as Record<string, unknown>;
      for (const k in r) {
        const v = r[k];
        if (v instanceof Uint8Array && !Buffer.isBuffer(v)) r[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      }
    }
  }
  return rows;
}

/** The protocol-level statement name for a text on one connection, or undefined once the connection holds enough. */
function protocolName(prepared: PreparedStatements, text: string): string | undefined {
  const key = `p:${text}`;
  let name = prepared.names.get(key);
  if (name === undefined && prepared.attempts < MAX_PREPARED) {
    name = `bp${++prepared.attempts}`;
    prepared.names.set(key, name);
  }
  return name;
}
