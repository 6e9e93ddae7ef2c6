import { stringify } from 'csv-stringify/sync';
import type { z } from 'zod';
import type { Principal } from '../core/access.ts';
import { diff } from '../core/audit.ts';
import type { TenantTx } from '../core/db/tx.ts';
import { errors } from '../core/errors.ts';
import type { HostTenant } from '../core/http.ts';
import type { GuestMessages } from './notify.ts';
import type * as s from './schemas.ts';

// ---------------------------------------------------------------- settings

const DEFAULTS = { retention_days: 183, notify_email: true, notify_sms: true, notify_whatsapp: false, version: 0 };

export async function getSettings(tx: TenantTx, messages: GuestMessages): Promise<z.output<typeof s.settings>> {
  const [row] = await tx.query<typeof DEFAULTS>(`SELECT retention_days, notify_email, notify_sms, notify_whatsapp, version FROM waitlist_settings WHERE tenant_id = $1`, [
    tx.tenantId,
  ]);
  // Version 1 before the first save too: the row does not exist yet, and the first PUT creates it.
  const settings = row ?? { ...DEFAULTS, version: 1 };
  return { ...settings, sms_available: messages.smsAvailable, whatsapp_available: messages.whatsappAvailable };
}

export async function updateSettings(tx: TenantTx, messages: GuestMessages, input: z.output<typeof s.updateSettings>) {
  const before = await getSettings(tx, messages);
  if (before.version !== input.version) throw errors.staleVersion();
  const next = {
    retention_days: input.retention_days ?? before.retention_days,
    notify_email: input.notify_email ?? before.notify_email,
    notify_sms: input.notify_sms ?? before.notify_sms,
    notify_whatsapp: input.notify_whatsapp ?? before.notify_whatsapp,
  };
  await tx.query(
    `INSERT INTO waitlist_settings (tenant_id, retention_days, notify_email, notify_sms, notify_whatsapp, version)
     VALUES ($1, $2, $3, $4, $5, 2)
     ON CONFLICT (tenant_id) DO UPDATE SET retention_days = $2, notify_email = $3, notify_sms = $4, notify_whatsapp = $5,
       version = waitlist_settings.version + 1, updated_at = now()`,
    [tx.tenantId, next.retention_days, next.notify_email, next.notify_sms, next.notify_whatsapp],
  );
  return { settings: await getSettings(tx, messages), changes: diff(before as unknown as Record<string, unknown>, next) };
}

// ---------------------------------------------------------------- analytics

const DAYS: Record<(typeof s.PERIODS)[number], number> = { '1d': 1, '7d': 7, '30d': 30, '90d': 90, '180d': 180 };

type Query = z.output<typeof s.analyticsQuery>;

