import { createHash, randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { writeAudit, writePlatformAudit, type RequestMeta } from '../core/audit.ts';
import type { PlatformTx } from '../core/db/tx.ts';
import { AppError, errors } from '../core/errors.ts';
import type { Jobs } from '../core/jobs.ts';
import type { StarterData } from '../core/starter.ts';
import { assertPassword, createUser } from '../identity/service.ts';
import { hashSecret } from '../identity/secrets.ts';
import type { Mailer } from '../integrations/mail.ts';
import { createLocationRow } from '../org/service.ts';
import { JOB_TRIAL_END } from './lifecycle.ts';
import { platformSettings } from './platform-settings.ts';
import { createTenant, slugAvailable } from './service.ts';
import { featureOverridesOf, templateOf, type TemplateCode } from './templates.ts';

const LINK_HOURS = 24;
const sha256 = (s: string) => createHash('sha256').update(s).digest();

export interface SignUpDeps {
  jobs: Jobs;
  mailer: Mailer;
  starter: StarterData;
  /** The platform's own address (no business yet), for the verification link. */
  publicUrl: string;
  tenantUrl(slug: string): string;
}

export interface SignUpInput {
  business_name: string;
  slug: string;
  email: string;
  template: TemplateCode;
  time_zone: string;
}

/** The operator can close self-service sign-up (a link already mailed stops working too). */
async function assertSignUpOpen(tx: PlatformTx) {
  const settings = await platformSettings(tx);
  if (!settings.sign_up_open) {
    throw new AppError(403, 'sign_up_closed', `New businesses cannot sign up on their own just now.${settings.support_email ? ` Write to ${settings.support_email}.` : ''}`);
  }
  return settings;
}

/**
 * Step 1: records the request and mails a link that proves the address. Nothing of the business exists until the
 * link is used, so an address that is not the signer's own cannot be made the owner of anything. The mail is
 * sent before the request commits: if the mail server refuses it, the request fails and can be retried.
 */
/** `log` is the request's, so what this writes (the link, when there is no mail server) carries its request id. */
export async function startSignUp(tx: PlatformTx, deps: SignUpDeps, input: SignUpInput, log: FastifyBaseLogger): Promise<void> {
  await assertSignUpOpen(tx);
  if (!(await slugAvailable(tx, input.slug))) throw errors.conflict('slug_taken', `The address ${input.slug} is taken.`, 'body.slug');
  const token = `bsu_${randomBytes(32).toString('base64url')}`;
  await tx.query(
    `INSERT INTO sign_ups (id, email, slug, business_name, template, time_zone, token_hash, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(hours => $8))`,
    [uuidv7(), input.email, input.slug, input.business_name, input.template, input.time_zone, sha256(token), LINK_HOURS],
  );
  const link = `${deps.publicUrl}/sign-up/verify#${token}`;
  const outcome = await deps.mailer
    .sendNow(
      {
        to: input.email,
        subject: `Confirm your email to open ${input.business_name} on Brigade`,
        body: `Welcome to Brigade.\n\nConfirm this address and choose your password to open ${input.business_name} (${deps.tenantUrl(input.slug)}):\n${link}\n\nThe link works for ${LINK_HOURS} hours. If you did not sign up, ignore this mail.`,
      },
      log,
    )
    .catch((err: unknown) => {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'sign-up mail failed');
      throw new AppError(503, 'mail_unavailable', 'The confirmation mail could not be sent just now. Try again in a minute.');
    });
  // Without a mail server (a laptop), the link goes to the log so the person running Brigade can follow it.
  if (outcome === 'kept') log.info({ to: input.email, link }, 'sign-up confirmation link (no SMTP_URL configured)');
}

/**
 * Step 2: the link, the owner's name and password. Creates the trial business with its template's features and
 * settings, its first location, its owner, and each module's starter data, all in one transaction.
 */
export async function completeSignUp(
  tx: PlatformTx,
  deps: SignUpDeps,
  meta: RequestMeta,
  input: { token: string; name: string; password: string },
): Promise<{ tenant_id: string; slug: string; sign_in_url: string; starter_data: string[] }> {
  const [s] = await tx.query<{ id: string; email: string; slug: string; business_name: string; template: string; time_zone: string }>(
    `SELECT id, email, slug, business_name, template, time_zone FROM sign_ups
      WHERE token_hash = $1 AND completed_at IS NULL AND expires_at > now() FOR UPDATE`,
    [sha256(input.token)],
  );
  if (!s) throw new AppError(404, 'sign_up_link_invalid', 'This link is not valid any more: it was used, or it expired. Sign up again.', [{ field: 'body.token', code: 'sign_up_link_invalid', message: 'used, expired or unknown' }]);
  assertPassword(input.password, 'body.password');
  if (!(await slugAvailable(tx, s.slug))) throw errors.conflict('slug_taken', `The address ${s.slug} was taken meanwhile. Sign up again with another.`, 'body.token');

  const { trial_days, sign_up_plan } = await assertSignUpOpen(tx);
  const template = templateOf(s.template);
  const id = uuidv7();
  await createTenant(tx, id, {
    slug: s.slug,
    name: s.business_name,
    status: 'trial',
    plan: sign_up_plan,
    trialDays: trial_days,
    timeZone: s.time_zone,
    currency: template.currency,
    locale: template.locale,
  });
  await tx.query(`UPDATE tenants SET feature_overrides = $2, roles_in_use = $3 WHERE id = $1`, [id, JSON.stringify(featureOverridesOf(template)), template.roles]);
  await deps.jobs.enqueueFor(tx, id, JOB_TRIAL_END, {}, trial_days * 86_400);
  const passwordHash = await hashSecret(input.password);
  const starterData = await tx.asTenant(id, async (ttx) => {
    const location = await createLocationRow(ttx, { name: s.business_name.slice(0, 120), address: null, time_zone: s.time_zone });
    const owner = await createUser(ttx, { email: s.email, name: input.name, passwordHash, roles: [{ role: 'owner', location_id: null }] });
    const applied = await deps.starter.apply(ttx, {
      template: s.template,
      features: template.features,
      businessName: s.business_name,
      locationId: location.id,
      names: template.names,
    });
    await writeAudit(ttx, meta, {
      action: 'tenant.created',
      resourceType: 'tenant',
      resourceId: id,
      risk: 'high',
      actor: { type: 'user', id: owner, label: s.email },
      changes: { via: 'sign_up', template: s.template, starter_data: applied },
    });
    return applied;
  });
  await tx.query(`UPDATE sign_ups SET completed_at = now(), tenant_ref = $2 WHERE id = $1`, [s.id, id]);
  await writePlatformAudit(tx, meta, {
    action: 'tenant.signed_up',
    resourceType: 'tenant',
    resourceId: id,
    targetTenantId: id,
    risk: 'high',
    changes: { slug: s.slug, template: s.template, owner: s.email },
  });
  return { tenant_id: id, slug: s.slug, sign_in_url: `${deps.tenantUrl(s.slug)}/sign-in`, starter_data: starterData };
}
