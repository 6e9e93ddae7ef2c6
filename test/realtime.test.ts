import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pgDriver, type Driver } from '../src/core/db/driver.ts';
import { ROLES } from '../src/core/db/migrate.ts';
import { buildServer } from '../src/server.ts';
import type { SeededTenant } from '../src/platform/demo.ts';
import { Client, testApp, type TestApp } from './harness.ts';

/**
 * The live board and the guest's live page, over real sockets on a listening server: what a subscriber hears, that
 * it hears only what committed, what it may never hear (another guest's name, another business's line), and that a
 * reconnecting client is given exactly what it missed.
 */

/** Long enough for a slow CI machine, short enough that a missing event fails the test well inside its timeout. */
const WAIT_MS = 5_000;

interface Received {
  type: string;
  id?: string;
  seq?: number;
  channel?: string;
  event?: string;
  code?: string;
  // The payload is checked field by field in each test.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data?: any;
}

/** What a refused handshake answered. */
interface Refusal {
  status: number;
  code: string;
}

/**
 * One client socket. Every frame is kept (raw, for leak checks) and read in order: `next` hands out the first unread
 * message that matches, passing over the ones before it, and fails if none arrives in time or the socket closes.
 */
class Socket {
  readonly raw: string[] = [];
  private received: Received[] = [];
  private read = 0;
  private wake: (() => void) | null = null;
  private closedWith: number | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData) => {
      const text = data.toString();
      this.raw.push(text);
      this.received.push(JSON.parse(text) as Received);
      this.wake?.();
    });
    ws.on('close', (code: number) => {
      this.closedWith = code;
      this.wake?.();
    });
  }

  static open(port: number, host: string, headers: Record<string, string> = {}): Promise<Socket> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/realtime`, { headers: { host, ...headers } });
    const socket = new Socket(ws);
    opened.push(socket);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
    });
  }

  /** Opens a socket that the server must refuse, and answers the status and problem code it gave. */
  static refused(port: number, host: string, headers: Record<string, string>): Promise<Refusal> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/realtime`, { headers: { host, ...headers } });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.terminate();
        reject(new Error('the handshake was accepted'));
      });
      ws.once('error', reject);
      ws.once('unexpected-response', (req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, code: (JSON.parse(body) as { code: string }).code });
        });
      });
    });
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  next(match: (m: Received) => boolean = () => true, what = 'a message'): Promise<Received> {
    if (this.wake) throw new Error('one wait at a time per socket');
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
      };
      const look = () => {
        while (this.read < this.received.length) {
          const m = this.received[this.read++]!;
          if (match(m)) {
            done();
            resolve(m);
            return;
          }
        }
        if (this.closedWith !== null) {
          done();
          reject(new Error(`socket closed (${this.closedWith}) while waiting for ${what}; received:\n${this.raw.join('\n')}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${WAIT_MS} ms; received:\n${this.raw.join('\n') || '(nothing)'}`));
      }, WAIT_MS);
      this.wake = look;
      look();
    });
  }

  /** Subscribes and answers the server's reply, which must be the very next message on this socket. */
  async subscribe(id: string, kind: string, params: Record<string, unknown>, since?: number): Promise<Received> {
    this.send({ type: 'subscribe', id, kind, params, ...(since === undefined ? {} : { since }) });
    return this.next(() => true, `the answer to subscription ${id}`);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

const opened: Socket[] = [];

let t: TestApp;
let port: number;
let phones = 0;

/** A fresh, valid phone number for each guest: the same number may only wait once per queue. */
const phone = () => `+1212555${String(1000 + phones++).padStart(4, '0')}`;
const guestName = (first: string) => `${first} ${randomBytes(3).toString('hex')}`;
const cookieOf = (c: Client) => [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

interface Business {
  tenant: SeededTenant;
  host: string;
  owner: Client;
  staff: Client;
  guests: Client;
}

/**
 * Each test opens its own business: the public join is rate limited per business and address, and every join here
 * comes from 127.0.0.1, so sharing one business would couple the tests through that counter.
 */
async function business(): Promise<Business> {
  const tenant = await t.tenant();
  return { tenant, host: `${tenant.slug}.localhost`, owner: await t.as(tenant, 'owner'), staff: await t.as(tenant, 'staff'), guests: t.anonymous(tenant) };
}

function expectStatus(r: { statusCode: number; body: string }, status: number): void {
  if (r.statusCode !== status) throw new Error(`expected ${status}, got ${r.statusCode}: ${r.body}`);
}

async function openQueue(biz: Business): Promise<string> {
  const r = await biz.owner.post('/api/v1/waitlist/queues', { location_id: biz.tenant.locationId, name: `Dining room ${randomBytes(3).toString('hex')}` });
  expectStatus(r, 201);
  return r.json().id;
}

async function boardSeq(biz: Business, queue: string): Promise<number> {
  const r = await biz.staff.get(`/api/v1/waitlist/queues/${queue}/board`);
  expectStatus(r, 200);
  return r.json().seq;
}

async function join(biz: Business, queue: string, name: string, tel = phone()): Promise<{ entry: { id: string; position: number }; token: string }> {
  const r = await biz.guests.post(`/api/v1/public/waitlist/queues/${queue}/entries`, { name, phone: tel, party_size: 2 });
  expectStatus(r, 201);
  return r.json();
}

/** The host stand's socket, signed in as staff, following one queue's board from its snapshot. */
async function hostStand(biz: Business, queue: string, id = 'board'): Promise<Socket> {
  const socket = await Socket.open(port, biz.host, { cookie: cookieOf(biz.staff) });
  const answer = await socket.subscribe(id, 'waitlist.queue', { queue_id: queue }, await boardSeq(biz, queue));
  expect(answer).toMatchObject({ type: 'subscribed', id });
  return socket;
}

const isEvent = (m: Received) => m.type === 'event';

beforeAll(async () => {
  t = await testApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as AddressInfo).port;
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await t?.close();
});

describe('the host stand follows a queue', () => {
  it('hears a guest join, with the new entry, after the snapshot it loaded', async () => {
    const biz = await business();
    const queue = await openQueue(biz);
    const seq = await boardSeq(biz, queue);
    const stand = await hostStand(biz, queue);

    const name = guestName('Ada');
    const joined = await join(biz, queue, name);
    const m = await stand.next(isEvent, 'the join');

    expect(m).toMatchObject({ id: 'board', channel: `queue:${queue}`, event: 'entry.changed' });
    expect(m.seq).toBeGreaterThan(seq);
    expect(m.data.entry).toMatchObject({ id: joined.entry.id, name, status: 'waiting', position: 1, party_size: 2 });
    expect(m.data.lineup).toEqual([{ id: joined.entry.id, position: 1, estimate_minutes: expect.any(Number) }]);
  });

  it('an integration follows the board with its API key, and is closed when the key is revoked; the hosts are not', async () => {
    const biz = await business();
    const queue = await openQueue(biz);
    const created = await biz.owner.post('/api/v1/api-keys', { name: 'Pager system', role: 'staff', location_id: biz.tenant.locationId });
    expectStatus(created, 201);
    const { api_key, token } = created.json();
    const pager = await Socket.open(port, biz.host, { authorization: `Bearer ${token}` });
    expect(await pager.subscribe('board', 'waitlist.queue', { queue_id: queue }, await boardSeq(biz, queue))).toMatchObject({ type: 'subscribed' });
    const stand = await hostStand(biz, queue);

    const name = guestName('Paged');
    await join(biz, queue, name);
    expect((await pager.next(isEvent, 'the join')).data.entry).toMatchObject({ name });

    const closed = new Promise<number>((resolve) => pager.ws.once('close', (code: number) => resolve(code)));
    expectStatus(await biz.owner.delete(`/api/v1/api-keys/${api_key.id}`), 204);
    expect(await closed).toBe(4401);
    // The revocation named the key: the host stand on the same board goes on hearing guests.
    const after = guestName('After');
    await join(biz, queue, after);
    expect((await stand.next((m) => isEvent(m) && m.data?.entry?.name === after, 'the join after the revocation')).data.entry).toMatchObject({ name: after });
    expect(pager.raw.filter((r) => r.includes(after))).toEqual([]);
  });

  it('is closed when its session signs out, so a shared tablet stops showing guests at once', async () => {
    const biz = await business();
    const queue = await openQueue(biz);
    const stand = await hostStand(biz, queue);
    const closed = new Promise<number>((resolve) => stand.ws.once('close', (code: number) => resolve(code)));
    expectStatus(await biz.staff.post('/api/v1/auth/sign-out'), 204);
    expect(await closed).toBe(4401);
    // A guest joining afterwards reaches nobody on that socket: it is gone from the fan-out too.
    await join(biz, queue, guestName('After'));
    expect(stand.raw.filter((r) => r.includes('After'))).toEqual([]);
  });

  it('hears nothing of a change that did not commit', async () => {
    const biz = await business();
    const queue = await openQueue(biz);
    const stand = await hostStand(biz, queue);

    const refused = await biz.guests.post(`/api/v1/public/waitlist/queues/${queue}/entries`, { name: guestName('Too many'), phone: phone(), party_size: 40 });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().code).toBe('party_size_out_of_range');
    // The refusal above is decided before anything is published; this one is published and then rolled back, which
    // is what "announced only at COMMIT" is about.
    const rolledBack = new Error('the change is abandoned');
    await expect(
      t.app.brigade.db.withTenant(biz.tenant.id, { type: 'system', id: null, label: 'realtime-test' }, 'write', async (tx) => {
        await t.app.brigade.realtime.publish(tx, `queue:${queue}`, 'entry.changed', { entry: null, lineup: [], abandoned: true });
        throw rolledBack;
      }),
    ).rejects.toBe(rolledBack);

    const joined = await join(biz, queue, guestName('Grace'));
    const first = await stand.next(() => true, 'the successful join');
    expect(first).toMatchObject({ type: 'event', event: 'entry.changed', data: { entry: { id: joined.entry.id } } });
    expect(stand.raw.join('\n')).not.toContain('abandoned');
  });

  it('is given exactly what it missed while disconnected, in order, then the live stream', async () => {
    const biz = await business();
    const queue = await openQueue(biz);
    const first = await Socket.open(port, biz.host, { cookie: cookieOf(biz.staff) });
    const answer = await first.subscribe('board', 'waitlist.queue', { queue_id: queue }, await boardSeq(biz, queue));
    expect(answer.type).toBe('subscribed');
    const lastSeen = answer.seq!;
    await first.close();

    const joined = await join(biz, queue, guestName('Hedy'));
    expectStatus(await biz.staff.post(`/api/v1/waitlist/entries/${joined.entry.id}/call`), 200);

    const again = await Socket.open(port, biz.host, { cookie: cookieOf(biz.staff) });
    again.send({ type: 'subscribe', id: 'board', kind: 'waitlist.queue', params: { queue_id: queue }, since: lastSeen });
    const replayed = [await again.next(), await again.next(), await again.next()];
    expect(replayed.map((m) => m.type)).toEqual(['event', 'event', 'subscribed']);
    const [joinedEvent, calledEvent, subscribed] = replayed as [Received, Received, Received];
    expect(joinedEvent.data.entry).toMatchObject({ id: joined.entry.id, status: 'waiting' });
    expect(calledEvent.data.entry).toMatchObject({ id: joined.entry.id, status: 'called' });
    expect(joinedEvent.seq).toBeGreaterThan(lastSeen);
    expect(calledEvent.seq).toBeGreaterThan(joinedEvent.seq!);
    expect(subscribed.seq).toBe(calledEvent.seq);

    // Live again after the replay: the next change arrives, and nothing of the replay twice.
    const later = await join(biz, queue, guestName('Joan'));
    const live = await again.next();
    expect(live).toMatchObject({ type: 'event', data: { entry: { id: later.entry.id } } });
    expect(live.seq).toBeGreaterThan(calledEvent.seq!);
  });

  it('does not send an event twice when its announcement reaches the instance late', async () => {
    const biz = await business();
    const queue = await openQueue(biz);
    const stand = await hostStand(biz, queue);
    const first = await join(biz, queue, guestName('Mary'));
    const sent = await stand.next(isEvent, 'the first join');
    expect(sent.data.entry.id).toBe(first.entry.id);
    // An announcement that arrives after its event was already sent (the replay read it first, or a notification was
    // delivered late) is repeated here by hand, in the core's own format: the socket must not hear the event again.
    await t.db.admin(`SELECT pg_notify('brigade_events', $1)`, [`${biz.tenant.id}|${sent.seq}|queue:${queue}`]);
    const second = await join(biz, queue, guestName('Dorothy'));
    expect(await stand.next()).toMatchObject({ type: 'event', data: { entry: { id: second.entry.id } } });
  });

  it('is told to reload its snapshot when it missed more than can be replayed', async () => {
    const biz = await business();
    const queue = await openQueue(biz);
    const lastSeen = await boardSeq(biz, queue);
    // A long disconnection's worth of history, written straight to the table: no socket is listening for it.
    const [missed] = await t.db.admin(
      `WITH e AS (INSERT INTO realtime_events (tenant_id, channel, type, data)
                  SELECT $1, $2, 'entry.changed', '{"entry": null, "lineup": []}' FROM generate_series(1, 1001) RETURNING seq)
       SELECT max(seq)::int AS high FROM e`,
      [biz.tenant.id, `queue:${queue}`],
    );

    const socket = await Socket.open(port, biz.host, { cookie: cookieOf(biz.staff) });
    expect(await socket.subscribe('board', 'waitlist.queue', { queue_id: queue }, lastSeen)).toEqual({ type: 'reset', id: 'board', seq: missed!.high });
    // The subscription stays live from the point it was reset to.
    const joined = await join(biz, queue, guestName('Katherine'));
    expect(await socket.next()).toMatchObject({ type: 'event', data: { entry: { id: joined.entry.id } } });
  });
});

