import { z } from 'zod';
import { instant, pageQuery, text, uuid, versioned } from '../core/schemas.ts';

/**
 * Money is an integer number of minor units (cents for USD, yen for JPY) of the business's currency, everywhere:
 * in requests, answers and the database. Never a float: $12.30 travels as 1230.
 */
const MAX_AMOUNT = 100_000_000_000; // a hundred million dollars in cents: far beyond any drawer, well inside 2^53
export const amount = z.number({ error: 'must be a whole number of minor units (cents)' }).int('must be a whole number of minor units (cents)').min(0).max(MAX_AMOUNT);
export const positiveAmount = amount.min(1, 'must be more than zero');

export const businessDate = z.iso.date({ error: 'must be a date as YYYY-MM-DD' });
export const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time as HH:MM (24-hour)');

export const denomination = z.strictObject({
  value: positiveAmount.max(100_000_000),
  kind: z.enum(['coin', 'note']),
});
export const denominations = z
  .array(denomination)
  .min(1, 'must list at least one denomination')
  .max(40)
  .refine((ds) => new Set(ds.map((d) => d.value)).size === ds.length, 'must not list the same value twice');

/** One line of a count: how many of one denomination. */
export const countLine = z.strictObject({
  value: positiveAmount.max(100_000_000),
  quantity: z.number().int('must be a whole number').min(0).max(100_000),
});
export const countLines = z
  .array(countLine)
  .max(40)
  .refine((ls) => new Set(ls.map((l) => l.value)).size === ls.length, 'must not count the same denomination twice');

// ---------------------------------------------------------------- settings

const rules = {
  denominations,
  default_float: amount,
  variance_tolerance: amount,
  approval_required: z.boolean(),
  deadline: clockTime,
  blind_counts: z.boolean(),
};

export const cashRules = z.object({
  denominations: z.array(z.object({ value: z.number().int(), kind: z.enum(['coin', 'note']) })),
  default_float: z.number().int(),
  variance_tolerance: z.number().int(),
  approval_required: z.boolean(),
  deadline: z.string(),
  blind_counts: z.boolean(),
});

export const businessSettings = cashRules.extend({
  currency: z.string(),
  /** Digits after the decimal point in this currency (2 for USD, 0 for JPY). */
  minor_digits: z.number().int(),
  /** False while the business runs on Brigade's defaults for its currency. */
  customised: z.boolean(),
});

export const putBusinessSettings = z.strictObject(rules);

export const locationSettings = z.object({
  location_id: uuid,
  currency: z.string(),
  minor_digits: z.number().int(),
  /** This location's own values; null means "as the business". */
  overrides: z.object({
    denominations: cashRules.shape.denominations.nullable(),
    default_float: z.number().int().nullable(),
    variance_tolerance: z.number().int().nullable(),
    approval_required: z.boolean().nullable(),
    deadline: z.string().nullable(),
    blind_counts: z.boolean().nullable(),
  }),
  /** What applies at this location: its overrides over the business's rules. */
  effective: cashRules,
});

export const putLocationSettings = z.strictObject({
  denominations: denominations.nullable(),
  default_float: amount.nullable(),
  variance_tolerance: amount.nullable(),
  approval_required: z.boolean().nullable(),
  deadline: clockTime.nullable(),
  blind_counts: z.boolean().nullable(),
});

// ---------------------------------------------------------------- registers

export const person = z.object({ id: uuid, name: z.string() });

export const drawerSummary = z.object({
  id: uuid,
  status: z.enum(['open', 'submitted', 'recount', 'reconciled']),
  business_date: z.string(),
  opened_by: person,
  opened_at: instant,
});

export const register = z.object({
  id: uuid,
  location_id: uuid,
  name: z.string(),
  active: z.boolean(),
  version: z.number().int(),
  /** The drawer now in this register (open, or sent back for a recount), if any. */
  current_drawer: drawerSummary.nullable(),
  created_at: instant,
  updated_at: instant,
});

export const registerDetail = register.extend({
  /** The last closing count of this register, to pre-fill the next opening float. */
  last_count: z.array(z.object({ value: z.number().int(), quantity: z.number().int() })),
  rules: cashRules,
  currency: z.string(),
  minor_digits: z.number().int(),
});

export const registerQuery = z.strictObject({
  location_id: uuid.optional(),
  include_inactive: z.enum(['true', 'false']).optional(),
});

export const createRegister = z.strictObject({ location_id: uuid, name: text(80) });
export const updateRegister = z.strictObject({ ...versioned, name: text(80).optional(), active: z.boolean().optional() });

