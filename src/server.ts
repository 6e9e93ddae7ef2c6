import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import fastifyStatic from '@fastify/static';
import helmet from 'helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Redis } from 'ioredis';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError, jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import client from 'prom-client';
import { z } from 'zod';
import { auditRoutes } from './core/audit-routes.ts';
import { notificationRoutes } from './core/notifications.ts';
import { cashRoutes } from './cash/routes.ts';
import { Realtime } from './core/realtime.ts';
import { textProvidersFromConfig } from './integrations/messaging.ts';
import { GuestMessages } from './waitlist/notify.ts';
import { waitlistRoutes } from './waitlist/routes.ts';
import type { Config } from './core/config.ts';
import { pgDriver, pgliteDriver, type Driver } from './core/db/driver.ts';
import { migrate, pendingMigrations, ROLES } from './core/db/migrate.ts';
import { pgRateLimitStore } from './core/db/rate-limit-store.ts';
import { createDatabase, type Database } from './core/db/tx.ts';
import { AppError, errors, pgErrorCode, problem, type FieldError } from './core/errors.ts';
import { inFeature, registerRoutes, route, type RouteSpec } from './core/http.ts';
import { LimitCounters } from './core/entitlements.ts';
import { defineOrgLimits } from './org/limits.ts';
import { defineIdentityLimits } from './identity/limits.ts';
import { defineWaitlistLimits } from './waitlist/limits.ts';
import { registerLifecycleJobs } from './platform/lifecycle.ts';
import { Jobs } from './core/jobs.ts';
import { bearer, SessionCookies } from './identity/cookies.ts';
import { Csrf } from './identity/csrf.ts';
import { SessionCache } from './identity/session-cache.ts';
import { identityRoutes } from './identity/routes.ts';
import * as identity from './identity/service.ts';
import { Mailer } from './integrations/mail.ts';
import { routes as orgRoutes } from './org/routes.ts';
import { platformRoutes, signUpRoutes } from './platform/routes.ts';
import { StarterData } from './core/starter.ts';
import { purgeIdempotencyKeys } from './core/idempotency.ts';
import { LOGO_MAX_BYTES, storageUsed } from './platform/settings.ts';
import { UsageMeter } from './core/meter.ts';
import { principalFromSupport, SUPPORT_TOKEN_PREFIX } from './identity/support.ts';
import { API_KEY_PREFIX, principalFromApiKey } from './identity/api-keys.ts';
import { contributeWaitlistStarter } from './waitlist/starter.ts';
import { contributeCashStarter } from './cash/starter.ts';
import { TenantDirectory } from './platform/tenants.ts';

export interface Brigade {
  config: Config;
  sessions: identity.SessionRowCache;
  db: Database;
  jobs: Jobs;
  mailer: Mailer;
  tenants: TenantDirectory;
  realtime: Realtime;
  meter: UsageMeter;
  routes: RouteSpec[];
}

declare module 'fastify' {
  interface FastifyInstance {
    brigade: Brigade;
  }
}

/** Opens the configured database, migrates it, and hands back a driver that queries as the runtime role. */
export async function openDatabase(config: Config): Promise<Driver> {
  if (config.database.kind === 'pglite') {
    const driver = await pgliteDriver(config.database.dir === ':memory:' ? undefined : config.database.dir);
    const conn = await driver.acquire();
    try {
      await migrate(conn);
      // PGlite logs in as a superuser; from here on this session queries as the runtime role, under RLS.
      await conn.multi(`SET ROLE ${ROLES.app}`);
    } finally {
      conn.release();
    }
    return driver;
  }
  const migrator = pgDriver(config.database.migrationUrl, { max: 1 });
  const conn = await migrator.acquire();
  try {
    await migrate(conn);
  } finally {
    conn.release();
    await migrator.close();
  }
  const stepDown = (await canBypassRls(config.database.url)) ? ROLES.app : undefined;
  // The platform path has a login of its own (see Driver.acquirePlatform). A development login that is a superuser
  // serves both paths, stepping down to each role.
  const platformUrl = config.database.platformUrl ?? (stepDown ? config.database.url : undefined);
  if (!platformUrl) {
    throw new Error(`PLATFORM_DATABASE_URL is not set: the platform path logs in as ${ROLES.platform}, which the runtime role ${ROLES.app} may not become (see README).`);
  }
  const platformRole = (await canBypassRls(platformUrl, true)) ? ROLES.platform : undefined;
  return pgDriver(config.database.url, {
    max: config.DB_POOL_SIZE,
    runtimeRole: stepDown,
    prepare: config.DB_PREPARED_STATEMENTS,
    platform: { url: platformUrl, max: config.DB_PLATFORM_POOL_SIZE, role: platformRole },
  });
}

