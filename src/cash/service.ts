import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { z } from 'zod';
import type { Principal } from '../core/access.ts';
import type { TenantTx } from '../core/db/tx.ts';
import { AppError, errors, pgErrorCode } from '../core/errors.ts';
import { decodeCursor, toPage } from '../core/schemas.ts';
import { stringify } from 'csv-stringify/sync';
import { notify } from '../core/notifications.ts';
import type { Mailer } from '../integrations/mail.ts';
import { peopleNames, peopleWithPermissionAt } from '../identity/service.ts';
import { getLocation } from '../org/service.ts';
import { countTotal, decimal, flowsOf, judge, minorDigits, standardDenominations, type Flows, type MovementKind } from './money.ts';
import type * as s from './schemas.ts';

type Rules = z.output<typeof s.cashRules>;
type Denomination = Rules['denominations'][number];
type Line = { value: number; quantity: number };
type ReconStatus = 'accepted' | 'pending' | 'approved' | 'rejected';
type DrawerStatus = 'open' | 'submitted' | 'recount' | 'reconciled';

/** The business as the cash module needs it: its currency (money is always in the business's currency). */
export interface Business {
  currency: string;
}

// ================================================================= settings

const RULE_COLUMNS = `denominations, default_float, variance_tolerance, approval_required, to_char(deadline, 'HH24:MI') AS deadline, blind_counts`;

/** Brigade's rules for a business that has not changed any: seed 000's tolerance of 5.00 and deadline of 23:59. */
export function defaultRules(currency: string): Rules {
  const unit = 10 ** minorDigits(currency);
  return {
    denominations: standardDenominations(currency),
    default_float: 200 * unit,
    variance_tolerance: 5 * unit,
    approval_required: false,
    deadline: '23:59',
    // Blind counts are what operators ask of a cash system: the counter cannot count towards the expected figure.
    blind_counts: true,
  };
}

const sortDenominations = (ds: Denomination[]) =>
  [...ds].sort((a, b) => (a.kind === b.kind ? b.value - a.value : a.kind === 'note' ? -1 : 1));

async function businessRules(tx: TenantTx, biz: Business): Promise<{ rules: Rules; customised: boolean }> {
  const [row] = await tx.query<Rules>(`SELECT ${RULE_COLUMNS} FROM cash_settings WHERE tenant_id = $1`, [tx.tenantId]);
  return row ? { rules: row, customised: true } : { rules: defaultRules(biz.currency), customised: false };
}

type Overrides = { [K in keyof Rules]: Rules[K] | null };

async function locationOverrides(tx: TenantTx, locationId: string): Promise<Overrides> {
  const [row] = await tx.query<Overrides>(`SELECT ${RULE_COLUMNS} FROM cash_location_settings WHERE tenant_id = $1 AND location_id = $2`, [
    tx.tenantId,
    locationId,
  ]);
  return row ?? { denominations: null, default_float: null, variance_tolerance: null, approval_required: null, deadline: null, blind_counts: null };
}

function merge(base: Rules, o: Overrides): Rules {
  return {
    denominations: sortDenominations(o.denominations ?? base.denominations),
    default_float: o.default_float ?? base.default_float,
    variance_tolerance: o.variance_tolerance ?? base.variance_tolerance,
    approval_required: o.approval_required ?? base.approval_required,
    deadline: o.deadline ?? base.deadline,
    blind_counts: o.blind_counts ?? base.blind_counts,
  };
}

/** The rules in force at a location: its own values over the business's. */
export async function rulesAt(tx: TenantTx, biz: Business, locationId: string): Promise<Rules> {
  return merge((await businessRules(tx, biz)).rules, await locationOverrides(tx, locationId));
}

export async function getBusinessSettings(tx: TenantTx, biz: Business) {
  const { rules, customised } = await businessRules(tx, biz);
  return { ...rules, denominations: sortDenominations(rules.denominations), currency: biz.currency, minor_digits: minorDigits(biz.currency), customised };
}

export async function putBusinessSettings(tx: TenantTx, biz: Business, input: z.output<typeof s.putBusinessSettings>) {
  const before = await getBusinessSettings(tx, biz);
  await tx.query(
    `INSERT INTO cash_settings (tenant_id, denominations, default_float, variance_tolerance, approval_required, deadline, blind_counts)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (tenant_id) DO UPDATE SET denominations = EXCLUDED.denominations, default_float = EXCLUDED.default_float,
       variance_tolerance = EXCLUDED.variance_tolerance, approval_required = EXCLUDED.approval_required,
       deadline = EXCLUDED.deadline, blind_counts = EXCLUDED.blind_counts, updated_at = now()`,
    [tx.tenantId, JSON.stringify(sortDenominations(input.denominations)), input.default_float, input.variance_tolerance, input.approval_required, input.deadline, input.blind_counts],
  );
  return { before, after: await getBusinessSettings(tx, biz) };
}

export async function getLocationSettings(tx: TenantTx, biz: Business, locationId: string, scope: 'all' | string[]) {
  await getLocation(tx, locationId, scope);
  const overrides = await locationOverrides(tx, locationId);
  const effective = merge((await businessRules(tx, biz)).rules, overrides);
  return { location_id: locationId, currency: biz.currency, minor_digits: minorDigits(biz.currency), overrides, effective };
}

export async function putLocationSettings(tx: TenantTx, biz: Business, locationId: string, scope: 'all' | string[], input: z.output<typeof s.putLocationSettings>) {
  const before = await getLocationSettings(tx, biz, locationId, scope);
  await tx.query(
    `INSERT INTO cash_location_settings (tenant_id, location_id, denominations, default_float, variance_tolerance, approval_required, deadline, blind_counts)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (tenant_id, location_id) DO UPDATE SET denominations = EXCLUDED.denominations, default_float = EXCLUDED.default_float,
       variance_tolerance = EXCLUDED.variance_tolerance, approval_required = EXCLUDED.approval_required,
       deadline = EXCLUDED.deadline, blind_counts = EXCLUDED.blind_counts, updated_at = now()`,
    [
      tx.tenantId,
      locationId,
      input.denominations ? JSON.stringify(sortDenominations(input.denominations)) : null,
      input.default_float,
      input.variance_tolerance,
      input.approval_required,
      input.deadline,
      input.blind_counts,
    ],
  );
  return { before, after: await getLocationSettings(tx, biz, locationId, scope) };
}

// ================================================================= registers

interface RegisterRow {
  id: string;
  location_id: string;
  name: string;
  active: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
  drawer_id: string | null;
  drawer_status: DrawerStatus | null;
  drawer_date: string | null;
  drawer_opened_by: string | null;
  drawer_opened_at: Date | null;
}

const REGISTER_SQL = `SELECT r.id, r.location_id, r.name, r.active, r.version, r.created_at, r.updated_at,
       d.id AS drawer_id, d.status AS drawer_status, d.business_date::text AS drawer_date, d.opened_by AS drawer_opened_by, d.opened_at AS drawer_opened_at
  FROM cash_registers r
  LEFT JOIN cash_drawers d ON d.tenant_id = r.tenant_id AND d.register_id = r.id AND d.status IN ('open', 'recount')
 WHERE r.tenant_id = $1`;

async function registerViews(tx: TenantTx, rows: RegisterRow[]) {
  const names = await peopleNames(tx, rows.flatMap((r) => (r.drawer_opened_by ? [r.drawer_opened_by] : [])));
  return rows.map((r) => ({
    id: r.id,
    location_id: r.location_id,
    name: r.name,
    active: r.active,
    version: r.version,
    created_at: r.created_at,
    updated_at: r.updated_at,
    current_drawer: r.drawer_id
      ? {
          id: r.drawer_id,
          status: r.drawer_status!,
          business_date: r.drawer_date!,
          opened_by: { id: r.drawer_opened_by!, name: names.get(r.drawer_opened_by!) ?? '' },
          opened_at: r.drawer_opened_at!,
        }
      : null,
  }));
}

const inScope = (scope: 'all' | string[], locationId: string) => scope === 'all' || scope.includes(locationId);

export async function listRegisters(tx: TenantTx, scope: 'all' | string[], q: z.output<typeof s.registerQuery>) {
  if (scope !== 'all' && scope.length === 0) return { items: [] };
  const rows = await tx.query<RegisterRow>(
    `${REGISTER_SQL} AND ($2::uuid[] IS NULL OR r.location_id = ANY($2::uuid[])) AND ($3::uuid IS NULL OR r.location_id = $3)
       AND ($4 OR r.active) ORDER BY r.location_id, lower(r.name) LIMIT 500`,
    [tx.tenantId, scope === 'all' ? null : scope, q.location_id ?? null, q.include_inactive === 'true'],
  );
  return { items: await registerViews(tx, rows) };
}

async function registerRow(tx: TenantTx, id: string, scope: 'all' | string[]): Promise<RegisterRow> {
  const [row] = await tx.query<RegisterRow>(`${REGISTER_SQL} AND r.id = $2`, [tx.tenantId, id]);
  if (!row || !inScope(scope, row.location_id)) throw errors.notFound('register');
  return row;
}

