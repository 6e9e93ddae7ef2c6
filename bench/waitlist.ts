/**
 * Waitlist benchmarks (issue #5): a live board's fan-out to 2,000 sockets, and joins per second through the full
 * stack, against the PostgreSQL server. Never part of the tests.
 *
 *   npm run bench:waitlist                        # both, about 6 minutes; BENCH_DATABASE_URL to change the server
 *   npm run bench:waitlist -- --only fanout       # or --only joins
 *   npm run bench:waitlist -- --sockets 2000 --joins 200 --line 20 --rounds 3 --duration 10 --warmup 3 --connections 32
 *   npm run bench:waitlist -- --diagnose          # also: a join's time statement by statement, on a server of its own
 *   npm run bench:waitlist -- --cpu-prof /tmp/prof   # V8 CPU profile of the Brigade server
 *
 * Fan-out: the sockets live here, in the bench process; the server runs in a child process of its own, so neither
 * shares the other's event loop. Every socket follows one queue's board as the same staff member. Joins are made one
 * at a time, and the next waits until every socket has the event of the one before; after each join the party at
 * the front of the line cancels (also awaited), so every event carries a line of the same, realistic length.
 * The join's `joined_at` is its transaction's start (PostgreSQL's now()), earlier than its commit: measured from it,
 * on the same machine's clock, the latency is an upper bound. The commit itself is taken as the earliest sign of it
 * this process sees: a NOTIFY on the server's own channel at a LISTEN here (PostgreSQL sends one only at commit),
 * the join's HTTP answer, or the first socket's event; all come after the commit, so measured from that the latency
 * is a close lower bound. The HTTP answer alone would understate it more: the event often arrives before the answer.
 *
 * Joins per second: autocannon drives POST /api/v1/waitlist/queues/:id/entries with a staff member's bearer token,
 * walk-ins without a phone (so no duplicate-phone refusals), onto fresh queues each run: one hot queue, and 20 queues
 * over 10 businesses. Afterwards the positions of every queue must be dense, 1..n, with one event per join. The
 * baseline is bare node:http + pg: one INSERT of a row like a walk-in's into the same table per request.
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import WebSocket from 'ws';
import type { Config } from '../src/core/config.ts';

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = 'brigade_bench_waitlist';
const TENANTS = 1_000;
/** Businesses the join load is spread over, two queues each. */
const LOAD_TENANTS = 10;
const QUEUES_PER_TENANT = 2;
const PASSWORD = 'bench correct horse battery';
const CSRF_SECRET = 'bench-only-csrf-secret-0123456789abcdef';
const ROLES = ['owner', 'staff'];
const DISTURBED = 0.1;
/** How long a measured run waits for the machine to go quiet before it is measured anyway (and says so). */
const QUIET_LIMIT_S = 10;
/** A step of the fan-out that takes longer than this has lost an event. */
const STEP_TIMEOUT_MS = 30_000;

function dbUrl(database: string, user?: string): string {
  const u = new URL(SERVER_URL);
  u.pathname = `/${database}`;
  if (user) {
    u.username = user;
    u.password = '';
  }
  return u.toString();
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable with PostgreSQL's timestamps on this machine. */
const wallNow = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------- child side

/** Where the baseline writes for a queue: the tenant and location a Brigade join of that queue would write. */
type QueueHome = Record<string, { tenantId: string; locationId: string }>;
type ChildSpec = { kind: 'brigade'; logLevel: Config['LOG_LEVEL']; timeStatements?: boolean } | { kind: 'baseline'; poolSize: number; queues: QueueHome };
type ToChild = { type: 'count' } | { type: 'statements' } | { type: 'stop' };
/** Per statement (its first words): how often it ran and the milliseconds from sending it to its answer. */
type StatementTimes = Record<string, { calls: number; ms: number }>;
type FromChild = { type: 'ready'; port: number; poolSize: number } | { type: 'count'; queries: number } | { type: 'statements'; times: StatementTimes };

/**
 * Counts what the process sends to PostgreSQL: each pg client.query is one round trip. With `time`, it also times
 * each statement from sending to answer (for the diagnostic run only: the wrapping costs the event loop a little).
 */
function countQueries(time: boolean): { count: () => number; times: StatementTimes } {
  let n = 0;
  const times: StatementTimes = {};
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    n++;
    const result = original.apply(this, args);
    if (time && result && typeof (result as Promise<unknown>).then === 'function') {
      const a = args[0];
      const text = typeof a === 'string' ? a : typeof a === 'object' && a && 'text' in a ? String((a as { text: unknown }).text) : '?';
      const key = text.replace(/\s+/g, ' ').trim().slice(0, 110);
      const t0 = performance.now();
      void (result as Promise<unknown>).then(
        () => {
          const t = (times[key] ??= { calls: 0, ms: 0 });
          t.calls++;
          t.ms += performance.now() - t0;
        },
        () => undefined,
      );
    }
    return result;
  };
  return { count: () => n, times };
}

const BASELINE_INSERT = `
  INSERT INTO waitlist_entries (tenant_id, id, queue_id, location_id, token_hash, name, party_size, source, status, position,
                                position_at_join, business_date, cancelled_at, cancelled_by)
  VALUES ($1, gen_random_uuid(), $2, $3, $4, $5, $6, 'staff', 'cancelled', NULL, 1, current_date, now(), 'staff')
  RETURNING id, queue_id, location_id, name, party_size, source, status, position, joined_at, version`;

/**
 * The floor: bare node:http and a pg Pool of Brigade's size, one INSERT … RETURNING per request into the same table,
 * as the superuser (no row-level security), no credential, no lock, no event. The row is written as already
 * cancelled, without a position: with no queue lock there is no safe position to give it.
 */
