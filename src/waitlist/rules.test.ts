import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type Client, type TestApp } from '../../test/harness.ts';
import type { TenantRole } from '../identity/permissions.ts';
import type { SeededTenant } from '../platform/demo.ts';

/**
 * Waitlist rules that the audit of issue #5 found unproven or broken: the order of a queue's live events, the
 * retention purge's schedule, the trail of what the system does on its own, the guest's side of the chat, a deleted
 * queue's boards, and the rules of the line as a host and a manager meet them.
 */

let t: TestApp;
let port: number;
const people = new Map<string, Client>();
let phoneSeq = 0;
const phone = () => `+1212555${String(3000 + phoneSeq++).padStart(4, '0')}`;
/** Long enough for a slow, shared machine; short enough to fail well inside the test's own timeout. */
const WAIT_MS = 5_000;

beforeAll(async () => {
  t = await testApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as AddressInfo).port;
});
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await t?.close();
});

async function as(biz: SeededTenant, role: TenantRole): Promise<Client> {
  const key = `${biz.slug}:${role}`;
  if (!people.has(key)) people.set(key, await t.as(biz, role));
  return people.get(key)!;
}

function expectStatus(r: { statusCode: number; body: string }, status: number) {
  expect(r.statusCode, r.body).toBe(status);
}

type Entry = {
  id: string;
  status: string;
  position: number | null;
  estimate_minutes: number | null;
  version: number;
  location_id: string;
  called_at: string | null;
  seated_at: string | null;
  completed_at: string | null;
  cancelled_at: string | null;
  no_show_at: string | null;
  cancelled_by: string | null;
};

async function newQueue(biz: SeededTenant, extra: Record<string, unknown> = {}, locationId = biz.locationId): Promise<{ id: string; version: number; open_now: boolean; closed_reason: string | null }> {
  const r = await (await as(biz, 'owner')).post('/api/v1/waitlist/queues', { location_id: locationId, name: `Dinner ${randomUUID().slice(0, 6)}`, ...extra });
  expectStatus(r, 201);
  return r.json();
}

async function walkIn(biz: SeededTenant, queueId: string, body: Record<string, unknown> = {}, role: TenantRole = 'staff') {
  const r = await (await as(biz, role)).post(`/api/v1/waitlist/queues/${queueId}/entries`, { name: 'Walk-in', party_size: 2, ...body });
  expectStatus(r, 201);
  return r.json() as { entry: Entry; token: string };
}

function guestJoin(biz: SeededTenant, queueId: string, body: Record<string, unknown> = {}) {
  return t.anonymous(biz).post(`/api/v1/public/waitlist/queues/${queueId}/entries`, { name: 'Ada', phone: phone(), party_size: 2, ...body });
}

async function act(biz: SeededTenant, entryId: string, action: string, body?: unknown) {
  const r = await (await as(biz, 'staff')).post(`/api/v1/waitlist/entries/${entryId}/${action}`, body);
  expectStatus(r, 200);
  return r.json() as Entry;
}

async function trail(biz: SeededTenant, filter: string): Promise<{ action: string; actor_type: string; actor_label: string; risk: string; changes: Record<string, unknown> | null }[]> {
  const r = await (await as(biz, 'owner')).get(`/api/v1/audit?${filter}&limit=100`);
  expectStatus(r, 200);
  return r.json().items;
}

async function newLocation(biz: SeededTenant, timeZone: string): Promise<string> {
  const r = await (await as(biz, 'owner')).post('/api/v1/locations', { name: `Branch ${randomUUID().slice(0, 6)}`, time_zone: timeZone });
  expectStatus(r, 201);
  return r.json().id;
}

/** Runs one due job kind of one business now, instead of waiting for its time. */
async function runNow(biz: SeededTenant, kind: string, extra = '') {
  await t.db.admin(`UPDATE jobs SET run_at = now() WHERE tenant_id = $1 AND kind = $2 AND status = 'pending' ${extra}`, [biz.id, kind]);
  await t.app.brigade.jobs.drain();
}

// ---------------------------------------------------------------- sockets

interface Received {
  type: string;
  id?: string;
  seq?: number;
  event?: string;
  code?: string;
  data?: Record<string, unknown>;
}

const sockets: Socket[] = [];

