import type { PlatformTx } from '../core/db/tx.ts';
import { errors } from '../core/errors.ts';

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
  plan?: string;
  /** For a trial: how long it lasts. */
  trialDays?: number;
  timeZone?: string;
  currency?: string;
  locale?: string;
}

export async function createTenant(tx: PlatformTx, id: string, t: NewTenant) {
  const [row] = await tx.query<{ id: string; slug: string; name: string; status: string }>(
    `INSERT INTO tenants (id, slug, name, status, time_zone, currency, locale, plan, trial_ends_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $4 = 'trial' THEN now() + make_interval(days => $9::int) END)
     RETURNING id, slug, name, status`,
    [id, t.slug, t.name, t.status ?? 'active', t.timeZone ?? 'UTC', t.currency ?? 'USD', t.locale ?? 'en-US', t.plan ?? 'enterprise', t.trialDays ?? 14],
  );
  return row!;
}

export async function tenantCount(tx: PlatformTx): Promise<number> {
  const [r] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM tenants`);
  return r?.n ?? 0;
}

// ------------------------------------------------------------------ the operator's view of tenants

export interface TenantListRow {
  id: string;
  slug: string;
  name: string;
  status: string;
  plan: string;
  trial_ends_at: Date | null;
  created_at: Date;
  users: number;
  locations: number;
}

export async function listTenants(tx: PlatformTx, q: { q?: string; status?: string; plan?: string; limit: number; cursor?: string }) {
  const rows = await tx.query<TenantListRow>(
    `SELECT t.id, t.slug, t.name, t.status, t.plan, t.trial_ends_at, t.created_at,
            (SELECT count(*)::int FROM users u WHERE u.tenant_id = t.id) AS users,
            (SELECT count(*)::int FROM locations l WHERE l.tenant_id = t.id) AS locations
       FROM tenants t
      WHERE ($1::text IS NULL OR t.slug ILIKE '%' || $1 || '%' OR t.name ILIKE '%' || $1 || '%')
        AND ($2::text IS NULL OR t.status = $2) AND ($3::text IS NULL OR t.plan = $3)
        AND ($4::uuid IS NULL OR t.id < $4)
      ORDER BY t.id DESC LIMIT $5`,
    [q.q?.replace(/[%_\\]/g, '\\$&') ?? null, q.status ?? null, q.plan ?? null, q.cursor ?? null, q.limit + 1],
  );
  const more = rows.length > q.limit;
  const items = rows.slice(0, q.limit);
  return { items, next_cursor: more ? items[items.length - 1]!.id : null };
}

export async function slugAvailable(tx: PlatformTx, slug: string): Promise<boolean> {
  const rows = await tx.query(`SELECT 1 FROM tenants WHERE slug = $1`, [slug]);
  return rows.length === 0 && !RESERVED_SLUGS.has(slug);
}

/** Addresses Brigade itself needs (`www.`, `api.`…) can never be a business's. */
export const RESERVED_SLUGS = new Set(['www', 'api', 'app', 'admin', 'platform', 'mail', 'static', 'assets', 'status', 'help', 'support', 'docs']);

export async function plans(tx: PlatformTx) {
  return tx.query<{ code: string; name: string; features: string[]; limits: Record<string, number | null> }>(
    `SELECT code, name, features, limits FROM plans ORDER BY position`,
  );
}

export async function tenantRecord(tx: PlatformTx, id: string) {
  const [t] = await tx.query<{
    id: string;
    slug: string;
    name: string;
    status: string;
    plan: string;
    trial_ends_at: Date | null;
    cancelled_at: Date | null;
    status_changed_at: Date;
    custom_domain: string | null;
    time_zone: string;
    currency: string;
    locale: string;
    feature_overrides: Record<string, boolean>;
    limit_overrides: Record<string, number | null>;
    version: number;
    created_at: Date;
    plan_features: string[];
    plan_limits: Record<string, number | null>;
  }>(
    `SELECT t.id, t.slug, t.name, t.status, t.plan, t.trial_ends_at, t.cancelled_at, t.status_changed_at, t.custom_domain,
            t.time_zone, t.currency, t.locale, t.feature_overrides, t.limit_overrides, t.version, t.created_at,
            p.features AS plan_features, p.limits AS plan_limits
       FROM tenants t JOIN plans p ON p.code = t.plan WHERE t.id = $1`,
    [id],
  );
  return t ?? null;
}

export async function tenantPeople(tx: PlatformTx, id: string) {
  const users = await tx.query<{ id: string; email: string; name: string; status: string; roles: string[] }>(
    `SELECT u.id, u.email, u.name, u.status, coalesce(array_agg(DISTINCT r.role) FILTER (WHERE r.role IS NOT NULL), '{}') AS roles
       FROM users u LEFT JOIN role_assignments r ON r.tenant_id = u.tenant_id AND r.user_id = u.id
      WHERE u.tenant_id = $1 GROUP BY u.id, u.email, u.name, u.status ORDER BY u.email LIMIT 200`,
    [id],
  );
  const locations = await tx.query<{ id: string; name: string; time_zone: string }>(
    `SELECT id, name, time_zone FROM locations WHERE tenant_id = $1 ORDER BY name`,
    [id],
  );
  const history = await tx.query<{ from_status: string; to_status: string; reason: string; actor_label: string; at: Date }>(
    `SELECT from_status, to_status, reason, actor_label, at FROM tenant_status_changes WHERE tenant_ref = $1 ORDER BY at DESC, id DESC LIMIT 50`,
    [id],
  );
  const audit = await tx.query<{ at: Date; actor_label: string; action: string; resource_type: string; risk: string }>(
    `SELECT at, actor_label, action, resource_type, risk FROM audit_log WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 20`,
    [id],
  );
  return { users, locations, history, audit };
}

/** Daily usage (API calls, messages sent, active people…) of the last `days` days, oldest first. */
export async function usageSeries(tx: { query: PlatformTx['query'] }, tenantId: string, days: number) {
  return tx.query<{ day: string; metric: string; value: number }>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, metric, value FROM (
       SELECT day, metric, value::float8 AS value FROM usage_daily
        WHERE tenant_id = $1 AND day > (now() AT TIME ZONE 'UTC')::date - $2::int
       UNION ALL
       SELECT day, 'active_users', count(*)::float8 FROM usage_active_users
        WHERE tenant_id = $1 AND day > (now() AT TIME ZONE 'UTC')::date - $2::int GROUP BY day
     ) u ORDER BY day, metric`,
    [tenantId, days],
  );
}

