import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, testApp, type Client, type TestApp } from '../../test/harness.ts';
import { startMailCatcher, type MailCatcher } from '../../test/mail.ts';
import { createRegister } from '../cash/service.ts';
import type { SeededTenant } from './demo.ts';

let mail: MailCatcher;
let t: TestApp;
let admin: Client;

beforeAll(async () => {
  mail = await startMailCatcher();
  t = await testApp({ SMTP_URL: mail.url });
  admin = await t.platformAdmin();
});
afterAll(async () => {
  await t.close();
  await mail.close();
});

const SYSTEM = { type: 'system' as const, id: null, label: 'test' };

async function statusOf(id: string): Promise<string> {
  const [r] = await t.db.admin(`SELECT status FROM tenants WHERE id = $1`, [id]);
  return String(r!.status);
}

/** Every business starts with a queue (its template's starter data). */
async function starterQueueOf(tenantId: string): Promise<string> {
  const [q] = await t.db.admin(`SELECT id FROM waitlist_queues WHERE tenant_id = $1`, [tenantId]);
  return String(q!.id);
}

async function move(id: string, status: string, reason = 'test') {
  return admin.post(`/api/v1/platform/tenants/${id}/status`, { status, reason });
}

async function overrides(id: string, body: { features?: Record<string, boolean>; limits?: Record<string, number | null> }) {
  const r = await admin.put(`/api/v1/platform/tenants/${id}/overrides`, body);
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}

