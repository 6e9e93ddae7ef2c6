import { z } from 'zod';
import { instant, text, timeZone, uuid, versioned } from '../core/schemas.ts';

export const location = z.object({
  id: uuid,
  name: z.string(),
  address: z.string().nullable(),
  time_zone: z.string(),
  version: z.number().int(),
  created_at: instant,
  updated_at: instant,
});
export type Location = z.input<typeof location>;

export const createLocation = z.strictObject({
  name: text(120),
  address: text(500).nullable().optional(),
  time_zone: timeZone,
});

export const updateLocation = z.strictObject({
  ...versioned,
  name: text(120).optional(),
  address: text(500).nullable().optional(),
  time_zone: timeZone.optional(),
});

/** What anyone at the business's address may know: its name, colour, and how it writes dates and money. */
export const business = z.object({
  slug: z.string(),
  name: z.string(),
  locale: z.string(),
  currency: z.string(),
  time_zone: z.string(),
  brand_color: z.string(),
  date_format: z.string(),
  time_format: z.string(),
  logo_url: z.string().nullable(),
});
