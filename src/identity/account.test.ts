import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, testApp, type TestApp } from '../../test/harness.ts';
import type { SeededTenant } from '../platform/demo.ts';
import { SIGN_IN_LOCK_MINUTES, SIGN_IN_MAX_FAILURES } from './service.ts';

let t: TestApp;
let bistro: SeededTenant;

beforeAll(async () => {
  // Behind a proxy, so each guess can come from an address of its own, as from a botnet.
  t = await testApp({ TRUST_PROXY: 'true' });
  bistro = await t.tenant();
});
afterAll(() => t.close());

const from = (n: number) => ({ 'x-forwarded-for': `198.51.100.${n}` });

describe('account lock after many wrong passwords', () => {
  it(`locks the account after ${SIGN_IN_MAX_FAILURES} wrong passwords from any addresses, refuses even the right one, and a reset lifts it`, async () => {
    const diner = await t.tenant();
    const email = `manager@${diner.slug}.brigade.test`;
    const client = t.anonymous(diner);
    for (let i = 1; i < SIGN_IN_MAX_FAILURES; i++) {
      const r = await client.post('/api/v1/auth/sign-in', { email, password: `guess ${i}` }, from(i));
      expect(r.statusCode, r.body).toBe(401);
    }
    const last = await client.post('/api/v1/auth/sign-in', { email, password: 'one guess too many' }, from(99));
    expect(last.statusCode).toBe(423);
    expect(last.json()).toMatchObject({ code: 'account_locked', retry_after_seconds: SIGN_IN_LOCK_MINUTES * 60 });
    expect(last.json().detail).toContain(`locked for ${SIGN_IN_LOCK_MINUTES} minutes`);

    const right = await client.post('/api/v1/auth/sign-in', { email, password: PASSWORD }, from(100));
    expect(right.statusCode).toBe(423);
    expect(right.cookies).toEqual([]);

    // Another person of the same business is not affected.
    expect((await client.post('/api/v1/auth/sign-in', { email: `staff@${diner.slug}.brigade.test`, password: PASSWORD }, from(101))).statusCode).toBe(200);

    const owner = await t.as(diner, 'owner');
    const trail = await owner.get(`/api/v1/audit?resource_id=${diner.users.manager}`);
    const actions = trail.json().items.map((i: { action: string }) => i.action);
    expect(actions).toContain('auth.account_locked');
    expect(actions).toContain('auth.sign_in_refused_locked');
    expect(trail.json().items.find((i: { action: string }) => i.action === 'auth.account_locked').risk).toBe('high');

    // When the lock has run out, the right password works and the count starts again.
    await t.db.admin(`UPDATE users SET sign_in_locked_until = now() - interval '1 second' WHERE id = $1`, [diner.users.manager]);
    expect((await client.post('/api/v1/auth/sign-in', { email, password: PASSWORD }, from(102))).statusCode).toBe(200);
    const [row] = await t.db.admin(`SELECT sign_in_failures FROM users WHERE id = $1`, [diner.users.manager]);
    expect(row!.sign_in_failures).toBe(0);
  });

  it('a successful sign-in resets the count of wrong passwords', async () => {
    const email = `staff@${bistro.slug}.brigade.test`;
    const client = t.anonymous(bistro);
    for (let i = 1; i <= 3; i++) await client.post('/api/v1/auth/sign-in', { email, password: `nope ${i}` }, from(10 + i));
    const [before] = await t.db.admin(`SELECT sign_in_failures FROM users WHERE id = $1`, [bistro.users.staff]);
    expect(before!.sign_in_failures).toBe(3);
    expect((await client.post('/api/v1/auth/sign-in', { email, password: PASSWORD }, from(20))).statusCode).toBe(200);
    const [after] = await t.db.admin(`SELECT sign_in_failures FROM users WHERE id = $1`, [bistro.users.staff]);
    expect(after!.sign_in_failures).toBe(0);
  });
});

