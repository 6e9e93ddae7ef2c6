import { z } from 'zod';
import { email, instant, text, uuid, versioned } from '../core/schemas.ts';

export const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a time as HH:MM (24-hour)');

/** Opening hours of one day, local time; `close` before `open` runs past midnight. */
const span = z.strictObject({ open: clockTime, close: clockTime }).refine((s) => s.open !== s.close, 'open and close must differ');
/** Seven days, Monday first; an empty day is closed. Null: always open. */
export const hours = z
  .array(z.array(span).max(4))
  .length(7, 'must list seven days, Monday first')
  .nullable();

const queueFields = {
  name: text(80),
  description: text(500, 0).default(''),
  accepting: z.boolean().default(true),
  max_capacity: z.number().int().min(1).max(10_000).nullable().default(null),
  daily_cap: z.number().int().min(1).max(100_000).nullable().default(null),
  hours: hours.default(null),
  party_min: z.number().int().min(1).max(100).default(1),
  party_max: z.number().int().min(1).max(100).default(12),
  service_types: z.array(text(40)).max(20).refine((a) => new Set(a).size === a.length, 'must not repeat a service type').default([]),
  no_show_grace_minutes: z.number().int().min(1).max(240).nullable().default(10),
  guests_may_cancel: z.boolean().default(true),
  default_service_minutes: z.number().int().min(1).max(600).default(45),
  tables: z.number().int().min(1).max(500).default(4),
  notify_at_position: z.number().int().min(1).max(50).default(2),
};

const partyRange = (q: { party_min?: number; party_max?: number }) => q.party_min === undefined || q.party_max === undefined || q.party_min <= q.party_max;
const partyRangeError = { message: 'party_min must not be above party_max', path: ['party_max'] };

export const createQueue = z.strictObject({ location_id: uuid, ...queueFields }).refine(partyRange, partyRangeError);

export const updateQueue = z
  .strictObject({
    name: queueFields.name.optional(),
    description: text(500, 0).optional(),
    accepting: z.boolean().optional(),
    max_capacity: z.number().int().min(1).max(10_000).nullable().optional(),
    daily_cap: z.number().int().min(1).max(100_000).nullable().optional(),
    hours: hours.optional(),
    party_min: z.number().int().min(1).max(100).optional(),
    party_max: z.number().int().min(1).max(100).optional(),
    service_types: z.array(text(40)).max(20).refine((a) => new Set(a).size === a.length, 'must not repeat a service type').optional(),
    no_show_grace_minutes: z.number().int().min(1).max(240).nullable().optional(),
    guests_may_cancel: z.boolean().optional(),
    default_service_minutes: z.number().int().min(1).max(600).optional(),
    tables: z.number().int().min(1).max(500).optional(),
    notify_at_position: z.number().int().min(1).max(50).optional(),
    ...versioned,
  })
  .refine(partyRange, partyRangeError);

export const queue = z.object({
  id: uuid,
  location_id: uuid,
  name: z.string(),
  description: z.string(),
  accepting: z.boolean(),
  max_capacity: z.number().int().nullable(),
  daily_cap: z.number().int().nullable(),
  hours: z.array(z.array(z.object({ open: z.string(), close: z.string() }))).nullable(),
  party_min: z.number().int(),
  party_max: z.number().int(),
  service_types: z.array(z.string()),
  no_show_grace_minutes: z.number().int().nullable(),
  guests_may_cancel: z.boolean(),
  default_service_minutes: z.number().int(),
  tables: z.number().int(),
  notify_at_position: z.number().int(),
  /** Whether a guest could join right now, and if not, why. */
  open_now: z.boolean(),
  closed_reason: z.string().nullable(),
  waiting: z.number().int(),
  called: z.number().int(),
  joined_today: z.number().int(),
  /** Minutes a party joining now would wait. */
  estimate_minutes: z.number().int(),
  version: z.number().int(),
  created_at: instant,
  updated_at: instant,
});

export const queueList = z.object({ items: z.array(queue) });
export const queueListQuery = z.strictObject({ location_id: uuid.optional() });

export const STATUSES = ['waiting', 'called', 'seated', 'completed', 'cancelled', 'no_show'] as const;

