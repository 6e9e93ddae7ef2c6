import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { v7 as uuidv7 } from 'uuid';
import type { z } from 'zod';
import type { Principal } from '../core/access.ts';
import { diff, writeSystemAudit } from '../core/audit.ts';
import type { Statement, TenantTx } from '../core/db/tx.ts';
import { AppError, errors } from '../core/errors.ts';
import type { HostTenant } from '../core/http.ts';
import { keepPending } from '../core/jobs.ts';
import type { Realtime } from '../core/realtime.ts';
import { issueToken, parseToken } from '../core/tokens.ts';
import { peopleNames } from '../identity/service.ts';
import { buildModel, joinLineEnd, playLine, type EstimateModel, type LineEnd, type ServedVisit } from './estimate.ts';
import { channelsFrom, channelsRead, type Channels, type MessageContext } from './notify.ts';
import type * as s from './schemas.ts';

/**
 * The waitlist: queues per location and the guests in them.
 *
 * Every change to a queue's line takes the queue's row lock first (`lockQueue`). Under it positions are counted,
 * shifted and written, so 100 guests joining at once get 1..100 with no gap and no duplicate; the deferred exclusion
 * constraint on (queue, position) is the database's own check of the same rule. Events are published under the same
 * lock, so a queue's events are numbered in the order their changes committed, which is what lets a reconnecting
 * board replay exactly what it missed.
 */

export const TOKEN_PREFIX = 'bw_';
/** Joins from one phone number per business and hour, whatever the queue. */
const JOINS_PER_PHONE_PER_HOUR = 5;

export interface WaitlistDeps {
  realtime: Realtime;
  /** Queues the messages for a change (joined, close, called, no-show): delivered by a durable job. */
  notify(tx: TenantTx, biz: Biz, entryId: string, kind: 'joined' | 'close' | 'called' | 'no_show', about?: MessageContext): Promise<void>;
  scheduleNoShow(tx: TenantTx, biz: Biz, entryId: string, calls: number, afterMinutes: number): Promise<void>;
  tenantUrl(slug: string): string;
}

export type Biz = Pick<HostTenant, 'slug' | 'name' | 'locale' | 'time_zone'>;

/** What a message to a guest needs to know of them, when the caller has it at hand. */
export interface Guest {
  name: string;
  party_size: number;
  position: number | null;
  phone: string | null;
  email: string | null;
  queue: string;
}

// ---------------------------------------------------------------- queues

interface QueueRow {
  id: string;
  location_id: string;
  location_name: string;
  time_zone: string;
  name: string;
  description: string;
  accepting: boolean;
  max_capacity: number | null;
  daily_cap: number | null;
  hours: { open: string; close: string }[][] | null;
  party_min: number;
  party_max: number;
  service_types: string[];
  no_show_grace_minutes: number | null;
  guests_may_cancel: boolean;
  default_service_minutes: number;
  tables: number;
  notify_at_position: number;
  version: number;
  created_at: Date;
  updated_at: Date;
  /** The location's local clock: ISO weekday (1 = Monday), HH:MM, date and hour. */
  local_dow: number;
  local_time: string;
  local_date: string;
  local_hour: number;
  waiting: number;
  called: number;
  joined_today: number;
}

/**
 * A queue with its location's clock and its counts. `forJoin` is the queue as a join needs it: where its tables stand
 * after the line (`line_end`, see migration 015) when that is still the line's, and otherwise the line's party sizes in
 * order and the tables' recent parties (as in `lineupOf`) as arrays in the same row, so the newcomer's estimate costs
 * no round trip of its own and, while the end holds, no read of the line at all; today's joins counted only when a
 * daily cap needs them (it walks every entry of the day); the called count not at all.
 */
function queueSelect(forJoin: boolean): string {
  const entries = `FROM waitlist_entries e WHERE e.tenant_id = q.tenant_id AND e.queue_id = q.id`;
  const today = `(SELECT count(*)::int ${entries} AND e.business_date = (now() AT TIME ZONE l.time_zone)::date)`;
  // Waiting positions are dense (1..n, checked by the exclusion constraint), so the count is the last one: one probe
  // of the board index instead of a walk over the whole line.
  const waiting = `coalesce((SELECT max(e.position) ${entries} AND e.status = 'waiting'), 0)::int`;
  // The end kept on the last guest in line is the line's while nobody ahead of them left or joined without it being
  // written again (their place is still the count it was played for), the tables and the default stay are the ones it
  // was played with, and the stays of the parties at table have not run on for long since.
  const endHolds = `(w.line_end IS NOT NULL AND (w.line_end->>'waiting')::int = w.position AND (w.line_end->>'tables')::int = q.tables
                     AND (w.line_end->>'default_service_minutes')::int = q.default_service_minutes
                     AND (w.line_end->>'since')::timestamptz > now() - ${LINE_END_FRESH})`;
  return `
  SELECT q.id, q.location_id, l.name AS location_name, l.time_zone, q.name, q.description, q.accepting, q.max_capacity,
         q.daily_cap, q.hours, q.party_min, q.party_max, q.service_types, q.no_show_grace_minutes, q.guests_may_cancel,
         q.default_service_minutes, q.tables, q.notify_at_position, q.version, q.created_at, q.updated_at,
         extract(isodow FROM now() AT TIME ZONE l.time_zone)::int AS local_dow,
         to_char(now() AT TIME ZONE l.time_zone, 'HH24:MI') AS local_time,
         (now() AT TIME ZONE l.time_zone)::date::text AS local_date,
         extract(hour FROM now() AT TIME ZONE l.time_zone)::int AS local_hour,
         ${forJoin ? 'coalesce(w.position, 0)' : waiting} AS waiting,
         ${forJoin ? '0' : `(SELECT count(*)::int ${entries} AND e.status = 'called')`} AS called,
         ${forJoin ? `CASE WHEN q.daily_cap IS NULL THEN 0 ELSE waitlist_joined_on(q.tenant_id, q.id, (now() AT TIME ZONE l.time_zone)::date) END` : today} AS joined_today${
           forJoin
             ? `,
         now() AS started_at,
         -- A CASE calls the function of the branch it takes only, so while the end holds the line is not read; and
         -- behind a function, the branch not taken costs nothing to start (migration 016).
         CASE WHEN ${endHolds} THEN w.line_end END AS line_end,
         CASE WHEN ${endHolds} THEN NULL ELSE waitlist_line_sizes(q.tenant_id, q.id) END AS line_sizes,
         CASE WHEN ${endHolds} THEN NULL ELSE waitlist_tables_taken(q.tenant_id, q.id) END AS tables_taken`
             : ''
         }
    FROM waitlist_queues q JOIN locations l ON l.tenant_id = q.tenant_id AND l.id = q.location_id${
      forJoin
        ? `
         LEFT JOIN LATERAL (SELECT e.position, e.line_end ${entries} AND e.status = 'waiting' ORDER BY e.position DESC LIMIT 1) w ON true`
        : ''
    }
   WHERE q.tenant_id = $1 AND q.deleted_at IS NULL`;
}
/**
 * How long a stored line end stands in for the line. The waiting parties' estimates do not age while nobody is called,
 * but the stays of the parties at table run on: a minute bounds how far a join's estimate can differ from the line
 * played afresh. Under a steady stream of joins the line is played in full once a minute per queue.
 */
const LINE_END_FRESH = `interval '1 minute'`;
const QUEUE_SELECT = queueSelect(false);
const QUEUE_SELECT_FOR_JOIN = queueSelect(true);

interface QueueWithLine extends QueueRow {
  /** The transaction's start: the time every row it writes takes as its `now()`. */
  started_at: Date;
  /** The stored end of the line while it holds; then the line itself is not read (both below are null). */
  line_end: StoredLineEnd | null;
  line_sizes: number[] | null;
  tables_taken: { sizes: number[]; minutes: number[] } | null;
}

