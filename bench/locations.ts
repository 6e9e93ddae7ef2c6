/**
 * Request-path benchmark (issue #2 §10): GET /api/v1/locations as a signed-in tenant user, against the same
 * query served by bare node:http + pg. Never part of the tests.
 *
 *   npm run bench                          # PostgreSQL at postgres://postgres@127.0.0.1:5432 (BENCH_DATABASE_URL to change)
 *   npm run bench -- --diagnose            # also: no tenant Host, /healthz (no database), both servers with 4
 *                                          # connections (latency without queueing), LOG_LEVEL warn, info and silent
 *   npm run bench -- --rounds 3 --duration 10 --warmup 3 --connections 64 --log-level warn   (the defaults)
 *   npm run bench -- --pool-size 8         # DB_POOL_SIZE for both servers (default: Brigade's default, 20)
 *   npm run bench -- --cpu-prof /tmp/prof  # V8 CPU profile of the Brigade server (open in Chrome DevTools)
 *
 * Each server runs in a child process of its own; autocannon runs here, in the parent, one run at a time. Each of the
 * rounds measures the baseline, Brigade with forced row-level security, and Brigade with it turned off on the tables the
 * route reads; the table shows the median of the rounds.
 * The database `brigade_bench` is dropped and created afresh, migrated, and seeded with 1,000 tenants; it is dropped
 * again at the end unless --keep-db is given.
 * Before each measured run the bench waits for the machine to go quiet, and it accounts for where the CPU went
 * (server, load generator, the PostgreSQL backends serving the server, anything else); a run disturbed by
 * other work on the machine is measured again.
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Config } from '../src/core/config.ts';

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = 'brigade_bench';
const TENANTS = 1_000;
const LOCATIONS_PER_TENANT = 3;
const TARGET_TENANT = 500;
const PASSWORD = 'bench correct horse battery';
const CSRF_SECRET = 'bench-only-csrf-secret-0123456789abcdef';
const ROUTE = '/api/v1/locations';
/** Tables GET /api/v1/locations reads: the credential (sessions, users, role_assignments, kiosks) and the locations. */
const ROUTE_TABLES = ['locations', 'sessions', 'users', 'role_assignments', 'kiosks'];
const ROLES = ['owner', 'admin', 'location_manager', 'compliance_officer', 'manager', 'staff', 'auditor'];
const LOCATION_SCOPED = ['location_manager', 'manager', 'staff'];
/** Other work on the machine (in cores) above which a measured run counts as disturbed and is measured again. */
const DISTURBED = 0.1;
const ATTEMPTS = 3;
/** Connections for the diagnostic latency runs: few enough that requests hardly queue. */
const FEW = 4;

function dbUrl(database: string, user?: string): string {
  const u = new URL(SERVER_URL);
  u.pathname = `/${database}`;
  if (user) {
    u.username = user;
    u.password = '';
  }
  return u.toString();
}

// ---------------------------------------------------------------------------------------------- child side

type ChildSpec = { kind: 'brigade'; logLevel: Config['LOG_LEVEL']; poolSize?: number } | { kind: 'baseline'; tenantId: string; poolSize: number };
type ToChild = { type: 'count' } | { type: 'stop' };
type FromChild = { type: 'ready'; port: number; poolSize: number } | { type: 'count'; queries: number };

/** Counts what the process sends to PostgreSQL: each pg client.query is one round trip (a multi-statement string too). */
function countQueries(): () => number {
  let n = 0;
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    n++;
    return original.apply(this, args);
  };
  return () => n;
}

async function runChild(spec: ChildSpec): Promise<void> {
  const queries = countQueries();
  let port: number;
  let poolSize: number;
  let close: () => Promise<void>;
  if (spec.kind === 'baseline') {
    const { startBaseline } = await import('./baseline-server.ts');
    const b = await startBaseline(dbUrl(DB_NAME), spec.tenantId, spec.poolSize);
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
      ...(spec.poolSize ? { DB_POOL_SIZE: String(spec.poolSize) } : {}),
    } as NodeJS.ProcessEnv);
    const app = await buildServer(config);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    port = typeof addr === 'object' && addr ? addr.port : 0;
    poolSize = config.DB_POOL_SIZE;
    close = () => app.close();
  }
  process.on('message', (m: ToChild) => {
    if (m.type === 'count') process.send!({ type: 'count', queries: queries() } satisfies FromChild);
    if (m.type === 'stop') void close().finally(() => process.exit(0));
  });
  // If the bench itself dies, its servers go with it.
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

  /** Starts a server in a child process. Its stdout (the request log, at LOG_LEVEL info) goes nowhere, as to a log shipper. */
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

