import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import type { Principal } from './access.ts';
import type { Database, TenantTx } from './db/tx.ts';
import { hasFeature } from './entitlements.ts';
import { AppError, errors } from './errors.ts';
import type { HostTenant } from './http.ts';

/**
 * Live updates for every module over one WebSocket endpoint.
 *
 * A change publishes its event inside its own transaction: the row goes to `realtime_events` (so a reconnecting
 * client can replay what it missed) and `pg_notify` announces it, which PostgreSQL delivers only at COMMIT, to
 * every instance listening. Each instance then reads the row once and fans it out to its own sockets. Nothing is
 * announced that did not commit, and an event names its tenant, so it is only ever read under that tenant's
 * row-level security and only sent to sockets opened on that tenant's address.
 *
 * Channels are named by the module (`queue:{id}`, `entry:{id}`); a client never names one directly. It asks for a
 * subscription kind with parameters and the module's authorizer decides, against the socket's credential, which
 * channels that is, and may project each event to what this subscriber may see (a guest sees their own place in
 * the line, never another guest's name).
 */
export interface RealtimeEvent {
  seq: number;
  channel: string;
  type: string;
  data: unknown;
}

/** Each event's serialized fields after the subscription id, kept while the event is in use. */
const wireTails = new WeakMap<RealtimeEvent, string>();

export interface Subscription {
  channels: string[];
  /** Rewrites (or drops, with null) an event for this subscriber. */
  project?: (event: RealtimeEvent) => RealtimeEvent | null;
}

export interface AuthorizeContext {
  tx: TenantTx;
  tenant: HostTenant;
  principal: Principal | null;
  params: Record<string, unknown>;
}

/** Returns the subscription, or null when the credential may not see it (answered like a missing resource). */
export type Authorizer = (ctx: AuthorizeContext) => Promise<Subscription | null>;

const CHANNEL = 'brigade_events';
/** identity's revocation announcements (see identity/session-cache.ts). */
const AUTH_CHANNEL = 'brigade_auth';
const REPLAY_LIMIT = 1000;
const MAX_SUBSCRIPTIONS = 20;

interface Sub {
  socket: Socket;
  id: string;
  tenantId: string;
  channels: string[];
  project?: Subscription['project'];
  /** The last sequence sent; live events at or below it are duplicates of the replay. */
  lastSeq: number;
  /** While the replay runs, live events wait here. */
  buffer: RealtimeEvent[] | null;
}

interface Socket {
  ws: WebSocket;
  tenant: HostTenant;
  principal: Principal | null;
  subs: Map<string, Sub>;
}

export interface RealtimeDeps {
  hostTenant(req: FastifyRequest): HostTenant | null;
  principal(req: FastifyRequest): Promise<Principal | null>;
}

export class Realtime {
  private authorizers = new Map<string, Authorizer>();
  private features = new Map<string, string>();
  /** tenant → channel → subscriptions on this instance. */
  private index = new Map<string, Map<string, Set<Sub>>>();
  private unlisten: (() => Promise<void>) | null = null;
  private unlistenAuth: (() => Promise<void>) | null = null;
  private pending = new Map<string, Set<number>>();
  private flushing: Promise<void> = Promise.resolve();
  private scheduled = false;
  private sockets = new Set<Socket>();

  constructor(
    private db: Database,
    private log: FastifyBaseLogger,
  ) {}

  /** A module declares a subscription kind and who may have it. */
  /** A kind belongs to a plan feature like its module's routes: a business without it cannot subscribe. */
  define(kind: string, authorize: Authorizer, feature?: string): void {
    if (this.authorizers.has(kind)) throw new Error(`subscription kind ${kind} defined twice`);
    this.authorizers.set(kind, authorize);
    if (feature) this.features.set(kind, feature);
  }

  /** Records the event in the caller's transaction; it leaves for the sockets only if that transaction commits. */
  async publish(tx: TenantTx, channel: string, type: string, data: unknown): Promise<void> {
    // Sent with the COMMIT: nothing in the transaction reads the event back, and its sequence is still taken under
    // whatever lock the change holds (a queue's), so a channel's events stay in the order their changes committed.
    tx.writeAtCommit(
      `WITH e AS (INSERT INTO realtime_events (tenant_id, channel, type, data) VALUES ($1, $2, $3, $4) RETURNING seq)
       SELECT pg_notify('${CHANNEL}', $1 || '|' || seq || '|' || $2) FROM e`,
      [tx.tenantId, channel, type, JSON.stringify(data)],
    );
  }

