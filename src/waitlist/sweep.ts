import { randomUUID } from 'node:crypto';
import type { Client } from '../../test/harness.ts';
import type { TenantRole } from '../identity/permissions.ts';
import type { SeededTenant } from '../platform/demo.ts';

/** For the cross-tenant sweep (test/sweep.test.ts): how to create one of each waitlist resource through the API. */
type Ctx = { client: Client; tenant: SeededTenant; as(role: TenantRole): Promise<Client> };

async function ok(r: { statusCode: number; body: string; json(): unknown }, what: string, status = 201) {
  if (r.statusCode !== status) throw new Error(`${what} failed: ${r.statusCode} ${r.body}`);
  return r.json() as { id: string; entry: { id: string }; token: string };
}

async function emptyQueue({ client, tenant }: Ctx): Promise<string> {
  return (await ok(await client.post('/api/v1/waitlist/queues', { location_id: tenant.locationId, name: `Sweep ${randomUUID().slice(0, 8)}` }), 'opening a queue')).id;
}

/** A queue with one party waiting, and that party. */
async function guest(ctx: Ctx): Promise<{ queue: string; entry: string; token: string }> {
  const queue = await emptyQueue(ctx);
  const r = await ok(await ctx.client.post(`/api/v1/waitlist/queues/${queue}/entries`, { name: 'Sweep guest', party_size: 2 }), 'adding a walk-in');
  return { queue, entry: r.entry.id, token: r.token };
}

export const sweepFixtures: Record<string, (ctx: Ctx) => Promise<string>> = {
  waitlist_queue_empty: emptyQueue,
  async waitlist_queue(ctx) {
    return (await guest(ctx)).queue;
  },
  async waitlist_entry(ctx) {
    return (await guest(ctx)).entry;
  },
  async waitlist_entry_called(ctx) {
    const { entry } = await guest(ctx);
    await ok(await ctx.client.post(`/api/v1/waitlist/entries/${entry}/call`), 'calling a guest', 200);
    return entry;
  },
  async waitlist_entry_seated(ctx) {
    const { entry } = await guest(ctx);
    await ok(await ctx.client.post(`/api/v1/waitlist/entries/${entry}/seat`), 'seating a guest', 200);
    return entry;
  },
  /** The guest's own credential: their entry token, used on the public routes. */
  async waitlist_entry_token(ctx) {
    return (await guest(ctx)).token;
  },
};