export async function getRegister(tx: TenantTx, biz: Business, id: string, scope: 'all' | string[]) {
  const row = await registerRow(tx, id, scope);
  const [view] = await registerViews(tx, [row]);
  // The last closing count of this register pre-fills the next opening: what was counted out is what goes back in.
  const lastCount = await tx.query<Line>(
    `SELECT l.denomination AS value, l.quantity FROM cash_count_lines l
      WHERE l.tenant_id = $1 AND l.count_id = (
        SELECT c.id FROM cash_counts c JOIN cash_drawers d ON d.tenant_id = c.tenant_id AND d.id = c.drawer_id
         WHERE c.tenant_id = $1 AND d.register_id = $2 AND c.purpose = 'closing' ORDER BY c.counted_at DESC LIMIT 1)
      ORDER BY l.denomination DESC`,
    [tx.tenantId, id],
  );
  return { ...view!, last_count: lastCount, rules: await rulesAt(tx, biz, row.location_id), currency: biz.currency, minor_digits: minorDigits(biz.currency) };
}

/** Also used to give a new business its first register. */
export async function createRegister(tx: TenantTx, input: { location_id: string; name: string }, scope: 'all' | string[] = 'all') {
  await getLocation(tx, input.location_id, scope).catch((err: unknown) => {
    if (err instanceof AppError && err.status === 404) throw errors.badRequest('unknown_location', 'No such location.', 'body.location_id');
    throw err;
  });
  const id = uuidv7();
  try {
    await tx.query(`INSERT INTO cash_registers (tenant_id, id, location_id, name) VALUES ($1, $2, $3, $4)`, [tx.tenantId, id, input.location_id, input.name]);
  } catch (err) {
    if (pgErrorCode(err) === '23505') throw errors.conflict('register_name_taken', 'This location already has a register with this name.', 'body.name');
    throw err;
  }
  const [view] = await registerViews(tx, [await registerRow(tx, id, 'all')]);
  return view!;
}

export async function updateRegister(tx: TenantTx, id: string, scope: 'all' | string[], input: z.output<typeof s.updateRegister>) {
  const before = await registerRow(tx, id, scope);
  if (input.active === false && before.drawer_id) {
    throw errors.conflict('drawer_in_register', 'This register has a drawer in it. Count and submit the drawer before taking the register out of use.', 'body.active');
  }
  let rows: { id: string }[];
  try {
    rows = await tx.query(
      `UPDATE cash_registers SET name = coalesce($4, name), active = coalesce($5, active), version = version + 1, updated_at = now()
        WHERE tenant_id = $1 AND id = $2 AND version = $3 RETURNING id`,
      [tx.tenantId, id, input.version, input.name ?? null, input.active ?? null],
    );
  } catch (err) {
    if (pgErrorCode(err) === '23505') throw errors.conflict('register_name_taken', 'This location already has a register with this name.', 'body.name');
    throw err;
  }
  if (rows.length === 0) throw errors.staleVersion();
  const [after] = await registerViews(tx, [await registerRow(tx, id, 'all')]);
  return { before: { name: before.name, active: before.active }, after: after! };
}

// ================================================================= business days

/** Today's date at the location, and the deadline instant for a business date there. */
async function localDay(tx: TenantTx, timeZone: string, businessDate: string | null, deadline: string) {
  // A deadline before 06:00 means the small hours after the business date: a bar closing at 02:00 counts then.
  const [r] = await tx.query<{ today: string; deadline_at: Date }>(
    `SELECT (now() AT TIME ZONE $1)::date::text AS today,
            ((coalesce($2::date, (now() AT TIME ZONE $1)::date) + CASE WHEN $3::time < time '06:00' THEN 1 ELSE 0 END) + $3::time) AT TIME ZONE $1 AS deadline_at`,
    [timeZone, businessDate, deadline],
  );
  return r!;
}

/**
 * Takes the day's row lock. Opening a drawer, counting, deciding and closing the day all take it, so a day cannot be
 * closed while a drawer of that day is being opened or decided. Returns whether the day is closed.
 */
async function lockDay(tx: TenantTx, locationId: string, businessDate: string): Promise<{ closed: boolean; created: boolean }> {
  const inserted = await tx.query(
    `INSERT INTO cash_days (tenant_id, location_id, business_date) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING business_date`,
    [tx.tenantId, locationId, businessDate],
  );
  const [row] = await tx.query<{ closed: boolean }>(
    `SELECT closed FROM cash_days WHERE tenant_id = $1 AND location_id = $2 AND business_date = $3 FOR UPDATE`,
    [tx.tenantId, locationId, businessDate],
  );
  return { closed: row!.closed, created: inserted.length > 0 };
}

const dayClosed = (date: string) =>
  errors.conflict('day_closed', `The business day ${date} is closed at this location. A manager can reopen it, with a reason.`);

// ================================================================= drawers

export interface CashDeps {
  /** Schedules the deadline reminder for a location's business day (the durable job queue). */
  scheduleDeadline(tx: TenantTx, locationId: string, businessDate: string, runAt: Date): Promise<void>;
}

function assertDenominations(lines: readonly Line[], rules: Rules, field: string) {
  const allowed = new Set(rules.denominations.map((d) => d.value));
  lines.forEach((l, i) => {
    if (!allowed.has(l.value)) throw errors.badRequest('unknown_denomination', `${l.value} is not one of this location's denominations.`, `${field}.${i}.value`);
  });
}

async function insertCount(tx: TenantTx, drawerId: string, purpose: 'opening' | 'closing', lines: readonly Line[], by: string) {
  const id = uuidv7();
  const total = countTotal(lines);
  await tx.query(`INSERT INTO cash_counts (tenant_id, id, drawer_id, purpose, total, counted_by) VALUES ($1, $2, $3, $4, $5, $6)`, [
    tx.tenantId,
    id,
    drawerId,
    purpose,
    total,
    by,
  ]);
  const kept = lines.filter((l) => l.quantity > 0);
  if (kept.length > 0) {
    await tx.query(
      `INSERT INTO cash_count_lines (tenant_id, count_id, denomination, quantity)
       SELECT $1, $2, v, q FROM unnest($3::int8[], $4::int4[]) AS x(v, q)`,
      [tx.tenantId, id, kept.map((l) => l.value), kept.map((l) => l.quantity)],
    );
  }
  return { id, total };
}

function personOf(principal: Principal): string {
  if (!principal.userId) throw errors.forbidden();
  return principal.userId;
}