describe('the account lock does not tell whether an email exists', () => {
  it('an email nobody has is refused, locked and let go exactly like a person\'s, guess for guess', async () => {
    const diner = await t.tenant();
    const known = `staff@${diner.slug}.brigade.test`;
    const unknown = `nobody-here@${diner.slug}.brigade.test`;
    const client = t.anonymous(diner);
    const [usersBefore] = await t.db.admin(`SELECT count(*)::int AS n FROM users WHERE tenant_id = $1`, [diner.id]);
    const answer = async (email: string, password: string, n: number) => {
      const r = await client.post('/api/v1/auth/sign-in', { email, password }, from(n));
      const body = r.json();
      return {
        status: r.statusCode,
        headers: [r.headers['content-type'], r.headers['ratelimit-limit'], r.headers['ratelimit-remaining']],
        body: { ...body, request_id: undefined, retry_after_seconds: undefined },
        retry: [body.retry_after_seconds, r.headers['retry-after'] === undefined ? undefined : Number(r.headers['retry-after'])] as const,
        cookies: r.cookies,
      };
    };
    const same = async (n: number, knownPassword: string) => {
      const a = await answer(known, knownPassword, n);
      const b = await answer(unknown, `guess ${n}`, n);
      expect(b.status, `guess ${n}`).toBe(a.status);
      expect(b.headers, `guess ${n}`).toEqual(a.headers);
      expect(b.body, `guess ${n}`).toEqual(a.body);
      expect(b.cookies).toEqual([]);
      // A second apart at most: the two locks started a request apart.
      for (const i of [0, 1] as const) {
        if (a.retry[i] === undefined) expect(b.retry[i]).toBeUndefined();
        else expect(Math.abs(b.retry[i]! - a.retry[i]!), `guess ${n}`).toBeLessThanOrEqual(1);
      }
      return a;
    };

    for (let i = 1; i < SIGN_IN_MAX_FAILURES; i++) expect((await same(i, `guess ${i}`)).status).toBe(401);
    const locking = await same(SIGN_IN_MAX_FAILURES, 'one guess too many');
    expect(locking.status).toBe(423);
    expect(locking.body.code).toBe('account_locked');
    expect(locking.retry).toEqual([SIGN_IN_LOCK_MINUTES * 60, SIGN_IN_LOCK_MINUTES * 60]);
    // Locked, even the person's right password gets the answer any guess at the unknown email gets.
    expect((await same(SIGN_IN_MAX_FAILURES + 1, PASSWORD)).status).toBe(423);
    expect((await same(SIGN_IN_MAX_FAILURES + 2, 'still guessing')).status).toBe(423);

    // When both locks run out, both count again from the start.
    await t.db.admin(`UPDATE users SET sign_in_locked_until = now() - interval '1 second' WHERE id = $1`, [diner.users.staff]);
    await t.db.admin(`UPDATE rate_limit_counters SET reset_at = now() - interval '1 second' WHERE key LIKE $1`, [`%${diner.id}:${unknown}`]);
    expect((await same(SIGN_IN_MAX_FAILURES + 3, 'a fresh guess')).status).toBe(401);

    // The unknown email was counted without inventing anyone.
    const [usersAfter] = await t.db.admin(`SELECT count(*)::int AS n FROM users WHERE tenant_id = $1`, [diner.id]);
    expect(usersAfter!.n).toBe(usersBefore!.n);
  });

  it('a disabled account locks like any other, so it does not stand out either', async () => {
    const diner = await t.tenant();
    await t.db.admin(`UPDATE users SET status = 'disabled' WHERE id = $1`, [diner.users.auditor]);
    const client = t.anonymous(diner);
    const email = `auditor@${diner.slug}.brigade.test`;
    for (let i = 1; i < SIGN_IN_MAX_FAILURES; i++) {
      expect((await client.post('/api/v1/auth/sign-in', { email, password: PASSWORD }, from(i))).statusCode).toBe(401);
    }
    const last = await client.post('/api/v1/auth/sign-in', { email, password: PASSWORD }, from(99));
    expect(last.statusCode).toBe(423);
    expect(last.json().code).toBe('account_locked');
  });
});

describe('my profile and my activity', () => {
  it('changes my own name, audited with the change, and refuses an empty one naming the field', async () => {
    const me = await t.as(bistro, 'manager');
    const r = await me.patch('/api/v1/auth/profile', { name: 'Rosa Díaz' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ id: bistro.users.manager, email: `manager@${bistro.slug}.brigade.test`, name: 'Rosa Díaz' });
    expect((await me.get('/api/v1/auth/session')).json().user.name).toBe('Rosa Díaz');

    const bad = await me.patch('/api/v1/auth/profile', { name: '' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('body.name');

    const activity = await me.get('/api/v1/auth/activity');
    expect(activity.statusCode).toBe(200);
    const [latest] = activity.json().items;
    expect(latest).toMatchObject({ action: 'identity.profile_updated', resource_type: 'user', resource_id: bistro.users.manager });
    // The audit record carries the change itself.
    const owner = await t.as(bistro, 'owner');
    const record = (await owner.get('/api/v1/audit?action=identity.profile_updated')).json().items[0];
    expect(record.changes.name).toEqual([expect.any(String), 'Rosa Díaz']);
  });

  it('my activity holds only my own records, newest first', async () => {
    const staff = await t.as(bistro, 'staff');
    const owner = await t.as(bistro, 'owner');
    await owner.post('/api/v1/locations', { name: 'Owner only', time_zone: 'UTC' });
    const items = (await staff.get('/api/v1/auth/activity?limit=100')).json().items as { seq: number; action: string }[];
    expect(items.length).toBeGreaterThan(0);
    expect(items.map((i) => i.action)).not.toContain('location.created');
    expect(items.map((i) => i.seq)).toEqual([...items.map((i) => i.seq)].sort((a, b) => b - a));
    expect((await staff.get('/api/v1/auth/activity?limit=1000')).statusCode).toBe(400);
  });
});

describe('the business at this address and the business switcher', () => {
  it('tells anyone the business name, colour, logo, locale, formats and currency, and 404s an unknown address', async () => {
    const r = await t.anonymous(bistro).get('/api/v1/tenant');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      slug: bistro.slug,
      name: bistro.name,
      locale: 'en-US',
      currency: 'USD',
      time_zone: expect.any(String),
      brand_color: '#0f766e',
      date_format: 'locale',
      time_format: 'locale',
      logo_url: null,
    });
    expect((await t.anonymous(null).get('/api/v1/tenant')).statusCode).toBe(404);
  });

  it('lists the other businesses where my email has an active account, and nobody else\'s', async () => {
    const other = await t.tenant();
    const third = await t.tenant();
    // The same person works at `other` too (same email); at `third` their account is disabled.
    const email = `owner@${bistro.slug}.brigade.test`;
    await t.db.admin(`UPDATE users SET email = $1 WHERE id = $2`, [email, other.users.staff]);
    await t.db.admin(`UPDATE users SET email = $1, status = 'disabled' WHERE id = $2`, [email, third.users.staff]);

    const me = await t.as(bistro, 'owner');
    const r = await me.get('/api/v1/auth/businesses');
    expect(r.statusCode).toBe(200);
    expect(r.json().items).toEqual([{ slug: other.slug, name: other.name, url: `http://${other.slug}.localhost:3000` }]);

    const colleague = await t.as(bistro, 'manager');
    expect((await colleague.get('/api/v1/auth/businesses')).json().items).toEqual([]);
  });
});
