import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, PIN, testApp, type TestApp } from '../../test/harness.ts';
import type { SeededTenant } from '../platform/demo.ts';

let t: TestApp;
let cafe: SeededTenant;
let owner: Client;
let backKitchen: string;
/** Registered by the admin in the first test, at the cafe's main location. */
let frontKiosk: { id: string; token: string };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const host = (tenant: SeededTenant) => `${tenant.slug}.localhost`;

beforeAll(async () => {
  t = await testApp();
  cafe = await t.tenant();
  owner = await t.as(cafe, 'owner');
  const loc = await owner.post('/api/v1/locations', { name: 'Back Kitchen', time_zone: 'UTC' });
  backKitchen = loc.json().id;
});
afterAll(() => t.close());

/** The tablet itself: it holds the device token and nothing else. */
function device(tenant: SeededTenant, token: string): Client {
  const c = new Client(t.app, host(tenant));
  c.headers.authorization = `Bearer ${token}`;
  return c;
}

async function register(by: Client, locationId: string, name: string) {
  const r = await by.post('/api/v1/kiosks', { location_id: locationId, name });
  expect(r.statusCode, r.body).toBe(201);
  return { id: r.json().kiosk.id as string, token: r.json().device_token as string };
}

/** A PIN sign-in on the kiosk; on success, the browser session it opens (cookie + CSRF token). */
async function pinSignIn(tenant: SeededTenant, kioskToken: string, userId: string, pin: string) {
  const tablet = device(tenant, kioskToken);
  const res = await tablet.post('/api/v1/auth/pin-sign-in', { user_id: userId, pin });
  const session = new Client(t.app, host(tenant));
  session.cookies = new Map(tablet.cookies);
  if (res.statusCode === 200) session.csrf = res.json().csrf_token;
  return { res, session };
}

describe('registering a kiosk', () => {
  it('an admin registers a kiosk for a location and sees its device token once', async () => {
    const admin = await t.as(cafe, 'admin');
    const r = await admin.post('/api/v1/kiosks', { location_id: cafe.locationId, name: 'Front counter tablet' });
    expect(r.statusCode).toBe(201);
    const { kiosk, device_token } = r.json();
    expect(kiosk).toMatchObject({ location_id: cafe.locationId, name: 'Front counter tablet', revoked_at: null });
    expect(device_token).toMatch(/^bk_/);
    frontKiosk = { id: kiosk.id, token: device_token };

    // The list shows the kiosk, never its token; the database holds only the token's hash.
    const list = await admin.get('/api/v1/kiosks');
    expect(list.statusCode).toBe(200);
    const listed = list.json().items.find((k: { id: string }) => k.id === kiosk.id);
    expect(listed).toEqual(kiosk);
    expect(list.body).not.toContain(device_token.split('.')[1]);
    const [row] = await t.db.admin(`SELECT encode(token_hash, 'hex') AS h, row_to_json(kiosks)::text AS everything FROM kiosks WHERE id = $1`, [kiosk.id]);
    expect(row!.h).toBe(sha256(device_token.split('.')[1]));
    expect(row!.everything).not.toContain(device_token.split('.')[1]);
  });

  it('staff cannot register kiosks, and a location manager only at their own location', async () => {
    const staff = await t.as(cafe, 'staff');
    expect((await staff.post('/api/v1/kiosks', { location_id: cafe.locationId, name: 'Rogue' })).statusCode).toBe(403);
    const lm = await t.as(cafe, 'location_manager');
    expect((await lm.post('/api/v1/kiosks', { location_id: backKitchen, name: 'Not mine' })).statusCode).toBe(403);
    expect((await lm.post('/api/v1/kiosks', { location_id: cafe.locationId, name: 'Mine' })).statusCode).toBe(201);
  });

  it('the kiosk device alone can show the PIN pad and nothing else', async () => {
    const tablet = device(cafe, frontKiosk.token);
    expect((await tablet.get('/api/v1/locations')).statusCode).toBe(403);
    expect((await tablet.get('/api/v1/auth/session')).statusCode).toBe(403);
    expect((await tablet.get('/api/v1/kiosk/staff')).statusCode).toBe(200);
    // A session cookie is not a kiosk.
    expect((await owner.get('/api/v1/kiosk/staff')).statusCode).toBe(403);
  });
});

describe('who can sign in on a kiosk', () => {
  it('the kiosk lists the people of its location who have a PIN', async () => {
    await t.db.admin(`UPDATE users SET pin_hash = NULL WHERE id = $1`, [cafe.users.auditor]);
    const names = async (token: string) => (await device(cafe, token).get('/api/v1/kiosk/staff')).json().items.map((p: { id: string }) => p.id);

    const front = await names(frontKiosk.token);
    for (const role of ['owner', 'admin', 'location_manager', 'manager', 'staff', 'compliance_officer'] as const) expect(front).toContain(cafe.users[role]);
    expect(front).not.toContain(cafe.users.auditor);

    // At the back kitchen: tenant-wide people, but not the main location's staff.
    const back = await register(owner, backKitchen, 'Back kitchen tablet');
    const there = await names(back.token);
    expect(there).toContain(cafe.users.owner);
    expect(there).not.toContain(cafe.users.staff);
    expect(there).not.toContain(cafe.users.manager);
    // And staff of this location cannot PIN in there.
    const r = await pinSignIn(cafe, back.token, cafe.users.staff, PIN);
    expect(r.res.statusCode).toBe(400);
    expect(r.res.json().code).toBe('invalid_pin');
  });
});