describe('the operator creates a business', () => {
  it('on a 14-day trial: the owner receives the invitation by email, accepts it and signs in', async () => {
    const free = await admin.get('/api/v1/platform/slug-availability?slug=harbour-grill');
    expect(free.json()).toEqual({ slug: 'harbour-grill', available: true });

    const r = await admin.post('/api/v1/platform/tenants', { slug: 'harbour-grill', name: 'Harbour Grill', owner_email: 'Ines@Harbour.example', plan: 'basic' });
    expect(r.statusCode, r.body).toBe(201);
    const id = r.json().id as string;
    expect(r.json()).toMatchObject({ slug: 'harbour-grill', status: 'trial', plan: 'basic' });

    expect((await admin.get('/api/v1/platform/slug-availability?slug=harbour-grill')).json().available).toBe(false);
    const taken = await admin.post('/api/v1/platform/tenants', { slug: 'harbour-grill', name: 'Other', owner_email: 'x@example.com' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: 'slug_taken', errors: [{ field: 'body.slug' }] });
    const bad = await admin.post('/api/v1/platform/tenants', { slug: '-Bad Slug', name: 'Other', owner_email: 'x@example.com' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('body.slug');

    // The trial ends in 14 days, by a durable job queued with the business.
    const [trial] = await t.db.admin(
      `SELECT round(extract(epoch FROM t.trial_ends_at - t.created_at) / 86400)::int AS days,
              round(extract(epoch FROM j.run_at - t.created_at) / 86400)::int AS job_days
         FROM tenants t JOIN jobs j ON j.tenant_id = t.id AND j.kind = 'platform.trial_end' WHERE t.id = $1`,
      [id],
    );
    expect(trial).toEqual({ days: 14, job_days: 14 });

    await t.app.brigade.jobs.drain();
    const message = await mail.next((m) => m.to.includes('ines@harbour.example'));
    expect(message.subject).toBe('Your business Harbour Grill is ready on Brigade');
    const token = /invite#(bi_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(message.text)![1]!;
    const owner = new (admin.constructor as typeof Client)(t.app, 'harbour-grill.localhost');
    const accepted = await owner.post('/api/v1/auth/accept-invitation', { token, name: 'Ines Owner', password: 'a long and fresh passphrase' });
    expect(accepted.statusCode, accepted.body).toBe(200);
    const session = await owner.get('/api/v1/auth/session');
    expect(session.json().roles).toEqual([expect.objectContaining({ role: 'owner' })]);

    // Both logs know; the operator's detail shows the owner, the plan and its usage.
    expect(await t.db.admin(`SELECT action FROM platform_audit_log WHERE target_tenant_id = $1`, [id])).toEqual([{ action: 'tenant.created' }]);
    const ownLog = await t.db.admin(`SELECT action, actor_label FROM audit_log WHERE tenant_id = $1 AND action = 'tenant.created'`, [id]);
    expect(ownLog).toHaveLength(1);
    const detail = (await admin.get(`/api/v1/platform/tenants/${id}`)).json();
    expect(detail).toMatchObject({ status: 'trial', plan: 'basic', users: [{ email: 'ines@harbour.example', roles: ['owner'] }] });
    expect(detail.entitlements.limits).toMatchObject({ locations: 1, requests_per_15_minutes: 500 });
    expect(detail.usage).toMatchObject({ employees: 1, users: 1, locations: 0 });

    const list = (await admin.get('/api/v1/platform/tenants?status=trial&plan=basic&q=harbour')).json();
    expect(list.items.map((i: { slug: string }) => i.slug)).toEqual(['harbour-grill']);
  });
});

describe('the lifecycle', () => {
  it('moves along every allowed step, audited in both logs; a step that makes no sense is refused', async () => {
    const biz = await t.tenant();
    const steps = ['past_due', 'active', 'suspended', 'active', 'cancelled', 'active', 'past_due', 'suspended', 'cancelled'];
    for (const to of steps) {
      const r = await move(biz.id, to, `to ${to}`);
      expect(r.statusCode, `${to}: ${r.body}`).toBe(200);
      expect(r.json().status).toBe(to);
    }
    const platformLog = await t.db.admin(`SELECT action FROM platform_audit_log WHERE target_tenant_id = $1 AND action <> 'tenant.created' ORDER BY at`, [biz.id]);
    expect(platformLog.map((r) => r.action)).toEqual(steps.map((s) => `tenant.${s}`));
    const ownLog = await t.db.admin(`SELECT action, changes->>'reason' AS reason FROM audit_log WHERE tenant_id = $1 AND action LIKE 'tenant.%' AND action <> 'tenant.seeded' ORDER BY seq`, [biz.id]);
    expect(ownLog.map((r) => r.action)).toEqual(steps.map((s) => `tenant.${s}`));
    expect(ownLog.at(-1)!.reason).toBe('to cancelled');

    // Cancelled: only reactivation; trial is never a way back; purged only by the scheduled job.
    const wrong = await move(biz.id, 'past_due');
    expect(wrong.statusCode).toBe(409);
    expect(wrong.json()).toMatchObject({ code: 'invalid_transition', from: 'cancelled', allowed: ['active'], errors: [{ field: 'body.status' }] });
    expect((await move(biz.id, 'trial')).statusCode).toBe(409);
    const purge = await move(biz.id, 'purged');
    expect(purge.statusCode).toBe(400);
    expect(purge.json().errors[0]).toMatchObject({ field: 'body.status', code: 'purge_is_scheduled' });
    expect(await statusOf(biz.id)).toBe('cancelled');
    const stale = await admin.post(`/api/v1/platform/tenants/${biz.id}/status`, { status: 'active', reason: 'x', version: 1 });
    expect(stale.json().code).toBe('stale_version');
    expect((await move('01900000-0000-7000-8000-000000000000', 'active')).statusCode).toBe(404);
  });

  it('a suspended business: sign-in says so, the API and guest pages answer tenant_suspended, and nothing is lost', async () => {
    const biz = await t.tenant();
    const owner = await t.as(biz, 'owner');
    const queue = await starterQueueOf(biz.id);
    const before = await t.db.admin(`SELECT count(*)::int AS n FROM users WHERE tenant_id = $1`, [biz.id]);

    expect((await move(biz.id, 'suspended', 'payment failed')).statusCode).toBe(200);
    const signIn = await t.anonymous(biz).post('/api/v1/auth/sign-in', { email: `manager@${biz.slug}.brigade.test`, password: PASSWORD });
    expect(signIn.statusCode).toBe(403);
    expect(signIn.json()).toMatchObject({ code: 'tenant_suspended', detail: expect.stringContaining('suspended') });
    const api = await owner.get('/api/v1/locations');
    expect(api.json().code).toBe('tenant_suspended');
    const guest = await t.anonymous(biz).get(`/api/v1/public/waitlist/queues/${queue}`);
    expect(guest.json().code).toBe('tenant_suspended');
    expect(await t.db.admin(`SELECT count(*)::int AS n FROM users WHERE tenant_id = $1`, [biz.id])).toEqual(before);

    expect((await move(biz.id, 'active', 'paid')).statusCode).toBe(200);
    expect((await owner.get('/api/v1/locations')).statusCode).toBe(200);
    expect((await t.anonymous(biz).get(`/api/v1/public/waitlist/queues/${queue}`)).statusCode).toBe(200);
  });

  it('a trial that ends unpaid is suspended by its durable job; an extended trial waits for its new end', async () => {
    const r = await admin.post('/api/v1/platform/tenants', { slug: `trial-${Date.now().toString(36)}`, name: 'Trial Cafe', owner_email: 'o@trial.example' });
    const id = r.json().id as string;
    // Extended by the operator: the job comes due but the trial has not ended, so it waits.
    await t.db.admin(`UPDATE tenants SET trial_ends_at = now() + interval '3 days' WHERE id = $1`, [id]);
    await t.db.admin(`UPDATE jobs SET run_at = now() WHERE tenant_id = $1 AND kind = 'platform.trial_end'`, [id]);
    await t.app.brigade.jobs.drain();
    expect(await statusOf(id)).toBe('trial');
    const [waiting] = await t.db.admin(
      `SELECT round(extract(epoch FROM run_at - now()) / 86400)::int AS days FROM jobs WHERE tenant_id = $1 AND kind = 'platform.trial_end' AND status = 'pending'`,
      [id],
    );
    expect(waiting).toEqual({ days: 3 });

    await t.db.admin(`UPDATE tenants SET trial_ends_at = now() - interval '1 minute' WHERE id = $1`, [id]);
    await t.db.admin(`UPDATE jobs SET run_at = now() WHERE tenant_id = $1 AND kind = 'platform.trial_end' AND status = 'pending'`, [id]);
    await t.app.brigade.jobs.drain();
    expect(await statusOf(id)).toBe('suspended');
    const [log] = await t.db.admin(`SELECT reason, actor_label FROM tenant_status_changes WHERE tenant_ref = $1 ORDER BY at DESC LIMIT 1`, [id]);
    expect(log).toEqual({ reason: 'trial ended', actor_label: 'job:platform.trial_end' });
  });

  it('cancelled: the owner downloads the full export by the mailed link; 30 days later the purge leaves no row of the business', async () => {
    const biz = await t.tenant();
    // Rows in every module: people, sessions, audit (seeded), a queue with a guest, a register, mail.
    const owner = await t.as(biz, 'owner');
    await t.app.brigade.db.withTenant(biz.id, SYSTEM, 'write', (tx) => createRegister(tx, { location_id: biz.locationId, name: 'Bar' }));
    const queue = await starterQueueOf(biz.id);
    const join = await t.anonymous(biz).post(`/api/v1/public/waitlist/queues/${queue}/entries`, { name: 'Ada', phone: '+12125550123', party_size: 2 });
    expect(join.statusCode, join.body).toBe(201);
    const other = await t.tenant();
    const otherRows = await rowsOf(other.id);

    expect((await move(biz.id, 'cancelled', 'closing the restaurant')).statusCode).toBe(200);
    await t.app.brigade.jobs.drain();
    const message = await mail.next((m) => m.to.includes(`owner@${biz.slug}.brigade.test`) && m.subject.includes('cancelled'));
    const link = new RegExp(`http://${biz.slug}\\.localhost:3000(/api/v1/public/export\\?token=bx_[A-Za-z0-9_.-]+)`).exec(message.text);
    expect(link, message.text).not.toBeNull();

    // Sign-in and the API are closed like a suspension's; the export link works.
    expect((await owner.get('/api/v1/locations')).json().code).toBe('tenant_suspended');
    const exported = await t.anonymous(biz).get(link![1]!);
    expect(exported.statusCode, exported.body).toBe(200);
    expect(exported.headers['content-disposition']).toContain(`${biz.slug}-export.json`);
    const data = exported.json();
    expect(data.business).toMatchObject({ id: biz.id, slug: biz.slug });
    expect(data.tables.users).toHaveLength(7);
    expect(data.tables.waitlist_entries).toEqual([expect.objectContaining({ name: 'Ada' })]);
    expect(data.tables.cash_registers.map((r: { name: string }) => r.name)).toContain('Bar');
    expect(exported.body).not.toContain('password_hash');
    expect(exported.body).not.toContain(other.id);
    // Every download is in the business's own trail, with the address it came from.
    expect(await t.db.admin(`SELECT actor_label, risk, ip IS NOT NULL AS has_ip FROM audit_log WHERE tenant_id = $1 AND action = 'tenant.export_downloaded'`, [biz.id])).toEqual([
      { actor_label: 'export link', risk: 'critical', has_ip: true },
    ]);
    // The link is the business's own: worthless elsewhere, and a made-up one finds nothing.
    expect((await t.anonymous(other).get(link![1]!)).statusCode).toBe(404);
    expect((await t.anonymous(biz).get('/api/v1/public/export?token=bx_made.up-token')).statusCode).toBe(404);

    // The purge is already scheduled for the end of the 30 days; before then it refuses to run early.
    const [job] = await t.db.admin(`SELECT round(extract(epoch FROM run_at - now()) / 86400)::int AS days FROM jobs WHERE tenant_id = $1 AND kind = 'platform.purge'`, [biz.id]);
    expect(job).toEqual({ days: 30 });
    await t.db.admin(`UPDATE jobs SET run_at = now() WHERE tenant_id = $1 AND kind = 'platform.purge'`, [biz.id]);
    await t.app.brigade.jobs.drain();
    expect(await statusOf(biz.id)).toBe('cancelled');

    await t.db.admin(`UPDATE tenants SET cancelled_at = now() - interval '30 days 1 minute' WHERE id = $1`, [biz.id]);
    await t.db.admin(`UPDATE jobs SET run_at = now() WHERE tenant_id = $1 AND kind = 'platform.purge' AND status = 'pending'`, [biz.id]);
    await t.app.brigade.jobs.drain();
    expect(await statusOf(biz.id)).toBe('purged');
    const left = await rowsOf(biz.id);
    expect(Object.keys(left).length, JSON.stringify(left)).toBeGreaterThan(15);
    expect(Object.entries(left).filter(([, n]) => n > 0)).toEqual([]);
    // The other business is untouched (but for the meter counting the call made on its address), and the platform
    // keeps the record of what happened.
    const { usage_daily: _u, usage_active_users: _a, ...otherNow } = await rowsOf(other.id);
    const { usage_daily: _ub, usage_active_users: _ab, ...otherBefore } = otherRows;
    expect(otherNow).toEqual(otherBefore);
    const [purged] = await t.db.admin(`SELECT (changes->>'rows_removed')::int AS n FROM platform_audit_log WHERE target_tenant_id = $1 AND action = 'tenant.purged'`, [biz.id]);
    expect(purged!.n).toBeGreaterThan(20);
    expect((await t.anonymous(biz).get(link![1]!)).statusCode).toBe(404);
  });

  it('the purge refuses a business that is not cancelled, even when called directly', async () => {
    const biz = await t.tenant();
    const as = (role: string) => `DO $$ BEGIN SET LOCAL ROLE ${role}; PERFORM brigade_purge_tenant('${biz.id}'); END $$`;
    await expect(t.db.admin(as('brigade_platform'))).rejects.toThrow(/not cancelled/);
    await expect(t.db.admin(as('brigade_app'))).rejects.toThrow(/permission denied/);
    expect(await statusOf(biz.id)).toBe('active');
  });
});

/** Rows per table that has a tenant_id, for one tenant (as the superuser, past row-level security). */
async function rowsOf(tenantId: string): Promise<Record<string, number>> {
  const tables = await t.db.admin(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attname = 'tenant_id' ORDER BY 1`,
  );
  const out: Record<string, number> = {};
  for (const { name } of tables) {
    const [r] = await t.db.admin(`SELECT count(*)::int AS n FROM "${String(name)}" WHERE tenant_id = $1`, [tenantId]);
    out[String(name)] = Number(r!.n);
  }
  return out;
}

describe('plans, limits and feature flags', () => {
  let biz: SeededTenant;
  let owner: Client;
  beforeAll(async () => {
    biz = await t.tenant();
    owner = await t.as(biz, 'owner');
  });

  it('creating past a limit is refused with limit_exceeded naming it, and nothing is written', async () => {
    await overrides(biz.id, { limits: { locations: 1, queues_per_location: 2, employees: 8 } });
    const loc = await owner.post('/api/v1/locations', { name: 'Second room', time_zone: 'America/New_York' });
    expect(loc.statusCode).toBe(403);
    expect(loc.json()).toMatchObject({ code: 'limit_exceeded', limit: 'locations', used: 1, allowed: 1 });
    expect(await t.db.admin(`SELECT count(*)::int AS n FROM locations WHERE tenant_id = $1`, [biz.id])).toEqual([{ n: 1 }]);

    const q1 = await owner.post('/api/v1/waitlist/queues', { location_id: biz.locationId, name: 'Patio' });
    expect(q1.statusCode, q1.body).toBe(201);
    const q2 = await owner.post('/api/v1/waitlist/queues', { location_id: biz.locationId, name: 'Bar' });
    expect(q2.json()).toMatchObject({ code: 'limit_exceeded', limit: 'queues_per_location', used: 2, allowed: 2 });

    // Seven people: one more invitation fits, the next does not (a pending invitation holds its place).
    const i1 = await owner.post('/api/v1/invitations', { email: 'eighth@example.com', role: 'staff', location_id: biz.locationId });
    expect(i1.statusCode, i1.body).toBe(201);
    const i2 = await owner.post('/api/v1/invitations', { email: 'ninth@example.com', role: 'staff', location_id: biz.locationId });
    expect(i2.json()).toMatchObject({ code: 'limit_exceeded', limit: 'employees', used: 8, allowed: 8 });

    // Lifting the limit (null) lets the business grow again.
    await overrides(biz.id, { limits: { locations: null } });
    expect((await owner.post('/api/v1/locations', { name: 'Second room', time_zone: 'America/New_York' })).statusCode).toBe(201);
  });

  it('two requests racing for the last place: exactly one wins', async () => {
    const racer = await t.tenant();
    const o = await t.as(racer, 'owner');
    await overrides(racer.id, { limits: { locations: 3 } });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => o.post('/api/v1/locations', { name: `Room ${i}`, time_zone: 'UTC' })),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(2);
    expect(results.filter((r) => r.statusCode === 403).every((r) => r.json().code === 'limit_exceeded')).toBe(true);
    expect(await t.db.admin(`SELECT count(*)::int AS n FROM locations WHERE tenant_id = $1`, [racer.id])).toEqual([{ n: 3 }]);
  });

  it('a feature switched off for one business answers feature_disabled for its staff and guests; other modules go on', async () => {
    const cafe = await t.tenant();
    const manager = await t.as(cafe, 'manager');
    const queue = await starterQueueOf(cafe.id);
    await overrides(cafe.id, { features: { waitlist: false } });
    const board = await manager.get('/api/v1/waitlist/queues');
    expect(board.statusCode).toBe(403);
    expect(board.json()).toMatchObject({ code: 'feature_disabled', feature: 'waitlist' });
    expect((await t.anonymous(cafe).get(`/api/v1/public/waitlist/queues/${queue}`)).json().code).toBe('feature_disabled');
    expect((await manager.get('/api/v1/cash/registers')).statusCode).toBe(200);
    // Another business keeps its waitlist.
    expect((await owner.get('/api/v1/waitlist/queues')).statusCode).toBe(200);

    await overrides(cafe.id, { features: {} });
    expect((await manager.get('/api/v1/waitlist/queues')).statusCode).toBe(200);
  });

  it('a downgrade the business has outgrown is refused with the list of what is over', async () => {
    const shop = await t.tenant();
    const down = await admin.put(`/api/v1/platform/tenants/${shop.id}/plan`, { plan: 'basic' });
    expect(down.statusCode).toBe(409);
    // Seven people, six of them with back-office roles; basic allows 5 users.
    expect(down.json()).toMatchObject({ code: 'plan_limits_exceeded', over: [{ limit: 'users', used: 6, allowed: 5 }] });
    expect((await admin.get(`/api/v1/platform/tenants/${shop.id}`)).json().plan).toBe('enterprise');

    const up = await admin.put(`/api/v1/platform/tenants/${shop.id}/plan`, { plan: 'professional' });
    expect(up.statusCode, up.body).toBe(200);
    expect(up.json().entitlements.features).not.toContain('sso');
    const log = await t.db.admin(`SELECT changes FROM audit_log WHERE tenant_id = $1 AND action = 'tenant.plan_changed'`, [shop.id]);
    expect(log).toEqual([{ changes: { from: 'enterprise', to: 'professional' } }]);
  });

  it('requests are counted per business against its plan, with RateLimit headers', async () => {
    const busy = await t.tenant();
    const o = await t.as(busy, 'owner');
    const first = await o.get('/api/v1/locations');
    expect(first.headers['ratelimit-limit']).toBe('10000');
    await overrides(busy.id, { limits: { requests_per_15_minutes: 3 } });
    // The request above already counted: two more fit in the window, the third is refused.
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push(await o.get('/api/v1/locations'));
    expect(seen.map((r) => r.statusCode)).toEqual([200, 200, 429]);
    expect(seen[1]!.headers['ratelimit-remaining']).toBe('0');
    expect(seen[2]!.headers['ratelimit-remaining']).toBe('0');
    expect(Number(seen[2]!.headers['retry-after'])).toBeGreaterThan(0);
    expect(seen[2]!.json().code).toBe('rate_limited');
    // Another business is not slowed by it.
    expect((await owner.get('/api/v1/locations')).statusCode).toBe(200);
  });

  it('a plan without a request limit keeps the routes’ own limits: ten wrong current passwords, then 429', async () => {
    const roomy = await t.tenant();
    await overrides(roomy.id, { limits: { requests_per_15_minutes: null } });
    const o = await t.as(roomy, 'owner');
    expect((await o.get('/api/v1/locations')).headers['ratelimit-limit']).toBeUndefined();
    const tries = [];
    for (let i = 0; i < 11; i++) tries.push((await o.post('/api/v1/auth/password', { current_password: 'not it at all', new_password: 'a brand new passphrase 2026' })).statusCode);
    expect(tries.slice(0, 10).every((s) => s !== 429)).toBe(true);
    expect(tries[10]).toBe(429);
  });

  it('the owner sees the plan, its limits and the usage against them; others may not', async () => {
    const shop = await t.tenant();
    const o = await t.as(shop, 'owner');
    const r = await o.get('/api/v1/usage');
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ entitlements: { plan: 'enterprise', limits: { employees: 500 } }, usage: { locations: 1, employees: 7, users: 6, queues_per_location: 1 } });
    expect((await (await t.as(shop, 'manager')).get('/api/v1/usage')).statusCode).toBe(403);
  });
});

describe('self-service sign-up', () => {
  it('a bar signs up, confirms its email, and opens on a trial with its template’s features and starter data', async () => {
    const visitor = t.anonymous(null);
    const slug = `corner-bar-${Date.now().toString(36)}`;
    expect((await visitor.get(`/api/v1/sign-up/slug-availability?slug=${slug}`)).json()).toEqual({ slug, available: true });
    const r = await visitor.post('/api/v1/sign-up', { business_name: 'Corner Bar', slug, email: 'Mo@Corner.example', template: 'bar', time_zone: 'Europe/Dublin' });
    expect(r.statusCode, r.body).toBe(202);
    // Nothing exists until the address is proved.
    expect(await t.db.admin(`SELECT id FROM tenants WHERE slug = $1`, [slug])).toEqual([]);

    const message = await mail.next((m) => m.to.includes('mo@corner.example'));
    expect(message.subject).toBe('Confirm your email to open Corner Bar on Brigade');
    const token = /http:\/\/localhost:3000\/sign-up\/verify#(bsu_[A-Za-z0-9_-]+)/.exec(message.text)![1]!;

    const weak = await visitor.post('/api/v1/sign-up/verify', { token, name: 'Mo', password: 'password' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors[0].field).toBe('body.password');
    const done = await visitor.post('/api/v1/sign-up/verify', { token, name: 'Mo Owner', password: 'a long and fresh passphrase' });
    expect(done.statusCode, done.body).toBe(201);
    expect(done.json()).toMatchObject({ slug, sign_in_url: `http://${slug}.localhost:3000/sign-in`, starter_data: ['waitlist', 'cash'] });
    const id = done.json().tenant_id as string;

    const [tenant] = await t.db.admin(`SELECT status, plan, feature_overrides, time_zone FROM tenants WHERE id = $1`, [id]);
    expect(tenant).toEqual({ status: 'trial', plan: 'professional', feature_overrides: { ordering: false }, time_zone: 'Europe/Dublin' });
    const owner = new (admin.constructor as typeof Client)(t.app, `${slug}.localhost`);
    await owner.signIn('mo@corner.example', 'a long and fresh passphrase');
    const queues = (await owner.get('/api/v1/waitlist/queues')).json().items;
    expect(queues.map((q: { name: string }) => q.name)).toEqual(['Tables']);
    expect((await owner.get('/api/v1/cash/registers')).json().items.map((x: { name: string }) => x.name)).toEqual(['Bar till']);
    expect((await owner.get('/api/v1/locations')).json().items).toEqual([expect.objectContaining({ name: 'Corner Bar', time_zone: 'Europe/Dublin' })]);
    const [trialJob] = await t.db.admin(`SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1 AND kind = 'platform.trial_end'`, [id]);
    expect(trialJob).toEqual({ n: 1 });
    expect(await t.db.admin(`SELECT action FROM platform_audit_log WHERE target_tenant_id = $1`, [id])).toEqual([{ action: 'tenant.signed_up' }]);

    // The link works once; the address is now taken.
    expect((await visitor.post('/api/v1/sign-up/verify', { token, name: 'Mo', password: 'a long and fresh passphrase' })).json().code).toBe('sign_up_link_invalid');
    const again = await visitor.post('/api/v1/sign-up', { business_name: 'Other', slug, email: 'x@example.com' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'slug_taken', errors: [{ field: 'body.slug' }] });
  });

  it('a café starts without the waitlist (its template leaves it off) but with its register', async () => {
    const visitor = t.anonymous(null);
    const slug = `little-cafe-${Date.now().toString(36)}`;
    expect((await visitor.post('/api/v1/sign-up', { business_name: 'Little Café', slug, email: 'lea@cafe.example', template: 'cafe' })).statusCode).toBe(202);
    const token = /verify#(bsu_[A-Za-z0-9_-]+)/.exec((await mail.next((m) => m.to.includes('lea@cafe.example'))).text)![1]!;
    const done = await visitor.post('/api/v1/sign-up/verify', { token, name: 'Léa', password: 'a long and fresh passphrase' });
    expect(done.json().starter_data).toEqual(['cash']);
    const owner = new (admin.constructor as typeof Client)(t.app, `${slug}.localhost`);
    await owner.signIn('lea@cafe.example', 'a long and fresh passphrase');
    expect((await owner.get('/api/v1/waitlist/queues')).json().code).toBe('feature_disabled');
    expect((await owner.get('/api/v1/cash/registers')).json().items).toHaveLength(1);

    // Its template's roles: a café has no auditor or compliance officer until the owner adds one.
    expect((await owner.get('/api/v1/auth/session')).json().tenant.roles_in_use).toEqual(['owner', 'admin', 'manager', 'staff']);
    const refused = await owner.post('/api/v1/invitations', { email: 'acc@cafe.example', role: 'auditor' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors[0]).toMatchObject({ field: 'body.role', code: 'role_not_in_use' });
    expect(await t.db.admin(`SELECT count(*)::int AS n FROM invitations WHERE email = 'acc@cafe.example'`)).toEqual([{ n: 0 }]);
    expect((await owner.put('/api/v1/settings/roles', { roles: ['admin', 'staff'] })).json().errors[0].field).toBe('body.roles');
    const added = await owner.put('/api/v1/settings/roles', { roles: ['auditor', 'owner', 'admin', 'manager', 'staff'] });
    expect(added.statusCode, added.body).toBe(200);
    expect(added.json().roles_in_use).toEqual(['owner', 'admin', 'manager', 'staff', 'auditor']);
    expect((await owner.post('/api/v1/invitations', { email: 'acc@cafe.example', role: 'auditor' })).statusCode).toBe(201);
  });
});

describe('the operator’s session', () => {
  it('says who is signed in and gives a CSRF token; signing out ends it', async () => {
    const op = await t.platformAdmin();
    const s = await op.get('/api/v1/platform/auth/session');
    expect(s.statusCode, s.body).toBe(200);
    expect(s.json()).toMatchObject({ role: 'platform_admin', email: expect.stringMatching(/@brigade\.test$/), csrf_token: expect.any(String) });
    expect(s.json().permissions).toContain('platform.tenants.manage');
    const out = await op.post('/api/v1/platform/auth/sign-out');
    expect(out.statusCode, out.body).toBe(204);
    expect((await op.get('/api/v1/platform/auth/session')).statusCode).toBe(401);
    expect((await op.get('/api/v1/platform/tenants')).statusCode).toBe(401);
  });
});

describe('usage metering', () => {
  it('counts API calls and active people per day; past the daily API calls the plan allows, calls are refused', async () => {
    const shop = await t.tenant();
    const o = await t.as(shop, 'owner');
    const m = await t.as(shop, 'manager');
    for (let i = 0; i < 3; i++) await m.get('/api/v1/locations');
    await t.app.brigade.meter.flush();
    const usage = (await o.get('/api/v1/usage')).json();
    const today = new Date().toISOString().slice(0, 10);
    const metric = (name: string) => usage.daily_usage.find((d: { day: string; metric: string }) => d.day === today && d.metric === name)?.value;
    // Sign-ins are anonymous calls; the three reads, the owner's sign-in check and more are counted.
    expect(metric('api_calls')).toBeGreaterThanOrEqual(5);
    expect(metric('active_users')).toBe(1);
    expect(usage.usage.api_calls_per_day).toBe(metric('api_calls'));

    await overrides(shop.id, { limits: { api_calls_per_day: usage.usage.api_calls_per_day + 3 } });
    const seen = [];
    for (let i = 0; i < 6; i++) seen.push((await m.get('/api/v1/locations')).statusCode);
    expect(seen.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    const refused = await m.get('/api/v1/locations');
    expect(refused.json()).toMatchObject({ code: 'limit_exceeded', limit: 'api_calls_per_day' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // The operator sees the same numbers.
    const detail = (await admin.get(`/api/v1/platform/tenants/${shop.id}`)).json();
    expect(detail.daily_usage.some((d: { metric: string }) => d.metric === 'active_users')).toBe(true);
  });
});

describe('the operator’s overview and tools', () => {
  it('the dashboard counts tenants by status and plan; the platform log lists what was done, by tenant', async () => {
    const biz = await t.tenant();
    await move(biz.id, 'past_due', 'card declined');
    const d = (await admin.get('/api/v1/platform/dashboard')).json();
    expect(d.tenants_by_status.past_due).toBeGreaterThanOrEqual(1);
    expect(d.tenants_by_plan.enterprise).toBeGreaterThanOrEqual(1);
    expect(d.growth.at(-1)).toMatchObject({ month: new Date().toISOString().slice(0, 7), created: expect.any(Number) });
    const log = (await admin.get(`/api/v1/platform/audit?tenant_id=${biz.id}`)).json();
    expect(log.items.map((i: { action: string }) => i.action)).toEqual(['tenant.past_due', 'tenant.created']);
    expect(log.items[0].changes).toMatchObject({ reason: 'card declined' });
  });

  it('signs one person out everywhere, or disables them, recorded in both logs', async () => {
    const biz = await t.tenant();
    const staff = await t.as(biz, 'staff');
    const r = await admin.post(`/api/v1/platform/tenants/${biz.id}/people/sign-out`, { user_id: biz.users.staff, reason: 'phone stolen', disable: true });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ sessions_ended: 1, disabled: true });
    expect((await staff.get('/api/v1/auth/session')).statusCode).toBe(401);
    const again = await t.anonymous(biz).post('/api/v1/auth/sign-in', { email: `staff@${biz.slug}.brigade.test`, password: PASSWORD });
    expect(again.statusCode).toBe(401);
    expect(await t.db.admin(`SELECT action FROM audit_log WHERE tenant_id = $1 AND resource_id = $2`, [biz.id, biz.users.staff])).toContainEqual({ action: 'identity.user.disabled_by_platform' });
    expect(await t.db.admin(`SELECT action FROM platform_audit_log WHERE target_tenant_id = $1 AND resource_id = $2`, [biz.id, biz.users.staff])).toEqual([{ action: 'tenant.person_disabled' }]);
    // Someone of another business is not found through this one.
    const other = await t.tenant();
    expect((await admin.post(`/api/v1/platform/tenants/${biz.id}/people/sign-out`, { user_id: other.users.staff, reason: 'x' })).statusCode).toBe(404);
  });
});

describe('the operator’s people and business tools', () => {
  it('finds a person across businesses by email, and lets a disabled person back in, in both logs', async () => {
    const biz = await t.tenant();
    const found = await admin.get(`/api/v1/platform/users?q=${encodeURIComponent(`staff@${biz.slug}`)}`);
    expect(found.statusCode, found.body).toBe(200);
    expect(found.json().items).toEqual([
      expect.objectContaining({ id: biz.users.staff, tenant_id: biz.id, tenant_slug: biz.slug, status: 'active', roles: ['staff'] }),
    ]);
    await admin.post(`/api/v1/platform/tenants/${biz.id}/people/sign-out`, { user_id: biz.users.staff, reason: 'left', disable: true });
    const disabled = (await admin.get(`/api/v1/platform/users?q=${encodeURIComponent(biz.slug)}&status=disabled`)).json().items;
    expect(disabled.map((p: { id: string }) => p.id)).toEqual([biz.users.staff]);

    const r = await admin.post(`/api/v1/platform/tenants/${biz.id}/people/enable`, { user_id: biz.users.staff, reason: 'came back' });
    expect(r.statusCode, r.body).toBe(200);
    expect((await t.anonymous(biz).post('/api/v1/auth/sign-in', { email: `staff@${biz.slug}.brigade.test`, password: PASSWORD })).statusCode).toBe(200);
    expect(await t.db.admin(`SELECT action FROM audit_log WHERE tenant_id = $1 AND action = 'identity.user.enabled_by_platform'`, [biz.id])).toHaveLength(1);
    expect(await t.db.admin(`SELECT action FROM platform_audit_log WHERE target_tenant_id = $1 AND action = 'tenant.person_enabled'`, [biz.id])).toHaveLength(1);
    const other = await t.tenant();
    expect((await admin.post(`/api/v1/platform/tenants/${biz.id}/people/enable`, { user_id: other.users.staff, reason: 'x' })).statusCode).toBe(404);
  });

  it('renames a business: the address shows the new name at once, a stale form conflicts, both logs record it', async () => {
    const biz = await t.tenant();
    const before = (await admin.get(`/api/v1/platform/tenants/${biz.id}`)).json();
    const r = await admin.patch(`/api/v1/platform/tenants/${biz.id}`, { name: 'Harbour Grill & Bar', version: before.version });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ name: 'Harbour Grill & Bar', version: before.version + 1 });
    expect((await (await t.as(biz, 'staff')).get('/api/v1/auth/session')).json().tenant.name).toBe('Harbour Grill & Bar');
    const stale = await admin.patch(`/api/v1/platform/tenants/${biz.id}`, { name: 'Other', version: before.version });
    expect(stale.statusCode).toBe(409);
    expect((await admin.patch(`/api/v1/platform/tenants/${biz.id}`, { name: '', version: before.version + 1 })).json().errors[0].field).toBe('body.name');
    expect(await t.db.admin(`SELECT changes FROM platform_audit_log WHERE target_tenant_id = $1 AND action = 'tenant.renamed'`, [biz.id])).toEqual([
      { changes: { name: { from: before.name, to: 'Harbour Grill & Bar' } } },
    ]);
    expect(await t.db.admin(`SELECT action FROM audit_log WHERE tenant_id = $1 AND action = 'tenant.renamed'`, [biz.id])).toHaveLength(1);
    const reader = await t.platformAdmin('platform_support');
    expect((await reader.patch(`/api/v1/platform/tenants/${biz.id}`, { name: 'X', version: before.version + 1 })).statusCode).toBe(403);
  });
});

