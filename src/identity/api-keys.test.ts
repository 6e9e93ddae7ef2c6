import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, testApp, type TestApp } from '../../test/harness.ts';
import { pgDriver, type Driver } from '../core/db/driver.ts';
import { ROLES } from '../core/db/migrate.ts';
import { buildServer } from '../server.ts';
import type { SeededTenant } from '../platform/demo.ts';
import { apiKeyPrincipal } from './api-keys.ts';
import { PERMISSIONS, PERSON_ONLY, ROLE_PERMISSIONS } from './permissions.ts';

let t: TestApp;
let bistro: SeededTenant;
let owner: Client;
/** A second site of the bistro, with a queue of its own. */
let terrace: { locationId: string; queueId: string };
/** A queue at the bistro's main location. */
let mainQueue: string;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const host = (tenant: SeededTenant) => `${tenant.slug}.localhost`;
const secretOf = (token: string) => token.split('.')[1]!;

beforeAll(async () => {
  t = await testApp();
  bistro = await t.tenant();
  owner = await t.as(bistro, 'owner');
  const loc = await owner.post('/api/v1/locations', { name: 'Terrace', time_zone: 'UTC' });
  expect(loc.statusCode, loc.body).toBe(201);
  const q = await owner.post('/api/v1/waitlist/queues', { location_id: loc.json().id, name: 'Terrace tables' });
  expect(q.statusCode, q.body).toBe(201);
  terrace = { locationId: loc.json().id, queueId: q.json().id };
  const main = await owner.post('/api/v1/waitlist/queues', { location_id: bistro.locationId, name: 'Evening line' });
  expect(main.statusCode, main.body).toBe(201);
  mainQueue = main.json().id;
});
afterAll(() => t.close());

async function createKey(body: Record<string, unknown>, by = owner) {
  const r = await by.post('/api/v1/api-keys', { name: `POS ${randomUUID().slice(0, 6)}`, ...body });
  expect(r.statusCode, r.body).toBe(201);
  return r.json() as { api_key: { id: string; name: string; role: string; location_id: string | null; last_used_at: string | null }; token: string };
}

/** An external system holding the key: no cookies, just the bearer token. */
function integration(token: string, tenant = bistro, app = t.app): Client {
  const c = new Client(app, host(tenant));
  c.headers.authorization = `Bearer ${token}`;
  return c;
}