  /** The newest sequence on some channels: a snapshot read with it lets the client ask for what came after. */
  async highWater(tx: TenantTx, channels: string[]): Promise<number> {
    const [r] = await tx.query<{ seq: number | null }>(`SELECT max(seq) AS seq FROM realtime_events WHERE tenant_id = $1 AND channel = ANY($2::text[])`, [
      tx.tenantId,
      channels,
    ]);
    return r?.seq ?? 0;
  }

  async start(): Promise<void> {
    this.unlisten = await this.db.driver.listen(CHANNEL, (payload) => this.announced(payload));
    // A signed-out session, a removed person, a revoked kiosk or API key must stop hearing the board at once, on every
    // instance: identity announces each revocation on this channel in the transaction that makes it.
    this.unlistenAuth = await this.db.driver.listen(AUTH_CHANNEL, (payload) => this.revoked(payload));
  }

  private revoked(payload: string): void {
    let r: { tenant?: string; user?: string; session?: string; kiosk?: string; api_key?: string };
    try {
      r = JSON.parse(payload) as typeof r;
    } catch {
      return;
    }
    for (const socket of this.sockets) {
      const p = socket.principal;
      if (!p || p.tenantId !== r.tenant) continue;
      // Naming nobody in particular (a business suspended) ends every socket of the business.
      const everyone = !r.user && !r.session && !r.kiosk && !r.api_key;
      const named =
        (r.session && r.session === p.sessionId) || (r.user && r.user === p.userId) || (r.kiosk && r.kiosk === p.kioskId) || (r.api_key && r.api_key === p.apiKeyId);
      if (everyone || named) {
        socket.ws.close(4401, 'credential revoked');
        this.closed(socket);
      }
    }
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    await this.unlistenAuth?.();
    this.unlisten = this.unlistenAuth = null;
    for (const s of this.sockets) s.ws.terminate();
    this.sockets.clear();
    await this.flushing;
  }

  /** Registers GET /api/v1/realtime (WebSocket). */
  async register(app: FastifyInstance, deps: RealtimeDeps): Promise<void> {
    await app.register(websocket, { options: { maxPayload: 16 * 1024 } });
    app.get(
      '/api/v1/realtime',
      {
        websocket: true,
        schema: { hide: true },
        onRequest: async (req) => {
          const tenant = deps.hostTenant(req);
          if (!tenant) throw errors.tenantNotFound();
          if (!['trial', 'active', 'past_due'].includes(tenant.status)) throw errors.tenantSuspended();
          const principal = await deps.principal(req);
          if (principal) {
            if (principal.tenantId !== tenant.id) throw errors.wrongTenant();
            // A cookie rides along on any page's WebSocket: only the business's own pages may use it.
            if (principal.viaCookie && !sameOrigin(req)) throw new AppError(403, 'cross_origin', 'This socket must be opened from the business\'s own pages.');
          }
          (req as { realtimeSocket?: { tenant: HostTenant; principal: Principal | null } }).realtimeSocket = { tenant, principal };
        },
      },
      (ws, req) => {
        const ctx = (req as { realtimeSocket?: { tenant: HostTenant; principal: Principal | null } }).realtimeSocket!;
        const socket: Socket = { ws, tenant: ctx.tenant, principal: ctx.principal, subs: new Map() };
        this.sockets.add(socket);
        // Handlers are attached synchronously, so no message is lost while earlier work is still awaited.
        let chain = Promise.resolve();
        ws.on('message', (raw) => {
          chain = chain.then(() => this.onMessage(socket, raw.toString())).catch((err) => this.log.warn({ err }, 'realtime message failed'));
        });
        ws.on('close', () => this.closed(socket));
        ws.on('error', () => this.closed(socket));
      },
    );
  }

