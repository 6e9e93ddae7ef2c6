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

/** Runs a read and a write transaction with parameters, then counts the statements the connection holds prepared. */
async function preparedAfterWork(opts: DriverOptions): Promise<{ read: unknown; written: unknown; prepared: number }> {
  const driver = await oneConnection(opts);
  try {
    const db = createDatabase(driver);
    const tenant = randomUUID();
    const read = await db.withTenant(tenant, SYSTEM, 'read', async (tx) => (await tx.query<{ t: string }>('SELECT $1::uuid AS t', [tenant]))[0]!.t);
    const written = await db.withTenant(tenant, SYSTEM, 'write', async (tx) => {
      const [first] = await tx.query<{ n: number }>('SELECT $1::int + 1 AS n', [1]);
      const [second] = await tx.query<{ s: string }>("SELECT $1::text || '!' AS s", ['served']);
      return [first!.n, second!.s];
    });
    const conn = await driver.acquire();
    try {
      const { rows } = await conn.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_statements');
      return { read: read === tenant, written, prepared: rows[0]!.n };
    } finally {
      conn.release();
    }
  } finally {
    await driver.close();
  }
}

describe('prepared statements', () => {
  it('are prepared once per connection by default, and never with prepare: false; the answers are the same', async () => {
    const on = await preparedAfterWork({});
    const off = await preparedAfterWork({ prepare: false });
    expect(on.prepared).toBeGreaterThan(0);
    expect(off.prepared).toBe(0);
    expect(on.read).toBe(true);
    expect(off.read).toBe(true);
    expect(on.written).toEqual([2, 'served!']);
    expect(off.written).toEqual([2, 'served!']);
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