/** Which queues the figures cover, and in which time zone days and hours are counted. */
async function scopeOf(tx: TenantTx, tenant: HostTenant, principal: Principal, q: Query) {
  const scope = principal.scope('waitlist.analytics.read');
  let timeZone = tenant.time_zone;
  if (q.queue_id) {
    const [row] = await tx.query<{ location_id: string; time_zone: string }>(
      `SELECT q.location_id, l.time_zone FROM waitlist_queues q JOIN locations l ON l.tenant_id = q.tenant_id AND l.id = q.location_id WHERE q.tenant_id = $1 AND q.id = $2`,
      [tx.tenantId, q.queue_id],
    );
    if (!row || (scope !== 'all' && !scope.includes(row.location_id))) throw errors.notFound('queue');
    if (q.location_id && q.location_id !== row.location_id) throw errors.notFound('queue');
    timeZone = row.time_zone;
  } else if (q.location_id) {
    const [row] = await tx.query<{ time_zone: string }>(`SELECT time_zone FROM locations WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, q.location_id]);
    if (!row || (scope !== 'all' && !scope.includes(q.location_id))) throw errors.notFound('location');
    timeZone = row.time_zone;
  }
  return { locations: scope === 'all' ? null : scope, timeZone };
}

export async function summary(tx: TenantTx, tenant: HostTenant, principal: Principal, q: Query): Promise<z.output<typeof s.analytics>> {
  const { locations, timeZone } = await scopeOf(tx, tenant, principal, q);
  const days = DAYS[q.period];
  // Each entry once, with its local day and hour, and the wait until seated (or called, for one never seated).
  const base = `
    WITH bounds AS (
      SELECT (now() AT TIME ZONE $2)::date - ($3::int - 1) AS first, (now() AT TIME ZONE $2)::date AS last
    ), e AS (
      SELECT e.status, (e.joined_at AT TIME ZONE $2)::date AS day, extract(hour FROM e.joined_at AT TIME ZONE $2)::int AS hour,
             extract(epoch FROM coalesce(e.seated_at, e.called_at) - e.joined_at) / 60 AS wait
        FROM waitlist_entries e, bounds b
       WHERE e.tenant_id = $1
         AND e.joined_at >= (b.first::timestamp AT TIME ZONE $2) AND e.joined_at < ((b.last + 1)::timestamp AT TIME ZONE $2)
         AND ($4::uuid IS NULL OR e.queue_id = $4) AND ($5::uuid IS NULL OR e.location_id = $5)
         AND ($6::uuid[] IS NULL OR e.location_id = ANY($6::uuid[]))
    )`;
  const params = [tx.tenantId, timeZone, days, q.queue_id ?? null, q.location_id ?? null, locations];
  const [totals] = await tx.query<{
    first: string; last: string; joined: number; served: number; cancelled: number; no_shows: number; ended: number; avg: number | null; p90: number | null;
  }>(
    `${base}
     SELECT (SELECT first::text FROM bounds) AS first, (SELECT last::text FROM bounds) AS last,
            count(*)::int AS joined,
            count(*) FILTER (WHERE status IN ('seated', 'completed'))::int AS served,
            count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
            count(*) FILTER (WHERE status = 'no_show')::int AS no_shows,
            count(*) FILTER (WHERE status IN ('seated', 'completed', 'cancelled', 'no_show'))::int AS ended,
            round(avg(wait) FILTER (WHERE status IN ('seated', 'completed'))::numeric, 1)::float8 AS avg,
            round((percentile_cont(0.9) WITHIN GROUP (ORDER BY wait) FILTER (WHERE status IN ('seated', 'completed')))::numeric, 1)::float8 AS p90
       FROM e`,
    params,
  );
  const hours = await tx.query<{ hour: number; joined: number }>(`${base} SELECT hour, count(*)::int AS joined FROM e GROUP BY hour ORDER BY joined DESC, hour LIMIT 24`, params);
  const series = await tx.query<{ date: string; joined: number; served: number; cancelled: number; no_shows: number; average_wait_minutes: number | null }>(
    `${base}
     SELECT d::date::text AS date,
            count(e.status)::int AS joined,
            count(*) FILTER (WHERE e.status IN ('seated', 'completed'))::int AS served,
            count(*) FILTER (WHERE e.status = 'cancelled')::int AS cancelled,
            count(*) FILTER (WHERE e.status = 'no_show')::int AS no_shows,
            round(avg(e.wait) FILTER (WHERE e.status IN ('seated', 'completed'))::numeric, 1)::float8 AS average_wait_minutes
       FROM bounds b CROSS JOIN generate_series(b.first, b.last, interval '1 day') d
       LEFT JOIN e ON e.day = d::date
      GROUP BY d ORDER BY d`,
    params,
  );
  const t = totals!;
  const rate = (n: number) => (t.ended > 0 ? Math.round((n / t.ended) * 1000) / 1000 : null);
  return {
    period: q.period,
    from: t.first,
    to: t.last,
    time_zone: timeZone,
    joined: t.joined,
    served: t.served,
    cancelled: t.cancelled,
    no_shows: t.no_shows,
    average_wait_minutes: t.avg,
    p90_wait_minutes: t.p90,
    no_show_rate: rate(t.no_shows),
    cancellation_rate: rate(t.cancelled),
    busiest_hours: hours,
    days: series,
  };
}

export async function csv(tx: TenantTx, tenant: HostTenant, principal: Principal, q: Query): Promise<string> {
  const r = await summary(tx, tenant, principal, q);
  return stringify(
    r.days.map((d) => [d.date, d.joined, d.served, d.cancelled, d.no_shows, d.average_wait_minutes ?? '']),
    { header: true, columns: ['date', 'joined', 'served', 'cancelled', 'no_shows', 'average_wait_minutes'] },
  );
}
