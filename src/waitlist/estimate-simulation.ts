/**
 * A restaurant queue's history, generated, to measure the wait estimates against (issue #5): the accuracy test and the
 * bench both read it from here. A deterministic discrete-event simulation: the same seed gives the same weeks.
 *
 * The restaurant takes walk-ins from 11:00 to 22:00, busy at lunch and busier at dinner, more so at the weekend.
 * Parties of 1 to 8 arrive; a party that finds a table free and nobody waiting sits down at once and never joins the
 * line. Otherwise it joins the waitlist; when a table frees, the first in line is called, walks over (0-3 minutes, the
 * table held for it meanwhile) and is seated. How long a party holds its table depends on its size and the hour
 * (bigger parties and dinner take longer), with a wide spread. What the estimator is never told: the real service
 * times, the walk-over, and who will walk away.
 */
import {
  PARTY_BANDS,
  averageWaitPerPosition,
  bandOf,
  buildModel,
  estimateLine,
  lineLeavingOf,
  naiveEstimate,
  type EstimateModel,
  type LineLeaving,
  type LineState,
  type ServedVisit,
} from './estimate.ts';

/** A tiny seeded PRNG (mulberry32): uniform in [0, 1), the same sequence for the same seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimulationOptions {
  seed: number;
  /** Days simulated, from a Monday. Default 28. */
  days?: number;
  /** Parties served at once. Default 6. */
  tables?: number;
  /** Share of waiting parties who leave the line if not called within their patience (20-90 minutes). Default 0. */
  walkAwayShare?: number;
  /** Arrivals scaled by this. Default 1: the dinner peak brings about 1.2 times what the tables can serve. */
  busyness?: number;
}

export interface SimulatedVisit extends ServedVisit {
  /** Minutes since the history began. */
  seatedAt: number;
}

export interface SimulatedJoin {
  /** Minutes since the history began. */
  joinedAt: number;
  partySize: number;
  /** 1 = first in line. */
  position: number;
  /** The queue as the service would hand it to estimateLine at the moment of joining; this party is last in `waiting`. */
  state: LineState;
  /** Minutes from joining to being called; null for a party that walked away first. */
  waitedMinutes: number | null;
  /** Minutes from joining to walking away unseen; null for a party that was called. */
  walkedAwayAfter: number | null;
}

export interface QueueHistory {
  tables: number;
  days: number;
  visits: SimulatedVisit[];
  joins: SimulatedJoin[];
  /** Parties seated on arrival, never on the waitlist. */
  walkIns: number;
}

const DAY = 24 * 60;
const OPEN_HOUR = 11;
const LAST_JOIN_HOUR = 22;
/** Arrivals per hour as a share of what the tables can serve in that hour. */
const LOAD_BY_HOUR: Record<number, number> = { 11: 0.5, 12: 1.1, 13: 1.0, 14: 0.5, 15: 0.3, 16: 0.35, 17: 0.8, 18: 1.15, 19: 1.25, 20: 1.05, 21: 0.6 };
/** Monday first. */
const LOAD_BY_WEEKDAY = [0.8, 0.8, 0.9, 1.0, 1.15, 1.25, 1.0];
/** Sizes 1 to 8. */
const PARTY_SIZE_WEIGHTS = [0.12, 0.38, 0.14, 0.2, 0.06, 0.05, 0.03, 0.02];
/** Mean minutes at a dinner table by band of PARTY_BANDS. */
const DINNER_MINUTES_BY_BAND = [45, 60, 75, 95];
/** Log-normal spread of one visit around its mean: about a third either way. */
const SERVICE_SPREAD = 0.35;
const WALK_OVER_MINUTES = 3;

if (DINNER_MINUTES_BY_BAND.length !== PARTY_BANDS.length) throw new Error('one dinner time per party band');

function hourFactor(anyHour: number): number {
  const hour = ((Math.floor(anyHour) % 24) + 24) % 24;
  if (hour >= 11 && hour < 15) return 0.7; // lunch
  if (hour >= 15 && hour < 17) return 0.6; // coffee and cake
  return 1;
}

function trueMeanMinutes(partySize: number, hour: number): number {
  return DINNER_MINUTES_BY_BAND[bandOf(partySize)]! * hourFactor(hour);
}

/**
 * What the simulated restaurant really does and the estimator is never told: the bench replays lines with it for the
 * best any estimate could do. A visit lasts mean × exp(spread·N(0,1) − spread²/2); a called party walks over in a
 * uniform 0 to walkOverMinutes.
 */
export const SIMULATED_TRUTH = { meanServiceMinutes: trueMeanMinutes, serviceSpread: SERVICE_SPREAD, walkOverMinutes: WALK_OVER_MINUTES } as const;