describe('creating an API key', () => {
  it('an owner creates a key for the POS, sees its token once, and the database keeps only its hash', async () => {
    const { api_key, token } = await createKey({ name: 'Till integration', role: 'manager', location_id: bistro.locationId });
    expect(api_key).toMatchObject({ name: 'Till integration', role: 'manager', location_id: bistro.locationId, last_used_at: null });
    expect(token).toMatch(/^bak_/);
    const secret = secretOf(token);

    const list = await owner.get('/api/v1/api-keys');
    expect(list.statusCode).toBe(200);
    expect(list.json().items.find((k: { id: string }) => k.id === api_key.id)).toEqual({ ...api_key, revoked_at: null });
    expect(list.body).not.toContain(secret);
    expect(list.body).not.toContain('token');

    const [row] = await t.db.admin(`SELECT encode(token_hash, 'hex') AS h FROM api_keys WHERE id = $1`, [api_key.id]);
    expect(row!.h).toBe(sha256(secret));
    // Nowhere in any of the business's rows, the audit trail included, is the secret or the token written out.
    const tables = await t.db.admin(`SELECT DISTINCT table_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id'`);
    for (const { name } of tables) {
      const [found] = await t.db.admin(`SELECT count(*)::int AS n FROM "${String(name)}" x WHERE x.tenant_id = $1 AND to_jsonb(x)::text LIKE '%' || $2 || '%'`, [bistro.id, secret]);
      expect(found!.n, `${String(name)} holds the key's secret`).toBe(0);
    }
    const [audit] = await t.db.admin(`SELECT risk, actor_id, changes FROM audit_log WHERE tenant_id = $1 AND action = 'identity.api_key_created' AND resource_id = $2`, [bistro.id, api_key.id]);
    expect(audit).toMatchObject({ risk: 'high', actor_id: bistro.users.owner, changes: { role: 'manager', name: 'Till integration' } });
  });

  it('refuses what a key cannot be, naming the field: an unknown role, the owner, a missing or foreign location', async () => {
    const other = await t.tenant();
    const refusals: [Record<string, unknown>, string, string][] = [
      [{ role: 'head_chef' }, 'body.role', 'invalid_value'],
      [{ role: 'owner' }, 'body.role', 'owner_needs_a_person'],
      [{ role: 'staff' }, 'body.location_id', 'required'],
      [{ role: 'staff', location_id: other.locationId }, 'body.location_id', 'not_found'],
      [{ role: 'auditor', location_id: bistro.locationId }, 'body.location_id', 'not_applicable'],
      [{ role: 'auditor', name: 'x'.repeat(81) }, 'body.name', ''],
      [{ role: 'auditor', tenant_id: other.id }, 'body', ''],
    ];
    for (const [body, field, code] of refusals) {
      const r = await owner.post('/api/v1/api-keys', { name: 'Bad key', ...body });
      expect(r.statusCode, `${JSON.stringify(body)}: ${r.body}`).toBe(400);
      const errors = r.json().errors as { field: string; code: string }[];
      expect(errors.some((e) => e.field.startsWith(field) && (!code || e.code === code)), `${JSON.stringify(body)}: ${r.body}`).toBe(true);
    }
    const [n] = await t.db.admin(`SELECT count(*)::int AS n FROM api_keys WHERE tenant_id = $1 AND name = 'Bad key'`, [bistro.id]);
    expect(n!.n).toBe(0);
  });

  it('only the owner and admins manage keys', async () => {
    const admin = await t.as(bistro, 'admin');
    await createKey({ role: 'auditor' }, admin);
    for (const role of ['location_manager', 'manager', 'staff', 'auditor'] as const) {
      const person = await t.as(bistro, role);
      expect((await person.get('/api/v1/api-keys')).statusCode, role).toBe(403);
      expect((await person.post('/api/v1/api-keys', { name: 'Mine', role: 'auditor' })).statusCode, role).toBe(403);
    }
  });
});

