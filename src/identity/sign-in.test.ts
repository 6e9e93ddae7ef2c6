import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verify } from '@node-rs/argon2';
import type * as Argon2 from '@node-rs/argon2';
import { Client, PASSWORD, testApp, type TestApp } from '../../test/harness.ts';
import type { SeededTenant } from '../platform/demo.ts';
import { createUser } from './service.ts';
import { SIGN_IN_PER_ADDRESS } from './routes.ts';
import { hashSecret } from './secrets.ts';

// The real argon2, watched: the unknown-email test checks that a verification runs even when nobody matches.
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const real = await importOriginal<typeof Argon2>();
  return { ...real, verify: vi.fn(real.verify) };
});

let t: TestApp;
let bistro: SeededTenant;

beforeAll(async () => {
  t = await testApp();
  bistro = await t.tenant();
});
afterAll(() => t.close());

interface SetCookie {
  name: string;
  value: string;
  path?: string;
  domain?: string;
  expires?: Date;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: string;
}
type Res = Awaited<ReturnType<Client['get']>>;

const cookieOf = (r: Res, name: string) => (r.cookies as SetCookie[]).find((c) => c.name === name);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** `bs_<tenant>.<secret>`: the part only the holder knows. */
const secretOf = (token: string) => token.split('.')[1]!;
const withoutRequestId = (b: Record<string, unknown>) => ({ ...b, request_id: undefined });

async function signIn(tenant: SeededTenant, email: string, password = PASSWORD): Promise<{ client: Client; res: Res }> {
  const client = t.anonymous(tenant);
  const res = await client.post('/api/v1/auth/sign-in', { email, password });
  if (res.statusCode === 200) client.csrf = res.json().csrf_token;
  return { client, res };
}

async function sessionRows(userId: string) {
  return t.db.admin(
    `SELECT id, encode(token_hash, 'hex') AS token_hash, kind, revoked_at, expires_at, idle_expires_at, created_at
       FROM sessions WHERE user_id = $1 ORDER BY created_at, id`,
    [userId],
  );
}

async function rowOfToken(token: string) {
  const [row] = await t.db.admin(`SELECT * FROM sessions WHERE token_hash = decode($1, 'hex')`, [sha256(secretOf(token))]);
  return row;
}

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Lax, host-only, and (on plain-http localhost) neither Secure nor __Host- prefixed', async () => {
    const { res } = await signIn(bistro, `owner@${bistro.slug}.brigade.test`);
    expect(res.statusCode).toBe(200);
    const session = cookieOf(res, 'brigade_session');
    expect(session).toMatchObject({ path: '/', httpOnly: true, sameSite: 'Lax' });
    expect(session!.secure).toBeFalsy();
    expect(session!.domain).toBeUndefined();
    expect(session!.value).toMatch(/^bs_/);
    // It lives no longer than the absolute session lifetime (12 hours by default).
    expect(session!.expires!.getTime()).toBeLessThanOrEqual(Date.now() + 12 * 3600_000 + 5_000);
    expect(session!.expires!.getTime()).toBeGreaterThan(Date.now() + 11 * 3600_000);
    expect(cookieOf(res, '__Host-brigade_session')).toBeUndefined();
    // The CSRF secret rides in its own HttpOnly, SameSite=Strict cookie.
    expect(cookieOf(res, 'brigade_csrf')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
  });

  it('holds a 256-bit random token of which the database keeps only the SHA-256 hash', async () => {
    const { res } = await signIn(bistro, `admin@${bistro.slug}.brigade.test`);
    const token = cookieOf(res, 'brigade_session')!.value;
    const secret = secretOf(token);
    expect(Buffer.from(secret, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(Buffer.from(secret, 'base64url').length).toBe(32);

    const row = await rowOfToken(token);
    expect(row).toBeDefined();
    expect(row!.user_id).toBe(bistro.users.admin);
    // Nothing in the row is the token or its secret.
    const stored = JSON.stringify(row, (_k, v: unknown) => (Buffer.isBuffer(v) || v instanceof Uint8Array ? Buffer.from(v).toString('base64url') : v));
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(token);
  });

  it('is new at every sign-in, even for a browser that already holds one', async () => {
    const { client, res: first } = await signIn(bistro, `auditor@${bistro.slug}.brigade.test`);
    const second = await client.post('/api/v1/auth/sign-in', { email: `auditor@${bistro.slug}.brigade.test`, password: PASSWORD });
    expect(second.statusCode).toBe(200);
    const a = cookieOf(first, 'brigade_session')!.value;
    const b = cookieOf(second, 'brigade_session')!.value;
    expect(b).not.toBe(a);
    const rowA = await rowOfToken(a);
    const rowB = await rowOfToken(b);
    expect(rowA!.id).not.toBe(rowB!.id);
  });
});