async function startBaseline(poolSize: number, queues: QueueHome): Promise<{ port: number; close(): Promise<void> }> {
  const pool = new pg.Pool({ connectionString: dbUrl(DB_NAME), max: poolSize, idleTimeoutMillis: 30_000 });
  pool.on('error', () => undefined);
  const server: HttpServer = createServer((req, res) => {
    const m = /^\/api\/v1\/waitlist\/queues\/([0-9a-f-]{36})\/entries$/.exec(req.url ?? '');
    const home = m ? queues[m[1]!] : undefined;
    if (req.method !== 'POST' || !m || !home) {
      res.writeHead(404).end();
      return;
    }
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as { name: string; party_size: number };
      const tokenHash = createHash('sha256').update(randomBytes(32).toString('base64url')).digest();
      pool.query(BASELINE_INSERT, [home.tenantId, m[1], home.locationId, tokenHash, body.name, body.party_size]).then(
        ({ rows }) => {
          const out = JSON.stringify({ entry: rows[0] });
          res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(out) }).end(out);
        },
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}

async function runChild(spec: ChildSpec): Promise<void> {
  const counted = countQueries(spec.kind === 'brigade' && spec.timeStatements === true);
  let port: number;
  let poolSize: number;
  let close: () => Promise<void>;
  if (spec.kind === 'baseline') {
    const b = await startBaseline(spec.poolSize, spec.queues);
    port = b.port;
    poolSize = spec.poolSize;
    close = () => b.close();
  } else {
    const { loadConfig } = await import('../src/core/config.ts');
    const { buildServer } = await import('../src/server.ts');
    const config = loadConfig({
      DATABASE_URL: dbUrl(DB_NAME, 'brigade_app'),
      MIGRATION_DATABASE_URL: dbUrl(DB_NAME),
      PLATFORM_DATABASE_URL: dbUrl(DB_NAME, 'brigade_platform'),
      LOG_LEVEL: spec.logLevel,
      NODE_ENV: 'production',
      PUBLIC_URL: 'http://localhost',
      CSRF_SECRET,
    } as NodeJS.ProcessEnv);
    const app = await buildServer(config);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    port = typeof addr === 'object' && addr ? addr.port : 0;
    poolSize = config.DB_POOL_SIZE;
    close = () => app.close();
  }
  process.on('message', (m: ToChild) => {
    if (m.type === 'count') process.send!({ type: 'count', queries: counted.count() } satisfies FromChild);
    if (m.type === 'statements') process.send!({ type: 'statements', times: counted.times } satisfies FromChild);
    if (m.type === 'stop') void close().finally(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ type: 'ready', port, poolSize } satisfies FromChild);
}

// ---------------------------------------------------------------------------------------------- parent side

class Server {
  private constructor(
    private child: ChildProcess,
    readonly port: number,
    readonly poolSize: number,
  ) {}

  static start(spec: ChildSpec, cpuProfileDir?: string): Promise<Server> {
    const execArgv = cpuProfileDir ? [...process.execArgv, '--cpu-prof', '--cpu-prof-dir', cpuProfileDir] : process.execArgv;
    const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(spec)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv });
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`${spec.kind} server exited with ${code} before it was ready`)));
      child.once('message', (m: FromChild) => {
        if (m.type === 'ready') resolve(new Server(child, m.port, m.poolSize));
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  queries(): Promise<number> {
    return new Promise((resolve) => {
      const on = (m: FromChild) => {
        if (m.type !== 'count') return;
        this.child.off('message', on);
        resolve(m.queries);
      };
      this.child.on('message', on);
      this.child.send({ type: 'count' } satisfies ToChild);
    });
  }

  statements(): Promise<StatementTimes> {
    return new Promise((resolve) => {
      const on = (m: FromChild) => {
        if (m.type !== 'statements') return;
        this.child.off('message', on);
        resolve(m.times);
      };
      this.child.on('message', on);
      this.child.send({ type: 'statements' } satisfies ToChild);
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.child.removeAllListeners('exit');
      this.child.once('exit', () => resolve());
      this.child.send({ type: 'stop' } satisfies ToChild);
    });
  }
}

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(port: number, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { ...headers, ...(payload ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function ok<T>(p: Promise<HttpAnswer>, what: string, status = 201): Promise<T> {
  const r = await p;
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${r.body}`);
  return JSON.parse(r.body) as T;
}

// ------------------------------------------------------------------ where the CPU goes (Linux /proc)

function machineTicks(): { busy: number; irq: number; total: number } {
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq;
  return { busy, irq: irq + softirq, total: busy + idle + iowait + steal };
}

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** Waits (up to a limit) until the machine is nearly idle, so a run is not measured against someone else's work. */
async function waitForQuiet(maxSeconds = QUIET_LIMIT_S): Promise<void> {
  for (let waited = 0; waited < maxSeconds; waited++) {
    const a = machineTicks();
    await new Promise((r) => setTimeout(r, 1000));
    const b = machineTicks();
    const busy = (b.busy - a.busy) / (b.total - a.total);
    if (busy < 0.05) {
      if (waited > 0) process.stdout.write('\n');
      return;
    }
    if (waited === 0) process.stdout.write(`  waiting for the machine to go quiet (busy ${(busy * 100).toFixed(0)} % of ${availableParallelism()} cores)`);
    else if (waited % 5 === 0) process.stdout.write('.');
  }
  console.log(' still busy: measuring anyway');
}

interface CpuSplit {
  server: number;
  bench: number;
  postgres: number;
  irq: number;
  other: number;
}

/** CPU in cores between start() and stop(): the server, this process, the server's PostgreSQL backends, interrupts, the rest. */
async function cpuMeter(server: Server, admin: pg.Client): Promise<{ stop(): Promise<CpuSplit> }> {
  const backends = async () =>
    (await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [DB_NAME])).rows.map((r) => r.pid);
  const snap = () => ({ machine: machineTicks(), me: processTicks(process.pid), server: processTicks(server.pid) });
  const pg0 = new Map((await backends()).map((pid) => [pid, processTicks(pid)]));
  const t0 = snap();
  return {
    async stop() {
      const t1 = snap();
      // A pool may have closed idle connections while the machine went quiet and opened new ones during the run:
      // a backend born during the run counts from zero. (One that ended during it is lost: a busy pool keeps its own.)
      const pids = new Set([...pg0.keys(), ...(await backends())]);
      const cores = (ticks: number) => (ticks / (t1.machine.total - t0.machine.total)) * availableParallelism();
      const pgTicks = [...pids].reduce((sum, pid) => sum + Math.max(0, processTicks(pid) - (pg0.get(pid) ?? 0)), 0);
      const d = { me: t1.me - t0.me, server: t1.server - t0.server, irq: t1.machine.irq - t0.machine.irq, busy: t1.machine.busy - t0.machine.busy };
      return {
        server: cores(d.server),
        bench: cores(d.me),
        postgres: cores(pgTicks),
        irq: cores(d.irq),
        other: Math.max(0, cores(d.busy - d.me - d.server - pgTicks - d.irq)),
      };
    },
  };
}

const cpuText = (c: CpuSplit) =>
  `server ${c.server.toFixed(2)}, bench ${c.bench.toFixed(2)}, PostgreSQL ${c.postgres.toFixed(2)}, irq ${c.irq.toFixed(2)}, other ${c.other.toFixed(2)}`;

// ------------------------------------------------------------------ figures

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! : NaN;
}

interface Spread {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  min: number;
}

function spread(values: ArrayLike<number>): Spread {
  const s = Float64Array.from(values).sort();
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN, min: s[0] ?? NaN };
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');

function mid(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
}

function markdown(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}

// ------------------------------------------------------------------ options

interface Options {
  only: 'all' | 'fanout' | 'joins';
  sockets: number;
  joins: number;
  line: number;
  rounds: number;
  duration: number;
  warmup: number;
  connections: number;
  logLevel: Config['LOG_LEVEL'];
  keepDb: boolean;
  diagnose: boolean;
  cpuProfileDir?: string;
}

function options(argv: string[]): Options {
  const o: Options = { only: 'all', sockets: 2000, joins: 200, line: 20, rounds: 3, duration: 10, warmup: 3, connections: 32, logLevel: 'warn', keepDb: false, diagnose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--only') o.only = next() as Options['only'];
    else if (a === '--sockets') o.sockets = Number(next());
    else if (a === '--joins') o.joins = Number(next());
    else if (a === '--line') o.line = Number(next());
    else if (a === '--rounds') o.rounds = Number(next());
    else if (a === '--duration') o.duration = Number(next());
    else if (a === '--warmup') o.warmup = Number(next());
    else if (a === '--connections') o.connections = Number(next());
    else if (a === '--log-level') o.logLevel = next() as Config['LOG_LEVEL'];
    else if (a === '--keep-db') o.keepDb = true;
    else if (a === '--diagnose') o.diagnose = true;
    else if (a === '--cpu-prof') o.cpuProfileDir = next();
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

// ------------------------------------------------------------------ the database

async function onServer(sql: string): Promise<void> {
  const server = new pg.Client({ connectionString: SERVER_URL });
  await server.connect();
  try {
    await server.query(sql);
  } finally {
    await server.end();
  }
}

async function migrateDatabase(): Promise<void> {
  const { pgDriver } = await import('../src/core/db/driver.ts');
  const { migrate } = await import('../src/core/db/migrate.ts');
  const driver = pgDriver(dbUrl(DB_NAME), { max: 1 });
  const conn = await driver.acquire();
  try {
    await migrate(conn);
  } finally {
    conn.release();
    await driver.close();
  }
}

interface Business {
  id: string;
  slug: string;
  locationId: string;
  host: string;
  /** Session tokens, good as `Authorization: Bearer` or as the session cookie. */
  owner: string;
  staff: string;
}

/**
 * 1,000 businesses with one location, an owner and a staff member each, and a live session per person: bulk SQL.
 * Ten businesses take the joins; ten others get two queues each for the baseline to write into, so its rows never
 * share a business (or its indexes' ranges) with Brigade's.
 */
async function seed(admin: pg.Client): Promise<{ load: { id: string; slug: string; locationId: string }[]; baselineQueues: QueueHome }> {
  const { hashSecret } = await import('../src/identity/secrets.ts');
  const passwordHash = await hashSecret(PASSWORD);
  await admin.query('BEGIN');
  await admin.query(
    `CREATE TEMP TABLE bench_tenants ON COMMIT DROP AS
       SELECT i, gen_random_uuid() AS id, 'bench-' || lpad(i::text, 4, '0') AS slug FROM generate_series(1, $1::int) AS i`,
    [TENANTS],
  );
  // A limit no benchmark reaches: the plan's request counter stays on the measured path without refusing anything.
  await admin.query(`INSERT INTO tenants (id, slug, name, status, time_zone, plan, limit_overrides)
       SELECT id, slug, 'Bench Bistro ' || i, 'active', 'Europe/London', 'enterprise', '{"requests_per_15_minutes": 1000000000}' FROM bench_tenants`);
  await admin.query(
    `INSERT INTO locations (tenant_id, id, name, address, time_zone)
       SELECT t.id, gen_random_uuid(), 'Dining room', '1 High Street, Leith', 'Europe/London' FROM bench_tenants t`,
  );
  await admin.query(
    `INSERT INTO users (tenant_id, id, email, name, password_hash)
       SELECT t.id, gen_random_uuid(), r.role || '@' || t.slug || '.brigade.test', initcap(r.role) || ' of ' || t.slug, $2
         FROM bench_tenants t, unnest($1::text[]) AS r(role)`,
    [ROLES, passwordHash],
  );
  await admin.query(
    `INSERT INTO role_assignments (tenant_id, id, user_id, role, location_id)
       SELECT u.tenant_id, gen_random_uuid(), u.id, split_part(u.email, '@', 1),
              CASE WHEN split_part(u.email, '@', 1) = 'staff' THEN (SELECT l.id FROM locations l WHERE l.tenant_id = u.tenant_id) END
         FROM users u`,
  );
  // Everyone else's sessions, so the session lookup searches a filled index.
  await admin.query(
    `INSERT INTO sessions (tenant_id, id, user_id, token_hash, kind, idle_seconds, idle_expires_at, expires_at)
       SELECT u.tenant_id, gen_random_uuid(), u.id, sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'password', 1800,
              now() + interval '30 minutes', now() + interval '12 hours'
         FROM users u`,
  );
  const picked = await admin.query<{ id: string; slug: string; location_id: string }>(
    `SELECT t.id, t.slug, l.id AS location_id FROM bench_tenants t JOIN locations l ON l.tenant_id = t.id
      WHERE t.i % ($1::int / $2::int) = 0 ORDER BY t.i LIMIT $2`,
    [TENANTS, LOAD_TENANTS],
  );
  const baseline = await admin.query<{ id: string; tenant_id: string; location_id: string }>(
    `INSERT INTO waitlist_queues (tenant_id, id, location_id, name)
       SELECT t.id, gen_random_uuid(), l.id, 'Baseline ' || q FROM bench_tenants t JOIN locations l ON l.tenant_id = t.id, generate_series(1, $3::int) AS q
        WHERE t.i % ($1::int / $2::int) = ($1::int / $2::int) / 2
       RETURNING id, tenant_id, location_id`,
    [TENANTS, LOAD_TENANTS, QUEUES_PER_TENANT],
  );
  await admin.query('COMMIT');
  await admin.query('ANALYZE');
  return {
    load: picked.rows.map((r) => ({ id: r.id, slug: r.slug, locationId: r.location_id })),
    baselineQueues: Object.fromEntries(baseline.rows.map((r) => [r.id, { tenantId: r.tenant_id, locationId: r.location_id }])),
  };
}

/**
 * This PostgreSQL server runs with autovacuum off (a setting for the test suites), so nothing would ever refresh the
 * statistics taken while the waitlist tables were empty, and the planner would go on planning for empty tables.
 * Before each measured run the bench analyzes what the runs write, as autovacuum's analyze would have.
 */
async function analyze(admin: pg.Client): Promise<void> {
  await admin.query('ANALYZE waitlist_entries, waitlist_queues, realtime_events, audit_log, audit_heads, jobs, sessions');
}

async function signIn(port: number, host: string, email: string): Promise<string> {
  const r = await http(port, 'POST', '/api/v1/auth/sign-in', { host }, { email, password: PASSWORD });
  if (r.status !== 200) throw new Error(`sign-in as ${email} failed: ${r.status} ${r.body}`);
  const setCookie = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
  const session = setCookie.map((c) => c.split(';')[0]!).find((c) => c.startsWith('brigade_session='));
  if (!session) throw new Error(`sign-in set no session cookie: ${setCookie.join(' | ')}`);
  return decodeURIComponent(session.slice('brigade_session='.length));
}

let queueNumber = 0;
async function openQueue(port: number, b: Business, label: string): Promise<string> {
  const q = await ok<{ id: string }>(
    http(port, 'POST', '/api/v1/waitlist/queues', { host: b.host, authorization: `Bearer ${b.owner}` }, { location_id: b.locationId, name: `${label} ${++queueNumber}` }),
    'opening a queue',
  );
  return q.id;
}

// ------------------------------------------------------------------ figure 1: the board's fan-out

interface Follower {
  ws: WebSocket;
  /** Events received: sequence and arrival (wall clock, ms). */
  seqs: number[];
  at: number[];
}

interface FanOutResult {
  sockets: number;
  connectMs: number;
  joins: number;
  line: number;
  messageBytes: number;
  fromCommit: Spread;
  fromJoinedAt: Spread;
  fromResponse: Spread;
  firstSocket: Spread;
  lastSocket: Spread;
  cancels: Spread;
  httpJoin: Spread;
  /** Joins whose NOTIFY at the listener was the earliest sign of their commit. */
  notifyFirst: number;
  joinedAtInside: number;
  cpu: CpuSplit;
  stepsMs: number;
}

async function fanOut(app: Server, admin: pg.Client, b: Business, o: Options): Promise<FanOutResult> {
  const queueId = await openQueue(app.port, b, 'Board');
  const channel = `queue:${queueId}`;
  // The commit as this process sees it: PostgreSQL sends a NOTIFY to its listeners only when the transaction commits.
  const listener = new pg.Client({ connectionString: dbUrl(DB_NAME) });
  await listener.connect();
  const committedAt = new Map<number, number>();
  listener.on('notification', (n) => {
    const at = wallNow();
    const [, seq, ...rest] = (n.payload ?? '').split('|');
    if (rest.join('|') === channel) committedAt.set(Number(seq), at);
  });
  await listener.query('LISTEN brigade_events');

  let expected = 0;
  let reached = 0;
  let release: (() => void) | null = null;
  const followers: Follower[] = [];
  const connectStart = performance.now();
  const open = (): Promise<Follower> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${app.port}/api/v1/realtime`, { headers: { host: b.host, cookie: `brigade_session=${b.staff}` }, perMessageDeflate: false });
      const f: Follower = { ws, seqs: [], at: [] };
      ws.once('error', reject);
      ws.once('open', () => ws.send(JSON.stringify({ type: 'subscribe', id: 'b', kind: 'waitlist.queue', params: { queue_id: queueId } })));
      const onControl = (data: Buffer) => {
        const m = JSON.parse(data.toString()) as { type: string };
        if (m.type !== 'subscribed') return reject(new Error(`subscribe answered ${data.toString()}`));
        ws.off('message', onControl);
        // From here on only the board's events come; their arrival is stamped before anything else is done.
        ws.on('message', (raw: Buffer) => {
          const at = wallNow();
          const seq = /"seq":(\d+)/.exec(raw.toString('latin1', 0, 80));
          f.seqs.push(seq ? Number(seq[1]) : -1);
          f.at.push(at);
          if (f.seqs.length === expected && ++reached === followers.length) release?.();
        });
        resolve(f);
      };
      ws.on('message', onControl);
    });
  // A hundred at a time: a browser-like trickle rather than 2,000 handshakes in the listen backlog at once.
  for (let i = 0; i < o.sockets; i += 100) {
    followers.push(...(await Promise.all(Array.from({ length: Math.min(100, o.sockets - i) }, open))));
  }
  const connectMs = performance.now() - connectStart;
  console.log(`  ${followers.length} sockets open and subscribed to ${channel} in ${(connectMs / 1000).toFixed(1)} s`);

  const staff = { host: b.host, authorization: `Bearer ${b.staff}` };
  /** Runs one change and resolves when every socket has its event. */
  const step = async (change: () => Promise<void>) => {
    expected++;
    reached = 0;
    const all = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`after ${STEP_TIMEOUT_MS} ms only ${reached} of ${followers.length} sockets had event ${expected}`)), STEP_TIMEOUT_MS);
      release = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    await change();
    await all;
  };
  const waiting: string[] = [];
  const join = async () => {
    const sent = wallNow();
    const r = await ok<{ entry: { id: string } }>(http(app.port, 'POST', `/api/v1/waitlist/queues/${queueId}/entries`, staff, { name: `Walk-in ${waiting.length}`, party_size: 2 }), 'a walk-in');
    const answered = wallNow();
    waiting.push(r.entry.id);
    return { id: r.entry.id, sent, answered };
  };
  const cancelFront = async () => {
    const id = waiting.shift()!;
    await ok(http(app.port, 'POST', `/api/v1/waitlist/entries/${id}/cancel`, staff), 'cancelling the front party', 200);
  };
  for (let i = 0; i < o.line; i++) await step(async () => void (await join()));
  const joins: { id: string; sent: number; answered: number }[] = [];
  const cancelSteps: { sent: number }[] = [];
  const firstMeasured = expected + 1;
  await analyze(admin);
  await waitForQuiet();
  const meter = await cpuMeter(app, admin);
  const stepsStart = performance.now();
  for (let i = 0; i < o.joins; i++) {
    await step(async () => void joins.push(await join()));
    const sent = wallNow();
    await step(cancelFront);
    cancelSteps.push({ sent });
  }
  const stepsMs = performance.now() - stepsStart;
  const cpu = await meter.stop();
  for (const f of followers) f.ws.terminate();
  await listener.end();

  // Which event was whose: the sequence numbers of the joins' events, and each join's transaction start (µs).
  const events = await admin.query<{ seq: string; entry_id: string; status: string; joined_ms: number; bytes: number }>(
    `SELECT e.seq, e.data->'entry'->>'id' AS entry_id, e.data->'entry'->>'status' AS status,
            extract(epoch FROM w.joined_at)::float8 * 1000 AS joined_ms, octet_length(e.data::text) AS bytes
       FROM realtime_events e JOIN waitlist_entries w ON w.tenant_id = e.tenant_id AND w.id = (e.data->'entry'->>'id')::uuid
      WHERE e.tenant_id = $1 AND e.channel = $2 ORDER BY e.seq`,
    [b.id, channel],
  );
  const bySeq = new Map(events.rows.map((r) => [Number(r.seq), r]));
  const joinById = new Map(joins.map((j) => [j.id, j]));
  const fromCommit: number[] = [];
  const fromJoinedAt: number[] = [];
  const fromResponse: number[] = [];
  const firsts: number[] = [];
  const lasts: number[] = [];
  const cancels: number[] = [];
  let notifyFirst = 0;
  let joinedAtInside = 0;
  let messageBytes = 0;
  const measuredSeqs = followers[0]!.seqs.slice(firstMeasured - 1);
  for (const [k, seq] of measuredSeqs.entries()) {
    const ev = bySeq.get(seq);
    const notified = committedAt.get(seq);
    if (!ev || notified === undefined) throw new Error(`event ${seq}: ${ev ? 'no NOTIFY seen' : 'not in realtime_events'}`);
    const arrivals = followers.map((f) => {
      if (f.seqs[firstMeasured - 1 + k] !== seq) throw new Error('a socket received the events in another order');
      return f.at[firstMeasured - 1 + k]!;
    });
    const j = ev.status === 'waiting' ? joinById.get(ev.entry_id) : undefined;
    if (!j) {
      // The cancel that keeps the line's length: an upper bound from the moment its request left.
      const c = cancelSteps[cancels.length / followers.length];
      for (const a of arrivals) cancels.push(a - (c?.sent ?? notified));
      continue;
    }
    messageBytes = Math.max(messageBytes, ev.bytes);
    // Each of these is seen only after the commit, so the earliest is the closest bound on it. The NOTIFY usually
    // is, but the listener's backend must be scheduled to pass it on, which on a busy machine can come late.
    const commit = Math.min(notified, j.answered, ...arrivals);
    if (notified === commit) notifyFirst++;
    if (ev.joined_ms >= j.sent - 1 && ev.joined_ms <= commit) joinedAtInside++;
    let first = Infinity;
    let last = -Infinity;
    for (const a of arrivals) {
      fromCommit.push(a - commit);
      fromJoinedAt.push(a - ev.joined_ms);
      fromResponse.push(a - j.answered);
      first = Math.min(first, a - commit);
      last = Math.max(last, a - commit);
    }
    firsts.push(first);
    lasts.push(last);
  }
  if (firsts.length !== o.joins) throw new Error(`matched ${firsts.length} of ${o.joins} joins to their events`);
  return {
    sockets: followers.length,
    connectMs,
    joins: o.joins,
    line: o.line,
    messageBytes,
    fromCommit: spread(fromCommit),
    fromJoinedAt: spread(fromJoinedAt),
    fromResponse: spread(fromResponse),
    firstSocket: spread(firsts),
    lastSocket: spread(lasts),
    cancels: spread(cancels),
    httpJoin: spread(joins.map((j) => j.answered - j.sent)),
    notifyFirst,
    joinedAtInside,
    cpu,
    stepsMs,
  };
}

