import { z } from 'zod';
import { errors } from './errors.ts';

export const MAX_PAGE = 100;

export const uuid = z.uuid({ error: 'must be a UUID' });
export const idParams = z.strictObject({ id: uuid });

/** An instant: a Date inside the server, ISO 8601 in UTC on the wire (responses are encoded through this codec). */
export const instant = z.codec(z.iso.datetime({ offset: true }), z.date(), {
  decode: (s) => new Date(s),
  encode: (d) => d.toISOString(),
});

export const timeZone = z
  .string()
  .min(1)
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return tz.includes('/') || tz === 'UTC';
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as Europe/Paris');

/** Text a person types: trimmed, bounded, no control characters. */
export const text = (max: number, min = 1) =>
  z
    .string()
    .trim()
    .min(min, min === 1 ? 'must not be empty' : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    // eslint-disable-next-line no-control-regex
    .refine((s) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(s), 'must not contain control characters')
    // A lone surrogate is not text: PostgreSQL would refuse it as invalid UTF-8.
    .refine((s) => !/\p{Cs}/u.test(s), 'must be valid Unicode text');

export const email = z.string().trim().toLowerCase().max(254).pipe(z.email({ error: 'must be an email address' }));

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
  cursor: z.string().max(200).optional(),
});

export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

// version is a PostgreSQL integer: beyond 2^31-1 it cannot be current, and must not reach the database.
export const versioned = { version: z.number().int().min(1).max(2_147_483_647) };

/** Cursors are opaque to clients; inside they are the last key seen. */
export function encodeCursor(parts: (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads a cursor back, each part checked against its kind, so a forged cursor is a 400 and never reaches SQL. */
export function decodeCursor(cursor: string | undefined, kinds: ('uuid' | 'int' | 'text')[]): (string | number)[] | null {
  if (!cursor) return null;
  try {
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    const fits = (p: unknown, kind: string) =>
      kind === 'uuid' ? typeof p === 'string' && UUID_RE.test(p) : kind === 'int' ? Number.isSafeInteger(p) : typeof p === 'string' && p.length <= 200;
    if (Array.isArray(parts) && parts.length === kinds.length && parts.every((p, i) => fits(p, kinds[i]!))) return parts as (string | number)[];
  } catch {
    // fall through
  }
  throw errors.badRequest('invalid_cursor', 'The cursor is not one this server issued.', 'querystring.cursor');
}

/** Takes limit+1 rows and turns them into a page with the next cursor. */
export function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => (string | number)[]) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > limit && last ? encodeCursor(cursorOf(last)) : null };
}

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number(),
  code: z.string(),
  detail: z.string(),
  errors: z.array(z.object({ field: z.string(), code: z.string(), message: z.string() })).optional(),
  request_id: z.string().optional(),
});