// ------------------------------------------------------------------ where the CPU goes (Linux /proc)

/** Busy, interrupt (mostly loopback networking) and total jiffies of the whole machine. */
function machineTicks(): { busy: number; irq: number; total: number } {
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq;
  return { busy, irq: irq + softirq, total: busy + idle + iowait + steal };
}

/** utime + stime of one process, in jiffies (0 once it is gone). */
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
async function waitForQuiet(maxSeconds = 300): Promise<void> {
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

// ------------------------------------------------------------------ measuring

interface Options {
  duration: number;
  warmup: number;
  connections: number;
  logLevel: Config['LOG_LEVEL'];
  diagnose: boolean;
  rounds: number;
  keepDb: boolean;
  /** DB_POOL_SIZE for Brigade and the baseline; Brigade's default when not given. */
  poolSize?: number;
  cpuProfileDir?: string;
}

function options(argv: string[]): Options {
  const o: Options = { duration: 10, warmup: 3, connections: 64, logLevel: 'warn', diagnose: false, rounds: 3, keepDb: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--duration') o.duration = Number(next());
    else if (a === '--warmup') o.warmup = Number(next());
    else if (a === '--connections') o.connections = Number(next());
    else if (a === '--log-level') o.logLevel = next() as Config['LOG_LEVEL'];
    else if (a === '--diagnose') o.diagnose = true;
    else if (a === '--rounds') o.rounds = Number(next());
    else if (a === '--keep-db') o.keepDb = true;
    else if (a === '--pool-size') o.poolSize = Number(next());
    else if (a === '--cpu-prof') o.cpuProfileDir = next();
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

interface Measured {
  variant: string;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  roundTripsPerRequest: number;
  /** CPU used during the measured run, in cores; `irq` is interrupt and softirq time (mostly loopback networking). */
  cpu: { server: number; autocannon: number; postgres: number; irq: number; other: number };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;
}

function cannon(opts: autocannon.Options, latencies?: number[]): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    // autocannon's own histogram keeps whole milliseconds; keep the exact response times as well.
    if (latencies) instance.on('response', (_client, _status, _bytes, responseTime: number) => latencies.push(responseTime));
  });
}

/** The backends the server's pool holds open on the bench database (the admin connection excluded). */
async function serverBackends(admin: pg.Client): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [DB_NAME]);
  return rows.map((r) => r.pid);
}