/** `waitlist_entries.line_end`: a `LineEnd` and the line it was played for (migration 015). */
interface StoredLineEnd {
  waiting: number;
  tables: number;
  default_service_minutes: number;
  since: string;
  hour: number;
  free_in: number[];
}

/** The line end to keep on the guest at place `waiting`; `since` is when the line was last played in full. */
function storedLineEnd(q: QueueRow, waiting: number, end: LineEnd, since: string): string {
  return JSON.stringify({ waiting, tables: q.tables, default_service_minutes: q.default_service_minutes, since, hour: end.hour, free_in: end.freeIn } satisfies StoredLineEnd);
}

async function loadQueue<Q extends QueueRow = QueueRow>(tx: TenantTx, id: string, lock: boolean, select = QUEUE_SELECT): Promise<Q | null> {
  if (lock) return (await lockQueueWith<Q>(tx, { queueId: id }, select, [])).q;
  const [row] = await tx.query<Q>(`${select} AND q.id = $2`, [tx.tenantId, id]);
  return row ?? null;
}

/** A queue named by its id, or by one of its guests (whose queue never changes). */
type QueueKey = { queueId: string } | { entryId: string };

/**
 * Locks the queue and reads it, and runs `then` under the lock, all in one round trip; the rows of each of `then`.
 * The lock is a statement of its own, before the read: the counts must be read with a snapshot taken after the lock
 * was granted. Each statement of a batch takes its own snapshot. `$2` of `then` is the key's id.
 */
async function lockQueueWith<Q extends QueueRow = QueueRow>(
  tx: TenantTx,
  key: QueueKey,
  select: string,
  then: Statement[],
): Promise<{ q: Q | null; then: Record<string, unknown>[][] }> {
  const [id, queue] = 'queueId' in key ? [key.queueId, '$2'] : [key.entryId, '(SELECT queue_id FROM waitlist_entries WHERE tenant_id = $1 AND id = $2)'];
  const [locked, rows, ...more] = await tx.queries([
    { text: `SELECT 1 FROM waitlist_queues WHERE tenant_id = $1 AND id = ${queue} AND deleted_at IS NULL FOR UPDATE`, params: [tx.tenantId, id] },
    { text: `${select} AND q.id = ${queue}`, params: [tx.tenantId, id] },
    ...then,
  ]);
  return { q: locked!.length === 0 ? null : ((rows![0] as Q | undefined) ?? null), then: more };
}

