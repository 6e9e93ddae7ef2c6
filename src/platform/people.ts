import { writeAudit, writePlatformAudit, type RequestMeta } from '../core/audit.ts';
import type { PlatformTx } from '../core/db/tx.ts';
import { errors } from '../core/errors.ts';
import { revokeUserSessions, type SessionRowCache } from '../identity/service.ts';
import * as support from '../identity/support.ts';
import * as service from './service.ts';

/**
 * The operator's hand on one person of a business: every session ended (a stolen phone), optionally the account
 * disabled. Written to the business's own trail and to the platform's, in one transaction.
 */
export async function signOut(
  tx: PlatformTx,
  sessions: SessionRowCache,
  meta: RequestMeta,
  tenantId: string,
  body: { user_id: string; reason: string; disable: boolean },
): Promise<{ sessions_ended: number; disabled: boolean }> {
  if (!(await service.tenantRecord(tx, tenantId))) throw errors.notFound('tenant');
  const ended = await tx.asTenant(tenantId, async (ttx) => {
    const [u] = await ttx.query<{ id: string }>(`SELECT id FROM users WHERE tenant_id = $1 AND id = $2`, [tenantId, body.user_id]);
    if (!u) throw errors.notFound('person');
    if (body.disable) await ttx.query(`UPDATE users SET status = 'disabled', version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [tenantId, body.user_id]);
    const n = await revokeUserSessions(ttx, sessions, body.user_id);
    await writeAudit(ttx, meta, {
      action: body.disable ? 'identity.user.disabled_by_platform' : 'identity.user.signed_out_by_platform',
      resourceType: 'user',
      resourceId: body.user_id,
      risk: 'high',
      changes: { reason: body.reason, sessions_ended: n },
    });
    return n;
  });
  await writePlatformAudit(tx, meta, {
    action: body.disable ? 'tenant.person_disabled' : 'tenant.person_signed_out',
    resourceType: 'user',
    resourceId: body.user_id,
    targetTenantId: tenantId,
    risk: 'high',
    changes: { reason: body.reason, sessions_ended: ended },
  });
  return { sessions_ended: ended, disabled: body.disable };
}

/** A read-only support session into a business whose owner allows it, in both trails. */
export async function openSupport(
  tx: PlatformTx,
  deps: { tenantUrl(slug: string): string },
  meta: RequestMeta,
  operator: { id: string; label: string },
  tenantId: string,
  body: { reason: string; minutes: number },
) {
  const t = await service.tenantRecord(tx, tenantId);
  if (!t || t.status === 'purged') throw errors.notFound('tenant');
  const opened = await tx.asTenant(tenantId, async (ttx) => {
    const s = await support.openSupportSession(ttx, operator, body.reason, body.minutes);
    // The business sees it in its own trail, with who looked and why.
    await writeAudit(ttx, meta, {
      action: 'support.session_opened',
      resourceType: 'support_session',
      resourceId: s.id,
      risk: 'high',
      actor: { type: 'platform', id: operator.id, label: operator.label },
      changes: { reason: body.reason, expires_at: s.expires_at.toISOString() },
    });
    return s;
  });
  await writePlatformAudit(tx, meta, {
    action: 'tenant.support_session_opened',
    resourceType: 'support_session',
    resourceId: opened.id,
    targetTenantId: tenantId,
    risk: 'high',
    changes: { reason: body.reason, expires_at: opened.expires_at.toISOString() },
  });
  // The token travels in the fragment, which browsers never send to a server or put in a Referer.
  return { ...opened, url: `${deps.tenantUrl(t.slug)}/support#token=${opened.token}` };
}

/** Lets a person the operator disabled sign in again (their sessions stay ended: they sign in afresh). */
export async function enable(tx: PlatformTx, meta: RequestMeta, tenantId: string, body: { user_id: string; reason: string }): Promise<{ enabled: true }> {
  const t = await service.tenantRecord(tx, tenantId);
  if (!t || t.status === 'purged') throw errors.notFound('tenant');
  await tx.asTenant(tenantId, async (ttx) => {
    const [u] = await ttx.query<{ status: string }>(`SELECT status FROM users WHERE tenant_id = $1 AND id = $2`, [tenantId, body.user_id]);
    if (!u) throw errors.notFound('person');
    if (u.status === 'active') return;
    await ttx.query(`UPDATE users SET status = 'active', version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [tenantId, body.user_id]);
    await writeAudit(ttx, meta, { action: 'identity.user.enabled_by_platform', resourceType: 'user', resourceId: body.user_id, risk: 'high', changes: { reason: body.reason } });
  });
  await writePlatformAudit(tx, meta, { action: 'tenant.person_enabled', resourceType: 'user', resourceId: body.user_id, targetTenantId: tenantId, risk: 'high', changes: { reason: body.reason } });
  return { enabled: true };
}
