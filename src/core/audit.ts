import { v7 as uuidv7 } from 'uuid';
import type { PlatformTx, TenantTx } from './db/tx.ts';

export type Risk = 'low' | 'medium' | 'high' | 'critical';

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export interface AuditEntry {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  locationId?: string | null;
  risk?: Risk;
  /** Who acted, when it is not the transaction's actor (a sign-in acts as the person it signs in). */
  actor?: { type: 'user' | 'kiosk' | 'platform' | 'system' | 'api_key'; id: string | null; label: string };
  /** Changed fields: `{ field: [before, after] }`, or a plain object of what was recorded. */
  changes?: Record<string, unknown> | null;
}

/** Fields whose values never go into the audit trail, only the fact that they changed. */
const SECRET_FIELDS = /password|pin|token|secret|hash/i;

export function redact(changes: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (!changes) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(changes)) out[k] = SECRET_FIELDS.test(k) ? '[redacted]' : v;
  return out;
}

/** `{ name: [old, new] }` for every field that differs between two snapshots. */
export function diff<T extends Record<string, unknown>>(before: T, after: Partial<T>): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  for (const k of Object.keys(after)) {
    const a = before[k];
    const b = after[k];
    if (JSON.stringify(a) !== JSON.stringify(b)) out[k] = [a ?? null, b ?? null];
  }
  return out;
}

/**
 * Appends to the tenant's hash-chained audit trail in the caller's transaction. The record is sent with the COMMIT:
 * the chain's head row is locked from the record's insert to the end of the transaction, so writers of one
 * business queue on it only for the commit itself, not for the rest of their work.
 */
export async function writeAudit(tx: TenantTx, meta: RequestMeta, entry: AuditEntry): Promise<void> {
  tx.writeAtCommit(
    `INSERT INTO audit_log (tenant_id, seq, id, actor_type, actor_id, actor_label, action, resource_type, resource_id,
       location_id, risk, ip, user_agent, request_id, changes, prev_hash, hash)
     VALUES ($1, 0, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, '\\x', '\\x')`,
    [
      tx.tenantId,
      uuidv7(),
      (entry.actor ?? tx.actor).type,
      (entry.actor ?? tx.actor).id,
      (entry.actor ?? tx.actor).label,
      entry.action,
      entry.resourceType,
      entry.resourceId ?? null,
      entry.locationId ?? null,
      entry.risk ?? 'low',
      meta.ip,
      meta.userAgent?.slice(0, 500) ?? null,
      meta.requestId,
      entry.changes ? JSON.stringify(redact(entry.changes)) : null,
    ],
  );
}

/**
 * A record of a change nobody asked for by request (a job's automatic no-show, a scheduled purge): no address, user
 * agent or request id, and the system as the actor, named by the transaction (a job's is `job:<kind>`).
 */
export async function writeSystemAudit(tx: TenantTx, entry: Omit<AuditEntry, 'actor'>): Promise<void> {
  await writeAudit(tx, { ip: null, userAgent: null, requestId: null }, { ...entry, actor: { type: 'system', id: null, label: tx.actor.label } });
}