/** A queue the caller may see (404 otherwise, also for another location's queue). */
async function queueFor<Q extends QueueRow = QueueRow>(tx: TenantTx, id: string, principal: Principal | null, permission: string, lock = false, select = QUEUE_SELECT): Promise<Q> {
  const q = await loadQueue<Q>(tx, id, lock, select);
  if (!q || (principal && !principal.at(permission, q.location_id))) throw errors.notFound('queue');
  return q;
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/** Open now by the queue's hours, in the location's time zone; a span closing before it opens runs past midnight. */
export function openByHours(hours: QueueRow['hours'], dow: number, hhmm: string): boolean {
  if (!hours) return true;
  const now = minutesOf(hhmm);
  const today = hours[dow - 1] ?? [];
  const yesterday = hours[(dow + 5) % 7] ?? [];
  for (const span of today) {
    const open = minutesOf(span.open);
    const close = minutesOf(span.close);
    if (close > open ? now >= open && now < close : now >= open) return true;
  }
  for (const span of yesterday) {
    const open = minutesOf(span.open);
    const close = minutesOf(span.close);
    if (close < open && now < close) return true;
  }
  return false;
}

/** Why a guest could not join right now, or null. The same words the join refusal uses. */
function closedReason(q: QueueRow): { code: string; status: number; message: string } | null {
  if (!q.accepting) return { code: 'queue_not_accepting', status: 409, message: `${q.name} is not taking guests right now.` };
  if (!openByHours(q.hours, q.local_dow, q.local_time)) return { code: 'queue_closed', status: 409, message: `${q.name} is closed at this hour. ${hoursToday(q)}` };
  if (q.max_capacity !== null && q.waiting >= q.max_capacity) return { code: 'queue_full', status: 409, message: `${q.name} is full (${q.max_capacity} ${q.max_capacity === 1 ? 'party' : 'parties'} waiting). Please try again soon.` };
  if (q.daily_cap !== null && q.joined_today >= q.daily_cap) return { code: 'daily_cap_reached', status: 409, message: `${q.name} has taken all ${q.daily_cap} guests it can today.` };
  return null;
}

function hoursToday(q: QueueRow): string {
  const spans = q.hours?.[q.local_dow - 1] ?? [];
  return spans.length ? `Today's hours: ${spans.map((s) => `${s.open}–${s.close}`).join(', ')}.` : 'It is closed all day today.';
}

// ---------------------------------------------------------------- estimates

const models = new Map<string, { model: EstimateModel; until: number }>();
const MODEL_SECONDS = 300;

/**
 * The queue's estimate model, from its last four weeks of finished visits and of the line (how many parties joined, how
 * many walked away unseen, how long they all waited); rebuilt every five minutes at most.
 */
async function modelOf(tx: TenantTx, q: QueueRow): Promise<EstimateModel> {
  const key = `${tx.tenantId}:${q.id}:${q.default_service_minutes}`;
  const cached = models.get(key);
  if (cached && cached.until > Date.now()) return cached.model;
  const [visits, [line]] = (await tx.queries([
    {
      text: `SELECT party_size AS "partySize", extract(hour FROM seated_at AT TIME ZONE $3)::int AS hour,
                    extract(epoch FROM completed_at - seated_at)::float8 / 60 AS "serviceMinutes"
               FROM waitlist_entries
              WHERE tenant_id = $1 AND queue_id = $2 AND completed_at IS NOT NULL AND seated_at IS NOT NULL
                AND seated_at > now() - interval '28 days'
              ORDER BY seated_at DESC LIMIT 5000`,
      params: [tx.tenantId, q.id, q.time_zone],
    },
    {
      // A walk-away left the line without ever being called: cancelled (by the guest, or by the host stand for them)
      // or marked a no-show while still waiting. A party's time in the line runs until its call, until
      // it left, or until now if still waiting, at most 240 minutes (LONGEST_WAIT_MINUTES in estimate.ts: an entry
      // nobody closed at the end of the evening is not days of patience).
      text: `SELECT count(*)::int AS joins,
                    count(*) FILTER (WHERE status IN ('cancelled', 'no_show') AND called_at IS NULL)::int AS "walkAways",
                    coalesce(sum(least(greatest(extract(epoch FROM coalesce(called_at,
                      CASE status WHEN 'cancelled' THEN cancelled_at WHEN 'no_show' THEN no_show_at WHEN 'waiting' THEN now() END,
                      joined_at) - joined_at)::float8 / 60, 0), 240)), 0)::float8 AS "minutesWaited"
               FROM waitlist_entries
              WHERE tenant_id = $1 AND queue_id = $2 AND joined_at > now() - interval '28 days'`,
      params: [tx.tenantId, q.id],
    },
  ])) as [ServedVisit[], { joins: number; walkAways: number; minutesWaited: number }[]];
  const model = buildModel(visits, q.default_service_minutes, line);
  if (models.size > 10_000) models.clear();
  models.set(key, { model, until: Date.now() + MODEL_SECONDS * 1000 });
  return model;
}

export interface LineupItem {
  id: string;
  position: number;
  estimate_minutes: number;
}

interface LineRow {
  id: string;
  status: string;
  party_size: number;
  position: number | null;
  seated_minutes: number | null;
}

/** The parties a queue's estimates are made from: the line, and those holding tables. */
function lineRead(tx: TenantTx, q: QueueRow): Statement {
  return {
    // A called party is about to take a table: it counts as seated from now.
    text: `SELECT id, status, party_size, position, coalesce(extract(epoch FROM now() - seated_at)::float8 / 60, 0) AS seated_minutes
             FROM waitlist_entries
            WHERE tenant_id = $1 AND queue_id = $2
              AND (status = 'waiting' OR (status = 'seated' AND seated_at > now() - interval '12 hours')
                   OR (status = 'called' AND called_at > now() - interval '2 hours'))
            ORDER BY position NULLS LAST`,
    params: [tx.tenantId, q.id],
  };
}

/** The waiting line in order with each party's estimate, from the parties now seated and the model. */
async function lineupOf(tx: TenantTx, q: QueueRow): Promise<{ lineup: LineupItem[]; newcomer: number }> {
  const read = lineRead(tx, q);
  return lineupFrom(tx, q, await tx.query<LineRow>(read.text, read.params));
}

async function lineupFrom(tx: TenantTx, q: QueueRow, rows: LineRow[]): Promise<{ lineup: LineupItem[]; newcomer: number; end: LineEnd }> {
  const model = await modelOf(tx, q);
  const waiting = rows.filter((r) => r.status === 'waiting');
  const seated = rows.filter((r) => r.status !== 'waiting').map((r) => ({ partySize: r.party_size, seatedMinutesAgo: r.seated_minutes ?? 0 }));
  const { estimates, end } = playLine(model, { tables: q.tables, hour: q.local_hour, seated, waiting: waiting.map((w) => ({ partySize: w.party_size })) });
  return {
    lineup: waiting.map((w, i) => ({ id: w.id, position: w.position!, estimate_minutes: estimates[i] ?? 0 })),
    // One more, typical party at the end: what a guest joining now would wait.
    newcomer: joinLineEnd(model, end, 2).estimate,
    end,
  };
}

// ---------------------------------------------------------------- views

interface EntryRow {
  id: string;
  queue_id: string;
  location_id: string;
  name: string;
  phone: string | null;
  email: string | null;
  party_size: number;
  service_type: string | null;
  notes: string | null;
  source: 'guest' | 'staff' | 'api';
  status: (typeof s.STATUSES)[number];
  position: number | null;
  joined_at: Date;
  called_at: Date | null;
  seated_at: Date | null;
  completed_at: Date | null;
  cancelled_at: Date | null;
  no_show_at: Date | null;
  cancelled_by: 'guest' | 'staff' | null;
  calls: number;
  version: number;
  unread: number;
}

const ENTRY_FIELDS = `e.id, e.queue_id, e.location_id, e.name, e.phone, e.email, e.party_size, e.service_type, e.notes, e.source, e.status,
  e.position, e.joined_at, e.called_at, e.seated_at, e.completed_at, e.cancelled_at, e.no_show_at, e.cancelled_by, e.calls, e.version`;
const ENTRY_COLUMNS = `${ENTRY_FIELDS},
  (SELECT count(*)::int FROM waitlist_messages m WHERE m.tenant_id = e.tenant_id AND m.entry_id = e.id AND m.sender = 'guest' AND m.read_at IS NULL) AS unread`;

type Entry = z.output<typeof s.entry>;

function entryView(r: EntryRow, lineup?: Map<string, LineupItem>): Entry {
  return { ...r, estimate_minutes: r.status === 'waiting' ? (lineup?.get(r.id)?.estimate_minutes ?? null) : null };
}

async function entryRow(tx: TenantTx, id: string, lock = false): Promise<EntryRow | null> {
  const [row] = await tx.query<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM waitlist_entries e WHERE e.tenant_id = $1 AND e.id = $2${lock ? ' FOR UPDATE' : ''}`, [
    tx.tenantId,
    id,
  ]);
  return row ?? null;
}

function queueView(q: QueueRow, estimate: number): z.output<typeof s.queue> {
  const reason = closedReason(q);
  return {
    id: q.id,
    location_id: q.location_id,
    name: q.name,
    description: q.description,
    accepting: q.accepting,
    max_capacity: q.max_capacity,
    daily_cap: q.daily_cap,
    hours: q.hours,
    party_min: q.party_min,
    party_max: q.party_max,
    service_types: q.service_types,
    no_show_grace_minutes: q.no_show_grace_minutes,
    guests_may_cancel: q.guests_may_cancel,
    default_service_minutes: q.default_service_minutes,
    tables: q.tables,
    notify_at_position: q.notify_at_position,
    open_now: reason === null,
    closed_reason: reason?.message ?? null,
    waiting: q.waiting,
    called: q.called,
    joined_today: q.joined_today,
    estimate_minutes: estimate,
    version: q.version,
    created_at: q.created_at,
    updated_at: q.updated_at,
  };
}

// ---------------------------------------------------------------- queue management

export async function listQueues(tx: TenantTx, principal: Principal, locationId: string | undefined) {
  const scope = principal.scope('waitlist.queue.read');
  const rows = await tx.query<QueueRow>(
    `${QUEUE_SELECT} AND ($2::uuid IS NULL OR q.location_id = $2) AND ($3::uuid[] IS NULL OR q.location_id = ANY($3::uuid[])) ORDER BY l.name, q.name, q.id`,
    [tx.tenantId, locationId ?? null, scope === 'all' ? null : scope],
  );
  const items = [];
  for (const q of rows) items.push(queueView(q, (await lineupOf(tx, q)).newcomer));
  return { items };
}

export async function getQueue(tx: TenantTx, principal: Principal | null, id: string) {
  const q = await queueFor(tx, id, principal, 'waitlist.queue.read');
  return queueView(q, (await lineupOf(tx, q)).newcomer);
}

const QUEUE_FIELDS = [
  'name', 'description', 'accepting', 'max_capacity', 'daily_cap', 'hours', 'party_min', 'party_max', 'service_types',
  'no_show_grace_minutes', 'guests_may_cancel', 'default_service_minutes', 'tables', 'notify_at_position',
] as const;

function nameTaken(err: unknown): never {
  if ((err as { code?: string }).code === '23505') throw errors.conflict('name_taken', 'This location already has a queue of that name.', 'body.name');
  throw err;
}

export async function createQueue(tx: TenantTx, principal: Principal, input: z.output<typeof s.createQueue>) {
  if (!principal.at('waitlist.queue.manage', input.location_id)) throw errors.notFound('location');
  const [loc] = await tx.query(`SELECT 1 FROM locations WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, input.location_id]);
  if (!loc) throw errors.notFound('location');
  const id = uuidv7();
  await tx
    .query(
      `INSERT INTO waitlist_queues (tenant_id, id, location_id, ${QUEUE_FIELDS.join(', ')})
       VALUES ($1, $2, $3, ${QUEUE_FIELDS.map((_, i) => `$${i + 4}`).join(', ')})`,
      [tx.tenantId, id, input.location_id, ...QUEUE_FIELDS.map((f) => (f === 'hours' ? (input.hours ? JSON.stringify(input.hours) : null) : input[f]))],
    )
    .catch(nameTaken);
  keepPurgeScheduled(tx);
  return getQueue(tx, principal, id);
}