export async function openDrawer(tx: TenantTx, biz: Business, deps: CashDeps, principal: Principal, registerId: string, input: z.output<typeof s.openDrawer>) {
  const by = personOf(principal);
  const register = await registerRow(tx, registerId, principal.scope('cash.drawer.operate'));
  if (!register.active) throw errors.conflict('register_inactive', 'This register is out of use. An owner can put it back in use in the cash settings.');
  if (register.drawer_id) throw errors.conflict('drawer_already_open', 'This register already has a drawer in it. Count and submit that drawer first.');
  const location = await getLocation(tx, register.location_id, 'all');
  const rules = await rulesAt(tx, biz, register.location_id);
  assertDenominations(input.opening_count, rules, 'body.opening_count');
  const { today, deadline_at } = await localDay(tx, location.time_zone, null, rules.deadline);
  const day = await lockDay(tx, register.location_id, today);
  if (day.closed) throw dayClosed(today);
  if (day.created) await deps.scheduleDeadline(tx, register.location_id, today, deadline_at);

  const id = uuidv7();
  try {
    await tx.query(
      `INSERT INTO cash_drawers (tenant_id, id, register_id, location_id, business_date, opening_float, opened_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [tx.tenantId, id, registerId, register.location_id, today, countTotal(input.opening_count), by],
    );
  } catch (err) {
    // Two people opening the same register at once: the unique index lets one in.
    if (pgErrorCode(err) === '23505') throw errors.conflict('drawer_already_open', 'This register already has a drawer in it. Count and submit that drawer first.');
    throw err;
  }
  await insertCount(tx, id, 'opening', input.opening_count, by);
  return id;
}

interface DrawerRow {
  id: string;
  register_id: string;
  register_name: string;
  location_id: string;
  business_date: string;
  status: DrawerStatus;
  opening_float: number;
  opened_by: string;
  opened_at: Date;
  submitted_at: Date | null;
  reconciled_at: Date | null;
}

const DRAWER_SQL = `SELECT d.id, d.register_id, r.name AS register_name, d.location_id, d.business_date::text AS business_date, d.status,
       d.opening_float, d.opened_by, d.opened_at, d.submitted_at, d.reconciled_at
  FROM cash_drawers d JOIN cash_registers r ON r.tenant_id = d.tenant_id AND r.id = d.register_id
 WHERE d.tenant_id = $1`;

/**
 * A drawer the caller may work on: at one of their locations, and their own unless they may read everyone's there.
 * Anything else is "not found", so a drawer's existence does not leak to someone who may not see it.
 */
async function drawerFor(tx: TenantTx, principal: Principal, id: string, lock = false): Promise<DrawerRow> {
  const [row] = await tx.query<DrawerRow>(`${DRAWER_SQL} AND d.id = $2${lock ? ' FOR UPDATE OF d' : ''}`, [tx.tenantId, id]);
  if (!row || !inScope(principal.scope('cash.drawer.operate'), row.location_id)) throw errors.notFound('drawer');
  if (row.opened_by !== principal.userId && !principal.at('cash.reconciliation.all.read', row.location_id)) throw errors.notFound('drawer');
  return row;
}

interface MovementRow {
  id: string;
  kind: MovementKind;
  amount: number;
  reason: string | null;
  source: 'manual' | 'pos';
  external_ref: string | null;
  recorded_by: string;
  recorded_at: Date;
}

async function movementsOf(tx: TenantTx, drawerId: string): Promise<MovementRow[]> {
  return tx.query<MovementRow>(
    `SELECT id, kind, amount, reason, source, external_ref, recorded_by, recorded_at FROM cash_movements
      WHERE tenant_id = $1 AND drawer_id = $2 ORDER BY recorded_at, id`,
    [tx.tenantId, drawerId],
  );
}

interface CountRow {
  id: string;
  purpose: 'opening' | 'closing';
  total: number;
  counted_by: string;
  counted_at: Date;
  lines: Line[];
}

async function countsOf(tx: TenantTx, drawerId: string): Promise<CountRow[]> {
  return tx.query<CountRow>(
    `SELECT c.id, c.purpose, c.total, c.counted_by, c.counted_at,
            coalesce((SELECT json_agg(json_build_object('value', l.denomination, 'quantity', l.quantity) ORDER BY l.denomination DESC)
                        FROM cash_count_lines l WHERE l.tenant_id = c.tenant_id AND l.count_id = c.id), '[]') AS lines
       FROM cash_counts c WHERE c.tenant_id = $1 AND c.drawer_id = $2 ORDER BY c.counted_at, c.id`,
    [tx.tenantId, drawerId],
  );
}

interface ReconRow {
  id: string;
  drawer_id: string;
  attempt: number;
  location_id: string;
  register_id: string;
  register_name: string;
  business_date: string;
  opening_float: number;
  cash_sales: number;
  cash_in: number;
  pay_outs: number;
  tip_outs: number;
  drops: number;
  expected: number;
  counted: number;
  variance: number;
  tolerance: number;
  outcome: 'balanced' | 'flagged';
  approval_required: boolean;
  status: ReconStatus;
  submitted_by: string;
  submitted_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision_comment: string | null;
  version: number;
  drawer_status: DrawerStatus;
  opened_by: string;
  blind_rule: boolean;
}

/**
 * Blind counts: whoever counts without the right to read everyone's reconciliations never sees what the drawer should
 * hold (nor the cash sales, from which it follows), before or after submitting, so a recount stays blind too.
 */
const isBlind = (principal: Principal, blindRule: boolean, locationId: string) => blindRule && !principal.at('cash.reconciliation.all.read', locationId);

const person = (names: Map<string, string>, id: string) => ({ id, name: names.get(id) ?? '' });

function reconView(r: ReconRow, names: Map<string, string>, blind: boolean) {
  return {
    id: r.id,
    drawer_id: r.drawer_id,
    attempt: r.attempt,
    location_id: r.location_id,
    register: { id: r.register_id, name: r.register_name },
    business_date: r.business_date,
    counted: r.counted,
    expected: blind ? null : r.expected,
    variance: blind ? null : r.variance,
    outcome: blind ? null : r.outcome,
    tolerance: r.tolerance,
    approval_required: r.approval_required,
    status: r.status,
    submitted_by: person(names, r.submitted_by),
    submitted_at: r.submitted_at,
    decided_by: r.decided_by ? person(names, r.decided_by) : null,
    decided_at: r.decided_at,
    decision_comment: r.decision_comment,
    version: r.version,
  };
}

function movementView(m: MovementRow, names: Map<string, string>, blind: boolean) {
  return { ...m, amount: blind && m.kind === 'cash_sale' ? null : m.amount, recorded_by: person(names, m.recorded_by) };
}

const countView = (c: CountRow, names: Map<string, string>) => ({ ...c, counted_by: person(names, c.counted_by) });

function totalsView(f: Flows, expected: number, blind: boolean) {
  return { ...f, cash_sales: blind ? null : f.cash_sales, expected: blind ? null : expected };
}

const RECON_SQL = `SELECT x.id, x.drawer_id, x.attempt, x.location_id, x.register_id, r.name AS register_name, x.business_date::text AS business_date,
       x.opening_float, x.cash_sales, x.cash_in, x.pay_outs, x.tip_outs, x.drops, x.expected, x.counted, x.variance, x.tolerance,
       x.outcome, x.approval_required, x.status, x.submitted_by, x.submitted_at, x.decided_by, x.decided_at, x.decision_comment, x.version,
       d.status AS drawer_status, d.opened_by,
       coalesce(ls.blind_counts, bs.blind_counts, true) AS blind_rule
  FROM cash_reconciliations x
  JOIN cash_registers r ON r.tenant_id = x.tenant_id AND r.id = x.register_id
  JOIN cash_drawers d ON d.tenant_id = x.tenant_id AND d.id = x.drawer_id
  LEFT JOIN cash_location_settings ls ON ls.tenant_id = x.tenant_id AND ls.location_id = x.location_id
  LEFT JOIN cash_settings bs ON bs.tenant_id = x.tenant_id
 WHERE x.tenant_id = $1`;

export async function getDrawer(tx: TenantTx, biz: Business, principal: Principal, id: string) {
  const d = await drawerFor(tx, principal, id);
  const rules = await rulesAt(tx, biz, d.location_id);
  const blind = isBlind(principal, rules.blind_counts, d.location_id);
  const [movements, counts, recons] = [await movementsOf(tx, id), await countsOf(tx, id), await tx.query<ReconRow>(`${RECON_SQL} AND x.drawer_id = $2 ORDER BY x.attempt`, [tx.tenantId, id])];
  const names = await peopleNames(tx, [d.opened_by, ...movements.map((m) => m.recorded_by), ...counts.map((c) => c.counted_by), ...recons.flatMap((r) => [r.submitted_by, r.decided_by ?? r.submitted_by])]);
  const flows = flowsOf(d.opening_float, movements);
  const { expected } = judge(flows, 0, 0, false);
  return {
    id: d.id,
    register: { id: d.register_id, name: d.register_name },
    location_id: d.location_id,
    business_date: d.business_date,
    status: d.status,
    opened_by: person(names, d.opened_by),
    opened_at: d.opened_at,
    submitted_at: d.submitted_at,
    reconciled_at: d.reconciled_at,
    currency: biz.currency,
    minor_digits: minorDigits(biz.currency),
    blind,
    denominations: rules.denominations,
    totals: totalsView(flows, expected, blind),
    movements: movements.map((m) => movementView(m, names, blind)),
    counts: counts.map((c) => countView(c, names)),
    reconciliations: recons.map((r) => reconView(r, names, blind)),
  };
}

export async function listDrawers(tx: TenantTx, principal: Principal, q: z.output<typeof s.drawerQuery>) {
  const scope = principal.scope('cash.drawer.operate');
  if (scope !== 'all' && scope.length === 0) return { items: [], next_cursor: null };
  const everyone = principal.scope('cash.reconciliation.all.read');
  const after = decodeCursor(q.cursor, ['text', 'uuid']);
  const rows = await tx.query<DrawerRow>(
    `${DRAWER_SQL}
       AND ($2::uuid[] IS NULL OR d.location_id = ANY($2::uuid[]))
       AND (d.opened_by = $3 OR $4::boolean OR d.location_id = ANY($5::uuid[]))
       AND ($6::uuid IS NULL OR d.location_id = $6) AND ($7::text IS NULL OR d.status = $7) AND ($8::date IS NULL OR d.business_date = $8)
       AND ($9::timestamptz IS NULL OR (d.opened_at, d.id) < ($9::timestamptz, $10::uuid))
     ORDER BY d.opened_at DESC, d.id DESC LIMIT $11`,
    [
      tx.tenantId,
      scope === 'all' ? null : scope,
      principal.userId,
      everyone === 'all',
      everyone === 'all' ? [] : everyone,
      q.location_id ?? null,
      q.status ?? null,
      q.business_date ?? null,
      after ? after[0] : null,
      after ? after[1] : null,
      q.limit + 1,
    ],
  );
  const names = await peopleNames(tx, rows.map((r) => r.opened_by));
  const items = rows.map((d) => ({
    id: d.id,
    status: d.status,
    business_date: d.business_date,
    opened_by: person(names, d.opened_by),
    opened_at: d.opened_at,
    register: { id: d.register_id, name: d.register_name },
    location_id: d.location_id,
  }));
  return toPage(items, q.limit, (d) => [d.opened_at.toISOString(), d.id]);
}

export async function recordMovement(tx: TenantTx, principal: Principal, drawerId: string, input: z.output<typeof s.recordMovement>) {
  const by = personOf(principal);
  const d = await drawerFor(tx, principal, drawerId, true);
  if (d.status !== 'open' && d.status !== 'recount') {
    throw errors.conflict('drawer_not_open', 'This drawer has been counted and submitted; movements can no longer be recorded on it.');
  }
  if ((await lockDay(tx, d.location_id, d.business_date)).closed) throw dayClosed(d.business_date);
  const id = uuidv7();
  const source = input.external_ref ? 'pos' : 'manual';
  const inserted = await tx.query<MovementRow>(
    `INSERT INTO cash_movements (tenant_id, id, drawer_id, kind, amount, reason, source, external_ref, recorded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (tenant_id, drawer_id, external_ref) WHERE external_ref IS NOT NULL DO NOTHING
     RETURNING id, kind, amount, reason, source, external_ref, recorded_by, recorded_at`,
    [tx.tenantId, id, drawerId, input.kind, input.amount, input.reason ?? null, source, input.external_ref ?? null, by],
  );
  let row = inserted[0];
  let replayed = false;
  if (!row) {
    // The POS sent this sale before: answer with what was recorded then, and record nothing twice.
    [row] = await tx.query<MovementRow>(
      `SELECT id, kind, amount, reason, source, external_ref, recorded_by, recorded_at FROM cash_movements WHERE tenant_id = $1 AND drawer_id = $2 AND external_ref = $3`,
      [tx.tenantId, drawerId, input.external_ref],
    );
    if (!row || row.kind !== input.kind || row.amount !== input.amount) {
      throw errors.conflict('external_ref_reused', 'This external reference was already recorded on this drawer with another kind or amount.', 'body.external_ref');
    }
    replayed = true;
  }
  const names = await peopleNames(tx, [row.recorded_by]);
  const blind = isBlind(principal, (await rulesAtLocationOnly(tx, d.location_id)).blind_counts, d.location_id);
  return { movement: movementView(row, names, blind), drawer: d, replayed };
}

/** The blind rule at a location without needing the currency (it does not depend on it). */
async function rulesAtLocationOnly(tx: TenantTx, locationId: string) {
  const [r] = await tx.query<{ blind_counts: boolean }>(
    `SELECT coalesce((SELECT blind_counts FROM cash_location_settings WHERE tenant_id = $1 AND location_id = $2),
                     (SELECT blind_counts FROM cash_settings WHERE tenant_id = $1), true) AS blind_counts`,
    [tx.tenantId, locationId],
  );
  return r!;
}

export async function submitCount(tx: TenantTx, biz: Business, principal: Principal, drawerId: string, input: z.output<typeof s.submitCount>) {
  const by = personOf(principal);
  const d = await drawerFor(tx, principal, drawerId, true);
  if (d.status !== 'open' && d.status !== 'recount') {
    throw errors.conflict(
      'drawer_not_open',
      d.status === 'submitted' ? 'This drawer has been counted and waits for a manager.' : 'This drawer is already reconciled.',
    );
  }
  if ((await lockDay(tx, d.location_id, d.business_date)).closed) throw dayClosed(d.business_date);
  const rules = await rulesAt(tx, biz, d.location_id);
  assertDenominations(input.lines, rules, 'body.lines');
  const movements = await movementsOf(tx, drawerId);
  const flows = flowsOf(d.opening_float, movements);
  const count = await insertCount(tx, drawerId, 'closing', input.lines, by);
  const [{ attempt }] = (await tx.query<{ attempt: number }>(
    `SELECT count(*)::int + 1 AS attempt FROM cash_reconciliations WHERE tenant_id = $1 AND drawer_id = $2`,
    [tx.tenantId, drawerId],
  )) as [{ attempt: number }];
  // A recount was asked for by a manager, who then sees it, balanced or not.
  const approvalRequired = rules.approval_required || attempt > 1;
  const j = judge(flows, count.total, rules.variance_tolerance, approvalRequired);
  const id = uuidv7();
  await tx.query(
    `INSERT INTO cash_reconciliations (tenant_id, id, drawer_id, count_id, attempt, location_id, register_id, business_date,
        opening_float, cash_sales, cash_in, pay_outs, tip_outs, drops, expected, counted, variance, tolerance, outcome, approval_required, status, submitted_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
    [
      tx.tenantId, id, drawerId, count.id, attempt, d.location_id, d.register_id, d.business_date,
      flows.opening_float, flows.cash_sales, flows.cash_in, flows.pay_outs, flows.tip_outs, flows.drops,
      j.expected, count.total, j.variance, rules.variance_tolerance, j.outcome, approvalRequired, j.status, by,
    ],
  );
  await tx.query(
    `UPDATE cash_drawers SET status = $3, submitted_at = clock_timestamp(), reconciled_at = CASE WHEN $3 = 'reconciled' THEN clock_timestamp() END
      WHERE tenant_id = $1 AND id = $2`,
    [tx.tenantId, drawerId, j.status === 'accepted' ? 'reconciled' : 'submitted'],
  );
  const recon = await reconRow(tx, id);
  const names = await peopleNames(tx, [by]);
  return { view: reconView(recon, names, isBlind(principal, rules.blind_counts, d.location_id)), judgement: j, drawer: d, counted: count.total };
}

// ================================================================= reconciliations

async function reconRow(tx: TenantTx, id: string, lock = false): Promise<ReconRow> {
  const [row] = await tx.query<ReconRow>(`${RECON_SQL} AND x.id = $2${lock ? ' FOR UPDATE OF x' : ''}`, [tx.tenantId, id]);
  if (!row) throw errors.notFound('reconciliation');
  return row;
}

/** Staff see the reconciliations of drawers they opened or counts they submitted; managers and auditors all of their locations'. */
function mayRead(principal: Principal, r: ReconRow): boolean {
  if (!inScope(principal.scope('cash.reconciliation.read'), r.location_id)) return false;
  return principal.at('cash.reconciliation.all.read', r.location_id) || r.submitted_by === principal.userId || r.opened_by === principal.userId;
}

export async function getReconciliation(tx: TenantTx, principal: Principal, id: string) {
  const r = await reconRow(tx, id);
  if (!mayRead(principal, r)) throw errors.notFound('reconciliation');
  return reconciliationDetail(tx, principal, r);
}

async function reconciliationDetail(tx: TenantTx, principal: Principal, r: ReconRow) {
  const blind = isBlind(principal, r.blind_rule, r.location_id);
  const movements = await movementsOf(tx, r.drawer_id);
  const counts = await countsOf(tx, r.drawer_id);
  const attempts = await tx.query<ReconRow>(`${RECON_SQL} AND x.drawer_id = $2 ORDER BY x.attempt`, [tx.tenantId, r.drawer_id]);
  const names = await peopleNames(tx, [
    r.opened_by,
    ...attempts.flatMap((a) => [a.submitted_by, a.decided_by ?? a.submitted_by]),
    ...movements.map((m) => m.recorded_by),
    ...counts.map((c) => c.counted_by),
  ]);
  // The totals as they stood when this count was submitted (later movements on a recount belong to the next attempt).
  const flows: Flows = { opening_float: r.opening_float, cash_sales: r.cash_sales, cash_in: r.cash_in, pay_outs: r.pay_outs, tip_outs: r.tip_outs, drops: r.drops };
  return {
    ...reconView(r, names, blind),
    totals: totalsView(flows, r.expected, blind),
    movements: movements.map((m) => movementView(m, names, blind)),
    counts: counts.map((c) => countView(c, names)),
    drawer_status: r.drawer_status,
    opened_by: person(names, r.opened_by),
    attempts: attempts.map((a) => reconView(a, names, blind)),
  };
}

export async function listReconciliations(tx: TenantTx, principal: Principal, q: z.output<typeof s.reconciliationQuery>) {
  const scope = principal.scope('cash.reconciliation.read');
  if (scope !== 'all' && scope.length === 0) return { items: [], next_cursor: null };
  const everyone = principal.scope('cash.reconciliation.all.read');
  const after = decodeCursor(q.cursor, ['text', 'uuid']);
  const rows = await tx.query<ReconRow>(
    `${RECON_SQL}
       AND ($2::uuid[] IS NULL OR x.location_id = ANY($2::uuid[]))
       AND ($4::boolean OR x.location_id = ANY($5::uuid[]) OR x.submitted_by = $3 OR d.opened_by = $3)
       AND ($6::uuid IS NULL OR x.location_id = $6) AND ($7::uuid IS NULL OR x.register_id = $7)
       AND ($8::uuid IS NULL OR x.submitted_by = $8) AND ($9::text IS NULL OR x.status = $9)
       AND ($10::date IS NULL OR x.business_date >= $10) AND ($11::date IS NULL OR x.business_date <= $11)
       AND ($12::timestamptz IS NULL OR (x.submitted_at, x.id) < ($12::timestamptz, $13::uuid))
     ORDER BY x.submitted_at DESC, x.id DESC LIMIT $14`,
    [
      tx.tenantId,
      scope === 'all' ? null : scope,
      principal.userId,
      everyone === 'all',
      everyone === 'all' ? [] : everyone,
      q.location_id ?? null,
      q.register_id ?? null,
      q.person_id ?? null,
      q.status ?? null,
      q.from ?? null,
      q.to ?? null,
      after ? after[0] : null,
      after ? after[1] : null,
      q.limit + 1,
    ],
  );
  const names = await peopleNames(tx, rows.flatMap((r) => [r.submitted_by, r.decided_by ?? r.submitted_by]));
  const items = rows.map((r) => ({ ...reconView(r, names, isBlind(principal, r.blind_rule, r.location_id)), _at: r.submitted_at }));
  const page = toPage(items, q.limit, (r) => [r._at.toISOString(), r.id]);
  return { items: page.items.map(({ _at, ...r }) => r), next_cursor: page.next_cursor };
}

/** What waits for this approver: pending counts at their locations, except their own (nobody approves their own count). */
export async function pendingReconciliations(tx: TenantTx, principal: Principal) {
  const scope = principal.scope('cash.reconciliation.approve');
  if (scope !== 'all' && scope.length === 0) return { items: [] };
  const rows = await tx.query<ReconRow>(
    `${RECON_SQL} AND x.status = 'pending' AND ($2::uuid[] IS NULL OR x.location_id = ANY($2::uuid[])) AND x.submitted_by <> $3
     ORDER BY x.submitted_at LIMIT 200`,
    [tx.tenantId, scope === 'all' ? null : scope, principal.userId],
  );
  const names = await peopleNames(tx, rows.map((r) => r.submitted_by));
  return { items: rows.map((r) => reconView(r, names, false)) };
}

export async function decide(tx: TenantTx, principal: Principal, id: string, decision: 'approved' | 'rejected', input: { version: number; comment?: string | undefined }) {
  const by = personOf(principal);
  const r = await reconRow(tx, id, true);
  if (!inScope(principal.scope('cash.reconciliation.approve'), r.location_id)) throw errors.notFound('reconciliation');
  if (r.submitted_by === by) {
    throw new AppError(403, 'own_count', 'You counted this drawer, so another manager must approve or reject it.');
  }
  if (r.version !== input.version) throw errors.staleVersion();
  const decidable: ReconStatus[] = decision === 'approved' ? ['pending'] : ['pending', 'accepted', 'approved'];
  if (!decidable.includes(r.status)) {
    throw errors.conflict('not_pending', decision === 'approved' ? `This count is ${r.status}, not waiting for approval.` : `This count is already ${r.status}.`);
  }
  // A later attempt replaces this one: only the drawer's latest count can be decided.
  const [latest] = await tx.query<{ id: string }>(`SELECT id FROM cash_reconciliations WHERE tenant_id = $1 AND drawer_id = $2 ORDER BY attempt DESC LIMIT 1`, [tx.tenantId, r.drawer_id]);
  if (latest?.id !== r.id) throw errors.conflict('superseded', 'The drawer was counted again after this count; decide on the latest count.');
  if ((await lockDay(tx, r.location_id, r.business_date)).closed) throw dayClosed(r.business_date);

  await tx.query(
    `UPDATE cash_reconciliations SET status = $3, decided_by = $4, decided_at = clock_timestamp(), decision_comment = $5, version = version + 1
      WHERE tenant_id = $1 AND id = $2`,
    [tx.tenantId, id, decision, by, input.comment ?? null],
  );
  try {
    await tx.query(
      `UPDATE cash_drawers SET status = $3, reconciled_at = CASE WHEN $3 = 'reconciled' THEN clock_timestamp() END WHERE tenant_id = $1 AND id = $2`,
      [tx.tenantId, r.drawer_id, decision === 'approved' ? 'reconciled' : 'recount'],
    );
  } catch (err) {
    // Sending a reconciled drawer back while a newer drawer is in the same register: one drawer per register at a time.
    if (pgErrorCode(err) === '23505') throw errors.conflict('register_busy', 'Another drawer is in this register now; it must be counted before this one can be recounted.');
    throw err;
  }
  const after = await reconRow(tx, id);
  return { before: r, detail: await reconciliationDetail(tx, principal, after) };
}

// ================================================================= day close

interface CloseRow {
  id: string;
  location_id: string;
  business_date: string;
  number: number;
  kind: 'close' | 'reversal';
  reverses_id: string | null;
  reversed_by_id: string | null;
  reason: string | null;
  totals: z.output<typeof s.dayTotals>;
  registers: z.output<typeof s.dayRegisterLine>[];
  closed_by: string;
  closed_at: Date;
  previous_hash: string;
  hash: string;
}

const CLOSE_SQL = `SELECT c.id, c.location_id, c.business_date::text AS business_date, c.number, c.kind, c.reverses_id,
       (SELECT v.id FROM cash_day_closes v WHERE v.tenant_id = c.tenant_id AND v.reverses_id = c.id) AS reversed_by_id,
       c.reason, c.totals, c.registers, c.closed_by, c.closed_at, c.previous_hash, c.hash
  FROM cash_day_closes c WHERE c.tenant_id = $1`;

/** JSON with keys sorted at every level: the same content always hashes the same, however it was stored. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The hash of a close covers everything it says and the hash of the location's previous close: a chain per location. */
function closeHash(tenantId: string, c: Omit<CloseRow, 'hash' | 'reversed_by_id'>): string {
  const content = { ...c, tenant_id: tenantId, closed_at: c.closed_at.toISOString() };
  return createHash('sha256').update(canonical(content)).digest('hex');
}

async function closeView(tx: TenantTx, biz: Business, c: CloseRow) {
  const names = await peopleNames(tx, [c.closed_by]);
  const location = await getLocation(tx, c.location_id, 'all');
  const { hash, reversed_by_id, ...content } = c;
  void reversed_by_id;
  return {
    ...c,
    location_name: location.name,
    closed_by: person(names, c.closed_by),
    currency: biz.currency,
    minor_digits: minorDigits(biz.currency),
    hash_valid: closeHash(tx.tenantId, content) === hash,
  };
}

async function closeRow(tx: TenantTx, id: string, scope: 'all' | string[]): Promise<CloseRow> {
  const [row] = await tx.query<CloseRow>(`${CLOSE_SQL} AND c.id = $2`, [tx.tenantId, id]);
  if (!row || !inScope(scope, row.location_id)) throw errors.notFound('day close');
  return row;
}

export async function getDayClose(tx: TenantTx, biz: Business, id: string, scope: 'all' | string[]) {
  return closeView(tx, biz, await closeRow(tx, id, scope));
}

export async function listDayCloses(tx: TenantTx, biz: Business, scope: 'all' | string[], q: z.output<typeof s.dayCloseQuery>) {
  if (scope !== 'all' && scope.length === 0) return { items: [], next_cursor: null };
  const after = decodeCursor(q.cursor, ['text', 'uuid']);
  const rows = await tx.query<CloseRow>(
    `${CLOSE_SQL} AND ($2::uuid[] IS NULL OR c.location_id = ANY($2::uuid[])) AND ($3::uuid IS NULL OR c.location_id = $3)
       AND ($4::date IS NULL OR c.business_date >= $4) AND ($5::date IS NULL OR c.business_date <= $5)
       AND ($6::timestamptz IS NULL OR (c.closed_at, c.id) < ($6::timestamptz, $7::uuid))
     ORDER BY c.closed_at DESC, c.id DESC LIMIT $8`,
    [tx.tenantId, scope === 'all' ? null : scope, q.location_id ?? null, q.from ?? null, q.to ?? null, after ? after[0] : null, after ? after[1] : null, q.limit + 1],
  );
  const items = [];
  for (const r of rows) items.push(await closeView(tx, biz, r));
  return toPage(items, q.limit, (c) => [c.closed_at.toISOString(), c.id]);
}

/** The close in force for a day: the latest close of that date that no reversal undid. */
async function closeInForce(tx: TenantTx, locationId: string, businessDate: string): Promise<CloseRow | null> {
  const [row] = await tx.query<CloseRow>(
    `${CLOSE_SQL} AND c.location_id = $2 AND c.business_date = $3 AND c.kind = 'close'
       AND NOT EXISTS (SELECT 1 FROM cash_day_closes v WHERE v.tenant_id = c.tenant_id AND v.reverses_id = c.id)
     ORDER BY c.number DESC LIMIT 1`,
    [tx.tenantId, locationId, businessDate],
  );
  return row ?? null;
}

interface DayDrawer extends DrawerRow {
  recon_id: string | null;
  recon_status: ReconStatus | null;
}

async function drawersOfDay(tx: TenantTx, locationId: string, businessDate: string): Promise<DayDrawer[]> {
  return tx.query<DayDrawer>(
    `SELECT q.*, x.id AS recon_id, x.status AS recon_status FROM (${DRAWER_SQL} AND d.location_id = $2 AND d.business_date = $3) q
       LEFT JOIN LATERAL (SELECT id, status FROM cash_reconciliations x WHERE x.tenant_id = $1 AND x.drawer_id = q.id ORDER BY attempt DESC LIMIT 1) x ON true
      ORDER BY q.register_name, q.opened_at`,
    [tx.tenantId, locationId, businessDate],
  );
}

function blockersOf(drawers: DayDrawer[], names: Map<string, string>): string[] {
  const out: string[] = [];
  for (const d of drawers) {
    const who = names.get(d.opened_by) ?? 'someone';
    if (d.status === 'open') out.push(`${d.register_name}: the drawer opened by ${who} has not been counted.`);
    else if (d.status === 'recount') out.push(`${d.register_name}: the count was rejected and the drawer opened by ${who} must be recounted.`);
    else if (d.status === 'submitted') out.push(`${d.register_name}: the count of the drawer opened by ${who} waits for a manager's approval.`);
  }
  return out;
}

export async function dayStatus(tx: TenantTx, biz: Business, locationId: string, scope: 'all' | string[], date: string | undefined) {
  const location = await getLocation(tx, locationId, scope);
  const rules = await rulesAt(tx, biz, locationId);
  const { today } = await localDay(tx, location.time_zone, null, rules.deadline);
  const businessDate = date ?? today;
  const { deadline_at } = await localDay(tx, location.time_zone, businessDate, rules.deadline);
  const drawers = await drawersOfDay(tx, locationId, businessDate);
  const names = await peopleNames(tx, drawers.map((d) => d.opened_by));
  const close = await closeInForce(tx, locationId, businessDate);
  const blockers = close ? [] : blockersOf(drawers, names);
  if (!close && businessDate > today) blockers.push('This business day has not begun yet.');
  return {
    location_id: locationId,
    business_date: businessDate,
    today,
    closed: Boolean(close),
    close: close ? await closeView(tx, biz, close) : null,
    drawers: drawers.map((d) => ({
      id: d.id,
      status: d.status,
      business_date: d.business_date,
      opened_by: person(names, d.opened_by),
      opened_at: d.opened_at,
      register: { id: d.register_id, name: d.register_name },
      location_id: d.location_id,
      reconciliation_id: d.recon_id,
      reconciliation_status: d.recon_status,
    })),
    blockers,
    deadline: deadline_at,
  };
}

async function lockLedger(tx: TenantTx, locationId: string) {
  // Numbers are sequential per location: closes of one location take turns (the ledger rows themselves are never updated).
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`cash_day_closes:${tx.tenantId}:${locationId}`]);
  const [last] = await tx.query<{ number: number; hash: string }>(
    `SELECT number, hash FROM cash_day_closes WHERE tenant_id = $1 AND location_id = $2 ORDER BY number DESC LIMIT 1`,
    [tx.tenantId, locationId],
  );
  return { number: (last?.number ?? 0) + 1, previousHash: last?.hash ?? createHash('sha256').update(`cash_day_closes:${tx.tenantId}:${locationId}`).digest('hex') };
}

async function insertClose(tx: TenantTx, c: Omit<CloseRow, 'hash' | 'reversed_by_id'>): Promise<string> {
  const hash = closeHash(tx.tenantId, c);
  await tx.query(
    `INSERT INTO cash_day_closes (tenant_id, id, location_id, business_date, number, kind, reverses_id, reason, totals, registers, closed_by, closed_at, previous_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [tx.tenantId, c.id, c.location_id, c.business_date, c.number, c.kind, c.reverses_id, c.reason, JSON.stringify(c.totals), JSON.stringify(c.registers), c.closed_by, c.closed_at, c.previous_hash, hash],
  );
  return c.id;
}

export async function closeDay(tx: TenantTx, biz: Business, principal: Principal, locationId: string, businessDate: string) {
  const by = personOf(principal);
  await getLocation(tx, locationId, principal.scope('cash.day.close'));
  return closeDayAs(tx, biz, by, locationId, businessDate);
}

async function closeDayAs(tx: TenantTx, biz: Business, by: string, locationId: string, businessDate: string) {
  const location = await getLocation(tx, locationId, 'all');
  const rules = await rulesAt(tx, biz, locationId);
  const { today } = await localDay(tx, location.time_zone, null, rules.deadline);
  if (businessDate > today) throw errors.badRequest('day_not_begun', 'This business day has not begun yet at this location.', 'body.business_date');
  await lockDay(tx, locationId, businessDate);
  if (await closeInForce(tx, locationId, businessDate)) throw errors.conflict('day_already_closed', `The business day ${businessDate} is already closed at this location.`);
  const drawers = await drawersOfDay(tx, locationId, businessDate);
  const names = await peopleNames(tx, drawers.map((d) => d.opened_by));
  const blockers = blockersOf(drawers, names);
  if (blockers.length > 0) {
    throw new AppError(409, 'day_not_ready', `The day cannot be closed yet: ${blockers.join(' ')}`, [], { blockers });
  }

  const recons = await tx.query<ReconRow>(
    `${RECON_SQL} AND x.location_id = $2 AND x.business_date = $3 AND x.status IN ('accepted', 'approved')
       AND x.attempt = (SELECT max(attempt) FROM cash_reconciliations y WHERE y.tenant_id = x.tenant_id AND y.drawer_id = x.drawer_id)
     ORDER BY r.name, x.submitted_at`,
    [tx.tenantId, locationId, businessDate],
  );
  const who = await peopleNames(tx, recons.flatMap((r) => [r.opened_by, r.submitted_by, r.decided_by ?? r.submitted_by]));
  const registers = recons.map((r) => ({
    register_id: r.register_id,
    register_name: r.register_name,
    drawer_id: r.drawer_id,
    reconciliation_id: r.id,
    opened_by: who.get(r.opened_by) ?? '',
    counted_by: who.get(r.submitted_by) ?? '',
    approved_by: r.decided_by ? (who.get(r.decided_by) ?? '') : null,
    opening_float: r.opening_float,
    cash_sales: r.cash_sales,
    cash_in: r.cash_in,
    pay_outs: r.pay_outs,
    tip_outs: r.tip_outs,
    drops: r.drops,
    expected: r.expected,
    counted: r.counted,
    variance: r.variance,
    outcome: r.outcome,
    status: r.status as 'accepted' | 'approved',
  }));
  const sum = (k: keyof Flows | 'expected' | 'counted' | 'variance') => registers.reduce((n, l) => n + l[k], 0);
  const totals = {
    drawers: registers.length,
    flagged: registers.filter((l) => l.outcome === 'flagged').length,
    opening_float: sum('opening_float'),
    cash_sales: sum('cash_sales'),
    cash_in: sum('cash_in'),
    pay_outs: sum('pay_outs'),
    tip_outs: sum('tip_outs'),
    drops: sum('drops'),
    expected: sum('expected'),
    counted: sum('counted'),
    variance: sum('variance'),
  };
  const { number, previousHash } = await lockLedger(tx, locationId);
  const id = await insertClose(tx, {
    id: uuidv7(),
    location_id: locationId,
    business_date: businessDate,
    number,
    kind: 'close',
    reverses_id: null,
    reason: null,
    totals,
    registers,
    closed_by: by,
    closed_at: new Date(),
    previous_hash: previousHash,
  });
  await tx.query(`UPDATE cash_days SET closed = true WHERE tenant_id = $1 AND location_id = $2 AND business_date = $3`, [tx.tenantId, locationId, businessDate]);
  return getDayClose(tx, biz, id, 'all');
}

export async function reopenDay(tx: TenantTx, biz: Business, principal: Principal, closeId: string, reason: string) {
  const by = personOf(principal);
  const original = await closeRow(tx, closeId, principal.scope('cash.day.close'));
  if (original.kind !== 'close') throw errors.conflict('not_a_close', 'This entry is itself a reversal; reopen the day from the close in force.');
  // The same lock order as closing a day (day, then ledger), so a close and a reopen never deadlock.
  await lockDay(tx, original.location_id, original.business_date);
  const { number, previousHash } = await lockLedger(tx, original.location_id);
  const inForce = await closeInForce(tx, original.location_id, original.business_date);
  if (inForce?.id !== original.id) throw errors.conflict('already_reopened', 'This close was already reversed: the day was reopened.');
  const negate = <T extends Record<string, unknown>>(o: T): T =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' && k !== 'drawers' && k !== 'flagged' ? -v : v])) as T;
  const id = await insertClose(tx, {
    id: uuidv7(),
    location_id: original.location_id,
    business_date: original.business_date,
    number,
    kind: 'reversal',
    reverses_id: original.id,
    reason,
    // The reversing entry cancels the original's amounts; the original row stays exactly as it was.
    totals: { ...negate(original.totals), drawers: -original.totals.drawers, flagged: -original.totals.flagged },
    registers: original.registers.map((l) => negate(l)),
    closed_by: by,
    closed_at: new Date(),
    previous_hash: previousHash,
  });
  await tx.query(`UPDATE cash_days SET closed = false WHERE tenant_id = $1 AND location_id = $2 AND business_date = $3`, [tx.tenantId, original.location_id, original.business_date]);
  return getDayClose(tx, biz, id, 'all');
}

// ================================================================= reports

export async function varianceReport(tx: TenantTx, biz: Business, principal: Principal, q: z.output<typeof s.varianceQuery>) {
  const scope = principal.scope('cash.report.read');
  let timeZone = 'UTC';
  if (q.location_id) timeZone = (await getLocation(tx, q.location_id, scope)).time_zone;
  const days = Number(q.days);
  const [{ from, to }] = (await tx.query<{ from: string; to: string }>(
    `SELECT ((now() AT TIME ZONE $1)::date - ($2::int - 1))::text AS from, (now() AT TIME ZONE $1)::date::text AS to`,
    [timeZone, days],
  )) as [{ from: string; to: string }];
  const none = scope !== 'all' && scope.length === 0;
  // The latest count of each drawer stands for it; a rejected count was superseded by its recount.
  const base = `FROM cash_reconciliations x
      JOIN cash_registers r ON r.tenant_id = x.tenant_id AND r.id = x.register_id
     WHERE x.tenant_id = $1 AND x.business_date BETWEEN $2::date AND $3::date AND x.status <> 'rejected'
       AND ($4::uuid[] IS NULL OR x.location_id = ANY($4::uuid[])) AND ($5::uuid IS NULL OR x.location_id = $5)
       AND x.attempt = (SELECT max(attempt) FROM cash_reconciliations y WHERE y.tenant_id = x.tenant_id AND y.drawer_id = x.drawer_id)
       AND NOT $6::boolean`;
  const params = [tx.tenantId, from, to, scope === 'all' ? null : scope, q.location_id ?? null, none];
  const key = q.by === 'location' ? 'x.location_id' : q.by === 'register' ? 'x.register_id' : 'x.submitted_by';
  const rows = await tx.query<{ id: string; reconciliations: number; flagged: number; variance: number; shortfall: number; overage: number; register_name: string }>(
    `SELECT ${key} AS id, min(r.name) AS register_name, count(*)::int AS reconciliations, count(*) FILTER (WHERE x.outcome = 'flagged')::int AS flagged,
            coalesce(sum(x.variance), 0)::int8 AS variance,
            coalesce(sum(x.variance) FILTER (WHERE x.variance < 0), 0)::int8 AS shortfall,
            coalesce(sum(x.variance) FILTER (WHERE x.variance > 0), 0)::int8 AS overage
       ${base} GROUP BY ${key} ORDER BY 5 ASC`,
    params,
  );
  const daily = await tx.query<{ date: string; variance: number; flagged: number; reconciliations: number }>(
    `SELECT x.business_date::text AS date, coalesce(sum(x.variance), 0)::int8 AS variance, count(*) FILTER (WHERE x.outcome = 'flagged')::int AS flagged, count(*)::int AS reconciliations
       ${base} GROUP BY x.business_date ORDER BY x.business_date`,
    params,
  );
  const [{ flagged_days }] = (await tx.query<{ flagged_days: number }>(
    `SELECT count(DISTINCT (x.location_id, x.business_date))::int AS flagged_days ${base} AND x.outcome = 'flagged'`,
    params,
  )) as [{ flagged_days: number }];
  const shortfalls = await tx.query<{ reconciliation_id: string; business_date: string; location_id: string; register_name: string; submitted_by: string; variance: number; status: ReconStatus }>(
    `SELECT x.id AS reconciliation_id, x.business_date::text AS business_date, x.location_id, r.name AS register_name, x.submitted_by, x.variance, x.status
       ${base} AND x.variance < 0 ORDER BY x.variance ASC, x.submitted_at DESC LIMIT 10`,
    params,
  );
  let label: Map<string, string>;
  if (q.by === 'person') label = await peopleNames(tx, rows.map((r) => r.id));
  else if (q.by === 'location') {
    label = new Map();
    for (const r of rows) label.set(r.id, (await getLocation(tx, r.id, 'all')).name);
  } else label = new Map(rows.map((r) => [r.id, r.register_name]));
  const counters = await peopleNames(tx, shortfalls.map((x) => x.submitted_by));
  return {
    from,
    to,
    currency: biz.currency,
    minor_digits: minorDigits(biz.currency),
    by: q.by,
    rows: rows.map(({ register_name, ...r }) => (void register_name, { ...r, name: label.get(r.id) ?? '' })),
    daily,
    flagged_days,
    largest_shortfalls: shortfalls.map(({ submitted_by, ...x }) => ({ ...x, counted_by: counters.get(submitted_by) ?? '' })),
  };
}

/** Every count in a date range, one row each, for the accountant's spreadsheet (amounts as decimals of the currency). */
async function reconciliationRows(tx: TenantTx, principal: Principal, q: z.output<typeof s.exportQuery>) {
  const scope = principal.scope('cash.report.read');
  const timeZone = q.location_id ? (await getLocation(tx, q.location_id, scope)).time_zone : 'UTC';
  const [range] = await tx.query<{ from: string; to: string }>(
    `SELECT coalesce($2::date, coalesce($3::date, (now() AT TIME ZONE $1)::date) - 29)::text AS from, coalesce($3::date, (now() AT TIME ZONE $1)::date)::text AS to`,
    [timeZone, q.from ?? null, q.to ?? null],
  );
  const { from, to } = range!;
  if (scope !== 'all' && scope.length === 0) return { from, to, rows: [], locations: new Map<string, string>(), names: new Map<string, string>() };
  const rows = await tx.query<ReconRow>(
    `${RECON_SQL} AND x.business_date BETWEEN $2::date AND $3::date AND ($4::uuid[] IS NULL OR x.location_id = ANY($4::uuid[]))
       AND ($5::uuid IS NULL OR x.location_id = $5) ORDER BY x.business_date, x.location_id, r.name, x.attempt LIMIT 100000`,
    [tx.tenantId, from, to, scope === 'all' ? null : scope, q.location_id ?? null],
  );
  const names = await peopleNames(tx, rows.flatMap((r) => [r.opened_by, r.submitted_by, r.decided_by ?? r.submitted_by]));
  const locations = new Map<string, string>();
  for (const id of new Set(rows.map((r) => r.location_id))) locations.set(id, (await getLocation(tx, id, 'all')).name);
  return { from, to, rows, locations, names };
}

const CSV_COLUMNS = [
  'business_date', 'location', 'register', 'drawer_id', 'reconciliation_id', 'attempt', 'opened_by', 'counted_by', 'submitted_at', 'currency',
  'opening_float', 'cash_sales', 'cash_in', 'pay_outs', 'tip_outs', 'drops', 'expected', 'counted', 'variance', 'outcome', 'status', 'decided_by', 'decision_comment',
];

/** The export as CSV text and its file name. */
export async function reconciliationsCsv(tx: TenantTx, biz: Business, principal: Principal, q: z.output<typeof s.exportQuery>) {
  const { from, to, rows, locations, names } = await reconciliationRows(tx, principal, q);
  const digits = minorDigits(biz.currency);
  const money = (n: number) => decimal(n, digits);
  const csv = stringify(
    rows.map((r) => ({
      business_date: r.business_date,
      location: locations.get(r.location_id) ?? '',
      register: r.register_name,
      drawer_id: r.drawer_id,
      reconciliation_id: r.id,
      attempt: r.attempt,
      opened_by: names.get(r.opened_by) ?? '',
      counted_by: names.get(r.submitted_by) ?? '',
      submitted_at: r.submitted_at.toISOString(),
      currency: biz.currency,
      opening_float: money(r.opening_float),
      cash_sales: money(r.cash_sales),
      cash_in: money(r.cash_in),
      pay_outs: money(r.pay_outs),
      tip_outs: money(r.tip_outs),
      drops: money(r.drops),
      expected: money(r.expected),
      counted: money(r.counted),
      variance: money(r.variance),
      outcome: r.outcome,
      status: r.status,
      decided_by: r.decided_by ? (names.get(r.decided_by) ?? '') : '',
      decision_comment: r.decision_comment ?? '',
    })),
    {
      header: true,
      columns: CSV_COLUMNS,
      // A cell an accountant's spreadsheet would run as a formula (=, +, -, @) is quoted with a leading apostrophe.
      cast: { string: (v) => (/^[=+\-@\t\r]/.test(v) && !/^-\d/.test(v) ? `'${v}` : v) },
    },
  );
  return { filename: `reconciliations-${from}-to-${to}.csv`, csv };
}

