import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type Client, type TestApp } from '../../test/harness.ts';
import { startMailCatcher, type MailCatcher } from '../../test/mail.ts';
import { providerEnv, startMessagePeer, type MessagePeer } from '../../test/message-peer.ts';
import type { TenantRole } from '../identity/permissions.ts';
import type { SeededTenant } from '../platform/demo.ts';
import { openByHours } from './service.ts';

let t: TestApp;
let mail: MailCatcher;
let peer: MessagePeer;
let biz: SeededTenant;
const people = new Map<string, Client>();
let phoneSeq = 0;
/** A fresh, valid US mobile number per call, so the same-phone rules only fire where a test wants them. */
const phone = () => `+1212555${String(1000 + phoneSeq++).padStart(4, '0')}`;

beforeAll(async () => {
  [mail, peer] = await Promise.all([startMailCatcher(), startMessagePeer()]);
  t = await testApp({ SMTP_URL: mail.url, ...providerEnv(peer) });
  biz = await t.tenant();
});
afterAll(async () => {
  await t.close();
  await Promise.all([mail.close(), peer.close()]);
});

async function as(role: TenantRole, tenant = biz): Promise<Client> {
  const key = `${tenant.slug}:${role}`;
  if (!people.has(key)) people.set(key, await t.as(tenant, role));
  return people.get(key)!;
}

function expectStatus(r: { statusCode: number; body: string }, status: number) {
  expect(r.statusCode, r.body).toBe(status);
}

type Queue = { id: string; name: string; version: number; waiting: number; open_now: boolean; closed_reason: string | null; estimate_minutes: number };
type Entry = { id: string; status: string; position: number | null; estimate_minutes: number | null; version: number; name: string; phone: string | null; called_at: string | null; seated_at: string | null; joined_at: string };

async function newQueue(extra: Record<string, unknown> = {}, tenant = biz): Promise<Queue> {
  const r = await (await as('manager', tenant)).post('/api/v1/waitlist/queues', { location_id: tenant.locationId, name: `Dinner ${randomUUID().slice(0, 6)}`, ...extra });
  expectStatus(r, 201);
  return r.json();
}

async function walkIn(queueId: string, body: Record<string, unknown> = {}, by?: Client) {
  const r = await (by ?? (await as('staff'))).post(`/api/v1/waitlist/queues/${queueId}/entries`, { name: 'Walk-in', party_size: 2, ...body });
  expectStatus(r, 201);
  return r.json() as { entry: Entry; token: string; status_url: string };
}

function guestJoin(queueId: string, body: Record<string, unknown> = {}, tenant = biz) {
  return t.anonymous(tenant).post(`/api/v1/public/waitlist/queues/${queueId}/entries`, { name: 'Ada', phone: phone(), party_size: 2, ...body });
}

async function boardOf(queueId: string) {
  const r = await (await as('staff')).get(`/api/v1/waitlist/queues/${queueId}/board`);
  expectStatus(r, 200);
  return r.json() as { queue: Queue; entries: Entry[]; seq: number };
}

/** Waiting guests' positions in order: a dense line reads 1..n. */
async function positions(queueId: string): Promise<number[]> {
  return (await boardOf(queueId)).entries.filter((e) => e.status === 'waiting').map((e) => e.position!);
}

const act = async (entryId: string, action: string, body?: unknown, by?: Client) => (by ?? (await as('staff'))).post(`/api/v1/waitlist/entries/${entryId}/${action}`, body);