/** A host stand's socket: every message kept in order, `next` waits for the first unread one that matches. */
class Socket {
  private received: Received[] = [];
  private read = 0;
  private wake: (() => void) | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData) => {
      this.received.push(JSON.parse(data.toString()) as Received);
      this.wake?.();
    });
  }

  static open(host: string, client: Client): Promise<Socket> {
    const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/realtime`, { headers: { host, cookie } });
    const socket = new Socket(ws);
    sockets.push(socket);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
    });
  }

  next(match: (m: Received) => boolean, what: string): Promise<Received> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wake = null;
        reject(new Error(`no ${what} within ${WAIT_MS} ms; received ${JSON.stringify(this.received)}`));
      }, WAIT_MS);
      const look = () => {
        while (this.read < this.received.length) {
          const m = this.received[this.read++]!;
          if (match(m)) {
            clearTimeout(timer);
            this.wake = null;
            resolve(m);
            return;
          }
        }
      };
      this.wake = look;
      look();
    });
  }

  subscribe(id: string, queueId: string): Promise<Received> {
    this.ws.send(JSON.stringify({ type: 'subscribe', id, kind: 'waitlist.queue', params: { queue_id: queueId } }));
    return this.next((m) => m.id === id && m.type !== 'event', `the answer to subscription ${id}`);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

// ---------------------------------------------------------------- the audit's gaps

describe('the queue’s live events stay in commit order', () => {
  // Holding a row lock from a second session and watching another wait for it needs a server: PGlite is one session.
  it.runIf(process.env.DATABASE_URL)('a host reading a guest’s messages waits for the queue another host is changing', async () => {
    expect(t.db.kind).toBe('pg');
    const biz = await t.tenant();
    const q = await newQueue(biz);
    const g = (await guestJoin(biz, q.id)).json();
    expectStatus(await t.anonymous(biz).post(`/api/v1/public/waitlist/entries/${g.token}/messages`, { body: 'We are at the bar' }), 201);

    const [db] = await t.db.admin('SELECT current_database() AS name');
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${String(db!.name)}`;
    const otherHost = new pg.Client({ connectionString: url.toString() });
    await otherHost.connect();
    try {
      await otherHost.query('BEGIN');
      await otherHost.query('SELECT 1 FROM waitlist_queues WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [biz.id, q.id]);
      let answered = false;
      const reading = (await as(biz, 'staff')).post(`/api/v1/waitlist/entries/${g.entry.id}/messages/read`).finally(() => (answered = true));
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const [waiting] = await t.db.admin(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1`,
          [(otherHost as unknown as { processID: number }).processID],
        );
        if (Number(waiting!.n) > 0) break;
        // Marked read while the queue was held: its event took a number that could commit before the other's.
        expect(answered, 'the read receipt was written without waiting for the queue').toBe(false);
        if (Date.now() > deadline) throw new Error('the read receipt neither waited for the queue nor answered');
      }
      expect(answered).toBe(false);
      await otherHost.query('COMMIT');
      const r = await reading;
      expectStatus(r, 200);
      expect(r.json()).toEqual({ unread: 0 });
    } finally {
      await otherHost.query('ROLLBACK').catch(() => undefined);
      await otherHost.end();
    }
  });
});

describe('the retention purge is scheduled for every business with a queue', () => {
  it('a new business’s starter queue comes with its daily purge', async () => {
    const biz = await t.tenant();
    const [starter] = await t.db.admin(`SELECT count(*)::int AS n FROM waitlist_queues WHERE tenant_id = $1`, [biz.id]);
    expect(starter!.n).toBe(1);
    const jobs = await t.db.admin(
      `SELECT run_at > now() + interval '23 hours' AS tomorrow FROM jobs WHERE tenant_id = $1 AND kind = 'waitlist.retention' AND status = 'pending'`,
      [biz.id],
    );
    expect(jobs).toEqual([{ tomorrow: true }]);
  });

  it('a purge that failed for good, or one that went missing, is put back when the job runner starts', async () => {
    const failed = await t.tenant();
    const missing = await t.tenant();
    await t.db.admin(`UPDATE jobs SET status = 'failed', attempts = max_attempts WHERE tenant_id = $1 AND kind = 'waitlist.retention'`, [failed.id]);
    await t.db.admin(`DELETE FROM jobs WHERE tenant_id = $1 AND kind = 'waitlist.retention'`, [missing.id]);
    const jobs = t.app.brigade.jobs;
    await jobs.start();
    try {
      await jobs.drain();
    } finally {
      await jobs.stop();
    }
    for (const biz of [failed, missing]) {
      // Due at once: it ran, and queued tomorrow's.
      const rows = await t.db.admin(
        `SELECT status, run_at > now() + interval '23 hours' AS tomorrow FROM jobs WHERE tenant_id = $1 AND kind = 'waitlist.retention' AND status <> 'failed' ORDER BY created_at`,
        [biz.id],
      );
      expect(rows, biz.slug).toEqual([
        { status: 'done', tomorrow: false },
        { status: 'pending', tomorrow: true },
      ]);
    }
  });

  it('saving the retention puts back a purge that was lost', async () => {
    const biz = await t.tenant();
    await t.db.admin(`DELETE FROM jobs WHERE tenant_id = $1 AND kind = 'waitlist.retention'`, [biz.id]);
    const owner = await as(biz, 'owner');
    const { version } = (await owner.get('/api/v1/waitlist/settings')).json();
    expectStatus(await owner.put('/api/v1/waitlist/settings', { retention_days: 90, version }), 200);
    expect(await t.db.admin(`SELECT status FROM jobs WHERE tenant_id = $1 AND kind = 'waitlist.retention'`, [biz.id])).toEqual([{ status: 'pending' }]);
  });
});

describe('what the system does on its own is in the trail', () => {
  it('the automatic no-show after the grace period is recorded, low risk, by the system', async () => {
    const biz = await t.tenant();
    const q = await newQueue(biz, { no_show_grace_minutes: 5 });
    const g = await walkIn(biz, q.id);
    await act(biz, g.entry.id, 'call');
    await runNow(biz, 'waitlist.no_show');
    const records = await trail(biz, `resource_id=${g.entry.id}&action=waitlist.entry.no_show`);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ actor_type: 'system', actor_label: 'job:waitlist.no_show', risk: 'low', changes: { status: ['called', 'no_show'], automatic: true } });
  });

  it('the retention purge is recorded, medium risk, with how much it deleted', async () => {
    const biz = await t.tenant();
    const q = await newQueue(biz);
    const old = await walkIn(biz, q.id);
    await act(biz, old.entry.id, 'seat');
    await t.db.admin(`UPDATE waitlist_entries SET joined_at = now() - interval '200 days' WHERE id = $1`, [old.entry.id]);
    await runNow(biz, 'waitlist.retention');
    const records = await trail(biz, 'action=waitlist.retention.purged');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ actor_type: 'system', risk: 'medium', changes: { entries: 1, retention_days: 183 } });
  });
});

describe('the guest’s side of the chat', () => {
  it('a guest reading the chat marks the restaurant’s messages read, and the host sees when', async () => {
    const biz = await t.tenant();
    const q = await newQueue(biz);
    const g = (await guestJoin(biz, q.id)).json();
    const staff = await as(biz, 'staff');
    expectStatus(await staff.post(`/api/v1/waitlist/entries/${g.entry.id}/messages`, { body: 'Your table is nearly ready' }), 201);
    const guest = t.anonymous(biz);
    expect((await guest.get(`/api/v1/public/waitlist/entries/${g.token}`)).json()).toMatchObject({ unread: 1 });
    expectStatus(await guest.get(`/api/v1/public/waitlist/entries/${g.token}/messages`), 200);
    expect((await guest.get(`/api/v1/public/waitlist/entries/${g.token}`)).json()).toMatchObject({ unread: 0 });
    const seen = (await staff.get(`/api/v1/waitlist/entries/${g.entry.id}/messages`)).json().items;
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ sender: 'staff', read_at: expect.any(String) });
  });
});

describe('a deleted queue', () => {
  it('tells the other tablets on its board', async () => {
    const biz = await t.tenant();
    const q = await newQueue(biz);
    const tablet = await Socket.open(`${biz.slug}.localhost`, await as(biz, 'staff'));
    expect(await tablet.subscribe('board', q.id)).toMatchObject({ type: 'subscribed' });
    expectStatus(await (await as(biz, 'manager')).delete(`/api/v1/waitlist/queues/${q.id}`), 204);
    const told = await tablet.next((m) => m.type === 'event', 'the deletion');
    expect(told).toMatchObject({ event: 'queue.deleted', data: { queue_id: q.id } });
  });
});

// ---------------------------------------------------------------- rules that worked, now proven

describe('the running service’s estimates', () => {
  it('learn from the queue’s own finished visits: couples who stayed 20 minutes make the next couple’s wait about 20', async () => {
    const biz = await t.tenant();
    const q = await newQueue(biz, { tables: 1, default_service_minutes: 60 });
    // Thirty evenings of a couple seated at this very local hour and gone 20 minutes later.
    await t.db.admin(
      `INSERT INTO waitlist_entries (tenant_id, id, queue_id, location_id, token_hash, name, party_size, source, status, position_at_join,
                                     business_date, joined_at, called_at, seated_at, completed_at, calls, close_notified)
       SELECT $1, gen_random_uuid(), q.id, q.location_id, sha256(gen_random_uuid()::text::bytea), 'Regulars', 2, 'staff', 'completed', 1,
              (s.at AT TIME ZONE l.time_zone)::date, s.at - interval '10 minutes', s.at, s.at, s.at + interval '20 minutes', 1, true
         FROM waitlist_queues q JOIN locations l ON l.tenant_id = q.tenant_id AND l.id = q.location_id,
              LATERAL (SELECT ((now() AT TIME ZONE l.time_zone) - make_interval(days => d)) AT TIME ZONE l.time_zone AS at FROM generate_series(1, 30) d) s
        WHERE q.tenant_id = $1 AND q.id = $2`,
      [biz.id, q.id],
    );
    // The model is kept five minutes per queue and default; opening the queue already built one from no history, so a
    // manager's change of the default is what has it learn afresh.
    const changed = await (await as(biz, 'owner')).patch(`/api/v1/waitlist/queues/${q.id}`, { default_service_minutes: 50, version: q.version });
    expectStatus(changed, 200);
    await walkIn(biz, q.id);
    const second = (await walkIn(biz, q.id)).entry.estimate_minutes!;
    expect(second).toBeGreaterThanOrEqual(15);
    expect(second).toBeLessThanOrEqual(30);

    // The same line in a queue with no history waits the default.
    const fresh = await newQueue(biz, { tables: 1, default_service_minutes: 50 });
    await walkIn(biz, fresh.id);
    expect((await walkIn(biz, fresh.id)).entry.estimate_minutes).toBe(50);
  });
});

/** The weekday (1 = Monday) and minutes past midnight now, in a time zone. */
function clockIn(timeZone: string): { minutes: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date());
  const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { minutes: n('hour') * 60 + n('minute') };
}

/** An evening's span every day of the week, from an hour before to an hour after `minutes`. */
function openAround(minutes: number) {
  const hhmm = (m: number) => {
    const w = ((m % 1440) + 1440) % 1440;
    return `${String(Math.floor(w / 60)).padStart(2, '0')}:${String(w % 60).padStart(2, '0')}`;
  };
  return Array.from({ length: 7 }, () => [{ open: hhmm(minutes - 60), close: hhmm(minutes + 60) }]);
}

describe('opening hours', () => {
  it('are the location’s own clock: a queue on Kiritimati opens by its hours there, not by New York’s', async () => {
    const biz = await t.tenant();
    const island = await newLocation(biz, 'Pacific/Kiritimati');
    // Kiritimati is 14 hours ahead of UTC and New York 4 or 5 behind: an hour either side of one is closed in the other.
    const islandHours = openAround(clockIn('Pacific/Kiritimati').minutes);
    const newYorkHours = openAround(clockIn('America/New_York').minutes);

    const open = await newQueue(biz, { hours: islandHours }, island);
    expect(open).toMatchObject({ open_now: true, closed_reason: null });
    expectStatus(await guestJoin(biz, open.id), 201);

    const closed = await newQueue(biz, { hours: newYorkHours }, island);
    expect(closed.open_now).toBe(false);
    const refused = await guestJoin(biz, closed.id);
    expectStatus(refused, 409);
    expect(refused.json()).toMatchObject({ code: 'queue_closed' });
    expect(refused.json().detail).toContain(`Today's hours: ${newYorkHours[0]![0]!.open}–${newYorkHours[0]![0]!.close}`);
  });
});