export async function updateQueue(tx: TenantTx, principal: Principal, id: string, input: z.output<typeof s.updateQueue>, deps: WaitlistDeps) {
  const q = await queueFor(tx, id, principal, 'waitlist.queue.manage', true);
  if (q.version !== input.version) throw errors.staleVersion();
  const min = input.party_min ?? q.party_min;
  const max = input.party_max ?? q.party_max;
  if (min > max) throw errors.badRequest('party_range', 'party_min must not be above party_max.', input.party_max !== undefined ? 'body.party_max' : 'body.party_min');
  const changes: Record<string, unknown> = {};
  for (const f of QUEUE_FIELDS) if (input[f] !== undefined) changes[f] = input[f];
  const sets = Object.keys(changes);
  if (sets.length) {
    await tx
      .query(
        `UPDATE waitlist_queues SET ${sets.map((f, i) => `${f} = $${i + 3}`).join(', ')}, version = version + 1, updated_at = now()
          WHERE tenant_id = $1 AND id = $2`,
        [tx.tenantId, id, ...sets.map((f) => (f === 'hours' ? (changes.hours ? JSON.stringify(changes.hours) : null) : changes[f]))],
      )
      .catch(nameTaken);
    const after = (await loadQueue(tx, id, false))!;
    await announce(tx, deps, after, null);
  }
  const before: Record<string, unknown> = Object.fromEntries(QUEUE_FIELDS.map((f) => [f, q[f]]));
  return { queue: await getQueue(tx, principal, id), changes: diff(before, changes), locationId: q.location_id };
}