// ------------------------------------------------------------------ figure 2: joins per second

interface Target {
  queueId: string;
  host: string;
  token: string;
}

interface JoinRun {
  variant: string;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non201: number;
  errors: string[];
  perSecond: number[];
  roundTripsPerJoin: number;
  cpu: CpuSplit;
  /** After the run: waiting parties per queue (min, max), rows against 201s, and whether every line is dense. */
  longestLine: number;
  rows: number;
  dense: boolean;
  eventsMatch: boolean;
}

function cannon(opts: autocannon.Options, onResponse?: (status: number, ms: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    if (onResponse) instance.on('response', (_client, status: number, _bytes, responseTime: number) => onResponse(status, responseTime));
  });
}

let walkIn = 0;
function joinRequests(targets: Target[], errors: string[]): autocannon.Request[] {
  let n = 0;
  return [
    {
      method: 'POST',
      // Round robin over the targets, request by request: each connection's next join goes to the next queue.
      setupRequest: (req) => {
        const t = targets[n++ % targets.length]!;
        walkIn++;
        return {
          ...req,
          method: 'POST',
          path: `/api/v1/waitlist/queues/${t.queueId}/entries`,
          headers: { host: t.host, authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `Walk-in ${walkIn}`, party_size: 1 + (walkIn % 6) }),
        };
      },
      onResponse: (status, body) => {
        if (status !== 201 && errors.length < 5) errors.push(`${status} ${body.slice(0, 300)}`);
      },
    },
  ];
}

