import { v7 as uuidv7 } from 'uuid';
import { scopeChecks, type Principal, type PlatformPrincipal } from '../core/access.ts';
import type { Database, PlatformTx, TenantTx } from '../core/db/tx.ts';
import { errors } from '../core/errors.ts';
import { decodeCursor, toPage } from '../core/schemas.ts';
import { diff } from '../core/audit.ts';
import { issuePlatformToken, issueToken, parsePlatformToken, parseToken } from '../core/tokens.ts';
import type { Mailer } from '../integrations/mail.ts';
import {
  INVITABLE_BY,
  LOCATION_SCOPED,
  PLATFORM_ROLE_PERMISSIONS,
  ROLE_PERMISSIONS,
  TENANT_ROLES,
  scopeOf,
  type Permission,
  type PlatformRole,
  type RoleAssignment,
  type TenantRole,
} from './permissions.ts';
import { hashSecret, passwordProblem, verifySecret } from './secrets.ts';
import { locationExists } from '../org/service.ts';
import type { SessionCache } from './session-cache.ts';
import {
  CHALLENGE_MAX_FAILURES,
  CHALLENGE_MINUTES,
  challengeHash,
  checkTotpCode,
  issueChallenge,
  newRecoveryCodes,
  newTotpSecret,
  otpauthUrl,
  recoveryCodeHash,
} from './totp.ts';

export const TOKEN_PREFIX = { session: 'bs_', kiosk: 'bk_', invitation: 'bi_', reset: 'br_' } as const;

export const PIN_MAX_FAILURES = 5;
export const PIN_LOCK_MINUTES = 15;
const PIN_SESSION = { idleSeconds: 120, absoluteSeconds: 30 * 60 };
const INVITATION_DAYS = 7;
const RESET_MINUTES = 30;

export interface SessionPolicy {
  idleSeconds: number;
  absoluteSeconds: number;
}

export interface IdentityDeps {
  mailer: Mailer;
  sessions: SessionRowCache;
  /** The address of a tenant's pages, e.g. http://demo.localhost:3000 */
  tenantUrl(slug: string): string;
  session: SessionPolicy;
}

// ------------------------------------------------------------------ principals

interface SessionRow {
  id: string;
  user_id: string;
  kind: 'password' | 'pin';
  kiosk_id: string | null;
  kiosk_location_id: string | null;
  name: string;
  email: string;
  roles: RoleAssignment[];
}

export function buildPrincipal(tenantId: string, row: SessionRow, viaCookie: boolean): Principal {
  const kiosk = row.kind === 'pin';
  const scopes = new Map<string, 'all' | string[]>();
  const scope = (permission: string): 'all' | string[] => {
    let s = scopes.get(permission);
    if (!s) {
      s = scopeOf(row.roles, permission, kiosk);
      // A PIN session acts only at the kiosk's own location.
      if (kiosk && row.kiosk_location_id) s = s === 'all' || s.includes(row.kiosk_location_id) ? [row.kiosk_location_id] : [];
      scopes.set(permission, s);
    }
    return s;
  };
  return {
    kind: kiosk ? 'pin_session' : 'session',
    tenantId,
    userId: row.user_id,
    sessionId: row.id,
    kioskId: row.kiosk_id,
    label: row.email,
    viaCookie,
    ...scopeChecks(scope),
  };
}

export type SessionRowCache = SessionCache<SessionRow>;

/**
 * Resolves a session cookie: from the session cache, or in one round trip that binds the tenant, slides the
 * idle window and loads the person and roles through session_principal() (migrations/002).
 */
export async function principalFromSession(
  db: Database,
  cache: SessionRowCache,
  token: string | undefined,
  viaCookie: boolean,
): Promise<Principal | null> {
  const parsed = parseToken(TOKEN_PREFIX.session, token);
  if (!parsed) return null;
  const row = await cache.load(parsed.tenantId, parsed.hash, () =>
    db.withTenant(parsed.tenantId, { type: 'system', id: null, label: 'auth' }, 'read', async (tx) => {
      const [r] = await tx.query<SessionRow>(
        `SELECT session_id AS id, user_id, kind, kiosk_id, kiosk_location_id, name, email, roles FROM session_principal($1, $2)`,
        [parsed.tenantId, parsed.hash],
      );
      return r ?? null;
    }),
  );
  return row ? buildPrincipal(parsed.tenantId, row, viaCookie) : null;
}

/** A registered kiosk device: it may list the location's staff and let them sign in with a PIN, nothing else. */
export async function principalFromKiosk(db: Database, token: string | undefined): Promise<Principal | null> {
  const parsed = parseToken(TOKEN_PREFIX.kiosk, token);
  if (!parsed) return null;
  const [k] = await db.withTenant(parsed.tenantId, { type: 'system', id: null, label: 'auth' }, 'read', (tx) =>
    tx.query<{ id: string; name: string; location_id: string }>(
      `SELECT id, name, location_id FROM kiosks WHERE tenant_id = $1 AND token_hash = $2 AND revoked_at IS NULL`,
      [parsed.tenantId, parsed.hash],
    ),
  );
  if (!k) return null;
  const allowed = (p: string) => p === 'identity.kiosk.device';
  return {
    kind: 'kiosk_device',
    tenantId: parsed.tenantId,
    userId: null,
    sessionId: null,
    kioskId: k.id,
    label: `kiosk:${k.name}`,
    viaCookie: false,
    has: allowed,
    at: (p, loc) => allowed(p) && loc === k.location_id,
    scope: (p) => (allowed(p) ? [k.location_id] : []),
  };
}