const MEAN_MINUTES_BY_HOUR = Array.from({ length: 24 }, (_, h) => PARTY_SIZE_WEIGHTS.reduce((sum, w, i) => sum + w * trueMeanMinutes(i + 1, h), 0));

interface Party {
  size: number;
  joinedAt: number;
  join?: SimulatedJoin;
  calledAt?: number;
  seatedAt?: number;
  walkedAway?: boolean;
}

type Happening = { at: number } & (
  | { kind: 'arrive'; size: number }
  | { kind: 'seat'; table: number }
  | { kind: 'leave'; table: number }
  | { kind: 'walk-away'; party: Party }
);
type Event = Happening & { seq: number };

/** Min-heap of events by time, ties in the order they were scheduled, so a seed always plays out the same way. */
class Agenda {
  private heap: Event[] = [];
  private seq = 0;
  get size() {
    return this.heap.length;
  }
  private before(a: Event, b: Event) {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  push(e: Happening) {
    const h = this.heap;
    h.push({ ...e, seq: this.seq++ });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }
  pop(): Event {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

export function simulateQueueHistory(options: SimulationOptions): QueueHistory {
  const { seed, days = 28, tables = 6, walkAwayShare = 0, busyness = 1 } = options;
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const partySize = () => {
    let u = random();
    for (let i = 0; i < PARTY_SIZE_WEIGHTS.length; i++) {
      u -= PARTY_SIZE_WEIGHTS[i]!;
      if (u < 0) return i + 1;
    }
    return PARTY_SIZE_WEIGHTS.length;
  };
  // Log-normal with the wanted mean: exp(mu + s²/2) = mean.
  const serviceMinutes = (size: number, hour: number) => trueMeanMinutes(size, hour) * Math.exp(SERVICE_SPREAD * normal() - (SERVICE_SPREAD * SERVICE_SPREAD) / 2);
  const localHour = (at: number) => (at % DAY) / 60;

  const agenda = new Agenda();
  for (let day = 0; day < days; day++) {
    for (let hour = OPEN_HOUR; hour < LAST_JOIN_HOUR; hour++) {
      const perMinute = (busyness * LOAD_BY_WEEKDAY[day % 7]! * LOAD_BY_HOUR[hour]! * tables) / MEAN_MINUTES_BY_HOUR[hour]!;
      const end = day * DAY + (hour + 1) * 60;
      // Poisson arrivals: exponential gaps, restarted at each hour since the rate changes there (gaps are memoryless).
      for (let at = day * DAY + hour * 60 - Math.log(1 - random()) / perMinute; at < end; at -= Math.log(1 - random()) / perMinute) {
        agenda.push({ at, kind: 'arrive', size: partySize() });
      }
    }
  }

  const atTable: (Party | null)[] = new Array<Party | null>(tables).fill(null);
  const waiting: Party[] = [];
  const visits: SimulatedVisit[] = [];
  const joins: SimulatedJoin[] = [];
  let walkIns = 0;

  const call = (party: Party, table: number, at: number) => {
    party.calledAt = at;
    if (party.join) party.join.waitedMinutes = at - party.joinedAt;
    atTable[table] = party;
    agenda.push({ at: at + random() * WALK_OVER_MINUTES, kind: 'seat', table });
  };

  while (agenda.size > 0) {
    const e = agenda.pop();
    switch (e.kind) {
      case 'arrive': {
        const party: Party = { size: e.size, joinedAt: e.at };
        const free = atTable.indexOf(null);
        if (free !== -1 && waiting.length === 0) {
          walkIns++;
          call(party, free, e.at);
          break;
        }
        const state: LineState = {
          tables,
          hour: localHour(e.at),
          seated: atTable.map((p) => ({ partySize: p!.size, seatedMinutesAgo: p!.seatedAt === undefined ? 0 : e.at - p!.seatedAt })),
          waiting: [...waiting.map((p) => ({ partySize: p.size })), { partySize: party.size }],
        };
        party.join = { joinedAt: e.at, partySize: party.size, position: waiting.length + 1, state, waitedMinutes: null, walkedAwayAfter: null };
        joins.push(party.join);
        waiting.push(party);
        if (random() < walkAwayShare) agenda.push({ at: e.at + 20 + random() * 70, kind: 'walk-away', party });
        break;
      }
      case 'seat': {
        const party = atTable[e.table]!;
        party.seatedAt = e.at;
        agenda.push({ at: e.at + serviceMinutes(party.size, Math.floor(localHour(e.at))), kind: 'leave', table: e.table });
        break;
      }
      case 'leave': {
        const party = atTable[e.table]!;
        visits.push({ partySize: party.size, hour: Math.floor(localHour(party.seatedAt!)), serviceMinutes: e.at - party.seatedAt!, seatedAt: party.seatedAt! });
        atTable[e.table] = null;
        const next = waiting.shift();
        if (next) call(next, e.table, e.at);
        break;
      }
      case 'walk-away': {
        if (e.party.calledAt !== undefined) break;
        e.party.walkedAway = true;
        e.party.join!.walkedAwayAfter = e.at - e.party.joinedAt;
        waiting.splice(waiting.indexOf(e.party), 1);
        break;
      }
    }
  }
  return { tables, days, visits, joins, walkIns };
}

export interface Accuracy {
  /** Visits finished before the evaluated days: what the model learned from. */
  trainingVisits: number;
  /** Parties who joined during the evaluated days and were called (walk-aways have no actual wait). */
  evaluatedJoins: number;
  averageWaitPerPosition: number;
  /** What the model learned of walk-aways (EstimateModel.walkAwayPerMinute). */
  walkAwayPerMinute: number;
  /** Mean absolute error in minutes, estimate at joining against the actual wait. */
  oursMae: number;
  naiveMae: number;
  /** oursMae / naiveMae: below 1 is better than naive. */
  ratio: number;
  /** Mean signed error (estimate − actual) in minutes: negative means promising too short a wait. */
  oursBias: number;
  naiveBias: number;
  meanActualWait: number;
}

export interface Training {
  /** Visits finished by the cut. */
  visits: SimulatedVisit[];
  /** The line's joins by the cut, as the service sums them at that moment. */
  leaving: LineLeaving;
  model: EstimateModel;
  /** The naive baseline's minutes per position, from the calls made by the cut. */
  averageWaitPerPosition: number;
}

/**
 * What the service would know at the end of day `trainingDays`: the visits finished by then, and every party that had
 * joined by then with its time in the line so far (a party still waiting counts its minutes until the cut and has not
 * walked away yet), as `modelOf` reads them from waitlist_entries.
 */
export function trainOn(history: QueueHistory, trainingDays: number, defaultServiceMinutes = 60): Training {
  const cut = trainingDays * DAY;
  const visits = history.visits.filter((v) => v.seatedAt + v.serviceMinutes <= cut);
  const leaving = lineLeavingOf(
    history.joins
      .filter((j) => j.joinedAt < cut)
      .map((j) => {
        const leftAt = j.joinedAt + (j.waitedMinutes ?? j.walkedAwayAfter ?? Number.POSITIVE_INFINITY);
        return { minutesWaited: Math.min(leftAt, cut) - j.joinedAt, walkedAway: j.walkedAwayAfter !== null && leftAt <= cut };
      }),
  );
  const called = history.joins.filter((j): j is SimulatedJoin & { waitedMinutes: number } => j.waitedMinutes !== null);
  return {
    visits,
    leaving,
    model: buildModel(visits, defaultServiceMinutes, leaving),
    averageWaitPerPosition: averageWaitPerPosition(called.filter((j) => j.joinedAt + j.waitedMinutes <= cut)),
  };
}

/**
 * Learns from the first `trainingDays` (trainOn) and scores the estimate made at each join of the remaining days
 * against the wait that followed, next to the naive position × average.
 */
export function measureAccuracy(history: QueueHistory, trainingDays: number, defaultServiceMinutes = 60): Accuracy {
  const cut = trainingDays * DAY;
  const { visits: trainingVisits, model, averageWaitPerPosition: rate } = trainOn(history, trainingDays, defaultServiceMinutes);
  const called = history.joins.filter((j): j is SimulatedJoin & { waitedMinutes: number } => j.waitedMinutes !== null);
  const evaluated = called.filter((j) => j.joinedAt >= cut);
  let ours = 0;
  let naive = 0;
  let oursSigned = 0;
  let naiveSigned = 0;
  let actual = 0;
  for (const j of evaluated) {
    const line = estimateLine(model, j.state);
    const o = line[line.length - 1]! - j.waitedMinutes;
    const n = naiveEstimate(j.position, rate) - j.waitedMinutes;
    ours += Math.abs(o);
    naive += Math.abs(n);
    oursSigned += o;
    naiveSigned += n;
    actual += j.waitedMinutes;
  }
  const count = evaluated.length || 1;
  return {
    trainingVisits: trainingVisits.length,
    evaluatedJoins: evaluated.length,
    averageWaitPerPosition: rate,
    walkAwayPerMinute: model.walkAwayPerMinute,
    oursMae: ours / count,
    naiveMae: naive / count,
    ratio: naive > 0 ? ours / naive : Number.NaN,
    oursBias: oursSigned / count,
    naiveBias: naiveSigned / count,
    meanActualWait: actual / count,
  };
}