describe('a guest follows their own place', () => {
  it('hears their position and estimate, their call and the staff\'s messages, and never another guest\'s details', async () => {
    const biz = await business();
    const queue = await openQueue(biz);
    const ahead = { name: guestName('Ahead'), phone: phone() };
    const behind = { name: guestName('Behind'), phone: phone() };
    const first = await join(biz, queue, ahead.name, ahead.phone);
    const me = await join(biz, queue, guestName('Me'));

    const view = (await biz.guests.get(`/api/v1/public/waitlist/entries/${me.token}`)).json();
    expect(view).toMatchObject({ status: 'waiting', position: 2 });
    const guest = await Socket.open(port, biz.host);
    expect(await guest.subscribe('me', 'waitlist.entry', { token: me.token }, view.seq)).toMatchObject({ type: 'subscribed', id: 'me' });

    expectStatus(await biz.staff.post(`/api/v1/waitlist/entries/${first.entry.id}/call`), 200);
    const moved = await guest.next(isEvent, 'the move up');
    expect(moved).toMatchObject({ id: 'me', event: 'entry.status' });
    expect(moved.data).toEqual({ status: 'waiting', position: 1, estimate_minutes: expect.any(Number), called_at: null });
    expect(moved.seq).toBeGreaterThan(view.seq);

    // Someone joining behind moves nobody ahead of them: this guest hears nothing of it (the board does), so the
    // next thing on the socket is the staff's message below, and the newcomer's name never reaches it.
    const behindJoined = await join(biz, queue, behind.name, behind.phone);
    expect(behindJoined.entry.position).toBe(2);

    const sent = await biz.staff.post(`/api/v1/waitlist/entries/${me.entry.id}/messages`, { body: 'Your table is being set.' });
    expectStatus(sent, 201);
    const message = await guest.next(isEvent, 'the staff message');
    expect(message).toMatchObject({ id: 'me', channel: `entry:${me.entry.id}`, event: 'message', data: { id: sent.json().id, sender: 'staff', body: 'Your table is being set.' } });

    expectStatus(await biz.staff.post(`/api/v1/waitlist/entries/${me.entry.id}/call`), 200);
    const called = await guest.next(isEvent, 'the call');
    expect(called).toMatchObject({ event: 'entry.status', data: { status: 'called', position: null, called_at: expect.any(String) } });

    const everything = guest.raw.join('\n');
    for (const secret of [ahead.name, behind.name, ahead.phone, behind.phone, ahead.phone.slice(2), behind.phone.slice(2), first.entry.id]) {
      expect(everything).not.toContain(secret);
    }
    // The socket's whole conversation was: subscribed, the move up, the message, the call.
    expect(guest.raw).toHaveLength(4);
  });
});