async function measureOnce(
  variant: string,
  server: Server,
  admin: pg.Client,
  path: string,
  headers: Record<string, string>,
  o: Options,
  connections = o.connections,
): Promise<Measured> {
  const base = { url: `http://127.0.0.1:${server.port}${path}`, connections, headers };
  const warm = await cannon({ ...base, duration: o.warmup });
  if (warm.non2xx || warm.errors) throw new Error(`${variant}: ${warm.non2xx} non-2xx answers and ${warm.errors} errors while warming up`);
  await waitForQuiet();
  const backends = await serverBackends(admin);
  const before = await server.queries();
  const snap = () => ({
    machine: machineTicks(),
    me: processTicks(process.pid),
    server: processTicks(server.pid),
    pg: backends.map(processTicks),
  });
  const latencies: number[] = [];
  const t0 = snap();
  const r = await cannon({ ...base, duration: o.duration }, latencies);
  const t1 = snap();
  const after = await server.queries();
  if (r.non2xx || r.errors || r.timeouts) throw new Error(`${variant}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  const cores = (ticks: number) => (ticks / (t1.machine.total - t0.machine.total)) * availableParallelism();
  // A backend that ended during the run (0 ticks afterwards) counts for nothing rather than for less than nothing.
  const pgTicks = backends.reduce((sum, _pid, i) => sum + Math.max(0, t1.pg[i]! - t0.pg[i]!), 0);
  const d = { me: t1.me - t0.me, server: t1.server - t0.server, pg: pgTicks, irq: t1.machine.irq - t0.machine.irq, busy: t1.machine.busy - t0.machine.busy };
  const sorted = Float64Array.from(latencies).sort();
  return {
    variant,
    rps: r.requests.total / o.duration,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    requests: r.requests.total,
    roundTripsPerRequest: (after - before) / r.requests.total,
    cpu: {
      server: cores(d.server),
      autocannon: cores(d.me),
      postgres: cores(d.pg),
      irq: cores(d.irq),
      other: Math.max(0, cores(d.busy - d.me - d.server - d.pg - d.irq)),
    },
  };
}

/** Measures a variant; a run that shared the machine with other work is measured again (the least disturbed run counts). */
async function measure(
  variant: string,
  server: Server,
  admin: pg.Client,
  path: string,
  headers: Record<string, string>,
  o: Options,
  connections = o.connections,
): Promise<Measured> {
  let best: Measured | null = null;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const m = await measureOnce(variant, server, admin, path, headers, o, connections);
    if (!best || m.cpu.other < best.cpu.other) best = m;
    console.log(
      `  ${variant}: ${Math.round(m.rps)} req/s, p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms, ` +
        `${m.roundTripsPerRequest.toFixed(2)} round trips/request; CPU (cores): server ${m.cpu.server.toFixed(2)}, ` +
        `autocannon ${m.cpu.autocannon.toFixed(2)}, PostgreSQL ${m.cpu.postgres.toFixed(2)}, irq ${m.cpu.irq.toFixed(2)}, other ${m.cpu.other.toFixed(2)}`,
    );
    if (m.cpu.other <= DISTURBED) break;
    if (attempt < ATTEMPTS) console.log(`  (disturbed by ${m.cpu.other.toFixed(2)} cores of other work: measuring again)`);
  }
  return best!;
}

// ------------------------------------------------------------------ the database

async function recreateDatabase(): Promise<void> {
  const server = new pg.Client({ connectionString: SERVER_URL });
  await server.connect();
  try {
    await server.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    await server.query(`CREATE DATABASE ${DB_NAME}`);
  } finally {
    await server.end();
  }
}

async function dropDatabase(): Promise<void> {
  const server = new pg.Client({ connectionString: SERVER_URL });
  await server.connect();
  try {
    await server.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
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

/** 1,000 businesses with 3 locations and 7 people (one per role) each, and one live session per person: bulk SQL, one argon2 hash. */
async function seed(admin: pg.Client): Promise<{ tenantId: string; slug: string; email: string }> {
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
       SELECT t.id, gen_random_uuid(), 'Location ' || j, j || ' High Street, Leith', 'Europe/London'
         FROM bench_tenants t, generate_series(1, $1::int) AS j`,
    [LOCATIONS_PER_TENANT],
  );
  await admin.query(
    `INSERT INTO users (tenant_id, id, email, name, password_hash)
       SELECT t.id, gen_random_uuid(), r.role || '@' || t.slug || '.brigade.test', initcap(replace(r.role, '_', ' ')) || ' of ' || t.slug, $2
         FROM bench_tenants t, unnest($1::text[]) AS r(role)`,
    [ROLES, passwordHash],
  );
  await admin.query(
    `INSERT INTO role_assignments (tenant_id, id, user_id, role, location_id)
       SELECT u.tenant_id, gen_random_uuid(), u.id, split_part(u.email, '@', 1),
              CASE WHEN split_part(u.email, '@', 1) = ANY($1::text[])
                   THEN (SELECT l.id FROM locations l WHERE l.tenant_id = u.tenant_id ORDER BY l.id LIMIT 1) END
         FROM users u`,
    [LOCATION_SCOPED],
  );
  // Everyone else's sessions, so the session lookup searches a filled index.
  await admin.query(
    `INSERT INTO sessions (tenant_id, id, user_id, token_hash, kind, idle_seconds, idle_expires_at, expires_at)
       SELECT u.tenant_id, gen_random_uuid(), u.id, sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'password', 1800,
              now() + interval '30 minutes', now() + interval '12 hours'
         FROM users u`,
  );
  const target = await admin.query<{ id: string; slug: string }>(`SELECT id, slug FROM bench_tenants WHERE i = $1`, [TARGET_TENANT]);
  await admin.query('COMMIT');
  await admin.query('ANALYZE');
  const t = target.rows[0]!;
  return { tenantId: t.id, slug: t.slug, email: `owner@${t.slug}.brigade.test` };
}

