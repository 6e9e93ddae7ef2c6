import type { TenantTx } from './db/tx.ts';

/**
 * Daily usage per tenant (messages sent, API calls…), one row per day and metric, for the usage page and plan
 * limits. Counted in the transaction of the work it counts, so a rolled-back send counts nothing.
 */
export async function countUsage(tx: TenantTx, metric: string, by = 1): Promise<void> {
  await tx.query(
    `INSERT INTO usage_daily (tenant_id, day, metric, value) VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $2, $3)
     ON CONFLICT (tenant_id, day, metric) DO UPDATE SET value = usage_daily.value + EXCLUDED.value`,
    [tx.tenantId, metric, by],
  );
}