describe('queues', () => {
  it('a manager opens, changes, pauses and deletes a queue; deleting is refused while guests wait', async () => {
    const q = await newQueue({ party_min: 2, party_max: 6, service_types: ['Dining room', 'Patio'], hours: null, tables: 6 });
    const manager = await as('manager');
    const paused = await manager.patch(`/api/v1/waitlist/queues/${q.id}`, { accepting: false, version: q.version });
    expectStatus(paused, 200);
    expect(paused.json()).toMatchObject({ accepting: false, open_now: false, version: q.version + 1 });
    expectStatus(await manager.patch(`/api/v1/waitlist/queues/${q.id}`, { accepting: true, version: q.version }), 409);
    await manager.patch(`/api/v1/waitlist/queues/${q.id}`, { accepting: true, version: q.version + 1 });
    const { entry } = await walkIn(q.id);
    const refused = await manager.delete(`/api/v1/waitlist/queues/${q.id}`);
    expectStatus(refused, 409);
    expect(refused.json()).toMatchObject({ code: 'guests_waiting' });
    expectStatus(await act(entry.id, 'seat'), 200);
    expectStatus(await manager.delete(`/api/v1/waitlist/queues/${q.id}`), 204);
    expectStatus(await manager.get(`/api/v1/waitlist/queues/${q.id}`), 404);
    // The deleted queue's guests stay for analytics, but nobody moves them any more; nor a guest who never was.
    expectStatus(await manager.get(`/api/v1/waitlist/entries/${entry.id}`), 200);
    expectStatus(await act(entry.id, 'complete'), 404);
    expectStatus(await act('01900000-0000-7000-8000-000000000000', 'seat'), 404);
  });

  it('staff may serve the line but not shape the queues; bad rules name their field', async () => {
    const staff = await as('staff');
    expectStatus(await staff.post('/api/v1/waitlist/queues', { location_id: biz.locationId, name: 'Nope' }), 403);
    const manager = await as('manager');
    const bad = await manager.post('/api/v1/waitlist/queues', { location_id: biz.locationId, name: 'Bad', party_min: 6, party_max: 2 });
    expectStatus(bad, 400);
    expect(bad.json().errors.map((e: { field: string }) => e.field)).toContain('body.party_max');
    const hours = await manager.post('/api/v1/waitlist/queues', { location_id: biz.locationId, name: 'Bad hours', hours: [[{ open: '25:00', close: '23:00' }]] });
    expectStatus(hours, 400);
    expect(hours.json().errors.map((e: { field: string }) => e.field).join(' ')).toMatch(/body\.hours/);
  });

  it('hours are read in the location’s time zone, and a span closing before it opens runs past midnight', () => {
    const closed = [[], [], [], [], [], [], []];
    const fri = [[], [], [], [], [{ open: '17:00', close: '02:00' }], [], []];
    expect(openByHours(null, 3, '04:00')).toBe(true);
    expect(openByHours(closed, 3, '12:00')).toBe(false);
    expect(openByHours(fri, 5, '16:59')).toBe(false);
    expect(openByHours(fri, 5, '17:00')).toBe(true);
    expect(openByHours(fri, 6, '01:30')).toBe(true); // Saturday 01:30 is still Friday night
    expect(openByHours(fri, 6, '02:00')).toBe(false);
  });
});