export async function platformPrincipal(db: Database, token: string | undefined, viaCookie: boolean): Promise<PlatformPrincipal | null> {
  const hash = parsePlatformToken(token);
  if (!hash) return null;
  const [row] = await db.withPlatform({ type: 'system', id: null, label: 'auth' }, (tx) =>
    tx.query<{ session_id: string; user_id: string; email: string; role: PlatformRole }>(
      `UPDATE platform_sessions s SET last_seen_at = now(), idle_expires_at = least(s.expires_at, now() + interval '30 minutes')
         FROM platform_users u
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.idle_expires_at > now() AND s.expires_at > now()
          AND u.id = s.user_id AND u.status = 'active'
        RETURNING s.id AS session_id, u.id AS user_id, u.email, u.role`,
      [hash],
    ),
  );
  if (!row) return null;
  const perms = new Set<string>(PLATFORM_ROLE_PERMISSIONS[row.role]);
  return { userId: row.user_id, sessionId: row.session_id, label: row.email, role: row.role, viaCookie, has: (p) => perms.has(p) };
}

// ------------------------------------------------------------------ sessions

export interface NewSession {
  token: string;
  sessionId: string;
  expiresAt: Date;
}

async function createSession(
  tx: TenantTx,
  userId: string,
  kind: 'password' | 'pin',
  policy: SessionPolicy,
  meta: { ip: string | null; userAgent: string | null },
  kioskId: string | null = null,
): Promise<NewSession> {
  const { token, hash } = issueToken(TOKEN_PREFIX.session, tx.tenantId);
  const id = uuidv7();
  const [row] = await tx.query<{ expires_at: Date }>(
    `INSERT INTO sessions (tenant_id, id, user_id, token_hash, kind, kiosk_id, idle_seconds, idle_expires_at, expires_at, ip, user_agent)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $7::int), now() + make_interval(secs => $8::int), $9, $10)
     RETURNING expires_at`,
    [tx.tenantId, id, userId, hash, kind, kioskId, policy.idleSeconds, policy.absoluteSeconds, meta.ip, meta.userAgent?.slice(0, 500) ?? null],
  );
  return { token, sessionId: id, expiresAt: row!.expires_at };
}

export const SIGN_IN_MAX_FAILURES = 20;
export const SIGN_IN_LOCK_MINUTES = 15;

export type SignInOutcome =
  | { ok: true; session: NewSession; userId: string }
  | { ok: false; userId: string | null; locked?: { retryAfterSeconds: number; justLocked: boolean } };

/**
 * Password sign-in. Wrong passwords are counted per account as well as per address (the route's rate limit), so
 * guessing spread over many addresses still locks the account for a while; a reset by email lifts the lock.
 * An email nobody has is counted and locked the same way (see unknownEmailFailure), and so is a disabled account:
 * otherwise the lock itself would tell which emails belong to someone.
 */
export async function signIn(
  tx: TenantTx,
  email: string,
  password: string,
  policy: SessionPolicy,
  meta: { ip: string | null; userAgent: string | null },
): Promise<SignInOutcome> {
  const [user] = await tx.query<{ id: string; password_hash: string | null; status: string; failures: number; locked_for: number | null }>(
    `SELECT id, password_hash, status, sign_in_failures AS failures,
            CASE WHEN sign_in_locked_until > now() THEN ceil(extract(epoch FROM sign_in_locked_until - now()))::int END AS locked_for
       FROM users WHERE tenant_id = $1 AND email = $2 FOR UPDATE`,
    [tx.tenantId, email],
  );
  // The hash is checked even when the answer is already known, so timing does not tell a locked account apart.
  const ok = await verifySecret(user?.password_hash, password);
  if (!user) return unknownEmailFailure(tx, email);
  if (user.locked_for !== null) return { ok: false, userId: user.id, locked: { retryAfterSeconds: user.locked_for, justLocked: false } };
  if (!ok || user.status !== 'active') {
    const failures = user.failures + 1;
    if (failures >= SIGN_IN_MAX_FAILURES) {
      await tx.query(
        `UPDATE users SET sign_in_failures = 0, sign_in_locked_until = now() + make_interval(mins => $3) WHERE tenant_id = $1 AND id = $2`,
        [tx.tenantId, user.id, SIGN_IN_LOCK_MINUTES],
      );
      return { ok: false, userId: user.id, locked: { retryAfterSeconds: SIGN_IN_LOCK_MINUTES * 60, justLocked: true } };
    }
    await tx.query(`UPDATE users SET sign_in_failures = $3 WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, user.id, failures]);
    return { ok: false, userId: user.id };
  }
  if (user.failures > 0) await tx.query(`UPDATE users SET sign_in_failures = 0 WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, user.id]);
  return { ok: true, session: await createSession(tx, user.id, 'password', policy, meta), userId: user.id };
}

/**
 * The count of wrong sign-ins for an email nobody has, kept in the shared rate-limit counters (every instance sees
 * it; no user row is invented) under a key of the business and the email, which the schema has already trimmed and
 * lower-cased. It mirrors an account's count: it never runs out before the lock (`infinity`), the lock lasts as
 * long, and a lock that ran out starts the count again. One statement, so a burst of guesses counts each one, and
 * as many round trips as the account's path. `hits` goes on counting past the limit while locked: exactly the
 * limit means this guess locked it, more means it was locked already.
 */
async function unknownEmailFailure(tx: TenantTx, email: string): Promise<SignInOutcome> {
  // Counted by the owner's function under the bound business (migration 020): the runtime role cannot read the table.
  const [c] = await tx.query<{ hits: number; locked_for: number | null }>(`SELECT hits, locked_for FROM brigade_unknown_email_failure($1, $2, $3)`, [
    email,
    SIGN_IN_MAX_FAILURES,
    SIGN_IN_LOCK_MINUTES,
  ]);
  if (c!.locked_for === null) return { ok: false, userId: null };
  return { ok: false, userId: null, locked: { retryAfterSeconds: c!.locked_for, justLocked: c!.hits === SIGN_IN_MAX_FAILURES } };
}

export async function revokeSession(tx: TenantTx, sessions: SessionRowCache, sessionId: string): Promise<void> {
  await tx.query(`UPDATE sessions SET revoked_at = now() WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL`, [tx.tenantId, sessionId]);
  await sessions.revoked(tx, { session: sessionId });
}

