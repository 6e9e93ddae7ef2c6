import type { TenantTx } from '../core/db/tx.ts';
import type { HostTenant } from '../core/http.ts';

/** Columns that hold secrets' hashes: worthless to the business and not to be handed out with its data. */
const WITHHELD = new Set(['password_hash', 'pin_hash', 'token_hash', 'request_hash']);

/**
 * Everything the business owns, table by table, read as the tenant (row-level security decides what is
 * its own), so a table a later module adds is in the export without a change here.
 */
export async function fullExport(tx: TenantTx, tenant: HostTenant): Promise<Record<string, unknown>> {
  const tables = await tx.query<{ name: string; columns: string[] }>(
    `SELECT c.relname AS name, array_agg(a.attname::text ORDER BY a.attnum) AS columns
       FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE ns.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
        AND EXISTS (SELECT 1 FROM pg_attribute t WHERE t.attrelid = c.oid AND t.attname = 'tenant_id' AND NOT t.attisdropped)
        AND has_table_privilege(c.oid, 'SELECT')
      GROUP BY c.relname ORDER BY c.relname`,
  );
  const out: Record<string, unknown> = {
    business: { id: tenant.id, slug: tenant.slug, name: tenant.name, time_zone: tenant.time_zone, currency: tenant.currency, locale: tenant.locale },
    exported_at: new Date().toISOString(),
  };
  const data: Record<string, unknown[]> = {};
  for (const t of tables) {
    const cols = t.columns.filter((c) => !WITHHELD.has(c)).map((c) => `"${c}"`).join(', ');
    data[t.name] = await tx.query(`SELECT ${cols} FROM "${t.name}" WHERE tenant_id = $1`, [tx.tenantId]);
  }
  out.tables = data;
  return out;
}