/** Every queue's waiting line is 1..n with no gap and no duplicate, and it has one event per join. */
async function checkLines(admin: pg.Client, queueIds: string[]): Promise<{ rows: number; longest: number; dense: boolean; eventsMatch: boolean }> {
  const { rows } = await admin.query<{ queue_id: string; n: number; lo: number; hi: number; d: number; events: number }>(
    `SELECT e.queue_id, count(*)::int AS n, min(e.position) AS lo, max(e.position) AS hi, count(DISTINCT e.position)::int AS d,
            (SELECT count(*)::int FROM realtime_events r WHERE r.tenant_id = e.tenant_id AND r.channel = 'queue:' || e.queue_id) AS events
       FROM waitlist_entries e WHERE e.queue_id = ANY($1::uuid[]) AND e.status = 'waiting' GROUP BY e.tenant_id, e.queue_id`,
    [queueIds],
  );
  const dense = rows.length === queueIds.length && rows.every((r) => r.lo === 1 && r.hi === r.n && r.d === r.n);
  return { rows: rows.reduce((s, r) => s + r.n, 0), longest: Math.max(0, ...rows.map((r) => r.n)), dense, eventsMatch: rows.every((r) => r.events === r.n) };
}

async function measureJoins(
  variant: string,
  server: Server,
  admin: pg.Client,
  targets: () => Promise<Target[]>,
  o: Options,
  brigade: boolean,
  connections = o.connections,
): Promise<JoinRun> {
  // Warm-up on queues of its own, so the measured queues start empty.
  const warmErrors: string[] = [];
  const warm = await cannon({ url: `http://127.0.0.1:${server.port}`, connections, duration: o.warmup, requests: joinRequests(await targets(), warmErrors) });
  if (warm.non2xx || warm.errors) throw new Error(`${variant}: ${warm.non2xx} non-2xx and ${warm.errors} errors while warming up: ${warmErrors.join(' | ')}`);
  const measured = await targets();
  await analyze(admin);
  await waitForQuiet();
  const before = await server.queries();
  const meter = await cpuMeter(server, admin);
  const latencies: number[] = [];
  const finished: number[] = [];
  const errors: string[] = [];
  const start = performance.now();
  const r = await cannon({ url: `http://127.0.0.1:${server.port}`, connections, duration: o.duration, requests: joinRequests(measured, errors) }, (status, t) => {
    latencies.push(t);
    if (status === 201) finished.push(performance.now() - start);
  });
  const cpu = await meter.stop();
  const after = await server.queries();
  const perSecond = Array.from({ length: o.duration }, (_, s) => finished.filter((t) => t >= s * 1000 && t < (s + 1) * 1000).length);
  // Requests still in flight when autocannon stopped may commit after it: let them land before counting rows.
  await new Promise((res) => setTimeout(res, 1000));
  const lines = brigade ? await checkLines(admin, [...new Set(measured.map((t) => t.queueId))]) : { rows: NaN, longest: NaN, dense: true, eventsMatch: true };
  const sorted = Float64Array.from(latencies).sort();
  const run: JoinRun = {
    variant,
    rps: r.requests.total / o.duration,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    requests: r.requests.total,
    non201: r.non2xx + r.errors + r.timeouts,
    errors,
    perSecond,
    roundTripsPerJoin: (after - before) / r.requests.total,
    cpu,
    longestLine: lines.longest,
    rows: lines.rows,
    dense: lines.dense,
    eventsMatch: lines.eventsMatch,
  };
  console.log(
    `  ${variant}: ${Math.round(run.rps)} joins/s, p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms, ${run.non201} not 201, ` +
      `${run.roundTripsPerJoin.toFixed(2)} round trips/join; per second ${perSecond.join(' ')}; CPU (cores): ${cpuText(cpu)}` +
      (brigade ? `; longest line ${run.longestLine}, rows ${run.rows} for ${r['2xx']} answers 201, positions dense: ${run.dense}, one event per join: ${run.eventsMatch}` : ''),
  );
  if (errors.length) console.log(`    first refusals: ${errors.join(' | ')}`);
  if (cpu.other > DISTURBED) console.log(`    (disturbed: ${cpu.other.toFixed(2)} cores of other work on the machine during the run)`);
  return run;
}