describe('bulk call', () => {
  it('calls the first parties in line by count', async () => {
    const biz = await t.tenant();
    const q = await newQueue(biz);
    const [a, b, c] = [await walkIn(biz, q.id), await walkIn(biz, q.id), await walkIn(biz, q.id)];
    const r = await (await as(biz, 'staff')).post(`/api/v1/waitlist/queues/${q.id}/bulk-call`, { count: 2 });
    expectStatus(r, 200);
    expect(r.json().items.map((e: Entry) => [e.id, e.status])).toEqual([
      [a.entry.id, 'called'],
      [b.entry.id, 'called'],
    ]);
    const board = (await (await as(biz, 'staff')).get(`/api/v1/waitlist/queues/${q.id}/board`)).json();
    expect(board.entries.find((e: Entry) => e.id === c.entry.id)).toMatchObject({ status: 'waiting', position: 1 });
  });

  it('refuses the whole call when one of the chosen is no longer waiting', async () => {
    const biz = await t.tenant();
    const q = await newQueue(biz);
    const [a, b] = [await walkIn(biz, q.id), await walkIn(biz, q.id)];
    await act(biz, a.entry.id, 'call');
    const r = await (await as(biz, 'staff')).post(`/api/v1/waitlist/queues/${q.id}/bulk-call`, { entry_ids: [b.entry.id, a.entry.id] });
    expectStatus(r, 409);
    expect(r.json()).toMatchObject({ code: 'invalid_transition' });
    expect(r.json().errors[0].field).toBe('body.entry_ids');
    const board = (await (await as(biz, 'staff')).get(`/api/v1/waitlist/queues/${q.id}/board`)).json();
    expect(board.entries.find((e: Entry) => e.id === b.entry.id)).toMatchObject({ status: 'waiting', position: 1 });
  });
});

