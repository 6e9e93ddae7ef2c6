import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { scopeChecks, type Principal } from '../core/access.ts';
import type { Database, TenantTx } from '../core/db/tx.ts';
import { errors } from '../core/errors.ts';
import { route, type RouteSpec } from '../core/http.ts';
import { decodeCursor, idParams, instant, page, pageQuery, text, toPage, uuid } from '../core/schemas.ts';
import { issueToken, parseToken } from '../core/tokens.ts';
import { assertLocation, assertRoleInUse, type SessionRowCache } from './service.ts';
import { LOCATION_SCOPED, PERSON_ONLY, TENANT_ROLES, scopeOf, type Permission, type TenantRole } from './permissions.ts';

/**
 * API keys: an external system (a POS, payroll, a booking site) calling the API for one business. A key acts as one
 * tenant role, at one location for the location-scoped roles, minus what only a person may do (PERSON_ONLY). Its
 * secret is shown once and stored as a SHA-256 hash. `bk_` is the kiosks' prefix, so keys have their own.
 */
export const API_KEY_PREFIX = 'bak_';

/** How often at most a key's last_used_at is written: a busy integration must not cost a write per request. */
const TOUCH_SECONDS = 60;

const AUTH_ACTOR = { type: 'system' as const, id: null, label: 'auth' };

export const apiKey = z.object({
  id: uuid,
  name: z.string(),
  role: z.enum(TENANT_ROLES),
  location_id: uuid.nullable(),
  created_by: uuid,
  created_at: instant,
  last_used_at: instant.nullable(),
  revoked_at: instant.nullable(),
});
export const createApiKeyBody = z.strictObject({ name: text(80), role: z.enum(TENANT_ROLES), location_id: uuid.nullable().optional() });
export const createdApiKey = z.object({ api_key: apiKey, token: z.string() });

type ApiKeyRow = z.output<typeof apiKey>;
const COLUMNS = 'id, name, role, location_id, created_by, created_at, last_used_at, revoked_at';

// ------------------------------------------------------------------ resolving a key

interface ResolvedKey {
  id: string;
  name: string;
  role: TenantRole;
  location_id: string | null;
}

/** Pure, so the matrix test drives it directly: the key's role at its location, without a person's powers. */
export function apiKeyPrincipal(tenantId: string, key: ResolvedKey): Principal {
  const assignment = [{ role: key.role, location_id: key.location_id }];
  const scope = (p: string): 'all' | string[] => (PERSON_ONLY.has(p as Permission) ? [] : scopeOf(assignment, p, false));
  return {
    kind: 'api_key',
    tenantId,
    userId: null,
    sessionId: null,
    kioskId: null,
    apiKeyId: key.id,
    label: `API key "${key.name}"`,
    viaCookie: false,
    ...scopeChecks(scope),
  };
}

/** Touches in flight, so that a burst of one key's requests on this instance shares one write. */
const touching = new Map<string, Promise<void>>();

/**
 * `Authorization: Bearer bak_…`, read on every request like a kiosk's device token (nothing cached), so a revoked key
 * is refused by every instance from the moment the revocation commits.
 */
export async function principalFromApiKey(db: Database, token: string | undefined): Promise<Principal | null> {
  const parsed = parseToken(API_KEY_PREFIX, token);
  if (!parsed) return null;
  const [k] = await db.withTenant(parsed.tenantId, AUTH_ACTOR, 'read', (tx) =>
    tx.query<ResolvedKey & { stale: boolean }>(
      `SELECT id, name, role, location_id, (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $3)) AS stale
         FROM api_keys WHERE tenant_id = $1 AND token_hash = $2 AND revoked_at IS NULL`,
      [parsed.tenantId, parsed.hash, TOUCH_SECONDS],
    ),
  );
  if (!k) return null;
  if (k.stale) await touch(db, parsed.tenantId, k.id);
  return apiKeyPrincipal(parsed.tenantId, k);
}

/** Records that the key was used, at most once a minute: the condition is re-checked under the row's lock. */
function touch(db: Database, tenantId: string, id: string): Promise<void> {
  const key = `${tenantId}:${id}`;
  let pending = touching.get(key);
  if (!pending) {
    pending = db
      .withTenant(tenantId, AUTH_ACTOR, 'write', async (tx) => {
        await tx.query(
          `UPDATE api_keys SET last_used_at = now()
            WHERE tenant_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $3))`,
          [tenantId, id, TOUCH_SECONDS],
        );
      })
      .finally(() => touching.delete(key));
    touching.set(key, pending);
  }
  return pending;
}

// ------------------------------------------------------------------ managing keys