/** Whether a URL logs in as a superuser (or, unless only superusers count, a role that bypasses row-level security). */
async function canBypassRls(url: string, superuserOnly = false): Promise<boolean> {
  const probe = pgDriver(url, { max: 1 });
  try {
    const c = await probe.acquire();
    const [me] = (await c.query<{ rolsuper: boolean; rolbypassrls: boolean }>('SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user')).rows;
    c.release();
    return Boolean(me?.rolsuper || (!superuserOnly && me?.rolbypassrls));
  } finally {
    await probe.close();
  }
}

/**
 * Fails closed: the server refuses to start if the role it queries as could see across tenants, or could become a
 * role that does, or if the platform path is not the platform role.
 */
async function assertRuntimeRole(driver: Driver): Promise<void> {
  const conn = await driver.acquire();
  try {
    const { rows } = await conn.query<{ u: string; rolsuper: boolean; rolbypassrls: boolean; owns: number; inherits_platform: boolean; may_become: string | null; session_super: boolean }>(
      `SELECT current_user AS u, r.rolsuper, r.rolbypassrls,
              (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user) AS owns,
              has_table_privilege(current_user, 'platform_users', 'SELECT') AS inherits_platform,
              (SELECT string_agg(rolname, ', ') FROM pg_roles o
                WHERE o.rolname <> session_user AND (o.rolsuper OR o.rolbypassrls OR o.rolname = '${ROLES.owner}')
                  AND pg_has_role(session_user, o.oid, 'MEMBER')) AS may_become,
              (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) AS session_super
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    const me = rows[0];
    if (!me || me.rolsuper || me.rolbypassrls || me.owns > 0 || me.inherits_platform) {
      throw new Error(
        `The runtime database role ${me?.u} must not be a superuser, bypass RLS, own tables, or inherit ${ROLES.platform}'s privileges (ALTER ROLE ${me?.u} NOINHERIT).`,
      );
    }
    // A login that is a superuser (PGlite, or a development DATABASE_URL) may become anything: that is a choice made
    // for one machine, not for a deployment, and the README says so. Any other login must be able to become nothing
    // that sees across tenants.
    if (!me.session_super && me.may_become) {
      throw new Error(`The runtime database login ${me.u} is a member of ${me.may_become}, so SET ROLE would take it past row-level security (REVOKE ${me.may_become} FROM ${me.u}).`);
    }
  } finally {
    conn.release();
  }
  const platform = await driver.acquirePlatform();
  try {
    await platform.multi(`BEGIN; SET LOCAL ROLE ${ROLES.platform}; ROLLBACK`);
  } catch (err) {
    throw new Error(`The platform path cannot act as ${ROLES.platform}: ${(err as Error).message}`, { cause: err });
  } finally {
    platform.release();
  }
}

