import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LONGEST_WAIT_MINUTES,
  PARTY_BANDS,
  bandOf,
  buildModel,
  estimateLine,
  expectedServiceMinutes,
  joinLineEnd,
  lineLeavingOf,
  naiveEstimate,
  playLine,
  type EstimateModel,
  type LineLeaving,
  type LineState,
  type ServedVisit,
} from './estimate.ts';
import { measureAccuracy, simulateQueueHistory, trainOn } from './estimate-simulation.ts';

/**
 * The wait estimator (issue #5): its properties on hand-made queues, then its accuracy against a generated month of a
 * restaurant's waitlist, next to the naive position × average.
 */

const visitsOf = (count: number, partySize: number, hour: number, serviceMinutes: number): ServedVisit[] =>
  Array.from({ length: count }, () => ({ partySize, hour, serviceMinutes }));
const couples = (count: number) => Array.from({ length: count }, () => ({ partySize: 2 }));

/**
 * Every band holds its table the same time at every hour. Only then can more tables never lengthen a wait: when stays
 * change with the hour, sitting down earlier, in a slower hour, can end later.
 */
function hourlessModel(bandMinutes: readonly number[]): EstimateModel {
  return {
    visits: 100,
    defaultServiceMinutes: 60,
    overallMinutes: bandMinutes[0]!,
    bandMinutes: [...bandMinutes],
    hourFactors: new Array<number>(24).fill(1),
    cellMinutes: bandMinutes.map((m) => new Array<number>(24).fill(m)),
    walkAwayPerMinute: 0,
  };
}

const partyArb = fc.integer({ min: 1, max: 12 });
const stateArb = fc.record({
  tables: fc.integer({ min: 1, max: 12 }),
  hour: fc.double({ min: 0, max: 23.99, noNaN: true }),
  seated: fc.array(fc.record({ partySize: partyArb, seatedMinutesAgo: fc.integer({ min: 0, max: 300 }) }), { maxLength: 14 }),
  waiting: fc.array(fc.record({ partySize: partyArb }), { maxLength: 40 }),
});
const visitArb = fc.record({ partySize: partyArb, hour: fc.integer({ min: 0, max: 23 }), serviceMinutes: fc.double({ min: 5, max: 200, noNaN: true }) });

describe('party bands', () => {
  it('puts every size in the band whose range holds it, and very large parties in the last', () => {
    expect(PARTY_BANDS.map((b) => b.label)).toEqual(['1-2', '3-4', '5-6', '7+']);
    for (let size = 1; size <= 30; size++) {
      const band = PARTY_BANDS[bandOf(size)]!;
      expect(size >= band.min && size <= band.max, `size ${size} in ${band.label}`).toBe(true);
    }
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(bandOf)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });
});