describe('passwords', () => {
  it('are hashed with argon2id, 19 MiB of memory, two passes, one lane', async () => {
    const owner = await t.as(bistro, 'owner');
    // Set through the API, so the hash is the one the running code makes.
    const changed = await owner.post('/api/v1/auth/password', { current_password: PASSWORD, new_password: 'argon2 parameters check' });
    expect(changed.statusCode).toBe(200);
    const [u] = await t.db.admin(`SELECT password_hash FROM users WHERE id = $1`, [bistro.users.owner]);
    const hash = String(u!.password_hash);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(hash).not.toContain('argon2 parameters check');
    // Put it back for the other tests.
    const back = await owner.post('/api/v1/auth/password', { current_password: 'argon2 parameters check', new_password: PASSWORD });
    expect(back.statusCode).toBe(200);
  });

  it('that are too short, too long or among the most common are refused, naming the field', async () => {
    const cook = await signIn(bistro, `compliance_officer@${bistro.slug}.brigade.test`);
    const me = cook.client;
    for (const [weak, why] of [
      ['short1!', /at least 8/],
      ['x'.repeat(129), /at most 128/],
      ['password123', /common/],
      ['Sunshine1', /common/],
    ] as const) {
      const r = await me.post('/api/v1/auth/password', { current_password: PASSWORD, new_password: weak });
      expect(r.statusCode, weak).toBe(400);
      expect(r.json().code).toBe('validation_failed');
      const err = r.json().errors.find((e: { field: string }) => e.field === 'body.new_password');
      expect(err, weak).toBeDefined();
      expect(err.message).toMatch(why);
    }
    // Nothing changed: the old password still opens the account.
    expect((await signIn(bistro, `compliance_officer@${bistro.slug}.brigade.test`)).res.statusCode).toBe(200);
  });
});

describe('signing out', () => {
  it('ends the session: the cookie stops working, also when replayed', async () => {
    const { client, res } = await signIn(bistro, `manager@${bistro.slug}.brigade.test`);
    const token = cookieOf(res, 'brigade_session')!.value;
    expect((await client.get('/api/v1/auth/session')).statusCode).toBe(200);

    const out = await client.post('/api/v1/auth/sign-out');
    expect(out.statusCode).toBe(204);
    const cleared = cookieOf(out, 'brigade_session')!;
    expect(cleared.value).toBe('');
    expect(cleared.expires!.getTime()).toBeLessThan(Date.now());

    const replay = new Client(t.app, client.host);
    replay.cookies.set('brigade_session', token);
    const r = await replay.get('/api/v1/auth/session');
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('unauthenticated');
    expect((await rowOfToken(token))!.revoked_at).not.toBeNull();
  });

  it('everywhere ends the sessions on the other devices too', async () => {
    const email = `location_manager@${bistro.slug}.brigade.test`;
    const phone = (await signIn(bistro, email)).client;
    const laptop = (await signIn(bistro, email)).client;
    const tablet = (await signIn(bistro, email)).client;
    // Someone else's session is not touched.
    const colleague = (await signIn(bistro, `staff@${bistro.slug}.brigade.test`)).client;

    const r = await laptop.post('/api/v1/auth/sign-out-everywhere');
    expect(r.statusCode).toBe(200);
    expect(r.json().sessions_ended).toBeGreaterThanOrEqual(3);
    for (const device of [phone, laptop, tablet]) expect((await device.get('/api/v1/auth/session')).statusCode).toBe(401);
    expect((await colleague.get('/api/v1/auth/session')).statusCode).toBe(200);
    const open = (await sessionRows(bistro.users.location_manager)).filter((s) => s.revoked_at === null);
    expect(open).toHaveLength(0);
  });
});