describe('joining', () => {
  it('a guest joins from the public page with a normalised phone and gets an unguessable token and a status page', async () => {
    const q = await newQueue();
    const r = await guestJoin(q.id, { phone: '(212) 555-0188', email: 'ada@example.com', notes: 'High chair please', service_type: 'bar' });
    expectStatus(r, 201);
    const body = r.json();
    expect(body.entry).toMatchObject({ status: 'waiting', position: 1, phone: '+12125550188', source: 'guest' });
    expect(body.token).toMatch(/^bw_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/); // 256 random bits after the tenant part
    expect(body.status_url).toBe(`http://${biz.slug}.localhost:3000/e/${body.token}`);
    // The answer is the row as stored, field for field: it is built from the values written (the row is inserted
    // with the COMMIT), so this is what proves the two agree.
    const stored = await (await as('staff')).get(`/api/v1/waitlist/entries/${body.entry.id}`);
    expectStatus(stored, 200);
    const { deliveries: _deliveries, ...row } = stored.json();
    expect(Object.keys(row).sort()).toEqual(Object.keys(body.entry).sort());
    expect(row).toEqual(body.entry);
    const mine = await t.anonymous(biz).get(`/api/v1/public/waitlist/entries/${body.token}`);
    expectStatus(mine, 200);
    expect(mine.json()).toMatchObject({ name: 'Ada', position: 1, status: 'waiting', can_cancel: true });
    expect(mine.body).not.toContain('+12125550188');
    // A token with one character changed finds nothing.
    const forged = body.token.slice(0, -1) + (body.token.endsWith('A') ? 'B' : 'A');
    expectStatus(await t.anonymous(biz).get(`/api/v1/public/waitlist/entries/${forged}`), 404);
  });

  it('refuses with a clear reason: paused, closed hours, full, daily cap, party size, same phone, bad phone', async () => {
    const reasonOf = async (r: { statusCode: number; body: string; json(): { code: string; detail: string; errors?: { field: string }[] } }, status: number, code: string) => {
      expectStatus(r, status);
      expect(r.json().code).toBe(code);
      expect(r.json().detail.length).toBeGreaterThan(10);
      return r.json();
    };
    const paused = await newQueue({ accepting: false });
    await reasonOf(await guestJoin(paused.id), 409, 'queue_not_accepting');

    const neverOpen = await newQueue({ hours: [[], [], [], [], [], [], []] });
    const closed = await reasonOf(await guestJoin(neverOpen.id), 409, 'queue_closed');
    expect(closed.detail).toMatch(/closed all day/);

    const full = await newQueue({ max_capacity: 1 });
    expectStatus(await guestJoin(full.id), 201);
    await reasonOf(await guestJoin(full.id), 409, 'queue_full');
    // Staff may still add a walk-in standing at the stand.
    await walkIn(full.id);

    const capped = await newQueue({ daily_cap: 2 });
    const first = (await guestJoin(capped.id)).json();
    expectStatus(await guestJoin(capped.id), 201);
    // The cap counts the day's joins, not who is still waiting.
    expectStatus(await act(first.entry.id, 'seat'), 200);
    await reasonOf(await guestJoin(capped.id), 409, 'daily_cap_reached');

    const sized = await newQueue({ party_min: 2, party_max: 4 });
    const big = await reasonOf(await guestJoin(sized.id, { party_size: 9 }), 422, 'party_size_out_of_range');
    expect(big.errors?.[0]?.field).toBe('body.party_size');
    await reasonOf(await guestJoin(sized.id, { party_size: 1 }), 422, 'party_size_out_of_range');

    const once = await newQueue();
    const number = phone();
    expectStatus(await guestJoin(once.id, { phone: number }), 201);
    const dup = await reasonOf(await guestJoin(once.id, { phone: number.replace('+1', '') }), 409, 'already_waiting');
    expect(dup.errors?.[0]?.field).toBe('body.phone');

    const bad = await reasonOf(await guestJoin(once.id, { phone: '12' }), 400, 'validation_failed');
    expect(bad.errors?.[0]?.field).toBe('body.phone');
    await reasonOf(await guestJoin(once.id, { phone: '+1 555 0100 999' }), 400, 'invalid_phone');
    // Nothing was half-written by the refusals.
    expect((await boardOf(once.id)).entries).toHaveLength(1);
  });

  it('a guest sent by a booking site’s API key meets the refusals a guest meets; only a host’s walk-in is let in', async () => {
    const owner = await as('owner');
    const created = await owner.post('/api/v1/api-keys', { name: `Booking site ${randomUUID().slice(0, 6)}`, role: 'staff', location_id: biz.locationId });
    expectStatus(created, 201);
    const site = t.anonymous(biz);
    site.headers.authorization = `Bearer ${created.json().token}`;
    const viaSite = (queueId: string) => site.post(`/api/v1/waitlist/queues/${queueId}/entries`, { name: 'Booked online', party_size: 2 });
    const refused = async (queueId: string, code: string) => {
      const r = await viaSite(queueId);
      expectStatus(r, 409);
      expect(r.json().code).toBe(code);
    };

    await refused((await newQueue({ accepting: false })).id, 'queue_not_accepting');
    await refused((await newQueue({ hours: [[], [], [], [], [], [], []] })).id, 'queue_closed');
    const full = await newQueue({ max_capacity: 1 });
    expectStatus(await viaSite(full.id), 201);
    await refused(full.id, 'queue_full');
    // The party at the stand is the host's to seat, full or not.
    await walkIn(full.id);
    const capped = await newQueue({ daily_cap: 1 });
    expectStatus(await viaSite(capped.id), 201);
    await refused(capped.id, 'daily_cap_reached');
  });

  it('limits joins per phone number and per address', async () => {
    const q = await newQueue();
    const number = phone();
    for (let i = 0; i < 5; i++) {
      const r = (await guestJoin(q.id, { phone: number })).json();
      expectStatus(await act(r.entry.id, 'cancel'), 200);
    }
    const limited = await guestJoin(q.id, { phone: number });
    expectStatus(limited, 429);
    expect(limited.json().errors[0].field).toBe('body.phone');
    // The per-address limit (20 joins in 10 minutes per business) counts the five above too.
    const other = await t.tenant();
    const q2 = await newQueue({}, other);
    let last = 0;
    for (let i = 0; i < 21; i++) last = (await guestJoin(q2.id, {}, other)).statusCode;
    expect(last).toBe(429);
  });
});

