/**
 * Wait estimates for a waitlist queue (issue #5). Pure arithmetic, no database: the service builds a model from the
 * queue's recent finished visits and asks for the line's estimates again whenever the line moves (a join, a call, a
 * seat, a party leaving), so every estimate reflects the tables as they stand.
 *
 * A party's wait is the time until a table frees for it. Tables free when their parties finish; how long a party holds
 * a table is learned per party-size band and hour of day, because a table of eight at dinner stays far longer than a
 * couple at lunch. Parties ahead may walk away before their turn: how often they do is learned from the same weeks, and
 * each party ahead counts only as much as its chance of still being there when a table frees for it.
 */

export const PARTY_BANDS: readonly { label: string; min: number; max: number }[] = [
  { label: '1-2', min: 1, max: 2 },
  { label: '3-4', min: 3, max: 4 },
  { label: '5-6', min: 5, max: 6 },
  { label: '7+', min: 7, max: Number.POSITIVE_INFINITY },
];

/** Index into PARTY_BANDS. Sizes below the first band count as the smallest parties. */
export function bandOf(partySize: number): number {
  if (Number.isNaN(partySize)) throw new RangeError('party size is not a number');
  const band = PARTY_BANDS.findIndex((b) => partySize <= b.max);
  return band === -1 ? PARTY_BANDS.length - 1 : band;
}

/** One finished visit: local hour (0-23, location's time zone) at which the party was seated, and how long it held the table. */
export interface ServedVisit {
  partySize: number;
  hour: number;
  serviceMinutes: number;
}

/**
 * How the queue's line thinned over the same weeks, as totals (the service sums them in SQL). A walk-away is a party
 * that left the line without ever being called: cancelled, by the guest or by the host stand, or marked a no-show while
 * still waiting. A party called and then not coming is not one: it kept its place until its turn, as the estimate
 * assumes.
 */
export interface LineLeaving {
  /** Parties that joined the line. */
  joins: number;
  /** Of them, parties that walked away. */
  walkAways: number;
  /**
   * Minutes all of them spent in the line: until called, until they walked away, or until now for those still waiting;
   * each counted up to LONGEST_WAIT_MINUTES.
   */
  minutesWaited: number;
}

/**
 * One party's time in the line is counted up to this: an entry left waiting when the evening ended (nobody closed it)
 * would otherwise count as days of patience without a walk-away. The service's SQL uses the same figure.
 */
export const LONGEST_WAIT_MINUTES = 240;

/** The totals of LineLeaving from each party's own time in the line, as the service's SQL sums them. */
export function lineLeavingOf(parties: readonly { minutesWaited: number; walkedAway: boolean }[]): LineLeaving {
  let walkAways = 0;
  let minutesWaited = 0;
  for (const p of parties) {
    if (p.walkedAway) walkAways++;
    minutesWaited += Math.min(Math.max(0, p.minutesWaited), LONGEST_WAIT_MINUTES);
  }
  return { joins: parties.length, walkAways, minutesWaited };
}

/** Plain numbers only, so the service can cache it as JSON between rebuilds. */
export interface EstimateModel {
  /** Visits the model learned from; 0 when history was too thin and every figure is the queue's default. */
  visits: number;
  defaultServiceMinutes: number;
  /** Mean minutes a party holds a table, all visits together. */
  overallMinutes: number;
  /** Per band of PARTY_BANDS. */
  bandMinutes: number[];
  /** Per local hour 0-23: how visits at that hour run against their band's mean (1.2 = 20 % longer). */
  hourFactors: number[];
  /** cellMinutes[band][hour], hour 0-23 local: what estimates read. */
  cellMinutes: number[][];
  /**
   * Walk-aways per minute a party waits (0.002: one party in 500 leaves in any given minute of waiting); 0 without
   * figures, with fewer than 20 joins, or when nobody left.
   */
  walkAwayPerMinute: number;
}

/** The queue as it stands. */
export interface LineState {
  /** Parties the queue serves at once (tables, or staff serving in parallel). */
  tables: number;
  /** Local hour now, 0-23; a fraction places it within the hour (19.5 is 19:30), which sharpens hour boundaries. */
  hour: number;
  /** Parties holding a table now. A party called but not yet seated holds its table too: pass it with 0. */
  seated: readonly { partySize: number; seatedMinutesAgo: number }[];
  /** The waiting line in position order. */
  waiting: readonly { partySize: number }[];
}

const HOURS = 24;
/** Below this many visits the averages say more about chance than about the queue. */
const MIN_HISTORY = 20;
/**
 * How many visits' worth of weight the wider average carries when a cell, band or the whole history is averaged: a cell
 * with 2 visits sits mostly on its band's mean, one with 80 almost on its own.
 */
