import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import type { PlatformTx, TenantTx } from './db/tx.ts';
import { errors } from './errors.ts';

/** How long a POST's answer is kept for its retries, as Stripe does: past that, the same key is a new request. */
export const IDEMPOTENCY_HOURS = 24;

/** Whose Idempotency-Keys these are: a business's (one of its people, kiosks or API keys), or the platform's. */
export interface IdempotencyScope {
  tenantId: string | null;
  /** Asked only when the request carries a key: most requests never need it. */
  actor: () => string;
}

interface Exchange {
  req: FastifyRequest;
  reply: FastifyReply;
  /** The route's own status, stored with its answer. */
  status: number;
  /** A failure kept for after the commit (core/http's failAfterCommit) is not an answer to replay. */
  isFailure: (result: unknown) => boolean;
}

/**
 * Honours `Idempotency-Key` on a POST. The key is recorded before the work, in the same transaction, so a
 * concurrent retry blocks on its primary key until the first commits and then replays the first answer: a retried
 * POST never writes twice. The same key with another request is refused (422). A failed attempt leaves nothing to
 * replay, and a key older than IDEMPOTENCY_HOURS is claimed afresh whether or not the purge has removed it yet.
 * A business's keys live in its own RLS-bound table; the platform's in one only the platform role reaches.
 */
export async function idempotent(tx: TenantTx | PlatformTx, scope: IdempotencyScope, honoured: boolean, ex: Exchange, work: () => Promise<unknown>): Promise<unknown> {
  const { req, reply } = ex;
  const header = req.headers['idempotency-key'];
  const key = honoured && req.method === 'POST' && typeof header === 'string' && header.length > 0 ? header : null;
  if (key === null) return work();
  if (key.length > 200) throw errors.badRequest('invalid_idempotency_key', 'Idempotency-Key is at most 200 characters.', 'header.idempotency-key');

  const actor = scope.actor();
  const t = scope.tenantId === null
    ? { table: 'platform_idempotency_keys', owner: '', conflict: '(actor_key, key)', params: [actor, key] }
    : { table: 'idempotency_keys', owner: 'tenant_id = $3 AND ', conflict: '(tenant_id, actor_key, key)', params: [actor, key, scope.tenantId] };
  const where = `${t.owner}${t.table}.actor_key = $1 AND ${t.table}.key = $2`;
  const hash = createHash('sha256')
    .update(`${req.method} ${req.routeOptions.url} ${JSON.stringify(req.params)} ${JSON.stringify(req.body ?? null)}`)
    .digest();
  const n = t.params.length;
  const claimed = await tx.query(
    `INSERT INTO ${t.table} (actor_key, key${scope.tenantId === null ? '' : ', tenant_id'}, request_hash, status_code)
     VALUES ($1, $2${scope.tenantId === null ? '' : ', $3'}, $${n + 1}, 0)
     ON CONFLICT ${t.conflict} DO UPDATE SET request_hash = EXCLUDED.request_hash, status_code = 0, response = NULL, created_at = now()
      WHERE ${t.table}.created_at < now() - make_interval(hours => $${n + 2})
     RETURNING key`,
    [...t.params, hash, IDEMPOTENCY_HOURS],
  );
  if (claimed.length === 0) {
    const [stored] = await tx.query<{ request_hash: Buffer; status_code: number; response: unknown }>(
      `SELECT request_hash, status_code, response FROM ${t.table} WHERE ${where}`,
      t.params,
    );
    if (!stored || !Buffer.from(stored.request_hash).equals(hash)) throw errors.idempotencyMismatch();
    // The stored answer is already in wire form: send it as it was, not through the encoder again.
    reply.code(stored.status_code).header('idempotent-replayed', 'true').serializer(JSON.stringify);
    return stored.status_code === 204 ? undefined : stored.response;
  }
  const result = await work();
  if (ex.isFailure(result)) await tx.query(`DELETE FROM ${t.table} WHERE ${where}`, t.params);
  else {
    await tx.query(`UPDATE ${t.table} SET status_code = $${n + 1}, response = $${n + 2} WHERE ${where}`, [
      ...t.params,
      ex.status,
      result === undefined ? null : JSON.stringify(result),
    ]);
  }
  return result;
}

/**
 * Removes one batch of answers past their keeping time from each table (every business's and the platform's);
 * true while a table may hold more, so the caller goes on in a fresh transaction and no backlog holds a long one.
 */
export async function purgeIdempotencyKeys(tx: PlatformTx, batch = 5_000): Promise<boolean> {
  let more = false;
  for (const table of ['idempotency_keys', 'platform_idempotency_keys']) {
    const gone = await tx.query(
      `DELETE FROM ${table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${table} WHERE created_at < now() - make_interval(hours => $1) LIMIT $2)) RETURNING 1`,
      [IDEMPOTENCY_HOURS, batch],
    );
    if (gone.length === batch) more = true;
  }
  return more;
}