// Each group has a business of its own: guest joins from this one test address count towards the per-address limit.
describe('the line', () => {
  beforeAll(async () => {
    biz = await t.tenant();
  });

  it('100 simultaneous joins get places 1..100 with no gap or duplicate; leaving, seating and moving keep the line dense', async () => {
    const q = await newQueue({ party_max: 20 });
    const staff = await as('staff');
    const joins = await Promise.all(Array.from({ length: 100 }, (_, i) => staff.post(`/api/v1/waitlist/queues/${q.id}/entries`, { name: `Party ${i}`, party_size: 1 + (i % 8) })));
    for (const r of joins) expectStatus(r, 201);
    const taken = joins.map((r) => r.json().entry.position as number).sort((a, b) => a - b);
    expect(taken).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await positions(q.id)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));

    // Concurrent changes from two hosts: calls, seats, cancels and moves at once.
    const board = (await boardOf(q.id)).entries;
    const other = await as('manager');
    const changes = await Promise.all([
      ...board.slice(0, 10).map((e) => act(e.id, 'seat')),
      ...board.slice(10, 20).map((e) => act(e.id, 'cancel', undefined, other)),
      ...board.slice(20, 30).map((e, i) => act(e.id, 'move', { position: 90 - i })),
      ...board.slice(30, 35).map((e) => act(e.id, 'call', undefined, other)),
      ...Array.from({ length: 10 }, (_, i) => staff.post(`/api/v1/waitlist/queues/${q.id}/entries`, { name: `Late ${i}`, party_size: 2 })),
    ]);
    for (const r of changes) expect(r.statusCode, r.body).toBeLessThan(300);
    // 100 − 10 seated − 10 cancelled − 5 called + 10 late joins.
    expect(await positions(q.id)).toEqual(Array.from({ length: 85 }, (_, i) => i + 1));
  });

  it('call, seat, complete; no-show and requeue; every step timestamped and audited; wrong steps refused', async () => {
    const q = await newQueue();
    const a = await walkIn(q.id, { name: 'Alpha' });
    const b = await walkIn(q.id, { name: 'Bravo' });
    const c = await walkIn(q.id, { name: 'Charlie' });
    const next = await (await as('staff')).post(`/api/v1/waitlist/queues/${q.id}/call-next`);
    expectStatus(next, 200);
    expect(next.json()).toMatchObject({ id: a.entry.id, status: 'called', position: null, calls: 1 });
    expect(next.json().called_at).not.toBeNull();
    expect(await positions(q.id)).toEqual([1, 2]);

    const seated = await act(a.entry.id, 'seat');
    expect(seated.json()).toMatchObject({ status: 'seated' });
    expect(seated.json().seated_at).not.toBeNull();
    const done = await act(a.entry.id, 'complete');
    expect(done.json()).toMatchObject({ status: 'completed' });
    const again = await act(a.entry.id, 'seat');
    expectStatus(again, 409);
    expect(again.json()).toMatchObject({ code: 'invalid_transition' });

    expectStatus(await act(b.entry.id, 'call'), 200);
    const missing = await act(b.entry.id, 'no-show');
    expect(missing.json()).toMatchObject({ status: 'no_show' });
    const back = await act(b.entry.id, 'requeue', { position: 2 });
    expect(back.json()).toMatchObject({ status: 'waiting', position: 2 });
    expect((await boardOf(q.id)).entries.filter((e) => e.status === 'waiting').map((e) => e.name)).toEqual(['Charlie', 'Bravo']);

    const cancelled = await act(c.entry.id, 'cancel');
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', cancelled_by: 'staff' });
    expect(await positions(q.id)).toEqual([1]);

    const audit = await (await as('owner')).get(`/api/v1/audit?resource_id=${a.entry.id}`);
    expectStatus(audit, 200);
    const actions = (audit.json().items as { action: string }[]).map((x) => x.action).sort();
    expect(actions).toEqual(['waitlist.entry.call', 'waitlist.entry.complete', 'waitlist.entry.joined', 'waitlist.entry.seat'].sort());
  });

  it('call next takes the front of the line each time, and says so when nobody is waiting', async () => {
    const q = await newQueue();
    const staff = await as('staff');
    const a = await walkIn(q.id, { name: 'Alpha' });
    const b = await walkIn(q.id, { name: 'Bravo' });
    const first = await staff.post(`/api/v1/waitlist/queues/${q.id}/call-next`);
    const second = await staff.post(`/api/v1/waitlist/queues/${q.id}/call-next`);
    expect([first.json().id, second.json().id]).toEqual([a.entry.id, b.entry.id]);
    const empty = await staff.post(`/api/v1/waitlist/queues/${q.id}/call-next`);
    expectStatus(empty, 409);
    expect(empty.json()).toMatchObject({ code: 'line_empty' });
    expect(empty.json().detail).toContain(q.name);
    // Another business's host cannot reach into this line.
    const other = await (await as('staff', await t.tenant())).post(`/api/v1/waitlist/queues/${q.id}/call-next`);
    expectStatus(other, 404);
  });

  it('bulk call calls the chosen guests together, or none when one is not waiting', async () => {
    const q = await newQueue();
    const [a, b, c] = [await walkIn(q.id), await walkIn(q.id), await walkIn(q.id)];
    const staff = await as('staff');
    const refused = await staff.post(`/api/v1/waitlist/queues/${q.id}/bulk-call`, { entry_ids: [a.entry.id, randomUUID()] });
    expectStatus(refused, 404);
    expect(await positions(q.id)).toEqual([1, 2, 3]);
    const r = await staff.post(`/api/v1/waitlist/queues/${q.id}/bulk-call`, { entry_ids: [c.entry.id, a.entry.id] });
    expectStatus(r, 200);
    expect(r.json().items.map((e: Entry) => e.status)).toEqual(['called', 'called']);
    const board = await boardOf(q.id);
    expect(board.entries.find((e) => e.id === b.entry.id)).toMatchObject({ position: 1 });
  });

  it('a called guest who does not come becomes a no-show after the grace period, by a durable job', async () => {
    const q = await newQueue({ no_show_grace_minutes: 5 });
    const g = await walkIn(q.id);
    await act(g.entry.id, 'call');
    // The job waits five minutes; bring its time forward rather than sleeping.
    await t.db.admin(`UPDATE jobs SET run_at = now() WHERE kind = 'waitlist.no_show' AND payload->>'entry_id' = $1`, [g.entry.id]);
    await t.app.brigade.jobs.drain();
    const after = await (await as('staff')).get(`/api/v1/waitlist/entries/${g.entry.id}`);
    expect(after.json()).toMatchObject({ status: 'no_show' });

    // Requeued and called again: the first call's job must not mark the second call a no-show.
    const h = await walkIn(q.id);
    await act(h.entry.id, 'call');
    expectStatus(await act(h.entry.id, 'requeue', {}), 200);
    await act(h.entry.id, 'call');
    await t.db.admin(`UPDATE jobs SET run_at = now() WHERE kind = 'waitlist.no_show' AND payload->>'entry_id' = $1 AND (payload->>'calls')::int = 1`, [h.entry.id]);
    await t.app.brigade.jobs.drain();
    const second = (await (await as('staff')).get(`/api/v1/waitlist/entries/${h.entry.id}`)).json();
    expect(second, JSON.stringify(second)).toMatchObject({ status: 'called', calls: 2 });
  });

  it('a guest may cancel their own place when the queue allows it', async () => {
    const q = await newQueue();
    const g = (await guestJoin(q.id)).json();
    const r = await t.anonymous(biz).post(`/api/v1/public/waitlist/entries/${g.token}/cancel`);
    expectStatus(r, 200);
    expect(r.json()).toMatchObject({ status: 'cancelled', can_cancel: false });
    const strict = await newQueue({ guests_may_cancel: false });
    const h = (await guestJoin(strict.id)).json();
    expectStatus(await t.anonymous(biz).post(`/api/v1/public/waitlist/entries/${h.token}/cancel`), 403);
  });

  it('estimates grow with the line, and more tables shorten them', async () => {
    const few = await newQueue({ tables: 1, default_service_minutes: 30 });
    const many = await newQueue({ tables: 6, default_service_minutes: 30 });
    for (let i = 0; i < 6; i++) {
      await walkIn(few.id);
      await walkIn(many.id);
    }
    const est = (e: Entry[]) => e.filter((x) => x.status === 'waiting').map((x) => x.estimate_minutes!);
    const f = est((await boardOf(few.id)).entries);
    const m = est((await boardOf(many.id)).entries);
    for (let i = 1; i < f.length; i++) expect(f[i]!).toBeGreaterThanOrEqual(f[i - 1]!);
    expect(f[5]!).toBeGreaterThan(m[5]!);
  });
});