/** Ends a person's sessions; `except` keeps the one in use (after a password change). */
export async function revokeUserSessions(tx: TenantTx, sessions: SessionRowCache, userId: string, except: string | null = null): Promise<number> {
  const rows = await tx.query(
    `UPDATE sessions SET revoked_at = now() WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3::uuid) RETURNING id`,
    [tx.tenantId, userId, except],
  );
  await sessions.revoked(tx, { user: userId });
  return rows.length;
}

/** A page of lists: how many, and after which row (the cursor of an earlier page). */
export interface PageOptions {
  limit: number;
  cursor?: string | undefined;
}

/** Newest first; ids are UUIDv7, so their order is the order the sessions were opened in. */
export async function listSessions(tx: TenantTx, userId: string, current: string | null, opts: PageOptions) {
  const after = decodeCursor(opts.cursor, ['uuid']);
  const rows = await tx.query<{ id: string; kind: string; created_at: Date; last_seen_at: Date; expires_at: Date; ip: string | null; user_agent: string | null }>(
    `SELECT id, kind, created_at, last_seen_at, expires_at, ip, user_agent FROM sessions
      WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now() AND idle_expires_at > now()
        AND ($3::uuid IS NULL OR id < $3::uuid)
      ORDER BY id DESC LIMIT $4`,
    [tx.tenantId, userId, after ? after[0] : null, opts.limit + 1],
  );
  return toPage(rows.map((r) => ({ ...r, current: r.id === current })), opts.limit, (r) => [r.id]);
}

export async function whoAmI(tx: TenantTx, principal: Principal) {
  const [u] = await tx.query<{ id: string; email: string; name: string; has_pin: boolean }>(
    `SELECT id, email, name, pin_hash IS NOT NULL AS has_pin FROM users WHERE tenant_id = $1 AND id = $2`,
    [tx.tenantId, principal.userId],
  );
  if (!u) throw errors.unauthenticated();
  const roles = await tx.query<{ role: TenantRole; location_id: string | null }>(
    `SELECT role, location_id FROM role_assignments WHERE tenant_id = $1 AND user_id = $2 ORDER BY role, location_id`,
    [tx.tenantId, u.id],
  );
  const permissions: Record<string, 'all' | string[]> = {};
  for (const p of new Set(roles.flatMap((r) => ROLE_PERMISSIONS[r.role]))) {
    const s = principal.scope(p);
    if (s === 'all' || s.length) permissions[p] = s;
  }
  return { user: u, roles, permissions, kind: principal.kind, kiosk_id: principal.kioskId };
}