export async function deleteQueue(tx: TenantTx, deps: Pick<WaitlistDeps, 'realtime'>, principal: Principal, id: string) {
  const q = await queueFor(tx, id, principal, 'waitlist.queue.manage', true);
  if (q.waiting + q.called > 0) {
    throw errors.conflict('guests_waiting', `${q.name} still has ${q.waiting + q.called} ${q.waiting + q.called === 1 ? 'party' : 'parties'} waiting or called. Seat, cancel or move them first.`);
  }
  await tx.query(`UPDATE waitlist_queues SET deleted_at = now(), accepting = false, version = version + 1 WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, id]);
  // Still under the queue's lock: the other tablets showing this board leave it instead of showing a line nobody serves.
  await deps.realtime.publish(tx, `queue:${id}`, 'queue.deleted', { queue_id: id, name: q.name });
  return q;
}

// ---------------------------------------------------------------- the line

export async function board(tx: TenantTx, principal: Principal, id: string, realtime: Realtime) {
  const q = await queueFor(tx, id, principal, 'waitlist.entry.read');
  const { lineup, newcomer } = await lineupOf(tx, q);
  const byId = new Map(lineup.map((l) => [l.id, l]));
  const rows = await tx.query<EntryRow>(
    `SELECT ${ENTRY_COLUMNS} FROM waitlist_entries e
      WHERE e.tenant_id = $1 AND e.queue_id = $2
        AND (e.status IN ('waiting', 'called') OR (e.status = 'seated' AND e.seated_at > now() - interval '12 hours'))
      ORDER BY CASE e.status WHEN 'waiting' THEN 0 WHEN 'called' THEN 1 ELSE 2 END, e.position, e.called_at, e.seated_at`,
    [tx.tenantId, id],
  );
  return { queue: queueView(q, newcomer), entries: rows.map((r) => entryView(r, byId)), seq: await realtime.highWater(tx, [`queue:${id}`]) };
}

/** What `announce` reads: the line, and (when messages go out) the parties that have just come close to the front. */
function announceReads(tx: TenantTx, q: QueueRow, biz?: Biz): Statement[] {
  return [
    lineRead(tx, q),
    ...(biz
      ? [
          {
            text: `UPDATE waitlist_entries SET close_notified = true
                    WHERE tenant_id = $1 AND queue_id = $2 AND status = 'waiting' AND position <= $3 AND NOT close_notified RETURNING id`,
            params: [tx.tenantId, q.id, q.notify_at_position],
          },
        ]
      : []),
  ];
}

/**
 * Tells every board and every guest of the queue what changed, and sends "getting close" to whoever just reached it.
 * `read` is what `announceReads` answered, when the caller sent it with its own writes; otherwise it is read here.
 */
async function announce(tx: TenantTx, deps: WaitlistDeps, q: QueueRow, changed: EntryRow | null, biz?: Biz, read?: Record<string, unknown>[][]): Promise<Entry | null> {
  const [line = [], close = []] = read ?? (await tx.queries(announceReads(tx, q, biz)));
  const { lineup, end } = await lineupFrom(tx, q, line as unknown as LineRow[]);
  // The line was just played in full: its end goes on whoever is now last, for the next join (with the commit, so
  // after every place this change shifts).
  if (lineup.length > 0) {
    tx.writeAtCommit(
      `UPDATE waitlist_entries SET line_end = $4::jsonb || jsonb_build_object('since', now())
        WHERE tenant_id = $1 AND queue_id = $2 AND status = 'waiting' AND position = $3`,
      // `since` is the transaction's start, which only the database knows here.
      [tx.tenantId, q.id, lineup.length, storedLineEnd(q, lineup.length, end, '')],
    );
  }
  const byId = new Map(lineup.map((l) => [l.id, l]));
  const entry = changed ? entryView(changed, byId) : null;
  await deps.realtime.publish(tx, `queue:${q.id}`, 'entry.changed', { entry, lineup });
  if (biz) for (const c of close) await deps.notify(tx, biz, String(c.id), 'close');
  return entry;
}

export function normalisePhone(input: string, tenant: Pick<HostTenant, 'locale'>, field = 'body.phone'): string {
  const region = tenant.locale.split('-')[1]?.toUpperCase() as CountryCode | undefined;
  const parsed = parsePhoneNumberFromString(input, region ? { defaultCountry: region } : undefined);
  if (!parsed || !parsed.isValid()) {
    throw errors.badRequest('invalid_phone', `${input} is not a phone number we can text. Include the country code, e.g. +1 212 555 0100.`, field);
  }
  return parsed.number;
}

export interface JoinInput {
  name: string;
  phone?: string;
  email?: string;
  party_size: number;
  service_type?: string;
  notes?: string;
}

/** A party joins the line: every refusal has its reason, and the position is taken under the queue's lock. */
export async function join(
  tx: TenantTx,
  deps: WaitlistDeps,
  biz: Biz & { id: string },
  queueId: string,
  input: JoinInput,
  by: { source: 'guest' | 'staff' | 'api'; principal: Principal | null },
) {
  const phone = input.phone ? normalisePhone(input.phone, biz) : null;
  // The business's message channels (for a guest who can be written to) and the phone's checks ride with the queue's
  // lock and read: one round trip whatever the guest left.
  const writable = phone !== null || input.email !== undefined;
  const phoneChecks: Statement[] = phone
    ? [
        {
          text: `SELECT 1 FROM waitlist_entries WHERE tenant_id = $1 AND queue_id = $2 AND phone = $3 AND status IN ('waiting', 'called')`,
          params: [tx.tenantId, queueId, phone],
        },
        ...(by.source === 'guest'
          ? [{ text: `SELECT count(*)::int AS n FROM waitlist_entries WHERE tenant_id = $1 AND phone = $2 AND joined_at > now() - interval '1 hour'`, params: [tx.tenantId, phone] }]
          : []),
      ]
    : [];
  const locked = await lockQueueWith<QueueWithLine>(tx, { queueId }, QUEUE_SELECT_FOR_JOIN, [...phoneChecks, ...(writable ? [channelsRead(tx)] : [])]);
  const q = locked.q;
  if (!q || (by.principal && !by.principal.at('waitlist.entry.serve', q.location_id))) throw errors.notFound('queue');
  const [dupRows = [], recentRows = []] = locked.then.slice(0, phoneChecks.length);
  const channelRows = writable ? locked.then.at(-1) : undefined;
  // Staff may add a walk-in to a paused or full queue (the guest is standing at the stand); guests and integrations may not.
  const reason = closedReason(q);
  if (reason && by.source !== 'staff') throw new AppError(reason.status, reason.code, reason.message);
  if (input.party_size < q.party_min || input.party_size > q.party_max) {
    const message = `${q.name} seats parties of ${q.party_min} to ${q.party_max}.`;
    throw new AppError(422, 'party_size_out_of_range', message, [{ field: 'body.party_size', code: 'party_size_out_of_range', message }]);
  }
  if (input.service_type !== undefined && q.service_types.length > 0 && !q.service_types.includes(input.service_type)) {
    const message = `service_type is one of ${q.service_types.join(', ')}.`;
    throw new AppError(422, 'unknown_service_type', message, [{ field: 'body.service_type', code: 'unknown_service_type', message }]);
  }
  if (phone) {
    if (dupRows.length > 0) throw errors.conflict('already_waiting', 'This phone number is already waiting in this queue. Check your text messages for your place.', 'body.phone');
    if (by.source === 'guest') {
      if (Number(recentRows[0]?.n ?? 0) >= JOINS_PER_PHONE_PER_HOUR) {
        throw new AppError(429, 'rate_limited', 'This phone number has joined too often in the last hour. Please ask at the host stand.', [
          { field: 'body.phone', code: 'rate_limited', message: 'joined too often in the last hour' },
        ], { retry_after_seconds: 3600 }, { 'retry-after': '3600' });
      }
    }
  }
  const position = q.waiting + 1;
  // Nobody already in line moves when a party joins at the end, so the line needs no new estimates: only the
  // newcomer's, from where the tables stand after the parties ahead. It is written with the row, and the event carries
  // just this place. That end is the stored one while it holds, otherwise the line played afresh.
  const model = await modelOf(tx, q);
  let ahead: LineEnd;
  let since = q.started_at.toISOString();
  if (q.line_end) {
    ahead = { freeIn: q.line_end.free_in, hour: q.line_end.hour };
    since = q.line_end.since;
  } else {
    const taken = q.tables_taken ?? { sizes: [], minutes: [] };
    const seated = taken.sizes.map((size, i) => ({ partySize: size, seatedMinutesAgo: taken.minutes[i] ?? 0 }));
    const waiting = (q.line_sizes ?? []).map((size) => ({ partySize: size }));
    ahead = playLine(model, { tables: q.tables, hour: q.local_hour, seated, waiting }).end;
  }
  const { estimate, end } = joinLineEnd(model, ahead, input.party_size);
  const id = uuidv7();
  const token = issueToken(TOKEN_PREFIX, tx.tenantId);
  // Every value of the new row is known here, so nothing is read back: the INSERT goes with the COMMIT, and the queue's
  // lock is held for one round trip after it was granted instead of two. `joined_at` and `updated_at` take their
  // defaults, now(), the transaction's start read with the queue.
  tx.writeAtCommit(
    `INSERT INTO waitlist_entries (tenant_id, id, queue_id, location_id, token_hash, name, phone, email, party_size, service_type, notes, source,
                                   position, position_at_join, business_date, close_notified, estimate_at_join, line_end)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15, $16, $17)`,
    [tx.tenantId, id, q.id, q.location_id, token.hash, input.name, phone, input.email ?? null, input.party_size, input.service_type ?? null,
      input.notes ?? null, by.source, position, q.local_date, position <= q.notify_at_position, estimate, storedLineEnd(q, position, end, since)],
  );
  const entry: Entry = {
    id,
    queue_id: q.id,
    location_id: q.location_id,
    name: input.name,
    phone,
    email: input.email ?? null,
    party_size: input.party_size,
    service_type: input.service_type ?? null,
    notes: input.notes ?? null,
    source: by.source,
    status: 'waiting',
    position,
    joined_at: q.started_at,
    called_at: null,
    seated_at: null,
    completed_at: null,
    cancelled_at: null,
    no_show_at: null,
    cancelled_by: null,
    calls: 0,
    version: 1,
    unread: 0,
    estimate_minutes: estimate,
  };
  await deps.realtime.publish(tx, `queue:${q.id}`, 'entry.changed', { entry, lineup: [{ id, position, estimate_minutes: estimate }] });
  const statusUrl = `${deps.tenantUrl(biz.slug)}/e/${token.token}`;
  await deps.notify(tx, biz, id, 'joined', {
    link: statusUrl,
    guest: { name: input.name, party_size: input.party_size, position, phone, email: input.email ?? null, queue: q.name },
    channels: channelsFrom(channelRows),
  });
  return { entry, token: token.token, status_url: statusUrl };
}

type Action = 'call' | 'seat' | 'complete' | 'no_show' | 'cancel' | 'requeue' | 'move';

const ALLOWED: Record<Action, readonly string[]> = {
  call: ['waiting'],
  seat: ['waiting', 'called'],
  complete: ['seated'],
  no_show: ['waiting', 'called'],
  cancel: ['waiting', 'called'],
  requeue: ['called', 'no_show'],
  move: ['waiting'],
};

const DONE_WORDS: Record<string, string> = {
  waiting: 'is waiting',
  called: 'has been called',
  seated: 'is seated',
  completed: 'has left',
  cancelled: 'has cancelled',
  no_show: 'was marked a no-show',
};

/**
 * Moves one guest: leaving the line closes the gap behind them, entering it (requeue, move) opens one. The shifts are
 * single statements; the exclusion constraint is checked at commit, when the line is dense again.
 */
export async function act(
  tx: TenantTx,
  deps: WaitlistDeps,
  biz: Biz,
  entryId: string,
  action: Action,
  by: { principal: Principal | null; guest?: boolean; position?: number },
): Promise<{ entry: Entry; before: EntryRow; queue: QueueRow }> {
  // The guest's queue locked, its counts and the guest's own row lock in one round trip; the queue first, as everywhere.
  const locked = await lockQueueWith(tx, { entryId }, QUEUE_SELECT, [
    { text: `SELECT ${ENTRY_COLUMNS} FROM waitlist_entries e WHERE e.tenant_id = $1 AND e.id = $2 FOR UPDATE`, params: [tx.tenantId, entryId] },
    ...(MESSAGED.has(action) ? [channelsRead(tx)] : []),
  ]);
  const q = locked.q;
  // No such guest, or a deleted queue: it keeps its history, its guests are still there to be read, not moved.
  if (!q || (by.principal && !by.principal.at('waitlist.entry.serve', q.location_id))) throw errors.notFound('guest');
  return actOn(tx, deps, biz, q, locked.then[0]![0] as unknown as EntryRow, action, by, MESSAGED.has(action) ? channelsFrom(locked.then[1]) : undefined);
}

/** The actions that write to the guest: their business's channels are read with the locks. */
const MESSAGED = new Set<Action>(['call', 'no_show']);

/** `act` on a guest whose queue and row the caller has locked (in that order); `channels` when it read them too. */
async function actOn(
  tx: TenantTx,
  deps: WaitlistDeps,
  biz: Biz,
  q: QueueRow,
  e: EntryRow,
  action: Action,
  by: { principal: Principal | null; guest?: boolean; position?: number },
  channels?: Channels,
): Promise<{ entry: Entry; before: EntryRow; queue: QueueRow }> {
  if (!ALLOWED[action].includes(e.status)) {
    throw errors.conflict('invalid_transition', `${e.name} ${DONE_WORDS[e.status]}; they cannot be ${verb(action)} now.`);
  }
  if (action === 'cancel' && by.guest && !q.guests_may_cancel) throw new AppError(403, 'cancel_not_allowed', 'Please tell the host stand you are leaving.');
  // The line's shifts and the guest's own change are sent together, with the guest read back after them and the
  // line as it now stands (for the estimates and "getting close"); messages and the no-show timer are queued once
  // they are written.
  const writes: Statement[] = [];
  const then: Array<(after: EntryRow) => Promise<void>> = [];
  const leave = () => {
    if (e.position === null) return;
    writes.push({
      text: `UPDATE waitlist_entries SET position = position - 1 WHERE tenant_id = $1 AND queue_id = $2 AND status = 'waiting' AND position > $3`,
      params: [tx.tenantId, q.id, e.position],
    });
  };
  const waitingNow = q.waiting - (e.status === 'waiting' ? 1 : 0);
  const set = (sql: string, params: unknown[] = []) =>
    writes.push({
      text: `UPDATE waitlist_entries SET ${sql}, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
      params: [tx.tenantId, e.id, ...params],
    });
  switch (action) {
    case 'call':
      leave();
      set(`status = 'called', position = NULL, called_at = now(), calls = calls + 1`);
      if (q.no_show_grace_minutes) then.push(() => deps.scheduleNoShow(tx, biz, e.id, e.calls + 1, q.no_show_grace_minutes!));
      then.push((after) => deps.notify(tx, biz, e.id, 'called', { guest: guestOf(after, q.name), channels }));
      break;
    case 'seat':
      leave();
      set(`status = 'seated', position = NULL, seated_at = now(), called_at = coalesce(called_at, now())`);
      break;
    case 'complete':
      set(`status = 'completed', completed_at = now()`);
      break;
    case 'no_show':
      leave();
      set(`status = 'no_show', position = NULL, no_show_at = now()`);
      then.push((after) => deps.notify(tx, biz, e.id, 'no_show', { guest: guestOf(after, q.name), channels }));
      break;
    case 'cancel':
      leave();
      set(`status = 'cancelled', position = NULL, cancelled_at = now(), cancelled_by = $3`, [by.guest ? 'guest' : 'staff']);
      break;
    case 'requeue':
    case 'move': {
      leave();
      const to = Math.min(by.position ?? 1, waitingNow + 1);
      writes.push({
        text: `UPDATE waitlist_entries SET position = position + 1 WHERE tenant_id = $1 AND queue_id = $2 AND status = 'waiting' AND position >= $3`,
        params: [tx.tenantId, q.id, to],
      });
      set(`status = 'waiting', position = $3::int, no_show_at = NULL, close_notified = close_notified OR $3::int <= $4::int`, [to, q.notify_at_position]);
      break;
    }
  }
  const reads = announceReads(tx, q, biz);
  const written = await tx.queries([
    ...writes,
    { text: `SELECT ${ENTRY_COLUMNS} FROM waitlist_entries e WHERE e.tenant_id = $1 AND e.id = $2`, params: [tx.tenantId, e.id] },
    ...reads,
  ]);
  const after = written[writes.length]![0] as unknown as EntryRow;
  for (const fn of then) await fn(after);
  const stillWaiting = after.status === 'waiting' ? waitingNow + 1 : waitingNow;
  const entry = (await announce(tx, deps, { ...q, waiting: stillWaiting }, after, biz, written.slice(writes.length + 1)))!;
  return { entry, before: e, queue: q };
}

