import type { LimitCounters } from '../core/entitlements.ts';

/** Queues per location: counted at the location the new queue opens at; deleted queues free their place. */
export function defineWaitlistLimits(limits: LimitCounters): void {
  limits.define('queues_per_location', {
    async count(tx, { body }) {
      const locationId = (body as { location_id?: string } | null)?.location_id;
      if (!locationId) return null;
      const [r] = await tx.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM waitlist_queues WHERE tenant_id = $1 AND location_id = $2 AND deleted_at IS NULL`,
        [tx.tenantId, locationId],
      );
      return r!.n;
    },
    async usage(tx) {
      const [r] = await tx.query<{ n: number }>(
        `SELECT coalesce(max(n), 0)::int AS n FROM (SELECT count(*) AS n FROM waitlist_queues
          WHERE tenant_id = $1 AND deleted_at IS NULL GROUP BY location_id) q`,
        [tx.tenantId],
      );
      return r!.n;
    },
  });
}