describe('changing the password', () => {
  let cafe: SeededTenant;
  beforeAll(async () => {
    cafe = await t.tenant();
  });

  it('ends the other sessions but keeps the one in use', async () => {
    const email = `staff@${cafe.slug}.brigade.test`;
    const here = (await signIn(cafe, email)).client;
    const elsewhere = (await signIn(cafe, email)).client;
    const r = await here.post('/api/v1/auth/password', { current_password: PASSWORD, new_password: 'a brand new kitchen phrase' });
    expect(r.statusCode).toBe(200);
    expect(r.json().sessions_ended).toBe(1);
    expect((await here.get('/api/v1/auth/session')).statusCode).toBe(200);
    expect((await elsewhere.get('/api/v1/auth/session')).statusCode).toBe(401);
    expect((await signIn(cafe, email)).res.statusCode).toBe(401);
    expect((await signIn(cafe, email, 'a brand new kitchen phrase')).res.statusCode).toBe(200);
  });

  it('needs the current password', async () => {
    const me = await t.as(cafe, 'manager');
    const r = await me.post('/api/v1/auth/password', { current_password: 'not my password', new_password: 'another fresh phrase' });
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('wrong_password');
    expect((await signIn(cafe, `manager@${cafe.slug}.brigade.test`)).res.statusCode).toBe(200);
  });
});

describe('session expiry', () => {
  it('an idle session expires', async () => {
    const { client, res } = await signIn(bistro, `staff@${bistro.slug}.brigade.test`);
    const row = await rowOfToken(cookieOf(res, 'brigade_session')!.value);
    // Thirty-one minutes without a request.
    await t.db.admin(`UPDATE sessions SET last_seen_at = now() - interval '31 minutes', idle_expires_at = now() - interval '1 minute' WHERE id = $1`, [row!.id]);
    const r = await client.get('/api/v1/auth/session');
    expect(r.statusCode).toBe(401);
  });

  it('activity slides the idle window forward, but never past the absolute expiry', async () => {
    const { client, res } = await signIn(bistro, `staff@${bistro.slug}.brigade.test`);
    const { id } = (await rowOfToken(cookieOf(res, 'brigade_session')!.value))!;
    await t.db.admin(`UPDATE sessions SET last_seen_at = now() - interval '25 minutes', idle_expires_at = now() + interval '5 minutes' WHERE id = $1`, [id]);
    expect((await client.get('/api/v1/auth/session')).statusCode).toBe(200);
    // It had five minutes left; after the request it has (about) thirty again.
    const [slid] = await t.db.admin(`SELECT idle_expires_at > now() + interval '25 minutes' AS renewed FROM sessions WHERE id = $1`, [id]);
    expect(slid!.renewed).toBe(true);

    await t.db.admin(
      `UPDATE sessions SET last_seen_at = now() - interval '25 minutes', idle_expires_at = now() + interval '5 minutes', expires_at = now() + interval '10 minutes' WHERE id = $1`,
      [id],
    );
    expect((await client.get('/api/v1/auth/session')).statusCode).toBe(200);
    // Renewed, but only up to the absolute expiry ten minutes away.
    const [capped] = await t.db.admin(`SELECT idle_expires_at = expires_at AS capped FROM sessions WHERE id = $1`, [id]);
    expect(capped!.capped).toBe(true);
  });

  it('a session ends at its absolute expiry however busy it is', async () => {
    const { client, res } = await signIn(bistro, `staff@${bistro.slug}.brigade.test`);
    const { id } = (await rowOfToken(cookieOf(res, 'brigade_session')!.value))!;
    // Twelve hours and a minute after sign-in, used a moment ago.
    await t.db.admin(
      `UPDATE sessions SET created_at = now() - interval '12 hours 1 minute', last_seen_at = now() - interval '10 seconds',
              idle_expires_at = now() + interval '29 minutes', expires_at = now() - interval '1 minute' WHERE id = $1`,
      [id],
    );
    expect((await client.get('/api/v1/auth/session')).statusCode).toBe(401);
  });

  it('a new session lasts 30 idle minutes and 12 hours at most', async () => {
    const { res } = await signIn(bistro, `staff@${bistro.slug}.brigade.test`);
    const { id } = (await rowOfToken(cookieOf(res, 'brigade_session')!.value))!;
    const [r] = await t.db.admin(
      `SELECT extract(epoch FROM idle_expires_at - created_at)::int AS idle, extract(epoch FROM expires_at - created_at)::int AS absolute FROM sessions WHERE id = $1`,
      [id],
    );
    expect(r).toEqual({ idle: 30 * 60, absolute: 12 * 3600 });
  });
});

