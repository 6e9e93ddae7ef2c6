import { z } from 'zod';
import { route, failAfterCommit, type HostTenant } from '../core/http.ts';
import { listOwnActivity, writeAudit, type AuditEntry } from '../core/audit.ts';
import { AppError, errors } from '../core/errors.ts';
import { idParams, page, pageQuery } from '../core/schemas.ts';
import type { Jobs } from '../core/jobs.ts';
import type { SessionCookies } from './cookies.ts';
import * as s from './schemas.ts';
import { PLATFORM_ROLE_PERMISSIONS, TENANT_ROLES } from './permissions.ts';
import * as service from './service.ts';
import * as support from './support.ts';
import { apiKeyRoutes } from './api-keys.ts';

const tags = ['auth'];
// Sign-in, reset and PIN have their own counters, per client address (and per email where one is given).
const FIFTEEN_MINUTES = 15 * 60 * 1000;
/**
 * Sign-ins from one address, whatever the emails: what stops one address trying a password on every email. A
 * restaurant's staff often share one address; at a shift change thirty of them each signing in, some twice, stay
 * under it, while guessing is held to four a minute.
 */
export const SIGN_IN_PER_ADDRESS = 60;

/** The business as a signed-in page needs it: which one, and the roles it works with. */
const tenantOf = (t: HostTenant) => ({
  id: t.id,
  slug: t.slug,
  name: t.name,
  roles_in_use: TENANT_ROLES.filter((r) => !t.roles_in_use || t.roles_in_use.includes(r)),
});

