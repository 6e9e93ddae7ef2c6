import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../../test/harness.ts';
import type { SeededTenant } from '../platform/demo.ts';

let t: TestApp;
let bistro: SeededTenant;

beforeAll(async () => {
  t = await testApp();
  bistro = await t.tenant();
});
afterAll(() => t.close());

describe('locations', () => {
  it('an admin opens a location with its time zone and sees it listed', async () => {
    const admin = await t.as(bistro, 'admin');
    const created = await admin.post('/api/v1/locations', { name: 'Quayside', address: '1 Quay', time_zone: 'Europe/Dublin' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'Quayside', time_zone: 'Europe/Dublin', version: 1 });
    const list = await admin.get('/api/v1/locations?limit=100');
    expect(list.json().items.map((l: { name: string }) => l.name)).toContain('Quayside');
  });

  it('a stale version is refused with 409 and nothing changes', async () => {
    const admin = await t.as(bistro, 'admin');
    const loc = (await admin.post('/api/v1/locations', { name: 'Stale Street', time_zone: 'UTC' })).json();
    const first = await admin.patch(`/api/v1/locations/${loc.id}`, { version: 1, name: 'Fresh Street' });
    expect(first.statusCode).toBe(200);
    expect(first.json().version).toBe(2);
    const stale = await admin.patch(`/api/v1/locations/${loc.id}`, { version: 1, name: 'Lost Update' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('stale_version');
    expect((await admin.get(`/api/v1/locations/${loc.id}`)).json().name).toBe('Fresh Street');
  });

  it('staff see only the location they work at', async () => {
    const admin = await t.as(bistro, 'admin');
    const other = (await admin.post('/api/v1/locations', { name: 'Elsewhere', time_zone: 'UTC' })).json();
    const staff = await t.as(bistro, 'staff');
    const ids = (await staff.get('/api/v1/locations')).json().items.map((l: { id: string }) => l.id);
    expect(ids).toEqual([bistro.locationId]);
    expect((await staff.get(`/api/v1/locations/${other.id}`)).statusCode).toBe(404);
  });

  it('pages through locations with a cursor and refuses a page larger than the maximum', async () => {
    const admin = await t.as(bistro, 'admin');
    for (const n of ['Page A', 'Page B', 'Page C']) await admin.post('/api/v1/locations', { name: n, time_zone: 'UTC' });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await admin.get(`/api/v1/locations?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.statusCode).toBe(200);
      seen.push(...r.json().items.map((l: { id: string }) => l.id));
      cursor = r.json().next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(4);
    const huge = await admin.get('/api/v1/locations?limit=100000');
    expect(huge.statusCode).toBe(400);
    expect(huge.json().errors[0].field).toBe('querystring.limit');
  });

  it('a retried POST with the same Idempotency-Key creates one location and answers the same', async () => {
    const admin = await t.as(bistro, 'admin');
    const body = { name: 'Retry Road', time_zone: 'UTC' };
    const [a, b] = await Promise.all([
      admin.post('/api/v1/locations', body, { 'idempotency-key': 'k-retry-1' }),
      admin.post('/api/v1/locations', body, { 'idempotency-key': 'k-retry-1' }),
    ]);
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(a.json().id).toBe(b.json().id);
    const reused = await admin.post('/api/v1/locations', { name: 'Other', time_zone: 'UTC' }, { 'idempotency-key': 'k-retry-1' });
    expect(reused.statusCode).toBe(422);
    const all = (await admin.get('/api/v1/locations?limit=100')).json().items.filter((l: { name: string }) => l.name === 'Retry Road');
    expect(all).toHaveLength(1);
  });

  it('every change is in the audit trail with the person, the request and the changed fields', async () => {
    const admin = await t.as(bistro, 'admin');
    const loc = (await admin.post('/api/v1/locations', { name: 'Audited Alley', time_zone: 'UTC' })).json();
    await admin.patch(`/api/v1/locations/${loc.id}`, { version: 1, time_zone: 'Asia/Tokyo' });
    const owner = await t.as(bistro, 'owner');
    const log = (await owner.get(`/api/v1/audit?resource_type=location&resource_id=${loc.id}`)).json().items;
    expect(log.map((e: { action: string }) => e.action)).toEqual(['location.updated', 'location.created']);
    expect(log[0]).toMatchObject({ actor_label: `admin@${bistro.slug}.brigade.test`, risk: 'medium', changes: { time_zone: ['UTC', 'Asia/Tokyo'] } });
    expect(log[0].request_id).toBeTruthy();
  });
});