// ================================================================= deadline reminder

export interface ReminderDeps {
  mailer: Mailer;
  /** The business's own address, for the link in the mail. */
  tenantUrl(slug: string): string;
  /** Queues the reminder again for a later deadline. */
  reschedule(at: Date): Promise<void>;
}

/**
 * The deadline job: if drawers of the day are still uncounted, the people who may approve at the location get an
 * in-app notification and an email, once. A deadline moved later since the job was queued waits for the new time.
 */
export async function remindAtDeadline(tx: TenantTx, biz: Business & { slug: string }, locationId: string, businessDate: string, deps: ReminderDeps) {
  const { deadlineAt, location } = await deadlineOf(tx, biz, locationId, businessDate);
  if (deadlineAt.getTime() - Date.now() > 60_000) return deps.reschedule(deadlineAt);
  const open = await uncountedDrawers(tx, locationId, businessDate);
  if (open.length === 0) return;
  if (!(await markReminded(tx, locationId, businessDate))) return;
  const list = open.map((d) => `${d.register} (opened by ${d.opened_by})`).join(', ');
  const title = `Cash not counted at ${location.name}`;
  const body = `The deadline for ${businessDate} has passed and ${open.length === 1 ? 'this drawer has' : 'these drawers have'} not been counted: ${list}.`;
  const link = `/cash/day?date=${businessDate}`;
  for (const p of await peopleWithPermissionAt(tx, 'cash.reconciliation.approve', locationId)) {
    await notify(tx, { userId: p.id, kind: 'cash.deadline', title, body, link });
    await deps.mailer.queue(tx, { to: p.email, subject: title, body: `Hello ${p.name},\n\n${body}\n\nSee the day: ${deps.tenantUrl(biz.slug)}${link}\n` });
  }
}

