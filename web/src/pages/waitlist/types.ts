/** The waitlist API's shapes as they travel (instants as ISO strings), taken from the server's own schemas. */
import type { z } from 'zod';
import type * as s from '../../../../src/waitlist/schemas.ts';

export type Queue = z.input<typeof s.queue>;
export type QueueInput = z.input<typeof s.createQueue>;
export type Entry = z.input<typeof s.entry>;
export type EntryStatus = Entry['status'];
export type Board = z.input<typeof s.board>;
export type Joined = z.input<typeof s.joined>;
export type Message = z.input<typeof s.message>;
export type GuestEntry = z.input<typeof s.guestEntry>;
export type PublicQueue = z.input<typeof s.publicQueue>;
export type PublicQueues = z.input<typeof s.publicQueues>;
export type WaitlistSettings = z.input<typeof s.settings>;
export type Analytics = z.input<typeof s.analytics>;
export type Period = Analytics['period'];
export type Hours = NonNullable<Queue['hours']>;

/** What a board event carries (kind waitlist.queue). */
export interface LineupPlace {
  id: string;
  position: number;
  estimate_minutes: number | null;
}
export interface EntryChanged {
  entry: Entry | null;
  lineup: LineupPlace[];
}
export interface BoardMessage {
  entry_id: string;
  unread: number;
  message: Message;
}

/** What a guest's own event carries (kind waitlist.entry, event entry.status). */
export interface GuestStatus {
  status: EntryStatus;
  position: number | null;
  estimate_minutes: number | null;
  called_at: string | null;
}

export const FINISHED: readonly EntryStatus[] = ['completed', 'cancelled', 'no_show'];
