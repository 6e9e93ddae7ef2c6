import type { FastifyBaseLogger } from 'fastify';
import type { Database } from './db/tx.ts';

const SYSTEM = { type: 'system' as const, id: null, label: 'usage-meter' };

/**
 * Counts API calls and active people per business and day. A request must not pay a database write for being
 * counted, so each instance adds up in memory and writes its counts every few seconds, in one statement; the
 * daily totals it reads back are what the daily API-call limit is checked against. So the limit holds to within
 * one flush interval of every instance's traffic — a daily quota, not a burst guard (the per-15-minute plan limit
 * is that).
 */
export class UsageMeter {
  private calls = new Map<string, number>();
  private people = new Map<string, Set<string>>();
  /** Today's API calls per tenant as last written (all instances), plus what this instance counted since. */
  private totals = new Map<string, number>();
  private day = utcDay();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private db: Database,
    private log: FastifyBaseLogger,
    private intervalMs = 5_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** One API call by a business (and the person making it, if any). */
  count(tenantId: string, userId: string | null): void {
    this.rollDay();
    this.calls.set(tenantId, (this.calls.get(tenantId) ?? 0) + 1);
    this.totals.set(tenantId, (this.totals.get(tenantId) ?? 0) + 1);
    if (userId) {
      let set = this.people.get(tenantId);
      if (!set) this.people.set(tenantId, (set = new Set()));
      set.add(userId);
    }
  }

  /** Today's API calls of a business, as far as this instance knows. */
  callsToday(tenantId: string): number {
    this.rollDay();
    return this.totals.get(tenantId) ?? 0;
  }

  /** Writes what was counted since the last flush. Tests await it instead of waiting for the timer. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async write(): Promise<void> {
    const calls = this.calls;
    const people = this.people;
    const day = this.day;
    this.calls = new Map();
    this.people = new Map();
    if (calls.size === 0 && people.size === 0) return;
    const personRows = [...people].flatMap(([tenant, users]) => [...users].map((u) => [tenant, u] as const));
    try {
      const totals = await this.db.withPlatform(SYSTEM, async (tx) => {
        const rows = await tx.query<{ tenant_id: string; value: number }>(
          `INSERT INTO usage_daily (tenant_id, day, metric, value)
           SELECT t, $1::date, 'api_calls', n FROM unnest($2::uuid[], $3::bigint[]) AS x(t, n)
             JOIN tenants ON tenants.id = x.t AND tenants.status <> 'purged'
           ON CONFLICT (tenant_id, day, metric) DO UPDATE SET value = usage_daily.value + EXCLUDED.value
           RETURNING tenant_id, value::float8 AS value`,
          [day, [...calls.keys()], [...calls.values()]],
        );
        if (personRows.length > 0) {
          await tx.query(
            `INSERT INTO usage_active_users (tenant_id, day, user_id) SELECT t, $1::date, u FROM unnest($2::uuid[], $3::uuid[]) AS x(t, u)
               JOIN tenants ON tenants.id = x.t AND tenants.status <> 'purged'
             ON CONFLICT DO NOTHING`,
            [day, personRows.map((r) => r[0]), personRows.map((r) => r[1])],
          );
        }
        return rows;
      });
      if (day === this.day) for (const r of totals) this.totals.set(r.tenant_id, r.value + (this.calls.get(r.tenant_id) ?? 0));
    } catch (err) {
      // Counting must never fail a request; a lost flush is retried with the next one's counts added.
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'usage flush failed');
      for (const [t, n] of calls) this.calls.set(t, (this.calls.get(t) ?? 0) + n);
      for (const [t, users] of people) {
        let set = this.people.get(t);
        if (!set) this.people.set(t, (set = new Set()));
        for (const u of users) set.add(u);
      }
    }
  }

  private rollDay(): void {
    const today = utcDay();
    if (today !== this.day) {
      this.day = today;
      this.totals.clear();
    }
  }
}

let dayEndsAt = 0;
let dayText = '';
/** Today's UTC date; every request asks, so the text is made once a day, not once a call. */
function utcDay(): string {
  const now = Date.now();
  if (now >= dayEndsAt) {
    dayText = new Date(now).toISOString().slice(0, 10);
    dayEndsAt = (Math.floor(now / 86_400_000) + 1) * 86_400_000;
  }
  return dayText;
}
