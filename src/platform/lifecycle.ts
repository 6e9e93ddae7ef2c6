import { createHash, randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { writePlatformAudit, writeTenantAuditFromPlatform, type RequestMeta } from '../core/audit.ts';
import type { PlatformTx } from '../core/db/tx.ts';
import { AppError, errors } from '../core/errors.ts';
import type { Jobs } from '../core/jobs.ts';
import { inviteOwner } from '../identity/service.ts';
import type { Mailer } from '../integrations/mail.ts';
import { TENANTS_CHANNEL } from './tenants.ts';

/**
 * trial → active → past_due → suspended → cancelled → purged, and back where it makes sense. Suspension and
 * cancellation touch no data; only the purge, 30 days after cancellation, removes it.
 */
export const TENANT_STATUSES = ['trial', 'active', 'past_due', 'suspended', 'cancelled', 'purged'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

const NEXT: Record<TenantStatus, readonly TenantStatus[]> = {
  trial: ['active', 'suspended', 'cancelled'],
  active: ['past_due', 'suspended', 'cancelled'],
  past_due: ['active', 'suspended', 'cancelled'],
  suspended: ['active', 'cancelled'],
  // Reactivation within the 30 days keeps everything; after the purge there is nothing to come back to.
  cancelled: ['active'],
  purged: [],
};

export const EXPORT_DAYS = 30;
export const JOB_TRIAL_END = 'platform.trial_end';
export const JOB_PURGE = 'platform.purge';
export const JOB_INVITE_OWNER = 'platform.invite_owner';

const SYSTEM = { type: 'system' as const, id: null, label: 'lifecycle' };
const NO_META: RequestMeta = { ip: null, userAgent: null, requestId: null };

export interface LifecycleDeps {
  jobs: Jobs;
  mailer: Mailer;
  tenantUrl(slug: string): string;
  /**
   * Drops this instance's cached copy of the tenants right after a change commits, so the next request sees it;
   * other instances hear the NOTIFY sent with the change.
   */
  forgetTenants(): void;
}

/** Tells every instance a tenant changed (status, plan, overrides), with the transaction that changes it. */
export async function announceTenantChange(tx: Pick<PlatformTx, 'query' | 'afterCommit'>, deps: Pick<LifecycleDeps, 'forgetTenants'>, tenantId: string): Promise<void> {
  await tx.query(`SELECT pg_notify($1, $2)`, [TENANTS_CHANNEL, tenantId]);
  tx.afterCommit(() => deps.forgetTenants());
}

interface TenantRow {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
  version: number;
}

export function canMove(from: TenantStatus, to: TenantStatus): boolean {
  return NEXT[from].includes(to);
}

/**
 * Moves a tenant to another status, recorded in the platform log, in the tenant's own log and in its history,
 * all in the platform transaction. Every instance forgets its cached copy of the tenant at commit, and the
 * tenant's open sockets close when it stops being live.
 */
export async function transition(
  tx: PlatformTx,
  deps: LifecycleDeps,
  meta: RequestMeta,
  tenantId: string,
  to: TenantStatus,
  reason: string,
  expectedVersion?: number,
): Promise<TenantRow> {
  const [t] = await tx.query<TenantRow>(`SELECT id, slug, name, status, version FROM tenants WHERE id = $1 FOR UPDATE`, [tenantId]);
  if (!t) throw errors.notFound('tenant');
  if (expectedVersion !== undefined && expectedVersion !== t.version) throw errors.staleVersion();
  if (!canMove(t.status, to)) {
    throw new AppError(409, 'invalid_transition', `A ${t.status} business cannot become ${to}.`, [
      { field: 'body.status', code: 'invalid_transition', message: `from ${t.status}: ${NEXT[t.status].join(', ') || 'no further step'}` },
    ], { from: t.status, to, allowed: NEXT[t.status] });
  }
  const [row] = await tx.query<TenantRow>(
    `UPDATE tenants SET status = $2, status_changed_at = now(), updated_at = now(), version = version + 1,
            cancelled_at = CASE WHEN $2 = 'cancelled' THEN now() ELSE NULL END
      WHERE id = $1 RETURNING id, slug, name, status, version`,
    [tenantId, to],
  );
  await tx.query(`INSERT INTO tenant_status_changes (id, tenant_ref, from_status, to_status, reason, actor_label) VALUES ($1, $2, $3, $4, $5, $6)`, [
    uuidv7(),
    tenantId,
    t.status,
    to,
    reason,
    tx.actor.label,
  ]);
  const changes = { from: t.status, to, reason };
  const risk = to === 'suspended' || to === 'cancelled' ? 'critical' : 'high';
  await writePlatformAudit(tx, meta, { action: `tenant.${to}`, resourceType: 'tenant', resourceId: tenantId, targetTenantId: tenantId, risk, changes });
  await writeTenantAuditFromPlatform(tx, tenantId, meta, { action: `tenant.${to}`, resourceType: 'tenant', resourceId: tenantId, risk, changes });

  if (to === 'cancelled') await startExportWindow(tx, deps, t);
  await announceTenantChange(tx, deps, tenantId);
  if (!['trial', 'active', 'past_due'].includes(to)) {
    // Every session and socket of the business ends its live work now, on every instance.
    await tx.query(`SELECT pg_notify('brigade_auth', $1)`, [JSON.stringify({ tenant: tenantId })]);
  }
  return row!;
}

/**
 * The owners get a link to the full export, good for 30 days, and the purge is scheduled for the end of them.
 * The link is the only way into a cancelled business's data: sign-in is closed like a suspension's.
 */
async function startExportWindow(tx: PlatformTx, deps: LifecycleDeps, t: TenantRow): Promise<void> {
  const secret = randomBytes(32).toString('base64url');
  const token = `bx_${t.id}.${secret}`;
  await tx.query(
    `INSERT INTO tenant_exports (tenant_id, id, token_hash, expires_at) VALUES ($1, $2, $3, now() + make_interval(days => $4))`,
    [t.id, uuidv7(), createHash('sha256').update(token).digest(), EXPORT_DAYS],
  );
  const owners = await tx.query<{ email: string }>(
    `SELECT u.email FROM users u JOIN role_assignments r ON r.tenant_id = u.tenant_id AND r.user_id = u.id
      WHERE u.tenant_id = $1 AND r.role = 'owner' AND u.status = 'active'`,
    [t.id],
  );
  for (const o of owners) {
    await deps.mailer.queueFor(tx, t.id, {
      to: o.email,
      subject: `${t.name} is cancelled: download your data within ${EXPORT_DAYS} days`,
      body: `The Brigade account of ${t.name} has been cancelled. Everything it holds can be downloaded for ${EXPORT_DAYS} days:\n${deps.tenantUrl(t.slug)}/api/v1/public/export?token=${token}\n\nAfter that, the data is deleted for good.`,
    });
  }
  await deps.jobs.enqueueFor(tx, t.id, JOB_PURGE, {}, EXPORT_DAYS * 86_400);
}

/** At the end of a trial that was not turned into a paid plan, the business is suspended (its data kept). */
export async function endTrial(tx: PlatformTx, deps: LifecycleDeps, tenantId: string): Promise<void> {
  const [t] = await tx.query<{ status: TenantStatus; due: boolean }>(
    `SELECT status, trial_ends_at <= now() AS due FROM tenants WHERE id = $1 FOR UPDATE`,
    [tenantId],
  );
  if (!t || t.status !== 'trial') return;
  if (!t.due) {
    // The trial was extended after this job was queued: come back at its new end.
    const [r] = await tx.query<{ secs: number }>(`SELECT greatest(0, extract(epoch FROM trial_ends_at - now()))::float8 AS secs FROM tenants WHERE id = $1`, [tenantId]);
    await deps.jobs.enqueueFor(tx, tenantId, JOB_TRIAL_END, {}, r!.secs);
    return;
  }
  await transition(tx, deps, NO_META, tenantId, 'suspended', 'trial ended');
}

/** Thirty days after cancellation, nothing of the business remains but its tombstone row and the platform's log. */
export async function purge(tx: PlatformTx, deps: LifecycleDeps, tenantId: string): Promise<number | null> {
  const [t] = await tx.query<{ status: TenantStatus; due: boolean; secs: number }>(
    `SELECT status, cancelled_at <= now() - make_interval(days => $2) AS due,
            greatest(0, extract(epoch FROM cancelled_at + make_interval(days => $2) - now()))::float8 AS secs
       FROM tenants WHERE id = $1 FOR UPDATE`,
    [tenantId, EXPORT_DAYS],
  );
  // Reactivated since: the purge no longer applies.
  if (!t || t.status !== 'cancelled') return null;
  if (!t.due) {
    await deps.jobs.enqueueFor(tx, tenantId, JOB_PURGE, {}, t.secs);
    return null;
  }
  const [r] = await tx.query<{ rows: number }>(`SELECT brigade_purge_tenant($1)::int AS rows`, [tenantId]);
  await tx.query(`INSERT INTO tenant_status_changes (id, tenant_ref, from_status, to_status, reason, actor_label) VALUES ($1, $2, 'cancelled', 'purged', $3, $4)`, [
    uuidv7(),
    tenantId,
    `${EXPORT_DAYS} days after cancellation`,
    tx.actor.label,
  ]);
  await writePlatformAudit(tx, NO_META, {
    action: 'tenant.purged',
    resourceType: 'tenant',
    resourceId: tenantId,
    targetTenantId: tenantId,
    risk: 'critical',
    changes: { rows_removed: r!.rows },
  });
  await announceTenantChange(tx, deps, tenantId);
  return r!.rows;
}

export function registerLifecycleJobs(deps: LifecycleDeps): void {
  deps.jobs.register(JOB_INVITE_OWNER, async (tx, payload) => {
    const [t] = await tx.query<{ slug: string; name: string }>(`SELECT slug, name FROM tenants WHERE id = $1`, [tx.tenantId]);
    await inviteOwner(tx, deps, t!, String(payload.email));
  });
  deps.jobs.registerPlatform(JOB_TRIAL_END, (tx, tenantId) => endTrial(tx, deps, tenantId));
  deps.jobs.registerPlatform(JOB_PURGE, async (tx, tenantId) => {
    await purge(tx, deps, tenantId);
  });
}

export { SYSTEM as LIFECYCLE_ACTOR };