describe('CSRF', () => {
  // A business of its own, so these sign-ins do not eat into the other tests' sign-in limit.
  let bistro: SeededTenant;
  beforeAll(async () => {
    bistro = await t.tenant();
  });
  const newLocation = (name: string) => ({ name, time_zone: 'UTC' });
  const locationNames = async (c: Client) => (await c.get('/api/v1/locations?limit=100')).json().items.map((l: { name: string }) => l.name);

  it('a change sent with the session cookie but no CSRF token is refused, and nothing changes', async () => {
    const owner = await t.as(bistro, 'owner');
    const forged = owner.onHost(owner.host);
    forged.csrf = null;
    const r = await forged.post('/api/v1/locations', newLocation('Forged Bistro'));
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('csrf_failed');
    const wrong = await owner.post('/api/v1/locations', newLocation('Forged Bistro'), { 'x-csrf-token': 'not-a-token' });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().code).toBe('csrf_failed');
    expect(await locationNames(owner)).not.toContain('Forged Bistro');
    // With its own token the same change goes through.
    expect((await owner.post('/api/v1/locations', newLocation('Honest Bistro'))).statusCode).toBe(201);
  });

  it('a token from another session is refused, even one from the same browser and person', async () => {
    const email = `admin@${bistro.slug}.brigade.test`;
    const browser = (await signIn(bistro, email)).client;
    const oldToken = browser.csrf!;
    // Same browser (same CSRF secret cookie), same person, new session.
    const again = await browser.post('/api/v1/auth/sign-in', { email, password: PASSWORD });
    browser.csrf = again.json().csrf_token;
    const stale = await browser.post('/api/v1/locations', newLocation('Stale Token Inn'), { 'x-csrf-token': oldToken });
    expect(stale.statusCode).toBe(403);
    expect(stale.json().code).toBe('csrf_failed');

    // Another person's token, with their CSRF cookie too: still not good for this session.
    const other = (await signIn(bistro, `owner@${bistro.slug}.brigade.test`)).client;
    const mixed = browser.onHost(browser.host);
    mixed.cookies.set('brigade_csrf', other.cookies.get('brigade_csrf')!);
    const foreign = await mixed.post('/api/v1/locations', newLocation('Foreign Token Inn'), { 'x-csrf-token': other.csrf! });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().code).toBe('csrf_failed');
    expect(await locationNames(browser)).not.toContain('Stale Token Inn');
  });

  it('GET /auth/csrf hands out a token that works for this session', async () => {
    const owner = await t.as(bistro, 'owner');
    owner.csrf = null;
    const r = await owner.get('/api/v1/auth/csrf');
    expect(r.statusCode).toBe(200);
    owner.csrf = r.json().csrf_token;
    expect((await owner.post('/api/v1/locations', newLocation('Fetched Token Inn'))).statusCode).toBe(201);
  });

  it('every unsafe route reached with a cookie refuses a request without the token', async () => {
    const owner = await t.as(bistro, 'owner');
    owner.csrf = null;
    const admin = await t.platformAdmin();
    admin.csrf = null;
    const unsafe = t.app.brigade.routes.filter((r) => (r.access === 'tenant' || r.access === 'platform') && r.method !== 'GET');
    expect(unsafe.length).toBeGreaterThan(5);
    for (const spec of unsafe) {
      expect(spec.noCsrf, `${spec.method} ${spec.url}`).toBeUndefined();
      const url = spec.url.replace(/:[a-z_]+/g, '01938f5e-0000-7000-8000-000000000000');
      const client = spec.access === 'platform' ? admin : owner;
      const r = await client.request(spec.method, url, spec.example ?? {});
      expect({ route: `${spec.method} ${spec.url}`, status: r.statusCode, code: r.json().code }).toEqual({
        route: `${spec.method} ${spec.url}`,
        status: 403,
        code: 'csrf_failed',
      });
    }
    // Sign-out is among them: a forged request cannot sign someone out either.
    expect((await owner.get('/api/v1/auth/session')).statusCode).toBe(200);
  });
});

