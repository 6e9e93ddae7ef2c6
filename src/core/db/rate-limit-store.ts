import type { Driver } from './driver.ts';

/**
 * A @fastify/rate-limit store on PostgreSQL, so every instance counts the same requests when Redis is not
 * configured. One upsert per counted request; windows reset in place.
 */
export function pgRateLimitStore(driver: Driver) {
  return class PgRateLimitStore {
    constructor(private prefix = 'rl:') {}

    incr(key: string, cb: (err: Error | null, res?: { current: number; ttl: number }) => void, timeWindow: number): void {
      void (async () => {
        const conn = await driver.acquire();
        try {
          const { rows } = await conn.query<{ hits: number; ttl: number }>(
            `INSERT INTO rate_limit_counters AS c (key, hits, reset_at) VALUES ($1, 1, clock_timestamp() + make_interval(secs => $2::float8 / 1000))
             ON CONFLICT (key) DO UPDATE SET
               hits = CASE WHEN c.reset_at <= clock_timestamp() THEN 1 ELSE c.hits + 1 END,
               reset_at = CASE WHEN c.reset_at <= clock_timestamp() THEN excluded.reset_at ELSE c.reset_at END
             RETURNING hits, greatest(0, ceil(extract(epoch FROM reset_at - clock_timestamp()) * 1000))::int AS ttl`,
            [this.prefix + key, timeWindow],
          );
          cb(null, { current: rows[0]!.hits, ttl: rows[0]!.ttl });
        } catch (err) {
          cb(err as Error);
        } finally {
          conn.release();
        }
      })();
    }

    child(routeOptions: { routeInfo: { method: string; url: string } }) {
      return new PgRateLimitStore(`${this.prefix}${routeOptions.routeInfo.method}${routeOptions.routeInfo.url}:`);
    }
  };
}
