/**
 * The drawer's arithmetic, in integer minor units only. Every sum is checked to stay a safe integer, so a figure
 * is either exact or refused; it is never silently rounded the way a float would be.
 */

export type MovementKind = 'cash_sale' | 'cash_in' | 'pay_out' | 'tip_out' | 'drop';

export interface Flows {
  opening_float: number;
  cash_sales: number;
  cash_in: number;
  pay_outs: number;
  tip_outs: number;
  drops: number;
}

export interface CountLine {
  value: number;
  quantity: number;
}

function safe(n: number): number {
  if (!Number.isSafeInteger(n)) throw new RangeError(`amount ${n} is beyond exact integer arithmetic`);
  return n;
}

export const add = (a: number, b: number) => safe(safe(a) + safe(b));

/** What a count by denomination comes to. */
export function countTotal(lines: readonly CountLine[]): number {
  return lines.reduce((sum, l) => add(sum, safe(safe(l.value) * safe(l.quantity))), 0);
}

const FLOW_OF: Record<MovementKind, keyof Flows> = {
  cash_sale: 'cash_sales',
  cash_in: 'cash_in',
  pay_out: 'pay_outs',
  tip_out: 'tip_outs',
  drop: 'drops',
};

/** The drawer's flows from its opening float and its movements. */
export function flowsOf(openingFloat: number, movements: readonly { kind: MovementKind; amount: number }[]): Flows {
  const f: Flows = { opening_float: safe(openingFloat), cash_sales: 0, cash_in: 0, pay_outs: 0, tip_outs: 0, drops: 0 };
  for (const m of movements) f[FLOW_OF[m.kind]] = add(f[FLOW_OF[m.kind]], m.amount);
  return f;
}

/** Expected = float + cash sales + cash in − pay outs − tip outs − drops. */
export function expectedCash(f: Flows): number {
  return safe(add(add(f.opening_float, f.cash_sales), f.cash_in) - add(add(f.pay_outs, f.tip_outs), f.drops));
}

export interface Judgement {
  expected: number;
  variance: number;
  outcome: 'balanced' | 'flagged';
  status: 'accepted' | 'pending';
}

/**
 * Variance = counted − expected (negative: the drawer is short). Balanced within the tolerance either way;
 * a flagged count, and every count where approval is required, waits for a manager.
 */
export function judge(f: Flows, counted: number, tolerance: number, approvalRequired: boolean): Judgement {
  const expected = expectedCash(f);
  const variance = safe(safe(counted) - expected);
  const outcome = Math.abs(variance) <= tolerance ? 'balanced' : 'flagged';
  return { expected, variance, outcome, status: outcome === 'flagged' || approvalRequired ? 'pending' : 'accepted' };
}

/** Minor units as the decimal text an accountant's spreadsheet reads: 1230 with 2 digits → "12.30". */
export function decimal(minor: number, digits: number): string {
  if (digits === 0) return String(minor);
  const sign = minor < 0 ? '-' : '';
  const s = String(Math.abs(minor)).padStart(digits + 1, '0');
  return `${sign}${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/** Digits after the point in a currency (2 for USD, 0 for JPY, 3 for KWD), from the platform's ICU data. */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

type Denomination = { value: number; kind: 'coin' | 'note' };

// Notes and coins in circulation, in minor units. Data, not logic: an owner edits their own list in settings.
const MAJOR: Record<string, { notes: number[]; coins: number[] }> = {
  USD: { notes: [10000, 5000, 2000, 1000, 500, 100], coins: [25, 10, 5, 1] },
  EUR: { notes: [20000, 10000, 5000, 2000, 1000, 500], coins: [200, 100, 50, 20, 10, 5, 2, 1] },
  GBP: { notes: [5000, 2000, 1000, 500], coins: [200, 100, 50, 20, 10, 5, 2, 1] },
  CAD: { notes: [10000, 5000, 2000, 1000, 500], coins: [200, 100, 25, 10, 5] },
  AUD: { notes: [10000, 5000, 2000, 1000, 500], coins: [200, 100, 50, 20, 10, 5] },
  NZD: { notes: [10000, 5000, 2000, 1000, 500], coins: [200, 100, 50, 20, 10] },
  CHF: { notes: [100000, 20000, 10000, 5000, 2000, 1000], coins: [500, 200, 100, 50, 20, 10, 5] },
  JPY: { notes: [10000, 5000, 2000, 1000], coins: [500, 100, 50, 10, 5, 1] },
  SEK: { notes: [100000, 50000, 20000, 10000, 5000, 2000], coins: [1000, 500, 200, 100] },
  NOK: { notes: [100000, 50000, 20000, 10000], coins: [2000, 1000, 500, 100] },
  DKK: { notes: [100000, 50000, 20000, 10000, 5000], coins: [2000, 1000, 500, 200, 100, 50] },
  PLN: { notes: [50000, 20000, 10000, 5000, 2000, 1000], coins: [500, 200, 100, 50, 20, 10, 5, 2, 1] },
  MXN: { notes: [100000, 50000, 20000, 10000, 5000, 2000], coins: [1000, 500, 200, 100, 50] },
};

/** The currency's usual notes and coins; for a currency not listed, a 1-2-5 series the owner can edit. */
export function standardDenominations(currency: string): Denomination[] {
  const known = MAJOR[currency];
  if (known) return [...known.notes.map((value) => ({ value, kind: 'note' as const })), ...known.coins.map((value) => ({ value, kind: 'coin' as const }))];
  const unit = 10 ** minorDigits(currency);
  const notes = [100, 50, 20, 10, 5].map((v) => ({ value: v * unit, kind: 'note' as const }));
  const coins = [2, 1].map((v) => ({ value: v * unit, kind: 'coin' as const }));
  const cents = unit >= 100 ? [50, 20, 10, 5, 1].map((v) => ({ value: (v * unit) / 100, kind: 'coin' as const })) : [];
  return [...notes, ...coins, ...cents];
}
