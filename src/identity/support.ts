import { v7 as uuidv7 } from 'uuid';
import type { Principal } from '../core/access.ts';
import type { Database, TenantTx } from '../core/db/tx.ts';
import { AppError } from '../core/errors.ts';
import { issueToken, parseToken } from '../core/tokens.ts';
import { ALL_PERMISSIONS } from './permissions.ts';

export const SUPPORT_TOKEN_PREFIX = 'bsa_';
export const SUPPORT_MAX_MINUTES = 60;
export const GRANT_MAX_HOURS = 168;

/** What a support session may do: read what an auditor reads, never change anything. */
export const SUPPORT_PERMISSIONS = new Set<string>([...ALL_PERMISSIONS.filter((p) => p.endsWith('.read')), 'identity.self']);

export interface SupportGrant {
  id: string;
  granted_by: string;
  expires_at: Date;
  revoked_at: Date | null;
  created_at: Date;
}

export async function currentGrant(tx: TenantTx): Promise<SupportGrant | null> {
  const [g] = await tx.query<SupportGrant>(
    `SELECT id, granted_by, expires_at, revoked_at, created_at FROM support_grants
      WHERE tenant_id = $1 AND revoked_at IS NULL AND expires_at > now() ORDER BY created_at DESC LIMIT 1`,
    [tx.tenantId],
  );
  return g ?? null;
}

/**
 * The owner allows support in for a number of hours; a new grant replaces the one before, and the sessions opened
 * under that one end with it (recorded as ended, not left looking open).
 */
export async function grantSupport(tx: TenantTx, ownerId: string, hours: number): Promise<SupportGrant> {
  await tx.query(`UPDATE support_grants SET revoked_at = now() WHERE tenant_id = $1 AND revoked_at IS NULL`, [tx.tenantId]);
  await tx.query(`UPDATE support_sessions SET revoked_at = now() WHERE tenant_id = $1 AND revoked_at IS NULL AND expires_at > now()`, [tx.tenantId]);
  const [g] = await tx.query<SupportGrant>(
    `INSERT INTO support_grants (tenant_id, id, granted_by, expires_at) VALUES ($1, $2, $3, now() + make_interval(hours => $4))
     RETURNING id, granted_by, expires_at, revoked_at, created_at`,
    [tx.tenantId, uuidv7(), ownerId, hours],
  );
  return g!;
}

/** Withdraws the grant and ends every support session opened under it, at once. */
export async function revokeSupport(tx: TenantTx): Promise<{ sessions_ended: number }> {
  await tx.query(`UPDATE support_grants SET revoked_at = now() WHERE tenant_id = $1 AND revoked_at IS NULL`, [tx.tenantId]);
  const ended = await tx.query(`UPDATE support_sessions SET revoked_at = now() WHERE tenant_id = $1 AND revoked_at IS NULL AND expires_at > now() RETURNING id`, [
    tx.tenantId,
  ]);
  return { sessions_ended: ended.length };
}

export async function supportSessions(tx: TenantTx) {
  return tx.query<{ id: string; operator_label: string; reason: string; created_at: Date; expires_at: Date; revoked_at: Date | null }>(
    `SELECT id, operator_label, reason, created_at, expires_at, revoked_at FROM support_sessions WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 50`,
    [tx.tenantId],
  );
}

/**
 * Opens a read-only session into the business for an operator, if and while its owner allows it. The session
 * never outlives the grant.
 */
export async function openSupportSession(
  tx: TenantTx,
  operator: { id: string; label: string },
  reason: string,
  minutes: number,
): Promise<{ id: string; token: string; expires_at: Date }> {
  const grant = await currentGrant(tx);
  if (!grant) {
    throw new AppError(403, 'support_access_not_granted', 'The owner of this business has not allowed support access (or the permission has ended).');
  }
  const { token, hash } = issueToken(SUPPORT_TOKEN_PREFIX, tx.tenantId);
  const [s] = await tx.query<{ id: string; expires_at: Date }>(
    `INSERT INTO support_sessions (tenant_id, id, grant_id, platform_user_id, operator_label, reason, token_hash, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, least($8::timestamptz, now() + make_interval(mins => $9))) RETURNING id, expires_at`,
    [tx.tenantId, uuidv7(), grant.id, operator.id, operator.label, reason, hash, grant.expires_at, minutes],
  );
  return { id: s!.id, token, expires_at: s!.expires_at };
}

/** The principal of a support token: read-only, and only while both the session and the owner's grant hold. */
export async function principalFromSupport(db: Database, token: string, viaCookie = false): Promise<Principal | null> {
  const parsed = parseToken(SUPPORT_TOKEN_PREFIX, token);
  if (!parsed) return null;
  const [s] = await db.withTenant(parsed.tenantId, { type: 'system', id: null, label: 'auth' }, 'read', (tx) =>
    tx.query<{ id: string; operator_label: string }>(
      `SELECT s.id, s.operator_label FROM support_sessions s
         JOIN support_grants g ON g.tenant_id = s.tenant_id AND g.id = s.grant_id
        WHERE s.tenant_id = $1 AND s.token_hash = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
          AND g.revoked_at IS NULL AND g.expires_at > now()`,
      [parsed.tenantId, parsed.hash],
    ),
  );
  if (!s) return null;
  const has = (p: string) => SUPPORT_PERMISSIONS.has(p);
  return {
    kind: 'support_session',
    tenantId: parsed.tenantId,
    userId: null,
    sessionId: s.id,
    kioskId: null,
    label: `support:${s.operator_label}`,
    viaCookie,
    has,
    at: (p) => has(p),
    scope: (p) => (has(p) ? 'all' : []),
  };
}

export interface OpenSupportSession {
  id: string;
  operator_label: string;
  expires_at: Date;
}

/** The support session a token opens in this business, if it is still open and still allowed. */
export async function supportSessionByToken(tx: TenantTx, token: string): Promise<OpenSupportSession | null> {
  const parsed = parseToken(SUPPORT_TOKEN_PREFIX, token);
  if (!parsed || parsed.tenantId !== tx.tenantId) return null;
  const [s] = await tx.query<OpenSupportSession>(
    `SELECT s.id, s.operator_label, s.expires_at FROM support_sessions s
       JOIN support_grants g ON g.tenant_id = s.tenant_id AND g.id = s.grant_id
      WHERE s.tenant_id = $1 AND s.token_hash = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
        AND g.revoked_at IS NULL AND g.expires_at > now()`,
    [tx.tenantId, parsed.hash],
  );
  return s ?? null;
}

/** Who is looking in, for the banner every page shows during a support session. */
export async function supportSession(tx: TenantTx, id: string): Promise<OpenSupportSession | null> {
  const [s] = await tx.query<OpenSupportSession>(`SELECT id, operator_label, expires_at FROM support_sessions WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, id]);
  return s ?? null;
}

/** The operator ends the support session before its time. */
export async function endSupportSession(tx: TenantTx, id: string): Promise<void> {
  await tx.query(`UPDATE support_sessions SET revoked_at = now() WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL`, [tx.tenantId, id]);
}

/** What GET /auth/session answers for a support session: the operator, read-only, with every page a reader sees. */
export function supportWhoAmI(s: OpenSupportSession) {
  return {
    user: { id: s.id, email: s.operator_label, name: `Brigade support (${s.operator_label})`, has_pin: false },
    roles: [],
    permissions: Object.fromEntries([...SUPPORT_PERMISSIONS].map((p) => [p, 'all' as const])),
    kind: 'support_session' as const,
    kiosk_id: null,
    support: { operator_label: s.operator_label, expires_at: s.expires_at },
  };
}