describe('the model', () => {
  it('falls back to the queue default with fewer than 20 usable visits, and learns from 20', () => {
    const thin = [...visitsOf(19, 2, 19, 30), { partySize: 2, hour: 19, serviceMinutes: Number.NaN }, { partySize: 2, hour: 19, serviceMinutes: 0 }];
    const fallback = buildModel(thin, 75);
    expect(fallback.visits).toBe(0);
    for (const size of [1, 4, 6, 9]) for (const hour of [0, 12, 19, 23]) expect(expectedServiceMinutes(fallback, size, hour)).toBe(75);

    const learned = buildModel(visitsOf(20, 2, 19, 30), 75);
    expect(learned.visits).toBe(20);
    expect(expectedServiceMinutes(learned, 2, 19)).toBeLessThan(45);
  });

  it('lets a well-filled cell speak for itself and a thin one lean on its band', () => {
    const history = [...visitsOf(200, 2, 12, 30), ...visitsOf(200, 2, 19, 60), ...visitsOf(200, 4, 19, 80), ...visitsOf(60, 4, 12, 40)];
    const without = buildModel(history, 60);
    expect(expectedServiceMinutes(without, 2, 19)).toBeCloseTo(60, 0);
    expect(expectedServiceMinutes(without, 2, 12)).toBeCloseTo(30, 0);

    // One party of four who stayed 200 minutes at 13:00 moves that cell, but only part of the way.
    const alone = buildModel([...history, { partySize: 4, hour: 13, serviceMinutes: 200 }], 60);
    const before = expectedServiceMinutes(without, 4, 13);
    const after = expectedServiceMinutes(alone, 4, 13);
    expect(after).toBeGreaterThan(before);
    expect(after - before).toBeLessThan((200 - before) / 4);
  });

  it('fills an empty cell from its band, an empty band from the whole history, at the hour’s pace', () => {
    const history = [...visitsOf(100, 2, 12, 30), ...visitsOf(100, 2, 19, 60), ...visitsOf(40, 6, 19, 90)];
    const model = buildModel(history, 60);
    // No visits at all at 16:00: no hour effect, so the band's and the history's means.
    expect(expectedServiceMinutes(model, 6, 16)).toBeCloseTo(model.bandMinutes[bandOf(6)]!, 9);
    expect(expectedServiceMinutes(model, 8, 16)).toBeCloseTo(model.overallMinutes, 9);
    // Parties of six were only ever seen at dinner; lunch runs at half the pace for everyone, so for them too.
    expect(expectedServiceMinutes(model, 6, 12)).toBeLessThan(expectedServiceMinutes(model, 6, 19) * 0.75);
    // The largest parties were never seen, yet lunch is still shorter than dinner for them.
    expect(expectedServiceMinutes(model, 8, 12)).toBeLessThan(expectedServiceMinutes(model, 8, 19));
  });

  it('is not dragged off by a visit closed hours late', () => {
    const model = buildModel([...visitsOf(100, 2, 19, 60), { partySize: 2, hour: 19, serviceMinutes: 10_000 }], 60);
    expect(expectedServiceMinutes(model, 2, 19)).toBeLessThan(63);
  });

  it('survives a JSON round trip unchanged', () => {
    const model = buildModel(simulateQueueHistory({ seed: 7, days: 7 }).visits, 60);
    const copy = JSON.parse(JSON.stringify(model)) as EstimateModel;
    const state: LineState = { tables: 6, hour: 19.25, seated: [{ partySize: 4, seatedMinutesAgo: 30 }], waiting: Array.from({ length: 12 }, () => ({ partySize: 3 })) };
    expect(estimateLine(copy, state)).toEqual(estimateLine(model, state));
  });

  it('refuses a default service time that is not a positive number of minutes', () => {
    expect(() => buildModel([], 0)).toThrow(RangeError);
    expect(() => buildModel([], Number.NaN)).toThrow(RangeError);
  });
});