/** Serial joins onto one fresh queue: how a join's cost grows with the line it joins. */
async function lineLengthCost(app: Server, admin: pg.Client, b: Business, n: number): Promise<{ from: number; to: number; p50: number }[]> {
  const queueId = await openQueue(app.port, b, 'Long line');
  await analyze(admin);
  const latencies: number[] = [];
  const errors: string[] = [];
  const before = await app.queries();
  await cannon(
    { url: `http://127.0.0.1:${app.port}`, connections: 1, amount: n, requests: joinRequests([{ queueId, host: b.host, token: b.staff }], errors) },
    (_s, t) => latencies.push(t),
  );
  const trips = ((await app.queries()) - before) / n;
  if (errors.length) throw new Error(`long line: ${errors.join(' | ')}`);
  const bands = [1, Math.round(n / 2) - 24, n - 49].map((from) => ({ from, to: from + 49, p50: mid(latencies.slice(from - 1, from + 49)) }));
  console.log(`  serial joins onto one queue (${trips.toFixed(1)} round trips each): ${bands.map((x) => `positions ${x.from}–${x.to}: p50 ${x.p50.toFixed(2)} ms`).join('; ')}`);
  return bands;
}

/**
 * Where a join's time goes, statement by statement, on a server of its own that times each one from sending to
 * answer: serially (one connection: the database's own time plus the loopback) and under the spread load (which adds
 * waiting for locks and for the server's event loop).
 */
