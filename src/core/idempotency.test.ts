import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type Client, type TestApp } from '../../test/harness.ts';
import type { SeededTenant } from '../platform/demo.ts';
import { IDEMPOTENCY_HOURS, purgeIdempotencyKeys } from './idempotency.ts';

let t: TestApp;
let operator: Client;
let bistro: SeededTenant;

beforeAll(async () => {
  t = await testApp();
  operator = await t.platformAdmin();
  bistro = await t.tenant();
});
afterAll(() => t.close());

const SYSTEM = { type: 'system' as const, id: null, label: 'test' };
const newBusiness = () => {
  const slug = `retry-${randomUUID().slice(0, 8)}`;
  return { slug, name: 'Retry Grill', owner_email: `owner@${slug}.example` };
};
const businessesNamed = async (slug: string) => Number((await t.db.admin(`SELECT count(*)::int AS n FROM tenants WHERE slug = $1`, [slug]))[0]!.n);

describe('Idempotency-Key on the platform path', () => {
  it('an operator’s retried “create business” opens one business and answers the same twice', async () => {
    const body = newBusiness();
    const key = { 'idempotency-key': `create-${body.slug}` };
    const [a, b] = await Promise.all([operator.post('/api/v1/platform/tenants', body, key), operator.post('/api/v1/platform/tenants', body, key)]);
    expect([a.statusCode, b.statusCode], `${a.body} ${b.body}`).toEqual([201, 201]);
    expect(b.json()).toEqual(a.json());
    expect([a.headers['idempotent-replayed'], b.headers['idempotent-replayed']].filter(Boolean)).toEqual(['true']);
    expect(await businessesNamed(body.slug)).toBe(1);
    // The platform's keys are kept apart from every business's, out of the runtime role's reach.
    const [kept] = await t.db.admin(`SELECT count(*)::int AS n FROM platform_idempotency_keys WHERE key = $1`, [key['idempotency-key']]);
    expect(kept!.n).toBe(1);
    const [reach] = await t.db.admin(`SELECT has_table_privilege('brigade_app', 'platform_idempotency_keys', 'SELECT') AS app`);
    expect(reach!.app).toBe(false);
  });

  it('the same key with another body is refused, naming the header, and nothing is created', async () => {
    const first = newBusiness();
    const key = { 'idempotency-key': `create-${first.slug}` };
    expect((await operator.post('/api/v1/platform/tenants', first, key)).statusCode).toBe(201);
    const other = newBusiness();
    const r = await operator.post('/api/v1/platform/tenants', other, key);
    expect(r.statusCode).toBe(422);
    expect(r.json()).toMatchObject({ code: 'idempotency_key_reused', errors: [{ field: 'header.idempotency-key' }] });
    expect(await businessesNamed(other.slug)).toBe(0);
  });

  it('two operators choosing the same key each get their own answer', async () => {
    const second = await t.platformAdmin();
    const key = { 'idempotency-key': `shared-${randomUUID()}` };
    const [a, b] = [newBusiness(), newBusiness()];
    expect((await operator.post('/api/v1/platform/tenants', a, key)).statusCode).toBe(201);
    const r = await second.post('/api/v1/platform/tenants', b, key);
    expect(r.statusCode, r.body).toBe(201);
    expect(r.headers['idempotent-replayed']).toBeUndefined();
    expect(await businessesNamed(b.slug)).toBe(1);
  });

  it('a failed attempt is not replayed: the retry is tried afresh', async () => {
    const body = newBusiness();
    const key = { 'idempotency-key': `taken-${body.slug}` };
    expect((await operator.post('/api/v1/platform/tenants', body)).statusCode).toBe(201);
    // The slug is taken now: the keyed attempt fails (409), leaves no answer, and the same retry fails the same way.
    const taken = await operator.post('/api/v1/platform/tenants', body, key);
    expect(taken.statusCode).toBe(409);
    const [kept] = await t.db.admin(`SELECT count(*)::int AS n FROM platform_idempotency_keys WHERE key = $1`, [key['idempotency-key']]);
    expect(kept!.n).toBe(0);
  });
});

describe('how long answers are kept', () => {
  it(`a key older than ${IDEMPOTENCY_HOURS} hours is a new request, even before the purge has removed it`, async () => {
    const owner = await t.as(bistro, 'owner');
    const key = { 'idempotency-key': `loc-${randomUUID()}` };
    const first = await owner.post('/api/v1/locations', { name: 'Old Pier', time_zone: 'UTC' }, key);
    expect(first.statusCode).toBe(201);
    await t.db.admin(`UPDATE idempotency_keys SET created_at = now() - make_interval(hours => $2 + 1) WHERE tenant_id = $1 AND key = $3`, [
      bistro.id,
      IDEMPOTENCY_HOURS,
      key['idempotency-key'],
    ]);
    const later = await owner.post('/api/v1/locations', { name: 'New Pier', time_zone: 'UTC' }, key);
    expect(later.statusCode, later.body).toBe(201);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(later.json().id).not.toBe(first.json().id);
    // And it is kept afresh from now: a retry of the new request replays it.
    const retry = await owner.post('/api/v1/locations', { name: 'New Pier', time_zone: 'UTC' }, key);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().id).toBe(later.json().id);
  });

  it('the runner’s purge removes answers past their time from every business and the platform, and keeps the rest', async () => {
    const owner = await t.as(bistro, 'owner');
    const other = await t.tenant();
    const otherOwner = await t.as(other, 'owner');
    const tag = randomUUID().slice(0, 8);
    for (const [client, n] of [[owner, 3], [otherOwner, 2]] as const) {
      for (let i = 0; i < n; i++) expect((await client.post('/api/v1/locations', { name: `Purge ${tag} ${i}`, time_zone: 'UTC' }, { 'idempotency-key': `old-${tag}-${i}` })).statusCode).toBe(201);
    }
    expect((await owner.post('/api/v1/locations', { name: `Fresh ${tag}`, time_zone: 'UTC' }, { 'idempotency-key': `fresh-${tag}` })).statusCode).toBe(201);
    const old = newBusiness();
    expect((await operator.post('/api/v1/platform/tenants', old, { 'idempotency-key': `old-${tag}-platform` })).statusCode).toBe(201);
    await t.db.admin(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key LIKE $1`, [`old-${tag}-%`]);
    await t.db.admin(`UPDATE platform_idempotency_keys SET created_at = now() - interval '25 hours' WHERE key LIKE $1`, [`old-${tag}-%`]);

    // One small batch at a time, each its own transaction: it says there may be more until there is none.
    expect(await t.app.brigade.db.withPlatform(SYSTEM, (tx) => purgeIdempotencyKeys(tx, 2))).toBe(true);
    await t.app.brigade.jobs.runChores();

    const left = await t.db.admin(
      `SELECT key FROM idempotency_keys WHERE key LIKE $1 UNION ALL SELECT key FROM platform_idempotency_keys WHERE key LIKE $1 ORDER BY 1`,
      [`%-${tag}%`],
    );
    expect(left.map((r) => r.key)).toEqual([`fresh-${tag}`]);
  });
});
