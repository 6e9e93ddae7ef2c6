import { createHash } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import type { TenantTx } from '../core/db/tx.ts';
import { entitlementErrors, hasFeature, type Entitlements } from '../core/entitlements.ts';
import { AppError, errors } from '../core/errors.ts';
import { text, timeZone } from '../core/schemas.ts';
import { TENANT_ROLES } from '../identity/permissions.ts';

/** Logos are shown small on sign-in and guest pages: 512 KB is plenty, and bounds what a request may store. */
export const LOGO_MAX_BYTES = 512 * 1024;
/** Raster formats only: an SVG can carry script. */
export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;

export const settingsBody = z.strictObject({
  name: text(200),
  time_zone: timeZone,
  currency: z.string().regex(/^[A-Z]{3}$/, { error: 'an ISO 4217 code such as USD' }),
  locale: z.string().refine(
    (l) => {
      try {
        return Intl.DateTimeFormat.supportedLocalesOf([l]).length > 0;
      } catch {
        return false;
      }
    },
    { error: 'a BCP 47 locale such as en-US or fr-FR' },
  ),
  date_format: z.enum(['locale', 'dmy', 'mdy', 'ymd']),
  time_format: z.enum(['locale', '12h', '24h']),
  brand_color: z.string().regex(/^#[0-9a-f]{6}$/, { error: 'a colour such as #0f766e' }),
  version: z.number().int(),
});

export const settings = z.object({
  name: z.string(),
  time_zone: z.string(),
  currency: z.string(),
  locale: z.string(),
  date_format: z.string(),
  time_format: z.string(),
  brand_color: z.string(),
  logo_url: z.string().nullable(),
  version: z.number(),
});

export const rolesInUse = z.object({ roles_in_use: z.array(z.enum(TENANT_ROLES)) });

export const rolesBody = z.strictObject({
  roles: z
    .array(z.enum(TENANT_ROLES))
    .min(1)
    .refine((r) => r.includes('owner'), { error: 'the owner’s role is always in use' }),
});

type Row = Omit<z.output<typeof settings>, 'logo_url'> & { logo_file_id: string | null };

/** The roles the business works with (invitations offer only these); answers what changed. */
export async function setRolesInUse(tx: TenantTx, roles: readonly string[]) {
  const [t] = await tx.query<{ roles_in_use: string[] }>(`SELECT roles_in_use FROM tenants WHERE id = $1`, [tx.tenantId]);
  // Kept in the matrix's order, whatever order they were sent in.
  const next = TENANT_ROLES.filter((r) => roles.includes(r));
  await tx.query(`SELECT brigade_set_roles_in_use($1::text[])`, [next]);
  return { before: t!.roles_in_use, after: next };
}

export async function read(tx: TenantTx): Promise<z.output<typeof settings>> {
  const [t] = await tx.query<Row>(
    `SELECT name, time_zone, currency, locale, date_format, time_format, brand_color, logo_file_id, version FROM tenants WHERE id = $1`,
    [tx.tenantId],
  );
  const { logo_file_id, ...rest } = t!;
  return { ...rest, logo_url: logoUrl(logo_file_id) };
}

/** The file's id is in the address: a new logo is a new address, so browsers may keep each one. */
export function logoUrl(fileId: string | null): string | null {
  return fileId ? `/api/v1/public/branding/logo?v=${fileId}` : null;
}

/** Changes the business's settings; its colour only on a plan with custom branding. */
export async function update(tx: TenantTx, entitlements: Entitlements, body: z.output<typeof settingsBody>) {
  const current = await read(tx);
  if (body.brand_color !== current.brand_color && !hasFeature(entitlements, 'custom_branding')) throw entitlementErrors.featureDisabled('custom_branding');
  const [r] = await tx.query<{ v: number | null }>(`SELECT brigade_update_business($1, $2, $3, $4, $5, $6, $7, $8) AS v`, [
    body.name,
    body.time_zone,
    body.currency,
    body.locale,
    body.date_format,
    body.time_format,
    body.brand_color,
    body.version,
  ]);
  if (r?.v === null || r?.v === undefined) throw errors.staleVersion();
  return { before: current, after: await read(tx) };
}

/**
 * Stores a new logo after checking what the bytes are (not what the upload claims), its size, and the plan's
 * storage; the old logo's file is removed with it.
 */
export async function setLogo(tx: TenantTx, entitlements: Entitlements, bytes: Buffer) {
  if (bytes.length === 0) throw errors.badRequest('logo_empty', 'The upload is empty.', 'body');
  if (bytes.length > LOGO_MAX_BYTES) {
    throw new AppError(413, 'logo_too_large', `A logo is at most ${LOGO_MAX_BYTES / 1024} KB; this one is ${Math.ceil(bytes.length / 1024)} KB.`, [
      { field: 'body', code: 'logo_too_large', message: `at most ${LOGO_MAX_BYTES} bytes` },
    ]);
  }
  const type = await fileTypeFromBuffer(bytes);
  if (!type || !(LOGO_TYPES as readonly string[]).includes(type.mime)) {
    throw new AppError(415, 'logo_type_not_allowed', 'A logo is a PNG, JPEG or WebP image.', [
      { field: 'body', code: 'logo_type_not_allowed', message: `found ${type?.mime ?? 'no image'}` },
    ]);
  }
  const [old] = await tx.query<{ logo_file_id: string | null }>(`SELECT logo_file_id FROM tenants WHERE id = $1`, [tx.tenantId]);
  const allowed = entitlements.limits.storage_bytes;
  if (allowed !== null && allowed !== undefined) {
    const used = await storageUsed(tx, old?.logo_file_id ?? null);
    if (used + bytes.length > allowed) throw entitlementErrors.limitExceeded('storage_bytes', used, allowed);
  }
  const id = uuidv7();
  await tx.query(
    `INSERT INTO tenant_files (tenant_id, id, kind, content_type, size_bytes, sha256, bytes) VALUES ($1, $2, 'logo', $3, $4, $5, $6)`,
    [tx.tenantId, id, type.mime, bytes.length, createHash('sha256').update(bytes).digest(), bytes],
  );
  await tx.query(`SELECT brigade_set_business_logo($1)`, [id]);
  if (old?.logo_file_id) await tx.query(`DELETE FROM tenant_files WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, old.logo_file_id]);
  return { id, content_type: type.mime, size_bytes: bytes.length };
}

export async function removeLogo(tx: TenantTx): Promise<boolean> {
  const [old] = await tx.query<{ logo_file_id: string | null }>(`SELECT logo_file_id FROM tenants WHERE id = $1`, [tx.tenantId]);
  if (!old?.logo_file_id) return false;
  await tx.query(`SELECT brigade_set_business_logo(NULL)`);
  await tx.query(`DELETE FROM tenant_files WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, old.logo_file_id]);
  return true;
}

/** Bytes the business stores in files, leaving out one that is about to be replaced. */
export async function storageUsed(tx: TenantTx, except: string | null = null): Promise<number> {
  const [r] = await tx.query<{ n: number }>(`SELECT coalesce(sum(size_bytes), 0)::float8 AS n FROM tenant_files WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id <> $2::uuid)`, [
    tx.tenantId,
    except,
  ]);
  return r!.n;
}

export async function logo(tx: TenantTx): Promise<{ content_type: string; bytes: Buffer; sha256: Buffer } | null> {
  const [f] = await tx.query<{ content_type: string; bytes: Buffer; sha256: Buffer }>(
    `SELECT f.content_type, f.bytes, f.sha256 FROM tenants t JOIN tenant_files f ON f.tenant_id = t.id AND f.id = t.logo_file_id WHERE t.id = $1`,
    [tx.tenantId],
  );
  return f ? { ...f, bytes: Buffer.from(f.bytes), sha256: Buffer.from(f.sha256) } : null;
}