export async function writePlatformAudit(
  tx: PlatformTx,
  meta: RequestMeta,
  entry: AuditEntry & { targetTenantId?: string | null },
): Promise<void> {
  await tx.query(
    `INSERT INTO platform_audit_log (id, actor_id, actor_label, action, target_tenant_id, resource_type, resource_id, risk,
       ip, user_agent, request_id, changes)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      uuidv7(),
      (entry.actor ?? tx.actor).id,
      (entry.actor ?? tx.actor).label,
      entry.action,
      entry.targetTenantId ?? null,
      entry.resourceType,
      entry.resourceId ?? null,
      entry.risk ?? 'low',
      meta.ip,
      meta.userAgent?.slice(0, 500) ?? null,
      meta.requestId,
      entry.changes ? JSON.stringify(redact(entry.changes)) : null,
    ],
  );
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  resource_type?: string;
  resource_id?: string;
  risk?: Risk;
  from?: string;
  to?: string;
  limit: number;
  cursor?: number;
}

/** A filter word matched literally inside LIKE: its own % and _ are not wildcards. */
function likeLiteral(s: string | undefined): string | null {
  return s === undefined ? null : s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Newest first; the cursor is the last sequence number seen. */
export async function listAudit(tx: TenantTx, f: AuditFilter) {
  const rows = await tx.query<Record<string, unknown> & { seq: number }>(
    `SELECT seq, id, at, actor_type, actor_id, actor_label, action, resource_type, resource_id, location_id, risk,
            ip, user_agent, request_id, changes, encode(hash, 'hex') AS hash
       FROM audit_log
      WHERE tenant_id = $1
        AND ($2::text IS NULL OR actor_id::text = $2 OR actor_label ILIKE '%' || $11 || '%')
        AND ($3::text IS NULL OR action = $3 OR action LIKE $12 || '.%')
        AND ($4::text IS NULL OR resource_type = $4)
        AND ($5::text IS NULL OR resource_id = $5)
        AND ($6::text IS NULL OR risk = $6)
        AND ($7::timestamptz IS NULL OR at >= $7)
        AND ($8::timestamptz IS NULL OR at < $8)
        AND ($9::bigint IS NULL OR seq < $9)
      ORDER BY seq DESC LIMIT $10`,
    [tx.tenantId, f.actor ?? null, f.action ?? null, f.resource_type ?? null, f.resource_id ?? null, f.risk ?? null, f.from ?? null, f.to ?? null, f.cursor ?? null, f.limit + 1,
     likeLiteral(f.actor), likeLiteral(f.action)],
  );
  const items = rows.slice(0, f.limit);
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > f.limit && last ? String(last.seq) : null };
}

/**
 * Recomputes every link of the tenant's chain in the database. Any edited row breaks its own hash; a removed
 * row leaves a gap in the sequence; a removed tail no longer matches the chain head.
 */
export async function verifyAudit(tx: TenantTx) {
  // The row hash is computed in the inner query, where `a` is still an audit_log row; the outer query sees only
  // the columns it needs. A gap is reported at the first missing number, as a removed tail is.
  const [broken] = await tx.query<{ seq: number; reason: string }>(
    `SELECT CASE WHEN seq <> coalesce(prev_seq, 0) + 1 THEN coalesce(prev_seq, 0) + 1 ELSE seq END AS seq,
            CASE
              WHEN seq <> coalesce(prev_seq, 0) + 1 THEN 'record_missing'
              WHEN hash <> expected THEN 'record_altered'
              WHEN prev_hash <> coalesce(prev_actual, genesis) THEN 'link_broken'
            END AS reason
       FROM (SELECT a.seq, a.hash, a.prev_hash, audit_row_hash(a) AS expected,
                    lag(a.seq) OVER w AS prev_seq, lag(a.hash) OVER w AS prev_actual,
                    sha256(convert_to(a.tenant_id::text, 'UTF8')) AS genesis
               FROM audit_log a WHERE a.tenant_id = $1 WINDOW w AS (ORDER BY a.seq)) c
      WHERE seq <> coalesce(prev_seq, 0) + 1 OR hash <> expected OR prev_hash <> coalesce(prev_actual, genesis)
      ORDER BY c.seq LIMIT 1`,
    [tx.tenantId],
  );
  const [totals] = await tx.query<{ n: number; last_seq: number | null; last_hash: string | null; head_seq: number | null; head_hash: string | null }>(
    `SELECT (SELECT count(*)::int FROM audit_log WHERE tenant_id = $1) AS n,
            (SELECT max(seq) FROM audit_log WHERE tenant_id = $1) AS last_seq,
            (SELECT encode(hash, 'hex') FROM audit_log WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1) AS last_hash,
            (SELECT seq FROM audit_heads WHERE tenant_id = $1) AS head_seq,
            (SELECT encode(hash, 'hex') FROM audit_heads WHERE tenant_id = $1) AS head_hash`,
    [tx.tenantId],
  );
  const checked = totals?.n ?? 0;
  if (broken) return { ok: false, checked, first_broken_seq: broken.seq, reason: broken.reason };
  if (totals && (totals.head_seq ?? 0) !== (totals.last_seq ?? 0)) {
    return { ok: false, checked, first_broken_seq: (totals.last_seq ?? 0) + 1, reason: 'record_missing' };
  }
  if (totals && totals.head_hash !== totals.last_hash) return { ok: false, checked, first_broken_seq: totals.last_seq, reason: 'link_broken' };
  return { ok: true, checked, first_broken_seq: null, reason: null };
}

/** What one person did, newest first: their own trail, readable without the audit permission. */
export async function listOwnActivity(tx: TenantTx, actorId: string, limit: number) {
  return tx.query<{ seq: number; at: Date; action: string; resource_type: string; resource_id: string | null; location_id: string | null; risk: Risk }>(
    `SELECT seq, at, action, resource_type, resource_id, location_id, risk FROM audit_log
      WHERE tenant_id = $1 AND actor_id = $2 ORDER BY seq DESC LIMIT $3`,
    [tx.tenantId, actorId, limit],
  );
}

/**
 * Writes a record into one tenant's own trail from the platform path, in the platform transaction: a lifecycle
 * step or a support session must appear in both logs or in neither.
 */
export async function writeTenantAuditFromPlatform(tx: PlatformTx, tenantId: string, meta: RequestMeta, entry: AuditEntry): Promise<void> {
  await tx.asTenant(tenantId, (ttx) => writeAudit(ttx, meta, entry));
}
