import type { TenantTx } from './db/tx.ts';
import { AppError } from './errors.ts';

/**
 * What a tenant's plan (with the operator's overrides) lets it use. Core enforces it on every route that
 * declares a feature or a limit; the platform module decides the values.
 */
export interface Entitlements {
  plan: string;
  features: readonly string[];
  /** Limit name → the most allowed; null is unlimited, a missing name is not limited. */
  limits: Readonly<Record<string, number | null>>;
}

/**
 * How much of a limit a tenant uses, counted in the request's own transaction: `count` for what this request
 * would add to (null: this request does not consume it, e.g. inviting staff takes no back-office seat), `usage`
 * for the business as a whole (the highest, for per-location limits), which a downgrade is checked against.
 */
export interface LimitCounter {
  count(tx: TenantTx, input: { body: unknown; params: unknown }): Promise<number | null>;
  usage(tx: TenantTx): Promise<number>;
}

/**
 * The limits modules count. A module that owns what a limit counts (org: locations; identity: employees;
 * waitlist: queues per location) defines its counter here, and a route names the limit it consumes.
 */
export class LimitCounters {
  private counters = new Map<string, LimitCounter>();

  define(limit: string, counter: LimitCounter): void {
    if (this.counters.has(limit)) throw new Error(`limit ${limit} defined twice`);
    this.counters.set(limit, counter);
  }

  has(limit: string): boolean {
    return this.counters.has(limit);
  }

  /** Current usage of every counted limit: what the usage page shows and a downgrade is checked against. */
  async usage(tx: TenantTx): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [limit, c] of this.counters) out[limit] = await c.usage(tx);
    return out;
  }

  /**
   * Refuses the request when one more would go past the limit. Creations of one kind are serialised per tenant
   * for the rest of the transaction, so two concurrent requests cannot both take the last place.
   */
  async check(tx: TenantTx, limit: string, allowed: number | null | undefined, input: { body: unknown; params: unknown }): Promise<void> {
    if (allowed === null || allowed === undefined) return;
    const counter = this.counters.get(limit);
    if (!counter) throw new Error(`no counter for limit ${limit}`);
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`limit:${tx.tenantId}:${limit}`]);
    const used = await counter.count(tx, input);
    if (used !== null && used >= allowed) throw entitlementErrors.limitExceeded(limit, used, allowed);
  }
}

export const entitlementErrors = {
  dailyCallsUsed: (used: number, allowed: number) => {
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    const retry = Math.max(1, Math.ceil((midnight.getTime() - Date.now()) / 1000));
    return new AppError(429, 'limit_exceeded', `This business's plan allows ${allowed} API calls a day; they are used up until midnight UTC.`, [], {
      limit: 'api_calls_per_day',
      used,
      allowed,
      retry_after_seconds: retry,
    }, { 'retry-after': String(retry) });
  },
  featureDisabled: (feature: string) =>
    new AppError(403, 'feature_disabled', `The ${feature} feature is not part of this business's plan, or is switched off for it.`, [], { feature }),
  limitExceeded: (limit: string, used: number, allowed: number) =>
    new AppError(403, 'limit_exceeded', `This business's plan allows ${allowed} ${limit.replace(/_/g, ' ')}; it has ${used}. Upgrade the plan or remove one first.`, [], {
      limit,
      used,
      allowed,
    }),
};

export function hasFeature(e: Entitlements, feature: string): boolean {
  return e.features.includes(feature);
}