describe('every change to a guest is audited and timestamped', () => {
  it('no-show, requeue, cancel by staff and by guest, move, bulk call and an edit', async () => {
    const biz = await t.tenant();
    const q = await newQueue(biz);
    const [a, b, c] = [await walkIn(biz, q.id), await walkIn(biz, q.id), await walkIn(biz, q.id)];
    const g = (await guestJoin(biz, q.id)).json();

    const called = await act(biz, a.entry.id, 'call');
    expect(called.called_at).not.toBeNull();
    const missed = await act(biz, a.entry.id, 'no-show');
    expect(missed.no_show_at).not.toBeNull();
    await act(biz, a.entry.id, 'requeue', { position: 3 });
    const moved = await act(biz, b.entry.id, 'move', { position: 2 });
    expect(moved.position).toBe(2);
    const edit = await (await as(biz, 'staff')).patch(`/api/v1/waitlist/entries/${b.entry.id}`, { party_size: 3, version: moved.version });
    expectStatus(edit, 200);
    const byStaff = await act(biz, c.entry.id, 'cancel');
    expect(byStaff).toMatchObject({ status: 'cancelled', cancelled_by: 'staff', cancelled_at: expect.any(String) });
    const byGuest = await t.anonymous(biz).post(`/api/v1/public/waitlist/entries/${g.token}/cancel`);
    expectStatus(byGuest, 200);
    const guestRow = (await (await as(biz, 'staff')).get(`/api/v1/waitlist/entries/${g.entry.id}`)).json();
    expect(guestRow).toMatchObject({ status: 'cancelled', cancelled_by: 'guest', cancelled_at: expect.any(String) });
    const bulk = await (await as(biz, 'staff')).post(`/api/v1/waitlist/queues/${q.id}/bulk-call`, { entry_ids: [b.entry.id] });
    expectStatus(bulk, 200);
    const seated = await act(biz, b.entry.id, 'seat');
    expect(seated.seated_at).not.toBeNull();
    expect((await act(biz, b.entry.id, 'complete')).completed_at).not.toBeNull();

    const actionsOf = async (id: string) => (await trail(biz, `resource_id=${id}`)).map((r) => r.action).sort();
    expect(await actionsOf(a.entry.id)).toEqual(['waitlist.entry.call', 'waitlist.entry.joined', 'waitlist.entry.no_show', 'waitlist.entry.requeued']);
    expect(await actionsOf(b.entry.id)).toEqual([
      'waitlist.entry.call',
      'waitlist.entry.complete',
      'waitlist.entry.joined',
      'waitlist.entry.moved',
      'waitlist.entry.seat',
      'waitlist.entry.updated',
    ]);
    const records = await trail(biz, `resource_id=${b.entry.id}`);
    expect(records.find((r) => r.action === 'waitlist.entry.updated')!.changes).toEqual({ party_size: [2, 3] });
    expect(records.find((r) => r.action === 'waitlist.entry.call')!.changes).toMatchObject({ bulk: true });
    expect((await trail(biz, `resource_id=${c.entry.id}&action=waitlist.entry.cancel`))[0]!.changes).toMatchObject({ status: ['waiting', 'cancelled'] });
    expect((await trail(biz, `resource_id=${g.entry.id}&action=waitlist.entry.cancel`))[0]!.changes).toMatchObject({ status: ['waiting', 'cancelled'], by: 'guest' });
  });
});