  private send(socket: Socket, message: unknown): void {
    if (socket.ws.readyState === socket.ws.OPEN) socket.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  private async onMessage(socket: Socket, raw: string): Promise<void> {
    let msg: { type?: unknown; id?: unknown; kind?: unknown; params?: unknown; since?: unknown };
    try {
      msg = JSON.parse(raw) as typeof msg;
    } catch {
      return this.send(socket, { type: 'error', code: 'malformed_json', message: 'Send JSON messages.' });
    }
    if (msg.type === 'ping') return this.send(socket, { type: 'pong' });
    const id = typeof msg.id === 'string' && msg.id.length > 0 && msg.id.length <= 64 ? msg.id : null;
    if (!id) return this.send(socket, { type: 'error', code: 'validation_failed', field: 'id', message: 'Name the subscription with an id (1–64 characters).' });
    if (msg.type === 'unsubscribe') {
      const sub = socket.subs.get(id);
      if (sub) this.drop(sub);
      return this.send(socket, { type: 'unsubscribed', id });
    }
    if (msg.type !== 'subscribe') return this.send(socket, { type: 'error', id, code: 'validation_failed', field: 'type', message: 'type is subscribe, unsubscribe or ping.' });
    const authorize = typeof msg.kind === 'string' ? this.authorizers.get(msg.kind) : undefined;
    if (!authorize) return this.send(socket, { type: 'error', id, code: 'validation_failed', field: 'kind', message: `kind is one of ${[...this.authorizers.keys()].join(', ')}.` });
    const since = msg.since === undefined || msg.since === null ? null : Number(msg.since);
    if (since !== null && (!Number.isSafeInteger(since) || since < 0)) return this.send(socket, { type: 'error', id, code: 'validation_failed', field: 'since', message: 'since is a sequence number.' });
    const feature = this.features.get(msg.kind as string);
    if (feature && !hasFeature(socket.tenant.entitlements, feature)) {
      return this.send(socket, { type: 'error', id, code: 'feature_disabled', message: `The ${feature} feature is not part of this business's plan, or is switched off for it.` });
    }
    if (socket.subs.has(id)) this.drop(socket.subs.get(id)!);
    if (socket.subs.size >= MAX_SUBSCRIPTIONS) return this.send(socket, { type: 'error', id, code: 'too_many_subscriptions', message: `At most ${MAX_SUBSCRIPTIONS} subscriptions per socket.` });

    const params = msg.params && typeof msg.params === 'object' ? (msg.params as Record<string, unknown>) : {};
    const actor = socket.principal
      ? { type: 'user' as const, id: socket.principal.userId, label: socket.principal.label }
      : { type: 'guest' as const, id: null, label: 'guest' };
    let granted: Subscription | null;
    try {
      granted = await this.db.withTenant(socket.tenant.id, actor, 'read', (tx) => authorize({ tx, tenant: socket.tenant, principal: socket.principal, params }));
    } catch (err) {
      if (err instanceof AppError) return this.send(socket, { type: 'error', id, code: err.code, message: err.message });
      throw err;
    }
    if (!granted) return this.send(socket, { type: 'error', id, code: 'not_found', message: 'There is nothing to follow here.' });

    // The client may have gone while the authorizer ran: a subscription left behind would cost a read per event.
    if (!this.sockets.has(socket)) return;
    const sub: Sub = { socket, id, tenantId: socket.tenant.id, channels: granted.channels, project: granted.project, lastSeq: since ?? 0, buffer: [] };
    socket.subs.set(id, sub);
    this.indexAdd(sub);
    // Live events that arrive while the replay is read wait in the buffer, so nothing falls between the two.
    const { events, high, complete } = await this.db.withTenant(socket.tenant.id, actor, 'read', async (tx) => {
      const high = await this.highWater(tx, sub.channels);
      if (since === null) return { events: [] as RealtimeEvent[], high, complete: true };
      const rows = await tx.query<RealtimeEvent>(
        `SELECT seq, channel, type, data FROM realtime_events WHERE tenant_id = $1 AND channel = ANY($2::text[]) AND seq > $3 ORDER BY seq LIMIT ${REPLAY_LIMIT + 1}`,
        [tx.tenantId, sub.channels, since],
      );
      return { events: rows.slice(0, REPLAY_LIMIT), high, complete: rows.length <= REPLAY_LIMIT };
    });
    if (socket.subs.get(id) !== sub) return;
    if (!complete) {
      // Too much was missed to replay: the client reloads its snapshot and subscribes again from there.
      sub.lastSeq = high;
      this.send(socket, { type: 'reset', id, seq: high });
    } else if (since === null) {
      sub.lastSeq = high;
      this.send(socket, { type: 'subscribed', id, seq: high });
    } else {
      for (const e of events) this.sendEvent(sub, e);
      this.send(socket, { type: 'subscribed', id, seq: sub.lastSeq });
    }
    const buffered = sub.buffer ?? [];
    sub.buffer = null;
    for (const e of buffered) this.sendEvent(sub, e);
  }

  private deliver(sub: Sub, event: RealtimeEvent): void {
    if (sub.buffer) sub.buffer.push(event);
    else this.sendEvent(sub, event);
  }

  private sendEvent(sub: Sub, event: RealtimeEvent): void {
    if (event.seq <= sub.lastSeq) return;
    sub.lastSeq = event.seq;
    const shown = sub.project ? sub.project(event) : event;
    if (!shown) return;
    // A board's event goes to every socket following it, alike but for the subscription id: it is serialized
    // once, and each socket's message is the id spliced in front (the same JSON as serializing the whole).
    let tail = wireTails.get(shown);
    if (tail === undefined) {
      tail = JSON.stringify({ seq: shown.seq, channel: shown.channel, event: shown.type, data: shown.data }).slice(1);
      if (shown === event) wireTails.set(event, tail);
    }
    this.send(sub.socket, `{"type":"event","id":${JSON.stringify(sub.id)},${tail}`);
  }

  private announced(payload: string): void {
    const [tenantId, seqText, ...rest] = payload.split('|');
    const channel = rest.join('|');
    const seq = Number(seqText);
    if (!tenantId || !Number.isSafeInteger(seq)) return;
    // An instance with nobody following the channel does no work for it.
    if (!this.index.get(tenantId)?.get(channel)?.size) return;
    let set = this.pending.get(tenantId);
    if (!set) this.pending.set(tenantId, (set = new Set()));
    set.add(seq);
    if (this.scheduled) return;
    this.scheduled = true;
    // Notifications that arrive together are read together: one query per tenant, in sequence order.
    setImmediate(() => {
      this.scheduled = false;
      const batch = this.pending;
      this.pending = new Map();
      this.flushing = this.flushing.then(() => this.fanOut(batch)).catch((err) => this.log.warn({ err }, 'realtime fan-out failed'));
    });
  }

  private async fanOut(batch: Map<string, Set<number>>): Promise<void> {
    for (const [tenantId, seqs] of batch) {
      const rows = await this.db.withTenant(tenantId, { type: 'system', id: null, label: 'realtime' }, 'read', (tx) =>
        tx.query<RealtimeEvent>(`SELECT seq, channel, type, data FROM realtime_events WHERE tenant_id = $1 AND seq = ANY($2::int8[]) ORDER BY seq`, [
          tenantId,
          [...seqs],
        ]),
      );
      const channels = this.index.get(tenantId);
      if (!channels) continue;
      for (const e of rows) for (const sub of channels.get(e.channel) ?? []) this.deliver(sub, e);
    }
  }

  private indexAdd(sub: Sub): void {
    let channels = this.index.get(sub.tenantId);
    if (!channels) this.index.set(sub.tenantId, (channels = new Map()));
    for (const c of sub.channels) {
      let set = channels.get(c);
      if (!set) channels.set(c, (set = new Set()));
      set.add(sub);
    }
  }

  private drop(sub: Sub): void {
    sub.socket.subs.delete(sub.id);
    const channels = this.index.get(sub.tenantId);
    if (!channels) return;
    for (const c of sub.channels) {
      const set = channels.get(c);
      set?.delete(sub);
      if (set?.size === 0) channels.delete(c);
    }
    if (channels.size === 0) this.index.delete(sub.tenantId);
  }

  private closed(socket: Socket): void {
    for (const sub of [...socket.subs.values()]) this.drop(sub);
    this.sockets.delete(socket);
  }

  /** For tests and metrics: sockets open on this instance. */
  get openSockets(): number {
    return this.sockets.size;
  }
}

function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (!origin) return true; // not a browser: a browser always sends Origin on a WebSocket handshake
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