export function identityRoutes(deps: service.IdentityDeps & { cookies: SessionCookies; jobs: Jobs }) {
  const { cookies, jobs } = deps;

  jobs.register('identity.password_reset', async (tx, payload) => {
    const userId = await service.sendPasswordReset(tx, deps, payload as { slug: string; name: string }, String(payload.email));
    if (userId) {
      await writeAudit(tx, { ip: String(payload.ip ?? '') || null, userAgent: null, requestId: String(payload.request_id ?? '') || null }, {
        action: 'auth.password_reset_requested',
        resourceType: 'user',
        resourceId: userId,
        risk: 'medium',
      });
    }
  });

  return [
    route({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      summary: 'Sign in with email and password (the business comes from the address)',
      tags,
      access: 'public',
      body: s.signInBody,
      example: { email: 'owner@demo.brigade.test', password: 'correct horse battery' },
      response: s.signedIn,
      rateLimit: [
        { max: 10, timeWindow: FIFTEEN_MINUTES, by: 'ip_email' },
        { max: SIGN_IN_PER_ADDRESS, timeWindow: FIFTEEN_MINUTES, by: 'ip' },
      ],
      noIdempotency: 'the body carries a secret',
      handler: async ({ tx, body, meta, reply, audit }) => {
        const outcome = await service.signIn(tx, body.email, body.password, deps.session, meta);
        if (!outcome.ok && outcome.locked) {
          const { retryAfterSeconds, justLocked } = outcome.locked;
          await audit({
            action: justLocked ? 'auth.account_locked' : 'auth.sign_in_refused_locked',
            resourceType: 'user',
            resourceId: outcome.userId,
            risk: justLocked ? 'high' : 'medium',
            changes: { email: body.email },
          });
          return failAfterCommit(
            errors.locked(
              'account_locked',
              `Too many wrong passwords: this account is locked for ${Math.ceil(retryAfterSeconds / 60)} minutes. Reset the password by email to unlock it now.`,
              retryAfterSeconds,
            ),
          );
        }
        if (!outcome.ok) {
          await audit({
            action: 'auth.sign_in_failed',
            resourceType: 'user',
            resourceId: outcome.userId,
            risk: outcome.userId ? 'medium' : 'low',
            changes: { email: body.email },
          });
          return failAfterCommit(errors.invalidCredentials());
        }
        cookies.set(reply, cookies.session, outcome.session.token, outcome.session.expiresAt);
        await audit({
          action: 'auth.signed_in',
          resourceType: 'session',
          resourceId: outcome.session.sessionId,
          actor: { type: 'user', id: outcome.userId, label: body.email },
        });
        return {
          user_id: outcome.userId,
          expires_at: outcome.session.expiresAt,
          csrf_token: reply.generateCsrf({ userInfo: outcome.session.sessionId }),
        };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/auth/support-sign-in',
      summary: 'An operator enters the business’s pages with a support token from the back office (read-only, time-limited)',
      tags,
      access: 'public',
      body: z.strictObject({ token: z.string().min(1).max(200) }),
      example: { token: 'bsa_…' },
      response: s.session.extend({ csrf_token: z.string() }),
      rateLimit: { max: 10, timeWindow: FIFTEEN_MINUTES, by: 'ip' },
      noIdempotency: 'the body carries a secret',
      handler: async ({ tx, body, reply, audit, tenant }) => {
        const open = await support.supportSessionByToken(tx, body.token);
        if (!open) {
          throw new AppError(401, 'support_session_invalid', 'This support link has ended: it expired, support signed out of it, or the owner withdrew access.', [
            { field: 'body.token', code: 'support_session_invalid', message: 'expired, ended or unknown' },
          ]);
        }
        cookies.set(reply, cookies.support, body.token, open.expires_at);
        // The business's own trail shows when support looked at its pages, not only when the session was opened.
        await audit({
          action: 'support.session_entered',
          resourceType: 'support_session',
          resourceId: open.id,
          risk: 'medium',
          actor: { type: 'platform', id: null, label: `support:${open.operator_label}` },
        });
        return {
          ...support.supportWhoAmI(open),
          tenant: tenantOf(tenant),
          csrf_token: reply.generateCsrf({ userInfo: open.id }),
        };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/auth/session',
      summary: 'Who am I: person, business, roles and what they may do where',
      tags,
      access: 'tenant',
      permission: 'identity.self',
      response: s.session,
      handler: async ({ tx, principal, tenant }) => {
        const t = tenantOf(tenant);
        if (principal.kind === 'support_session') {
          const open = await support.supportSession(tx, principal.sessionId!);
          if (!open) throw errors.unauthenticated();
          return { ...support.supportWhoAmI(open), tenant: t };
        }
        return { ...(await service.whoAmI(tx, principal)), support: null, tenant: t };
      },
    }),
    route({
      method: 'PATCH',
      url: '/api/v1/auth/profile',
      summary: 'Change my name',
      tags,
      access: 'tenant',
      permission: 'identity.self',
      body: s.profileBody,
      example: { name: 'Ana Lopez' },
      response: s.profile,
      handler: async ({ tx, principal, body, audit }) => {
        if (principal.kind !== 'session') throw errors.forbidden('profile change from a kiosk');
        const { after, changes } = await service.updateProfile(tx, principal.userId!, body);
        await audit({ action: 'identity.profile_updated', resourceType: 'user', resourceId: after.id, changes });
        return after;
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/auth/activity',
      summary: 'What I did recently (my own audit records, newest first)',
      tags,
      access: 'tenant',
      permission: 'identity.self',
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
      response: s.activity,
      handler: async ({ tx, principal, query }) => ({ items: await listOwnActivity(tx, principal.userId!, query.limit) }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/auth/businesses',
      summary: 'The other businesses where my email has an account, for switching between them',
      tags,
      access: 'tenant_cross',
      permission: 'identity.self',
      crossTenant: 'the businesses where the signed-in person\'s own email has an account span tenants',
      response: s.businesses,
      handler: async ({ tx, principal, tenant }) => {
        const items = await service.otherBusinesses(tx, principal.label, tenant.id);
        return { items: items.map((b) => ({ ...b, url: deps.tenantUrl(b.slug) })) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/auth/csrf',
      summary: 'A CSRF token for cookie-authenticated changes (send it as the x-csrf-token header)',
      tags,
      access: 'tenant',
      permission: 'identity.self',
      response: s.csrfToken,
      handler: async ({ reply, principal }) => ({ csrf_token: reply.generateCsrf({ userInfo: principal.sessionId ?? '' }) }),
    }),
    route({
      method: 'POST',
      url: '/api/v1/auth/sign-out',
      summary: 'End this session',
      tags,
      access: 'tenant',
      permission: 'identity.self',
      status: 204,
      response: z.null(),
      supportMayCall: 'an operator ends their own support session early',
      handler: async ({ tx, principal, reply, audit }) => {
        if (principal.kind === 'support_session') {
          await support.endSupportSession(tx, principal.sessionId!);
          cookies.clear(reply, cookies.support);
          await audit({ action: 'support.session_ended', resourceType: 'support_session', resourceId: principal.sessionId, risk: 'medium' });
          return null;
        }
        if (principal.sessionId) await service.revokeSession(tx, deps.sessions, principal.sessionId);
        cookies.clear(reply, cookies.session);
        await audit({ action: 'auth.signed_out', resourceType: 'session', resourceId: principal.sessionId });
        return null;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/auth/sign-out-everywhere',
      summary: 'End every session of mine, on every device',
      tags,
      access: 'tenant',
      permission: 'identity.self',
      response: s.signedOutCount,
      handler: async ({ tx, principal, reply, audit }) => {
        const n = await service.revokeUserSessions(tx, deps.sessions, principal.userId!);
        cookies.clear(reply, cookies.session);
        await audit({ action: 'auth.signed_out_everywhere', resourceType: 'user', resourceId: principal.userId, risk: 'medium', changes: { sessions_ended: n } });
        return { sessions_ended: n };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/auth/sessions',
      summary: 'My active sessions',
      tags,
      access: 'tenant',
      permission: 'identity.self',
      query: pageQuery,
      response: page(s.signedInSession),
      handler: ({ tx, principal, query }) => service.listSessions(tx, principal.userId!, principal.sessionId, query),
    }),
    route({
      method: 'POST',
      url: '/api/v1/auth/password',
      summary: 'Change my password (ends my other sessions)',
      tags,
      access: 'tenant',
      permission: 'identity.self',
      body: s.changePasswordBody,
      example: { current_password: 'old password here', new_password: 'a new long passphrase' },
      response: s.signedOutCount,
      rateLimit: { max: 10, timeWindow: FIFTEEN_MINUTES, by: 'ip' },
      noIdempotency: 'the body carries a secret',
      handler: async ({ tx, principal, body, audit }) => {
        if (principal.kind !== 'session') throw errors.forbidden('password change from a kiosk');
        const n = await service.changePassword(tx, deps.sessions, principal.userId!, principal.sessionId, body.current_password, body.new_password);
        await audit({ action: 'auth.password_changed', resourceType: 'user', resourceId: principal.userId, risk: 'high', changes: { sessions_ended: n } });
        return { sessions_ended: n };
      },
    }),
    route({
      method: 'PUT',
      url: '/api/v1/auth/pin',
      summary: 'Set my kiosk PIN',
      tags,
      access: 'tenant',
      permission: 'identity.self',
      body: s.setPinBody,
      example: { current_password: 'my password', pin: '4821' },
      status: 204,
      response: z.null(),
      rateLimit: { max: 10, timeWindow: FIFTEEN_MINUTES, by: 'ip' },
      handler: async ({ tx, principal, body, audit }) => {
        if (principal.kind !== 'session') throw errors.forbidden('PIN change from a kiosk');
        await service.setPin(tx, principal.userId!, body.current_password, body.pin);
        await audit({ action: 'auth.pin_changed', resourceType: 'user', resourceId: principal.userId, risk: 'medium' });
        return null;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/auth/password-reset',
      summary: 'Mail a password reset link (answers the same whether or not the email is known)',
      tags,
      access: 'public',
      body: s.resetRequestBody,
      example: { email: 'staff@demo.brigade.test' },
      status: 202,
      response: s.accepted,
      rateLimit: { max: 5, timeWindow: FIFTEEN_MINUTES, by: 'ip_email' },
      noAudit: 'the job that finds the person writes the audit record; writing one here would tell whether the email exists',
      handler: async ({ tx, tenant, body, meta }) => {
        await jobs.enqueue(tx, 'identity.password_reset', { email: body.email, slug: tenant.slug, name: tenant.name, ip: meta.ip, request_id: meta.requestId });
        return { ok: true as const };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/auth/password-reset/confirm',
      summary: 'Choose a new password with the mailed link (ends every session)',
      tags,
      access: 'public',
      body: s.resetConfirmBody,
      example: { token: 'br_xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', password: 'a new long passphrase' },
      response: s.accepted,
      rateLimit: { max: 10, timeWindow: FIFTEEN_MINUTES, by: 'ip' },
      noIdempotency: 'the body carries a secret',
      handler: async ({ tx, body, audit }) => {
        const userId = await service.confirmPasswordReset(tx, deps.sessions, body.token, body.password);
        await audit({ action: 'auth.password_reset', resourceType: 'user', resourceId: userId, risk: 'high', actor: { type: 'user', id: userId, label: 'password reset link' } });
        return { ok: true as const };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/auth/accept-invitation',
      summary: 'Accept an invitation: set name and password, and sign in',
      tags,
      access: 'public',
      body: s.acceptInvitationBody,
      example: { token: 'bi_xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', name: 'Ana Lopez', password: 'a new long passphrase' },
      response: s.invitationAccepted,
      rateLimit: { max: 10, timeWindow: FIFTEEN_MINUTES, by: 'ip' },
      noIdempotency: 'the body carries a secret',
      handler: async ({ tx, body, meta, reply, audit }) => {
        const r = await service.acceptInvitation(tx, deps.sessions, deps.session, meta, body);
        await audit({
          action: 'identity.invitation_accepted',
          resourceType: 'invitation',
          resourceId: r.invitation.id,
          risk: 'medium',
          actor: { type: 'user', id: r.userId, label: r.invitation.email },
          changes: { role: r.invitation.role, location_id: r.invitation.location_id, existing_account: r.existing },
        });
        if (r.session) cookies.set(reply, cookies.session, r.session.token, r.session.expiresAt);
        return { user_id: r.userId, signed_in: Boolean(r.session), csrf_token: r.session ? reply.generateCsrf({ userInfo: r.session.sessionId }) : null };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/kiosk/staff',
      summary: 'The people who may sign in with a PIN on this kiosk (device credential)',
      tags: ['kiosks'],
      access: 'tenant',
      permission: 'identity.kiosk.device',
      response: s.kioskStaff,
      handler: async ({ tx, principal }) => ({ items: await service.kioskStaff(tx, principal.kioskId!) }),
    }),
    route({
      method: 'POST',
      url: '/api/v1/auth/pin-sign-in',
      summary: 'Sign in on a registered kiosk with a PIN (device credential); 5 wrong PINs lock the PIN for 15 minutes',
      tags,
      access: 'tenant',
      permission: 'identity.kiosk.device',
      body: s.pinSignInBody,
      example: { user_id: '01938f5e-0000-7000-8000-000000000000', pin: '4821' },
      response: s.signedIn,
      rateLimit: { max: 30, timeWindow: FIFTEEN_MINUTES, by: 'ip' },
      noIdempotency: 'the body carries a secret',
      handler: async ({ tx, principal, body, meta, reply, audit }) => {
        const r = await service.pinSignIn(tx, principal.kioskId!, body.user_id, body.pin, meta);
        if (r.ok) {
          cookies.set(reply, cookies.session, r.session.token, r.session.expiresAt);
          await audit({ action: 'auth.pin_signed_in', resourceType: 'session', resourceId: r.session.sessionId, actor: { type: 'user', id: r.userId, label: r.email } });
          return { user_id: r.userId, expires_at: r.session.expiresAt, csrf_token: reply.generateCsrf({ userInfo: r.session.sessionId }) };
        }
        if (r.reason === 'unknown') {
          await audit({ action: 'auth.pin_sign_in_failed', resourceType: 'user', resourceId: body.user_id, risk: 'medium' });
          return failAfterCommit(errors.badRequest('invalid_pin', 'The PIN is not correct.', 'body.pin'));
        }
        if (r.reason === 'locked') {
          await audit({ action: r.justLocked ? 'auth.pin_locked' : 'auth.pin_sign_in_refused', resourceType: 'user', resourceId: r.userId, risk: r.justLocked ? 'high' : 'medium' });
          return failAfterCommit(
            errors.locked('pin_locked', `Too many wrong PINs. The PIN is locked for ${Math.ceil(r.retryAfterSeconds / 60)} minutes; ask a manager or sign in with your password.`, r.retryAfterSeconds),
          );
        }
        await audit({ action: 'auth.pin_sign_in_failed', resourceType: 'user', resourceId: r.userId, risk: 'medium', changes: { attempts_left: r.remaining } });
        return failAfterCommit(
          new AppError(400, 'invalid_pin', `The PIN is not correct. ${r.remaining} ${r.remaining === 1 ? 'try' : 'tries'} left before it locks.`, [
            { field: 'body.pin', code: 'invalid_pin', message: 'PIN is not correct' },
          ], { attempts_left: r.remaining }),
        );
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/kiosks',
      summary: 'Register a kiosk for a location (the device token is shown once)',
      tags: ['kiosks'],
      access: 'tenant',
      permission: 'identity.kiosk.manage',
      body: s.registerKioskBody,
      example: { location_id: '01938f5e-0000-7000-8000-000000000000', name: 'Front door tablet' },
      status: 201,
      response: s.registeredKiosk,
      handler: async ({ tx, principal, body, audit }) => {
        if (!principal.at('identity.kiosk.manage', body.location_id)) throw errors.forbidden('identity.kiosk.manage');
        const r = await service.registerKiosk(tx, principal.userId, body);
        await audit({ action: 'identity.kiosk_registered', resourceType: 'kiosk', resourceId: r.kiosk.id, locationId: body.location_id, risk: 'high', changes: { name: body.name } });
        return r;
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/kiosks',
      summary: 'Registered kiosks',
      tags: ['kiosks'],
      access: 'tenant',
      permission: 'identity.kiosk.manage',
      query: pageQuery,
      response: page(s.kiosk),
      handler: ({ tx, principal, query }) => service.listKiosks(tx, principal.scope('identity.kiosk.manage'), query),
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/kiosks/:id',
      summary: 'Revoke a kiosk: its device token stops working and its PIN sessions end',
      tags: ['kiosks'],
      access: 'tenant',
      permission: 'identity.kiosk.manage',
      resource: 'kiosk',
      params: idParams,
      status: 204,
      response: z.null(),
      handler: async ({ tx, principal, params, audit }) => {
        const k = await service.revokeKiosk(tx, deps.sessions, params.id, principal.scope('identity.kiosk.manage'));
        await audit({ action: 'identity.kiosk_revoked', resourceType: 'kiosk', resourceId: k.id, locationId: k.location_id, risk: 'high' });
        return null;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/invitations',
      summary: 'Invite someone by email to a role (never broader than one\'s own)',
      tags: ['people'],
      access: 'tenant',
      consumes: ['employees', 'users'],
      permission: 'identity.invitation.create',
      body: s.inviteBody,
      example: { email: 'new.cook@example.com', role: 'admin' },
      status: 201,
      response: s.invitation,
      handler: async ({ tx, principal, tenant, body, audit }) => {
        const inv = await service.invite(tx, deps, principal, tenant, body);
        await audit({ action: 'identity.invitation_sent', resourceType: 'invitation', resourceId: inv.id, locationId: inv.location_id, risk: 'medium', changes: { email: inv.email, role: inv.role } });
        return inv;
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/invitations',
      summary: 'Invitations sent (to my locations, for location-scoped roles), newest first',
      tags: ['people'],
      access: 'tenant',
      permission: 'identity.invitation.create',
      query: pageQuery,
      response: page(s.invitation),
      handler: ({ tx, principal, query }) => service.listInvitations(tx, principal.scope('identity.invitation.create'), query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/users',
      summary: 'The people of the business (of my locations, for location-scoped roles)',
      tags: ['people'],
      access: 'tenant',
      permission: 'identity.user.read',
      query: pageQuery,
      response: page(s.user),
      handler: ({ tx, principal, query }) => service.listUsers(tx, principal.scope('identity.user.read'), query),
    }),
    ...apiKeyRoutes(deps),
    route({
      method: 'POST',
      url: '/api/v1/platform/auth/sign-in',
      summary: 'Platform operator sign-in, step 1: the password, which yields a challenge for the second factor (never a session)',
      tags: ['platform'],
      access: 'platform_public',
      body: s.platformSignInBody,
      example: { email: 'admin@brigade.test', password: 'correct horse battery' },
      response: s.platformChallenge,
      rateLimit: { max: 10, timeWindow: FIFTEEN_MINUTES, by: 'ip_email' },
      noIdempotency: 'the body carries a secret',
      handler: async ({ tx, body, meta, audit }) => {
        const r = await service.platformSignIn(tx, body.email, body.password, meta);
        if (!r.ok && r.locked) {
          await audit({
            action: 'platform.sign_in_refused_second_factor_locked',
            resourceType: 'platform_user',
            resourceId: r.userId,
            risk: 'high',
            actor: { type: 'platform', id: r.userId, label: body.email },
          });
          return failAfterCommit(
            errors.locked(
              'second_factor_locked',
              `Too many wrong codes: the second sign-in step is locked for up to ${Math.ceil(r.locked.retryAfterSeconds / 60)} minutes.`,
              r.locked.retryAfterSeconds,
            ),
          );
        }
        if (!r.ok) {
          await audit({ action: 'platform.sign_in_failed', resourceType: 'platform_user', resourceId: r.userId, risk: 'medium', changes: { email: body.email } });
          return failAfterCommit(errors.invalidCredentials());
        }
        await audit({
          action: 'platform.sign_in_password_ok',
          resourceType: 'platform_user',
          resourceId: r.userId,
          actor: { type: 'platform', id: r.userId, label: body.email },
          changes: { second_factor: r.secondFactor },
        });
        return { second_factor: r.secondFactor, challenge: r.challenge, expires_at: r.expiresAt };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/platform/auth/totp/enrol',
      summary: 'Platform sign-in, step 2 the first time: a new authenticator secret and its otpauth:// link (active once a code from it is verified)',
      tags: ['platform'],
      access: 'platform_public',
      body: s.platformTotpEnrolBody,
      example: { challenge: 'bpc_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' },
      response: s.platformTotpEnrolment,
      rateLimit: { max: 20, timeWindow: FIFTEEN_MINUTES, by: 'ip' },
      noIdempotency: 'the body carries a secret, and so does the answer',
      handler: async ({ tx, body, audit }) => {
        const r = await service.platformTotpEnrol(tx, body.challenge);
        if ('refused' in r) {
          if (r.refused === 'invalid' || r.refused === 'exhausted') return challengeRefusal(audit, r, 'enrol');
          await audit({ action: 'platform.totp_enrol_refused', resourceType: 'platform_user', resourceId: r.userId, risk: 'medium', actor: platformActor(r) });
          return failAfterCommit(errors.conflict('totp_already_enrolled', 'An authenticator is already set up for this account: give its code (or a recovery code) to /api/v1/platform/auth/totp/verify.'));
        }
        await audit({ action: 'platform.totp_enrolment_started', resourceType: 'platform_user', resourceId: r.userId, risk: 'medium', actor: platformActor(r) });
        return { secret: r.secret, otpauth_url: r.otpauthUrl };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/platform/auth/totp/verify',
      summary: `Platform sign-in, step 2: the authenticator's code or a recovery code; opens the session (and, on enrolment, shows the recovery codes once)`,
      tags: ['platform'],
      access: 'platform_public',
      body: s.platformSecondFactorBody,
      example: { challenge: 'bpc_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', code: '123456' },
      response: s.platformSignedIn,
      rateLimit: { max: 30, timeWindow: FIFTEEN_MINUTES, by: 'ip' },
      noIdempotency: 'the body carries a secret',
      handler: async ({ tx, body, meta, reply, audit }) => {
        const method = body.code !== undefined ? 'totp' : 'recovery_code';
        const r = await service.platformSecondFactor(tx, body, meta);
        if ('refused' in r) {
          if (r.refused === 'invalid' || r.refused === 'exhausted') return challengeRefusal(audit, r, 'verify');
          if (r.refused === 'wrong') {
            const exhausted = r.attemptsLeft <= 0;
            await audit({
              action: 'platform.second_factor_failed',
              resourceType: 'platform_user',
              resourceId: r.userId,
              risk: exhausted ? 'high' : 'medium',
              actor: platformActor(r),
              changes: { method, replayed: r.replayed, attempts_left: r.attemptsLeft },
            });
            if (exhausted) return failAfterCommit(challengeExhausted());
            const field = method === 'totp' ? 'body.code' : 'body.recovery_code';
            const [code, message] = r.replayed
              ? ['totp_code_replayed', 'This code was already used: wait for the next one your authenticator app shows.']
              : method === 'totp'
                ? ['invalid_totp_code', 'The code is not correct.']
                : ['invalid_recovery_code', 'The recovery code is not correct, or was already used.'];
            return failAfterCommit(
              new AppError(401, code, `${message} ${r.attemptsLeft} ${r.attemptsLeft === 1 ? 'try' : 'tries'} left before you must sign in again.`, [
                { field, code, message },
              ], { attempts_left: r.attemptsLeft }),
            );
          }
          await audit({ action: 'platform.second_factor_refused', resourceType: 'platform_user', resourceId: r.userId, risk: 'low', actor: platformActor(r), changes: { reason: r.refused } });
          if (r.refused === 'already_enrolled') {
            return failAfterCommit(errors.conflict('totp_already_enrolled', 'An authenticator was set up for this account meanwhile: sign in again and give its code.'));
          }
          return failAfterCommit(
            r.refused === 'not_enrolled'
              ? errors.conflict('totp_enrolment_required', 'Set up an authenticator first: POST /api/v1/platform/auth/totp/enrol with this challenge.', 'body.challenge')
              : errors.badRequest('recovery_codes_not_issued', 'Recovery codes are issued once an authenticator is set up; give its code instead.', 'body.recovery_code'),
          );
        }
        const actor = platformActor(r);
        if (r.enrolled) await audit({ action: 'platform.totp_enrolled', resourceType: 'platform_user', resourceId: r.userId, risk: 'high', actor, changes: { recovery_codes_issued: r.recoveryCodes?.length ?? 0 } });
        if (r.recoveryCodesLeft !== null) {
          await audit({ action: 'platform.recovery_code_used', resourceType: 'platform_user', resourceId: r.userId, risk: 'high', actor, changes: { recovery_codes_left: r.recoveryCodesLeft } });
        }
        reply.setCookie(cookies.platform, r.session.token, cookies.options());
        await audit({ action: 'platform.signed_in', resourceType: 'platform_user', resourceId: r.userId, actor, changes: { second_factor: method } });
        return {
          user_id: r.userId,
          csrf_token: reply.generateCsrf({ userInfo: r.session.sessionId }),
          ...(r.recoveryCodes ? { recovery_codes: r.recoveryCodes } : {}),
        };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/platform/auth/session',
      summary: 'Who the signed-in operator is, their role and permissions, and a CSRF token for changes',
      tags: ['platform'],
      access: 'platform',
      permission: 'platform.tenants.read',
      response: z.object({ user_id: z.uuid(), email: z.string(), role: z.string(), permissions: z.array(z.string()), csrf_token: z.string() }),
      handler: async ({ principal, reply }) => ({
        user_id: principal.userId,
        email: principal.label,
        role: principal.role,
        permissions: [...PLATFORM_ROLE_PERMISSIONS[principal.role]],
        csrf_token: reply.generateCsrf({ userInfo: principal.sessionId }),
      }),
    }),
    route({
      method: 'POST',
      url: '/api/v1/platform/auth/sign-out',
      summary: 'End the operator’s platform session',
      tags: ['platform'],
      access: 'platform',
      permission: 'platform.tenants.read',
      status: 204,
      response: z.null(),
      handler: async ({ tx, principal, reply, audit }) => {
        await tx.query(`UPDATE platform_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [principal.sessionId]);
        cookies.clear(reply, cookies.platform);
        await audit({ action: 'platform.signed_out', resourceType: 'platform_user', resourceId: principal.userId });
        return null;
      },
    }),
  ];
}

type PlatformAudit = (entry: AuditEntry) => Promise<void>;

function platformActor(who: { userId: string; email: string }) {
  return { type: 'platform' as const, id: who.userId, label: who.email };
}

function challengeExhausted() {
  return new AppError(429, 'sign_in_challenge_exhausted', 'Too many wrong codes for this sign-in: sign in again with your password.', [
    { field: 'body.challenge', code: 'sign_in_challenge_exhausted', message: 'too many wrong codes' },
  ]);
}

/** The answer when the challenge itself is refused: unknown, expired, used, or worn out by wrong codes. */
async function challengeRefusal(audit: PlatformAudit, r: service.ChallengeRefusal, step: 'enrol' | 'verify'): Promise<never> {
  if (r.refused === 'exhausted') {
    await audit({ action: 'platform.sign_in_challenge_refused', resourceType: 'platform_user', resourceId: r.userId, risk: 'medium', actor: platformActor(r), changes: { step, reason: 'too_many_wrong_codes' } });
    return failAfterCommit(challengeExhausted());
  }
  await audit({ action: 'platform.sign_in_challenge_refused', resourceType: 'platform_sign_in_challenge', risk: 'low', changes: { step, reason: 'expired_used_or_unknown' } });
  return failAfterCommit(
    new AppError(401, 'sign_in_challenge_invalid', 'This sign-in step has expired or was already used: sign in again with your password.', [
      { field: 'body.challenge', code: 'sign_in_challenge_invalid', message: 'is expired, used or unknown' },
    ]),
  );
}