describe('isolation between businesses and credentials', () => {
  let a: Business;
  let b: Business;
  let queueA: string;
  let queueB: string;

  beforeAll(async () => {
    [a, b] = [await business(), await business()];
    [queueA, queueB] = [await openQueue(a), await openQueue(b)];
  });

  it('does not let one business\'s host stand follow another business\'s queue', async () => {
    const socket = await Socket.open(port, b.host, { cookie: cookieOf(b.staff) });
    expect(await socket.subscribe('theirs', 'waitlist.queue', { queue_id: queueA }, 0)).toMatchObject({ type: 'error', id: 'theirs', code: 'not_found' });
    // The same socket may follow its own business's queue: the refusal was about the queue, not the socket.
    expect(await socket.subscribe('ours', 'waitlist.queue', { queue_id: queueB })).toMatchObject({ type: 'subscribed', id: 'ours' });
  });

  it('refuses a session cookie at another business\'s address', async () => {
    expect(await Socket.refused(port, b.host, { cookie: cookieOf(a.staff) })).toEqual({ status: 401, code: 'credential_not_for_this_tenant' });
  });

  it('does not let a guest token be used at another business\'s address', async () => {
    const guestOfA = await join(a, queueA, guestName('Token'));
    const socket = await Socket.open(port, b.host);
    expect(await socket.subscribe('me', 'waitlist.entry', { token: guestOfA.token })).toMatchObject({ type: 'error', code: 'not_found' });
    const home = await Socket.open(port, a.host);
    expect(await home.subscribe('me', 'waitlist.entry', { token: guestOfA.token })).toMatchObject({ type: 'subscribed' });
  });

  it('tells one business nothing of another business\'s queue', async () => {
    const standA = await hostStand(a, queueA);
    const standB = await hostStand(b, queueB);
    const atA = await join(a, queueA, guestName('Elsewhere'));
    // A's own board has heard it, so it was published and fanned out before B's change is made.
    expect(await standA.next(isEvent, 'A\'s join')).toMatchObject({ data: { entry: { id: atA.entry.id } } });
    const atB = await join(b, queueB, guestName('Here'));
    expect(await standB.next(() => true, 'B\'s join')).toMatchObject({ type: 'event', channel: `queue:${queueB}`, data: { entry: { id: atB.entry.id } } });
    expect(standB.raw.join('\n')).not.toContain(atA.entry.id);
  });

  it('does not let a socket without a sign-in follow a queue\'s board', async () => {
    const socket = await Socket.open(port, a.host);
    expect(await socket.subscribe('board', 'waitlist.queue', { queue_id: queueA }, 0)).toMatchObject({ type: 'error', code: 'not_found' });
  });

  it('refuses a signed-in handshake from another site\'s page, and accepts one from the business\'s own', async () => {
    expect(await Socket.refused(port, a.host, { cookie: cookieOf(a.staff), origin: 'https://evil.example' })).toEqual({ status: 403, code: 'cross_origin' });
    const own = await Socket.open(port, a.host, { cookie: cookieOf(a.staff), origin: `http://${a.host}` });
    expect(await own.subscribe('board', 'waitlist.queue', { queue_id: queueA })).toMatchObject({ type: 'subscribed' });
  });
});

