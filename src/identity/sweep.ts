import { randomUUID } from 'node:crypto';
import type { Client } from '../../test/harness.ts';
import type { SeededTenant } from '../platform/demo.ts';

/**
 * For the cross-tenant sweep (test/sweep.test.ts): how to create one of each identity resource through the API,
 * signed in as the tenant's owner. A route naming a resource by `:id` must have its type here.
 */
export const sweepFixtures: Record<string, (ctx: { client: Client; tenant: SeededTenant }) => Promise<string>> = {
  async kiosk({ client, tenant }) {
    const r = await client.post('/api/v1/kiosks', { location_id: tenant.locationId, name: `Sweep tablet ${randomUUID().slice(0, 8)}` });
    if (r.statusCode !== 201) throw new Error(`registering a kiosk failed: ${r.statusCode} ${r.body}`);
    return r.json().kiosk.id;
  },
  async api_key({ client }) {
    const r = await client.post('/api/v1/api-keys', { name: `Sweep POS ${randomUUID().slice(0, 8)}`, role: 'auditor' });
    if (r.statusCode !== 201) throw new Error(`creating an API key failed: ${r.statusCode} ${r.body}`);
    return r.json().api_key.id;
  },
  async invitation({ client }) {
    const r = await client.post('/api/v1/invitations', { email: `sweep-${randomUUID().slice(0, 8)}@example.com`, role: 'auditor' });
    if (r.statusCode !== 201) throw new Error(`sending an invitation failed: ${r.statusCode} ${r.body}`);
    return r.json().id;
  },
};