/** A guest as staff see them. */
export const entry = z.object({
  id: uuid,
  queue_id: uuid,
  location_id: uuid,
  name: z.string(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  party_size: z.number().int(),
  service_type: z.string().nullable(),
  notes: z.string().nullable(),
  source: z.enum(['guest', 'staff', 'api']),
  status: z.enum(STATUSES),
  position: z.number().int().nullable(),
  estimate_minutes: z.number().int().nullable(),
  joined_at: instant,
  called_at: instant.nullable(),
  seated_at: instant.nullable(),
  completed_at: instant.nullable(),
  cancelled_at: instant.nullable(),
  no_show_at: instant.nullable(),
  cancelled_by: z.enum(['guest', 'staff']).nullable(),
  calls: z.number().int(),
  unread: z.number().int(),
  version: z.number().int(),
});

export const board = z.object({
  queue,
  /** Waiting in position order, then called (longest-called first), then seated and not yet finished. */
  entries: z.array(entry),
  /** The event sequence this snapshot includes: subscribe with `since` set to it. */
  seq: z.number().int(),
});

const phone = z.string().trim().min(3).max(32);
const join = {
  name: text(80),
  phone: phone.optional(),
  email: email.optional(),
  party_size: z.number().int().min(1).max(100),
  service_type: text(40).optional(),
  notes: text(500).optional(),
};
/** A guest joining from the public page: the phone is how the restaurant reaches them. */
export const guestJoin = z.strictObject({ ...join, phone });
/** Staff adding a walk-in, or an integration: the phone is optional. */
export const staffJoin = z.strictObject(join);

export const joined = z.object({
  entry,
  /** The guest's entry token (shown once): the status page is /e/{token}. */
  token: z.string(),
  status_url: z.string(),
});

export const updateEntry = z.strictObject({
  name: text(80).optional(),
  party_size: z.number().int().min(1).max(100).optional(),
  notes: text(500, 0).nullable().optional(),
  service_type: text(40).nullable().optional(),
  ...versioned,
});

export const move = z.strictObject({ position: z.number().int().min(1).max(10_000) });
export const requeue = z.strictObject({ position: z.number().int().min(1).max(10_000).default(1) });
/** The guests chosen on the board, or the first `count` in line: one or the other. */
export const bulkCall = z
  .strictObject({
    entry_ids: z.array(uuid).min(1).max(50).refine((a) => new Set(a).size === a.length, 'must not repeat a guest').optional(),
    count: z.number().int().min(1).max(50).optional(),
  })
  .refine((b) => (b.entry_ids === undefined) !== (b.count === undefined), { message: 'give entry_ids or count, not both', path: ['entry_ids'] });
export const bulkCalled = z.object({ items: z.array(entry) });

export const delivery = z.object({
  id: uuid,
  channel: z.enum(['email', 'sms', 'whatsapp']),
  kind: z.enum(['joined', 'close', 'called', 'no_show']),
  to_address: z.string(),
  status: z.enum(['queued', 'sent', 'failed', 'skipped']),
  error: z.string().nullable(),
  attempts: z.number().int(),
  created_at: instant,
  sent_at: instant.nullable(),
});
export const entryDetail = entry.extend({ deliveries: z.array(delivery) });

export const message = z.object({
  id: uuid,
  sender: z.enum(['guest', 'staff']),
  /** The staff member's name for staff messages; null for the guest's own. */
  author: z.string().nullable(),
  body: z.string(),
  created_at: instant,
  read_at: instant.nullable(),
});
export const messages = z.object({ items: z.array(message) });
export const sendMessage = z.strictObject({ body: text(1000) });

/** What a guest sees of their own entry: never anyone else's. */
export const guestEntry = z.object({
  id: uuid,
  business: z.string(),
  queue: z.object({ id: uuid, name: z.string(), location: z.string() }),
  name: z.string(),
  party_size: z.number().int(),
  status: z.enum(STATUSES),
  position: z.number().int().nullable(),
  estimate_minutes: z.number().int().nullable(),
  joined_at: instant,
  called_at: instant.nullable(),
  can_cancel: z.boolean(),
  unread: z.number().int(),
  seq: z.number().int(),
});
export const tokenParams = z.strictObject({ id: z.string().min(1).max(200) });

export const publicQueue = z.object({
  id: uuid,
  name: z.string(),
  description: z.string(),
  location: z.object({ id: uuid, name: z.string() }),
  accepting: z.boolean(),
  open_now: z.boolean(),
  closed_reason: z.string().nullable(),
  waiting: z.number().int(),
  estimate_minutes: z.number().int(),
  party_min: z.number().int(),
  party_max: z.number().int(),
  service_types: z.array(z.string()),
});
export const publicQueues = z.object({ business: z.string(), items: z.array(publicQueue) });
export const publicQueuesQuery = z.strictObject({ location_id: uuid.optional() });

export const settings = z.object({
  retention_days: z.number().int(),
  notify_email: z.boolean(),
  notify_sms: z.boolean(),
  notify_whatsapp: z.boolean(),
  /** Which text channels this deployment has a provider for (the operator configures them). */
  sms_available: z.boolean(),
  whatsapp_available: z.boolean(),
  version: z.number().int(),
});
export const updateSettings = z.strictObject({
  retention_days: z.number().int().min(1).max(3650).optional(),
  notify_email: z.boolean().optional(),
  notify_sms: z.boolean().optional(),
  notify_whatsapp: z.boolean().optional(),
  ...versioned,
});

export const PERIODS = ['1d', '7d', '30d', '90d', '180d'] as const;
export const analyticsQuery = z.strictObject({
  period: z.enum(PERIODS).default('7d'),
  location_id: uuid.optional(),
  queue_id: uuid.optional(),
});
export const analytics = z.object({
  period: z.enum(PERIODS),
  from: z.string(),
  to: z.string(),
  time_zone: z.string(),
  joined: z.number().int(),
  served: z.number().int(),
  cancelled: z.number().int(),
  no_shows: z.number().int(),
  average_wait_minutes: z.number().nullable(),
  p90_wait_minutes: z.number().nullable(),
  no_show_rate: z.number().nullable(),
  cancellation_rate: z.number().nullable(),
  /** Joins per local hour of day, 0–23. */
  busiest_hours: z.array(z.object({ hour: z.number().int(), joined: z.number().int() })),
  days: z.array(
    z.object({
      date: z.string(),
      joined: z.number().int(),
      served: z.number().int(),
      cancelled: z.number().int(),
      no_shows: z.number().int(),
      average_wait_minutes: z.number().nullable(),
    }),
  ),
});