async function diagnose(admin: pg.Client, businesses: Business[], o: Options): Promise<string> {
  const s = await Server.start({ kind: 'brigade', logLevel: o.logLevel, timeStatements: true });
  const out: string[] = [];
  try {
    const report = async (label: string, run: () => Promise<number>) => {
      await analyze(admin);
      const before = await s.statements();
      const joins = await run();
      const after = await s.statements();
      const rows = Object.entries(after)
        .map(([sql, t]) => ({ sql, calls: t.calls - (before[sql]?.calls ?? 0), ms: t.ms - (before[sql]?.ms ?? 0) }))
        .filter((r) => r.calls > 0)
        .sort((a, b) => b.ms - a.ms);
      const total = rows.reduce((sum, r) => sum + r.ms, 0);
      const text = markdown(
        ['statement (first words)', 'per join', 'mean ms', 'ms per join', 'share'],
        rows.slice(0, 14).map((r) => [r.sql.replace(/\|/g, '¦'), (r.calls / joins).toFixed(2), (r.ms / r.calls).toFixed(2), (r.ms / joins).toFixed(2), `${((r.ms / total) * 100).toFixed(0)} %`]),
      );
      out.push(`${label}: ${joins} joins, ${(total / joins).toFixed(1)} ms of statements per join\n\n${text}`);
      console.log(`\n${out[out.length - 1]}`);
    };
    await report('serial, one connection', async () => {
      const b = businesses[2]!;
      const queueId = await openQueue(s.port, b, 'Diagnose');
      const errors: string[] = [];
      await cannon({ url: `http://127.0.0.1:${s.port}`, connections: 1, amount: 300, requests: joinRequests([{ queueId, host: b.host, token: b.staff }], errors) });
      return 300;
    });
    await report(`spread over ${LOAD_TENANTS * QUEUES_PER_TENANT} queues, ${o.connections} connections`, async () => {
      const targets: Target[] = [];
      for (const b of businesses) for (let q = 0; q < QUEUES_PER_TENANT; q++) targets.push({ queueId: await openQueue(s.port, b, 'Diagnose spread'), host: b.host, token: b.staff });
      const errors: string[] = [];
      const r = await cannon({ url: `http://127.0.0.1:${s.port}`, connections: o.connections, duration: 5, requests: joinRequests(targets, errors) });
      return r.requests.total;
    });
  } finally {
    await s.stop();
  }
  return out.join('\n\n');
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const fdLimit = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))?.split(/\s+/).slice(3, 5).join(' / ');
  console.log(
    `Brigade waitlist bench: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ` +
      `open files (soft / hard) ${fdLimit}; Brigade LOG_LEVEL=${o.logLevel}`,
  );
  const started = Date.now();
  await onServer(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await onServer(`CREATE DATABASE ${DB_NAME}`);
  await migrateDatabase();
  const admin = new pg.Client({ connectionString: dbUrl(DB_NAME) });
  await admin.connect();
  const { load: picked, baselineQueues: home } = await seed(admin);
  const autovacuum = (await admin.query<{ v: string }>(`SELECT current_setting('autovacuum') AS v`)).rows[0]!.v;
  const pgVersion = (await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]!.v;
  console.log(`Seeded ${TENANTS} businesses in ${((Date.now() - started) / 1000).toFixed(1)} s on PostgreSQL ${pgVersion} (autovacuum ${autovacuum})`);

  let fan: FanOutResult | null = null;
  const runs = { baseline: [] as JoinRun[], spread: [] as JoinRun[], hot: [] as JoinRun[] };
  let bands: { from: number; to: number; p50: number }[] = [];
  const app = await Server.start({ kind: 'brigade', logLevel: o.logLevel }, o.cpuProfileDir);
  try {
    const businesses: Business[] = [];
    for (const p of picked) {
      const host = `${p.slug}.localhost`;
      businesses.push({ ...p, host, owner: await signIn(app.port, host, `owner@${p.slug}.brigade.test`), staff: await signIn(app.port, host, `staff@${p.slug}.brigade.test`) });
    }
    if (o.only !== 'joins') {
      console.log(`fan-out: ${o.sockets} sockets on one board, ${o.joins} joins one at a time, line kept at ${o.line}`);
      fan = await fanOut(app, admin, businesses[0]!, o);
      console.log(
        `  commit → every socket: p50 ${ms(fan.fromCommit.p50)} p95 ${ms(fan.fromCommit.p95)} p99 ${ms(fan.fromCommit.p99)} max ${ms(fan.fromCommit.max)} ms ` +
          `(joined_at → socket p99 ${ms(fan.fromJoinedAt.p99)}; first socket p50 ${ms(fan.firstSocket.p50)}, last socket p50 ${ms(fan.lastSocket.p50)} ms); CPU: ${cpuText(fan.cpu)}`,
      );
    }
    if (o.only !== 'fanout') {
      const spreadTargets = async () => {
        const t: Target[] = [];
        for (const b of businesses) for (let q = 0; q < QUEUES_PER_TENANT; q++) t.push({ queueId: await openQueue(app.port, b, 'Spread'), host: b.host, token: b.staff });
        return t;
      };
      const hotTargets = async () => {
        const b = businesses[0]!;
        return [{ queueId: await openQueue(app.port, b, 'Hot'), host: b.host, token: b.staff }];
      };
      // The baseline needs no credential: only the queue in the path, which names the business its row goes to.
      const baselineQueues: Target[] = Object.keys(home).map((queueId) => ({ queueId, host: 'localhost', token: 'none' }));
      const bare = await Server.start({ kind: 'baseline', poolSize: app.poolSize, queues: home });
      try {
        for (let round = 1; round <= o.rounds; round++) {
          console.log(`joins, round ${round} of ${o.rounds} (${o.connections} connections, ${o.warmup} s warm-up + ${o.duration} s)`);
          runs.baseline.push(await measureJoins('baseline: node:http + pg INSERT', bare, admin, async () => baselineQueues, o, false));
          runs.spread.push(await measureJoins(`Brigade, ${LOAD_TENANTS * QUEUES_PER_TENANT} queues over ${LOAD_TENANTS} businesses`, app, admin, spreadTargets, o, true));
          runs.hot.push(await measureJoins('Brigade, one hot queue', app, admin, hotTargets, o, true));
        }
      } finally {
        await bare.stop();
      }
      bands = await lineLengthCost(app, admin, businesses[1]!, 600);
    }
    if (o.diagnose) await diagnose(admin, businesses, o);
  } finally {
    await app.stop();
    await admin.end();
    if (!o.keepDb) await onServer(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  }

  console.log(`\n=== results (${new Date().toISOString()}, ${((Date.now() - started) / 1000).toFixed(0)} s) ===`);
  if (fan) {
    const f = fan;
    console.log(
      `\nFan-out: ${f.sockets} sockets, ${f.joins} joins (line ${f.line}, event ${f.messageBytes} bytes as JSON), ${f.sockets * f.joins} receipts; ` +
        `sockets opened and subscribed in ${(f.connectMs / 1000).toFixed(1)} s; ${f.joins * 2} steps in ${(f.stepsMs / 1000).toFixed(1)} s\n`,
    );
    const row = (label: string, s: Spread) => [label, ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max), String(s.n)];
    console.log(
      markdown(['from → to every socket', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'samples'], [
        row('joined_at (transaction start) → socket', f.fromJoinedAt),
        row('commit (earliest sign of it) → socket', f.fromCommit),
        row('HTTP answer at the client → socket', f.fromResponse),
        row('commit → first socket, per join', f.firstSocket),
        row('commit → last socket, per join', f.lastSocket),
        row('cancel request sent → socket', f.cancels),
        row('the join over HTTP (sent → answered)', f.httpJoin),
      ]),
    );
    console.log(
      `commit taken as the earliest of: NOTIFY at a listener here (${f.notifyFirst} of ${f.joins} joins), the HTTP answer, the first socket; ` +
        `joined_at between the request and that: ${f.joinedAtInside} of ${f.joins}`,
    );
    console.log(`CPU during the steps (cores): ${cpuText(f.cpu)}`);
  }
  if (runs.spread.length) {
    const median = (rs: JoinRun[]): JoinRun => ({
      ...rs[0]!,
      rps: mid(rs.map((r) => r.rps)),
      p50: mid(rs.map((r) => r.p50)),
      p99: mid(rs.map((r) => r.p99)),
      roundTripsPerJoin: mid(rs.map((r) => r.roundTripsPerJoin)),
      longestLine: mid(rs.map((r) => r.longestLine)),
      non201: rs.reduce((s, r) => s + r.non201, 0),
      dense: rs.every((r) => r.dense),
      eventsMatch: rs.every((r) => r.eventsMatch),
      cpu: {
        server: mid(rs.map((r) => r.cpu.server)),
        bench: mid(rs.map((r) => r.cpu.bench)),
        postgres: mid(rs.map((r) => r.cpu.postgres)),
        irq: mid(rs.map((r) => r.cpu.irq)),
        other: mid(rs.map((r) => r.cpu.other)),
      },
    });
    const base = median(runs.baseline);
    const rows = [base, median(runs.spread), median(runs.hot)];
    console.log(`\nJoins: median of ${o.rounds} round(s), each column on its own; ${o.connections} connections, ${o.duration} s measured\n`);
    console.log(
      markdown(['variant', 'joins/s', 'p50 ms', 'p99 ms', 'ratio', 'round trips/join', 'CPU ms/join: server', 'PostgreSQL', 'cores: server', 'PostgreSQL', 'bench', 'other', 'longest line', 'not 201', 'dense 1..n'], rows.map((r) => [
        r.variant,
        String(Math.round(r.rps)),
        r.p50.toFixed(1),
        r.p99.toFixed(1),
        (r.rps / base.rps).toFixed(2),
        r.roundTripsPerJoin.toFixed(2),
        ((r.cpu.server / r.rps) * 1000).toFixed(2),
        ((r.cpu.postgres / r.rps) * 1000).toFixed(2),
        r.cpu.server.toFixed(2),
        r.cpu.postgres.toFixed(2),
        r.cpu.bench.toFixed(2),
        r.cpu.other.toFixed(2),
        Number.isNaN(r.longestLine) ? '–' : String(r.longestLine),
        String(r.non201),
        r === base ? '–' : r.dense && r.eventsMatch ? 'yes' : 'NO',
      ])),
    );
    for (const [name, rs] of Object.entries(runs)) console.log(`per second, ${name}: ${rs.map((r) => r.perSecond.join(' ')).join(' | ')}`);
    if (bands.length) console.log(`serial join p50 by line length: ${bands.map((x) => `${x.from}–${x.to}: ${x.p50.toFixed(2)} ms`).join(', ')}`);
  }
  console.log(JSON.stringify({ date: new Date().toISOString(), fan, runs, bands }));
}

if (process.argv[2] === '--child') {
  runChild(JSON.parse(process.argv[3]!) as ChildSpec).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
