import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { createHash } from 'node:crypto';
import { z, type ZodType } from 'zod';
import type { Principal, PlatformPrincipal } from './access.ts';
import { writeAudit, writePlatformAudit, type AuditEntry, type RequestMeta } from './audit.ts';
import type { Actor, Database, PlatformTx, TenantTx } from './db/tx.ts';
import { entitlementErrors, hasFeature, type Entitlements, type LimitCounters } from './entitlements.ts';
import { errors, type AppError } from './errors.ts';
import { idempotent } from './idempotency.ts';

/**
 * How a route is reached:
 * - none: no tenant and no credential (health, metrics, docs);
 * - public: no credential, the tenant comes from the host (sign-in, password reset, guest pages);
 * - tenant: a tenant credential and a permission; the tenant comes from the credential;
 * - platform: a platform credential and a platform permission; cross-tenant, audited in the platform log;
 * - platform_public: the platform path without a credential (platform sign-in only).
 */
export type Access = 'none' | 'public' | 'tenant' | 'tenant_cross' | 'platform' | 'platform_public';

const FAIL = Symbol('fail after commit');

/**
 * Answers with an error but keeps what the transaction wrote: a wrong PIN must count towards the lockout and
 * a failed sign-in must reach the audit trail, even though the request fails.
 */
export function failAfterCommit(err: AppError): never {
  return { [FAIL]: err } as never;
}

function isFailure(result: unknown): result is { [FAIL]: AppError } {
  return Boolean(result) && typeof result === 'object' && FAIL in (result as object);
}

function rethrowFailure<T>(result: T): T {
  if (isFailure(result)) throw result[FAIL];
  return result;
}

export interface HostTenant {
  id: string;
  slug: string;
  name: string;
  status: string;
  locale: string;
  currency: string;
  time_zone: string;
  brand_color: string;
  date_format: string;
  time_format: string;
  /** The logo file, when the business has one (served at /api/v1/public/branding/logo). */
  logo_file_id: string | null;
  /** Where a suspended business is told to write (the operator's platform settings), if set. */
  support_email?: string | null;
  /** The roles the business works with (its template's, or the owner's choice); all when not known. */
  roles_in_use?: readonly string[];
  entitlements: Entitlements;
}

export interface RateLimitSpec {
  max: number;
  timeWindow: number;
  /** What a client is counted by: its address, or its address and the email it names. */
  by: 'ip' | 'ip_email';
}

type Infer<T> = T extends ZodType ? z.infer<T> : undefined;

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: FastifyRequest;
  reply: FastifyReply;
  meta: RequestMeta;
}

export interface TenantRouteContext<P, Q, B> extends RouteContext<P, Q, B> {
  tx: TenantTx;
  tenant: HostTenant;
  /** Present on `tenant` routes; null on `public` ones. */
  principal: Principal | null;
  audit(entry: AuditEntry): Promise<void>;
}

/**
 * What a tenant route's `prepare` step gets: the request, and short read-only tenant transactions of its own. It
 * runs before the route's transaction opens, for work that must not hold one open (a call to another server).
 */
export interface PrepareContext<P, Q, B> extends RouteContext<P, Q, B> {
  tenant: HostTenant;
  principal: Principal;
  read<T>(fn: (tx: TenantTx) => Promise<T>): Promise<T>;
}

export interface PlatformRouteContext<P, Q, B> extends RouteContext<P, Q, B> {
  tx: PlatformTx;
  principal: PlatformPrincipal | null;
  audit(entry: AuditEntry & { targetTenantId?: string | null }): Promise<void>;
}

