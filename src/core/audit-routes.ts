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

const auditQuery = z.strictObject({
  actor: z.string().max(254).optional(),
  action: z.string().max(100).optional(),
  resource_type: z.string().max(100).optional(),
  resource_id: z.string().max(100).optional(),
  risk: risk.optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
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