describe('who am I', () => {
  it('GET /auth/session tells the person, the business, the roles and what they may do where', async () => {
    const manager = await t.as(bistro, 'manager');
    const r = await manager.get('/api/v1/auth/session');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      user: { id: bistro.users.manager, email: `manager@${bistro.slug}.brigade.test`, name: expect.any(String), has_pin: true },
      tenant: { id: bistro.id, slug: bistro.slug, name: bistro.name, roles_in_use: ['owner', 'admin', 'location_manager', 'compliance_officer', 'manager', 'staff', 'auditor'] },
      kind: 'session',
      kiosk_id: null,
      support: null,
      roles: [{ role: 'manager', location_id: bistro.locationId }],
      permissions: {
        'identity.self': [bistro.locationId],
        'org.location.read': [bistro.locationId],
        'identity.user.read': [bistro.locationId],
        ...Object.fromEntries(
          [
            'cash.register.read', 'cash.drawer.operate', 'cash.reconciliation.read', 'cash.reconciliation.all.read', 'cash.reconciliation.approve', 'cash.day.read', 'cash.day.close', 'cash.report.read',
            'waitlist.queue.read', 'waitlist.queue.manage', 'waitlist.entry.read', 'waitlist.entry.serve', 'waitlist.analytics.read',
          ].map((p) => [p, [bistro.locationId]]),
        ),
      },
    });

    const owner = await t.as(bistro, 'owner');
    const me = (await owner.get('/api/v1/auth/session')).json();
    expect(me.roles).toEqual([{ role: 'owner', location_id: null }]);
    expect(me.permissions).toMatchObject({ 'tenant.delete': 'all', 'tenant.billing.manage': 'all', 'org.location.create': 'all' });
  });

  it('without a session it answers 401', async () => {
    const r = await t.anonymous(bistro).get('/api/v1/auth/session');
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('unauthenticated');
  });
});