describe('a host at one location', () => {
  it('does not see another location’s queue, board or live line', async () => {
    const biz = await t.tenant();
    const elsewhere = await newLocation(biz, 'America/Chicago');
    const q = await newQueue(biz, {}, elsewhere);
    for (const role of ['location_manager', 'staff'] as const) {
      const host = await as(biz, role);
      expectStatus(await host.get(`/api/v1/waitlist/queues/${q.id}`), 404);
      expectStatus(await host.get(`/api/v1/waitlist/queues/${q.id}/board`), 404);
      const socket = await Socket.open(`${biz.slug}.localhost`, host);
      expect(await socket.subscribe(role, q.id)).toMatchObject({ type: 'error', code: 'not_found' });
    }
    // The owner, over every location, does.
    expectStatus(await (await as(biz, 'owner')).get(`/api/v1/waitlist/queues/${q.id}/board`), 200);
  });
});

describe('analytics', () => {
  it('counts one location at a time, over a day, 90 days and 180 days', async () => {
    const biz = await t.tenant();
    const other = await newLocation(biz, 'America/New_York');
    const here = await newQueue(biz);
    const there = await newQueue(biz, {}, other);
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await walkIn(biz, here.id)).entry.id);
    await walkIn(biz, there.id, {}, 'owner');
    // One tonight, one 50 days ago, one 120 days ago, one past every period.
    for (const [id, days] of [[ids[1], 50], [ids[2], 120], [ids[3], 200]] as const) {
      await t.db.admin(`UPDATE waitlist_entries SET joined_at = now() - make_interval(days => $2) WHERE id = $1`, [id, days]);
    }
    const manager = await as(biz, 'owner');
    const figures = async (query: string) => {
      const r = await manager.get(`/api/v1/waitlist/analytics?${query}`);
      expectStatus(r, 200);
      return r.json() as { joined: number; days: unknown[] };
    };
    const at = (period: string, location = biz.locationId) => figures(`period=${period}&location_id=${location}`);
    expect(await at('1d')).toMatchObject({ joined: 1, days: [expect.anything()] });
    expect((await at('90d')).joined).toBe(2);
    expect((await at('90d')).days).toHaveLength(90);
    expect((await at('180d')).joined).toBe(3);
    expect((await at('180d')).days).toHaveLength(180);
    expect((await at('1d', other)).joined).toBe(1);
    expect((await figures('period=1d')).joined).toBe(2);
  });
});

describe('joining', () => {
  it('refuses a service the queue does not offer, naming the field', async () => {
    const biz = await t.tenant();
    const q = await newQueue(biz, { service_types: ['Dining room', 'Patio'] });
    const r = await guestJoin(biz, q.id, { service_type: 'Rooftop' });
    expectStatus(r, 422);
    expect(r.json()).toMatchObject({ code: 'unknown_service_type' });
    expect(r.json().errors).toEqual([expect.objectContaining({ field: 'body.service_type' })]);
    expect(r.json().detail).toContain('Dining room, Patio');
    expectStatus(await guestJoin(biz, q.id, { service_type: 'Patio' }), 201);
  });
});
