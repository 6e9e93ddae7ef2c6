import argon2 from 'argon2';
import { dictionary } from '@zxcvbn-ts/language-common';

// OWASP's argon2id floor: 19 MiB, two passes, one lane.
const ARGON2 = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

const COMMON = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

export function hashSecret(secret: string): Promise<string> {
  return argon2.hash(secret, ARGON2);
}

// Verified against when no account matches, so a wrong email costs as long as a wrong password.
let dummy: Promise<string> | null = null;

export async function verifySecret(hash: string | null | undefined, secret: string): Promise<boolean> {
  if (!hash) {
    dummy ??= hashSecret('brigade-no-such-account');
    await argon2.verify(await dummy, secret).catch(() => false);
    return false;
  }
  try {
    return await argon2.verify(hash, secret);
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
