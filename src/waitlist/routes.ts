import { z } from 'zod';
import { route, type RouteSpec } from '../core/http.ts';
import type { Jobs } from '../core/jobs.ts';
import type { Realtime } from '../core/realtime.ts';
import { idParams } from '../core/schemas.ts';
import * as analytics from './analytics.ts';
import type { GuestMessages } from './notify.ts';
import * as s from './schemas.ts';
import * as service from './service.ts';

const tags = ['waitlist'];
const EXAMPLE_ID = '0190a000-0000-7000-8000-000000000000';
const NO_SHOW_JOB = 'waitlist.no_show';

export interface WaitlistRouteDeps {
  jobs: Jobs;
  realtime: Realtime;
  messages: GuestMessages;
  tenantUrl(slug: string): string;
}

const bizOf = (t: { slug: string; name: string; locale: string; time_zone: string }): service.Biz => ({ slug: t.slug, name: t.name, locale: t.locale, time_zone: t.time_zone });

export function waitlistRoutes(d: WaitlistRouteDeps): RouteSpec[] {
  const deps: service.WaitlistDeps = {
    realtime: d.realtime,
    tenantUrl: d.tenantUrl,
    notify: (tx, biz, entryId, kind, about) => d.messages.queue(tx, biz, entryId, kind, about),
    async scheduleNoShow(tx, biz, entryId, calls, afterMinutes) {
      // A job runs without the request's host: the business's words for the messages travel in the payload.
      await d.jobs.enqueue(tx, NO_SHOW_JOB, { entry_id: entryId, calls, biz }, afterMinutes * 60);
    },
  };

  d.jobs.register(NO_SHOW_JOB, async (tx, payload) => {
    await service.noShowAfterGrace(tx, deps, payload.biz as service.Biz, String(payload.entry_id), Number(payload.calls));
  });
  d.jobs.register(service.RETENTION_JOB, async (tx) => {
    await service.purgeExpired(tx);
    service.keepPurgeScheduled(tx);
  });
  // A business whose purge failed for good, or whose queue was written without one (an older release, a seed), gets
  // it back, due at once: one read of the queues' businesses each time the runner starts, not a check per request.
  d.jobs.upkeep(service.RETENTION_JOB, async (tx) => {
    const unscheduled = await tx.query<{ tenant_id: string }>(
      `SELECT DISTINCT q.tenant_id FROM waitlist_queues q
        WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.tenant_id = q.tenant_id AND j.kind = $1 AND j.status = 'pending')`,
      [service.RETENTION_JOB],
    );
    for (const r of unscheduled) await d.jobs.enqueueFor(tx, r.tenant_id, service.RETENTION_JOB, {}, 0);
  });

  d.realtime.define('waitlist.queue', async ({ tx, principal, params }) => {
    const id = z.uuid().safeParse(params.queue_id);
    if (!principal || !id.success) return null;
    const [q] = await tx.query<{ location_id: string }>(`SELECT location_id FROM waitlist_queues WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, id.data]);
    if (!q || !principal.at('waitlist.entry.read', q.location_id)) return null;
    return { channels: [`queue:${id.data}`] };
  }, 'waitlist');
  d.realtime.define('waitlist.entry', async ({ tx, params }) => {
    if (typeof params.token !== 'string') return null;
    const e = await service.entryByToken(tx, params.token).catch(() => null);
    if (!e) return null;
    const mine = e.id;
    return {
      channels: [`queue:${e.queue_id}`, `entry:${e.id}`],
      // A guest hears only of their own place: the board's event is cut down to their line, never anyone's name.
      project: (ev) => {
        if (ev.channel !== `queue:${e.queue_id}`) return ev;
        if (ev.type !== 'entry.changed') return null;
        const data = ev.data as { entry: { id: string; status: string; position: number | null; estimate_minutes: number | null; called_at: string | null } | null; lineup: service.LineupItem[] };
        const own = data.entry?.id === mine ? data.entry : null;
        const place = data.lineup.find((l) => l.id === mine);
        if (!own && !place) return null;
        return {
          ...ev,
          type: 'entry.status',
          data: own
            ? { status: own.status, position: own.position, estimate_minutes: own.estimate_minutes, called_at: own.called_at }
            : { status: 'waiting', position: place!.position, estimate_minutes: place!.estimate_minutes, called_at: null },
        };
      },
    };
  }, 'waitlist');

  const entryAction = (action: 'call' | 'seat' | 'complete' | 'no_show' | 'cancel', url: string, summary: string, risk: 'low' | 'medium' = 'low', resource = 'waitlist_entry') =>
    route({
      method: 'POST',
      url: `/api/v1/waitlist/entries/:id/${url}`,
      summary,
      tags,
      access: 'tenant',
      permission: 'waitlist.entry.serve',
      params: idParams,
      resource,
      response: s.entry,
      handler: async ({ tx, tenant, principal, params, audit }) => {
        const biz = bizOf(tenant);
        const { entry, before } = await service.act(tx, deps, biz, params.id, action, { principal });
        await audit({ action: `waitlist.entry.${url.replace('-', '_')}`, resourceType: 'waitlist_entry', resourceId: entry.id, locationId: entry.location_id, risk, changes: { status: [before.status, entry.status] } });
        return entry;
      },
    });

  return [
    // ------------------------------------------------------------ settings
    route({
      method: 'GET',
      url: '/api/v1/waitlist/settings',
      summary: 'The waitlist\'s retention and guest message channels',
      tags,
      access: 'tenant',
      permission: 'waitlist.queue.read',
      response: s.settings,
      handler: ({ tx }) => analytics.getSettings(tx, d.messages),
    }),
    route({
      method: 'PUT',
      url: '/api/v1/waitlist/settings',
      summary: 'Change the waitlist\'s retention and guest message channels',
      tags,
      access: 'tenant',
      permission: 'waitlist.settings.manage',
      body: s.updateSettings,
      example: { retention_days: 90, notify_sms: true, version: 1 },
      response: s.settings,
      handler: async ({ tx, body, audit }) => {
        const { settings, changes } = await analytics.updateSettings(tx, d.messages, body);
        // The retention just set is applied by the purge: if it was lost (failed for good), it is back from now.
        service.keepPurgeScheduled(tx);
        await audit({ action: 'waitlist.settings.updated', resourceType: 'waitlist_settings', risk: 'medium', changes });
        return settings;
      },
    }),

    // ------------------------------------------------------------ queues
    route({
      method: 'GET',
      url: '/api/v1/waitlist/queues',
      summary: 'Queues at the locations one may see, with who is waiting and the wait a newcomer faces',
      tags,
      access: 'tenant',
      permission: 'waitlist.queue.read',
      query: s.queueListQuery,
      response: s.queueList,
      handler: ({ tx, principal, query }) => service.listQueues(tx, principal, query.location_id),
    }),
    route({
      method: 'POST',
      url: '/api/v1/waitlist/queues',
      summary: 'Open a queue at a location',
      tags,
      access: 'tenant',
      consumes: 'queues_per_location',
      permission: 'waitlist.queue.manage',
      status: 201,
      body: s.createQueue,
      example: { location_id: EXAMPLE_ID, name: 'Dinner', party_max: 8 },
      response: s.queue,
      handler: async ({ tx, principal, body, audit }) => {
        const q = await service.createQueue(tx, principal, body);
        await audit({ action: 'waitlist.queue.created', resourceType: 'waitlist_queue', resourceId: q.id, locationId: q.location_id, changes: { name: q.name } });
        return q;
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/waitlist/queues/:id',
      summary: 'One queue',
      tags,
      access: 'tenant',
      permission: 'waitlist.queue.read',
      params: idParams,
      resource: 'waitlist_queue',
      response: s.queue,
      handler: ({ tx, principal, params }) => service.getQueue(tx, principal, params.id),
    }),
    route({
      method: 'PATCH',
      url: '/api/v1/waitlist/queues/:id',
      summary: 'Change a queue: its rules, hours, or whether it takes guests now',
      tags,
      access: 'tenant',
      permission: 'waitlist.queue.manage',
      params: idParams,
      resource: 'waitlist_queue',
      body: s.updateQueue,
      example: { accepting: false, version: 1 },
      response: s.queue,
      handler: async ({ tx, principal, params, body, audit }) => {
        const r = await service.updateQueue(tx, principal, params.id, body, deps);
        await audit({ action: 'waitlist.queue.updated', resourceType: 'waitlist_queue', resourceId: params.id, locationId: r.locationId, changes: r.changes });
        return r.queue;
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/waitlist/queues/:id',
      summary: 'Delete a queue (refused while guests wait); its history stays for analytics',
      tags,
      access: 'tenant',
      permission: 'waitlist.queue.manage',
      params: idParams,
      resource: 'waitlist_queue_empty',
      status: 204,
      response: z.null(),
      handler: async ({ tx, principal, params, audit }) => {
        const q = await service.deleteQueue(tx, deps, principal, params.id);
        await audit({ action: 'waitlist.queue.deleted', resourceType: 'waitlist_queue', resourceId: q.id, locationId: q.location_id, risk: 'medium', changes: { name: q.name } });
        return null;
      },
    }),

    // ------------------------------------------------------------ the line
    route({
      method: 'GET',
      url: '/api/v1/waitlist/queues/:id/board',
      summary: 'The live board: waiting in order, called, seated; with the event sequence to follow it from',
      tags,
      access: 'tenant',
      permission: 'waitlist.entry.read',
      params: idParams,
      resource: 'waitlist_queue',
      response: s.board,
      handler: ({ tx, principal, params }) => service.board(tx, principal, params.id, d.realtime),
    }),
    route({
      method: 'POST',
      url: '/api/v1/waitlist/queues/:id/entries',
      summary: 'Add a party: a walk-in at the host stand, or a guest through an integration',
      tags,
      access: 'tenant',
      permission: 'waitlist.entry.serve',
      params: idParams,
      resource: 'waitlist_queue',
      status: 201,
      body: s.staffJoin,
      example: { name: 'Walk-in', party_size: 2 },
      response: s.joined,
      handler: async ({ tx, tenant, principal, params, body, audit }) => {
        const biz = bizOf(tenant);
        // A key is an integration, not a host: its guest is not standing at the stand.
        const source = principal.kind === 'api_key' ? 'api' : 'staff';
        const r = await service.join(tx, deps, { ...biz, id: tenant.id }, params.id, body, { source, principal });
        await audit({ action: 'waitlist.entry.joined', resourceType: 'waitlist_entry', resourceId: r.entry.id, locationId: r.entry.location_id, changes: { party_size: body.party_size, position: r.entry.position, source } });
        return { entry: r.entry, token: r.token, status_url: r.status_url };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/waitlist/queues/:id/call-next',
      summary: 'Call the party at the front of the line',
      tags,
      access: 'tenant',
      permission: 'waitlist.entry.serve',
      params: idParams,
      resource: 'waitlist_queue',
      response: s.entry,
      handler: async ({ tx, tenant, principal, params, audit }) => {
        const biz = bizOf(tenant);
        const { entry } = await service.callNext(tx, deps, biz, principal, params.id);
        await audit({ action: 'waitlist.entry.call', resourceType: 'waitlist_entry', resourceId: entry.id, locationId: entry.location_id, changes: { status: ['waiting', 'called'] } });
        return entry;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/waitlist/queues/:id/bulk-call',
      summary: 'Call several waiting parties at once',
      tags,
      access: 'tenant',
      permission: 'waitlist.entry.serve',
      params: idParams,
      resource: 'waitlist_queue',
      body: s.bulkCall,
      example: { count: 1 },
      response: s.bulkCalled,
      handler: async ({ tx, tenant, principal, params, body, audit }) => {
        const biz = bizOf(tenant);
        const called = await service.bulkCall(tx, deps, biz, principal, params.id, body);
        for (const { entry } of called) {
          await audit({ action: 'waitlist.entry.call', resourceType: 'waitlist_entry', resourceId: entry.id, locationId: entry.location_id, changes: { status: ['waiting', 'called'], bulk: true } });
        }
        return { items: called.map((c) => c.entry) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/waitlist/entries/:id',
      summary: 'One guest, with every message sent to them and its outcome',
      tags,
      access: 'tenant',
      permission: 'waitlist.entry.read',
      params: idParams,
      resource: 'waitlist_entry',
      response: s.entryDetail,
      handler: ({ tx, principal, params }) => service.getEntry(tx, principal, params.id),
    }),
    route({
      method: 'PATCH',
      url: '/api/v1/waitlist/entries/:id',
      summary: 'Change a guest\'s name, party size, service or notes',
      tags,
      access: 'tenant',
      permission: 'waitlist.entry.serve',
      params: idParams,
      resource: 'waitlist_entry',
      body: s.updateEntry,
      example: { party_size: 3, version: 1 },
      response: s.entry,
      handler: async ({ tx, principal, params, body, audit }) => {
        const r = await service.updateEntry(tx, deps, principal, params.id, body);
        await audit({ action: 'waitlist.entry.updated', resourceType: 'waitlist_entry', resourceId: params.id, locationId: r.locationId, changes: r.changes });
        return r.entry;
      },
    }),
    entryAction('call', 'call', 'Call a chosen guest: their table is ready'),
    entryAction('seat', 'seat', 'Seat a guest'),
    entryAction('complete', 'complete', 'A seated party has left: their table is free', 'low', 'waitlist_entry_seated'),
    entryAction('no_show', 'no-show', 'Mark a guest a no-show', 'medium'),
    entryAction('cancel', 'cancel', 'Cancel a guest\'s place'),
    route({
      method: 'POST',
      url: '/api/v1/waitlist/entries/:id/requeue',
      summary: 'Put a called (or no-show) guest back in line, at the front unless a position is given',
      tags,
      access: 'tenant',
      permission: 'waitlist.entry.serve',
      params: idParams,
      resource: 'waitlist_entry_called',
      body: s.requeue,
      example: { position: 1 },
      response: s.entry,
      handler: async ({ tx, tenant, principal, params, body, audit }) => {
        const biz = bizOf(tenant);
        const { entry, before } = await service.act(tx, deps, biz, params.id, 'requeue', { principal, position: body.position });
        await audit({ action: 'waitlist.entry.requeued', resourceType: 'waitlist_entry', resourceId: entry.id, locationId: entry.location_id, changes: { status: [before.status, 'waiting'], position: entry.position } });
        return entry;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/waitlist/entries/:id/move',
      summary: 'Move a waiting guest to another place in line (drag and drop on the board)',
      tags,
      access: 'tenant',
      permission: 'waitlist.entry.serve',
      params: idParams,
      resource: 'waitlist_entry',
      body: s.move,
      example: { position: 1 },
      response: s.entry,
      handler: async ({ tx, tenant, principal, params, body, audit }) => {
        const biz = bizOf(tenant);
        const { entry, before } = await service.act(tx, deps, biz, params.id, 'move', { principal, position: body.position });
        await audit({ action: 'waitlist.entry.moved', resourceType: 'waitlist_entry', resourceId: entry.id, locationId: entry.location_id, changes: { position: [before.position, entry.position] } });
        return entry;
      },
    }),

    // ------------------------------------------------------------ chat (staff side)
    route({
      method: 'GET',
      url: '/api/v1/waitlist/entries/:id/messages',
      summary: 'The chat with a guest',
      tags,
      access: 'tenant',
      permission: 'waitlist.entry.read',
      params: idParams,
      resource: 'waitlist_entry',
      response: s.messages,
      handler: async ({ tx, principal, params }) => {
        const e = await service.staffEntryForChat(tx, principal, params.id, 'waitlist.entry.read');
        return { items: await service.messagesOf(tx, e.id, null) };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/waitlist/entries/:id/messages',
      summary: 'Write to a guest',
      tags,
      access: 'tenant',
      permission: 'waitlist.entry.serve',
      params: idParams,
      resource: 'waitlist_entry',
      status: 201,
      body: s.sendMessage,
      example: { body: 'Your table will be ready in five minutes.' },
      response: s.message,
      handler: async ({ tx, principal, params, body, audit }) => {
        const e = await service.staffEntryForChat(tx, principal, params.id, 'waitlist.entry.serve');
        const m = await service.postMessage(tx, deps, e, { sender: 'staff', userId: principal.userId }, body.body);
        await audit({ action: 'waitlist.message.sent', resourceType: 'waitlist_entry', resourceId: e.id, locationId: e.location_id, changes: { message: m.id } });
        return m;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/waitlist/entries/:id/messages/read',
      summary: 'Mark the guest\'s messages read',
      tags,
      access: 'tenant',
      permission: 'waitlist.entry.serve',
      params: idParams,
      resource: 'waitlist_entry',
      response: z.object({ unread: z.number().int() }),
      noAudit: 'Reading a guest\'s messages changes nothing of the business.',
      handler: async ({ tx, principal, params }) => {
        const e = await service.staffEntryForChat(tx, principal, params.id, 'waitlist.entry.serve');
        return { unread: await service.markRead(tx, deps, e) };
      },
    }),

    // ------------------------------------------------------------ analytics
    route({
      method: 'GET',
      url: '/api/v1/waitlist/analytics',
      summary: 'Guests served, waits, no-shows and cancellations, busiest hours and a per-day series',
      tags,
      access: 'tenant',
      permission: 'waitlist.analytics.read',
      query: s.analyticsQuery,
      response: s.analytics,
      handler: ({ tx, tenant, principal, query }) => analytics.summary(tx, tenant, principal, query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/waitlist/analytics.csv',
      summary: 'The per-day series as CSV',
      tags,
      access: 'tenant',
      permission: 'waitlist.analytics.read',
      query: s.analyticsQuery,
      response: z.string(),
      handler: async ({ tx, tenant, principal, query, reply }) => {
        const csv = await analytics.csv(tx, tenant, principal, query);
        reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="waitlist-${query.period}.csv"`);
        return csv;
      },
    }),

    // ------------------------------------------------------------ guests (public, by the business's address)
    route({
      method: 'GET',
      url: '/api/v1/public/waitlist/queues',
      summary: 'The business\'s queues a guest can join, with the wait now',
      tags,
      access: 'public',
      query: s.publicQueuesQuery,
      response: s.publicQueues,
      handler: async ({ tx, tenant, query }) => ({ business: tenant.name, items: await service.publicQueues(tx, query.location_id) }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/public/waitlist/queues/:id',
      summary: 'A queue as a guest sees it before joining',
      tags,
      access: 'public',
      params: idParams,
      resource: 'waitlist_queue',
      response: s.publicQueue,
      handler: ({ tx, params }) => service.publicQueue(tx, params.id),
    }),
    route({
      method: 'POST',
      url: '/api/v1/public/waitlist/queues/:id/entries',
      summary: 'Join a queue as a guest: answers the entry token for the status page',
      tags,
      access: 'public',
      params: idParams,
      resource: 'waitlist_queue',
      status: 201,
      body: s.guestJoin,
      example: { name: 'Ada', phone: '+12125550123', party_size: 2 },
      response: s.joined,
      noIdempotency: 'The answer carries the guest\'s entry token, which must never be stored to be replayed.',
      rateLimit: { max: 20, timeWindow: 10 * 60_000, by: 'ip' },
      handler: async ({ tx, tenant, params, body, audit }) => {
        const biz = bizOf(tenant);
        const r = await service.join(tx, deps, { ...biz, id: tenant.id }, params.id, body, { source: 'guest', principal: null });
        await audit({ action: 'waitlist.entry.joined', resourceType: 'waitlist_entry', resourceId: r.entry.id, locationId: r.entry.location_id, actor: undefined, changes: { party_size: body.party_size, position: r.entry.position, source: 'guest' } });
        return { entry: r.entry, token: r.token, status_url: r.status_url };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/public/waitlist/entries/:id',
      summary: 'A guest\'s own place in line, by their entry token',
      tags,
      access: 'public',
      params: s.tokenParams,
      resource: 'waitlist_entry_token',
      response: s.guestEntry,
      handler: async ({ tx, tenant, params }) => service.guestView(tx, d.realtime, bizOf(tenant), await service.entryByToken(tx, params.id)),
    }),
    route({
      method: 'POST',
      url: '/api/v1/public/waitlist/entries/:id/cancel',
      summary: 'A guest gives up their place',
      tags,
      access: 'public',
      params: s.tokenParams,
      resource: 'waitlist_entry_token',
      response: s.guestEntry,
      handler: async ({ tx, tenant, params, audit }) => {
        const biz = bizOf(tenant);
        const e = await service.entryByToken(tx, params.id);
        await service.act(tx, deps, biz, e.id, 'cancel', { principal: null, guest: true });
        await audit({ action: 'waitlist.entry.cancel', resourceType: 'waitlist_entry', resourceId: e.id, locationId: e.location_id, changes: { status: [e.status, 'cancelled'], by: 'guest' } });
        return service.guestView(tx, d.realtime, biz, await service.entryByToken(tx, params.id));
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/public/waitlist/entries/:id/messages',
      summary: 'A guest\'s chat with the restaurant; reading it marks the restaurant\'s messages read',
      tags,
      access: 'public',
      params: s.tokenParams,
      resource: 'waitlist_entry_token',
      response: s.messages,
      handler: async ({ tx, params }) => {
        const e = await service.entryByToken(tx, params.id);
        // The guest has now seen what the restaurant wrote: their unread count falls and the host sees it was read.
        // One statement on its own, which a read's transaction carries like any query.
        return { items: await service.messagesOf(tx, e.id, 'staff') };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/public/waitlist/entries/:id/messages',
      summary: 'A guest writes to the restaurant',
      tags,
      access: 'public',
      params: s.tokenParams,
      resource: 'waitlist_entry_token',
      status: 201,
      body: s.sendMessage,
      example: { body: 'We are at the bar, is that fine?' },
      response: s.message,
      rateLimit: { max: 60, timeWindow: 10 * 60_000, by: 'ip' },
      handler: async ({ tx, params, body, audit }) => {
        const e = await service.entryByToken(tx, params.id);
        const m = await service.postMessage(tx, deps, e, { sender: 'guest', userId: null }, body.body);
        await audit({ action: 'waitlist.message.received', resourceType: 'waitlist_entry', resourceId: e.id, locationId: e.location_id, changes: { message: m.id } });
        return m;
      },
    }),
  ];
}