export async function buildServer(
  config: Config,
  opts: { driver?: Driver; startJobs?: boolean; /** Where log lines go instead of stdout (the logging test reads them). */ logStream?: { write(line: string): void } } = {},
): Promise<FastifyInstance> {
  const driver = opts.driver ?? (await openDatabase(config));
  await assertRuntimeRole(driver);
  const db = createDatabase(driver);

  const app = Fastify({
    logger:
      config.LOG_LEVEL === 'silent'
        ? false
        : {
            level: config.LOG_LEVEL,
            redact: ['req.headers.cookie', 'req.headers.authorization', 'req.headers["x-csrf-token"]'],
            ...(opts.logStream ? { stream: opts.logStream } : {}),
          },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      // Node's randomUUID draws from a cached entropy pool; a request id needs to be unique, not time-ordered.
      return typeof given === 'string' && /^[A-Za-z0-9._-]{8,100}$/.test(given) ? given : randomUUID();
    },
    trustProxy: config.TRUST_PROXY,
    bodyLimit: 256 * 1024,
    // `/t/{slug}/…` shows that tenant's pages on a host that names none (a shared domain, plain localhost).
    rewriteUrl: (req) => {
      const m = /^\/t\/([a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?)(\/.*|$)/.exec(req.url ?? '/');
      if (!m) return req.url ?? '/';
      (req as { brigadeSlug?: string }).brigadeSlug = m[1];
      return m[2] || '/';
    },
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.setValidatorCompiler(validatorCompiler);
  // Uploads (a logo) arrive as the image itself. The route checks what the bytes are and its own, smaller limit;
  // this bound only stops a body far past any upload from being read at all.
  app.addContentTypeParser(/^image\//, { parseAs: 'buffer', bodyLimit: LOGO_MAX_BYTES * 4 }, (_req, body, done) => done(null, body));
  app.setSerializerCompiler(serializerCompiler);

  const secure = config.PUBLIC_URL?.startsWith('https://') ?? config.NODE_ENV === 'production';
  const cookies = new SessionCookies(secure);
  const log = app.log;
  const jobs = new Jobs(db, log);
  jobs.every('idempotency-purge', 3_600, (tx) => purgeIdempotencyKeys(tx));
  const mailer = new Mailer(jobs, log, config.SMTP_URL, config.MAIL_FROM);
  const realtime = new Realtime(db, log);
  const guestMessages = new GuestMessages(jobs, { mailer, ...textProvidersFromConfig(config) }, log);
  const FIFTEEN_MINUTES_MS = 15 * 60 * 1000;
  const tenants = new TenantDirectory(db, config.BASE_DOMAIN);
  const unlistenTenants = await tenants.listen(driver);
  // What each plan limit counts, defined by the module that owns the counted rows.
  const limits = new LimitCounters();
  defineOrgLimits(limits);
  defineIdentityLimits(limits);
  defineWaitlistLimits(limits);
  limits.define('storage_bytes', { count: () => Promise.resolve(null), usage: (tx) => storageUsed(tx) });
  // A new business's starter data, each module giving its own part.
  const meter = new UsageMeter(db, log);
  const starter = new StarterData();
  contributeWaitlistStarter(starter);
  contributeCashStarter(starter);
  const publicUrl = new URL(config.PUBLIC_URL ?? `http://localhost:${config.PORT}`);
  const tenantUrl = (slug: string) => `${publicUrl.protocol}//${slug}.${publicUrl.host}`;
  const sessions: identity.SessionRowCache = new SessionCache(config.SESSION_CACHE_SECONDS * 1000);
  await sessions.listen(driver);
  const identityDeps = {
    mailer,
    sessions,
    tenantUrl,
    session: { idleSeconds: config.SESSION_IDLE_MINUTES * 60, absoluteSeconds: config.SESSION_ABSOLUTE_HOURS * 3600 },
  };

  // ---------------------------------------------------------------- plugins
  // First of all hooks, so that answers given by plugins (a CORS preflight, a rate limit) carry the request id too.
  // Security headers from helmet, computed once: they are the same for every answer, and @fastify/helmet rebuilt
  // them per request (6.5 % of the request path's CPU in the benchmark's profile). A callback hook, not an async
  // one: every request passes it, and it has nothing to wait for.
  const securityHeaders = await helmetHeaders(secure);
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    reply.headers(securityHeaders);
    done();
  });
  const origins = config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  await app.register(cors, {
    origin: origins.length ? origins : false,
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: ['x-request-id', 'retry-after', 'idempotent-replayed', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'],
  });
  await app.register(cookie);
  const csrf = new Csrf(cookies, config.CSRF_SECRET ?? randomBytes(32).toString('hex'));
  app.decorateReply('generateCsrf', function (this: FastifyReply, opts: { userInfo: string }) {
    return csrf.generate(this.request, this, opts.userInfo);
  });
  const redis = config.REDIS_URL ? new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 }) : null;
  registerLifecycleJobs({ jobs, mailer, tenantUrl, forgetTenants: () => tenants.forget() });
  /** The requests per 15 minutes a request counts against, or null when it is not counted. */
  const planLimitOf = (req: FastifyRequest): number | null => {
    const access = req.routeOptions.config.brigade?.access;
    const tenant = req.hostTenant;
    if (!tenant) return null;
    if (access === 'public') return config.PUBLIC_REQUESTS_PER_IP;
    if (access !== 'tenant' && access !== 'tenant_cross') return null;
    return tenant.entitlements.limits.requests_per_15_minutes ?? null;
  };
  await app.register(rateLimit, {
    // Every route without a limit of its own is counted against its tenant's plan (signed-in requests: per
    // business, seed 003's per-15-minute numbers) or, when anonymous, per address and business. Routes with
    // their own, stricter limit (sign-in, guest joins) use that one instead.
    global: true,
    hook: 'preHandler',
    timeWindow: FIFTEEN_MINUTES_MS,
    enableDraftSpec: true,
    allowList: (req) => planLimitOf(req) === null,
    max: (req) => planLimitOf(req) ?? 0,
    keyGenerator: (req) => {
      const access = req.routeOptions.config.brigade?.access;
      const tenant = req.hostTenant?.id ?? '-';
      return access === 'public' ? `ip:${tenant}:${req.ip}` : `tenant:${tenant}`;
    },
    ...(redis ? { redis, nameSpace: 'brigade-rl:' } : { store: pgRateLimitStore(driver) as never }),
    errorResponseBuilder: (_req, ctx) => errors.rateLimited(Math.ceil(ctx.ttl / 1000)),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Brigade API', version: '1', description: 'Restaurant operations: one tenant, one set of people, one audit trail.' },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  // ---------------------------------------------------------------- request path
  const metrics = new client.Registry();
  client.collectDefaultMetrics({ register: metrics });
  const httpDuration = new client.Histogram({
    name: 'brigade_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [metrics],
  });

  app.decorateRequest('hostTenant', null);
  app.decorateRequest('noBusinessHere', false);
  app.decorateRequest('principal', null);
  app.decorateRequest('platformPrincipal', null);
  app.addHook('onRequest', async (req) => {
    // The host (or the /t/{slug} prefix rewriteUrl took off) chooses the tenant; credentials are checked per route.
    const pathSlug = (req.raw as { brigadeSlug?: string }).brigadeSlug ?? null;
    if (req.url.startsWith('/api/v1/')) {
      req.hostTenant = await tenants.byHost(req.hostname, pathSlug);
      req.noBusinessHere = !req.hostTenant && tenants.namesBusiness(req.hostname, pathSlug);
    }
  });
  app.addHook('onResponse', (req, reply, done) => {
    httpDuration.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });

  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    const send = (status: number, code: string, detail: string, fieldErrors?: FieldError[], extra: Record<string, unknown> = {}) =>
      reply
        .code(status)
        .type('application/problem+json')
        .send(problem(status, code, detail, { ...(fieldErrors?.length ? { errors: fieldErrors } : {}), ...extra, request_id: String(req.id) }));

    if (err instanceof AppError) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      return send(err.status, err.code, err.message, err.errors, err.extra);
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const ctx = err.validationContext ?? 'body';
      const fieldErrors = err.validation.map((v) => {
        const path = v.instancePath.split('/').filter(Boolean);
        // An unknown field is named itself, so `tenant_id` in a body reads `body.tenant_id`.
        const keys = (v.params as { keys?: string[] }).keys;
        if (v.keyword === 'unrecognized_keys' && keys?.length) path.push(keys.join(','));
        return { field: [ctx, ...path].join('.'), code: v.keyword, message: v.message ?? 'is not valid' };
      });
      return send(400, 'validation_failed', `The request is not valid: ${fieldErrors.map((f) => `${f.field} ${f.message}`).join('; ')}.`, fieldErrors);
    }
    const fe = err as FastifyError;
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(413, 'body_too_large', 'The request body is too large.', [{ field: 'body', code: 'too_large', message: 'body is too large' }]);
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return send(415, 'unsupported_media_type', 'Send JSON (application/json).', [{ field: 'body', code: 'media_type', message: 'must be application/json' }]);
    if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
      return send(400, 'malformed_json', 'The body is not valid JSON.', [{ field: 'body', code: 'malformed_json', message: 'is not valid JSON' }]);
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return send(fe.statusCode, (fe.code ?? 'bad_request').toLowerCase(), fe.message);
    }
    const pgCode = pgErrorCode(err);
    if (pgCode === '22P02' || pgCode === '22007' || pgCode === '22008' || pgCode === '22003') {
      return send(400, 'invalid_value', 'A value in the request is not valid.');
    }
    if (isResponseSerializationError(err)) req.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
    else req.log.error({ err }, 'unhandled error');
    return send(500, 'internal_error', config.NODE_ENV === 'development' ? `Internal error: ${err.message}` : 'Something went wrong on our side. The request id identifies it.');
  });
  // The web app: its hashed assets as files, and index.html for every other page address, so a reload of
  // /locations/… works. The same page serves every tenant; the tenant comes from the address the API is called on.
  const web = await webApp();
  if (web) {
    await app.register(fastifyStatic, {
      root: web.root,
      prefix: '/assets/',
      wildcard: false,
      index: false,
      decorateReply: false,
      serveDotFiles: false,
      // File names carry a hash of their content, so a browser may keep them for good.
      maxAge: '365d',
      immutable: true,
    });
  }
  app.setNotFoundHandler((req, reply) => {
    if (web && (req.method === 'GET' || req.method === 'HEAD') && !req.url.startsWith('/api/') && !/\.[a-z0-9]+$/i.test(req.url.split('?')[0]!)) {
      return reply.code(200).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(web.index);
    }
    reply.code(404).type('application/problem+json').send(problem(404, 'route_not_found', `No route ${req.method} ${req.url}.`, { request_id: String(req.id) }));
  });

  // ---------------------------------------------------------------- routes
  const resolvePrincipal = async (req: FastifyRequest) => {
    const b = bearer(req);
    if (b?.startsWith(identity.TOKEN_PREFIX.kiosk)) return identity.principalFromKiosk(db, b);
    if (b?.startsWith(SUPPORT_TOKEN_PREFIX)) return principalFromSupport(db, b);
    if (b?.startsWith(API_KEY_PREFIX)) return principalFromApiKey(db, b);
    if (b) return identity.principalFromSession(db, sessions, b, false);
    // An operator's support session in this browser speaks for it while it lasts; once it has ended (withdrawn,
    // expired), its leftover cookie must not stand in the way of a person who signs in here with a password.
    const supportCookie = cookies.read(req, cookies.support);
    if (supportCookie) {
      const support = await principalFromSupport(db, supportCookie, true);
      if (support) return support;
    }
    return identity.principalFromSession(db, sessions, cookies.read(req, cookies.session), true);
  };
  const specs: RouteSpec[] = [
    ...healthRoutes(driver, metrics),
    ...identityRoutes({ ...identityDeps, cookies, jobs }),
    ...orgRoutes,
    ...auditRoutes,
    ...notificationRoutes,
    ...inFeature('cash', cashRoutes({ jobs, mailer, tenantUrl })),
    ...inFeature('waitlist', waitlistRoutes({ jobs, realtime, messages: guestMessages, tenantUrl })),
    ...platformRoutes({
      limits,
      sessions,
      jobs,
      mailer,
      tenantUrl,
      forgetTenants: () => tenants.forget(),
      domains: { verifyUrlTemplate: config.DOMAIN_VERIFY_URL, baseDomain: config.BASE_DOMAIN },
    }),
    ...signUpRoutes({ jobs, mailer, starter, publicUrl: publicUrl.origin, tenantUrl }),
  ];
  registerRoutes(app, specs, {
    db,
    resolvers: {
      tenantById: (id) => tenants.byId(id),
      principal: (req) => resolvePrincipal(req),
      platformPrincipal: (req) => identity.platformPrincipal(db, cookies.read(req, cookies.platform), true),
    },
    csrfCheck: async (req) => csrf.check(req, req.principal?.sessionId ?? req.platformPrincipal?.sessionId ?? ''),
    limits,
    meter,
  });
  await realtime.register(app, { hostTenant: (req) => req.hostTenant, principal: resolvePrincipal });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.decorate('brigade', { config, db, jobs, mailer, tenants, sessions, realtime, meter, routes: specs });
  app.addHook('onReady', async () => {
    await realtime.start();
    meter.start();
    if (opts.startJobs !== false) await jobs.start();
  });
  app.addHook('onClose', async () => {
    await meter.stop();
    await jobs.stop();
    await realtime.stop();
    await sessions.close();
    await unlistenTenants();
    mailer.close();
    redis?.disconnect();
    if (!opts.driver) await driver.close();
  });
  return app;
}