// ---------------------------------------------------------------- drawers

export const openDrawer = z.strictObject({ opening_count: countLines });

export const MOVEMENT_KINDS = ['cash_sale', 'cash_in', 'pay_out', 'tip_out', 'drop'] as const;

export const recordMovement = z
  .strictObject({
    kind: z.enum(MOVEMENT_KINDS),
    amount: positiveAmount,
    reason: text(500).optional(),
    /** Set by a POS import: the same reference sent twice records once. */
    external_ref: text(200).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.kind === 'pay_out' && !m.reason) ctx.addIssue({ code: 'custom', path: ['reason'], message: 'must say what the pay out was for' });
  });

export const movement = z.object({
  id: uuid,
  kind: z.enum(MOVEMENT_KINDS),
  /** Null when a blind counter looks at cash sales: the sales are what the count is checked against. */
  amount: z.number().int().nullable(),
  reason: z.string().nullable(),
  source: z.enum(['manual', 'pos']),
  external_ref: z.string().nullable(),
  recorded_by: person,
  recorded_at: instant,
});

export const count = z.object({
  id: uuid,
  purpose: z.enum(['opening', 'closing']),
  total: z.number().int(),
  counted_by: person,
  counted_at: instant,
  lines: z.array(z.object({ value: z.number().int(), quantity: z.number().int() })),
});

/** What the drawer should hold. Null for a counter in blind mode, who must count without knowing it. */
export const drawerTotals = z.object({
  opening_float: z.number().int(),
  cash_sales: z.number().int().nullable(),
  cash_in: z.number().int(),
  pay_outs: z.number().int(),
  tip_outs: z.number().int(),
  drops: z.number().int(),
  expected: z.number().int().nullable(),
});

export const reconciliationSummary = z.object({
  id: uuid,
  drawer_id: uuid,
  attempt: z.number().int(),
  location_id: uuid,
  register: z.object({ id: uuid, name: z.string() }),
  business_date: z.string(),
  counted: z.number().int(),
  /** Null for the counter when counts are blind. */
  expected: z.number().int().nullable(),
  variance: z.number().int().nullable(),
  outcome: z.enum(['balanced', 'flagged']).nullable(),
  tolerance: z.number().int(),
  approval_required: z.boolean(),
  status: z.enum(['accepted', 'pending', 'approved', 'rejected']),
  submitted_by: person,
  submitted_at: instant,
  decided_by: person.nullable(),
  decided_at: instant.nullable(),
  decision_comment: z.string().nullable(),
  version: z.number().int(),
});

export const drawer = z.object({
  id: uuid,
  register: z.object({ id: uuid, name: z.string() }),
  location_id: uuid,
  business_date: z.string(),
  status: z.enum(['open', 'submitted', 'recount', 'reconciled']),
  opened_by: person,
  opened_at: instant,
  submitted_at: instant.nullable(),
  reconciled_at: instant.nullable(),
  currency: z.string(),
  minor_digits: z.number().int(),
  blind: z.boolean(),
  denominations: cashRules.shape.denominations,
  totals: drawerTotals,
  movements: z.array(movement),
  counts: z.array(count),
  reconciliations: z.array(reconciliationSummary),
});

export const drawerQuery = z.strictObject({
  ...pageQuery.shape,
  location_id: uuid.optional(),
  status: z.enum(['open', 'submitted', 'recount', 'reconciled']).optional(),
  business_date: businessDate.optional(),
});

export const drawerListItem = drawerSummary.extend({ register: z.object({ id: uuid, name: z.string() }), location_id: uuid });

export const submitCount = z.strictObject({ lines: countLines.min(1, 'must count at least one denomination') });

// ---------------------------------------------------------------- reconciliations

export const reconciliationQuery = z
  .strictObject({
    ...pageQuery.shape,
    location_id: uuid.optional(),
    register_id: uuid.optional(),
    person_id: uuid.optional(),
    status: z.enum(['accepted', 'pending', 'approved', 'rejected']).optional(),
    from: businessDate.optional(),
    to: businessDate.optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: 'must not be before from' });

export const reconciliation = reconciliationSummary.extend({
  totals: drawerTotals,
  movements: z.array(movement),
  /** The opening count, then each closing count in order. */
  counts: z.array(count),
  drawer_status: z.enum(['open', 'submitted', 'recount', 'reconciled']),
  opened_by: person,
  /** Every count of this drawer, first to last (this one included), with what a manager decided on each. */
  attempts: z.array(reconciliationSummary),
});

