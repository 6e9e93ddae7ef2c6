import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteDriver } from '../core/db/driver.ts';
import { migrate, readMigrations } from '../core/db/migrate.ts';
import { Client, testApp, type TestApp } from '../../test/harness.ts';
import { TENANT_ROLES } from '../identity/permissions.ts';
import { DEMO_PIN, seedDemo } from './demo.ts';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(() => t.close());

describe('first start', () => {
  it('on an empty database creates demo and demo2 with one person per role and a platform admin, once', async () => {
    const signIns = await seedDemo(t.app.brigade.db, 'demo password 2026');
    expect(signIns).not.toBeNull();
    expect(signIns!.tenants.map((x) => x.slug)).toEqual(['demo', 'demo2']);
    expect(signIns!.pin).toBe(DEMO_PIN);
    for (const slug of ['demo', 'demo2']) {
      for (const role of TENANT_ROLES) {
        const c = new Client(t.app, `${slug}.localhost`);
        await c.signIn(`${role}@${slug}.brigade.test`, 'demo password 2026');
        const me = (await c.get('/api/v1/auth/session')).json();
        expect(me.tenant.slug).toBe(slug);
        expect(me.roles.map((r: { role: string }) => r.role)).toEqual([role]);
      }
      const owner = new Client(t.app, `${slug}.localhost`);
      await owner.signIn(`owner@${slug}.brigade.test`, 'demo password 2026');
      expect((await owner.get('/api/v1/locations')).json().items).toHaveLength(1);
      // Two weeks of cash history: fourteen closed days, numbered in order, each verifying, some of them flagged.
      const closes = (await owner.get('/api/v1/cash/day-closes?limit=100')).json().items;
      expect(closes.map((c: { number: number }) => c.number)).toEqual([14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
      expect(closes.every((c: { hash_valid: boolean; kind: string }) => c.hash_valid && c.kind === 'close')).toBe(true);
      const report = (await owner.get('/api/v1/cash/reports/variance?days=30')).json();
      expect(report.flagged_days).toBeGreaterThan(0);
      expect(report.largest_shortfalls[0].variance).toBe(-4000);
    }
    const admin = new Client(t.app, 'localhost');
    // The operator's password leads to enrolling an authenticator on first sign-in, not straight to a session.
    const operator = await admin.post('/api/v1/platform/auth/sign-in', { email: 'admin@brigade.test', password: 'demo password 2026' });
    expect(operator.statusCode).toBe(200);
    expect(operator.json().second_factor).toBe('enrol');
    expect(operator.cookies).toEqual([]);
    // A second start finds data and seeds nothing.
    expect(await seedDemo(t.app.brigade.db, 'demo password 2026')).toBeNull();
  });
});

describe('migrations', () => {
  it('are safe to run twice, and refuse a migration that was edited after it was applied', async () => {
    const driver = await pgliteDriver(undefined);
    const conn = await driver.acquire();
    try {
      const all = readMigrations();
      expect(await migrate(conn, all)).toEqual(all.map((m) => m.name));
      expect(await migrate(conn, all)).toEqual([]);
      const edited = all.map((m, i) => (i === 0 ? { ...m, checksum: 'edited' } : m));
      await expect(migrate(conn, edited)).rejects.toThrow(/changed after it was applied/);
    } finally {
      conn.release();
      await driver.close();
    }
  });
});
