import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { writeTenantAuditFromPlatform } from '../core/audit.ts';
import type { PlatformTx } from '../core/db/tx.ts';
import type { Entitlements, LimitCounters } from '../core/entitlements.ts';
import { AppError, errors } from '../core/errors.ts';
import { route, type RouteSpec } from '../core/http.ts';
import { email, idParams, instant, MAX_PAGE, text, timeZone, uuid } from '../core/schemas.ts';
import { fullExport } from './export.ts';
import { announceTenantChange, JOB_INVITE_OWNER, JOB_TRIAL_END, TENANT_STATUSES, transition, type LifecycleDeps } from './lifecycle.ts';
import { platformSettings, updatePlatformSettings } from './platform-settings.ts';
import { entitlementsOf, FEATURES, LIMITS, PLAN_CODES } from './plans.ts';
import type { SessionRowCache } from '../identity/service.ts';
import * as support from '../identity/support.ts';
import * as service from './service.ts';
import * as settings from './settings.ts';
import * as domain from './domain.ts';
import * as people from './people.ts';
import { completeSignUp, startSignUp, type SignUpDeps } from './signup.ts';
import { TEMPLATE_CODES } from './templates.ts';

const tags = ['platform'];
const slug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, { error: 'lower-case letters, digits and dashes, 1 to 40, not starting or ending with a dash' });
const limitValue = z.number().int().min(0).nullable();
const limitsObject = z.record(z.string(), limitValue);
const entitlements = z.object({ plan: z.string(), features: z.array(z.string()), limits: limitsObject });

const tenantSummary = z.object({
  id: uuid,
  slug: z.string(),
  name: z.string(),
  status: z.string(),
  plan: z.string(),
  trial_ends_at: instant.nullable(),
  created_at: instant,
  users: z.number(),
  locations: z.number(),
});

const tenantDetail = z.object({
  id: uuid,
  slug: z.string(),
  name: z.string(),
  status: z.string(),
  plan: z.string(),
  trial_ends_at: instant.nullable(),
  cancelled_at: instant.nullable(),
  status_changed_at: instant,
  custom_domain: z.string().nullable(),
  time_zone: z.string(),
  currency: z.string(),
  locale: z.string(),
  version: z.number(),
  created_at: instant,
  overrides: z.object({ features: z.record(z.string(), z.boolean()), limits: limitsObject }),
  entitlements,
  usage: z.record(z.string(), z.number()),
  daily_usage: z.array(z.object({ day: z.string(), metric: z.string(), value: z.number() })),
  users: z.array(z.object({ id: uuid, email: z.string(), name: z.string(), status: z.string(), roles: z.array(z.string()) })),
  locations: z.array(z.object({ id: uuid, name: z.string(), time_zone: z.string() })),
  history: z.array(z.object({ from_status: z.string(), to_status: z.string(), reason: z.string(), actor_label: z.string(), at: instant })),
  recent_audit: z.array(z.object({ at: instant, actor_label: z.string(), action: z.string(), resource_type: z.string(), risk: z.string() })),
});

const supportAccess = z.object({
  grant: z.object({ id: uuid, granted_by: uuid, expires_at: instant, revoked_at: instant.nullable(), created_at: instant }).nullable(),
  sessions: z.array(z.object({ id: uuid, operator_label: z.string(), reason: z.string(), created_at: instant, expires_at: instant, revoked_at: instant.nullable() })),
});

const platformSettingsWire = z.object({
  trial_days: z.number(),
  sign_up_open: z.boolean(),
  sign_up_plan: z.string(),
  support_email: z.string().nullable(),
  version: z.number(),
  updated_at: instant,
  updated_by: z.string().nullable(),
});

const toWire = (e: Entitlements) => ({ plan: e.plan, features: [...e.features], limits: { ...e.limits } });

export interface PlatformRouteDeps extends LifecycleDeps {
  limits: LimitCounters;
  sessions: SessionRowCache;
  domains: domain.DomainDeps;
}