interface BaseSpec<P extends ZodType | undefined, Q extends ZodType | undefined, B extends ZodType | undefined, R extends ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  summary: string;
  tags: string[];
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  /** Success status; 204 sends no body. */
  status?: 200 | 201 | 202 | 204;
  /** A valid body, shown in the API docs and used by the cross-tenant sweep. */
  example?: B extends ZodType ? z.input<B> : never;
  /** The resource type the `:id` in the path names, so the sweep can create one. */
  resource?: string;
  /** Several limits all apply (sign-in: per address and email, and per address alone); the first sets the headers. */
  rateLimit?: RateLimitSpec | readonly RateLimitSpec[];
  /** The body is a file's bytes, not JSON: the handler checks it (a route that declares no body otherwise takes none). */
  bodyIsFile?: true;
  /**
   * The plan feature the route belongs to (usually set for a whole module by `inFeature`). A tenant without it
   * gets 403 `feature_disabled`.
   */
  feature?: string;
  /** The plan limits one call of this route consumes; past one, 403 `limit_exceeded` and nothing is written. */
  consumes?: string | readonly string[];
  /** A public route that still answers for a cancelled business (its export) says why here. */
  whenCancelled?: string;
  /** Unsafe routes write an audit record; the few that do not say why here. */
  noAudit?: string;
  /** Cookie-credential routes that are safe without a CSRF token say why here (none should). */
  noCsrf?: string;
  /**
   * A GET whose every call is recorded in the audit trail (a download of a whole business's data) says why here;
   * it runs in a write transaction so the record commits with the read.
   */
  auditedRead?: string;
  /** A change a read-only support session may still make (only ending itself); say why. */
  supportMayCall?: string;
  /**
   * Routes whose body carries a secret (password, PIN, token) ignore Idempotency-Key, say why here: the key's
   * record would keep a hash of the secret, and replaying a sign-in would answer without its cookie.
   */
  noIdempotency?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the route table holds routes of every schema type
export type RouteSpec<P extends ZodType | undefined = any, Q extends ZodType | undefined = any, B extends ZodType | undefined = any, R extends ZodType = any> =
  | (BaseSpec<P, Q, B, R> & { access: 'none'; handler: (ctx: RouteContext<Infer<P>, Infer<Q>, Infer<B>>) => Promise<z.output<R>> })
  | (BaseSpec<P, Q, B, R> & { access: 'public'; handler: (ctx: TenantRouteContext<Infer<P>, Infer<Q>, Infer<B>>) => Promise<z.output<R>> })
  | (BaseSpec<P, Q, B, R> & {
      access: 'tenant';
      permission: string;
      /** Runs first, outside the route's transaction; its answer reaches the handler as `prepared` (checked there). */
      prepare?: (ctx: PrepareContext<Infer<P>, Infer<Q>, Infer<B>>) => Promise<unknown>;
      handler: (ctx: TenantRouteContext<Infer<P>, Infer<Q>, Infer<B>> & { principal: Principal; prepared: unknown }) => Promise<z.output<R>>;
    })
  | (BaseSpec<P, Q, B, R> & {
      /**
       * Signed in to a tenant like `tenant`, for a read that by its nature spans tenants (the businesses where the
       * person's own email has an account). It runs on the platform path instead of a tenant transaction, only as
       * GET, and says why in `crossTenant`.
       */
      access: 'tenant_cross';
      permission: string;
      method: 'GET';
      crossTenant: string;
      handler: (ctx: RouteContext<Infer<P>, Infer<Q>, Infer<B>> & { tx: PlatformTx; tenant: HostTenant; principal: Principal }) => Promise<z.output<R>>;
    })
  | (BaseSpec<P, Q, B, R> & {
      access: 'platform';
      permission: string;
      handler: (ctx: PlatformRouteContext<Infer<P>, Infer<Q>, Infer<B>> & { principal: PlatformPrincipal }) => Promise<z.output<R>>;
    })
  | (BaseSpec<P, Q, B, R> & { access: 'platform_public'; handler: (ctx: PlatformRouteContext<Infer<P>, Infer<Q>, Infer<B>>) => Promise<z.output<R>> });

/** Declares a route; the generic parameters carry the schemas' types into the handler. */
export function route<P extends ZodType | undefined = undefined, Q extends ZodType | undefined = undefined, B extends ZodType | undefined = undefined, R extends ZodType = ZodType>(
  spec: RouteSpec<P, Q, B, R>,
): RouteSpec {
  return spec as RouteSpec;
}