/** A person changes their own name; answers what the audit record needs. */
export async function updateProfile(tx: TenantTx, userId: string, input: { name: string }) {
  const [before] = await tx.query<{ name: string }>(`SELECT name FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tx.tenantId, userId]);
  if (!before) throw errors.unauthenticated();
  const [after] = await tx.query<{ id: string; email: string; name: string }>(
    `UPDATE users SET name = $3, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING id, email, name`,
    [tx.tenantId, userId, input.name],
  );
  return { after: after!, changes: diff(before, input) };
}

export async function changePassword(tx: TenantTx, sessions: SessionRowCache, userId: string, sessionId: string | null, current: string, next: string): Promise<number> {
  const [u] = await tx.query<{ password_hash: string | null }>(`SELECT password_hash FROM users WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, userId]);
  if (!(await verifySecret(u?.password_hash, current))) {
    throw errors.badRequest('wrong_password', 'The current password is not correct.', 'body.current_password');
  }
  assertPassword(next, 'body.new_password');
  await tx.query(`UPDATE users SET password_hash = $3, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [
    tx.tenantId,
    userId,
    await hashSecret(next),
  ]);
  return revokeUserSessions(tx, sessions, userId, sessionId);
}

export async function setPin(tx: TenantTx, userId: string, currentPassword: string, pin: string): Promise<void> {
  const [u] = await tx.query<{ password_hash: string | null }>(`SELECT password_hash FROM users WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, userId]);
  if (!(await verifySecret(u?.password_hash, currentPassword))) {
    throw errors.badRequest('wrong_password', 'The current password is not correct.', 'body.current_password');
  }
  await tx.query(
    `UPDATE users SET pin_hash = $3, pin_failures = 0, pin_locked_until = NULL, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
    [tx.tenantId, userId, await hashSecret(pin)],
  );
}

export function assertPassword(password: string, field: string): void {
  const problem = passwordProblem(password);
  if (problem) throw errors.validation([{ field, code: 'weak_password', message: `password ${problem}` }], `The password ${problem}.`);
}

// ------------------------------------------------------------------ kiosks and PIN

/** Locations belong to org: asked through its service, never read from its table. */
export async function assertLocation(tx: TenantTx, id: string): Promise<void> {
  if (!(await locationExists(tx, id))) {
    throw errors.validation([{ field: 'body.location_id', code: 'not_found', message: 'location does not exist' }]);
  }
}

export async function registerKiosk(tx: TenantTx, createdBy: string | null, input: { location_id: string; name: string }) {
  await assertLocation(tx, input.location_id);
  const { token, hash } = issueToken(TOKEN_PREFIX.kiosk, tx.tenantId);
  const id = uuidv7();
  const [row] = await tx.query<KioskRow>(
    `INSERT INTO kiosks (tenant_id, id, location_id, name, token_hash, created_by) VALUES ($1, $2, $3, $4, $5, $6)
     RETURNING id, location_id, name, created_at, revoked_at`,
    [tx.tenantId, id, input.location_id, input.name, hash, createdBy],
  );
  return { kiosk: row!, device_token: token };
}

interface KioskRow {
  id: string;
  location_id: string;
  name: string;
  created_at: Date;
  revoked_at: Date | null;
}

export async function listKiosks(tx: TenantTx, scope: 'all' | string[], opts: PageOptions) {
  const after = decodeCursor(opts.cursor, ['uuid']);
  if (scope !== 'all' && scope.length === 0) return { items: [], next_cursor: null };
  const rows = await tx.query<KioskRow>(
    `SELECT id, location_id, name, created_at, revoked_at FROM kiosks
      WHERE tenant_id = $1 AND ($2::uuid[] IS NULL OR location_id = ANY($2::uuid[])) AND ($3::uuid IS NULL OR id > $3::uuid)
      ORDER BY id LIMIT $4`,
    [tx.tenantId, scope === 'all' ? null : scope, after ? after[0] : null, opts.limit + 1],
  );
  return toPage(rows, opts.limit, (r) => [r.id]);
}

export async function revokeKiosk(tx: TenantTx, sessions: SessionRowCache, id: string, scope: 'all' | string[]) {
  const [row] = await tx.query<KioskRow>(
    `UPDATE kiosks SET revoked_at = coalesce(revoked_at, now())
      WHERE tenant_id = $1 AND id = $2 AND ($3::uuid[] IS NULL OR location_id = ANY($3::uuid[]))
      RETURNING id, location_id, name, created_at, revoked_at`,
    [tx.tenantId, id, scope === 'all' ? null : scope],
  );
  if (!row) throw errors.notFound('kiosk');
  await sessions.revoked(tx, { kiosk: id });
  return row;
}

/** The people who may sign in on this kiosk: anyone with a PIN and a role at its location (or tenant-wide). */
export async function kioskStaff(tx: TenantTx, kioskId: string) {
  return tx.query<{ id: string; name: string }>(
    `SELECT DISTINCT u.id, u.name FROM kiosks k
       JOIN role_assignments r ON r.tenant_id = k.tenant_id AND (r.location_id = k.location_id OR r.location_id IS NULL)
       JOIN users u ON u.tenant_id = r.tenant_id AND u.id = r.user_id
      WHERE k.tenant_id = $1 AND k.id = $2 AND u.status = 'active' AND u.pin_hash IS NOT NULL
      ORDER BY u.name LIMIT 500`,
    [tx.tenantId, kioskId],
  );
}

export type PinOutcome =
  | { ok: true; session: NewSession; userId: string; email: string }
  | { ok: false; reason: 'wrong_pin'; remaining: number; userId: string }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number; userId: string; justLocked: boolean }
  | { ok: false; reason: 'unknown' };

export async function pinSignIn(
  tx: TenantTx,
  kioskId: string,
  userId: string,
  pin: string,
  meta: { ip: string | null; userAgent: string | null },
): Promise<PinOutcome> {
  const staff = await kioskStaff(tx, kioskId);
  if (!staff.some((s) => s.id === userId)) return { ok: false, reason: 'unknown' };
  // FOR UPDATE: two wrong PINs at once must both count.
  const [u] = await tx.query<{ pin_hash: string; pin_failures: number; email: string; locked_for: number | null }>(
    `SELECT pin_hash, pin_failures, email,
            CASE WHEN pin_locked_until > now() THEN ceil(extract(epoch FROM pin_locked_until - now()))::int END AS locked_for
       FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
    [tx.tenantId, userId],
  );
  if (!u) return { ok: false, reason: 'unknown' };
  if (u.locked_for) return { ok: false, reason: 'locked', retryAfterSeconds: u.locked_for, userId, justLocked: false };
  if (await verifySecret(u.pin_hash, pin)) {
    await tx.query(`UPDATE users SET pin_failures = 0, pin_locked_until = NULL WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, userId]);
    const session = await createSession(tx, userId, 'pin', PIN_SESSION, meta, kioskId);
    return { ok: true, session, userId, email: u.email };
  }
  const failures = u.pin_failures + 1;
  if (failures >= PIN_MAX_FAILURES) {
    await tx.query(
      `UPDATE users SET pin_failures = 0, pin_locked_until = now() + make_interval(mins => $3) WHERE tenant_id = $1 AND id = $2`,
      [tx.tenantId, userId, PIN_LOCK_MINUTES],
    );
    return { ok: false, reason: 'locked', retryAfterSeconds: PIN_LOCK_MINUTES * 60, userId, justLocked: true };
  }
  await tx.query(`UPDATE users SET pin_failures = $3 WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, userId, failures]);
  return { ok: false, reason: 'wrong_pin', remaining: PIN_MAX_FAILURES - failures, userId };
}

// ------------------------------------------------------------------ invitations

/** A role given to someone (an invitation) or something (an API key) must be one the business works with. */
export function assertRoleInUse(tenant: { roles_in_use?: readonly string[] | undefined }, role: TenantRole): void {
  if (tenant.roles_in_use && !tenant.roles_in_use.includes(role)) {
    throw errors.validation([{ field: 'body.role', code: 'role_not_in_use', message: `this business does not use the ${role.replace(/_/g, ' ')} role (settings → roles)` }]);
  }
}

export async function invite(
  tx: TenantTx,
  deps: IdentityDeps,
  inviter: Principal,
  tenant: { slug: string; name: string; roles_in_use?: readonly string[] },
  input: { email: string; role: TenantRole; location_id?: string | null },
) {
  assertRoleInUse(tenant, input.role);
  const inviterRoles = await tx.query<{ role: TenantRole; location_id: string | null }>(
    `SELECT role, location_id FROM role_assignments WHERE tenant_id = $1 AND user_id = $2`,
    [tx.tenantId, inviter.userId],
  );
  const allowed = inviterRoles.some((r) => INVITABLE_BY[r.role].includes(input.role));
  if (!allowed) throw errors.forbidden(`invite ${input.role}`);
  const locationId = input.location_id ?? null;
  if (LOCATION_SCOPED.has(input.role) && !locationId) {
    throw errors.validation([{ field: 'body.location_id', code: 'required', message: `a ${input.role} works at a location: give location_id` }]);
  }
  if (locationId) {
    await assertLocation(tx, locationId);
    if (!inviter.at('identity.invitation.create', locationId)) throw errors.forbidden('identity.invitation.create');
  } else if (inviter.scope('identity.invitation.create') !== 'all') {
    throw errors.forbidden('identity.invitation.create');
  }
  const { token, hash } = issueToken(TOKEN_PREFIX.invitation, tx.tenantId);
  const id = uuidv7();
  const [row] = await tx.query<InvitationRow>(
    `INSERT INTO invitations (tenant_id, id, email, role, location_id, token_hash, invited_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(days => $8)) RETURNING ${INVITATION_COLUMNS}`,
    [tx.tenantId, id, input.email, input.role, locationId, hash, inviter.userId, INVITATION_DAYS],
  );
  // The token travels in the fragment, which browsers never send: it stays out of access logs and Referer headers.
  const link = `${deps.tenantUrl(tenant.slug)}/invite#${token}`;
  await deps.mailer.queue(tx, {
    to: input.email,
    subject: `You are invited to ${tenant.name} on Brigade`,
    body: `You have been invited to join ${tenant.name} as ${input.role.replace('_', ' ')}.\n\nAccept the invitation and choose your password:\n${link}\n\nThe link works for ${INVITATION_DAYS} days.`,
  });
  return row!;
}