const PRIOR_VISITS = 8;
/**
 * Visits longer than this many times the median are clipped to it: a party marked finished hours late (staff forgot to
 * close the visit) would otherwise drag the mean for weeks.
 */
const OUTLIER_MEDIANS = 4;
/**
 * A seated party is never expected to leave sooner than this share of its expected time from now (nor sooner than a
 * minute): parties already past their expected time are the ones that linger, so "any second now" would be too hopeful.
 */
const LEAST_REMAINING_SHARE = 0.1;
const LEAST_REMAINING_MINUTES = 1;

function hourIndex(hour: number): number {
  return ((Math.floor(hour) % HOURS) + HOURS) % HOURS;
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function flatModel(minutes: number, visits: number): EstimateModel {
  return {
    visits,
    defaultServiceMinutes: minutes,
    overallMinutes: minutes,
    bandMinutes: PARTY_BANDS.map(() => minutes),
    hourFactors: new Array<number>(HOURS).fill(1),
    cellMinutes: PARTY_BANDS.map(() => Array.from({ length: HOURS }, () => minutes)),
    walkAwayPerMinute: 0,
  };
}

/**
 * Walk-aways over minutes waited: a constant chance per minute. The service cannot say how long each party ahead has
 * already waited, and a constant rate does not need to know: a party's chance of leaving in the next hour is the same
 * whether it joined a minute or an hour ago. Shrunk towards no walk-aways by PRIOR_VISITS parties' worth of average
 * waiting with none leaving, so a handful of cancellations in a thin history does not empty the line.
 */
function walkAwayRate(leaving: LineLeaving | undefined): number {
  if (!leaving) return 0;
  const { joins, walkAways, minutesWaited } = leaving;
  if (!(joins >= MIN_HISTORY) || !(walkAways > 0) || !(minutesWaited > 0) || !Number.isFinite(minutesWaited)) return 0;
  const rate = walkAways / (minutesWaited * (1 + PRIOR_VISITS / joins));
  return Number.isFinite(rate) ? rate : 0;
}

/**
 * Builds the model from the queue's recent served visits. Cells (band × hour) with few visits lean on the band's mean
 * scaled by the hour's pace, bands on the overall mean, and the overall mean on defaultServiceMinutes; with fewer than
 * 20 usable visits every figure is defaultServiceMinutes. Visits with a non-finite or non-positive duration are ignored.
 * `leaving`, the line's joins and walk-aways over the same weeks, teaches how often parties ahead walk away; without it
 * nobody is expected to.
 */
export function buildModel(visits: readonly ServedVisit[], defaultServiceMinutes: number, leaving?: LineLeaving): EstimateModel {
  if (!(defaultServiceMinutes > 0) || !Number.isFinite(defaultServiceMinutes)) {
    throw new RangeError(`default service time must be a positive number of minutes, got ${defaultServiceMinutes}`);
  }
  const usable = visits.filter((v) => v.serviceMinutes > 0 && Number.isFinite(v.serviceMinutes) && Number.isFinite(v.hour) && !Number.isNaN(v.partySize));
  const walkAwayPerMinute = walkAwayRate(leaving);
  if (usable.length < MIN_HISTORY) return { ...flatModel(defaultServiceMinutes, 0), walkAwayPerMinute };

  const cap = OUTLIER_MEDIANS * median(usable.map((v) => v.serviceMinutes).sort((a, b) => a - b));
  let sum = 0;
  const bandSum = PARTY_BANDS.map(() => 0);
  const bandCount = PARTY_BANDS.map(() => 0);
  const cellSum = PARTY_BANDS.map(() => new Array<number>(HOURS).fill(0));
  const cellCount = PARTY_BANDS.map(() => new Array<number>(HOURS).fill(0));
  for (const v of usable) {
    const minutes = Math.min(v.serviceMinutes, cap);
    const band = bandOf(v.partySize);
    const hour = hourIndex(v.hour);
    sum += minutes;
    bandSum[band]! += minutes;
    bandCount[band]! += 1;
    cellSum[band]![hour]! += minutes;
    cellCount[band]![hour]! += 1;
  }
  const shrink = (total: number, count: number, prior: number) => (total + PRIOR_VISITS * prior) / (count + PRIOR_VISITS);
  const overallMinutes = shrink(sum, usable.length, defaultServiceMinutes);
  const bandMinutes = bandSum.map((s, b) => shrink(s, bandCount[b]!, overallMinutes));
  // How much longer or shorter than its band's mean a visit at this hour runs, measured against each visit's own band
  // (large parties come mostly at dinner, so a plain hour mean would mix party size in), shrunk towards 1.
  const hourFactors = Array.from({ length: HOURS }, (_, h) => {
    let actual = 0;
    let asBands = 0;
    for (let b = 0; b < PARTY_BANDS.length; b++) {
      actual += cellSum[b]![h]!;
      asBands += cellCount[b]![h]! * bandMinutes[b]!;
    }
    return (actual + PRIOR_VISITS * overallMinutes) / (asBands + PRIOR_VISITS * overallMinutes);
  });
  // A thin cell leans on its band's mean at that hour's pace: a few large parties at 21:00 say little, but dinner
  // running long for everyone says a lot about them.
  const cellMinutes = cellSum.map((row, b) => row.map((s, h) => shrink(s, cellCount[b]![h]!, bandMinutes[b]! * hourFactors[h]!)));
  return { visits: usable.length, defaultServiceMinutes, overallMinutes, bandMinutes, hourFactors, cellMinutes, walkAwayPerMinute };
}

/** Minutes a party of this size seated at this local hour is expected to hold its table. */
export function expectedServiceMinutes(model: EstimateModel, partySize: number, hour: number): number {
  return model.cellMinutes[bandOf(partySize)]![hourIndex(hour)]!;
}

/**
 * Minutes until each waiting party is called, in line order, as whole minutes (>= 0). Each table frees when its party
 * is expected to leave (or at once if empty); waiting parties take the soonest-free table in turn, and that table
 * frees again after their own expected stay. With more parties seated than `tables`, the soonest to leave hold the
 * tables that count. `tables` below 1 counts as 1. A party that may walk away before its turn holds its table only by
 * its chance of still being there: with one in five gone by then, the table is expected back after four fifths of the
 * stay. (Its own estimate is what it waits if it stays.)
 */
export function estimateLine(model: EstimateModel, state: LineState): number[] {
  return playLine(model, state).estimates;
}

/**
 * Where the tables stand once a line has been played through: minutes until each frees, counted from the moment the
 * line was played, and the local hour it was played at. A party joining at the end needs only this, not the line.
 */
export interface LineEnd {
  freeIn: number[];
  hour: number;
}

/** `estimateLine`, and where the tables stand after the last party in line. */
export function playLine(model: EstimateModel, state: LineState): { estimates: number[]; end: LineEnd } {
  const tables = Math.max(1, Math.floor(state.tables));
  const freeIn = state.seated
    .map((p) => {
      const ago = Math.max(0, p.seatedMinutesAgo);
      const expected = expectedServiceMinutes(model, p.partySize, state.hour - ago / 60);
      return Math.max(expected - ago, LEAST_REMAINING_SHARE * expected, LEAST_REMAINING_MINUTES);
    })
    .sort((a, b) => a - b)
    .slice(0, tables);
  while (freeIn.length < tables) freeIn.push(0);
  const end = { freeIn, hour: state.hour };
  // A scan, not a heap: 500 waiting at 100 tables still take about a tenth of a millisecond (bench/waitlist-estimates.ts).
  const estimates = state.waiting.map((party) => takeTable(model, end, party.partySize));
  return { estimates, end };
}

/**
 * One more party at the end of a played line: its estimate, and where the tables stand after it. The same step
 * `playLine` takes for each party, so a line played in one go and one extended party by party agree exactly.
 */
export function joinLineEnd(model: EstimateModel, end: LineEnd, partySize: number): { estimate: number; end: LineEnd } {
  const next = { freeIn: [...end.freeIn], hour: end.hour };
  return { estimate: takeTable(model, next, partySize), end: next };
}

/** The party takes the soonest-free table (`end` is updated); whole minutes until it is called. */
function takeTable(model: EstimateModel, end: LineEnd, partySize: number): number {
  const freeIn = end.freeIn;
  let soonest = 0;
  for (let t = 1; t < freeIn.length; t++) if (freeIn[t]! < freeIn[soonest]!) soonest = t;
  const calledIn = freeIn[soonest]!;
  const stillThere = model.walkAwayPerMinute > 0 ? Math.exp(-model.walkAwayPerMinute * calledIn) : 1;
  freeIn[soonest] = calledIn + stillThere * expectedServiceMinutes(model, partySize, end.hour + calledIn / 60);
  return Math.max(0, Math.round(calledIn));
}

/** The naive baseline the issue names: position × average minutes waited per position ahead, learned from history. */
export function naiveEstimate(position: number, averageWaitPerPosition: number): number {
  return Math.max(0, Math.round(position * averageWaitPerPosition));
}

/** The naive baseline's rate: total minutes waited over total positions joined at (0 without history). */
export function averageWaitPerPosition(joins: readonly { position: number; waitedMinutes: number }[]): number {
  let waited = 0;
  let positions = 0;
  for (const j of joins) {
    waited += j.waitedMinutes;
    positions += j.position;
  }
  return positions > 0 ? waited / positions : 0;
}