describe('estimates at joining', () => {
  it('a join is estimated from where the tables stand after the line, kept with the queue while it is still the line’s', async () => {
    const q = await newQueue({ tables: 2, default_service_minutes: 30 });
    const waitingEstimates = async () => (await boardOf(q.id)).entries.filter((e) => e.status === 'waiting').map((e) => e.estimate_minutes!);
    const answers: number[] = [];
    for (const size of [2, 4, 2, 6, 2]) answers.push((await walkIn(q.id, { party_size: size })).entry.estimate_minutes!);
    // Each answer, played on from the end the join before kept, is what the whole line played afresh gives that guest.
    expect(answers).toEqual([0, 0, 30, 30, 60]);
    expect(await waitingEstimates()).toEqual(answers);
    // The end is kept on the last guest in line, written with their row.
    const last = `tenant_id = $1 AND queue_id = $2 AND status = 'waiting' AND position = (SELECT max(position) FROM waitlist_entries WHERE tenant_id = $1 AND queue_id = $2 AND status = 'waiting')`;
    const end = async () => (await t.db.admin(`SELECT line_end FROM waitlist_entries WHERE ${last}`, [biz.id, q.id], 'superuser'))[0]!.line_end;
    expect(await end()).toMatchObject({ waiting: 5, tables: 2, default_service_minutes: 30 });
    const doctor = (change: string) => t.db.admin(`UPDATE waitlist_entries SET line_end = ${change} WHERE ${last}`, [biz.id, q.id], 'superuser');

    // The next join reads the kept end, not the line: an end doctored to both tables taken for 500 minutes is its answer.
    await doctor(`jsonb_set(line_end, '{free_in}', '[500, 500]')`);
    expect((await walkIn(q.id)).entry.estimate_minutes).toBe(500);
    // An end last played in full over a minute ago is played afresh, and answers as the board does.
    await doctor(`jsonb_set(line_end, '{since}', to_jsonb(now() - interval '2 minutes'))`);
    const afresh = (await walkIn(q.id)).entry.estimate_minutes;
    expect(afresh).toBe(90);
    expect((await waitingEstimates()).at(-1)).toBe(afresh);

    // A change to the line writes the line's new end on whoever is last after it.
    const first = (await boardOf(q.id)).entries.find((e) => e.position === 1)!;
    expectStatus(await act(first.id, 'seat'), 200);
    expect(await end()).toMatchObject({ waiting: 6, tables: 2 });
    // An end played for another line (a different count, or other tables) is not used.
    await doctor(`jsonb_set(jsonb_set(line_end, '{free_in}', '[500, 500]'), '{waiting}', '99')`);
    const recounted = (await walkIn(q.id)).entry.estimate_minutes;
    expect(recounted).not.toBe(500);
    expect((await waitingEstimates()).at(-1)).toBe(recounted);
    await doctor(`jsonb_set(jsonb_set(line_end, '{free_in}', '[500, 500, 500]'), '{tables}', '3')`);
    const retabled = (await walkIn(q.id)).entry.estimate_minutes;
    expect(retabled).not.toBe(500);
    expect((await waitingEstimates()).at(-1)).toBe(retabled);
  });
});

