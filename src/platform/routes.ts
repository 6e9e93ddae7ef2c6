import { z } from 'zod';
import { route } from '../core/http.ts';
import { instant, MAX_PAGE, uuid } from '../core/schemas.ts';
import * as service from './service.ts';

export const platformRoutes = [
  route({
    method: 'GET',
    url: '/api/v1/platform/outbox',
    summary: 'Mail Brigade sent or kept (kept when no SMTP server is configured), newest first, across tenants',
    tags: ['platform'],
    access: 'platform',
    permission: 'platform.outbox.read',
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50), to: z.string().max(254).optional() }),
    response: z.object({
      items: z.array(
        z.object({
          id: uuid,
          tenant_id: uuid,
          to_address: z.string(),
          subject: z.string(),
          body: z.string(),
          status: z.string(),
          created_at: instant,
          sent_at: instant.nullable(),
        }),
      ),
    }),
    handler: async ({ tx, query, audit }) => {
      const items = await service.readOutbox(tx, query);
      // Reading other businesses' mail is platform work: it leaves a trace.
      await audit({ action: 'platform.outbox_read', resourceType: 'outbox', risk: 'medium', changes: { count: items.length, to: query.to ?? null } });
      return { items };
    },
  }),
];