/** Drawers of a location's business day that nobody has counted yet (open, or sent back for a recount). */
async function uncountedDrawers(tx: TenantTx, locationId: string, businessDate: string) {
  const drawers = await drawersOfDay(tx, locationId, businessDate);
  const open = drawers.filter((d) => d.status === 'open' || d.status === 'recount');
  const names = await peopleNames(tx, open.map((d) => d.opened_by));
  return open.map((d) => ({ register: d.register_name, opened_by: names.get(d.opened_by) ?? '' }));
}

/** When the deadline for a location's day falls now, with its current rules (the owner may have moved it). */
async function deadlineOf(tx: TenantTx, biz: Business, locationId: string, businessDate: string) {
  const location = await getLocation(tx, locationId, 'all');
  const rules = await rulesAt(tx, biz, locationId);
  const { deadline_at } = await localDay(tx, location.time_zone, businessDate, rules.deadline);
  return { deadlineAt: deadline_at, location };
}

/**
 * After the rules change: a deadline moved earlier must not wait for the job queued at the old time, so each open
 * day affected gets a job at its new deadline. The later of the two jobs finds the day reminded and does nothing.
 */
export async function rescheduleDeadlines(tx: TenantTx, biz: Business, deps: CashDeps, locationId: string | null) {
  for (const day of await daysAwaitingReminder(tx, locationId)) {
    const { deadlineAt } = await deadlineOf(tx, biz, day.location_id, day.business_date);
    await deps.scheduleDeadline(tx, day.location_id, day.business_date, deadlineAt);
  }
}