describe('chat and guest messages', () => {
  beforeAll(async () => {
    biz = await t.tenant();
  });

  it('staff and a guest write to each other; staff see unread counts; text is stored as written', async () => {
    const q = await newQueue();
    const g = (await guestJoin(q.id)).json();
    const guest = t.anonymous(biz);
    const evil = '<img src=x onerror=alert(1)>';
    expectStatus(await guest.post(`/api/v1/public/waitlist/entries/${g.token}/messages`, { body: evil }), 201);
    const board = await boardOf(q.id);
    expect(board.entries.find((e) => e.id === g.entry.id)).toMatchObject({ unread: 1 });
    const staff = await as('staff');
    const history = await staff.get(`/api/v1/waitlist/entries/${g.entry.id}/messages`);
    expect(history.json().items[0]).toMatchObject({ sender: 'guest', body: evil, author: null });
    expectStatus(await staff.post(`/api/v1/waitlist/entries/${g.entry.id}/messages/read`), 200);
    expect((await boardOf(q.id)).entries.find((e) => e.id === g.entry.id)).toMatchObject({ unread: 0 });
    // The other hosts' boards and the guest's page hear it (once: reading again changes nothing, says nothing).
    expectStatus(await staff.post(`/api/v1/waitlist/entries/${g.entry.id}/messages/read`), 200);
    expect(await t.db.admin(`SELECT channel, data->>'unread' AS unread FROM realtime_events WHERE tenant_id = $1 AND type = 'messages.read' ORDER BY seq`, [biz.id])).toEqual([
      { channel: `queue:${q.id}`, unread: '0' },
      { channel: `entry:${g.entry.id}`, unread: '0' },
    ]);
    expectStatus(await staff.post(`/api/v1/waitlist/entries/${g.entry.id}/messages`, { body: 'Five more minutes!' }), 201);
    const seen = await guest.get(`/api/v1/public/waitlist/entries/${g.token}/messages`);
    expect(seen.json().items.map((m: { body: string }) => m.body)).toEqual([evil, 'Five more minutes!']);
    expect(seen.json().items[1].author).toMatch(/Staff/);
  });

  it('a guest’s retried message is written once, and another guest choosing the same Idempotency-Key is not refused', async () => {
    const q = await newQueue();
    const [a, b] = [(await guestJoin(q.id)).json(), (await guestJoin(q.id)).json()];
    const guest = t.anonymous(biz);
    const key = { 'idempotency-key': 'msg-1' };
    const send = (token: string, body: string) => guest.post(`/api/v1/public/waitlist/entries/${token}/messages`, { body }, key);
    const first = await send(a.token, 'Running late');
    const retry = await send(a.token, 'Running late');
    expectStatus(first, 201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().id).toBe(first.json().id);
    // Guests have no credential but their entry token, which is what their keys are kept under.
    const other = await send(b.token, 'Is there a high chair?');
    expectStatus(other, 201);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    const bodies = await t.db.admin(`SELECT body FROM waitlist_messages WHERE tenant_id = $1 AND entry_id = ANY($2::uuid[]) ORDER BY created_at`, [biz.id, [a.entry.id, b.entry.id]]);
    expect(bodies.map((r) => r.body)).toEqual(['Running late', 'Is there a high chair?']);
  });

  it('joined, getting close, called and no-show go out by email and SMS through a durable job, each logged and counted', async () => {
    const q = await newQueue({ notify_at_position: 1 });
    const first = await guestJoin(q.id, { email: 'first@example.com' });
    const number = phone();
    const second = (await guestJoin(q.id, { phone: number, email: 'second@example.com' })).json();
    await t.app.brigade.jobs.drain();
    const joinedMail = await mail.next((m) => m.to.includes('second@example.com'));
    expect(joinedMail.subject).toMatch(/on the list/);
    expect(joinedMail.text).toContain(second.status_url.split('.').slice(0, -1).join('.')); // the link, up to its secret
    const joinedSms = await peer.next((m) => m.to === number);
    expect(joinedSms.body).toMatch(/number 2/);

    // The first is called: the second reaches position 1 and hears they are getting close.
    expectStatus(await act(first.json().entry.id, 'call'), 200);
    await t.app.brigade.jobs.drain();
    expect((await mail.next((m) => m.to.includes('first@example.com') && /ready/.test(m.subject))).text).toMatch(/table is ready/);
    expect((await peer.next((m) => m.to === number)).body).toMatch(/getting close/);

    // The provider refuses a number: logged as failed with its reason, not retried.
    peer.failNext('sms', 1, 400, { code: 21211, message: "The 'To' number is not a valid phone number.", more_info: 'https://www.twilio.com/docs/errors/21211', status: 400 });
    expectStatus(await act(second.entry.id, 'call'), 200);
    await t.app.brigade.jobs.drain();
    const detail = (await (await as('staff')).get(`/api/v1/waitlist/entries/${second.entry.id}`)).json();
    const byKind = (kind: string, channel: string) => detail.deliveries.find((d: { kind: string; channel: string }) => d.kind === kind && d.channel === channel);
    expect(byKind('joined', 'sms')).toMatchObject({ status: 'sent', attempts: 1 });
    expect(byKind('called', 'sms')).toMatchObject({ status: 'failed' });
    expect(byKind('called', 'sms').error).toMatch(/21211/);
    expect(byKind('called', 'email')).toMatchObject({ status: 'sent' });
    // The sent copy keeps no working link.
    const [stored] = await t.db.admin(`SELECT body FROM waitlist_deliveries WHERE entry_id = $1 AND kind = 'joined' AND channel = 'email'`, [second.entry.id]);
    expect(String(stored!.body)).toContain('[removed after sending]');

    // A provider that is down is retried later, and the attempt's error is kept.
    const third = (await guestJoin(q.id, { phone: phone() })).json();
    peer.failNext('sms', 1, 503, { code: 20500, message: 'Service unavailable', status: 503 });
    await t.app.brigade.jobs.drain();
    const retried = (await (await as('staff')).get(`/api/v1/waitlist/entries/${third.entry.id}`)).json().deliveries[0];
    expect(retried).toMatchObject({ status: 'queued', attempts: 1 });
    expect(retried.error).toMatch(/503|unavailable/i);
    await t.db.admin(`UPDATE jobs SET run_at = now() WHERE kind = 'waitlist.deliver' AND status = 'pending'`);
    await t.app.brigade.jobs.drain();
    expect((await (await as('staff')).get(`/api/v1/waitlist/entries/${third.entry.id}`)).json().deliveries[0]).toMatchObject({ status: 'sent', attempts: 2 });

    const [usage] = await t.db.admin(`SELECT value FROM usage_daily WHERE tenant_id = $1 AND metric = 'messages_sent'`, [biz.id]);
    expect(Number(usage!.value)).toBeGreaterThanOrEqual(6);
  });

  it('the business\'s channels decide where a guest is written to, at joining, call next, call and no-show alike', async () => {
    biz = await t.tenant(); // its settings change: a business of its own
    const owner = await as('owner');
    const channels = async (change: Record<string, boolean>) => {
      const { version } = (await owner.get('/api/v1/waitlist/settings')).json();
      expectStatus(await owner.put('/api/v1/waitlist/settings', { ...change, version }), 200);
    };
    const sent = async (entryId: string) =>
      (await t.db.admin(`SELECT kind, channel FROM waitlist_deliveries WHERE entry_id = $1 ORDER BY kind, channel`, [entryId])).map((r) => `${r.kind} ${r.channel}`);
    const q = await newQueue();
    const staff = await as('staff');

    await channels({ notify_sms: false });
    const first = (await guestJoin(q.id, { phone: phone(), email: 'first@example.com' })).json();
    const second = (await guestJoin(q.id, { phone: phone(), email: 'second@example.com' })).json();
    expectStatus(await staff.post(`/api/v1/waitlist/queues/${q.id}/call-next`), 200);
    expectStatus(await act(first.entry.id, 'no-show'), 200);
    expect(await sent(first.entry.id)).toEqual(['called email', 'joined email', 'no_show email']);

    await channels({ notify_email: false });
    const third = (await guestJoin(q.id, { phone: phone(), email: 'third@example.com' })).json();
    expectStatus(await act(second.entry.id, 'call'), 200);
    expect(await sent(second.entry.id)).toEqual(['joined email']);
    expect(await sent(third.entry.id)).toEqual([]);

    await channels({ notify_sms: true });
    expectStatus(await act(third.entry.id, 'call'), 200);
    expect(await sent(third.entry.id)).toEqual(['called sms']);
  });
});