export const decide = z.strictObject({ ...versioned, comment: text(1000).optional() });
export const reject = z.strictObject({ ...versioned, comment: text(1000) });

// ---------------------------------------------------------------- day close

export const dayTotals = z.object({
  drawers: z.number().int(),
  flagged: z.number().int(),
  opening_float: z.number().int(),
  cash_sales: z.number().int(),
  cash_in: z.number().int(),
  pay_outs: z.number().int(),
  tip_outs: z.number().int(),
  drops: z.number().int(),
  expected: z.number().int(),
  counted: z.number().int(),
  variance: z.number().int(),
});

export const dayRegisterLine = z.object({
  register_id: uuid,
  register_name: z.string(),
  drawer_id: uuid,
  reconciliation_id: uuid,
  opened_by: z.string(),
  counted_by: z.string(),
  approved_by: z.string().nullable(),
  opening_float: z.number().int(),
  cash_sales: z.number().int(),
  cash_in: z.number().int(),
  pay_outs: z.number().int(),
  tip_outs: z.number().int(),
  drops: z.number().int(),
  expected: z.number().int(),
  counted: z.number().int(),
  variance: z.number().int(),
  outcome: z.enum(['balanced', 'flagged']),
  status: z.enum(['accepted', 'approved']),
});

export const dayClose = z.object({
  id: uuid,
  location_id: uuid,
  location_name: z.string(),
  business_date: z.string(),
  number: z.number().int(),
  kind: z.enum(['close', 'reversal']),
  reverses_id: uuid.nullable(),
  /** Set on a close that a later reversal undid. */
  reversed_by_id: uuid.nullable(),
  reason: z.string().nullable(),
  totals: dayTotals,
  registers: z.array(dayRegisterLine),
  closed_by: person,
  closed_at: instant,
  currency: z.string(),
  minor_digits: z.number().int(),
  previous_hash: z.string(),
  hash: z.string(),
  /** The stored hash recomputed from the stored content now: false means the row was altered. */
  hash_valid: z.boolean(),
});

export const dayQuery = z.strictObject({ date: businessDate.optional() });

export const dayStatus = z.object({
  location_id: uuid,
  business_date: z.string(),
  today: z.string(),
  closed: z.boolean(),
  /** The close in force for this day, if it is closed. */
  close: dayClose.nullable(),
  drawers: z.array(
    drawerListItem.extend({
      /** The drawer's latest count, if it was counted. */
      reconciliation_id: uuid.nullable(),
      reconciliation_status: z.enum(['accepted', 'pending', 'approved', 'rejected']).nullable(),
    }),
  ),
  /** Why the day cannot be closed yet, in words; empty when it can. */
  blockers: z.array(z.string()),
  deadline: instant,
});

export const closeDay = z.strictObject({ business_date: businessDate });
export const reopenDay = z.strictObject({ reason: text(1000) });

export const dayCloseQuery = z.strictObject({
  ...pageQuery.shape,
  location_id: uuid.optional(),
  from: businessDate.optional(),
  to: businessDate.optional(),
});

// ---------------------------------------------------------------- reports

export const varianceQuery = z.strictObject({
  location_id: uuid.optional(),
  days: z.enum(['7', '30', '90']).default('30'),
  by: z.enum(['location', 'register', 'person']).default('register'),
});

export const varianceReport = z.object({
  from: z.string(),
  to: z.string(),
  currency: z.string(),
  minor_digits: z.number().int(),
  by: z.enum(['location', 'register', 'person']),
  rows: z.array(
    z.object({
      id: uuid,
      name: z.string(),
      reconciliations: z.number().int(),
      flagged: z.number().int(),
      variance: z.number().int(),
      /** The sum of the short counts: zero or negative. */
      shortfall: z.number().int(),
      /** The sum of the counts that were over: zero or positive. */
      overage: z.number().int(),
    }),
  ),
  daily: z.array(z.object({ date: z.string(), variance: z.number().int(), flagged: z.number().int(), reconciliations: z.number().int() })),
  flagged_days: z.number().int(),
  largest_shortfalls: z.array(
    z.object({
      reconciliation_id: uuid,
      business_date: z.string(),
      location_id: uuid,
      register_name: z.string(),
      counted_by: z.string(),
      variance: z.number().int(),
      status: z.enum(['accepted', 'pending', 'approved', 'rejected']),
    }),
  ),
});

/** Without dates: the last 30 days. */
export const exportQuery = z
  .strictObject({
    location_id: uuid.optional(),
    from: businessDate.optional(),
    to: businessDate.optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: 'must not be before from' });
