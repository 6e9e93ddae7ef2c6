import { randomUUID } from 'node:crypto';
import type { Client } from '../../test/harness.ts';
import type { TenantRole } from '../identity/permissions.ts';
import type { SeededTenant } from '../platform/demo.ts';

/**
 * For the cross-tenant sweep (test/sweep.test.ts): how to create one of each cash resource through the API. The
 * owner creates; a reconciliation is counted by the staff member, because nobody may approve their own count and the
 * sweep approves it as the owner.
 */
type Ctx = { client: Client; tenant: SeededTenant; as(role: TenantRole): Promise<Client> };

async function ok(r: { statusCode: number; body: string; json(): unknown }, what: string, status = 201) {
  if (r.statusCode !== status) throw new Error(`${what} failed: ${r.statusCode} ${r.body}`);
  return r.json() as { id: string };
}

async function register({ client, tenant }: Ctx): Promise<string> {
  return (await ok(await client.post('/api/v1/cash/registers', { location_id: tenant.locationId, name: `Sweep ${randomUUID().slice(0, 8)}` }), 'adding a register')).id;
}

const FLOAT = [{ value: 2000, quantity: 5 }];

export const sweepFixtures: Record<string, (ctx: Ctx) => Promise<string>> = {
  register,
  async drawer(ctx) {
    const id = await register(ctx);
    return (await ok(await ctx.client.post(`/api/v1/cash/registers/${id}/drawers`, { opening_count: FLOAT }), 'opening a drawer')).id;
  },
  async reconciliation(ctx) {
    const id = await register(ctx);
    const staff = await ctx.as('staff');
    const drawer = await ok(await staff.post(`/api/v1/cash/registers/${id}/drawers`, { opening_count: FLOAT }), 'opening a drawer');
    // Short by $20: flagged, so it waits for a manager.
    return (await ok(await staff.post(`/api/v1/cash/drawers/${drawer.id}/count`, { lines: [{ value: 2000, quantity: 4 }] }), 'counting a drawer')).id;
  },
  async day_close({ client }) {
    const location = await ok(await client.post('/api/v1/locations', { name: `Sweep ${randomUUID().slice(0, 8)}`, time_zone: 'Europe/Dublin' }), 'opening a location');
    return (await ok(await client.post(`/api/v1/cash/locations/${location.id}/day-closes`, { business_date: '2026-01-10' }), 'closing a day')).id;
  },
};