export function platformRoutes(deps: PlatformRouteDeps): RouteSpec[] {
  const { limits } = deps;

  /** Usage of every counted limit, read as the tenant itself (row-level security on) so it counts only its rows. */
  const usageOf = (tx: PlatformTx, tenantId: string) =>
    tx.asTenant(tenantId, async (ttx) => ({ ...(await limits.usage(ttx)), api_calls_per_day: await service.apiCallsToday(ttx, tenantId) }));

  const detail = async (tx: Parameters<typeof service.tenantRecord>[0], id: string) => {
    const t = await service.tenantRecord(tx, id);
    if (!t) throw errors.notFound('tenant');
    const { plan_features, plan_limits, feature_overrides, limit_overrides, ...rest } = t;
    const overrides = { features: feature_overrides, limits: limit_overrides };
    const people = await service.tenantPeople(tx, id);
    return {
      ...rest,
      overrides,
      entitlements: toWire(entitlementsOf({ code: t.plan, features: plan_features, limits: plan_limits }, overrides)),
      usage: t.status === 'purged' ? {} : await usageOf(tx, id),
      daily_usage: await service.usageSeries(tx, id, 30),
      users: people.users,
      locations: people.locations,
      history: people.history,
      recent_audit: people.audit,
    };
  };

  return [
    route({
      method: 'GET',
      url: '/api/v1/platform/outbox',
      summary: 'Mail Brigade sent or kept (kept when no SMTP server is configured), newest first, across tenants',
      tags,
      access: 'platform',
      permission: 'platform.outbox.read',
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50), to: z.string().max(254).optional() }),
      response: z.object({
        items: z.array(
          z.object({
            id: uuid,
            tenant_id: uuid,
            to_address: z.string(),
            subject: z.string(),
            body: z.string(),
            status: z.string(),
            created_at: instant,
            sent_at: instant.nullable(),
          }),
        ),
      }),
      handler: async ({ tx, query, audit }) => {
        const items = await service.readOutbox(tx, query);
        // Reading other businesses' mail is platform work: it leaves a trace.
        await audit({ action: 'platform.outbox_read', resourceType: 'outbox', risk: 'medium', changes: { count: items.length, to: query.to ?? null } });
        return { items };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/platform/plans',
      summary: 'The plans, their features and limits',
      tags,
      access: 'platform',
      permission: 'platform.tenants.read',
      response: z.object({ items: z.array(z.object({ code: z.string(), name: z.string(), features: z.array(z.string()), limits: limitsObject })) }),
      handler: async ({ tx }) => ({ items: await service.plans(tx) }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/platform/tenants',
      summary: 'Tenants, newest first, searched by slug or name and filtered by status and plan',
      tags,
      access: 'platform',
      permission: 'platform.tenants.read',
      query: z.strictObject({
        q: z.string().trim().min(1).max(100).optional(),
        status: z.enum(TENANT_STATUSES).optional(),
        plan: z.enum(PLAN_CODES).optional(),
        limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
        cursor: uuid.optional(),
      }),
      response: z.object({ items: z.array(tenantSummary), next_cursor: uuid.nullable() }),
      handler: ({ tx, query }) => service.listTenants(tx, query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/platform/slug-availability',
      summary: 'Whether a slug is free for a new business',
      tags,
      access: 'platform',
      permission: 'platform.tenants.read',
      query: z.strictObject({ slug }),
      response: z.object({ slug: z.string(), available: z.boolean() }),
      handler: async ({ tx, query }) => ({ slug: query.slug, available: await service.slugAvailable(tx, query.slug) }),
    }),
    route({
      method: 'POST',
      url: '/api/v1/platform/tenants',
      summary: 'Create a business on a plan (a trial by default); its owner is invited by email',
      tags,
      access: 'platform',
      permission: 'platform.tenants.manage',
      status: 201,
      body: z.strictObject({
        slug,
        name: text(200),
        owner_email: email,
        plan: z.enum(PLAN_CODES).default('professional'),
        trial: z.boolean().default(true),
        time_zone: timeZone.default('UTC'),
        currency: z.string().regex(/^[A-Z]{3}$/, { error: 'an ISO 4217 code such as USD' }).default('USD'),
        locale: z.string().min(2).max(35).default('en-US'),
      }),
      example: { slug: 'harbour-grill', name: 'Harbour Grill', owner_email: 'owner@harbour.example', plan: 'professional' },
      response: tenantSummary,
      handler: async ({ tx, body, audit }) => {
        if (!(await service.slugAvailable(tx, body.slug))) throw errors.conflict('slug_taken', `The address ${body.slug} is taken.`, 'body.slug');
        const id = uuidv7();
        const { trial_days } = await platformSettings(tx);
        await service.createTenant(tx, id, {
          slug: body.slug,
          name: body.name,
          status: body.trial ? 'trial' : 'active',
          plan: body.plan,
          trialDays: trial_days,
          timeZone: body.time_zone,
          currency: body.currency,
          locale: body.locale,
        });
        if (body.trial) await deps.jobs.enqueueFor(tx, id, JOB_TRIAL_END, {}, trial_days * 86_400);
        await audit({ action: 'tenant.created', resourceType: 'tenant', resourceId: id, targetTenantId: id, risk: 'high', changes: { slug: body.slug, plan: body.plan, owner: body.owner_email } });
        await writeTenantAuditFromPlatform(tx, id, { ip: null, userAgent: null, requestId: null }, {
          action: 'tenant.created',
          resourceType: 'tenant',
          resourceId: id,
          risk: 'high',
          changes: { plan: body.plan, owner: body.owner_email },
        });
        // The owner's invitation is tenant work: a durable job sends it in the tenant's own transaction, and it
        // exists only if the business does.
        await deps.jobs.enqueueFor(tx, id, JOB_INVITE_OWNER, { email: body.owner_email });
        return { id, slug: body.slug, name: body.name, status: body.trial ? 'trial' : 'active', plan: body.plan, trial_ends_at: null, created_at: new Date(), users: 0, locations: 0 };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/platform/tenants/:id',
      summary: 'A tenant: plan, overrides, usage against limits, people, locations, lifecycle history, recent audit',
      tags,
      access: 'platform',
      permission: 'platform.tenants.read',
      params: idParams,
      resource: 'tenant',
      response: tenantDetail,
      handler: ({ tx, params }) => detail(tx, params.id),
    }),
    route({
      method: 'POST',
      url: '/api/v1/platform/tenants/:id/status',
      summary: 'Move a tenant along its lifecycle (activate, past due, suspend, cancel, reactivate)',
      tags,
      access: 'platform',
      permission: 'platform.tenants.manage',
      params: idParams,
      resource: 'tenant',
      body: z.strictObject({ status: z.enum(TENANT_STATUSES), reason: text(500), version: z.number().int().optional() }),
      example: { status: 'suspended', reason: 'payment failed three times' },
      response: z.object({ id: uuid, slug: z.string(), status: z.string(), version: z.number() }),
      noAudit: 'transition() writes both the platform and the tenant audit records',
      handler: ({ tx, params, body, meta }) => {
        if (body.status === 'purged') throw errors.validation([{ field: 'body.status', code: 'purge_is_scheduled', message: 'a business is purged by the scheduled job, 30 days after cancellation' }]);
        return transition(tx, deps, meta, params.id, body.status, body.reason, body.version);
      },
    }),
    route({
      method: 'PUT',
      url: '/api/v1/platform/tenants/:id/plan',
      summary: 'Change a tenant’s plan; a downgrade the tenant has outgrown is refused with what is over',
      tags,
      access: 'platform',
      permission: 'platform.tenants.manage',
      params: idParams,
      resource: 'tenant',
      body: z.strictObject({ plan: z.enum(PLAN_CODES), version: z.number().int().optional() }),
      example: { plan: 'enterprise' },
      response: tenantDetail,
      handler: async ({ tx, params, body, audit }) => {
        const t = await service.tenantRecord(tx, params.id);
        if (!t) throw errors.notFound('tenant');
        if (body.version !== undefined && body.version !== t.version) throw errors.staleVersion();
        const [plan] = (await service.plans(tx)).filter((p) => p.code === body.plan);
        const next = entitlementsOf(plan!, { features: t.feature_overrides, limits: t.limit_overrides });
        // What the business holds (not today's API calls, which start again tomorrow).
        const usage = await usageOf(tx, params.id);
        const over = Object.entries(usage)
          .filter(([limit, used]) => limits.has(limit) && next.limits[limit] !== null && next.limits[limit] !== undefined && used > next.limits[limit]!)
          .map(([limit, used]) => ({ limit, used, allowed: next.limits[limit]! }));
        if (over.length > 0) {
          throw new AppError(
            409,
            'plan_limits_exceeded',
            `The business uses more than ${plan!.name} allows: ${over.map((o) => `${o.limit.replace(/_/g, ' ')} ${o.used} of ${o.allowed}`).join(', ')}.`,
            over.map((o) => ({ field: 'body.plan', code: 'limit_exceeded', message: `${o.limit}: ${o.used} in use, ${o.allowed} allowed` })),
            { over },
          );
        }
        await tx.query(`UPDATE tenants SET plan = $2, version = version + 1, updated_at = now() WHERE id = $1`, [params.id, body.plan]);
        await announceTenantChange(tx, deps, params.id);
        const changes = { from: t.plan, to: body.plan };
        await audit({ action: 'tenant.plan_changed', resourceType: 'tenant', resourceId: params.id, targetTenantId: params.id, risk: 'high', changes });
        await writeTenantAuditFromPlatform(tx, params.id, { ip: null, userAgent: null, requestId: null }, { action: 'tenant.plan_changed', resourceType: 'tenant', resourceId: params.id, risk: 'high', changes });
        return detail(tx, params.id);
      },
    }),
    route({
      method: 'PUT',
      url: '/api/v1/platform/tenants/:id/overrides',
      summary: 'The operator’s exceptions for one tenant: switch a feature (a module) on or off, raise or lift a limit',
      tags,
      access: 'platform',
      permission: 'platform.tenants.manage',
      params: idParams,
      resource: 'tenant',
      body: z.strictObject({
        features: z.partialRecord(z.enum(FEATURES), z.boolean()).default({}),
        limits: z.partialRecord(z.enum(LIMITS), limitValue).default({}),
        version: z.number().int().optional(),
      }),
      example: { features: { ordering: false }, limits: { locations: 12 } },
      response: tenantDetail,
      handler: async ({ tx, params, body, audit }) => {
        const t = await service.tenantRecord(tx, params.id);
        if (!t) throw errors.notFound('tenant');
        if (body.version !== undefined && body.version !== t.version) throw errors.staleVersion();
        await tx.query(`UPDATE tenants SET feature_overrides = $2, limit_overrides = $3, version = version + 1, updated_at = now() WHERE id = $1`, [
          params.id,
          JSON.stringify(body.features),
          JSON.stringify(body.limits),
        ]);
        await announceTenantChange(tx, deps, params.id);
        const changes = { before: { features: t.feature_overrides, limits: t.limit_overrides }, after: { features: body.features, limits: body.limits } };
        await audit({ action: 'tenant.overrides_changed', resourceType: 'tenant', resourceId: params.id, targetTenantId: params.id, risk: 'high', changes });
        await writeTenantAuditFromPlatform(tx, params.id, { ip: null, userAgent: null, requestId: null }, {
          action: 'tenant.overrides_changed',
          resourceType: 'tenant',
          resourceId: params.id,
          risk: 'high',
          changes,
        });
        return detail(tx, params.id);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/platform/dashboard',
      summary: 'Tenants by status and plan, sign-ups per month, active people and API calls',
      tags,
      access: 'platform',
      permission: 'platform.tenants.read',
      response: z.object({
        tenants_by_status: z.record(z.string(), z.number()),
        tenants_by_plan: z.record(z.string(), z.number()),
        growth: z.array(z.object({ month: z.string(), created: z.number() })),
        active_users: z.object({ today: z.number(), last_7_days: z.number() }),
        api_calls: z.object({ today: z.number(), last_7_days: z.number() }),
      }),
      handler: ({ tx }) => service.dashboard(tx),
    }),
    route({
      method: 'GET',
      url: '/api/v1/platform/audit',
      summary: 'The platform audit log, newest first, by tenant or action',
      tags,
      access: 'platform',
      permission: 'platform.audit.read',
      query: z.strictObject({
        tenant_id: uuid.optional(),
        action: z.string().max(100).optional(),
        limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
        cursor: uuid.optional(),
      }),
      response: z.object({
        items: z.array(
          z.object({
            id: uuid,
            at: instant,
            actor_label: z.string(),
            action: z.string(),
            target_tenant_id: uuid.nullable(),
            resource_type: z.string(),
            resource_id: z.string().nullable(),
            risk: z.string(),
            ip: z.string().nullable(),
            changes: z.unknown(),
          }),
        ),
        next_cursor: uuid.nullable(),
      }),
      handler: ({ tx, query }) => service.platformAudit(tx, query),
    }),
    route({
      method: 'POST',
      url: '/api/v1/platform/tenants/:id/people/sign-out',
      summary: 'End every session of one person of a business (a stolen phone, a compromised account)',
      tags,
      access: 'platform',
      permission: 'platform.tenants.manage',
      params: idParams,
      resource: 'tenant',
      body: z.strictObject({ user_id: uuid, reason: text(500), disable: z.boolean().default(false) }),
      example: { user_id: '01900000-0000-7000-8000-000000000000', reason: 'phone stolen', disable: false },
      response: z.object({ sessions_ended: z.number(), disabled: z.boolean() }),
      noAudit: 'written to both logs below',
      handler: ({ tx, params, body, meta }) => people.signOut(tx, deps.sessions, meta, params.id, body),
    }),
    route({
      method: 'POST',
      url: '/api/v1/platform/tenants/:id/people/enable',
      summary: 'Let a person the operator disabled sign in again',
      tags,
      access: 'platform',
      permission: 'platform.tenants.manage',
      params: idParams,
      resource: 'tenant',
      body: z.strictObject({ user_id: uuid, reason: text(500) }),
      example: { user_id: '01900000-0000-7000-8000-000000000000', reason: 'phone recovered' },
      response: z.object({ enabled: z.literal(true) }),
      noAudit: 'written to both logs in people.enable',
      handler: ({ tx, params, body, meta }) => people.enable(tx, meta, params.id, body),
    }),
    route({
      method: 'PATCH',
      url: '/api/v1/platform/tenants/:id',
      summary: 'Correct a business’s name',
      tags,
      access: 'platform',
      permission: 'platform.tenants.manage',
      params: idParams,
      resource: 'tenant',
      body: z.strictObject({ name: text(200), version: z.number().int() }),
      example: { name: 'Harbour Grill & Bar', version: 3 },
      response: tenantDetail,
      handler: async ({ tx, params, body, meta, audit }) => {
        const changes = await service.renameTenant(tx, params.id, body.name, body.version);
        if (!changes) throw errors.notFound('tenant');
        await announceTenantChange(tx, deps, params.id);
        await audit({ action: 'tenant.renamed', resourceType: 'tenant', resourceId: params.id, targetTenantId: params.id, risk: 'medium', changes: { name: changes } });
        await writeTenantAuditFromPlatform(tx, params.id, meta, { action: 'tenant.renamed', resourceType: 'tenant', resourceId: params.id, risk: 'medium', changes: { name: changes } });
        return detail(tx, params.id);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/platform/users',
      summary: 'People across every business, by email or name',
      tags,
      access: 'platform',
      permission: 'platform.tenants.read',
      query: z.strictObject({
        q: z.string().trim().max(254).optional(),
        status: z.enum(['active', 'disabled']).optional(),
        limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
        cursor: uuid.optional(),
      }),
      response: z.object({
        items: z.array(
          z.object({
            id: uuid,
            tenant_id: uuid,
            tenant_slug: z.string(),
            tenant_name: z.string(),
            email: z.string(),
            name: z.string(),
            status: z.string(),
            roles: z.array(z.string()),
            last_seen_at: instant.nullable(),
          }),
        ),
        next_cursor: uuid.nullable(),
      }),
      handler: ({ tx, query }) => service.searchPeople(tx, query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/platform/settings',
      summary: 'The service’s own settings: trial length, self-service sign-up, the support address',
      tags,
      access: 'platform',
      permission: 'platform.tenants.read',
      response: platformSettingsWire,
      handler: ({ tx }) => platformSettings(tx),
    }),
    route({
      method: 'PUT',
      url: '/api/v1/platform/settings',
      summary: 'Change the service’s own settings (new trials and sign-ups use them; running trials keep theirs)',
      tags,
      access: 'platform',
      permission: 'platform.settings.manage',
      body: z.strictObject({
        trial_days: z.number().int().min(1).max(90),
        sign_up_open: z.boolean(),
        sign_up_plan: z.enum(PLAN_CODES),
        support_email: email.nullable(),
        version: z.number().int(),
      }),
      example: { trial_days: 14, sign_up_open: true, sign_up_plan: 'professional', support_email: 'help@brigade.example', version: 1 },
      response: platformSettingsWire,
      handler: async ({ tx, body, audit }) => {
        const { settings: saved, changes } = await updatePlatformSettings(tx, body);
        // Suspended businesses are shown the support address from the tenant cache.
        if ('support_email' in changes) tx.afterCommit(() => deps.forgetTenants());
        await audit({ action: 'platform.settings_changed', resourceType: 'platform_settings', risk: 'high', changes });
        return saved;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/platform/tenants/:id/support-sessions',
      summary: 'Open a read-only support session into a business whose owner allows it (at most an hour)',
      tags,
      access: 'platform',
      permission: 'platform.tenants.manage',
      params: idParams,
      resource: 'tenant',
      status: 201,
      body: z.strictObject({ reason: text(500), minutes: z.number().int().min(5).max(support.SUPPORT_MAX_MINUTES).default(30) }),
      example: { reason: 'the owner asked why a reconciliation is flagged', minutes: 30 },
      response: z.object({ id: uuid, token: z.string(), expires_at: instant, url: z.string() }),
      noIdempotency: 'the answer carries the session token, which must never be stored to be replayed',
      noAudit: 'written to both logs below',
      handler: ({ tx, params, body, principal, meta }) => people.openSupport(tx, deps, meta, { id: principal.userId, label: principal.label }, params.id, body),
    }),
    route({
      method: 'GET',
      url: '/api/v1/support-access',
      summary: 'Whether Brigade support may look in now, until when, and every support session opened',
      tags: ['business'],
      access: 'tenant',
      permission: 'tenant.support.grant',
      response: supportAccess,
      handler: async ({ tx }) => ({ grant: await support.currentGrant(tx), sessions: await support.supportSessions(tx) }),
    }),
    route({
      method: 'PUT',
      url: '/api/v1/support-access',
      summary: 'Allow Brigade support to look in, read-only, for a number of hours (at most a week)',
      tags: ['business'],
      access: 'tenant',
      permission: 'tenant.support.grant',
      body: z.strictObject({ hours: z.number().int().min(1).max(support.GRANT_MAX_HOURS) }),
      example: { hours: 24 },
      response: supportAccess,
      handler: async ({ tx, body, principal, audit }) => {
        const grant = await support.grantSupport(tx, principal.userId!, body.hours);
        await audit({ action: 'support.access_granted', resourceType: 'support_grant', resourceId: grant.id, risk: 'high', changes: { hours: body.hours } });
        return { grant, sessions: await support.supportSessions(tx) };
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/support-access',
      summary: 'Withdraw support access: every open support session ends at once',
      tags: ['business'],
      access: 'tenant',
      permission: 'tenant.support.grant',
      response: supportAccess,
      handler: async ({ tx, audit }) => {
        const r = await support.revokeSupport(tx);
        await audit({ action: 'support.access_revoked', resourceType: 'support_grant', risk: 'high', changes: r });
        return { grant: null, sessions: await support.supportSessions(tx) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/settings',
      summary: 'The business’s settings: name, time zone, currency, locale, date and time format, colour, logo',
      tags: ['business'],
      access: 'tenant',
      permission: 'tenant.settings.update',
      response: settings.settings,
      handler: ({ tx }) => settings.read(tx),
    }),
    route({
      method: 'PUT',
      url: '/api/v1/settings',
      summary: 'Change the business’s settings (the colour needs custom branding in the plan)',
      tags: ['business'],
      access: 'tenant',
      permission: 'tenant.settings.update',
      body: settings.settingsBody,
      example: { name: 'Harbour Grill', time_zone: 'Europe/Dublin', currency: 'EUR', locale: 'en-IE', date_format: 'dmy', time_format: '24h', brand_color: '#0f766e', version: 1 },
      response: settings.settings,
      handler: async ({ tx, tenant, body, audit }) => {
        const { before, after } = await settings.update(tx, tenant.entitlements, body);
        const { version: _v, ...was } = before;
        const { version: _w, ...is } = after;
        await audit({ action: 'tenant.settings_changed', resourceType: 'tenant', resourceId: tx.tenantId, risk: 'medium', changes: { before: was, after: is } });
        await announceTenantChange(tx, deps, tx.tenantId);
        return after;
      },
    }),
    route({
      method: 'PUT',
      url: '/api/v1/settings/roles',
      summary: 'The roles the business works with: invitations offer and accept only these (the owner’s always)',
      tags: ['business'],
      access: 'tenant',
      permission: 'tenant.settings.update',
      body: settings.rolesBody,
      example: { roles: ['owner', 'admin', 'manager', 'staff'] },
      response: settings.rolesInUse,
      handler: async ({ tx, body, audit }) => {
        const changes = await settings.setRolesInUse(tx, body.roles);
        await audit({ action: 'tenant.roles_in_use_changed', resourceType: 'tenant', resourceId: tx.tenantId, risk: 'medium', changes });
        await announceTenantChange(tx, deps, tx.tenantId);
        return { roles_in_use: changes.after };
      },
    }),
    route({
      method: 'PUT',
      url: '/api/v1/settings/logo',
      summary: 'Upload the business’s logo: the image itself as the body (PNG, JPEG or WebP, at most 512 KB)',
      tags: ['business'],
      access: 'tenant',
      permission: 'tenant.settings.update',
      feature: 'custom_branding',
      bodyIsFile: true,
      response: settings.settings,
      handler: async ({ tx, tenant, req, audit }) => {
        if (!Buffer.isBuffer(req.body)) {
          throw new AppError(415, 'logo_type_not_allowed', 'Send the image itself as the body, with its Content-Type (image/png, image/jpeg or image/webp).', [
            { field: 'header.content-type', code: 'logo_type_not_allowed', message: 'an image type' },
          ]);
        }
        const file = await settings.setLogo(tx, tenant.entitlements, req.body);
        await announceTenantChange(tx, deps, tx.tenantId);
        await audit({ action: 'tenant.logo_changed', resourceType: 'tenant_file', resourceId: file.id, risk: 'low', changes: { content_type: file.content_type, size_bytes: file.size_bytes } });
        return settings.read(tx);
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/settings/logo',
      summary: 'Remove the business’s logo',
      tags: ['business'],
      access: 'tenant',
      permission: 'tenant.settings.update',
      response: settings.settings,
      handler: async ({ tx, audit }) => {
        const removed = await settings.removeLogo(tx);
        await announceTenantChange(tx, deps, tx.tenantId);
        await audit({ action: 'tenant.logo_removed', resourceType: 'tenant', resourceId: tx.tenantId, risk: 'low', changes: { removed } });
        return settings.read(tx);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/settings/domain',
      summary: 'The business’s own domain, and the one waiting for verification with its token',
      tags: ['business'],
      access: 'tenant',
      permission: 'tenant.settings.update',
      feature: 'custom_domain',
      response: domain.domainState,
      handler: ({ tx }) => domain.state(tx, deps.domains),
    }),
    route({
      method: 'PUT',
      url: '/api/v1/settings/domain',
      summary: 'Ask for a domain of the business’s own: answers the token to serve on it',
      tags: ['business'],
      access: 'tenant',
      permission: 'tenant.settings.update',
      feature: 'custom_domain',
      body: domain.domainBody,
      example: { domain: 'www.harbourgrill.ie' },
      response: domain.domainState,
      handler: async ({ tx, body, audit }) => {
        const r = await domain.request(tx, deps.domains, body.domain);
        await audit({ action: 'tenant.domain_requested', resourceType: 'tenant', resourceId: tx.tenantId, risk: 'medium', changes: { domain: body.domain } });
        return r;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/settings/domain/verify',
      summary: 'Check that the token is served on the domain; once it is, the domain is the business’s address',
      tags: ['business'],
      access: 'tenant',
      permission: 'tenant.settings.update',
      feature: 'custom_domain',
      response: domain.domainState,
      prepare: ({ read }) => domain.observe(read, deps.domains),
      handler: async ({ tx, audit, prepared }) => {
        const r = await domain.verify(tx, deps.domains, prepared);
        await audit({ action: 'tenant.domain_verified', resourceType: 'tenant', resourceId: tx.tenantId, risk: 'high', changes: { domain: r.domain } });
        await announceTenantChange(tx, deps, tx.tenantId);
        return r;
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/settings/domain',
      summary: 'Stop using the business’s own domain (its Brigade address keeps working)',
      tags: ['business'],
      access: 'tenant',
      permission: 'tenant.settings.update',
      response: domain.domainState,
      handler: async ({ tx, audit }) => {
        const r = await domain.remove(tx, deps.domains);
        await audit({ action: 'tenant.domain_removed', resourceType: 'tenant', resourceId: tx.tenantId, risk: 'medium' });
        await announceTenantChange(tx, deps, tx.tenantId);
        return r;
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/public/branding/logo',
      summary: 'The business’s logo, for its sign-in and guest pages',
      tags: ['business'],
      access: 'public',
      // The file's id, so that a new logo has a new address (see the cache header below).
      query: z.object({ v: z.string().max(100).optional() }).strict(),
      response: z.any(),
      handler: async ({ tx, req, reply }) => {
        const f = await settings.logo(tx);
        if (!f) throw errors.notFound('logo');
        const etag = `"${f.sha256.toString('base64url')}"`;
        // The address carries the file's id (?v=), so a new logo is a new address and this one can be kept a day.
        reply.header('etag', etag).header('cache-control', 'public, max-age=86400').type(f.content_type);
        if (req.headers['if-none-match'] === etag) return reply.code(304).send();
        return f.bytes;
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/usage',
      summary: 'The business’s plan, its limits and how much of each it uses, with daily usage for 30 days',
      tags: ['business'],
      access: 'tenant',
      permission: 'tenant.billing.manage',
      response: z.object({ entitlements, usage: z.record(z.string(), z.number()), daily_usage: z.array(z.object({ day: z.string(), metric: z.string(), value: z.number() })) }),
      handler: async ({ tx, tenant }) => ({
        entitlements: toWire(tenant.entitlements),
        usage: { ...(await limits.usage(tx)), api_calls_per_day: await service.apiCallsToday(tx, tx.tenantId) },
        daily_usage: await service.usageSeries(tx, tx.tenantId, 30),
      }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/public/export',
      summary: 'A cancelled business’s full export, by the link mailed to its owners (30 days)',
      tags: ['business'],
      access: 'public',
      whenCancelled: 'the export is what a cancelled business keeps for 30 days',
      query: z.strictObject({ token: z.string().min(10).max(200) }),
      response: z.record(z.string(), z.unknown()),
      auditedRead: 'every download of a whole business’s data is recorded in its trail',
      handler: async ({ tx, query, tenant, reply, audit }) => {
        const hash = createHash('sha256').update(query.token).digest();
        const [row] = await tx.query<{ id: string }>(
          `SELECT id FROM tenant_exports WHERE tenant_id = $1 AND token_hash = $2 AND expires_at > now()`,
          [tx.tenantId, hash],
        );
        if (!row || tenant.status !== 'cancelled') throw errors.notFound('export');
        await audit({ action: 'tenant.export_downloaded', resourceType: 'tenant_export', resourceId: row.id, risk: 'critical', actor: { type: 'system', id: null, label: 'export link' } });
        reply.header('content-disposition', `attachment; filename="${tenant.slug}-export.json"`);
        return fullExport(tx, tenant);
      },
    }),
  ];
}

/** Self-service sign-up, on the platform's own address: no business and no credential exist yet. */
export function signUpRoutes(deps: SignUpDeps): RouteSpec[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/sign-up/slug-availability',
      summary: 'Whether an address is free for a new business',
      tags: ['sign-up'],
      access: 'platform_public',
      query: z.strictObject({ slug }),
      response: z.object({ slug: z.string(), available: z.boolean() }),
      rateLimit: { max: 60, timeWindow: 60_000, by: 'ip' },
      handler: async ({ tx, query }) => ({ slug: query.slug, available: await service.slugAvailable(tx, query.slug) }),
    }),
    route({
      method: 'POST',
      url: '/api/v1/sign-up',
      summary: 'Start a new business: mails a link that confirms the owner’s address',
      tags: ['sign-up'],
      access: 'platform_public',
      status: 202,
      body: z.strictObject({
        business_name: text(200),
        slug,
        email,
        template: z.enum(TEMPLATE_CODES).default('restaurant'),
        time_zone: timeZone.default('UTC'),
      }),
      example: { business_name: 'Harbour Grill', slug: 'harbour-grill', email: 'owner@harbour.example', template: 'restaurant', time_zone: 'Europe/Dublin' },
      response: z.object({ email: z.string() }),
      rateLimit: { max: 5, timeWindow: 60 * 60_000, by: 'ip' },
      handler: async ({ tx, body, audit, req }) => {
        await startSignUp(tx, deps, body, req.log);
        await audit({ action: 'platform.sign_up_started', resourceType: 'sign_up', risk: 'low', changes: { slug: body.slug, email: body.email, template: body.template } });
        return { email: body.email };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/sign-up/verify',
      summary: 'Confirm the address with the mailed link and choose the owner’s password: the business opens on a trial',
      tags: ['sign-up'],
      access: 'platform_public',
      status: 201,
      body: z.strictObject({ token: z.string().min(10).max(200), name: text(120), password: z.string().max(128) }),
      example: { token: 'bsu_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', name: 'Ines Owner', password: 'a long and fresh passphrase' },
      response: z.object({ tenant_id: uuid, slug: z.string(), sign_in_url: z.string(), starter_data: z.array(z.string()) }),
      rateLimit: { max: 20, timeWindow: 15 * 60_000, by: 'ip' },
      noIdempotency: 'the body carries a password',
      noAudit: 'completeSignUp writes the platform record and the new business’s own first record',
      handler: ({ tx, body, meta }) => completeSignUp(tx, deps, meta, body),
    }),
  ];
}