function invalid(field: string, code: string, message: string) {
  return errors.validation([{ field, code, message }], `The ${field.replace('body.', '')} is not valid: ${message}.`);
}

export async function createApiKey(
  tx: TenantTx,
  createdBy: string,
  tenant: { roles_in_use?: readonly string[] | undefined },
  input: { name: string; role: TenantRole; location_id?: string | null | undefined },
) {
  const { role } = input;
  if (role === 'owner') {
    throw invalid('body.role', 'owner_needs_a_person', 'a key cannot act as the owner: billing, deleting the business and letting support in need a person');
  }
  assertRoleInUse(tenant, role);
  const locationId = input.location_id ?? null;
  // As for a person's role assignment: these roles hold at one location, the others across the business.
  if (LOCATION_SCOPED.has(role) && !locationId) {
    throw invalid('body.location_id', 'required', `a ${role.replace(/_/g, ' ')} key works at a location: give location_id`);
  }
  if (!LOCATION_SCOPED.has(role) && locationId) {
    throw invalid('body.location_id', 'not_applicable', `a ${role.replace(/_/g, ' ')} key acts across the business: leave location_id out`);
  }
  if (locationId) await assertLocation(tx, locationId);
  const { token, hash } = issueToken(API_KEY_PREFIX, tx.tenantId);
  const [row] = await tx.query<ApiKeyRow>(
    `INSERT INTO api_keys (tenant_id, id, name, token_hash, role, location_id, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [tx.tenantId, uuidv7(), input.name, hash, role, locationId, createdBy],
  );
  return { api_key: row!, token };
}

/** Newest first, revoked ones too (with when): the list is also the record of which systems had access. */
export async function listApiKeys(tx: TenantTx, opts: { limit: number; cursor?: string | undefined }) {
  const after = decodeCursor(opts.cursor, ['uuid']);
  const rows = await tx.query<ApiKeyRow>(
    `SELECT ${COLUMNS} FROM api_keys WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id < $2::uuid) ORDER BY id DESC LIMIT $3`,
    [tx.tenantId, after ? after[0] : null, opts.limit + 1],
  );
  return toPage(rows, opts.limit, (r) => [r.id]);
}

/** Revoking twice keeps the first moment; the key is refused from the commit on, everywhere (nothing caches it). */
export async function revokeApiKey(tx: TenantTx, id: string) {
  const [row] = await tx.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
    [tx.tenantId, id],
  );
  if (!row) throw errors.notFound('API key');
  return row;
}

// ------------------------------------------------------------------ routes

const tags = ['api keys'];

export function apiKeyRoutes(deps: { sessions: Pick<SessionRowCache, 'revoked'> }): RouteSpec[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/api-keys',
      summary: 'The business’s API keys, newest first (never their tokens)',
      tags,
      access: 'tenant',
      permission: 'identity.api_key.manage',
      query: pageQuery,
      response: page(apiKey),
      handler: ({ tx, query }) => listApiKeys(tx, query),
    }),
    route({
      method: 'POST',
      url: '/api/v1/api-keys',
      summary: 'Create an API key acting as a role (at a location, for location-scoped roles); its token is shown once',
      tags,
      access: 'tenant',
      permission: 'identity.api_key.manage',
      body: createApiKeyBody,
      example: { name: 'POS integration', role: 'auditor' },
      status: 201,
      response: createdApiKey,
      noIdempotency: 'the answer carries the key’s secret, which a stored replay would keep',
      handler: async ({ tx, principal, tenant, body, audit }) => {
        // Only a person creates a key (PERSON_ONLY keeps keys out), and the key records who.
        if (!principal.userId) throw errors.forbidden('identity.api_key.manage');
        const r = await createApiKey(tx, principal.userId, tenant, body);
        await audit({
          action: 'identity.api_key_created',
          resourceType: 'api_key',
          resourceId: r.api_key.id,
          locationId: r.api_key.location_id,
          risk: 'high',
          changes: { name: r.api_key.name, role: r.api_key.role, location_id: r.api_key.location_id },
        });
        return r;
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/api-keys/:id',
      summary: 'Revoke an API key: it stops working at once',
      tags,
      access: 'tenant',
      permission: 'identity.api_key.manage',
      resource: 'api_key',
      params: idParams,
      status: 204,
      response: z.null(),
      handler: async ({ tx, params, audit }) => {
        const k = await revokeApiKey(tx, params.id);
        // Requests look the key up afresh; its open sockets (a board followed by an integration) hear this and close.
        await deps.sessions.revoked(tx, { api_key: k.id });
        await audit({ action: 'identity.api_key_revoked', resourceType: 'api_key', resourceId: k.id, locationId: k.location_id, risk: 'high', changes: { name: k.name } });
        return null;
      },
    }),
  ];
}