/** A guest's message is worded from the row as now written, already at hand: no lookup of its own. */
function guestOf(r: EntryRow, queue: string): Guest {
  return { name: r.name, party_size: r.party_size, position: r.position, phone: r.phone, email: r.email, queue };
}

function verb(action: Action): string {
  return { call: 'called', seat: 'seated', complete: 'marked as left', no_show: 'marked a no-show', cancel: 'cancelled', requeue: 'put back in line', move: 'moved' }[action];
}

export async function callNext(tx: TenantTx, deps: WaitlistDeps, biz: Biz, principal: Principal, queueId: string) {
  // The front of the line is read and locked under the queue's lock, in the lock's own round trip.
  const locked = await lockQueueWith(tx, { queueId }, QUEUE_SELECT, [
    {
      text: `SELECT ${ENTRY_COLUMNS} FROM waitlist_entries e WHERE e.tenant_id = $1 AND e.queue_id = $2 AND e.status = 'waiting' ORDER BY e.position LIMIT 1 FOR UPDATE`,
      params: [tx.tenantId, queueId],
    },
    channelsRead(tx),
  ]);
  const q = locked.q;
  if (!q || !principal.at('waitlist.entry.serve', q.location_id)) throw errors.notFound('queue');
  const first = locked.then[0]![0] as unknown as EntryRow | undefined;
  if (!first) throw errors.conflict('line_empty', `Nobody is waiting in ${q.name}.`);
  return actOn(tx, deps, biz, q, first, 'call', { principal }, channelsFrom(locked.then[1]));
}

/** Calls the chosen guests, or the first `count` in line. */
export async function bulkCall(tx: TenantTx, deps: WaitlistDeps, biz: Biz, principal: Principal, queueId: string, pick: { entry_ids?: string[]; count?: number }) {
  const q = await queueFor(tx, queueId, principal, 'waitlist.entry.serve', true);
  let ids = pick.entry_ids ?? [];
  if (pick.count !== undefined) {
    const first = await tx.query<{ id: string }>(`SELECT id FROM waitlist_entries WHERE tenant_id = $1 AND queue_id = $2 AND status = 'waiting' ORDER BY position LIMIT $3`, [
      tx.tenantId,
      q.id,
      pick.count,
    ]);
    if (first.length === 0) throw errors.conflict('line_empty', `Nobody is waiting in ${q.name}.`);
    ids = first.map((r) => r.id);
  }
  const rows = await tx.query<{ id: string; status: string; name: string }>(
    `SELECT id, status, name FROM waitlist_entries WHERE tenant_id = $1 AND queue_id = $2 AND id = ANY($3::uuid[])`,
    [tx.tenantId, q.id, ids],
  );
  const missing = ids.filter((id) => !rows.some((r) => r.id === id));
  if (missing.length) throw new AppError(404, 'not_found', `${missing.length === 1 ? 'A guest' : `${missing.length} guests`} to call are not in ${q.name}.`, [{ field: 'body.entry_ids', code: 'not_found', message: missing.join(', ') }]);
  const notWaiting = rows.filter((r) => r.status !== 'waiting');
  if (notWaiting.length) throw errors.conflict('invalid_transition', `${notWaiting.map((r) => r.name).join(', ')} ${notWaiting.length === 1 ? 'is' : 'are'} not waiting.`, 'body.entry_ids');
  const called = [];
  for (const id of ids) called.push(await act(tx, deps, biz, id, 'call', { principal }));
  return called;
}

export async function getEntry(tx: TenantTx, principal: Principal, id: string) {
  const e = await entryRow(tx, id);
  if (!e || !principal.at('waitlist.entry.read', e.location_id)) throw errors.notFound('guest');
  const [q] = await tx.query<QueueRow>(`${QUEUE_SELECT.replace('AND q.deleted_at IS NULL', '')} AND q.id = $2`, [tx.tenantId, e.queue_id]);
  const lineup = e.status === 'waiting' && q ? new Map((await lineupOf(tx, q)).lineup.map((l) => [l.id, l])) : undefined;
  const deliveries = await tx.query<z.output<typeof s.delivery>>(
    `SELECT id, channel, kind, to_address, status, error, attempts, created_at, sent_at FROM waitlist_deliveries
      WHERE tenant_id = $1 AND entry_id = $2 ORDER BY created_at, id`,
    [tx.tenantId, id],
  );
  return { ...entryView(e, lineup), deliveries };
}