/**
 * The first owner of a business the operator (or sign-up) just created: nobody in the business can invite yet,
 * so the invitation comes from the platform and is sent like any other.
 */
export async function inviteOwner(tx: TenantTx, deps: Pick<IdentityDeps, 'mailer' | 'tenantUrl'>, tenant: { slug: string; name: string }, email: string) {
  const { token, hash } = issueToken(TOKEN_PREFIX.invitation, tx.tenantId);
  const [row] = await tx.query<InvitationRow>(
    `INSERT INTO invitations (tenant_id, id, email, role, location_id, token_hash, invited_by, expires_at)
     VALUES ($1, $2, $3, 'owner', NULL, $4, NULL, now() + make_interval(days => $5)) RETURNING ${INVITATION_COLUMNS}`,
    [tx.tenantId, uuidv7(), email.toLowerCase(), hash, INVITATION_DAYS],
  );
  const link = `${deps.tenantUrl(tenant.slug)}/invite#${token}`;
  await deps.mailer.queue(tx, {
    to: email.toLowerCase(),
    subject: `Your business ${tenant.name} is ready on Brigade`,
    body: `${tenant.name} has been set up on Brigade, with you as its owner.\n\nAccept the invitation and choose your password:\n${link}\n\nThe link works for ${INVITATION_DAYS} days.`,
  });
  return row!;
}

const INVITATION_COLUMNS = 'id, email, role, location_id, expires_at, accepted_at, created_at';
interface InvitationRow {
  id: string;
  email: string;
  role: TenantRole;
  location_id: string | null;
  expires_at: Date;
  accepted_at: Date | null;
  created_at: Date;
}

/**
 * Newest first. A location-scoped inviter sees the invitations to their own locations only: business-wide ones
 * (owner, admin and the like) are not theirs to see, just as they are not theirs to send.
 */
export async function listInvitations(tx: TenantTx, scope: 'all' | string[], opts: PageOptions) {
  const after = decodeCursor(opts.cursor, ['uuid']);
  if (scope !== 'all' && scope.length === 0) return { items: [], next_cursor: null };
  const rows = await tx.query<InvitationRow>(
    `SELECT ${INVITATION_COLUMNS} FROM invitations
      WHERE tenant_id = $1 AND ($2::uuid[] IS NULL OR location_id = ANY($2::uuid[])) AND ($3::uuid IS NULL OR id < $3::uuid)
      ORDER BY id DESC LIMIT $4`,
    [tx.tenantId, scope === 'all' ? null : scope, after ? after[0] : null, opts.limit + 1],
  );
  return toPage(rows, opts.limit, (r) => [r.id]);
}