/** Business days that still wait for their deadline reminder (not closed, not reminded), at one location or all. */
async function daysAwaitingReminder(tx: TenantTx, locationId: string | null): Promise<{ location_id: string; business_date: string }[]> {
  return tx.query(
    `SELECT location_id, business_date::text AS business_date FROM cash_days
      WHERE tenant_id = $1 AND NOT closed AND reminded_at IS NULL AND ($2::uuid IS NULL OR location_id = $2)
        AND business_date >= current_date - 2`,
    [tx.tenantId, locationId],
  );
}

/** Marks the day reminded; false when it already was (a retried job must not remind twice). */
async function markReminded(tx: TenantTx, locationId: string, businessDate: string): Promise<boolean> {
  const rows = await tx.query(
    `UPDATE cash_days SET reminded_at = now() WHERE tenant_id = $1 AND location_id = $2 AND business_date = $3 AND reminded_at IS NULL RETURNING business_date`,
    [tx.tenantId, locationId, businessDate],
  );
  return rows.length > 0;
}

// ================================================================= demo history

/** A count of `amount` in the fewest notes and coins (the usual way a till is made up). */
function makeUp(amount: number, denominations: readonly Denomination[]): Line[] {
  let left = amount;
  const lines: Line[] = [];
  for (const d of [...denominations].sort((a, b) => b.value - a.value)) {
    const quantity = Math.floor(left / d.value);
    if (quantity > 0) lines.push({ value: d.value, quantity });
    left -= quantity * d.value;
  }
  if (left !== 0) throw new Error(`${amount} cannot be made up from these denominations`);
  return lines;
}