/**
 * Two instances need two processes' worth of database connections to one database, which only the PostgreSQL server
 * gives: PGlite is one in-process database that a second server cannot share. So the two-instance test exists only
 * when DATABASE_URL is set (as in CI's first run); without it, the test below proves the file is not silently
 * missing it while a server is actually in use.
 */
if (process.env.DATABASE_URL) {
  describe('two instances behind a load balancer', () => {
    let second: { app: Awaited<ReturnType<typeof buildServer>>; driver: Driver; port: number };

    beforeAll(async () => {
      expect(t.db.kind).toBe('pg');
      const url = await appUrlOf(t);
      const platform = new URL(url);
      platform.username = ROLES.platform;
      const driver = pgDriver(url, { max: 4, platform: { url: platform.toString(), max: 2 } });
      const app = await buildServer(t.config, { driver, startJobs: false });
      await app.listen({ port: 0, host: '127.0.0.1' });
      second = { app, driver, port: (app.server.address() as AddressInfo).port };
    });

    afterAll(async () => {
      await second?.app.close();
      await second?.driver.close();
    });

    it('delivers a change made on one instance to the sockets held by the other', async () => {
      const biz = await business();
      const queue = await openQueue(biz);
      const stand = await hostStand(biz, queue);

      const viaSecond = new Client(second.app, biz.host);
      const r = await viaSecond.post(`/api/v1/public/waitlist/queues/${queue}/entries`, { name: guestName('Across'), phone: phone(), party_size: 2 });
      expectStatus(r, 201);
      expect(await stand.next(isEvent, 'the join made on the other instance')).toMatchObject({ event: 'entry.changed', data: { entry: { id: r.json().entry.id } } });

      // And the other way: the guest's page is on the second instance, the host stand calls them through the first.
      const view = (await viaSecond.get(`/api/v1/public/waitlist/entries/${r.json().token}`)).json();
      const guest = await Socket.open(second.port, biz.host);
      expect(await guest.subscribe('me', 'waitlist.entry', { token: r.json().token }, view.seq)).toMatchObject({ type: 'subscribed' });
      expectStatus(await biz.staff.post(`/api/v1/waitlist/entries/${r.json().entry.id}/call`), 200);
      expect(await guest.next(isEvent, 'the call made on the first instance')).toMatchObject({ event: 'entry.status', data: { status: 'called' } });
    });
  });
} else {
  it('runs on PGlite when no DATABASE_URL is set, where a second instance cannot share the database', () => {
    expect(t.db.kind).toBe('pglite');
  });
}

/** The runtime role's address of this file's own database, as test/harness.ts builds it for the first instance. */
async function appUrlOf(app: TestApp): Promise<string> {
  const [row] = await app.db.admin('SELECT current_database() AS name');
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${String(row!.name)}`;
  url.username = ROLES.app;
  url.password = '';
  return url.toString();
}
