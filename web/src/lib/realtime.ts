import { useEffect, useEffectEvent, useSyncExternalStore } from 'react';
import { pathPrefix } from './api';

/**
 * Live updates from /api/v1/realtime: one WebSocket per tab shared by every page that follows something.
 *
 * A page loads its snapshot over HTTP (which carries the event sequence it includes), then follows with that
 * sequence as `since`, so the server replays what happened in between and nothing falls through the gap. When the
 * connection drops (a tablet's Wi-Fi, a deploy), it comes back with exponential backoff and each subscription asks
 * again from the last sequence it saw. When too much was missed for a replay, the server says `reset` and the page
 * reloads its snapshot. Nothing here polls for data: the only timer besides the backoff is a heartbeat that notices
 * a connection that died without closing, which a sleeping tablet's socket often does.
 */

export interface LiveEvent<T = unknown> {
  seq: number;
  channel: string;
  event: string;
  data: T;
}

export type ConnectionState = 'connecting' | 'live' | 'offline';

export interface Follower {
  kind: string;
  params: Record<string, unknown>;
  /** The sequence of the snapshot the page holds; null follows from now on. */
  since: number | null;
  onEvent(event: LiveEvent): void;
  /** Too much was missed to replay: reload the snapshot and answer the sequence it includes. */
  onReset(): Promise<number>;
  /** The server refused the subscription (not allowed, or nothing there). */
  onRefused?(code: string, message: string): void;
}

type ServerMessage =
  | { type: 'subscribed'; id: string; seq: number }
  | { type: 'event'; id: string; seq: number; channel: string; event: string; data: unknown }
  | { type: 'reset'; id: string; seq: number }
  | { type: 'error'; id?: string; code: string; message: string }
  | { type: 'unsubscribed'; id: string }
  | { type: 'pong' };

interface Subscription {
  id: string;
  follower: Follower;
  lastSeq: number | null;
  /** Between a `reset` and the reloaded snapshot, events belong to the old picture and are skipped. */
  reloading: boolean;
  refused: boolean;
}

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const HEARTBEAT_MS = 25_000;
const PONG_WAIT_MS = 10_000;
/** A page change unsubscribes one page and subscribes the next: keep the socket that long instead of reopening it. */
const LINGER_MS = 5_000;

class Connection {
  private ws: WebSocket | null = null;
  private subs = new Map<string, Subscription>();
  private next = 0;
  private attempts = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;
  private lingerTimer: ReturnType<typeof setTimeout> | null = null;
  private listeners = new Set<() => void>();
  private wakeListening = false;
  state: ConnectionState = 'offline';

  follow(follower: Follower): () => void {
    const sub: Subscription = { id: `f${++this.next}`, follower, lastSeq: follower.since, reloading: false, refused: false };
    this.subs.set(sub.id, sub);
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
    this.listenForWake();
    if (this.ws?.readyState === WebSocket.OPEN) this.subscribe(sub);
    else this.connect();
    return () => {
      if (!this.subs.delete(sub.id)) return;
      if (this.ws?.readyState === WebSocket.OPEN) this.send({ type: 'unsubscribe', id: sub.id });
      if (this.subs.size === 0) this.lingerTimer = setTimeout(() => this.closeIdle(), LINGER_MS);
    };
  }