/** The built web app (web/dist), or null when it was not built: the API works without it. */
async function webApp(): Promise<{ root: string; index: string } | null> {
  const dist = fileURLToPath(new URL('../web/dist/', import.meta.url));
  try {
    return { root: join(dist, 'assets'), index: await readFile(join(dist, 'index.html'), 'utf8') };
  } catch {
    return null;
  }
}

function healthRoutes(driver: Driver, metrics: client.Registry): RouteSpec[] {
  return [
    route({
      method: 'GET',
      url: '/healthz',
      summary: 'Liveness: the process answers',
      tags: ['health'],
      access: 'none',
      response: z.object({ status: z.literal('ok') }),
      handler: async () => ({ status: 'ok' as const }),
    }),
    route({
      method: 'GET',
      url: '/readyz',
      summary: 'Readiness: the database answers and every migration is applied',
      tags: ['health'],
      access: 'none',
      response: z.object({ status: z.enum(['ready', 'not_ready']), database: z.boolean(), pending_migrations: z.array(z.string()) }),
      handler: async ({ reply }) => {
        let database = false;
        let pending: string[] = [];
        try {
          const conn = await driver.acquire();
          try {
            await conn.query('SELECT 1');
            database = true;
            pending = await pendingMigrations(conn);
          } finally {
            conn.release();
          }
        } catch {
          // unreachable database: reported below as not ready
        }
        const ready = database && pending.length === 0;
        if (!ready) reply.code(503);
        return { status: ready ? ('ready' as const) : ('not_ready' as const), database, pending_migrations: pending };
      },
    }),
    route({
      method: 'GET',
      url: '/metrics',
      summary: 'Prometheus metrics',
      tags: ['health'],
      access: 'none',
      response: z.string(),
      handler: async ({ reply }) => {
        reply.type(metrics.contentType);
        return metrics.metrics();
      },
    }),
  ];
}

function helmetHeaders(secure: boolean): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (k: string, v: string) => void (headers[k.toLowerCase()] = String(v)),
    removeHeader: (k: string) => void delete headers[k.toLowerCase()],
  };
  const middleware = helmet({
    contentSecurityPolicy: {
      // Over plain http (development on {slug}.localhost) asking the browser to upgrade would break every asset.
      directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"], scriptSrc: ["'self'"], upgradeInsecureRequests: secure ? [] : null },
    },
  });
  return new Promise((resolve, reject) =>
    middleware({} as never, res as never, (err?: unknown) => (err ? reject(err as Error) : resolve(headers))),
  );
}
