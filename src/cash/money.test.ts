import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type Client, type TestApp } from '../../test/harness.ts';
import type { SeededTenant } from '../platform/demo.ts';
import { countTotal, decimal, expectedCash, flowsOf, judge, standardDenominations, type MovementKind } from './money.ts';

/**
 * The drawer arithmetic checked against an independent model in BigInt (exact at any size), over generated sessions:
 * first the pure functions, then whole sessions through the API and the database.
 */
const KINDS: MovementKind[] = ['cash_sale', 'cash_in', 'pay_out', 'tip_out', 'drop'];
const SIGN: Record<MovementKind, bigint> = { cash_sale: 1n, cash_in: 1n, pay_out: -1n, tip_out: -1n, drop: -1n };
const USD = standardDenominations('USD').map((d) => d.value);

const movementArb = fc.record({ kind: fc.constantFrom(...KINDS), amount: fc.integer({ min: 1, max: 5_000_000 }) });
const linesArb = fc.uniqueArray(fc.record({ value: fc.constantFrom(...USD), quantity: fc.integer({ min: 0, max: 500 }) }), { selector: (l) => l.value, maxLength: USD.length });

function model(float: { value: number; quantity: number }[], movements: { kind: MovementKind; amount: number }[], counted: { value: number; quantity: number }[], tolerance: number) {
  const sum = (ls: { value: number; quantity: number }[]) => ls.reduce((n, l) => n + BigInt(l.value) * BigInt(l.quantity), 0n);
  const expected = sum(float) + movements.reduce((n, m) => n + SIGN[m.kind] * BigInt(m.amount), 0n);
  const variance = sum(counted) - expected;
  const abs = variance < 0n ? -variance : variance;
  return { expected: Number(expected), counted: Number(sum(counted)), variance: Number(variance), outcome: abs <= BigInt(tolerance) ? 'balanced' : 'flagged' };
}

describe('the drawer arithmetic (pure)', () => {
  it('matches the BigInt model for any float, movements and count', () => {
    fc.assert(
      fc.property(linesArb, fc.array(movementArb, { maxLength: 40 }), linesArb, fc.integer({ min: 0, max: 10_000 }), fc.boolean(), (float, movements, counted, tolerance, approval) => {
        const want = model(float, movements, counted, tolerance);
        const flows = flowsOf(countTotal(float), movements);
        const got = judge(flows, countTotal(counted), tolerance, approval);
        expect(expectedCash(flows)).toBe(want.expected);
        expect(got).toEqual({ expected: want.expected, variance: want.variance, outcome: want.outcome, status: want.outcome === 'flagged' || approval ? 'pending' : 'accepted' });
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuses a sum beyond exact integers instead of rounding it', () => {
    expect(() => countTotal([{ value: Number.MAX_SAFE_INTEGER, quantity: 2 }])).toThrow(RangeError);
    expect(() => expectedCash(flowsOf(1, [{ kind: 'cash_sale', amount: Number.MAX_SAFE_INTEGER }]))).toThrow(RangeError);
  });

  it('writes minor units as the currency\'s decimals without a float', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (n) => {
        const text = decimal(n, 2);
        expect(/^-?\d+\.\d{2}$/.test(text)).toBe(true);
        expect(BigInt(text.replace('.', ''))).toBe(BigInt(n));
      }),
    );
    expect(decimal(-5, 2)).toBe('-0.05');
    expect(decimal(1234, 0)).toBe('1234');
    expect(decimal(1234, 3)).toBe('1.234');
  });
});

describe('the drawer arithmetic through the API and the database', () => {
  let t: TestApp;
  let biz: SeededTenant;
  let owner: Client;

  beforeAll(async () => {
    t = await testApp();
    biz = await t.tenant();
    owner = await t.as(biz, 'owner');
  });
  afterAll(() => t.close());

  it('every generated session reconciles exactly as the model says', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        linesArb,
        fc.array(movementArb.map((m) => ({ ...m, amount: Math.min(m.amount, 500_000) })), { maxLength: 6 }),
        linesArb.filter((ls) => ls.some((l) => l.quantity > 0)),
        async (float, movements, counted) => {
          const register = (await owner.post('/api/v1/cash/registers', { location_id: biz.locationId, name: `Prop ${++n}` })).json().id;
          const opened = await owner.post(`/api/v1/cash/registers/${register}/drawers`, { opening_count: float });
          expect(opened.statusCode, opened.body).toBe(201);
          const drawer = opened.json().id;
          for (const m of movements) {
            const r = await owner.post(`/api/v1/cash/drawers/${drawer}/movements`, { ...m, ...(m.kind === 'pay_out' ? { reason: 'Generated' } : {}) });
            expect(r.statusCode, r.body).toBe(201);
          }
          const r = await owner.post(`/api/v1/cash/drawers/${drawer}/count`, { lines: counted });
          expect(r.statusCode, r.body).toBe(201);
          const want = model(float, movements, counted, 500);
          expect(r.json()).toMatchObject(want);
          // The stored row agrees, and its CHECK constraints held the same arithmetic.
          const [row] = await t.db.admin(`SELECT expected, counted, variance, outcome FROM cash_reconciliations WHERE id = $1`, [r.json().id]);
          expect(row).toEqual(want);
        },
      ),
      { numRuns: 25 },
    );
  });
});