describe('accounts belong to a business', () => {
  it('the same email in two businesses is two accounts, each with its own password', async () => {
    const [north, south] = [await t.tenant(), await t.tenant()];
    const email = 'sam.chef@example.com';
    const ids: string[] = [];
    for (const [tenant, password] of [
      [north, 'north kitchen passphrase'],
      [south, 'south kitchen passphrase'],
    ] as const) {
      const hash = await hashSecret(password);
      ids.push(
        await t.app.brigade.db.withTenant(tenant.id, { type: 'system', id: null, label: 'test' }, 'write', (tx) =>
          createUser(tx, { email, name: 'Sam', passwordHash: hash, roles: [{ role: 'staff', location_id: tenant.locationId }] }),
        ),
      );
    }
    expect(ids[0]).not.toBe(ids[1]);

    const atNorth = await signIn(north, email, 'north kitchen passphrase');
    expect(atNorth.res.statusCode).toBe(200);
    expect(atNorth.res.json().user_id).toBe(ids[0]);
    expect((await signIn(south, email, 'north kitchen passphrase')).res.statusCode).toBe(401);
    const atSouth = await signIn(south, email, 'south kitchen passphrase');
    expect(atSouth.res.json().user_id).toBe(ids[1]);

    // North's session is no key to South.
    const r = await atNorth.client.onHost(`${south.slug}.localhost`).get('/api/v1/auth/session');
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('credential_not_for_this_tenant');

    // Within one business an email is unique.
    await expect(
      t.app.brigade.db.withTenant(north.id, { type: 'system', id: null, label: 'test' }, 'write', (tx) =>
        createUser(tx, { email: 'Sam.Chef@example.com', name: 'Sam again', passwordHash: null, roles: [] }),
      ),
    ).rejects.toThrow();
  });

  it('platform operators are separate accounts: neither password opens the other door', async () => {
    const admin = await t.platformAdmin();
    expect(admin.csrf).toBeTruthy();
    const [op] = await t.db.admin(`SELECT email FROM platform_users ORDER BY created_at DESC LIMIT 1`);
    const asTenantUser = await signIn(bistro, String(op!.email));
    expect(asTenantUser.res.statusCode).toBe(401);
    const asOperator = await t.anonymous(null).post('/api/v1/platform/auth/sign-in', { email: `owner@${bistro.slug}.brigade.test`, password: PASSWORD });
    expect(asOperator.statusCode).toBe(401);
    // And a tenant owner's session is not a platform credential.
    const owner = await t.as(bistro, 'owner');
    expect((await owner.get('/api/v1/platform/outbox')).statusCode).toBe(401);
  });
});

describe('sign-in does not tell whether an email exists', () => {
  let inn: SeededTenant;
  beforeAll(async () => {
    inn = await t.tenant();
  });

  it('a wrong password and an unknown email get the identical 401', async () => {
    const wrong = await signIn(inn, `staff@${inn.slug}.brigade.test`, 'not the password at all');
    const unknown = await signIn(inn, `nobody@${inn.slug}.brigade.test`, 'not the password at all');
    await t.db.admin(`UPDATE users SET status = 'disabled' WHERE id = $1`, [inn.users.auditor]);
    const disabled = await signIn(inn, `auditor@${inn.slug}.brigade.test`);
    for (const r of [wrong.res, unknown.res, disabled.res]) {
      expect(r.statusCode).toBe(401);
      expect(r.headers['content-type']).toBe(wrong.res.headers['content-type']);
      expect(r.cookies).toEqual([]);
    }
    expect(withoutRequestId(unknown.res.json())).toEqual(withoutRequestId(wrong.res.json()));
    expect(withoutRequestId(disabled.res.json())).toEqual(withoutRequestId(wrong.res.json()));
    expect(wrong.res.json()).toMatchObject({ code: 'invalid_credentials', detail: 'The email or password is not correct.' });
  });

  it('an unknown email still costs an argon2id verification, against a dummy hash', async () => {
    const spy = vi.mocked(verify);
    const timed = async (email: string) => {
      spy.mockClear();
      const started = performance.now();
      const { res } = await signIn(inn, email, 'not the password at all');
      const ms = performance.now() - started;
      expect(res.statusCode).toBe(401);
      return { ms, hashes: spy.mock.calls.map((c) => String(c[0])) };
    };
    const known = await timed(`manager@${inn.slug}.brigade.test`);
    const unknown = await timed(`no-such-cook@${inn.slug}.brigade.test`);
    for (const path of [known, unknown]) {
      expect(path.hashes).toHaveLength(1);
      expect(path.hashes[0]).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      // 19 MiB of argon2 takes milliseconds on any machine: a path that skipped it would be visibly faster.
      expect(path.ms).toBeGreaterThan(5);
    }
    const [real] = await t.db.admin(`SELECT password_hash FROM users WHERE id = $1`, [inn.users.manager]);
    expect(unknown.hashes[0]).not.toBe(real!.password_hash);
  });
});

