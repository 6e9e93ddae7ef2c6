import type { Driver } from './driver.ts';

type Callback = (err: Error | null, res?: { current: number; ttl: number }) => void;

/** How often a busy counter of the plan limit is brought up to date with the other instances'. */
const SYNC_MS = 250;

interface LocalCount {
  /** Hits this instance counted and has not written yet. */
  pending: number;
  /** The shared count as last read back (every instance's hits). */
  shared: number;
  resetAt: number;
  syncedAt: number;
  syncing: boolean;
}

// The runtime role counts through the owner's function; it cannot read the table (migration 020).
const UPSERT = `SELECT hits, ttl FROM brigade_count_hit($1, $2::float8, $3::int)`;

/**
 * A @fastify/rate-limit store on PostgreSQL, so every instance counts the same requests when Redis is not
 * configured.
 *
 * Route limits (sign-in, guest joins: a few per window) are exact: one upsert per counted request. The plan's
 * limit (the global limiter: hundreds to thousands of requests per 15 minutes per business) is on every request,
 * where a write each would cost as much as the request itself; there each instance counts in memory and adds its
 * count to the shared row at most every 250 ms, answering from the shared count plus its own since. Several
 * instances together may run past the plan's limit by what they serve in 250 ms before the first refusal.
 */
export function pgRateLimitStore(driver: Driver) {
  async function upsert(key: string, timeWindow: number, add: number): Promise<{ hits: number; ttl: number }> {
    const conn = await driver.acquire();
    try {
      const { rows } = await conn.query<{ hits: number; ttl: number }>(UPSERT, [key, timeWindow, add]);
      return rows[0]!;
    } finally {
      conn.release();
    }
  }

  return class PgRateLimitStore {
    private local = new Map<string, LocalCount>();

    /** @fastify/rate-limit builds the root store with its options; route stores come from child(). */
    constructor(
      _options?: unknown,
      private prefix = 'rl:',
      private batched = true,
    ) {}

    incr(key: string, cb: Callback, timeWindow: number): void {
      const k = this.prefix + key;
      if (!this.batched) {
        upsert(k, timeWindow, 1).then(
          (r) => cb(null, { current: r.hits, ttl: r.ttl }),
          (err: Error) => cb(err),
        );
        return;
      }
      const now = Date.now();
      let c = this.local.get(k);
      if (!c || now >= c.resetAt) {
        if (this.local.size > 50_000) this.local.clear();
        c = { pending: 0, shared: 0, resetAt: now + timeWindow, syncedAt: 0, syncing: false };
        this.local.set(k, c);
      }
      c.pending++;
      if (c.syncedAt === 0) {
        // The first request of a window on this instance waits for the shared count: it may be far along already.
        this.sync(k, c, timeWindow).then(
          () => cb(null, { current: c.shared + c.pending, ttl: Math.max(0, c.resetAt - Date.now()) }),
          (err: Error) => cb(err),
        );
        return;
      }
      if (now - c.syncedAt >= SYNC_MS) void this.sync(k, c, timeWindow).catch(() => {});
      cb(null, { current: c.shared + c.pending, ttl: Math.max(0, c.resetAt - now) });
    }

    private async sync(k: string, c: LocalCount, timeWindow: number): Promise<void> {
      if (c.syncing) return;
      c.syncing = true;
      const add = c.pending;
      c.pending = 0;
      try {
        const r = await upsert(k, timeWindow, add);
        c.shared = r.hits;
        c.resetAt = Date.now() + r.ttl;
        c.syncedAt = Date.now();
      } catch (err) {
        // Not written: counted again with the next sync.
        c.pending += add;
        throw err;
      } finally {
        c.syncing = false;
      }
    }

    child(routeOptions: { routeInfo: { method: string; url: string } }) {
      return new PgRateLimitStore(undefined, `${this.prefix}${routeOptions.routeInfo.method}${routeOptions.routeInfo.url}:`, false);
    }
  };
}
