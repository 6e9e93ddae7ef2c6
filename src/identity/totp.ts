import { createHash, randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';

/**
 * The platform operator's second factor: RFC 6238 time-based codes (otplib: SHA-1, 6 digits, 30-second steps,
 * what every authenticator app reads from an otpauth:// link), one-time recovery codes, and the short-lived
 * challenge that carries a sign-in from "password correct" to "second factor correct".
 */

export const TOTP_ISSUER = 'Brigade';
/** A clock on the operator's phone a step ahead or behind is still accepted: the steps before, at and after now. */
const DRIFT_SECONDS = 30;

export const CHALLENGE_MINUTES = 5;
export const CHALLENGE_MAX_FAILURES = 5;
export const RECOVERY_CODE_COUNT = 10;
const CHALLENGE_PREFIX = 'bpc_';

/** A new shared secret: 20 random bytes (160 bits, RFC 4226's recommended length), base32 for the authenticator app. */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The link an authenticator app reads (shown as a QR code): issuer Brigade, labelled with the operator's email. */
export function otpauthUrl(email: string, secret: string): string {
  return generateURI({ issuer: TOTP_ISSUER, label: email, secret });
}

export type CodeCheck = { ok: true; counter: number } | { ok: false; replayed: boolean };

/**
 * Checks a 6-digit code. `lastCounter` is the time step of the last code this secret accepted: a code of that step
 * or an earlier one is a replay (someone who saw the code over the operator's shoulder, or a second submit),
 * refused even though it is otherwise right.
 */
export async function checkTotpCode(secret: string, code: string, lastCounter: number | null): Promise<CodeCheck> {
  if (!/^[0-9]{6}$/.test(code)) return { ok: false, replayed: false };
  const r = await verify({ secret, token: code, epochTolerance: DRIFT_SECONDS });
  if (!r.valid || !('timeStep' in r)) return { ok: false, replayed: false };
  if (lastCounter !== null && r.timeStep <= lastCounter) return { ok: false, replayed: true };
  return { ok: true, counter: r.timeStep };
}

/**
 * Recovery codes: 80 random bits each, written as four groups of five hex digits. They are stored as SHA-256
 * hashes, not argon2id: a slow hash protects secrets people choose, whose few bits a fast hash would let an
 * attacker with the table enumerate; 80 random bits cannot be enumerated at any hash speed, and a plain hash can
 * be looked up and spent in one indexed statement (as the session and reset tokens are).
 */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => randomBytes(10).toString('hex').match(/.{5}/g)!.join('-'));
}

/** The hash a recovery code is stored and found by; spacing, dashes and case as typed do not matter. */
export function recoveryCodeHash(typed: string): Buffer | null {
  const normalised = typed.toLowerCase().replace(/[\s-]/g, '');
  if (!/^[0-9a-f]{20}$/.test(normalised)) return null;
  return sha256(normalised);
}

/** A sign-in challenge: 256 random bits, handed to the client once; only its SHA-256 hash is stored. */
export function issueChallenge(): { token: string; hash: Buffer } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${CHALLENGE_PREFIX}${secret}`, hash: sha256(secret) };
}

export function challengeHash(token: string): Buffer | null {
  if (!token.startsWith(CHALLENGE_PREFIX) || token.length !== CHALLENGE_PREFIX.length + 43) return null;
  return sha256(token.slice(CHALLENGE_PREFIX.length));
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