async function setRls(admin: pg.Client, on: boolean): Promise<void> {
  const sql = ROUTE_TABLES.map((t) =>
    on
      ? `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY; ALTER TABLE ${t} FORCE ROW LEVEL SECURITY;`
      : `ALTER TABLE ${t} NO FORCE ROW LEVEL SECURITY; ALTER TABLE ${t} DISABLE ROW LEVEL SECURITY;`,
  ).join('\n');
  await admin.query(sql);
}

async function signIn(port: number, host: string, email: string): Promise<string> {
  const r = await http(port, 'POST', '/api/v1/auth/sign-in', { host }, { email, password: PASSWORD });
  if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${r.body}`);
  const setCookie = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
  const session = setCookie.map((c) => c.split(';')[0]!).find((c) => c.startsWith('brigade_session='));
  if (!session) throw new Error(`sign-in set no session cookie: ${setCookie.join(' | ')}`);
  return session;
}

/** The bench measures a real answer: the signed-in tenant's own locations, whichever host the request names. */
async function checkAnswer(port: number, headers: Record<string, string>, label: string): Promise<void> {
  const r = await http(port, 'GET', ROUTE, headers);
  if (r.status !== 200) throw new Error(`${label}: GET ${ROUTE} answered ${r.status} ${r.body}`);
  const items = (JSON.parse(r.body) as { items: unknown[] }).items;
  if (items.length !== LOCATIONS_PER_TENANT) throw new Error(`${label}: expected ${LOCATIONS_PER_TENANT} locations, got ${items.length}`);
}

/** The median of each figure on its own (req/s, p50, p99, round trips, CPU), over rounds of one variant. */
function median(runs: Measured[]): Measured {
  const mid = (values: number[]) => {
    const v = [...values].sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  };
  const of = (f: (m: Measured) => number) => mid(runs.map(f));
  return {
    variant: runs[0]!.variant,
    rps: of((m) => m.rps),
    p50: of((m) => m.p50),
    p99: of((m) => m.p99),
    requests: of((m) => m.requests),
    roundTripsPerRequest: of((m) => m.roundTripsPerRequest),
    cpu: {
      server: of((m) => m.cpu.server),
      autocannon: of((m) => m.cpu.autocannon),
      postgres: of((m) => m.cpu.postgres),
      irq: of((m) => m.cpu.irq),
      other: of((m) => m.cpu.other),
    },
  };
}

function table(rows: Measured[], baseline: Measured): string {
  const head = ['variant', 'req/s', 'p50 ms', 'p99 ms', 'ratio', 'round trips/req', 'CPU ms/req', 'cores: server', 'PostgreSQL', 'autocannon', 'irq', 'other'];
  const body = rows.map((r) => [
    r.variant,
    String(Math.round(r.rps)),
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    (r.rps / baseline.rps).toFixed(2),
    r.roundTripsPerRequest.toFixed(2),
    // Server, its PostgreSQL backends and the load generator: what one request costs the machine.
    (((r.cpu.server + r.cpu.postgres + r.cpu.autocannon + r.cpu.irq) / r.rps) * 1000).toFixed(2),
    r.cpu.server.toFixed(2),
    r.cpu.postgres.toFixed(2),
    r.cpu.autocannon.toFixed(2),
    r.cpu.irq.toFixed(2),
    r.cpu.other.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  console.log(
    `Brigade request-path bench: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
      `Node ${process.version}; ${o.connections} connections, ${o.warmup} s warm-up + ${o.duration} s measured per variant; ` +
      `Brigade LOG_LEVEL=${o.logLevel}, DB_POOL_SIZE=${o.poolSize ?? 'default'}`,
  );
  await recreateDatabase();
  await migrateDatabase();
  const admin = new pg.Client({ connectionString: dbUrl(DB_NAME) });
  await admin.connect();
  const started = Date.now();
  const target = await seed(admin);
  const version = (await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]!.v;
  console.log(`Seeded ${TENANTS} tenants in ${Date.now() - started} ms on PostgreSQL ${version}; requests are made as ${target.email}`);

  const tenantHost = `${target.slug}.localhost`;
  const rounds: { baseline: Measured[]; rls: Measured[]; noRls: Measured[] } = { baseline: [], rls: [], noRls: [] };
  const extra: Measured[] = [];
  const app = await Server.start({ kind: 'brigade', logLevel: o.logLevel, poolSize: o.poolSize }, o.cpuProfileDir);
  try {
    const cookie = await signIn(app.port, tenantHost, target.email);
    await checkAnswer(app.port, { host: tenantHost, cookie }, 'tenant host');
    await checkAnswer(app.port, { host: 'localhost', cookie }, 'bare localhost');
    const asOwner = { host: tenantHost, cookie };
    const bare = await Server.start({ kind: 'baseline', tenantId: target.tenantId, poolSize: app.poolSize });
    try {
      await checkAnswer(bare.port, {}, 'baseline');
      // One load at a time; each round measures the baseline, Brigade with row-level security, and Brigade without it.
      // The two Brigade variants run on one server, so the one measured second meets a warmer process: they take
      // turns going first, round by round, or the RLS cost would carry the warm-up's difference.
      const withRls = async () => rounds.rls.push(await measure('Brigade (forced RLS)', app, admin, ROUTE, asOwner, o));
      const withoutRls = async () => {
        await setRls(admin, false);
        try {
          rounds.noRls.push(await measure('Brigade, RLS off', app, admin, ROUTE, asOwner, o));
        } finally {
          await setRls(admin, true);
        }
      };
      for (let round = 1; round <= o.rounds; round++) {
        console.log(`round ${round} of ${o.rounds}`);
        rounds.baseline.push(await measure('baseline: node:http + pg', bare, admin, ROUTE, {}, o));
        if (round % 2 === 1) {
          await withRls();
          await withoutRls();
        } else {
          await withoutRls();
          await withRls();
        }
      }
    } finally {
      await bare.stop();
    }
    if (o.diagnose) {
      console.log('diagnostics');
      extra.push(await measure('Brigade, Host: localhost', app, admin, ROUTE, { host: 'localhost', cookie }, o));
      extra.push(await measure('Brigade GET /healthz (no DB)', app, admin, '/healthz', {}, o));
      // Latency with few callers: at 64 busy connections the latency is mostly queueing (64 / throughput).
      extra.push(await measure(`Brigade, ${FEW} connections`, app, admin, ROUTE, asOwner, o, FEW));
      const bare2 = await Server.start({ kind: 'baseline', tenantId: target.tenantId, poolSize: app.poolSize });
      try {
        extra.push(await measure(`baseline, ${FEW} connections`, bare2, admin, ROUTE, {}, o, FEW));
      } finally {
        await bare2.stop();
      }
      // Each level on a fresh server of its own, so that they compare with one another.
      for (const level of ['warn', 'info', 'silent'] as const) {
        const s = await Server.start({ kind: 'brigade', logLevel: level, poolSize: o.poolSize });
        try {
          extra.push(await measure(`Brigade, fresh server, LOG_LEVEL=${level}`, s, admin, ROUTE, asOwner, o));
        } finally {
          await s.stop();
        }
      }
    }
  } finally {
    await app.stop();
    await admin.end();
    if (!o.keepDb) await dropDatabase();
  }

  const baseline = median(rounds.baseline);
  const withRls = median(rounds.rls);
  const withoutRls = median(rounds.noRls);
  console.log(`\n${o.rounds > 1 ? `Median of ${o.rounds} rounds (each column on its own):\n` : ''}${table([baseline, withRls, withoutRls, ...extra], baseline)}\n`);
  const ratio = withRls.rps / baseline.rps;
  const rlsCost = 1 - withRls.rps / withoutRls.rps;
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(`ratio Brigade / baseline: ${ratio.toFixed(2)} (target >= 0.5: ${verdict(ratio >= 0.5)})`);
  console.log(`p99 Brigade: ${withRls.p99.toFixed(2)} ms (target <= 20 ms: ${verdict(withRls.p99 <= 20)})`);
  console.log(`RLS cost: ${(rlsCost * 100).toFixed(1)} % of req/s (target <= 10 %: ${verdict(rlsCost <= 0.1)})`);
  console.log(JSON.stringify({ date: new Date().toISOString(), logLevel: o.logLevel, connections: o.connections, duration: o.duration, rounds, extra }));
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