describe('sign-in rate limit', () => {
  it('after ten tries in fifteen minutes the sign-in answers 429 rate_limited, even to the right password', async () => {
    const diner = await t.tenant();
    const email = `staff@${diner.slug}.brigade.test`;
    const client = t.anonymous(diner);
    for (let i = 1; i <= 10; i++) {
      const r = await client.post('/api/v1/auth/sign-in', { email, password: `guess number ${i}` });
      expect(r.statusCode).toBe(401);
      expect(r.headers['ratelimit-limit']).toBe('10');
      expect(r.headers['ratelimit-remaining']).toBe(String(10 - i));
    }
    const blocked = await client.post('/api/v1/auth/sign-in', { email, password: PASSWORD });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().code).toBe('rate_limited');
    expect(blocked.json().retry_after_seconds).toBeGreaterThan(0);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.headers['ratelimit-limit']).toBe('10');
    expect(blocked.headers['ratelimit-remaining']).toBe('0');
    expect(blocked.cookies).toEqual([]);

    // The count is per address and email: a colleague at the same counter still signs in,
    // and the password reset has a counter of its own.
    expect((await signIn(diner, `manager@${diner.slug}.brigade.test`)).res.statusCode).toBe(200);
    expect((await client.post('/api/v1/auth/password-reset', { email })).statusCode).toBe(202);
  });
});

describe('sign-in limit per address', () => {
  it(`one address gets ${SIGN_IN_PER_ADDRESS} sign-ins in fifteen minutes whatever the emails, then 429; another address is not held up`, async () => {
    const diner = await t.tenant();
    const here = t.anonymous(diner);
    for (let i = 1; i <= SIGN_IN_PER_ADDRESS; i++) {
      const r = await here.post('/api/v1/auth/sign-in', { email: `cook${i}@${diner.slug}.brigade.test`, password: 'summer2024!' });
      expect(r.statusCode, `try ${i}`).toBe(401);
    }
    const blocked = await here.post('/api/v1/auth/sign-in', { email: `owner@${diner.slug}.brigade.test`, password: PASSWORD });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toMatchObject({ code: 'rate_limited', retry_after_seconds: expect.any(Number) });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.cookies).toEqual([]);

    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      remoteAddress: '203.0.113.7',
      headers: { host: `${diner.slug}.localhost`, 'content-type': 'application/json' },
      payload: JSON.stringify({ email: `owner@${diner.slug}.brigade.test`, password: PASSWORD }),
    });
    expect(r.statusCode, r.body).toBe(200);
  });
});

describe('secrets and Idempotency-Key', () => {
  it('a client that retries a sign-in with an Idempotency-Key leaves no hash of the password behind and gets a fresh session', async () => {
    const diner = await t.tenant();
    const client = t.anonymous(diner);
    const body = { email: `manager@${diner.slug}.brigade.test`, password: PASSWORD };
    const first = await client.post('/api/v1/auth/sign-in', body, { 'idempotency-key': 'kiosk-retry-1' });
    const retry = await client.post('/api/v1/auth/sign-in', body, { 'idempotency-key': 'kiosk-retry-1' });
    expect(first.statusCode).toBe(200);
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(cookieOf(retry, 'brigade_session')?.value).toBeTruthy();
    expect(cookieOf(retry, 'brigade_session')?.value).not.toBe(cookieOf(first, 'brigade_session')?.value);
    const kept = await t.db.admin(`SELECT count(*)::int AS n FROM idempotency_keys WHERE tenant_id = $1`, [diner.id]);
    expect(kept[0]!.n).toBe(0);
  });
});
