import type { PlatformTx } from '../core/db/tx.ts';

export async function readOutbox(tx: PlatformTx, q: { limit: number; to?: string }) {
  return tx.query<{ id: string; tenant_id: string; to_address: string; subject: string; body: string; status: string; created_at: Date; sent_at: Date | null }>(
    `SELECT id, tenant_id, to_address, subject, body, status, created_at, sent_at FROM outbox_messages
      WHERE ($1::text IS NULL OR to_address = lower($1)) ORDER BY created_at DESC, id DESC LIMIT $2`,
    [q.to ?? null, q.limit],
  );
}

export interface NewTenant {
  slug: string;
  name: string;
  status?: 'trial' | 'active';
  timeZone?: string;
  currency?: string;
  locale?: string;
}

export async function createTenant(tx: PlatformTx, id: string, t: NewTenant) {
  const [row] = await tx.query<{ id: string; slug: string; name: string; status: string }>(
    `INSERT INTO tenants (id, slug, name, status, time_zone, currency, locale) VALUES ($1, $2, $3, $4, $5, $6, $7)
     RETURNING id, slug, name, status`,
    [id, t.slug, t.name, t.status ?? 'active', t.timeZone ?? 'UTC', t.currency ?? 'USD', t.locale ?? 'en-US'],
  );
  return row!;
}

export async function tenantCount(tx: PlatformTx): Promise<number> {
  const [r] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM tenants`);
  return r?.n ?? 0;
}