/** Marks every route of a module as belonging to a plan feature (routes that already name one keep it). */
export function inFeature(feature: string, specs: RouteSpec[]): RouteSpec[] {
  return specs.map((s) => (s.feature ? s : { ...s, feature }));
}

/** What core needs from the modules that know tenants and credentials. */
export interface Resolvers {
  tenantById(id: string): Promise<HostTenant | null>;
  principal(req: FastifyRequest): Promise<Principal | null>;
  platformPrincipal(req: FastifyRequest): Promise<PlatformPrincipal | null>;
}

declare module 'fastify' {
  interface FastifyRequest {
    hostTenant: HostTenant | null;
    /** The address is a business's (its slug, a custom domain, /t/{slug}) and names none: 404 whatever the credential. */
    noBusinessHere: boolean;
    principal: Principal | null;
    platformPrincipal: PlatformPrincipal | null;
  }
  interface FastifyContextConfig {
    brigade?: RouteSpec;
  }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const LIVE_TENANT = new Set(['trial', 'active', 'past_due']);

function requestMeta(req: FastifyRequest): RequestMeta {
  const ua = req.headers['user-agent'];
  return { ip: req.ip ?? null, userAgent: typeof ua === 'string' ? ua : null, requestId: String(req.id) };
}

function actorOf(principal: Principal | null): Actor {
  if (!principal) return { type: 'anonymous', id: null, label: 'anonymous' };
  if (principal.kind === 'kiosk_device') return { type: 'kiosk', id: principal.kioskId, label: principal.label };
  if (principal.kind === 'support_session') return { type: 'platform', id: null, label: principal.label };
  if (principal.kind === 'api_key') return { type: 'api_key', id: principal.apiKeyId ?? null, label: principal.label };
  return { type: 'user', id: principal.userId, label: principal.label };
}

export interface RegisterDeps {
  db: Database;
  resolvers: Resolvers;
  csrfCheck(req: FastifyRequest, reply: FastifyReply): Promise<void>;
  limits: LimitCounters;
  /** Counts each business's API calls and active people per day. */
  meter: { count(tenantId: string, userId: string | null): void; callsToday(tenantId: string): number };
}

/** Registers module routes on Fastify with the request path of ARCHITECTURE.md. */
export function registerRoutes(app: FastifyInstance, specs: RouteSpec[], deps: RegisterDeps): void {
  const { db, resolvers } = deps;
  /** Counts the call, or refuses it when the business has used its API calls for the day. */
  const meteredCall = (tenant: HostTenant, userId: string | null) => {
    const allowed = tenant.entitlements.limits.api_calls_per_day;
    if (allowed !== null && allowed !== undefined) {
      const used = deps.meter.callsToday(tenant.id);
      if (used >= allowed) throw entitlementErrors.dailyCallsUsed(used, allowed);
    }
    deps.meter.count(tenant.id, userId);
  };
  for (const spec of specs) {
    const onRequest = async (req: FastifyRequest, reply: FastifyReply) => {
      if (spec.access === 'none' || spec.access === 'platform_public') return;
      const host = req.hostTenant;
      if (spec.access === 'platform') {
        const p = await resolvers.platformPrincipal(req);
        if (!p) throw errors.unauthenticated();
        req.platformPrincipal = p;
        if (p.viaCookie && !SAFE.has(req.method)) await deps.csrfCheck(req, reply);
        if (!p.has(spec.permission)) throw errors.forbidden(spec.permission);
        return;
      }
      if (spec.access === 'public') {
        if (!host) throw errors.tenantNotFound();
        if (!LIVE_TENANT.has(host.status) && !(spec.whenCancelled && host.status === 'cancelled')) throw errors.tenantSuspended(host.support_email);
        if (spec.feature && !hasFeature(host.entitlements, spec.feature)) throw entitlementErrors.featureDisabled(spec.feature);
        meteredCall(host, null);
        return;
      }
      if (req.noBusinessHere) throw errors.tenantNotFound();
      const principal = await resolvers.principal(req);
      if (!principal) throw errors.unauthenticated();
      // The host only chooses which tenant's pages to show; a credential of another tenant is refused here.
      if (host && host.id !== principal.tenantId) throw errors.wrongTenant();
      const tenant = host ?? (await resolvers.tenantById(principal.tenantId));
      if (!tenant) throw errors.unauthenticated();
      if (!LIVE_TENANT.has(tenant.status)) throw errors.tenantSuspended(tenant.support_email);
      req.hostTenant = tenant;
      req.principal = principal;
      if (principal.viaCookie && !SAFE.has(req.method) && !spec.noCsrf) await deps.csrfCheck(req, reply);
      if (!principal.has(spec.permission)) throw errors.forbidden(spec.permission);
      // Whatever a permission says, support never changes a business.
      if (principal.kind === 'support_session' && !SAFE.has(req.method) && !spec.supportMayCall) throw errors.forbidden('support sessions are read-only');
      if (spec.feature && !hasFeature(tenant.entitlements, spec.feature)) throw entitlementErrors.featureDisabled(spec.feature);
      meteredCall(tenant, principal.userId);
    };

    const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      const meta = requestMeta(req);
      const base = { params: req.params, query: req.query, body: req.body, req, reply, meta };
      const status = spec.status ?? 200;
      reply.code(status);
      const finish = (result: unknown) => (status === 204 ? reply.send() : result);

      if (spec.access === 'none') return finish(await spec.handler(base as never));

      if (spec.access === 'platform' || spec.access === 'platform_public') {
        const principal = req.platformPrincipal ?? null;
        const actor: Actor = principal ? { type: 'platform', id: principal.userId, label: principal.label } : { type: 'anonymous', id: null, label: 'anonymous' };
        return finish(
          rethrowFailure(await db.withPlatform(actor, async (tx) => {
            let audits = 0;
            // An operator's retries are theirs; sign-up's, by body alone (its answer names only what was sent).
            const scope = { tenantId: null, actor: () => (principal ? `platform:${principal.userId}` : 'anonymous') };
            return idempotent(tx, scope, !SAFE.has(req.method) && !spec.noIdempotency, { req, reply, status, isFailure }, async () => {
              const result = await spec.handler({
                ...base,
                tx,
                principal,
                audit: async (entry: AuditEntry & { targetTenantId?: string | null }) => {
                  audits++;
                  await writePlatformAudit(tx, meta, entry);
                },
              } as never);
              if (!SAFE.has(req.method) && audits === 0 && !spec.noAudit) throw new Error(`${spec.method} ${spec.url} wrote no audit record`);
              return result;
            });
          })),
        );
      }

      const tenant = req.hostTenant!;
      const principal = req.principal ?? null;
      if (spec.access === 'tenant_cross') {
        return finish(await db.withPlatform(actorOf(principal), (tx) => spec.handler({ ...base, tx, tenant, principal: principal! } as never)));
      }
      const write = !SAFE.has(req.method) || spec.auditedRead !== undefined;
      const prepared =
        spec.access === 'tenant' && spec.prepare
          ? await spec.prepare({ ...base, tenant, principal: principal!, read: (fn: (tx: TenantTx) => Promise<unknown>) => db.withTenant(tenant.id, actorOf(principal), 'read', fn) } as never)
          : undefined;
      return finish(
        rethrowFailure(await db.withTenant(tenant.id, actorOf(principal), write ? 'write' : 'read', async (tx) => {
          let audits = 0;
          const ctx = {
            ...base,
            tx,
            tenant,
            principal,
            prepared,
            audit: async (entry: AuditEntry) => {
              audits++;
              await writeAudit(tx, meta, entry);
            },
          };
          return idempotent(tx, { tenantId: tx.tenantId, actor: () => actorKey(principal, req) }, write && !spec.noIdempotency, { req, reply, status, isFailure }, async () => {
            for (const limit of typeof spec.consumes === 'string' ? [spec.consumes] : (spec.consumes ?? [])) {
              await deps.limits.check(tx, limit, tenant.entitlements.limits[limit], { body: req.body, params: req.params });
            }
            const result = await spec.handler(ctx as never);
            if (write && audits === 0 && !spec.noAudit) throw new Error(`${spec.method} ${spec.url} wrote no audit record`);
            return result;
          });
        })),
      );
    };

    const schema: Record<string, unknown> = {
      summary: spec.summary,
      tags: spec.tags,
      description:
        ('permission' in spec ? `Requires permission \`${spec.permission}\`.` : `Access: ${spec.access}.`) +
        (spec.method === 'POST' && spec.noIdempotency ? ` Ignores Idempotency-Key: ${spec.noIdempotency.replace(/\.$/, '')}.` : ''),
      response: { [spec.status ?? 200]: spec.status === 204 ? z.null().describe('No content') : spec.response },
    };
    if (spec.params) schema.params = spec.params;
    // Inputs are strict everywhere: a route that declares no query or body still refuses one it was sent (a
    // `tenant_id`, a `role`), instead of silently ignoring it.
    schema.querystring = spec.query ?? NO_QUERY;
    if (spec.body) schema.body = spec.body;
    else if (spec.method !== 'GET' && !spec.bodyIsFile) schema.body = NO_BODY;

    const limits: readonly RateLimitSpec[] = spec.rateLimit === undefined ? [] : 'by' in spec.rateLimit ? [spec.rateLimit] : spec.rateLimit;
    const [first, ...more] = limits;
    const options: RouteOptions = {
      method: spec.method,
      url: spec.url,
      schema,
      config: {
        brigade: spec,
        ...(first ? { rateLimit: rateLimitOptions(first) } : {}),
      },
      // The plugin runs one limit per request; further ones are its limiters, called here, on the same store.
      ...(more.length ? { preHandler: more.map((rl) => extraRateLimit(app, rl)) } : {}),
      onRequest,
      handler,
    };
    app.withTypeProvider<ZodTypeProvider>().route(options);
  }
}