describe('PIN sign-in', () => {
  it('staff sign in with their PIN and get a short session', async () => {
    const { res, session } = await pinSignIn(cafe, frontKiosk.token, cafe.users.staff, PIN);
    expect(res.statusCode).toBe(200);
    expect(res.json().user_id).toBe(cafe.users.staff);
    const me = await session.get('/api/v1/auth/session');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ kind: 'pin_session', kiosk_id: frontKiosk.id, user: { id: cafe.users.staff } });

    const token = session.cookies.get('brigade_session')!;
    const [row] = await t.db.admin(
      `SELECT kind, kiosk_id, idle_seconds, extract(epoch FROM expires_at - created_at)::int AS absolute
         FROM sessions WHERE token_hash = decode($1, 'hex')`,
      [sha256(token.split('.')[1]!)],
    );
    // Two idle minutes, thirty at most: a shared tablet forgets its last user quickly.
    expect(row).toEqual({ kind: 'pin', kiosk_id: frontKiosk.id, idle_seconds: 120, absolute: 30 * 60 });
  });

  it("an owner's PIN session still has only kiosk permissions, at the kiosk's location", async () => {
    const back = await register(owner, backKitchen, 'Back kitchen register');
    const { res, session } = await pinSignIn(cafe, back.token, cafe.users.owner, PIN);
    expect(res.statusCode).toBe(200);

    const me = (await session.get('/api/v1/auth/session')).json();
    expect(me.roles).toEqual([{ role: 'owner', location_id: null }]);
    expect(me.permissions).toEqual({
      'identity.self': [backKitchen],
      'org.location.read': [backKitchen],
      'cash.register.read': [backKitchen],
      'cash.drawer.operate': [backKitchen],
      'cash.reconciliation.read': [backKitchen],
      'waitlist.queue.read': [backKitchen],
      'waitlist.entry.read': [backKitchen],
      'waitlist.entry.serve': [backKitchen],
    });

    const seen = (await session.get('/api/v1/locations')).json().items.map((l: { id: string }) => l.id);
    expect(seen).toEqual([backKitchen]);
    expect((await session.get(`/api/v1/locations/${cafe.locationId}`)).statusCode).toBe(404);

    const created = await session.post('/api/v1/locations', { name: 'Opened from a kiosk', time_zone: 'UTC' });
    expect(created.statusCode).toBe(403);
    expect(created.json().code).toBe('forbidden');
    expect((await session.get('/api/v1/audit')).statusCode).toBe(403);
    expect((await session.get('/api/v1/users')).statusCode).toBe(403);
    expect((await session.post('/api/v1/kiosks', { location_id: backKitchen, name: 'Self-made' })).statusCode).toBe(403);
    // Nor can it change the owner's password or PIN from the shared tablet.
    expect((await session.post('/api/v1/auth/password', { current_password: 'x', new_password: 'a long new passphrase' })).statusCode).toBe(403);
  });

  it('a PIN is 4 to 6 digits and is stored as an argon2id hash', async () => {
    const manager = await t.as(cafe, 'location_manager');
    for (const bad of ['123', '1234567', '12a4', ' 1234']) {
      const r = await manager.put('/api/v1/auth/pin', { current_password: 'correct horse battery staple', pin: bad });
      expect(r.statusCode, bad).toBe(400);
      expect(r.json().errors[0].field).toBe('body.pin');
    }
    expect((await manager.put('/api/v1/auth/pin', { current_password: 'wrong password', pin: '908172' })).statusCode).toBe(400);
    expect((await manager.put('/api/v1/auth/pin', { current_password: 'correct horse battery staple', pin: '908172' })).statusCode).toBe(204);
    const [u] = await t.db.admin(`SELECT pin_hash FROM users WHERE id = $1`, [cafe.users.location_manager]);
    expect(u!.pin_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(u!.pin_hash).not.toContain('908172');
    expect((await pinSignIn(cafe, frontKiosk.token, cafe.users.location_manager, PIN)).res.statusCode).toBe(400);
    expect((await pinSignIn(cafe, frontKiosk.token, cafe.users.location_manager, '908172')).res.statusCode).toBe(200);
  });
});

