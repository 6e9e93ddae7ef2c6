import { z } from 'zod';
import { v7 as uuidv7 } from 'uuid';
import type { TenantTx } from './db/tx.ts';
import { route } from './http.ts';
import { instant, uuid } from './schemas.ts';

/**
 * In-app notifications to one person: a module calls `notify` inside its transaction (so a rolled-back change
 * notifies nobody), and the person's bell reads them. The cash deadline reminder is the first sender.
 */
export interface Notice {
  userId: string;
  kind: string;
  title: string;
  body: string;
  /** A page of the web app, e.g. `/cash/day?date=2026-11-21`. */
  link?: string | null;
}

export async function notify(tx: TenantTx, n: Notice): Promise<string> {
  const id = uuidv7();
  await tx.query(`INSERT INTO notifications (tenant_id, id, user_id, kind, title, body, link) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
    tx.tenantId,
    id,
    n.userId,
    n.kind,
    n.title,
    n.body,
    n.link ?? null,
  ]);
  return id;
}

const notification = z.object({
  id: uuid,
  kind: z.string(),
  title: z.string(),
  body: z.string(),
  link: z.string().nullable(),
  created_at: instant,
  read_at: instant.nullable(),
});

const inbox = z.object({ items: z.array(notification), unread: z.number().int() });

async function unreadCount(tx: TenantTx, userId: string): Promise<number> {
  const [r] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE tenant_id = $1 AND user_id = $2 AND read_at IS NULL`, [tx.tenantId, userId]);
  return r?.n ?? 0;
}

export const notificationRoutes = [
  route({
    method: 'GET',
    url: '/api/v1/notifications',
    summary: 'My notifications, newest first (the latest 50), with the number unread',
    tags: ['notifications'],
    access: 'tenant',
    permission: 'identity.self',
    response: inbox,
    handler: async ({ tx, principal }) => {
      if (!principal.userId) return { items: [], unread: 0 };
      const items = await tx.query<z.output<typeof notification>>(
        `SELECT id, kind, title, body, link, created_at, read_at FROM notifications
          WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC LIMIT 50`,
        [tx.tenantId, principal.userId],
      );
      return { items, unread: await unreadCount(tx, principal.userId) };
    },
  }),
  route({
    method: 'POST',
    url: '/api/v1/notifications/read',
    summary: 'Mark some of my notifications read',
    tags: ['notifications'],
    access: 'tenant',
    permission: 'identity.self',
    body: z.strictObject({ ids: z.array(uuid).min(1).max(100) }),
    example: { ids: ['0190a000-0000-7000-8000-000000000000'] },
    response: z.object({ unread: z.number().int() }),
    noAudit: 'Marking one\'s own notifications read changes nothing of the business.',
    handler: async ({ tx, principal, body }) => {
      if (!principal.userId) return { unread: 0 };
      // Someone else's notification id simply matches nothing: the statement names the caller.
      await tx.query(`UPDATE notifications SET read_at = now() WHERE tenant_id = $1 AND user_id = $2 AND id = ANY($3::uuid[]) AND read_at IS NULL`, [
        tx.tenantId,
        principal.userId,
        body.ids,
      ]);
      return { unread: await unreadCount(tx, principal.userId) };
    },
  }),
];
