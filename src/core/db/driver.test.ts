import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createDatabase } from './tx.ts';
import { pgDriver, pgliteDriver, type Driver, type DriverOptions } from './driver.ts';
import { ROLES } from './migrate.ts';
import { testDatabase, type TestDatabase } from '../../../test/harness.ts';

const SYSTEM = { type: 'system' as const, id: null, label: 'driver-test' };

let t: TestDatabase;
beforeAll(async () => {
  t = await testDatabase();
});
afterAll(async () => {
  await t.close();
});

/** A driver of one connection to the same database (PostgreSQL), or an embedded database of its own (PGlite). */
async function oneConnection(opts: DriverOptions): Promise<Driver> {
  if (t.kind === 'pglite') return pgliteDriver(undefined, opts);
  const [row] = await t.admin('SELECT current_database() AS name');
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${String(row!.name)}`;
  url.username = ROLES.app;
  url.password = '';
  return pgDriver(url.toString(), { max: 1, ...opts });
}

/**
 * Runs two reads and two write transactions with parameters, then counts the statements the connection holds prepared,
 * and of them the tenant bindings.
 */
async function preparedAfterWork(opts: DriverOptions): Promise<{ read: unknown; written: unknown; prepared: number; bindings: number }> {
  const driver = await oneConnection(opts);
  try {
    const db = createDatabase(driver);
    const tenant = randomUUID();
    const other = randomUUID();
    // Each transaction sees its own tenant bound, whether its binding was prepared just now or before.
    const bound = async (id: string) =>
      db.withTenant(id, SYSTEM, 'read', async (tx) => (await tx.query<{ t: string }>("SELECT current_setting('app.tenant_id') AS t WHERE $1::uuid IS NOT NULL", [id]))[0]!.t);
    const read = (await bound(tenant)) === tenant && (await bound(other)) === other;
    const write = async (id: string) =>
      db.withTenant(id, SYSTEM, 'write', async (tx) => {
        const [first] = await tx.query<{ n: number; t: string }>("SELECT $1::int + 1 AS n, current_setting('app.tenant_id') AS t", [1]);
        const [second] = await tx.query<{ s: string }>("SELECT $1::text || '!' AS s", ['served']);
        return [first!.n, second!.s, first!.t === id];
      });
    const written = [await write(tenant), await write(other)];
    const conn = await driver.acquire();
    try {
      // A statement PREPAREd in a message shows that whole message as its text: the binding is the one named in it.
      const { rows } = await conn.query<{ n: number; bindings: number }>(
        `SELECT count(*)::int AS n,
                (count(*) FILTER (WHERE statement LIKE '%PREPARE ' || name || ' AS SELECT set_config(''app.tenant_id''%'))::int AS bindings
           FROM pg_prepared_statements`,
      );
      return { read, written, prepared: rows[0]!.n, bindings: rows[0]!.bindings };
    } finally {
      conn.release();
    }
  } finally {
    await driver.close();
  }
}

describe('prepared statements', () => {
  it('are prepared once per connection by default, the tenant binding too, and never with prepare: false; the answers are the same', async () => {
    const on = await preparedAfterWork({});
    const off = await preparedAfterWork({ prepare: false });
    expect(on.prepared).toBeGreaterThan(0);
    expect(on.bindings).toBe(1);
    expect(off.prepared).toBe(0);
    expect(on.read).toBe(true);
    expect(off.read).toBe(true);
    const served = [2, 'served!', true];
    expect(on.written).toEqual([served, served]);
    expect(off.written).toEqual([served, served]);
  });
});

describe('writes kept for the commit (Tx.writeAtCommit)', () => {
  it('run after the transaction’s statements and commit with them; one that fails rolls back the whole transaction and leaves the connection clean', async () => {
    const driver = await oneConnection({});
    try {
      const db = createDatabase(driver);
      const tenant = randomUUID();
      const conn = await driver.acquire();
      await conn.multi('CREATE TEMP TABLE kept (n int)');
      conn.release();
      const count = async () => db.withTenant(tenant, SYSTEM, 'write', async (tx) => (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM kept'))[0]!.n);

      const seenInside = await db.withTenant(tenant, SYSTEM, 'write', async (tx) => {
        tx.writeAtCommit('INSERT INTO kept VALUES ($1::int)', [1]);
        await tx.query('INSERT INTO kept VALUES ($1::int)', [2]);
        return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM kept'))[0]!.n;
      });
      expect(seenInside).toBe(1);
      expect(await count()).toBe(2);

      // A kept write that fails: the statement before it is rolled back with it.
      await expect(
        db.withTenant(tenant, SYSTEM, 'write', async (tx) => {
          await tx.query('INSERT INTO kept VALUES ($1::int)', [3]);
          tx.writeAtCommit('SELECT 1 / $1::int', [0]);
        }),
      ).rejects.toThrow(/division by zero/);
      expect(await count()).toBe(2);

      // A transaction whose only work is a kept write that fails: nothing was begun before it, and still the one
      // connection is usable afterwards (no aborted transaction left on it).
      await expect(db.withTenant(tenant, SYSTEM, 'write', async (tx) => tx.writeAtCommit('SELECT 1 / $1::int', [0]))).rejects.toThrow(/division by zero/);
      expect(await count()).toBe(2);
    } finally {
      await driver.close();
    }
  });

  it('a read-only transaction refuses to keep a write', async () => {
    const db = createDatabase(t.driver);
    await expect(db.withTenant(randomUUID(), SYSTEM, 'read', async (tx) => tx.writeAtCommit('SELECT 1'))).rejects.toThrow(/read-only/);
  });
});
