/**
 * Waitlist wait estimates (issue #5): accuracy against a generated month of a restaurant's queue, and the time one
 * estimate of a whole line takes. Pure computation, no database, a few seconds. Never part of the tests.
 *
 *   npx tsx bench/waitlist-estimates.ts
 *   npx tsx bench/waitlist-estimates.ts --seeds 10 --replays 400
 *
 * For each table count and seed: 28 simulated days (src/waitlist/estimate-simulation.ts), the model learned from the
 * first 21, and every join of the last 7 scored: the estimate made at that moment against the wait that followed
 * (mean absolute error, minutes), next to the naive position × average wait per position learned from the 21 days.
 * Then the same month with guests walking away, from a cold start, and against a reference: the median of replays
 * of the line with the simulation's real service times, which no estimate from the same state can beat by much.
 */
import { arch, cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { buildModel, estimateLine, naiveEstimate, type LineState } from '../src/waitlist/estimate.ts';
import { SIMULATED_TRUTH, measureAccuracy, mulberry32, simulateQueueHistory, trainOn, type Accuracy, type QueueHistory, type SimulatedJoin } from '../src/waitlist/estimate-simulation.ts';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    replays: { type: 'string', default: '200' },
  },
});
const SEEDS = Array.from({ length: Number(args.seeds) }, (_, i) => i + 1);
const REPLAYS = Number(args.replays);
const TABLES = [2, 6, 12, 20];
const TRAINING_DAYS = 21;
const DEFAULT_SERVICE_MINUTES = 60;

const fmt = (n: number, digits = 2) => n.toFixed(digits);

const numeric = (c: string | number) => typeof c === 'number' || /^[-−\d.,–]+$/.test(c);