describe('analytics and retention', () => {
  it('counts served, waits, no-shows and cancellations per day, and exports CSV', async () => {
    const other = await t.tenant();
    const q = await newQueue({}, other);
    const staff = await t.as(other, 'staff');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await walkIn(q.id, {}, staff)).entry.id);
    await act(ids[0]!, 'seat', undefined, staff);
    await act(ids[1]!, 'seat', undefined, staff);
    await act(ids[2]!, 'cancel', undefined, staff);
    await act(ids[3]!, 'no-show', undefined, staff);
    // Two of them waited a known time: 10 and 30 minutes.
    await t.db.admin(`UPDATE waitlist_entries SET seated_at = joined_at + interval '10 minutes' WHERE id = $1`, [ids[0]]);
    await t.db.admin(`UPDATE waitlist_entries SET seated_at = joined_at + interval '30 minutes' WHERE id = $1`, [ids[1]]);
    const manager = await t.as(other, 'manager');
    const r = await manager.get(`/api/v1/waitlist/analytics?period=7d&queue_id=${q.id}`);
    expectStatus(r, 200);
    const a = r.json();
    expect(a).toMatchObject({ joined: 5, served: 2, cancelled: 1, no_shows: 1, average_wait_minutes: 20, no_show_rate: 0.25, cancellation_rate: 0.25 });
    expect(a.p90_wait_minutes).toBeCloseTo(28, 0);
    expect(a.days).toHaveLength(7);
    expect(a.days.at(-1)).toMatchObject({ joined: 5, served: 2 });
    expect(a.busiest_hours[0].joined).toBe(5);
    const csv = await manager.get(`/api/v1/waitlist/analytics.csv?period=7d&queue_id=${q.id}`);
    expectStatus(csv, 200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.body.split('\n')[0]).toBe('date,joined,served,cancelled,no_shows,average_wait_minutes');
    expect(csv.body).toContain(`${a.days.at(-1).date},5,2,1,1,20`);
    expectStatus(await (await t.as(other, 'staff')).get('/api/v1/waitlist/analytics'), 403);
  });

  it('the daily retention job purges entries older than the business’s retention, and reschedules itself', async () => {
    const other = await t.tenant();
    const q = await newQueue({}, other);
    const staff = await t.as(other, 'staff');
    const old = (await walkIn(q.id, {}, staff)).entry.id;
    const recent = (await walkIn(q.id, {}, staff)).entry.id;
    await act(old, 'seat', undefined, staff);
    await act(recent, 'seat', undefined, staff);
    await t.db.admin(`UPDATE waitlist_entries SET joined_at = now() - interval '200 days' WHERE id = $1`, [old]);
    const [job] = await t.db.admin(`SELECT id FROM jobs WHERE tenant_id = $1 AND kind = 'waitlist.retention' AND status = 'pending'`, [other.id]);
    expect(job).toBeDefined();
    await t.db.admin(`UPDATE jobs SET run_at = now() WHERE id = $1`, [job!.id]);
    await t.app.brigade.jobs.drain();
    const left = await t.db.admin(`SELECT id FROM waitlist_entries WHERE tenant_id = $1 ORDER BY id`, [other.id]);
    expect(left.map((r) => r.id)).toEqual([recent]);
    const next = await t.db.admin(`SELECT run_at > now() + interval '23 hours' AS later FROM jobs WHERE tenant_id = $1 AND kind = 'waitlist.retention' AND status = 'pending'`, [other.id]);
    expect(next).toEqual([{ later: true }]);
  });
});
