import { hash, verify } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';

// OWASP's argon2id floor: 19 MiB, two passes, one lane. (algorithm 2 is Algorithm.Argon2id, a const enum
// that isolated modules cannot import.)
const ARGON2 = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

const COMMON = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

export function hashSecret(secret: string): Promise<string> {
  return hash(secret, ARGON2);
}

// Verified against when no account matches, so a wrong email costs as long as a wrong password.
let dummy: Promise<string> | null = null;

export async function verifySecret(stored: string | null | undefined, secret: string): Promise<boolean> {
  if (!stored) {
    dummy ??= hashSecret('brigade-no-such-account');
    await verify(await dummy, secret).catch(() => false);
    return false;
  }
  try {
    return await verify(stored, secret);
  } catch {
    return false;
  }
}

/** Why a password is refused, or null. Length 8..128 and not one of the ~49,000 most common passwords. */
export function passwordProblem(password: string): string | null {
  if (password.length < 8) return 'must be at least 8 characters';
  if (password.length > 128) return 'must be at most 128 characters';
  if (COMMON.has(password.toLowerCase())) return 'is one of the most common passwords; choose another';
  return null;
}