describe('PIN lockout', () => {
  it("five wrong PINs lock that person's PIN for 15 minutes; it opens again when the time has passed", async () => {
    const who = cafe.users.manager;
    for (let left = 4; left >= 1; left--) {
      const r = await pinSignIn(cafe, frontKiosk.token, who, '0000');
      expect(r.res.statusCode).toBe(400);
      expect(r.res.json()).toMatchObject({ code: 'invalid_pin', attempts_left: left });
    }
    const fifth = await pinSignIn(cafe, frontKiosk.token, who, '0000');
    expect(fifth.res.statusCode).toBe(423);
    expect(fifth.res.json()).toMatchObject({ code: 'pin_locked', retry_after_seconds: 900 });
    expect(fifth.res.headers['retry-after']).toBe('900');

    // The right PIN does not help while locked.
    const right = await pinSignIn(cafe, frontKiosk.token, who, PIN);
    expect(right.res.statusCode).toBe(423);
    expect(right.res.json().code).toBe('pin_locked');
    expect(right.res.json().retry_after_seconds).toBeGreaterThan(800);
    expect(right.res.json().retry_after_seconds).toBeLessThanOrEqual(900);
    expect(right.res.cookies).toEqual([]);

    // Only that person is locked out: a colleague signs in on the same kiosk.
    expect((await pinSignIn(cafe, frontKiosk.token, cafe.users.admin, PIN)).res.statusCode).toBe(200);

    // Fifteen minutes later (the lock moved into the past) the right PIN works again.
    await t.db.admin(`UPDATE users SET pin_locked_until = now() - interval '1 second' WHERE id = $1`, [who]);
    const later = await pinSignIn(cafe, frontKiosk.token, who, PIN);
    expect(later.res.statusCode).toBe(200);
    const [u] = await t.db.admin(`SELECT pin_failures, pin_locked_until FROM users WHERE id = $1`, [who]);
    expect(u).toEqual({ pin_failures: 0, pin_locked_until: null });
  });
});

describe('PIN lockout under load', () => {
  it('five wrong PINs sent at the same moment all count, and lock the PIN', async () => {
    const who = cafe.users.compliance_officer;
    const tries = await Promise.all(Array.from({ length: 5 }, () => pinSignIn(cafe, frontKiosk.token, who, '9999')));
    const codes = tries.map((x) => x.res.json().code).sort();
    expect(codes).toEqual(['invalid_pin', 'invalid_pin', 'invalid_pin', 'invalid_pin', 'pin_locked']);
    const [u] = await t.db.admin(`SELECT pin_locked_until > now() + interval '14 minutes' AS locked FROM users WHERE id = $1`, [who]);
    expect(u!.locked).toBe(true);
    expect((await pinSignIn(cafe, frontKiosk.token, who, PIN)).res.statusCode).toBe(423);
  });
});

describe('revoking a kiosk', () => {
  it('a revoked kiosk token answers 401 and the PIN sessions opened on it end', async () => {
    const kiosk = await register(owner, cafe.locationId, 'Stolen tablet');
    const { session } = await pinSignIn(cafe, kiosk.token, cafe.users.staff, PIN);
    expect((await session.get('/api/v1/auth/session')).statusCode).toBe(200);

    const admin = await t.as(cafe, 'admin');
    expect((await admin.delete(`/api/v1/kiosks/${kiosk.id}`)).statusCode).toBe(204);

    const staffList = await device(cafe, kiosk.token).get('/api/v1/kiosk/staff');
    expect(staffList.statusCode).toBe(401);
    expect((await device(cafe, kiosk.token).post('/api/v1/auth/pin-sign-in', { user_id: cafe.users.staff, pin: PIN })).statusCode).toBe(401);
    expect((await session.get('/api/v1/auth/session')).statusCode).toBe(401);
    // Other kiosks carry on.
    expect((await device(cafe, frontKiosk.token).get('/api/v1/kiosk/staff')).statusCode).toBe(200);
  });

  it("another business's kiosk token is refused here", async () => {
    const other = await t.tenant();
    const theirs = await register(await t.as(other, 'owner'), other.locationId, 'Their tablet');
    const r = await device(cafe, theirs.token).get('/api/v1/kiosk/staff');
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('credential_not_for_this_tenant');
    const pin = await device(cafe, theirs.token).post('/api/v1/auth/pin-sign-in', { user_id: cafe.users.staff, pin: PIN });
    expect(pin.statusCode).toBe(401);
  });
});

describe('PIN rate limit', () => {
  it('PIN sign-in from one address gets thirty attempts per fifteen minutes, then 429', async () => {
    const bar = await t.tenant();
    const kiosk = await register(await t.as(bar, 'owner'), bar.locationId, 'Bar tablet');
    const stranger = '01938f5e-0000-7000-8000-000000000000';
    for (let i = 0; i < 30; i++) expect((await pinSignIn(bar, kiosk.token, stranger, '1111')).res.statusCode).toBe(400);
    const blocked = await pinSignIn(bar, kiosk.token, bar.users.staff, PIN);
    expect(blocked.res.statusCode).toBe(429);
    expect(blocked.res.json().code).toBe('rate_limited');
    expect(blocked.res.headers['ratelimit-limit']).toBe('30');
  });
});
