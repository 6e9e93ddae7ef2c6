import { z } from 'zod';
import { route } from './http.ts';
import { instant, MAX_PAGE, uuid } from './schemas.ts';
import { listAudit, verifyAudit } from './audit.ts';

const risk = z.enum(['low', 'medium', 'high', 'critical']);

const auditRecord = z.object({
  seq: z.number().int(),
  id: uuid,
  at: instant,
  actor_type: z.string(),
  actor_id: uuid.nullable(),
  actor_label: z.string(),
  action: z.string(),
  resource_type: z.string(),
  resource_id: z.string().nullable(),
  location_id: uuid.nullable(),
  risk,
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  request_id: z.string().nullable(),
  changes: z.record(z.string(), z.unknown()).nullable(),
  hash: z.string(),
});

/** A filter word: bounded, and free of control characters (PostgreSQL text cannot even hold NUL). */
const filterText = (max: number) =>
  z
    .string()
    .max(max)
    // eslint-disable-next-line no-control-regex
    .refine((s) => !/[\u0000-\u001F\u007F]/.test(s), 'must not contain control characters');

/**
 * An instant in a filter, handed to the database in UTC: an offset PostgreSQL does not accept (beyond ±15:59) or a
 * year it cannot store (0000) is a 400 naming the field, not a database error.
 */
const filterInstant = z.iso
  .datetime({ offset: true })
  .refine((s) => {
    const d = new Date(s);
    return !Number.isNaN(d.getTime()) && d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999 && /(Z|[+-](0\d|1[0-5]):[0-5]\d)$/.test(s);
  }, 'must be a date and time between the years 1 and 9999, with an offset within ±15:59')
  .transform((s) => new Date(s).toISOString());

const auditQuery = z.strictObject({
  actor: filterText(254).optional(),
  action: filterText(100).optional(),
  resource_type: filterText(100).optional(),
  resource_id: filterText(100).optional(),
  risk: risk.optional(),
  from: filterInstant.optional(),
  to: filterInstant.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
  cursor: z.coerce.number().int().min(1).optional(),
});

export const auditRoutes = [
  route({
    method: 'GET',
    url: '/api/v1/audit',
    summary: 'The audit trail, newest first (filters: actor, action, resource, risk, time range)',
    tags: ['audit'],
    access: 'tenant',
    permission: 'audit.read',
    query: auditQuery,
    response: z.object({ items: z.array(auditRecord), next_cursor: z.string().nullable() }),
    handler: ({ tx, query }) => listAudit(tx, query) as never,
  }),
  route({
    method: 'GET',
    url: '/api/v1/audit/verify',
    summary: 'Verify the hash chain: the first broken link, if any',
    tags: ['audit'],
    access: 'tenant',
    permission: 'audit.read',
    response: z.object({
      ok: z.boolean(),
      checked: z.number().int(),
      first_broken_seq: z.number().int().nullable(),
      reason: z.enum(['record_altered', 'record_missing', 'link_broken']).nullable(),
    }),
    handler: ({ tx }) => verifyAudit(tx) as never,
  }),
];