export async function acceptInvitation(
  tx: TenantTx,
  sessions: SessionRowCache,
  policy: SessionPolicy,
  meta: { ip: string | null; userAgent: string | null },
  input: { token: string; name: string; password: string },
) {
  const parsed = parseToken(TOKEN_PREFIX.invitation, input.token);
  const invalid = () => errors.badRequest('invalid_token', 'This invitation link is not valid or has expired.', 'body.token');
  if (!parsed || parsed.tenantId !== tx.tenantId) throw invalid();
  const [inv] = await tx.query<InvitationRow>(
    `UPDATE invitations SET accepted_at = now() WHERE tenant_id = $1 AND token_hash = $2 AND accepted_at IS NULL AND expires_at > now()
     RETURNING ${INVITATION_COLUMNS}`,
    [tx.tenantId, parsed.hash],
  );
  if (!inv) throw invalid();
  let [user] = await tx.query<{ id: string }>(`SELECT id FROM users WHERE tenant_id = $1 AND email = $2`, [tx.tenantId, inv.email]);
  const existing = Boolean(user);
  if (!user) {
    assertPassword(input.password, 'body.password');
    [user] = await tx.query<{ id: string }>(
      `INSERT INTO users (tenant_id, id, email, name, password_hash) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [tx.tenantId, uuidv7(), inv.email, input.name, await hashSecret(input.password)],
    );
  }
  await tx.query(
    `INSERT INTO role_assignments (tenant_id, id, user_id, role, location_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [tx.tenantId, uuidv7(), user!.id, inv.role, inv.location_id],
  );
  // Cached sessions of an existing account carry its old roles.
  if (existing) await sessions.revoked(tx, { user: user!.id });
  // Someone who already has an account keeps their password: the link must not become a way to take it over.
  const session = existing ? null : await createSession(tx, user!.id, 'password', policy, meta);
  return { invitation: inv, userId: user!.id, existing, session };
}

// ------------------------------------------------------------------ password reset

/** Runs as a job, so the request answers the same whether or not the email belongs to someone. */
export async function sendPasswordReset(tx: TenantTx, deps: IdentityDeps, tenant: { slug: string; name: string }, email: string) {
  const [user] = await tx.query<{ id: string }>(`SELECT id FROM users WHERE tenant_id = $1 AND email = $2 AND status = 'active'`, [tx.tenantId, email]);
  if (!user) return null;
  const { token, hash } = issueToken(TOKEN_PREFIX.reset, tx.tenantId);
  await tx.query(
    `INSERT INTO password_resets (tenant_id, id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5))`,
    [tx.tenantId, uuidv7(), user.id, hash, RESET_MINUTES],
  );
  await deps.mailer.queue(tx, {
    to: email,
    subject: `Reset your ${tenant.name} password`,
    body: `Someone asked to reset the password of ${email} at ${tenant.name}.\n\nChoose a new password here (the link works once, for ${RESET_MINUTES} minutes):\n${deps.tenantUrl(tenant.slug)}/reset#${token}\n\nIf it was not you, ignore this mail.`,
  });
  return user.id;
}

export async function confirmPasswordReset(tx: TenantTx, sessions: SessionRowCache, token: string, password: string) {
  const parsed = parseToken(TOKEN_PREFIX.reset, token);
  const invalid = () => errors.badRequest('invalid_token', 'This reset link is not valid, was used already, or has expired.', 'body.token');
  if (!parsed || parsed.tenantId !== tx.tenantId) throw invalid();
  assertPassword(password, 'body.password');
  const [reset] = await tx.query<{ user_id: string }>(
    `UPDATE password_resets SET used_at = now() WHERE tenant_id = $1 AND token_hash = $2 AND used_at IS NULL AND expires_at > now() RETURNING user_id`,
    [tx.tenantId, parsed.hash],
  );
  if (!reset) throw invalid();
  await tx.query(
    `UPDATE users SET password_hash = $3, pin_failures = 0, sign_in_failures = 0, sign_in_locked_until = NULL, version = version + 1, updated_at = now()
      WHERE tenant_id = $1 AND id = $2`,
    [tx.tenantId, reset.user_id, await hashSecret(password)],
  );
  // Older unused links die with this one.
  await tx.query(`UPDATE password_resets SET used_at = now() WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL`, [tx.tenantId, reset.user_id]);
  await revokeUserSessions(tx, sessions, reset.user_id);
  return reset.user_id;
}

// ------------------------------------------------------------------ people

/** By name; the id breaks ties between namesakes, so a page never skips or repeats one of them. */
export async function listUsers(tx: TenantTx, scope: 'all' | string[], opts: PageOptions) {
  const after = decodeCursor(opts.cursor, ['text', 'uuid']);
  if (scope !== 'all' && scope.length === 0) return { items: [], next_cursor: null };
  const rows = await tx.query<{ id: string; email: string; name: string; status: string; roles: RoleAssignment[] }>(
    `SELECT u.id, u.email, u.name, u.status,
            coalesce(json_agg(json_build_object('role', r.role, 'location_id', r.location_id) ORDER BY r.role) FILTER (WHERE r.id IS NOT NULL), '[]') AS roles
       FROM users u LEFT JOIN role_assignments r ON r.tenant_id = u.tenant_id AND r.user_id = u.id
      WHERE u.tenant_id = $1
        AND ($2::uuid[] IS NULL OR EXISTS (SELECT 1 FROM role_assignments x WHERE x.tenant_id = u.tenant_id AND x.user_id = u.id AND x.location_id = ANY($2::uuid[])))
        AND ($3::text IS NULL OR (u.name, u.id) > ($3::text, $4::uuid))
      GROUP BY u.tenant_id, u.id ORDER BY u.name, u.id LIMIT $5`,
    [tx.tenantId, scope === 'all' ? null : scope, after ? after[0] : null, after ? after[1] : null, opts.limit + 1],
  );
  return toPage(rows, opts.limit, (r) => [r.name, r.id]);
}

/** Creates a person with roles directly: used by seeding and tenant set-up, not exposed as a route. */
export async function createUser(
  tx: TenantTx,
  input: { email: string; name: string; passwordHash: string | null; pinHash?: string | null; roles: RoleAssignment[] },
): Promise<string> {
  const id = uuidv7();
  await tx.query(`INSERT INTO users (tenant_id, id, email, name, password_hash, pin_hash) VALUES ($1, $2, $3, $4, $5, $6)`, [
    tx.tenantId,
    id,
    input.email.toLowerCase(),
    input.name,
    input.passwordHash,
    input.pinHash ?? null,
  ]);
  for (const r of input.roles) {
    if (!TENANT_ROLES.includes(r.role)) throw new Error(`unknown role ${r.role}`);
    await tx.query(`INSERT INTO role_assignments (tenant_id, id, user_id, role, location_id) VALUES ($1, $2, $3, $4, $5)`, [
      tx.tenantId,
      uuidv7(),
      id,
      r.role,
      r.location_id,
    ]);
  }
  return id;
}

// ------------------------------------------------------------------ platform accounts

export const PLATFORM_SECOND_FACTOR_LOCK = { maxFailures: 20, minutes: 15 } as const;

export type PlatformPasswordOutcome =
  | { ok: true; userId: string; secondFactor: 'enrol' | 'verify'; challenge: string; expiresAt: Date }
  | { ok: false; userId: string | null; locked?: { retryAfterSeconds: number } };

/**
 * The first step of a platform sign-in: a correct password never opens a session by itself. It yields a challenge
 * for the second step, to enrol an authenticator (the first time) or to give its code. Wrong codes are counted on
 * each challenge and, over all of an operator's recent challenges, lock the second step for a while, so that a
 * stolen password cannot buy an endless supply of fresh challenges to guess codes with.
 */
export async function platformSignIn(
  tx: PlatformTx,
  email: string,
  password: string,
  meta: { ip: string | null; userAgent: string | null },
): Promise<PlatformPasswordOutcome> {
  const [u] = await tx.query<{ id: string; password_hash: string; status: string; enrolled: boolean }>(
    `SELECT u.id, u.password_hash, u.status, EXISTS (SELECT 1 FROM platform_totp t WHERE t.user_id = u.id) AS enrolled
       FROM platform_users u WHERE u.email = $1`,
    [email],
  );
  const ok = await verifySecret(u?.password_hash, password);
  if (!u || !ok || u.status !== 'active') return { ok: false, userId: u?.id ?? null };
  // Old challenges only matter to the lock below; forgetting them here keeps the table small without a sweeper.
  await tx.query(`DELETE FROM platform_sign_in_challenges WHERE user_id = $1 AND created_at < now() - interval '1 day'`, [u.id]);
  const [recent] = await tx.query<{ failures: number; retry: number }>(
    `SELECT coalesce(sum(failures), 0)::int AS failures,
            coalesce(ceil(extract(epoch FROM max(created_at) + make_interval(mins => $2) - now())), 0)::int AS retry
       FROM platform_sign_in_challenges WHERE user_id = $1 AND created_at > now() - make_interval(mins => $2)`,
    [u.id, PLATFORM_SECOND_FACTOR_LOCK.minutes],
  );
  if (recent && recent.failures >= PLATFORM_SECOND_FACTOR_LOCK.maxFailures) {
    return { ok: false, userId: u.id, locked: { retryAfterSeconds: Math.max(1, recent.retry) } };
  }
  const { token, hash } = issueChallenge();
  const [c] = await tx.query<{ expires_at: Date }>(
    `INSERT INTO platform_sign_in_challenges (id, user_id, token_hash, expires_at, ip, user_agent)
     VALUES ($1, $2, $3, now() + make_interval(mins => $4), $5, $6) RETURNING expires_at`,
    [uuidv7(), u.id, hash, CHALLENGE_MINUTES, meta.ip, meta.userAgent?.slice(0, 500) ?? null],
  );
  return { ok: true, userId: u.id, secondFactor: u.enrolled ? 'verify' : 'enrol', challenge: token, expiresAt: c!.expires_at };
}

interface ChallengeRow {
  id: string;
  user_id: string;
  email: string;
  pending_secret: string | null;
  failures: number;
  live: boolean;
  secret: string | null;
  last_counter: string | null;
}

export type ChallengeRefusal = { refused: 'invalid' } | { refused: 'exhausted'; userId: string; email: string };

/**
 * The challenge a second step names, locked for the rest of the transaction so that two attempts on one challenge
 * take turns: the failure count and single use then hold under concurrency.
 */
async function openChallenge(tx: PlatformTx, token: string): Promise<ChallengeRow | ChallengeRefusal> {
  const hash = challengeHash(token);
  if (!hash) return { refused: 'invalid' };
  const [c] = await tx.query<ChallengeRow>(
    `SELECT c.id, c.user_id, u.email, c.pending_secret, c.failures,
            (c.used_at IS NULL AND c.expires_at > now() AND u.status = 'active') AS live,
            t.secret, t.last_counter::text
       FROM platform_sign_in_challenges c
       JOIN platform_users u ON u.id = c.user_id
       LEFT JOIN platform_totp t ON t.user_id = c.user_id
      WHERE c.token_hash = $1
        FOR UPDATE OF c`,
    [hash],
  );
  if (!c) return { refused: 'invalid' };
  if (c.failures >= CHALLENGE_MAX_FAILURES) return { refused: 'exhausted', userId: c.user_id, email: c.email };
  if (!c.live) return { refused: 'invalid' };
  return c;
}

export type EnrolOutcome =
  | ChallengeRefusal
  | { refused: 'already_enrolled'; userId: string; email: string }
  | { userId: string; email: string; secret: string; otpauthUrl: string };

/** Gives a not-yet-enrolled operator a new TOTP secret, kept on the challenge until a code from it is verified. */
export async function platformTotpEnrol(tx: PlatformTx, token: string): Promise<EnrolOutcome> {
  const c = await openChallenge(tx, token);
  if ('refused' in c) return c;
  if (c.secret !== null) return { refused: 'already_enrolled', userId: c.user_id, email: c.email };
  const secret = newTotpSecret();
  await tx.query(`UPDATE platform_sign_in_challenges SET pending_secret = $2 WHERE id = $1`, [c.id, secret]);
  return { userId: c.user_id, email: c.email, secret, otpauthUrl: otpauthUrl(c.email, secret) };
}

export type SecondFactorOutcome =
  | ChallengeRefusal
  | { refused: 'not_enrolled' | 'already_enrolled' | 'no_recovery_codes'; userId: string; email: string }
  | { refused: 'wrong'; userId: string; email: string; replayed: boolean; attemptsLeft: number }
  | {
      userId: string;
      email: string;
      session: { token: string; sessionId: string };
      enrolled: boolean;
      recoveryCodes: string[] | null;
      /** Set when a recovery code was spent: how many are left. */
      recoveryCodesLeft: number | null;
    };

/**
 * The second step: a code from the authenticator (activating the secret on enrolment, which issues recovery
 * codes) or one recovery code. Success spends the challenge and opens the platform session; a wrong code counts.
 */
export async function platformSecondFactor(
  tx: PlatformTx,
  input: { challenge: string; code?: string | undefined; recovery_code?: string | undefined },
  meta: { ip: string | null; userAgent: string | null },
): Promise<SecondFactorOutcome> {
  const c = await openChallenge(tx, input.challenge);
  if ('refused' in c) return c;
  const who = { userId: c.user_id, email: c.email };
  const enrolling = c.secret === null;
  if (enrolling && c.pending_secret === null) return { refused: input.code !== undefined ? 'not_enrolled' : 'no_recovery_codes', ...who };

  let recoveryCodesLeft: number | null = null;
  let recoveryCodes: string[] | null = null;
  let wrong: { replayed: boolean } | null = null;
  if (input.code !== undefined) {
    const check = await checkTotpCode(c.secret ?? c.pending_secret!, input.code, c.last_counter === null ? null : Number(c.last_counter));
    if (!check.ok) wrong = { replayed: check.replayed };
    else if (enrolling) {
      // Another of this operator's challenges may have finished enrolling first; its secret stands.
      const activated = await tx.query(
        `INSERT INTO platform_totp (user_id, secret, last_counter) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING RETURNING user_id`,
        [c.user_id, c.pending_secret, check.counter],
      );
      if (activated.length === 0) return { refused: 'already_enrolled', ...who };
      recoveryCodes = newRecoveryCodes();
      await tx.query(`DELETE FROM platform_recovery_codes WHERE user_id = $1`, [c.user_id]);
      await tx.query(`INSERT INTO platform_recovery_codes (user_id, code_hash) VALUES ${recoveryCodes.map((_, i) => `($1, $${i + 2})`).join(', ')}`, [
        c.user_id,
        ...recoveryCodes.map((code) => recoveryCodeHash(code)!),
      ]);
    } else {
      // The step is recorded only if it is still newer than the last one: a concurrent sign-in with the same code loses.
      const moved = await tx.query(`UPDATE platform_totp SET last_counter = $2 WHERE user_id = $1 AND last_counter < $2 RETURNING user_id`, [
        c.user_id,
        check.counter,
      ]);
      if (moved.length === 0) wrong = { replayed: true };
    }
  } else {
    if (enrolling) return { refused: 'no_recovery_codes', ...who };
    const hash = recoveryCodeHash(input.recovery_code ?? '');
    const spent = hash
      ? await tx.query(`UPDATE platform_recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING user_id`, [c.user_id, hash])
      : [];
    if (spent.length === 0) wrong = { replayed: false };
    else {
      const [left] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM platform_recovery_codes WHERE user_id = $1 AND used_at IS NULL`, [c.user_id]);
      recoveryCodesLeft = left!.n;
    }
  }

  if (wrong) {
    const [r] = await tx.query<{ failures: number }>(
      `UPDATE platform_sign_in_challenges SET failures = failures + 1,
              pending_secret = CASE WHEN failures + 1 >= $2 THEN NULL ELSE pending_secret END
        WHERE id = $1 RETURNING failures`,
      [c.id, CHALLENGE_MAX_FAILURES],
    );
    const attemptsLeft = CHALLENGE_MAX_FAILURES - r!.failures;
    return { refused: 'wrong', ...who, replayed: wrong.replayed, attemptsLeft };
  }

  await tx.query(`UPDATE platform_sign_in_challenges SET used_at = now(), pending_secret = NULL WHERE id = $1`, [c.id]);
  const session = await createPlatformSession(tx, c.user_id, meta);
  return { ...who, session, enrolled: enrolling, recoveryCodes, recoveryCodesLeft };
}

async function createPlatformSession(tx: PlatformTx, userId: string, meta: { ip: string | null; userAgent: string | null }) {
  const { token, hash } = issuePlatformToken();
  const sessionId = uuidv7();
  await tx.query(
    `INSERT INTO platform_sessions (id, user_id, token_hash, idle_expires_at, expires_at, ip, user_agent)
     VALUES ($1, $2, $3, now() + interval '30 minutes', now() + interval '8 hours', $4, $5)`,
    [sessionId, userId, hash, meta.ip, meta.userAgent?.slice(0, 500) ?? null],
  );
  return { token, sessionId };
}

export async function createPlatformUser(tx: PlatformTx, input: { email: string; name: string; password: string; role: PlatformRole }) {
  const id = uuidv7();
  await tx.query(`INSERT INTO platform_users (id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5)`, [
    id,
    input.email.toLowerCase(),
    input.name,
    await hashSecret(input.password),
    input.role,
  ]);
  return id;
}

/**
 * The other live businesses where this email has an active account, for the business switcher. The caller passes
 * the signed-in person's own verified email (the credential's label), so it tells nobody about anyone else.
 * No index by email (every index leads with tenant_id): this rare read, cached by the app for minutes, may scan.
 */
export async function otherBusinesses(tx: PlatformTx, email: string, exceptTenantId: string) {
  return tx.query<{ slug: string; name: string }>(
    `SELECT t.slug, t.name FROM users u JOIN tenants t ON t.id = u.tenant_id
      WHERE u.email = $1 AND u.status = 'active' AND t.id <> $2 AND t.status IN ('trial', 'active', 'past_due')
      ORDER BY t.name LIMIT 50`,
    [email, exceptTenantId],
  );
}

/** Display names of people, for other modules that record who did what (by id) and show it (by name). */
export async function peopleNames(tx: TenantTx, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await tx.query<{ id: string; name: string }>(`SELECT id, name FROM users WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [tx.tenantId, unique]);
  return new Map(rows.map((r) => [r.id, r.name]));
}

/**
 * The active people who hold a permission at a location, for reminders that must reach "the location's managers":
 * those assigned to the location itself, or, when it has nobody, those who hold the permission business-wide.
 */
export async function peopleWithPermissionAt(tx: TenantTx, permission: Permission, locationId: string): Promise<{ id: string; name: string; email: string }[]> {
  const roles = TENANT_ROLES.filter((r) => ROLE_PERMISSIONS[r].includes(permission));
  const rows = await tx.query<{ id: string; name: string; email: string; local: boolean }>(
    `SELECT DISTINCT u.id, u.name, u.email, (r.location_id IS NOT NULL) AS local
       FROM users u JOIN role_assignments r ON r.tenant_id = u.tenant_id AND r.user_id = u.id
      WHERE u.tenant_id = $1 AND u.status = 'active' AND r.role = ANY($2::text[])
        AND (r.location_id = $3 OR r.location_id IS NULL)
      ORDER BY u.name`,
    [tx.tenantId, roles, locationId],
  );
  const local = rows.filter((r) => r.local);
  const chosen = local.length > 0 ? local : rows;
  const seen = new Set<string>();
  return chosen.filter((r) => !seen.has(r.id) && seen.add(r.id)).map(({ id, name, email }) => ({ id, name, email }));
}