describe('what a key may do', () => {
  it('holds its role’s permissions at its location, and none that only a person may', () => {
    const key = apiKeyPrincipal(bistro.id, { id: randomUUID(), name: 'Floor POS', role: 'manager', location_id: terrace.locationId });
    expect(key).toMatchObject({ kind: 'api_key', userId: null, label: 'API key "Floor POS"' });
    for (const p of Object.keys(PERMISSIONS) as (keyof typeof PERMISSIONS)[]) {
      const granted = ROLE_PERMISSIONS.manager.includes(p) && !PERSON_ONLY.has(p);
      expect(key.has(p), p).toBe(granted);
      expect(key.scope(p), p).toEqual(granted ? [terrace.locationId] : []);
    }
    const admin = apiKeyPrincipal(bistro.id, { id: randomUUID(), name: 'BI export', role: 'admin', location_id: null });
    expect(admin.scope('waitlist.queue.manage')).toBe('all');
    for (const p of PERSON_ONLY) expect(admin.has(p), p).toBe(false);
  });

  it('adds a guest to the waitlist as an integration: the entry says api and the audit record names the key', async () => {
    const { api_key, token } = await createKey({ name: 'Booking site', role: 'staff', location_id: bistro.locationId });
    const r = await integration(token).post(`/api/v1/waitlist/queues/${mainQueue}/entries`, { name: 'Online booking', party_size: 4 });
    expect(r.statusCode, r.body).toBe(201);
    const [entry] = await t.db.admin(`SELECT source FROM waitlist_entries WHERE tenant_id = $1 AND id = $2`, [bistro.id, r.json().entry.id]);
    expect(entry!.source).toBe('api');
    const [audit] = await t.db.admin(
      `SELECT actor_type, actor_id, actor_label, changes FROM audit_log WHERE tenant_id = $1 AND action = 'waitlist.entry.joined' AND resource_id = $2`,
      [bistro.id, r.json().entry.id],
    );
    expect(audit).toMatchObject({ actor_type: 'api_key', actor_id: api_key.id, actor_label: 'API key "Booking site"', changes: { source: 'api' } });
  });

  it('a paused queue refuses the integration’s guest with the reason', async () => {
    const { token } = await createKey({ role: 'staff', location_id: bistro.locationId });
    const q = (await owner.post('/api/v1/waitlist/queues', { location_id: bistro.locationId, name: 'Brunch', accepting: false })).json();
    const r = await integration(token).post(`/api/v1/waitlist/queues/${q.id}/entries`, { name: 'Online booking', party_size: 2 });
    expect(r.statusCode, r.body).toBe(409);
    expect(r.json()).toMatchObject({ code: 'queue_not_accepting', detail: expect.stringContaining('Brunch') });
  });

  it('a staff key serves the line but cannot open a queue', async () => {
    const { token } = await createKey({ role: 'staff', location_id: bistro.locationId });
    const r = await integration(token).post('/api/v1/waitlist/queues', { location_id: bistro.locationId, name: 'Rogue queue' });
    expect(r.statusCode).toBe(403);
    expect((await integration(token).get(`/api/v1/waitlist/queues/${mainQueue}/board`)).statusCode).toBe(200);
  });

  it('a key for the main room does not find the terrace’s queue', async () => {
    const { token } = await createKey({ role: 'manager', location_id: bistro.locationId });
    const r = await integration(token).post(`/api/v1/waitlist/queues/${terrace.queueId}/entries`, { name: 'Lost guest', party_size: 2 });
    expect(r.statusCode, r.body).toBe(404);
    expect((await integration(token).get(`/api/v1/waitlist/queues/${terrace.queueId}`)).statusCode).toBe(404);
  });

  it('cannot reach what belongs to a person: an account, sessions, more keys, invitations', async () => {
    const { token } = await createKey({ role: 'admin' });
    const key = integration(token);
    const tries: [string, string, unknown?][] = [
      ['GET', '/api/v1/auth/session'],
      ['GET', '/api/v1/auth/sessions'],
      ['GET', '/api/v1/auth/activity'],
      ['POST', '/api/v1/auth/sign-out-everywhere'],
      ['GET', '/api/v1/api-keys'],
      ['POST', '/api/v1/api-keys', { name: 'Another', role: 'admin' }],
      ['POST', '/api/v1/invitations', { email: 'new@example.com', role: 'staff', location_id: bistro.locationId }],
    ];
    for (const [method, url, body] of tries) {
      const r = await key.request(method, url, body);
      expect(r.statusCode, `${method} ${url}: ${r.body}`).toBe(403);
    }
    // What its admin role does allow, it may.
    expect((await key.get('/api/v1/locations')).statusCode).toBe(200);
  });

  it('two integrations choosing the same Idempotency-Key each get their own guest', async () => {
    const [a, b] = [await createKey({ role: 'staff', location_id: bistro.locationId }), await createKey({ role: 'staff', location_id: bistro.locationId })];
    const headers = { 'idempotency-key': 'booking-1' };
    const body = { name: 'Same booking number', party_size: 2 };
    const first = await integration(a.token).post(`/api/v1/waitlist/queues/${mainQueue}/entries`, body, headers);
    const second = await integration(b.token).post(`/api/v1/waitlist/queues/${mainQueue}/entries`, body, headers);
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.json().entry.id).not.toBe(first.json().entry.id);
  });

  it('records when a key was last used, at most once a minute', async () => {
    const { api_key, token } = await createKey({ role: 'auditor' });
    const lastUsed = async () => (await t.db.admin(`SELECT last_used_at FROM api_keys WHERE id = $1`, [api_key.id]))[0]!.last_used_at as Date | null;
    expect((await integration(token).get('/api/v1/locations')).statusCode).toBe(200);
    const first = await lastUsed();
    expect(first).not.toBeNull();
    // Thirty seconds ago: a request now must not write again.
    await t.db.admin(`UPDATE api_keys SET last_used_at = now() - interval '30 seconds' WHERE id = $1`, [api_key.id]);
    const recent = await lastUsed();
    await integration(token).get('/api/v1/locations');
    expect(await lastUsed()).toEqual(recent);
    await t.db.admin(`UPDATE api_keys SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, [api_key.id]);
    const old = await lastUsed();
    await integration(token).get('/api/v1/locations');
    expect((await lastUsed())!.getTime()).toBeGreaterThan(old!.getTime() + 100_000);
  });

  it('a key of the bistro is refused on another business’s address', async () => {
    const other = await t.tenant();
    const { token } = await createKey({ role: 'admin' });
    const r = await integration(token, other).get('/api/v1/locations');
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('credential_not_for_this_tenant');
  });
});

describe('revoking a key', () => {
  it('a revoked key is refused at once, and another business cannot revoke it', async () => {
    const { api_key, token } = await createKey({ role: 'staff', location_id: bistro.locationId });
    const pos = integration(token);
    expect((await pos.get(`/api/v1/waitlist/queues/${mainQueue}/board`)).statusCode).toBe(200);

    const other = await t.tenant();
    const stranger = await t.as(other, 'owner');
    expect((await stranger.delete(`/api/v1/api-keys/${api_key.id}`)).statusCode).toBe(404);
    expect((await pos.get(`/api/v1/waitlist/queues/${mainQueue}/board`)).statusCode).toBe(200);

    expect((await owner.delete(`/api/v1/api-keys/${api_key.id}`)).statusCode).toBe(204);
    expect((await pos.get(`/api/v1/waitlist/queues/${mainQueue}/board`)).statusCode).toBe(401);
    const listed = (await owner.get('/api/v1/api-keys')).json().items.find((k: { id: string }) => k.id === api_key.id);
    expect(listed.revoked_at).not.toBeNull();
    const [audit] = await t.db.admin(`SELECT risk, actor_id FROM audit_log WHERE tenant_id = $1 AND action = 'identity.api_key_revoked' AND resource_id = $2`, [bistro.id, api_key.id]);
    expect(audit).toMatchObject({ risk: 'high', actor_id: bistro.users.owner });
  });

  /**
   * Two instances need two processes' worth of connections to one database, which only the PostgreSQL server gives
   * (see test/realtime.test.ts); on PGlite the test above is the whole story.
   */
  if (process.env.DATABASE_URL) {
    describe('on two instances behind a load balancer', () => {
      let second: { app: Awaited<ReturnType<typeof buildServer>>; driver: Driver };
      beforeAll(async () => {
        const [row] = await t.db.admin('SELECT current_database() AS name');
        const url = new URL(process.env.DATABASE_URL!);
        url.pathname = `/${String(row!.name)}`;
        url.username = ROLES.app;
        url.password = '';
        const platform = new URL(url);
        platform.username = ROLES.platform;
        const driver = pgDriver(url.toString(), { max: 4, platform: { url: platform.toString(), max: 2 } });
        const app = await buildServer(t.config, { driver, startJobs: false });
        await app.ready();
        second = { app, driver };
      });
      afterAll(async () => {
        await second?.app.close();
        await second?.driver.close();
      });

      it('a key revoked through one instance is refused by the other at once', async () => {
        const { api_key, token } = await createKey({ role: 'auditor' });
        const viaSecond = integration(token, bistro, second.app);
        expect((await viaSecond.get('/api/v1/locations')).statusCode).toBe(200);
        expect((await owner.delete(`/api/v1/api-keys/${api_key.id}`)).statusCode).toBe(204);
        expect((await viaSecond.get('/api/v1/locations')).statusCode).toBe(401);
      });
    });
  }
});