/** What a route without query parameters accepts: none. */
const NO_QUERY = z.object({}).strict();
/** What an unsafe route without a body accepts: nothing (Fastify reads that as null), or an empty JSON object. */
const NO_BODY = z.object({}).strict().nullish();

function rateLimitOptions(rl: RateLimitSpec) {
  return {
    max: rl.max,
    timeWindow: rl.timeWindow,
    hook: 'preHandler' as const,
    // A route's own limit is never lifted: the global limiter's allow list (requests a plan does not count, such as
    // a business whose plan has no request limit) would otherwise switch off the PIN or password limit with it.
    allowList: () => false,
    keyGenerator: (req: FastifyRequest) => {
      const tenant = req.hostTenant?.id ?? '-';
      const path = req.routeOptions.url ?? req.url;
      if (rl.by === 'ip_email') {
        const email = (req.body as { email?: unknown } | undefined)?.email;
        return `${path}|${tenant}|${req.ip}|${typeof email === 'string' ? email.toLowerCase() : ''}`;
      }
      return `${path}|${tenant}|${req.ip}`;
    },
  };
}

function extraRateLimit(app: FastifyInstance, rl: RateLimitSpec) {
  const check = app.createRateLimit(rateLimitOptions(rl));
  return async (req: FastifyRequest) => {
    const r = await check(req);
    if (!r.isAllowed && r.isExceeded) {
      throw errors.rateLimited(r.ttlInSeconds);
    }
  };
}

/**
 * Whose Idempotency-Keys a request's are. Each credential has its own: two integrations of one business may well pick
 * the same keys. Without one, the route's parameters stand in: a guest's routes name the guest's own entry token,
 * so one guest's key never collides with another's.
 */
function actorKey(principal: Principal | null, req: FastifyRequest): string {
  if (principal) return `${principal.kind}:${principal.userId ?? principal.kioskId ?? principal.apiKeyId}`;
  return `anonymous:${createHash('sha256').update(JSON.stringify(req.params ?? {})).digest('base64url')}`;
}