export async function updateEntry(tx: TenantTx, deps: WaitlistDeps, principal: Principal, id: string, input: z.output<typeof s.updateEntry>) {
  const peek = await entryRow(tx, id);
  if (!peek || !principal.at('waitlist.entry.serve', peek.location_id)) throw errors.notFound('guest');
  const q = (await loadQueue(tx, peek.queue_id, true)) ?? null;
  const e = (await entryRow(tx, id, true))!;
  if (e.version !== input.version) throw errors.staleVersion();
  const fields = (['name', 'party_size', 'notes', 'service_type'] as const).filter((f) => input[f] !== undefined);
  if (fields.length) {
    await tx.query(
      `UPDATE waitlist_entries SET ${fields.map((f, i) => `${f} = $${i + 3}`).join(', ')}, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
      [tx.tenantId, id, ...fields.map((f) => input[f])],
    );
  }
  const after = (await entryRow(tx, id))!;
  const entry = q ? await announce(tx, deps, q, after) : entryView(after);
  return { entry: entry!, changes: diff(e as unknown as Record<string, unknown>, Object.fromEntries(fields.map((f) => [f, input[f]]))), locationId: e.location_id };
}

// ---------------------------------------------------------------- guests (by entry token)

/** The entry an entry token names, in the business whose address it was used on; anything else is "not found". */
export async function entryByToken(tx: TenantTx, token: string): Promise<EntryRow> {
  const parsed = parseToken(TOKEN_PREFIX, token);
  if (!parsed || parsed.tenantId !== tx.tenantId) throw errors.notFound('entry');
  const [row] = await tx.query<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM waitlist_entries e WHERE e.tenant_id = $1 AND e.token_hash = $2`, [tx.tenantId, parsed.hash]);
  if (!row) throw errors.notFound('entry');
  return row;
}

export async function guestView(tx: TenantTx, realtime: Realtime, biz: Biz, e: EntryRow): Promise<z.output<typeof s.guestEntry>> {
  const [q] = await tx.query<QueueRow>(`${QUEUE_SELECT.replace('AND q.deleted_at IS NULL', '')} AND q.id = $2`, [tx.tenantId, e.queue_id]);
  const lineup = e.status === 'waiting' && q ? (await lineupOf(tx, q)).lineup : [];
  const mine = lineup.find((l) => l.id === e.id);
  const [unread] = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM waitlist_messages WHERE tenant_id = $1 AND entry_id = $2 AND sender = 'staff' AND read_at IS NULL`,
    [tx.tenantId, e.id],
  );
  return {
    id: e.id,
    business: biz.name,
    queue: { id: e.queue_id, name: q?.name ?? '', location: q?.location_name ?? '' },
    name: e.name,
    party_size: e.party_size,
    status: e.status,
    position: e.position,
    estimate_minutes: mine?.estimate_minutes ?? null,
    joined_at: e.joined_at,
    called_at: e.called_at,
    can_cancel: Boolean(q?.guests_may_cancel) && (e.status === 'waiting' || e.status === 'called'),
    unread: unread?.n ?? 0,
    seq: await realtime.highWater(tx, [`queue:${e.queue_id}`, `entry:${e.id}`]),
  };
}

export async function publicQueues(tx: TenantTx, locationId: string | undefined) {
  const rows = await tx.query<QueueRow>(`${QUEUE_SELECT} AND ($2::uuid IS NULL OR q.location_id = $2) ORDER BY l.name, q.name, q.id`, [tx.tenantId, locationId ?? null]);
  const items = [];
  for (const q of rows) items.push(publicQueueView(q, (await lineupOf(tx, q)).newcomer));
  return items;
}

export async function publicQueue(tx: TenantTx, id: string) {
  const q = await loadQueue(tx, id, false);
  if (!q) throw errors.notFound('queue');
  return publicQueueView(q, (await lineupOf(tx, q)).newcomer);
}

function publicQueueView(q: QueueRow, estimate: number): z.output<typeof s.publicQueue> {
  const reason = closedReason(q);
  return {
    id: q.id,
    name: q.name,
    description: q.description,
    location: { id: q.location_id, name: q.location_name },
    accepting: q.accepting,
    open_now: reason === null,
    closed_reason: reason?.message ?? null,
    waiting: q.waiting,
    estimate_minutes: estimate,
    party_min: q.party_min,
    party_max: q.party_max,
    service_types: q.service_types,
  };
}

// ---------------------------------------------------------------- chat

type Message = z.output<typeof s.message>;

export async function messagesOf(tx: TenantTx, entryId: string, markReadFrom: 'guest' | 'staff' | null): Promise<Message[]> {
  if (markReadFrom) {
    await tx.query(`UPDATE waitlist_messages SET read_at = now() WHERE tenant_id = $1 AND entry_id = $2 AND sender = $3 AND read_at IS NULL`, [
      tx.tenantId,
      entryId,
      markReadFrom,
    ]);
  }
  const rows = await tx.query<Omit<Message, 'author'> & { user_id: string | null }>(
    `SELECT id, sender, user_id, body, created_at, read_at FROM waitlist_messages WHERE tenant_id = $1 AND entry_id = $2 ORDER BY created_at, id LIMIT 500`,
    [tx.tenantId, entryId],
  );
  const names = await peopleNames(tx, rows.flatMap((r) => (r.user_id ? [r.user_id] : [])));
  return rows.map(({ user_id, ...r }) => ({ ...r, author: user_id ? (names.get(user_id) ?? 'Staff') : null }));
}

export async function staffEntryForChat(tx: TenantTx, principal: Principal, id: string, permission: string): Promise<EntryRow> {
  const e = await entryRow(tx, id);
  if (!e || !principal.at(permission, e.location_id)) throw errors.notFound('guest');
  return e;
}

/** A chat message, either way: the guest's page and the queue's boards both hear of it. */
export async function postMessage(tx: TenantTx, deps: WaitlistDeps, e: EntryRow, from: { sender: 'guest' | 'staff'; userId: string | null }, body: string): Promise<Message> {
  // Under the queue's lock, so the queue's and the entry's events stay numbered in commit order.
  await tx.query(`SELECT 1 FROM waitlist_queues WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tx.tenantId, e.queue_id]);
  if (from.sender === 'guest' && !['waiting', 'called'].includes(e.status)) {
    throw errors.conflict('entry_closed', 'Your visit has ended; please speak to the host stand.');
  }
  const id = uuidv7();
  const [row] = await tx.query<{ created_at: Date }>(
    `INSERT INTO waitlist_messages (tenant_id, id, entry_id, sender, user_id, body) VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at`,
    [tx.tenantId, id, e.id, from.sender, from.userId, body],
  );
  const author = from.userId ? ((await peopleNames(tx, [from.userId])).get(from.userId) ?? 'Staff') : null;
  const message: Message = { id, sender: from.sender, author, body, created_at: row!.created_at, read_at: null };
  const [unread] = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM waitlist_messages WHERE tenant_id = $1 AND entry_id = $2 AND sender = 'guest' AND read_at IS NULL`,
    [tx.tenantId, e.id],
  );
  await deps.realtime.publish(tx, `entry:${e.id}`, 'message', message);
  await deps.realtime.publish(tx, `queue:${e.queue_id}`, 'message', { entry_id: e.id, unread: unread?.n ?? 0, message });
  return message;
}

/**
 * A host read the guest's messages: the other boards drop the unread badge at once (two hosts, one guest), and
 * the guest's page may show that the restaurant has read them. Nothing is published when nothing was unread.
 */
export async function markRead(tx: TenantTx, deps: Pick<WaitlistDeps, 'realtime'>, e: EntryRow): Promise<number> {
  // Under the queue's lock like every publisher of its channel: an event taking its number outside it could commit
  // ahead of a join's lower number, and a board that heard this one first would drop the join's as already seen.
  const [, read] = (await tx.queries([
    { text: `SELECT 1 FROM waitlist_queues WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, params: [tx.tenantId, e.queue_id] },
    {
      text: `UPDATE waitlist_messages SET read_at = now() WHERE tenant_id = $1 AND entry_id = $2 AND sender = 'guest' AND read_at IS NULL RETURNING read_at`,
      params: [tx.tenantId, e.id],
    },
  ])) as [unknown, { read_at: Date }[]];
  if (read.length > 0) {
    const data = { entry_id: e.id, unread: 0, read_at: read[0]!.read_at };
    await deps.realtime.publish(tx, `queue:${e.queue_id}`, 'messages.read', data);
    await deps.realtime.publish(tx, `entry:${e.id}`, 'messages.read', data);
  }
  return 0;
}

