import { z } from 'zod';
import { email, instant, text, uuid } from '../core/schemas.ts';
import { TENANT_ROLES } from './permissions.ts';

// Length is checked by zod; strength (common passwords) by the service, so the message can name the reason.
const password = z.string().min(8, 'must be at least 8 characters').max(128, 'must be at most 128 characters');
const pin = z.string().regex(/^[0-9]{4,6}$/, 'must be 4 to 6 digits');
const token = z.string().min(10).max(200);

export const signInBody = z.strictObject({ email, password: z.string().min(1).max(128) });
export const signedIn = z.object({ user_id: uuid, expires_at: instant, csrf_token: z.string() });

export const csrfToken = z.object({ csrf_token: z.string() });

export const session = z.object({
  user: z.object({ id: uuid, email: z.string(), name: z.string(), has_pin: z.boolean() }),
  tenant: z.object({ id: uuid, slug: z.string(), name: z.string(), roles_in_use: z.array(z.enum(TENANT_ROLES)) }),
  kind: z.enum(['session', 'pin_session', 'kiosk_device', 'support_session', 'api_key']),
  kiosk_id: uuid.nullable(),
  roles: z.array(z.object({ role: z.enum(TENANT_ROLES), location_id: uuid.nullable() })),
  permissions: z.record(z.string(), z.union([z.literal('all'), z.array(uuid)])),
  /** Set while an operator looks in through a support session: who, and until when. */
  support: z.object({ operator_label: z.string(), expires_at: instant }).nullable(),
});

export const signedInSession = z.object({
  id: uuid,
  kind: z.string(),
  created_at: instant,
  last_seen_at: instant,
  expires_at: instant,
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  current: z.boolean(),
});

export const changePasswordBody = z.strictObject({ current_password: z.string().min(1).max(128), new_password: password });
export const setPinBody = z.strictObject({ current_password: z.string().min(1).max(128), pin });
export const signedOutCount = z.object({ sessions_ended: z.number().int() });

export const resetRequestBody = z.strictObject({ email });
export const resetConfirmBody = z.strictObject({ token, password });
export const accepted = z.object({ ok: z.literal(true) });

export const acceptInvitationBody = z.strictObject({ token, name: text(120), password });
export const invitationAccepted = z.object({ user_id: uuid, signed_in: z.boolean(), csrf_token: z.string().nullable() });

export const kiosk = z.object({ id: uuid, location_id: uuid, name: z.string(), created_at: instant, revoked_at: instant.nullable() });
export const registerKioskBody = z.strictObject({ location_id: uuid, name: text(80) });
export const registeredKiosk = z.object({ kiosk, device_token: z.string() });
export const kioskStaff = z.object({ items: z.array(z.object({ id: uuid, name: z.string() })) });
export const pinSignInBody = z.strictObject({ user_id: uuid, pin });

export const invitation = z.object({
  id: uuid,
  email: z.string(),
  role: z.enum(TENANT_ROLES),
  location_id: uuid.nullable(),
  expires_at: instant,
  accepted_at: instant.nullable(),
  created_at: instant,
});
export const inviteBody = z.strictObject({ email, role: z.enum(TENANT_ROLES), location_id: uuid.nullable().optional() });

export const user = z.object({
  id: uuid,
  email: z.string(),
  name: z.string(),
  status: z.string(),
  roles: z.array(z.object({ role: z.enum(TENANT_ROLES), location_id: uuid.nullable() })),
});

export const platformSignInBody = z.strictObject({ email, password: z.string().min(1).max(128) });
/** A correct password yields this, never a session: the next step enrols an authenticator or checks its code. */
export const platformChallenge = z.object({ second_factor: z.enum(['enrol', 'verify']), challenge: z.string(), expires_at: instant });
const challenge = z.string().min(10).max(200);
export const platformTotpEnrolBody = z.strictObject({ challenge });
export const platformTotpEnrolment = z.object({ secret: z.string(), otpauth_url: z.string() });
export const platformSecondFactorBody = z
  .strictObject({
    challenge,
    code: z.string().trim().regex(/^[0-9]{6}$/, 'must be the 6 digits the authenticator app shows').optional(),
    recovery_code: z.string().trim().min(1).max(64).optional(),
  })
  .superRefine((b, ctx) => {
    if (b.code === undefined && b.recovery_code === undefined) ctx.addIssue({ code: 'custom', path: ['code'], message: 'is required (or a recovery_code)' });
    if (b.code !== undefined && b.recovery_code !== undefined) ctx.addIssue({ code: 'custom', path: ['recovery_code'], message: 'must not be sent together with code' });
  });
/** `recovery_codes` only on the sign-in that completes an enrolment: shown this once, stored only as hashes. */
export const platformSignedIn = z.object({ user_id: uuid, csrf_token: z.string(), recovery_codes: z.array(z.string()).optional() });

export const profileBody = z.strictObject({ name: text(120) });
export const profile = z.object({ id: uuid, email: z.string(), name: z.string() });

export const activity = z.object({
  items: z.array(
    z.object({
      seq: z.number().int(),
      at: instant,
      action: z.string(),
      resource_type: z.string(),
      resource_id: z.string().nullable(),
      location_id: uuid.nullable(),
      risk: z.enum(['low', 'medium', 'high', 'critical']),
    }),
  ),
});

export const businesses = z.object({ items: z.array(z.object({ slug: z.string(), name: z.string(), url: z.string() })) });