describe('the line', () => {
  const flat = buildModel([], 60);

  it('calls parties as the tables free, each table again after its new party’s stay', () => {
    const state: LineState = {
      tables: 2,
      hour: 19,
      seated: [
        { partySize: 2, seatedMinutesAgo: 20 },
        { partySize: 2, seatedMinutesAgo: 50 },
      ],
      waiting: couples(4),
    };
    expect(estimateLine(flat, state)).toEqual([10, 40, 70, 100]);
    expect(estimateLine(flat, { ...state, waiting: [] })).toEqual([]);
  });

  it('calls at once while tables stand empty', () => {
    const state: LineState = { tables: 3, hour: 12, seated: [{ partySize: 2, seatedMinutesAgo: 45 }], waiting: couples(3) };
    expect(estimateLine(flat, state)).toEqual([0, 0, 15]);
  });

  it('expects a party past its time to leave soon, but not this very minute', () => {
    const overdue = (model: EstimateModel) => estimateLine(model, { tables: 1, hour: 20, seated: [{ partySize: 2, seatedMinutesAgo: 200 }], waiting: [{ partySize: 2 }] });
    expect(overdue(flat)).toEqual([6]);
    expect(overdue(buildModel([], 4))).toEqual([1]);
    // Five minutes before its expected end a party is still given the same least remaining time.
    expect(estimateLine(flat, { tables: 1, hour: 20, seated: [{ partySize: 2, seatedMinutesAgo: 55 }], waiting: [{ partySize: 2 }] })).toEqual([6]);
  });

  it('with more parties seated than tables, counts the soonest to leave; with no tables, one', () => {
    const seated = [
      { partySize: 2, seatedMinutesAgo: 10 },
      { partySize: 2, seatedMinutesAgo: 50 },
    ];
    expect(estimateLine(flat, { tables: 1, hour: 19, seated, waiting: [{ partySize: 2 }] })).toEqual([10]);
    expect(estimateLine(flat, { tables: 0, hour: 19, seated: [], waiting: couples(2) })).toEqual([0, 60]);
  });

  it('times each stay by the hour the party sat down, not the hour now', () => {
    // Afternoon tables turn in 30 minutes, dinner ones in 90.
    const model = buildModel([...visitsOf(200, 2, 16, 30), ...visitsOf(200, 2, 17, 90), ...visitsOf(200, 2, 18, 90)], 60);
    const at1730 = (seatedMinutesAgo: number) => estimateLine(model, { tables: 1, hour: 17.5, seated: [{ partySize: 2, seatedMinutesAgo }], waiting: [{ partySize: 2 }] });
    expect(at1730(40)[0]).toBeLessThanOrEqual(3); // sat at 16:50, an afternoon table: already overdue
    expect(at1730(20)[0]).toBeGreaterThanOrEqual(68); // sat at 17:10, a dinner table
    // At 16:30 an afternoon table frees in half an hour; the first in line sits down at 17:00, for a dinner stay.
    const line = estimateLine(model, { tables: 1, hour: 16.5, seated: [{ partySize: 2, seatedMinutesAgo: 0 }], waiting: couples(2) });
    expect(line[0]).toBeCloseTo(30, -1);
    expect(line[1]! - line[0]!).toBeGreaterThanOrEqual(85);
  });

  it('never promises a later party an earlier call, whole minutes only', () => {
    fc.assert(
      fc.property(fc.array(visitArb, { maxLength: 80 }), stateArb, (visits, state) => {
        const line = estimateLine(buildModel(visits, 45), state);
        expect(line).toHaveLength(state.waiting.length);
        for (let i = 0; i < line.length; i++) {
          expect(Number.isInteger(line[i]) && line[i]! >= 0).toBe(true);
          if (i > 0) expect(line[i]!).toBeGreaterThanOrEqual(line[i - 1]!);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never lengthens a wait when a table is added', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 10, max: 150 }), { minLength: 4, maxLength: 4 }), stateArb, (bandMinutes, state) => {
        const model = hourlessModel(bandMinutes);
        const fewer = estimateLine(model, state);
        const more = estimateLine(model, { ...state, tables: state.tables + 1 });
        more.forEach((m, i) => expect(m).toBeLessThanOrEqual(fewer[i]!));
      }),
      { numRuns: 500 },
    );
    // And strictly helps a full house: 6 tables all just seated, 10 waiting.
    const state: LineState = { tables: 6, hour: 19, seated: Array.from({ length: 6 }, () => ({ partySize: 2, seatedMinutesAgo: 5 })), waiting: couples(10) };
    expect(estimateLine(flat, { ...state, tables: 7 }).reduce((a, b) => a + b)).toBeLessThan(estimateLine(flat, state).reduce((a, b) => a + b));
  });

  it('answers a long line quickly (100 waiting, 20 tables, under a millisecond)', () => {
    const model = buildModel(simulateQueueHistory({ seed: 3, days: 7, tables: 20 }).visits, 60);
    const state: LineState = {
      tables: 20,
      hour: 19.5,
      seated: Array.from({ length: 20 }, (_, i) => ({ partySize: 1 + (i % 8), seatedMinutesAgo: i * 4 })),
      waiting: Array.from({ length: 100 }, (_, i) => ({ partySize: 1 + ((i * 5) % 8) })),
    };
    for (let i = 0; i < 200; i++) estimateLine(model, state);
    const calls = 1_000;
    const started = performance.now();
    for (let i = 0; i < calls; i++) estimateLine(model, state);
    expect((performance.now() - started) / calls).toBeLessThan(1);
  });
});

describe('walk-aways', () => {
  const visits = [...visitsOf(200, 2, 19, 60), ...visitsOf(100, 4, 19, 80)];
  // 100 parties joined over the weeks, each waited 40 minutes on average, and half of them left unseen.
  const halfLeave: LineLeaving = { joins: 100, walkAways: 50, minutesWaited: 4_000 };
  const fullHouse: LineState = { tables: 4, hour: 19, seated: Array.from({ length: 4 }, (_, i) => ({ partySize: 2, seatedMinutesAgo: 10 * i })), waiting: couples(12) };

  it('learns walk-aways per minute waited, and none from a line nobody left', () => {
    const model = buildModel(visits, 60, halfLeave);
    // 50 over 4,000 minutes, shrunk by 8 parties' worth of waiting with nobody leaving: 50 / 4,320.
    expect(model.walkAwayPerMinute).toBeCloseTo(50 / 4_320, 9);
    expect(buildModel(visits, 60, { joins: 100, walkAways: 0, minutesWaited: 4_000 }).walkAwayPerMinute).toBe(0);
    expect(buildModel(visits, 60).walkAwayPerMinute).toBe(0);
    // Too few joins to say anything, and a cold start still learns the line.
    expect(buildModel(visits, 60, { joins: 19, walkAways: 10, minutesWaited: 800 }).walkAwayPerMinute).toBe(0);
    expect(buildModel([], 60, halfLeave).walkAwayPerMinute).toBeGreaterThan(0);
  });

  it('shortens the waits behind parties that may leave, more the further back, never the first call', () => {
    const without = estimateLine(buildModel(visits, 60), fullHouse);
    const withLeaving = estimateLine(buildModel(visits, 60, halfLeave), fullHouse);
    // The first four wait for the seated parties, whom nobody ahead of them can speed up.
    expect(withLeaving.slice(0, 4)).toEqual(without.slice(0, 4));
    expect(withLeaving[11]!).toBeLessThan(without[11]!);
    const saved = withLeaving.map((m, i) => without[i]! - m);
    for (let i = 1; i < saved.length; i++) expect(saved[i]!).toBeGreaterThanOrEqual(saved[i - 1]! - 1);
    // The twelfth waits behind eight who each have a good chance of having gone: well under the whole line's stays.
    expect(withLeaving[11]!).toBeLessThan(without[11]! * 0.75);
  });

  it('gives exactly today’s estimates when nobody ever left the line', () => {
    fc.assert(
      fc.property(fc.array(visitArb, { maxLength: 80 }), stateArb, fc.integer({ min: 0, max: 500 }), (history, state, joins) => {
        const none = buildModel(history, 45, { joins, walkAways: 0, minutesWaited: joins * 30 });
        expect(none).toEqual(buildModel(history, 45));
        expect(estimateLine(none, state)).toEqual(estimateLine(buildModel(history, 45), state));
      }),
      { numRuns: 200 },
    );
  });

  it('plays a line party by party from its end exactly as in one go, so a join needs only the end of the line', () => {
    const leavingArb = fc.record({ joins: fc.integer({ min: 0, max: 500 }), walkAways: fc.integer({ min: 0, max: 500 }), minutesWaited: fc.double({ min: 0, max: 50_000, noNaN: true }) });
    fc.assert(
      fc.property(fc.array(visitArb, { maxLength: 80 }), stateArb, leavingArb, fc.integer({ min: 0, max: 40 }), (history, state, leaving, split) => {
        const model = buildModel(history, 45, leaving);
        const whole = playLine(model, state);
        // The first `split` parties in one go, the rest joining one at a time, each from the end the last one left.
        const at = Math.min(split, state.waiting.length);
        let { estimates, end } = playLine(model, { ...state, waiting: state.waiting.slice(0, at) });
        for (const party of state.waiting.slice(at)) {
          const joined = joinLineEnd(model, end, party.partySize);
          estimates = [...estimates, joined.estimate];
          end = joined.end;
        }
        expect(estimates).toEqual(whole.estimates);
        expect(end).toEqual(whole.end);
      }),
      { numRuns: 200 },
    );
  });

  it('still never promises a later party an earlier call', () => {
    const leavingArb = fc.record({ joins: fc.integer({ min: 0, max: 500 }), walkAways: fc.integer({ min: 0, max: 500 }), minutesWaited: fc.double({ min: 0, max: 50_000, noNaN: true }) });
    fc.assert(
      fc.property(fc.array(visitArb, { maxLength: 80 }), stateArb, leavingArb, (history, state, leaving) => {
        const line = estimateLine(buildModel(history, 45, leaving), state);
        expect(line).toHaveLength(state.waiting.length);
        for (let i = 0; i < line.length; i++) {
          expect(Number.isInteger(line[i]) && line[i]! >= 0).toBe(true);
          if (i > 0) expect(line[i]!).toBeGreaterThanOrEqual(line[i - 1]!);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('counts a party’s time in line up to four hours, so an entry nobody closed is not days of patience', () => {
    expect(LONGEST_WAIT_MINUTES).toBe(240);
    expect(
      lineLeavingOf([
        { minutesWaited: 30, walkedAway: false },
        { minutesWaited: 45, walkedAway: true },
        { minutesWaited: 3 * 24 * 60, walkedAway: false },
        { minutesWaited: -5, walkedAway: false },
      ]),
    ).toEqual({ joins: 4, walkAways: 1, minutesWaited: 30 + 45 + 240 });
  });
});

describe('accuracy on a generated month of one restaurant (3 weeks learned, the 4th scored)', () => {
  it('plays the same month from the same seed, and another from another', () => {
    const a = simulateQueueHistory({ seed: 11, days: 7 });
    expect(simulateQueueHistory({ seed: 11, days: 7 })).toEqual(a);
    expect(simulateQueueHistory({ seed: 12, days: 7 }).joins.length).not.toBe(a.joins.length);
    // A real queue: guests do wait, some far back in line.
    expect(a.joins.length).toBeGreaterThan(100);
    expect(Math.max(...a.joins.map((j) => j.position))).toBeGreaterThanOrEqual(8);
  });

  for (const seed of [1, 2, 3]) {
    it(`errs clearly less than position × average (seed ${seed}, 6 tables)`, () => {
      const accuracy = measureAccuracy(simulateQueueHistory({ seed, tables: 6 }), 21);
      expect(accuracy.trainingVisits).toBeGreaterThan(1_000);
      expect(accuracy.evaluatedJoins).toBeGreaterThan(150);
      expect(accuracy.oursMae).toBeLessThanOrEqual(0.8 * accuracy.naiveMae);
    });
  }
});

describe('accuracy when a fifth of waiting guests walk away after 20-90 minutes (6 tables)', () => {
  const months = [1, 2, 3].map((seed) => simulateQueueHistory({ seed, tables: 6, walkAwayShare: 0.2 }));

  it('learns from the first three weeks what the line lost, as the service would read it', () => {
    for (const month of months) {
      const { leaving, model } = trainOn(month, 21);
      const walkedAway = month.joins.filter((j) => j.walkedAwayAfter !== null && j.joinedAt + j.walkedAwayAfter <= 21 * 24 * 60).length;
      expect(leaving.walkAways).toBe(walkedAway);
      expect(leaving.walkAways).toBeGreaterThan(10);
      expect(model.walkAwayPerMinute).toBeGreaterThan(0);
    }
    expect(trainOn(simulateQueueHistory({ seed: 1, tables: 6 }), 21).model.walkAwayPerMinute).toBe(0);
  });

  for (const [i, seed] of [1, 2, 3].entries()) {
    it(`errs less than position × average (seed ${seed})`, () => {
      const accuracy = measureAccuracy(months[i]!, 21);
      expect(accuracy.evaluatedJoins).toBeGreaterThan(150);
      expect(accuracy.oursMae).toBeLessThan(accuracy.naiveMae);
    });
  }

  it('errs less than the same model told nobody leaves (seeds 1-3 pooled)', () => {
    let told = 0;
    let untold = 0;
    for (const month of months) {
      const { model } = trainOn(month, 21);
      const blind = { ...model, walkAwayPerMinute: 0 };
      for (const j of month.joins) {
        if (j.joinedAt < 21 * 24 * 60 || j.waitedMinutes === null) continue;
        told += Math.abs(estimateLine(model, j.state).at(-1)! - j.waitedMinutes);
        untold += Math.abs(estimateLine(blind, j.state).at(-1)! - j.waitedMinutes);
      }
    }
    expect(told).toBeLessThan(untold);
  });
});

describe('the naive baseline', () => {
  it('is position × the average wait per position, in whole minutes', () => {
    expect(naiveEstimate(3, 7.6)).toBe(23);
    expect(naiveEstimate(0, 7.6)).toBe(0);
  });
});