  subscribeState(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setState(state: ConnectionState) {
    if (this.state === state) return;
    this.state = state;
    for (const l of this.listeners) l();
  }

  private connect() {
    if (this.ws || this.retryTimer || this.subs.size === 0) return;
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${window.location.host}${pathPrefix}/api/v1/realtime`);
    this.ws = ws;
    this.setState('connecting');
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.attempts = 0;
      this.setState('live');
      for (const sub of this.subs.values()) this.subscribe(sub);
      this.startHeartbeat();
    };
    ws.onmessage = (m) => {
      if (this.ws === ws && typeof m.data === 'string') this.receive(m.data);
    };
    // An error is always followed by close, which is where the retry is decided.
    ws.onclose = () => this.lost(ws);
  }

  /** The socket is gone (closed, or silent past the heartbeat): forget it and come back after a backoff. */
  private lost(ws: WebSocket) {
    if (this.ws !== ws) return;
    this.ws = null;
    this.stopHeartbeat();
    ws.onopen = ws.onmessage = ws.onclose = null;
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
    this.setState('offline');
    if (this.subs.size === 0) return;
    // Full jitter: a room of tablets that lost the same Wi-Fi does not come back in one burst.
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempts);
    this.attempts++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  /** Back online or back in front of someone: try at once instead of waiting out the backoff. */
  private wake = () => {
    if (document.visibilityState === 'hidden' || this.subs.size === 0) return;
    if (this.ws) {
      if (this.ws.readyState === WebSocket.OPEN) return;
      // An attempt made while the network was down may still be pending (on a slow tablet, for seconds): left alone,
      // it fails after the network is back and backs off, up to half a minute. Drop it and try afresh.
      const pending = this.ws;
      this.ws = null;
      pending.onopen = pending.onmessage = pending.onclose = null;
      pending.close();
    }
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.attempts = 0;
    this.connect();
  };

  private listenForWake() {
    if (this.wakeListening) return;
    this.wakeListening = true;
    window.addEventListener('online', this.wake);
    document.addEventListener('visibilitychange', this.wake);
  }

  private closeIdle() {
    this.lingerTimer = null;
    if (this.subs.size > 0) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = this.ws;
    if (ws) this.lost(ws);
  }

  private startHeartbeat() {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws || this.pongTimer) return;
      this.send({ type: 'ping' });
      this.pongTimer = setTimeout(() => {
        this.pongTimer = null;
        this.lost(ws);
      }, PONG_WAIT_MS);
    }, HEARTBEAT_MS);
  }

  private stopHeartbeat() {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.heartbeatTimer = this.pongTimer = null;
  }

  private send(message: unknown) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  private subscribe(sub: Subscription) {
    if (sub.refused || sub.reloading) return;
    const { kind, params } = sub.follower;
    this.send({ type: 'subscribe', id: sub.id, kind, params, ...(sub.lastSeq === null ? {} : { since: sub.lastSeq }) });
  }

  private receive(raw: string) {
    let msg: ServerMessage;
    try {
      msg = JSON.parse(raw) as ServerMessage;
    } catch {
      return;
    }
    if (msg.type === 'pong') {
      if (this.pongTimer) clearTimeout(this.pongTimer);
      this.pongTimer = null;
      return;
    }
    const sub = 'id' in msg && msg.id ? this.subs.get(msg.id) : undefined;
    if (!sub) return;
    switch (msg.type) {
      case 'subscribed':
        sub.lastSeq = Math.max(sub.lastSeq ?? 0, msg.seq);
        return;
      case 'event':
        if (sub.reloading || (sub.lastSeq !== null && msg.seq <= sub.lastSeq)) return;
        sub.lastSeq = msg.seq;
        sub.follower.onEvent({ seq: msg.seq, channel: msg.channel, event: msg.event, data: msg.data });
        return;
      case 'reset':
        sub.reloading = true;
        sub.follower.onReset().then(
          (seq) => {
            sub.reloading = false;
            sub.lastSeq = seq;
            // Asked again from the new snapshot, so what happened while it loaded is replayed onto it.
            if (this.subs.get(sub.id) === sub) this.subscribe(sub);
          },
          () => {
            // The snapshot could not be reloaded: drop the connection; the reconnect asks again and gets another reset.
            sub.reloading = false;
            if (this.ws) this.lost(this.ws);
          },
        );
        return;
      case 'error':
        sub.refused = true;
        sub.follower.onRefused?.(msg.code, msg.message);
        return;
    }
  }
}

let connection: Connection | null = null;
const shared = () => (connection ??= new Connection());

/** Follow a subscription kind outside React (a later module's worker, a test page). Returns the unfollow. */
export function follow(follower: Follower): () => void {
  return shared().follow(follower);
}

/**
 * Follows `kind` with `params` once `since` (the snapshot's sequence) is known. The handlers may change between
 * renders without resubscribing; a change of kind or params follows the new thing instead.
 */
export function useLive({
  kind,
  params,
  since,
  onEvent,
  onReset,
  onRefused,
}: {
  kind: string;
  params: Record<string, unknown>;
  /** Undefined while the snapshot loads: nothing is followed until it is known. */
  since: number | undefined;
  onEvent: (event: LiveEvent) => void;
  onReset: () => Promise<number>;
  onRefused?: (code: string, message: string) => void;
}): void {
  const key = JSON.stringify([kind, params]);
  const ready = since !== undefined;
  const event = useEffectEvent(onEvent);
  const reset = useEffectEvent(onReset);
  const refused = useEffectEvent((code: string, message: string) => onRefused?.(code, message));
  // Read when the subscription starts only: later snapshots arrive through events, not a resubscription.
  const startAt = useEffectEvent(() => since ?? null);
  useEffect(() => {
    if (!ready) return;
    const [k, p] = JSON.parse(key) as [string, Record<string, unknown>];
    return follow({ kind: k, params: p, since: startAt(), onEvent: (e) => event(e), onReset: () => reset(), onRefused: (c, m) => refused(c, m) });
  }, [key, ready]);
}

/** Whether the live connection is up, for a "Live" / "Reconnecting…" sign on screens that depend on it. */
export function useConnectionState(): ConnectionState {
  const c = shared();
  return useSyncExternalStore(
    (l) => c.subscribeState(l),
    () => c.state,
  );
}