describe('platform settings', () => {
  it('set the trial length, close sign-up, choose its plan and the support address; support reads them only', async () => {
    const reader = await t.platformAdmin('platform_support');
    const current = (await reader.get('/api/v1/platform/settings')).json();
    expect(current).toMatchObject({ trial_days: expect.any(Number), sign_up_open: expect.any(Boolean), version: expect.any(Number) });
    const body = { trial_days: 30, sign_up_open: false, sign_up_plan: 'basic', support_email: 'Help@Brigade.example', version: current.version };
    expect((await reader.put('/api/v1/platform/settings', body)).statusCode).toBe(403);
    const bad = await admin.put('/api/v1/platform/settings', { ...body, trial_days: 365 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('body.trial_days');

    try {
      const saved = await admin.put('/api/v1/platform/settings', body);
      expect(saved.statusCode, saved.body).toBe(200);
      expect(saved.json()).toMatchObject({ trial_days: 30, sign_up_open: false, sign_up_plan: 'basic', support_email: 'help@brigade.example', version: current.version + 1 });
      expect((await admin.put('/api/v1/platform/settings', body)).statusCode).toBe(409);
      expect(await t.db.admin(`SELECT changes->'trial_days' AS c FROM platform_audit_log WHERE action = 'platform.settings_changed' ORDER BY at DESC LIMIT 1`)).toEqual([
        { c: { from: current.trial_days, to: 30 } },
      ]);

      // A new trial lasts the new length, by its durable job too.
      const r = await admin.post('/api/v1/platform/tenants', { slug: 'long-trial', name: 'Long Trial', owner_email: 'o@long.example' });
      expect(r.statusCode, r.body).toBe(201);
      const [trial] = await t.db.admin(
        `SELECT round(extract(epoch FROM t.trial_ends_at - t.created_at) / 86400)::int AS days,
                round(extract(epoch FROM j.run_at - t.created_at) / 86400)::int AS job_days
           FROM tenants t JOIN jobs j ON j.tenant_id = t.id AND j.kind = 'platform.trial_end' WHERE t.id = $1`,
        [r.json().id],
      );
      expect(trial).toEqual({ days: 30, job_days: 30 });

      // Sign-up closed: refused, naming where to write.
      const signUp = await t.anonymous(null).post('/api/v1/sign-up', { business_name: 'Closed Café', slug: 'closed-cafe', email: 'c@closed.example', template: 'cafe', time_zone: 'UTC' });
      expect(signUp.statusCode, signUp.body).toBe(403);
      expect(signUp.json()).toMatchObject({ code: 'sign_up_closed', detail: expect.stringContaining('help@brigade.example') });

      // A suspended business is told where to write.
      const biz = await t.tenant();
      await move(biz.id, 'suspended', 'unpaid');
      const refused = await t.anonymous(biz).post('/api/v1/auth/sign-in', { email: `owner@${biz.slug}.brigade.test`, password: PASSWORD });
      expect(refused.json()).toMatchObject({ code: 'tenant_suspended', detail: expect.stringContaining('help@brigade.example') });
    } finally {
      // Other tests in this file sign up and create trials under the defaults.
      const now = (await admin.get('/api/v1/platform/settings')).json();
      await admin.put('/api/v1/platform/settings', { trial_days: current.trial_days, sign_up_open: true, sign_up_plan: current.sign_up_plan, support_email: null, version: now.version });
    }
  });
});

describe('support access', () => {
  it('only while the owner allows it: a read-only session, in both logs, shown to the business, ended when withdrawn', async () => {
    const biz = await t.tenant();
    const owner = await t.as(biz, 'owner');
    const open = () => admin.post(`/api/v1/platform/tenants/${biz.id}/support-sessions`, { reason: 'flagged count', minutes: 30 });

    const refused = await open();
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('support_access_not_granted');
    // Only the owner decides; an admin may not.
    expect((await (await t.as(biz, 'admin')).put('/api/v1/support-access', { hours: 2 })).statusCode).toBe(403);
    const granted = await owner.put('/api/v1/support-access', { hours: 2 });
    expect(granted.statusCode, granted.body).toBe(200);
    expect(granted.json().grant).toMatchObject({ granted_by: biz.users.owner, revoked_at: null });

    const r = await open();
    expect(r.statusCode, r.body).toBe(201);
    const { token, id } = r.json();
    expect(token).toMatch(/^bsa_/);
    const supportClient = t.anonymous(biz);
    supportClient.headers = { authorization: `Bearer ${token}` };
    expect((await supportClient.get('/api/v1/locations')).statusCode).toBe(200);
    expect((await supportClient.get('/api/v1/cash/registers')).statusCode).toBe(200);
    const write = await supportClient.post('/api/v1/locations', { name: 'Sneaky', time_zone: 'UTC' });
    expect(write.statusCode).toBe(403);
    expect(await t.db.admin(`SELECT count(*)::int AS n FROM locations WHERE tenant_id = $1`, [biz.id])).toEqual([{ n: 1 }]);
    // Worthless on another business's address.
    const other = await t.tenant();
    const elsewhere = t.anonymous(other);
    elsewhere.headers = { authorization: `Bearer ${token}` };
    expect((await elsewhere.get('/api/v1/locations')).statusCode).toBe(401);

    // Both logs, and the business's own view.
    expect(await t.db.admin(`SELECT action FROM platform_audit_log WHERE resource_id = $1`, [id])).toEqual([{ action: 'tenant.support_session_opened' }]);
    expect(await t.db.admin(`SELECT action, changes->>'reason' AS reason FROM audit_log WHERE tenant_id = $1 AND resource_id = $2`, [biz.id, id])).toEqual([
      { action: 'support.session_opened', reason: 'flagged count' },
    ]);
    const seen = (await owner.get('/api/v1/support-access')).json();
    expect(seen.sessions).toEqual([expect.objectContaining({ id, reason: 'flagged count', operator_label: expect.stringMatching(/@brigade\.test$/) })]);

    // Withdrawn: the session ends at once, and no new one opens.
    expect((await owner.delete('/api/v1/support-access')).statusCode).toBe(200);
    expect((await supportClient.get('/api/v1/locations')).statusCode).toBe(401);
    expect((await open()).json().code).toBe('support_access_not_granted');
  });

  it('the operator enters the business’s pages with the link: a cookie session that reads, never writes, and ends when signed out', async () => {
    const biz = await t.tenant();
    const owner = await t.as(biz, 'owner');
    await owner.put('/api/v1/support-access', { hours: 1 });
    const opened = (await admin.post(`/api/v1/platform/tenants/${biz.id}/support-sessions`, { reason: 'owner asked', minutes: 15 })).json();
    const link = new URL(opened.url);
    expect([link.hostname, link.pathname, link.hash]).toEqual([`${biz.slug}.localhost`, '/support', `#token=${opened.token}`]);

    // Another business's address does not take it.
    const other = await t.tenant();
    expect((await t.anonymous(other).post('/api/v1/auth/support-sign-in', { token: opened.token })).statusCode).toBe(401);

    const browser = t.anonymous(biz);
    const entered = await browser.post('/api/v1/auth/support-sign-in', { token: opened.token });
    expect(entered.statusCode, entered.body).toBe(200);
    expect(entered.json()).toMatchObject({ kind: 'support_session', roles: [], support: { operator_label: expect.stringMatching(/@brigade\.test$/) }, tenant: { id: biz.id } });
    browser.csrf = entered.json().csrf_token;
    const session = (await browser.get('/api/v1/auth/session')).json();
    expect(session.support.expires_at).toBe(opened.expires_at);
    expect(session.permissions['org.location.read']).toBe('all');
    expect(session.permissions['org.location.manage']).toBeUndefined();
    expect((await browser.get('/api/v1/locations')).statusCode).toBe(200);
    expect((await browser.post('/api/v1/locations', { name: 'Sneaky', time_zone: 'UTC' })).statusCode).toBe(403);
    expect((await browser.patch('/api/v1/auth/profile', { name: 'Sneaky' })).statusCode).toBe(403);
    expect(await t.db.admin(`SELECT action FROM audit_log WHERE tenant_id = $1 AND resource_id = $2 ORDER BY seq`, [biz.id, opened.id])).toEqual([
      { action: 'support.session_opened' },
      { action: 'support.session_entered' },
    ]);

    // Signing out ends the session itself, not only this browser's cookie.
    expect((await browser.post('/api/v1/auth/sign-out')).statusCode).toBe(204);
    const bearer = t.anonymous(biz);
    bearer.headers = { authorization: `Bearer ${opened.token}` };
    expect((await bearer.get('/api/v1/locations')).statusCode).toBe(401);
    expect((await t.anonymous(biz).post('/api/v1/auth/support-sign-in', { token: opened.token })).json().code).toBe('support_session_invalid');
    expect((await owner.get('/api/v1/support-access')).json().sessions[0]).toMatchObject({ id: opened.id, revoked_at: expect.any(String) });

    // Withdrawn while the cookie is still in the browser: the cookie no longer speaks, and a person may sign in here.
    const again = (await admin.post(`/api/v1/platform/tenants/${biz.id}/support-sessions`, { reason: 'one more look', minutes: 15 })).json();
    const shared = t.anonymous(biz);
    expect((await shared.post('/api/v1/auth/support-sign-in', { token: again.token })).statusCode).toBe(200);
    // A new grant (another length) ends the sessions of the one it replaces, recorded as ended.
    await owner.put('/api/v1/support-access', { hours: 3 });
    expect((await owner.get('/api/v1/support-access')).json().sessions[0]).toMatchObject({ id: again.id, revoked_at: expect.any(String) });
    expect((await shared.get('/api/v1/locations')).statusCode).toBe(401);
    await shared.signIn(`staff@${biz.slug}.brigade.test`, PASSWORD);
    expect((await shared.get('/api/v1/auth/session')).json()).toMatchObject({ kind: 'session', support: null, user: { id: biz.users.staff } });
  });
});

/** A real 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

describe('business settings and branding', () => {
  it('the owner changes name, time zone, formats and colour; the sign-in page’s business data shows them', async () => {
    const biz = await t.tenant();
    const owner = await t.as(biz, 'owner');
    const s = (await owner.get('/api/v1/settings')).json();
    expect(s).toMatchObject({ name: biz.name, date_format: 'locale', logo_url: null });
    const changed = await owner.put('/api/v1/settings', { ...s, logo_url: undefined, name: 'Harbour Grill', time_zone: 'Europe/Dublin', currency: 'EUR', locale: 'en-IE', date_format: 'dmy', time_format: '24h', brand_color: '#7c2d12' });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ name: 'Harbour Grill', currency: 'EUR', version: s.version + 1 });
    const now = changed.json() as Record<string, unknown>;
    const pub = (await t.anonymous(biz).get('/api/v1/tenant')).json();
    expect(pub).toMatchObject({ name: 'Harbour Grill', time_zone: 'Europe/Dublin', date_format: 'dmy', time_format: '24h', brand_color: '#7c2d12' });
    // A stale version, a bad field, and someone without the permission change nothing.
    const stale = await owner.put('/api/v1/settings', { ...s, logo_url: undefined });
    expect(stale.json().code).toBe('stale_version');
    const bad = await owner.put('/api/v1/settings', { ...now, logo_url: undefined, locale: 'not a locale!!', time_zone: 'Mars/Base' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.locale', 'body.time_zone']);
    expect((await (await t.as(biz, 'manager')).put('/api/v1/settings', { ...now, logo_url: undefined, name: 'X' })).statusCode).toBe(403);
    expect((await owner.get('/api/v1/settings')).json().name).toBe('Harbour Grill');
    // The business reaches its row only through functions bound to its transaction's tenant: none bound, none changed.
    await expect(t.db.admin(`DO $$ BEGIN SET LOCAL ROLE brigade_app; PERFORM brigade_set_business_logo(NULL); END $$`)).rejects.toThrow(/no business is bound/);
    // The change is in the business's trail, before and after.
    const [log] = await t.db.admin(`SELECT changes FROM audit_log WHERE tenant_id = $1 AND action = 'tenant.settings_changed'`, [biz.id]);
    expect(log!.changes).toMatchObject({ before: { name: biz.name }, after: { name: 'Harbour Grill' } });
  });

  it('a logo is checked by what the bytes are and by size, served on the business’s address only, and counts as storage', async () => {
    const biz = await t.tenant();
    const owner = await t.as(biz, 'owner');
    const put = (body: Buffer, type: string) => owner.request('PUT', '/api/v1/settings/logo', body, { 'content-type': type });
    const up = await put(PNG, 'image/png');
    expect(up.statusCode, up.body).toBe(200);
    const url = up.json().logo_url as string;
    expect(url).toMatch(/^\/api\/v1\/public\/branding\/logo\?v=/);
    const served = await t.anonymous(biz).get(url);
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toBe('image/png');
    expect(served.rawPayload.equals(PNG)).toBe(true);
    expect((await t.anonymous(biz).get(url, { 'if-none-match': String(served.headers.etag) })).statusCode).toBe(304);
    expect((await t.anonymous(biz).get('/api/v1/tenant')).json().logo_url).toBe(url);
    const other = await t.tenant();
    expect((await t.anonymous(other).get(url)).statusCode).toBe(404);

    // Not an image, an SVG (it can carry script), a lie about the type, too large: refused, the logo unchanged.
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    for (const [body, type] of [[Buffer.from('hello'), 'image/png'], [svg, 'image/svg+xml'], [Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(100)]), 'image/jpeg']] as const) {
      const r = await put(body, type);
      expect(r.statusCode, `${type}: ${r.body}`).toBe(415);
      expect(r.json()).toMatchObject({ code: 'logo_type_not_allowed', errors: [{ field: 'body' }] });
    }
    const big = await put(Buffer.concat([PNG, Buffer.alloc(600 * 1024)]), 'image/png');
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('logo_too_large');
    expect((await owner.get('/api/v1/settings')).json().logo_url).toBe(url);
    expect((await owner.get('/api/v1/usage')).json().usage.storage_bytes).toBe(PNG.length);

    // A plan without custom branding cannot upload one.
    await admin.put(`/api/v1/platform/tenants/${biz.id}/overrides`, { features: { custom_branding: false } });
    expect((await put(PNG, 'image/png')).json()).toMatchObject({ code: 'feature_disabled', feature: 'custom_branding' });
    // Removing it frees the storage.
    expect((await owner.delete('/api/v1/settings/logo')).json().logo_url).toBeNull();
    expect(await t.db.admin(`SELECT count(*)::int AS n FROM tenant_files WHERE tenant_id = $1`, [biz.id])).toEqual([{ n: 0 }]);
  });
});

describe('a custom domain', () => {
  it('is used only after its token is found on it; until then, and for a wrong token, the domain shows nothing', async () => {
    // A local web server standing in for the business's own site, serving whatever token it is given.
    const served = new Map<string, string>();
    const site = createServer((req, res) => {
      const [, domainName, ...rest] = (req.url ?? '').split('/');
      const body = `/${rest.join('/')}` === '/.well-known/brigade-domain-verification.txt' ? served.get(domainName!) : undefined;
      res.writeHead(body ? 200 : 404, { 'content-type': 'text/plain' }).end(body ?? 'not found');
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    const port = (site.address() as AddressInfo).port;
    const app = await testApp({ DOMAIN_VERIFY_URL: `http://127.0.0.1:${port}/{domain}/.well-known/brigade-domain-verification.txt` });
    try {
      const biz = await app.tenant();
      const owner = await app.as(biz, 'owner');
      const asked = await owner.put('/api/v1/settings/domain', { domain: 'WWW.Harbour-Grill.example' });
      expect(asked.statusCode, asked.body).toBe(200);
      const { token, domain } = asked.json().pending;
      expect(domain).toBe('www.harbour-grill.example');
      expect(token).toMatch(/^brigade-domain=/);
      const onDomain = new (owner.constructor as typeof Client)(app.app, 'www.harbour-grill.example');
      expect((await onDomain.get('/api/v1/tenant')).statusCode).toBe(404);

      // Nothing served yet, then the wrong token: not verified, and still not used.
      const none = await owner.post('/api/v1/settings/domain/verify');
      expect(none.statusCode).toBe(422);
      expect(none.json()).toMatchObject({ code: 'domain_not_verified', detail: expect.stringContaining('404') });
      served.set(domain, 'brigade-domain=someone-elses');
      expect((await owner.post('/api/v1/settings/domain/verify')).json().detail).toContain('does not hold the token');
      expect((await onDomain.get('/api/v1/tenant')).statusCode).toBe(404);

      served.set(domain, `${token}\n`);
      const ok = await owner.post('/api/v1/settings/domain/verify');
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toMatchObject({ domain, pending: null, verified_at: expect.any(String) });
      expect((await onDomain.get('/api/v1/tenant')).json()).toMatchObject({ slug: biz.slug });
      // Another business cannot claim it; Brigade's own addresses are not anyone's to claim.
      const other = await app.tenant();
      const otherOwner = await app.as(other, 'owner');
      expect((await otherOwner.put('/api/v1/settings/domain', { domain })).json().code).toBe('domain_taken');
      expect((await otherOwner.put('/api/v1/settings/domain', { domain: `${biz.slug}.localhost.example` })).statusCode).toBe(200);
      const own = await otherOwner.put('/api/v1/settings/domain', { domain: 'x.localhost' });
      expect(own.statusCode).toBe(400);

      // Removed: the domain shows nothing again; the Brigade address keeps working.
      expect((await owner.delete('/api/v1/settings/domain')).json().domain).toBeNull();
      expect((await onDomain.get('/api/v1/tenant')).statusCode).toBe(404);
      expect((await app.anonymous(biz).get('/api/v1/tenant')).statusCode).toBe(200);
    } finally {
      await app.close();
      site.close();
    }
  });
});
