import { randomUUID } from 'node:crypto';
import type { Client } from '../../test/harness.ts';
import type { SeededTenant } from '../platform/demo.ts';

/**
 * For the cross-tenant sweep (test/sweep.test.ts): how to create one of each org resource through the API,
 * signed in as the tenant's owner. A route naming a resource by `:id` must have its type here.
 */
export const sweepFixtures: Record<string, (ctx: { client: Client; tenant: SeededTenant }) => Promise<string>> = {
  async location({ client }) {
    const r = await client.post('/api/v1/locations', { name: `Sweep ${randomUUID().slice(0, 8)}`, time_zone: 'Europe/Dublin' });
    if (r.statusCode !== 201) throw new Error(`creating a location failed: ${r.statusCode} ${r.body}`);
    return r.json().id;
  },
};