// ---------------------------------------------------------------- jobs

/** The retention purge: one durable job per business, run daily, each run queuing the next. */
export const RETENTION_JOB = 'waitlist.retention';
const PURGE_EVERY_SECONDS = 24 * 3600;

/**
 * A business with a queue has its purge pending: kept wherever a queue is made (the starter one included) and when
 * the retention changes; the job runner puts back any that went missing when it starts. Costs no round trip.
 */
export function keepPurgeScheduled(tx: TenantTx, delaySeconds = PURGE_EVERY_SECONDS): void {
  keepPending(tx, RETENTION_JOB, delaySeconds);
}

/** The automatic no-show: the guest was called, the grace period passed, and nobody seated them or called again. */
export async function noShowAfterGrace(tx: TenantTx, deps: WaitlistDeps, biz: Biz, entryId: string, calls: number) {
  const e = await entryRow(tx, entryId);
  if (!e || e.status !== 'called' || e.calls !== calls) return null;
  const r = await act(tx, deps, biz, entryId, 'no_show', { principal: null });
  // Low risk, unlike a host's: the rule the manager set did it, on time.
  await writeSystemAudit(tx, {
    action: 'waitlist.entry.no_show',
    resourceType: 'waitlist_entry',
    resourceId: r.entry.id,
    locationId: r.entry.location_id,
    risk: 'low',
    changes: { status: [r.before.status, r.entry.status], automatic: true, grace_minutes: r.queue.no_show_grace_minutes },
  });
  return r;
}

/** Deletes what the business keeps no longer, recorded in its trail (guests' names and numbers go with the entries). */
export async function purgeExpired(tx: TenantTx): Promise<{ entries: number; events: number }> {
  const [settings] = await tx.query<{ retention_days: number }>(`SELECT retention_days FROM waitlist_settings WHERE tenant_id = $1`, [tx.tenantId]);
  const days = settings?.retention_days ?? 183;
  const entries = await tx.query(
    `DELETE FROM waitlist_entries WHERE tenant_id = $1 AND joined_at < now() - make_interval(days => $2) AND status NOT IN ('waiting', 'called') RETURNING id`,
    [tx.tenantId, days],
  );
  // Replay needs minutes of history, not months: a client away longer reloads its snapshot.
  const events = await tx.query(`DELETE FROM realtime_events WHERE tenant_id = $1 AND created_at < now() - interval '2 days' RETURNING seq`, [tx.tenantId]);
  // A day that deleted nothing changed nothing: no record, or the trail would fill with a line a day per business.
  if (entries.length + events.length > 0) {
    await writeSystemAudit(tx, {
      action: 'waitlist.retention.purged',
      resourceType: 'waitlist_entry',
      risk: 'medium',
      changes: { entries: entries.length, events: events.length, retention_days: days },
    });
  }
  return { entries: entries.length, events: events.length };
}

// ---------------------------------------------------------------- starter data

/** A new business's first queue: open, the defaults of a casual dining room. */
export async function createStarterQueue(tx: TenantTx, locationId: string, name = 'Dining room'): Promise<string> {
  const id = uuidv7();
  await tx.query(`INSERT INTO waitlist_queues (tenant_id, id, location_id, name, description) VALUES ($1, $2, $3, $4, 'Tables for walk-in guests')`, [
    tx.tenantId,
    id,
    locationId,
    name,
  ]);
  keepPurgeScheduled(tx);
  return id;
}

/**
 * The demo's history: four weeks of evenings served from the queue (so analytics and the estimates have something
 * to learn from), and tonight's line of waiting guests. Timestamps are made in SQL in the location's time zone.
 */
export async function seedDemoLine(tx: TenantTx, queueId: string, days: number): Promise<void> {
  await tx.query(
    `WITH q AS (
       SELECT q.location_id, l.time_zone FROM waitlist_queues q JOIN locations l ON l.tenant_id = q.tenant_id AND l.id = q.location_id
        WHERE q.tenant_id = $1 AND q.id = $2
     ), visits AS (
       SELECT d, n, q.location_id, q.time_zone,
              ((current_date - d) + time '17:30' + make_interval(mins => (n * 7 + (d * 13) % 20))) AT TIME ZONE q.time_zone AS joined_at,
              1 + (n * 5 + d) % 6 AS party_size,
              10 + (n * 11 + d * 3) % 35 AS waited,
              35 + (n * 17 + d * 7) % 50 + (1 + (n * 5 + d) % 6) * 4 AS served_for,
              (n * 31 + d) % 20 AS fate
         FROM q, generate_series(1, $3::int) d, generate_series(0, 24) n
     )
     INSERT INTO waitlist_entries (tenant_id, id, queue_id, location_id, token_hash, name, party_size, source, status, position_at_join,
                                   business_date, joined_at, called_at, seated_at, completed_at, cancelled_at, no_show_at, cancelled_by, calls, close_notified)
     SELECT $1, gen_random_uuid(), $2, location_id, sha256(gen_random_uuid()::text::bytea),
            (ARRAY['Garcia', 'Nguyen', 'Okafor', 'Schmidt', 'Rossi', 'Kowalski', 'Haddad', 'Tanaka'])[1 + (n + d) % 8], party_size,
            CASE WHEN n % 3 = 0 THEN 'staff' ELSE 'guest' END,
            CASE WHEN fate = 0 THEN 'no_show' WHEN fate = 1 THEN 'cancelled' ELSE 'completed' END,
            1 + n % 9, (joined_at AT TIME ZONE time_zone)::date, joined_at,
            CASE WHEN fate <> 1 THEN joined_at + make_interval(mins => waited) END,
            CASE WHEN fate > 1 THEN joined_at + make_interval(mins => waited + 2) END,
            CASE WHEN fate > 1 THEN joined_at + make_interval(mins => waited + 2 + served_for) END,
            CASE WHEN fate = 1 THEN joined_at + make_interval(mins => waited / 2) END,
            CASE WHEN fate = 0 THEN joined_at + make_interval(mins => waited + 10) END,
            CASE WHEN fate = 1 THEN 'guest' END,
            CASE WHEN fate <> 1 THEN 1 ELSE 0 END, true
       FROM visits`,
    [tx.tenantId, queueId, days],
  );
  const tonight = [
    ['Martinez', 4, 'Booth if possible'],
    ['Chen', 2, null],
    ['Johansson', 6, 'Birthday: one high chair'],
    ['Abebe', 3, null],
  ] as const;
  for (const [i, [name, size, notes]] of tonight.entries()) {
    await tx.query(
      `INSERT INTO waitlist_entries (tenant_id, id, queue_id, location_id, token_hash, name, party_size, notes, source, position, position_at_join, business_date, joined_at, close_notified)
       SELECT $1, $2, q.id, q.location_id, $3, $4, $5, $6, 'staff', $7, $7, (now() AT TIME ZONE l.time_zone)::date, now() - make_interval(mins => $8), true
         FROM waitlist_queues q JOIN locations l ON l.tenant_id = q.tenant_id AND l.id = q.location_id WHERE q.tenant_id = $1 AND q.id = $9`,
      [tx.tenantId, uuidv7(), issueToken(TOKEN_PREFIX, tx.tenantId).hash, name, size, notes, i + 1, 25 - i * 6, queueId],
    );
  }
}
