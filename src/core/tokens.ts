import { createHash, randomBytes } from 'node:crypto';

/**
 * Bearer secrets (sessions, kiosks, invitations, resets): `{prefix}{tenant}.{secret}`. The tenant part only says
 * where to look; the 256-bit secret is stored as a SHA-256 hash and looked up under that tenant's row-level
 * security, so a token of tenant A finds nothing when presented to tenant B, and every lookup index leads with tenant_id.
 */
export interface IssuedToken {
  token: string;
  hash: Buffer;
}

const UUID_HEX = /^[0-9a-f]{32}$/;

export function issueToken(prefix: string, tenantId: string): IssuedToken {
  const tenant = Buffer.from(tenantId.replace(/-/g, ''), 'hex').toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  return { token: `${prefix}${tenant}.${secret}`, hash: hashSecret(secret) };
}

export function parseToken(prefix: string, token: string | undefined | null): { tenantId: string; hash: Buffer } | null {
  if (!token || token.length > 200 || !token.startsWith(prefix)) return null;
  const [tenant, secret, extra] = token.slice(prefix.length).split('.');
  if (!tenant || !secret || extra !== undefined || secret.length !== 43) return null;
  const hex = Buffer.from(tenant, 'base64url').toString('hex');
  if (!UUID_HEX.test(hex)) return null;
  const tenantId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { tenantId, hash: hashSecret(secret) };
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** A platform token has no tenant part. */
export function issuePlatformToken(): IssuedToken {
  const secret = randomBytes(32).toString('base64url');
  return { token: `bp_${secret}`, hash: hashSecret(secret) };
}

export function parsePlatformToken(token: string | undefined | null): Buffer | null {
  if (!token || !token.startsWith('bp_') || token.length !== 46) return null;
  return hashSecret(token.slice(3));
}