/**
 * For the demo only: the past `days` business days at a location, each drawer counted (a few short or over), the
 * flagged ones approved by the manager, and every day closed, so the reports and Z reports have something to show.
 */
export async function seedPastDays(tx: TenantTx, biz: Business, opts: { locationId: string; registerId: string; staffId: string; managerId: string; days: number }) {
  const location = await getLocation(tx, opts.locationId, 'all');
  const rules = await rulesAt(tx, biz, opts.locationId);
  const unit = Math.min(...rules.denominations.map((d) => d.value));
  const { today } = await localDay(tx, location.time_zone, null, rules.deadline);
  const VARIANCES = [0, -35, 0, 120, -4000, 0, -15, 0, 250, 0, -1200, 5, 0, -60];
  for (let i = opts.days; i >= 1; i--) {
    const [{ date }] = (await tx.query<{ date: string }>(`SELECT ($1::date - $2::int)::text AS date`, [today, i])) as [{ date: string }];
    const at = async (hhmm: string) =>
      ((await tx.query<{ t: Date }>(`SELECT ($1::date + $2::time) AT TIME ZONE $3 AS t`, [date, hhmm, location.time_zone]))[0] as { t: Date }).t;
    const float = makeUp(rules.default_float, rules.denominations);
    const drawerId = uuidv7();
    const movements: { kind: MovementKind; amount: number; reason: string | null; time: string }[] = [
      { kind: 'cash_sale', amount: Math.round((60_000 + ((i * 7919) % 45_000)) / unit) * unit, reason: null, time: '22:45' },
      ...(i % 3 === 0 ? [{ kind: 'pay_out' as const, amount: 1250, reason: 'Ice and lemons', time: '18:20' }] : []),
      { kind: 'drop', amount: 40_000, reason: null, time: '21:00' },
    ];
    const flows = flowsOf(countTotal(float), movements);
    const variance = Math.round(VARIANCES[i % VARIANCES.length]! / unit) * unit;
    const counted = judge(flows, 0, 0, false).expected + variance;
    const j = judge(flows, counted, rules.variance_tolerance, rules.approval_required);
    const approved = j.status === 'pending';
    await tx.query(
      `INSERT INTO cash_drawers (tenant_id, id, register_id, location_id, business_date, status, opening_float, opened_by, opened_at, submitted_at, reconciled_at)
       VALUES ($1, $2, $3, $4, $5, 'reconciled', $6, $7, $8, $9, $10)`,
      [tx.tenantId, drawerId, opts.registerId, opts.locationId, date, flows.opening_float, opts.staffId, await at('16:00'), await at('23:10'), await at(approved ? '23:30' : '23:10')],
    );
    for (const [purpose, lines, time] of [['opening', float, '16:00'], ['closing', makeUp(counted, rules.denominations), '23:10']] as const) {
      const countId = uuidv7();
      await tx.query(`INSERT INTO cash_counts (tenant_id, id, drawer_id, purpose, total, counted_by, counted_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        tx.tenantId, countId, drawerId, purpose, countTotal(lines), opts.staffId, await at(time),
      ]);
      for (const l of lines) {
        await tx.query(`INSERT INTO cash_count_lines (tenant_id, count_id, denomination, quantity) VALUES ($1, $2, $3, $4)`, [tx.tenantId, countId, l.value, l.quantity]);
      }
      if (purpose === 'closing') {
        await tx.query(
          `INSERT INTO cash_reconciliations (tenant_id, id, drawer_id, count_id, attempt, location_id, register_id, business_date,
              opening_float, cash_sales, cash_in, pay_outs, tip_outs, drops, expected, counted, variance, tolerance, outcome, approval_required,
              status, submitted_by, submitted_at, decided_by, decided_at, decision_comment)
           VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)`,
          [
            tx.tenantId, uuidv7(), drawerId, countId, opts.locationId, opts.registerId, date,
            flows.opening_float, flows.cash_sales, flows.cash_in, flows.pay_outs, flows.tip_outs, flows.drops, j.expected, counted, j.variance,
            rules.variance_tolerance, j.outcome, rules.approval_required, approved ? 'approved' : 'accepted', opts.staffId, await at('23:10'),
            approved ? opts.managerId : null, approved ? await at('23:30') : null, approved ? 'Checked against the receipts' : null,
          ],
        );
      }
    }
    for (const m of movements) {
      await tx.query(
        `INSERT INTO cash_movements (tenant_id, id, drawer_id, kind, amount, reason, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [tx.tenantId, uuidv7(), drawerId, m.kind, m.amount, m.reason, opts.staffId, await at(m.time)],
      );
    }
    await closeDayAs(tx, biz, opts.managerId, opts.locationId, date);
  }
}