/** Calls counted for today so far (written by the usage meter every few seconds). */
export async function apiCallsToday(tx: { query: PlatformTx['query'] }, tenantId: string): Promise<number> {
  const [r] = await tx.query<{ n: number }>(
    `SELECT coalesce(sum(value), 0)::float8 AS n FROM usage_daily WHERE tenant_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date AND metric = 'api_calls'`,
    [tenantId],
  );
  return r!.n;
}

/** The operator's overview: tenants by status and plan, sign-ups per month, active people and API calls. */
export async function dashboard(tx: PlatformTx) {
  const byStatus = await tx.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM tenants GROUP BY status ORDER BY status`);
  const byPlan = await tx.query<{ plan: string; n: number }>(`SELECT plan, count(*)::int AS n FROM tenants WHERE status <> 'purged' GROUP BY plan ORDER BY plan`);
  const growth = await tx.query<{ month: string; created: number }>(
    `SELECT to_char(date_trunc('month', created_at), 'YYYY-MM') AS month, count(*)::int AS created FROM tenants
      WHERE created_at > now() - interval '12 months' GROUP BY 1 ORDER BY 1`,
  );
  const [activity] = await tx.query<{ active_today: number; active_7d: number; calls_today: number; calls_7d: number }>(
    `SELECT (SELECT count(DISTINCT (tenant_id, user_id))::int FROM usage_active_users WHERE day = (now() AT TIME ZONE 'UTC')::date) AS active_today,
            (SELECT count(DISTINCT (tenant_id, user_id))::int FROM usage_active_users WHERE day > (now() AT TIME ZONE 'UTC')::date - 7) AS active_7d,
            (SELECT coalesce(sum(value), 0)::float8 FROM usage_daily WHERE metric = 'api_calls' AND day = (now() AT TIME ZONE 'UTC')::date) AS calls_today,
            (SELECT coalesce(sum(value), 0)::float8 FROM usage_daily WHERE metric = 'api_calls' AND day > (now() AT TIME ZONE 'UTC')::date - 7) AS calls_7d`,
  );
  return {
    tenants_by_status: Object.fromEntries(byStatus.map((r) => [r.status, r.n])),
    tenants_by_plan: Object.fromEntries(byPlan.map((r) => [r.plan, r.n])),
    growth,
    active_users: { today: activity!.active_today, last_7_days: activity!.active_7d },
    api_calls: { today: activity!.calls_today, last_7_days: activity!.calls_7d },
  };
}

export async function platformAudit(tx: PlatformTx, q: { limit: number; cursor?: string; tenant_id?: string; action?: string }) {
  const rows = await tx.query<{
    id: string;
    at: Date;
    actor_label: string;
    action: string;
    target_tenant_id: string | null;
    resource_type: string;
    resource_id: string | null;
    risk: string;
    ip: string | null;
    changes: unknown;
  }>(
    `SELECT id, at, actor_label, action, target_tenant_id, resource_type, resource_id, risk, ip, changes FROM platform_audit_log
      WHERE ($1::uuid IS NULL OR id < $1) AND ($2::uuid IS NULL OR target_tenant_id = $2) AND ($3::text IS NULL OR action = $3)
      ORDER BY id DESC LIMIT $4`,
    [q.cursor ?? null, q.tenant_id ?? null, q.action ?? null, q.limit + 1],
  );
  const more = rows.length > q.limit;
  const items = rows.slice(0, q.limit);
  return { items, next_cursor: more ? items[items.length - 1]!.id : null };
}

/** The operator corrects a business's name; `version` makes a second operator's stale form conflict. */
export async function renameTenant(tx: PlatformTx, id: string, name: string, version: number): Promise<{ from: string; to: string } | null> {
  const t = await tenantRecord(tx, id);
  if (!t || t.status === 'purged') return null;
  if (t.version !== version) throw errors.staleVersion();
  await tx.query(`UPDATE tenants SET name = $2, version = version + 1, updated_at = now() WHERE id = $1`, [id, name]);
  return { from: t.name, to: name };
}

export interface PersonRow {
  id: string;
  tenant_id: string;
  tenant_slug: string;
  tenant_name: string;
  email: string;
  name: string;
  status: string;
  roles: string[];
  last_seen_at: Date | null;
}

/** People across every business, by email or name: "which business is jane@… in?" is the first support question. */
export async function searchPeople(tx: PlatformTx, q: { q?: string; status?: 'active' | 'disabled'; limit: number; cursor?: string }) {
  const rows = await tx.query<PersonRow>(
    `SELECT u.id, u.tenant_id, t.slug AS tenant_slug, t.name AS tenant_name, u.email, u.name, u.status,
            coalesce((SELECT array_agg(DISTINCT r.role ORDER BY r.role) FROM role_assignments r WHERE r.tenant_id = u.tenant_id AND r.user_id = u.id), '{}') AS roles,
            (SELECT max(s.last_seen_at) FROM sessions s WHERE s.tenant_id = u.tenant_id AND s.user_id = u.id) AS last_seen_at
       FROM users u JOIN tenants t ON t.id = u.tenant_id
      WHERE t.status <> 'purged'
        AND ($1::text IS NULL OR u.email ILIKE '%' || $1 || '%' OR u.name ILIKE '%' || $1 || '%')
        AND ($2::text IS NULL OR u.status = $2)
        AND ($3::uuid IS NULL OR u.id < $3)
      ORDER BY u.id DESC LIMIT $4`,
    [q.q?.replace(/[%_\\]/g, '\\$&') ?? null, q.status ?? null, q.cursor ?? null, q.limit + 1],
  );
  const more = rows.length > q.limit;
  const items = rows.slice(0, q.limit);
  return { items, next_cursor: more ? items[items.length - 1]!.id : null };
}