/** A markdown table, ready for BENCHMARKS.md: figures right-aligned, words left. */
function table(title: string, header: string[], rows: (string | number)[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const right = header.map((_, i) => rows.every((r) => numeric(r[i]!)));
  const line = (cells: (string | number)[]) => `| ${cells.map((c, i) => (right[i] ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

/** Evaluated joins weigh each run: a pooled MAE over all seeds, not a mean of means. */
function pooled(results: Accuracy[]) {
  const joins = results.reduce((n, r) => n + r.evaluatedJoins, 0);
  const ours = results.reduce((n, r) => n + r.oursMae * r.evaluatedJoins, 0) / joins;
  const naive = results.reduce((n, r) => n + r.naiveMae * r.evaluatedJoins, 0) / joins;
  return { joins, ours, naive, ratio: ours / naive, worst: Math.max(...results.map((r) => r.ratio)), best: Math.min(...results.map((r) => r.ratio)) };
}

// ------------------------------------------------------------------------------------------------ accuracy

const perRun: (string | number)[][] = [];
const byTables: (string | number)[][] = [];
const histories = new Map<string, QueueHistory>();
for (const tables of TABLES) {
  const results: Accuracy[] = [];
  for (const seed of SEEDS) {
    const history = simulateQueueHistory({ seed, tables });
    histories.set(`${tables}/${seed}`, history);
    const a = measureAccuracy(history, TRAINING_DAYS, DEFAULT_SERVICE_MINUTES);
    results.push(a);
    perRun.push([tables, seed, a.trainingVisits, a.evaluatedJoins, fmt(a.meanActualWait, 1), fmt(a.oursMae), fmt(a.naiveMae), fmt(a.ratio), fmt(a.oursBias), fmt(a.naiveBias)]);
  }
  const p = pooled(results);
  byTables.push([tables, p.joins, fmt(p.ours), fmt(p.naive), fmt(p.ratio), `${fmt(p.best)}–${fmt(p.worst)}`]);
}
table('Per run (minutes; bias = mean of estimate − actual)', ['tables', 'seed', 'visits learned', 'joins scored', 'mean wait', 'MAE ours', 'MAE naive', 'ratio', 'bias ours', 'bias naive'], perRun);
table(`Pooled over seeds ${SEEDS[0]}–${SEEDS[SEEDS.length - 1]}`, ['tables', 'joins scored', 'MAE ours', 'MAE naive', 'ratio', 'ratio range'], byTables);

// Where in the line the error lies: the first parties wait for the soonest of many tables, later ones for turns.
const byPosition: (string | number)[][] = [];
for (const tables of TABLES) {
  const half = Math.max(1, Math.floor(tables / 2));
  const range = (from: number, to: number) => (from === to ? `${from}` : `${from}–${to}`);
  const buckets = [
    { label: range(1, half), upTo: half },
    { label: range(half + 1, tables), upTo: tables },
    { label: range(tables + 1, 2 * tables), upTo: 2 * tables },
    { label: `${2 * tables + 1}+`, upTo: Number.POSITIVE_INFINITY },
  ].map((b) => ({ ...b, joins: 0, ours: 0, naive: 0 }));
  for (const seed of SEEDS) {
    const history = histories.get(`${tables}/${seed}`)!;
    const cut = TRAINING_DAYS * 24 * 60;
    const { model, averageWaitPerPosition: rate } = trainOn(history, TRAINING_DAYS, DEFAULT_SERVICE_MINUTES);
    const called = history.joins.filter((j): j is SimulatedJoin & { waitedMinutes: number } => j.waitedMinutes !== null);
    for (const j of called) {
      if (j.joinedAt < cut) continue;
      const b = buckets.find((x) => j.position <= x.upTo)!;
      b.joins++;
      b.ours += Math.abs(estimateLine(model, j.state).at(-1)! - j.waitedMinutes);
      b.naive += Math.abs(naiveEstimate(j.position, rate) - j.waitedMinutes);
    }
  }
  for (const b of buckets) if (b.joins > 0) byPosition.push([tables, b.label, b.joins, fmt(b.ours / b.joins), fmt(b.naive / b.joins), fmt(b.ours / b.naive)]);
}
table('By position at joining, pooled over the seeds', ['tables', 'position', 'joins scored', 'MAE ours', 'MAE naive', 'ratio'], byPosition);

// ------------------------------------------------------------------------------------------------ variants

/**
 * The line replayed REPLAYS times with the simulation's real service times (a seated party's drawn on condition that it
 * is still seated) and walk-over times; the median of the replays for the party that just joined.
 */
function replayedMedian(state: LineState, random: () => number): number {
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const { meanServiceMinutes, serviceSpread: s, walkOverMinutes } = SIMULATED_TRUTH;
  const draw = (size: number, hour: number) => meanServiceMinutes(size, hour) * Math.exp(s * normal() - (s * s) / 2);
  const waits: number[] = [];
  for (let r = 0; r < REPLAYS; r++) {
    const freeIn = state.seated.map((p) => {
      const seatedHour = state.hour - p.seatedMinutesAgo / 60;
      let stay = draw(p.partySize, seatedHour);
      for (let tries = 0; stay <= p.seatedMinutesAgo && tries < 1_000; tries++) stay = draw(p.partySize, seatedHour);
      // A party called but not yet at the table shows as seated 0 minutes ago: half the walk-over is still to come.
      return Math.max(0, stay - p.seatedMinutesAgo) + (p.seatedMinutesAgo === 0 ? walkOverMinutes / 2 : 0);
    });
    while (freeIn.length < state.tables) freeIn.push(0);
    let wait = 0;
    for (const party of state.waiting) {
      let soonest = 0;
      for (let t = 1; t < freeIn.length; t++) if (freeIn[t]! < freeIn[soonest]!) soonest = t;
      wait = freeIn[soonest]!;
      const walkOver = random() * walkOverMinutes;
      freeIn[soonest] = wait + walkOver + draw(party.partySize, state.hour + (wait + walkOver) / 60);
    }
    waits.push(wait);
  }
  waits.sort((a, b) => a - b);
  return waits[waits.length >> 1]!;
}

function replayReference(history: QueueHistory, seed: number) {
  const random = mulberry32(1_000 + seed);
  let error = 0;
  let count = 0;
  for (const j of history.joins) {
    if (j.joinedAt < TRAINING_DAYS * 24 * 60 || j.waitedMinutes === null) continue;
    error += Math.abs(Math.round(replayedMedian(j.state, random)) - j.waitedMinutes);
    count++;
  }
  return error / count;
}

const variants: (string | number)[][] = [];
const walkAwayRuns: (string | number)[][] = [];
for (const tables of TABLES) {
  const walkAway: Accuracy[] = [];
  const cold: Accuracy[] = [];
  const learned: Accuracy[] = [];
  const replay: number[] = [];
  for (const seed of SEEDS) {
    const history = histories.get(`${tables}/${seed}`)!;
    const a = measureAccuracy(history, TRAINING_DAYS, DEFAULT_SERVICE_MINUTES);
    learned.push(a);
    cold.push(measureAccuracy({ ...history, visits: [] }, TRAINING_DAYS, DEFAULT_SERVICE_MINUTES));
    const leaving = simulateQueueHistory({ seed, tables, walkAwayShare: 0.2 });
    const w = measureAccuracy(leaving, TRAINING_DAYS, DEFAULT_SERVICE_MINUTES);
    walkAway.push(w);
    const { leaving: thinned } = trainOn(leaving, TRAINING_DAYS, DEFAULT_SERVICE_MINUTES);
    walkAwayRuns.push([
      tables,
      seed,
      thinned.joins,
      `${fmt((100 * thinned.walkAways) / thinned.joins, 1)} %`,
      fmt(1000 * w.walkAwayPerMinute),
      w.evaluatedJoins,
      fmt(w.meanActualWait, 1),
      fmt(w.oursMae),
      fmt(w.naiveMae),
      fmt(w.ratio),
      fmt(w.oursBias),
      fmt(w.naiveBias),
    ]);
    replay.push(replayReference(history, seed));
  }
  const base = pooled(learned);
  const w = pooled(walkAway);
  const c = pooled(cold);
  const r = pooled(learned.map((a, i) => ({ ...a, oursMae: replay[i]!, ratio: replay[i]! / a.naiveMae })));
  variants.push([tables, 'learned from 3 weeks (as above)', fmt(base.ours), fmt(base.naive), fmt(base.ratio), fmt(base.worst)]);
  variants.push([tables, '20 % of waiting guests walk away after 20–90 min', fmt(w.ours), fmt(w.naive), fmt(w.ratio), fmt(w.worst)]);
  variants.push([tables, `cold start: no visits, ${DEFAULT_SERVICE_MINUTES} min default everywhere`, fmt(c.ours), fmt(c.naive), fmt(c.ratio), fmt(c.worst)]);
  variants.push([tables, `reference: median of ${REPLAYS} replays, real distributions`, fmt(r.ours), fmt(r.naive), fmt(r.ratio), fmt(r.worst)]);
}
table('Variants, pooled over the same seeds', ['tables', 'variant', 'MAE ours', 'MAE naive', 'ratio', 'worst run'], variants);
table(
  'Walk-away variant per run (learned from days 1–21: joins, share that walked away, walk-aways per 1,000 minutes waited)',
  ['tables', 'seed', 'joins learned', 'walked away', 'per 1,000 min', 'joins scored', 'mean wait', 'MAE ours', 'MAE naive', 'ratio', 'bias ours', 'bias naive'],
  walkAwayRuns,
);

// ------------------------------------------------------------------------------------------------ speed

function microsPerCall(fn: () => void, calls: number): number {
  for (let i = 0; i < calls; i++) fn();
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    rounds.push(Number(process.hrtime.bigint() - started) / 1_000 / calls);
  }
  rounds.sort((a, b) => a - b);
  return rounds[rounds.length >> 1]!;
}

const big = histories.get(`20/${SEEDS[0]}`)!;
const trainingVisits = big.visits.filter((v) => v.seatedAt + v.serviceMinutes <= TRAINING_DAYS * 24 * 60);
const model = buildModel(trainingVisits, DEFAULT_SERVICE_MINUTES);
const lineOf = (tables: number, waiting: number): LineState => ({
  tables,
  hour: 19.5,
  seated: Array.from({ length: tables }, (_, i) => ({ partySize: 1 + (i % 8), seatedMinutesAgo: (i * 7) % 120 })),
  waiting: Array.from({ length: waiting }, (_, i) => ({ partySize: 1 + ((i * 5) % 8) })),
});
const speed: (string | number)[][] = [];
for (const [tables, waiting, calls] of [
  [6, 10, 20_000],
  [20, 100, 5_000],
  [100, 500, 200],
] as const) {
  const state = lineOf(tables, waiting);
  speed.push([`estimateLine, ${tables} tables, ${waiting} waiting`, fmt(microsPerCall(() => estimateLine(model, state), calls), 1)]);
}
speed.push([`buildModel, ${trainingVisits.length.toLocaleString('en')} visits`, fmt(microsPerCall(() => buildModel(trainingVisits, DEFAULT_SERVICE_MINUTES), 20), 0)]);
table('Time per call (median of 7 rounds after a warm-up round)', ['call', 'µs'], speed);

console.log(`\nNode ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? arch()}, ${Math.round(totalmem() / 2 ** 30)} GiB`);
