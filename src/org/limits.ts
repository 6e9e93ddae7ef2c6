import type { LimitCounters } from '../core/entitlements.ts';
import type { TenantTx } from '../core/db/tx.ts';

async function locations(tx: TenantTx): Promise<number> {
  const [r] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM locations WHERE tenant_id = $1`, [tx.tenantId]);
  return r!.n;
}

/** The locations limit of a plan counts the business's locations. */
export function defineOrgLimits(limits: LimitCounters): void {
  limits.define('locations', { count: (tx) => locations(tx), usage: locations });
}
