import { openSupportSession } from '../src/identity/support.ts';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgDriver, type Driver } from '../src/core/db/driver.ts';
import { ROLES } from '../src/core/db/migrate.ts';
import { notify } from '../src/core/notifications.ts';
import { createDatabase, type Database } from '../src/core/db/tx.ts';
import type { SeededTenant } from '../src/platform/demo.ts';
import { tenantTablesOf, testApp, type TestApp } from './harness.ts';

/**
 * Tenant isolation at the database: the catalog says every tenant table is fenced, the runtime role cannot see or
 * write across the fence even with raw SQL, and a pooled connection forgets the tenant when its transaction ends.
 * Every tenant table is found in the catalog, so a table added later is checked without editing this file.
 */

/** Tables without tenant_id. A new one must be added here on purpose, so a tenant table cannot forget its tenant_id. */
const PLATFORM_TABLES = [
  'plans', 'platform_audit_log', 'platform_idempotency_keys', 'platform_recovery_codes', 'platform_sessions', 'platform_settings', 'platform_sign_in_challenges', 'platform_totp', 'platform_users',
  'rate_limit_counters', 'schema_migrations', 'sign_ups', 'tenant_status_changes', 'tenants',
];

const SYSTEM = { type: 'system' as const, id: null, label: 'isolation-test' };

let t: TestApp;
let db: Database;
let a: SeededTenant;
let b: SeededTenant;
/** Every table in schema public with a tenant_id column, from the catalog. */
let tenantTables: string[];

const ident = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unexpected table name ${name}`);
  return `"${name}"`;
};

/** Fills the tenant's tables, through the API where a route writes them: a session, a kiosk, an invitation (mail, job), a password reset, an idempotent create. */
async function populate(tenant: SeededTenant) {
  const owner = await t.as(tenant, 'owner');
  const expectStatus = (r: { statusCode: number; body: string }, status: number, what: string) => {
    if (r.statusCode !== status) throw new Error(`${what}: ${r.statusCode} ${r.body}`);
  };
  expectStatus(await owner.post('/api/v1/kiosks', { location_id: tenant.locationId, name: 'Bar tablet' }), 201, 'kiosk');
  expectStatus(await owner.post('/api/v1/api-keys', { name: 'POS integration', role: 'auditor' }), 201, 'API key');
  expectStatus(await owner.post('/api/v1/invitations', { email: `new-${tenant.slug}@example.com`, role: 'auditor' }), 201, 'invitation');
  expectStatus(await owner.post('/api/v1/locations', { name: 'Pier', time_zone: 'UTC' }, { 'idempotency-key': 'iso-pier' }), 201, 'location');
  expectStatus(await t.anonymous(tenant).post('/api/v1/auth/password-reset', { email: `staff@${tenant.slug}.brigade.test` }), 202, 'reset');
  // Cash: rules for the business and a location, a drawer with a movement and a count, a closed day.
  const rules = (await owner.get('/api/v1/cash/settings')).json();
  const { denominations, default_float, variance_tolerance, approval_required, deadline, blind_counts } = rules;
  expectStatus(await owner.put('/api/v1/cash/settings', { denominations, default_float, variance_tolerance, approval_required, deadline, blind_counts }), 200, 'cash rules');
  expectStatus(
    await owner.put(`/api/v1/cash/locations/${tenant.locationId}/settings`, { denominations: null, default_float: null, variance_tolerance: 100, approval_required: null, deadline: null, blind_counts: null }),
    200,
    'location cash rules',
  );
  const register = (await owner.get('/api/v1/cash/registers')).json().items[0].id;
  const drawer = await owner.post(`/api/v1/cash/registers/${register}/drawers`, { opening_count: [{ value: 2000, quantity: 5 }] });
  expectStatus(drawer, 201, 'drawer');
  expectStatus(await owner.post(`/api/v1/cash/drawers/${drawer.json().id}/movements`, { kind: 'cash_sale', amount: 1000 }), 201, 'movement');
  expectStatus(await owner.post(`/api/v1/cash/drawers/${drawer.json().id}/count`, { lines: [{ value: 2000, quantity: 5 }, { value: 1000, quantity: 1 }] }), 201, 'count');
  expectStatus(await owner.post(`/api/v1/cash/locations/${tenant.locationId}/day-closes`, { business_date: drawer.json().business_date }), 201, 'day close');
  // Notifications come from jobs (the cash deadline); here one is written by the same function the job uses.
  await t.app.brigade.db.withTenant(tenant.id, SYSTEM, 'write', (tx) => notify(tx, { userId: tenant.users.manager, kind: 'test', title: 'Hello', body: 'A notification' }));
  // Waitlist and the core tables it brought (events, usage): one row in each, written directly, so the fence is checked
  // on rows that are there whichever of these tables the waitlist routes happen to write.
  await t.app.brigade.db.withTenant(tenant.id, SYSTEM, 'write', async (tx) => {
    const queue = randomUUID();
    const entry = randomUUID();
    await tx.query(`INSERT INTO waitlist_settings (tenant_id) VALUES ($1)`, [tenant.id]);
    await tx.query(`INSERT INTO waitlist_queues (tenant_id, id, location_id, name) VALUES ($1, $2, $3, 'Terrace')`, [tenant.id, queue, tenant.locationId]);
    await tx.query(
      `INSERT INTO waitlist_entries (tenant_id, id, queue_id, location_id, token_hash, name, phone, party_size, source, status, position, position_at_join, business_date)
       VALUES ($1, $2, $3, $4, sha256(convert_to($5, 'UTF8')), 'Morgan', '+447700900123', 2, 'guest', 'waiting', 1, 1, current_date)`,
      [tenant.id, entry, queue, tenant.locationId, randomUUID()],
    );
    await tx.query(`INSERT INTO waitlist_messages (tenant_id, id, entry_id, sender, body) VALUES ($1, $2, $3, 'guest', 'Can we sit outside?')`, [tenant.id, randomUUID(), entry]);
    await tx.query(
      `INSERT INTO waitlist_deliveries (tenant_id, id, entry_id, channel, kind, to_address, body) VALUES ($1, $2, $3, 'sms', 'joined', '+447700900123', 'You are on the list')`,
      [tenant.id, randomUUID(), entry],
    );
    await tx.query(`INSERT INTO realtime_events (tenant_id, channel, type, data) VALUES ($1, $2, 'entry.changed', '{}')`, [tenant.id, `queue:${queue}`]);
    await tx.query(`INSERT INTO usage_daily (tenant_id, day, metric, value) VALUES ($1, current_date, 'messages_sent', 1)`, [tenant.id]);
  });
  // A stored file (the logo), uploaded as the image itself.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
  expectStatus(await owner.request('PUT', '/api/v1/settings/logo', png, { 'content-type': 'image/png' }), 200, 'logo');
  // Support access: the owner's grant, and a session opened under it (the operator's side runs as the tenant too).
  expectStatus(await owner.put('/api/v1/support-access', { hours: 1 }), 200, 'support grant');
  await t.app.brigade.db.withTenant(tenant.id, SYSTEM, 'write', (tx) => openSupportSession(tx, { id: randomUUID(), label: 'op@brigade.test' }, 'isolation test', 10));
  // Written on the platform path: a cancelled business's export link, and the usage meter's active people.
  await t.app.brigade.db.withPlatform(SYSTEM, async (tx) => {
    await tx.query(`INSERT INTO tenant_exports (tenant_id, id, token_hash, expires_at) VALUES ($1, $2, sha256(convert_to($3, 'UTF8')), now() + interval '30 days')`, [
      tenant.id,
      randomUUID(),
      randomUUID(),
    ]);
    await tx.query(`INSERT INTO usage_active_users (tenant_id, day, user_id) VALUES ($1, current_date, $2) ON CONFLICT DO NOTHING`, [tenant.id, tenant.users.owner]);
  });
}

async function rowsPerTenant(): Promise<Map<string, Map<string, number>>> {
  const sql = tenantTables.map((tbl) => `SELECT '${tbl}' AS t, tenant_id::text AS tenant, count(*)::int AS n FROM ${ident(tbl)} GROUP BY tenant_id`).join(' UNION ALL ');
  const out = new Map<string, Map<string, number>>(tenantTables.map((tbl) => [tbl, new Map()]));
  for (const r of await t.db.admin(sql)) out.get(String(r.t))!.set(String(r.tenant), Number(r.n));
  return out;
}

/** Runs fn in a write transaction of `tenantId` and reports how the database refused it, or null if it did not. */
async function refusal(tenantId: string, fn: (q: (sql: string, params?: unknown[]) => Promise<unknown[]>) => Promise<unknown>) {
  try {
    await db.withTenant(tenantId, SYSTEM, 'write', (tx) => fn((sql, params) => tx.query(sql, params)));
    return null;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { code: e.code, message: e.message ?? '' };
  }
}

beforeAll(async () => {
  t = await testApp();
  db = createDatabase(t.db.driver);
  a = await t.tenant();
  b = await t.tenant();
  await populate(a);
  await populate(b);
  await t.app.brigade.jobs.drain();
  tenantTables = await tenantTablesOf(t.db);
});
afterAll(() => t.close());

describe('(a) the schema fences every tenant table', () => {
  it('finds the tenant tables in the catalog, and every other table is a known platform table', async () => {
    expect(tenantTables).toEqual(expect.arrayContaining(['locations', 'users', 'sessions', 'audit_log']));
    const all = (await t.db.admin(`SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`)).map((r) => String(r.name));
    expect(all.filter((tbl) => !tenantTables.includes(tbl))).toEqual(PLATFORM_TABLES);
  });

  it('every tenant table has tenant_id uuid not null and row-level security enabled and forced', async () => {
    const rows = await t.db.admin(
      `SELECT c.relname AS t, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
        WHERE c.relname = ANY($1) ORDER BY 1`,
      [tenantTables],
    );
    const bad = rows.filter((r) => !r.rls || !r.forced || r.type !== 'uuid' || !r.not_null);
    expect(bad).toEqual([]);
    expect(rows).toHaveLength(tenantTables.length);
  });

  it('every tenant table has the tenant policy on app.tenant_id, and no policy that lets other rows through', async () => {
    const [fn] = await t.db.admin(`SELECT pg_get_functiondef('current_tenant_id()'::regprocedure) AS def`);
    expect(String(fn?.def)).toContain(`current_setting('app.tenant_id', true)`);
    const policies = await t.db.admin(`SELECT tablename AS t, policyname, permissive, cmd, qual, with_check FROM pg_policies WHERE schemaname = 'public'`);
    const fenced = (expr: unknown) => typeof expr === 'string' && /\btenant_id = current_tenant_id\(\)/.test(expr);
    const problems: string[] = [];
    for (const tbl of tenantTables) {
      const own = policies.filter((p) => p.t === tbl);
      if (!own.some((p) => p.cmd === 'ALL' && fenced(p.qual) && (p.with_check === null || fenced(p.with_check)))) {
        problems.push(`${tbl}: no policy for all commands on tenant_id = current_tenant_id()`);
      }
      // Permissive policies are OR-ed: one that is not fenced opens the table.
      for (const p of own.filter((x) => x.permissive === 'PERMISSIVE')) {
        if ((p.qual !== null && !fenced(p.qual)) || (p.with_check !== null && !fenced(p.with_check))) problems.push(`${tbl}: policy ${p.policyname} is not fenced by tenant`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every primary key and every index leads with tenant_id', async () => {
    const rows = await t.db.admin(
      `SELECT c.relname AS t, ic.relname AS index, i.indisprimary AS primary, i.indkey[0] = a.attnum AS leads
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
        WHERE c.relname = ANY($1)`,
      [tenantTables],
    );
    expect(rows.filter((r) => !r.leads).map((r) => `${r.t}.${r.index}`)).toEqual([]);
    const withPk = new Set(rows.filter((r) => r.primary).map((r) => String(r.t)));
    expect(tenantTables.filter((tbl) => !withPk.has(tbl))).toEqual([]);
  });

  it('every foreign key from or to a tenant table carries tenant_id', async () => {
    const rows = await t.db.admin(
      `SELECT c.conname, c.conrelid::regclass::text AS from_table, c.confrelid::regclass::text AS to_table,
              fa.attnum = ANY(c.conkey) AS from_has_tenant, ta.attnum = ANY(c.confkey) AS to_has_tenant
         FROM pg_constraint c
         LEFT JOIN pg_attribute fa ON fa.attrelid = c.conrelid AND fa.attname = 'tenant_id'
         LEFT JOIN pg_attribute ta ON ta.attrelid = c.confrelid AND ta.attname = 'tenant_id'
        WHERE c.contype = 'f' AND (c.conrelid::regclass::text = ANY($1) OR c.confrelid::regclass::text = ANY($1))`,
      [tenantTables],
    );
    expect(rows.length).toBeGreaterThan(3);
    const bad = rows.filter((r) => (tenantTables.includes(String(r.from_table)) && !r.from_has_tenant) || (tenantTables.includes(String(r.to_table)) && !r.to_has_tenant));
    expect(bad.map((r) => `${r.from_table}.${r.conname}`)).toEqual([]);
  });

  it('the runtime role owns nothing, is no superuser and cannot bypass row-level security', async () => {
    const [role] = await t.db.admin(`SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1`, [ROLES.app]);
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false });
    const owned = await t.db.admin(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = $1`,
      [ROLES.app],
    );
    expect(owned).toEqual([]);
    const conn = await t.db.driver.acquire();
    try {
      const { rows } = await conn.query<{ u: string }>('SELECT current_user AS u');
      expect(rows[0]?.u).toBe(ROLES.app);
    } finally {
      conn.release();
    }
  });
});

describe('(b) raw SQL as the runtime role stays inside its tenant', () => {
  it('both businesses have rows in every tenant table, so the checks below are not checking empty tables', async () => {
    const counts = await rowsPerTenant();
    const empty = tenantTables.flatMap((tbl) =>
      [a, b].filter((x) => !counts.get(tbl)!.get(x.id)).map((x) => `${tbl} has no rows of ${x.slug}: seed it in populate()`),
    );
    expect(empty).toEqual([]);
  });

  it('inside business A’s transaction, SELECT * from every tenant table returns only A’s rows', async () => {
    for (const mode of ['read', 'write'] as const) {
      const seen = await db.withTenant(a.id, SYSTEM, mode, async (tx) => {
        const out: Record<string, string[]> = {};
        for (const tbl of tenantTables) {
          const rows = await tx.query<{ tenant_id: string }>(`SELECT * FROM ${ident(tbl)}`);
          out[tbl] = [...new Set(rows.map((r) => r.tenant_id))];
        }
        return out;
      });
      expect(seen, mode).toEqual(Object.fromEntries(tenantTables.map((tbl) => [tbl, [a.id]])));
    }
  });

  it('a row carrying business B’s tenant_id cannot be inserted from A’s transaction, in any tenant table', async () => {
    const problems: string[] = [];
    for (const tbl of tenantTables) {
      const [sample] = await t.db.admin(`SELECT to_jsonb(x) AS row FROM ${ident(tbl)} x WHERE tenant_id = $1 LIMIT 1`, [b.id]);
      // B's own row, as it is: the fence must refuse it before any unique key could. OVERRIDING SYSTEM VALUE keeps
      // its generated sequence (realtime_events.seq), which would otherwise be refused before the fence is reached.
      const r = await refusal(a.id, (q) =>
        q(`INSERT INTO ${ident(tbl)} OVERRIDING SYSTEM VALUE SELECT * FROM jsonb_populate_record(NULL::${ident(tbl)}, $1::jsonb)`, [JSON.stringify(sample!.row)]),
      );
      if (r?.code !== '42501' || !/row-level security|permission denied/.test(r.message)) problems.push(`${tbl}: ${JSON.stringify(r)}`);
    }
    expect(problems).toEqual([]);
    // Where the runtime role may insert at all, it is the tenant policy that refuses.
    const r = await refusal(a.id, (q) => q(`INSERT INTO locations (tenant_id, id, name, time_zone) VALUES ($1, $2, 'Smuggled', 'UTC')`, [b.id, randomUUID()]));
    expect(r?.code).toBe('42501');
    expect(r?.message).toMatch(/new row violates row-level security policy for table "locations"/);
  });

  it('A’s transaction can neither move its rows to B nor change or delete B’s rows', async () => {
    const before = await rowsPerTenant();
    const problems: string[] = [];
    for (const tbl of tenantTables) {
      const moved = await refusal(a.id, (q) => q(`UPDATE ${ident(tbl)} SET tenant_id = $1`, [b.id]));
      if (moved?.code !== '42501') problems.push(`${tbl}: moving rows to B was not refused: ${JSON.stringify(moved)}`);
      for (const sql of [`UPDATE ${ident(tbl)} SET tenant_id = tenant_id WHERE tenant_id = $1 RETURNING 1`, `DELETE FROM ${ident(tbl)} WHERE tenant_id = $1 RETURNING 1`]) {
        let touched = -1;
        const r = await refusal(a.id, async (q) => {
          touched = (await q(sql, [b.id])).length;
          throw Object.assign(new Error('roll back'), { code: 'rollback' });
        });
        // Either the statement is not allowed at all (the audit trail is append-only) or it finds none of B's rows.
        if (!(r?.code === '42501' || (r?.code === 'rollback' && touched === 0))) problems.push(`${tbl}: ${sql.split(' ')[0]} reached ${touched} of B's rows`);
      }
    }
    expect(problems).toEqual([]);
    expect(await rowsPerTenant()).toEqual(before);
  });

  it('a tenant transaction cannot read platform accounts or change any business’s record', async () => {
    // The tables the runtime role reaches beyond its own business's rows: none of them names a person or a secret.
    const granted = await t.db.admin(
      `SELECT c.relname || ' ' || p.priv AS grant FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public',
              unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) AS p(priv)
        WHERE c.relname = ANY($2) AND has_table_privilege($1, c.oid, p.priv) ORDER BY 1`,
      [ROLES.app, PLATFORM_TABLES],
    );
    // Not even the shared counters, keyed by other businesses' visitors: those it may only count through a function.
    expect(granted.map((r) => r.grant)).toEqual(['schema_migrations SELECT', 'tenants SELECT']);
    for (const sql of [`SELECT password_hash FROM platform_users`, `SELECT token_hash FROM platform_sessions`, `UPDATE tenants SET status = 'active' WHERE id = '${b.id}'`]) {
      const r = await refusal(a.id, (q) => q(sql));
      expect(r?.code, sql).toBe('42501');
    }
    // Of the businesses' own records, a transaction sees its own business's only.
    const seen = await db.withTenant(a.id, SYSTEM, 'read', (tx) => tx.query<{ id: string }>('SELECT id FROM tenants'));
    expect(seen.map((r) => r.id)).toEqual([a.id]);
  });

  // PGlite is one session logged in as a superuser, which may take any role: it is the one-machine database (README).
  it.runIf(process.env.DATABASE_URL)('a tenant transaction cannot become another role: not the platform’s, the owner’s or a superuser’s', async () => {
    expect(t.db.kind).toBe('pg');
    const [su] = await t.db.admin(`SELECT rolname FROM pg_roles WHERE rolsuper ORDER BY rolname LIMIT 1`);
    const superuser = String(su!.rolname);
    for (const sql of [
      `SET LOCAL ROLE ${ROLES.platform}`,
      `SET ROLE ${ROLES.platform}`,
      `SELECT set_config('role', '${ROLES.platform}', true)`,
      `SET LOCAL ROLE ${ROLES.owner}`,
      `SET LOCAL ROLE ${superuser}`,
      `SET SESSION AUTHORIZATION ${superuser}`,
    ]) {
      const r = await refusal(a.id, (q) => q(sql));
      expect(r?.code, sql).toBe('42501');
    }
    // RESET ROLE goes back to the login, which is the runtime role itself: still one business's rows, no platform table.
    const seen = await db.withTenant(a.id, SYSTEM, 'write', async (tx) => {
      await tx.query('RESET ROLE');
      const [me] = await tx.query<{ u: string }>('SELECT current_user AS u');
      const [n] = await tx.query<{ n: number }>('SELECT count(DISTINCT tenant_id)::int AS n FROM locations');
      return { user: me!.u, businesses: n!.n };
    });
    expect(seen).toEqual({ user: ROLES.app, businesses: 1 });
    expect((await refusal(a.id, async (q) => q('RESET ROLE').then(() => q('SELECT 1 FROM platform_users'))))?.code).toBe('42501');
    // The platform path still works, on its own login, and runs a business's work as the runtime role under its policy.
    const roles = await db.withPlatform(SYSTEM, async (tx) => {
      const [p] = await tx.query<{ u: string; s: string }>('SELECT current_user AS u, session_user AS s');
      const inside = await tx.asTenant(b.id, async (tt) => (await tt.query<{ u: string; n: number }>('SELECT current_user AS u, count(DISTINCT tenant_id)::int AS n FROM locations GROUP BY 1'))[0]);
      return { platform: p!.u, login: p!.s, tenant: inside };
    });
    expect(roles).toEqual({ platform: ROLES.platform, login: ROLES.platform, tenant: { u: ROLES.app, n: 1 } });
  });

  it('with no tenant bound, a raw query sees nothing and writes nothing (fail closed)', async () => {
    const conn = await t.db.driver.acquire();
    try {
      const visible: Record<string, number> = {};
      for (const tbl of tenantTables) visible[tbl] = (await conn.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${ident(tbl)}`)).rows[0]!.n;
      expect(visible).toEqual(Object.fromEntries(tenantTables.map((tbl) => [tbl, 0])));
      const err = await conn
        .query(`INSERT INTO locations (tenant_id, id, name, time_zone) VALUES ($1, $2, 'Nobody''s', 'UTC')`, [a.id, randomUUID()])
        .then(() => null, (e: { code?: string }) => e);
      expect(err?.code).toBe('42501');
    } finally {
      conn.release();
    }
  });

  it('a tenant transaction without a tenant is refused before it reaches the database (fail closed)', async () => {
    let ran = false;
    for (const missing of ['', 'undefined', `${a.id}' OR true --`]) {
      await expect(db.withTenant(missing, SYSTEM, 'read', async () => (ran = true))).rejects.toThrow(/tenant id must be a UUID/);
      await expect(db.withTenant(missing, SYSTEM, 'write', async () => (ran = true))).rejects.toThrow(/tenant id must be a UUID/);
    }
    expect(ran).toBe(false);
  });
});

describe('(c) a pooled connection forgets its tenant when the transaction ends', () => {
  let driver: Driver;
  let pool: Database;
  let own = false;

  beforeAll(async () => {
    if (t.db.kind === 'pg') {
      // A pool of one connection, logged in as the runtime role: every transaction below runs on the same connection.
      const [row] = await t.db.admin('SELECT current_database() AS d');
      const url = new URL(process.env.DATABASE_URL!);
      url.pathname = `/${String(row!.d)}`;
      url.username = ROLES.app;
      url.password = '';
      driver = pgDriver(url.toString(), { max: 1 });
      own = true;
    } else {
      // PGlite is one connection already.
      driver = t.db.driver;
    }
    pool = createDatabase(driver);
  });
  afterAll(async () => {
    if (own) await driver.close();
  });

  const bare = async () => {
    const conn = await driver.acquire();
    try {
      const { rows } = await conn.query<{ tenant: string | null; actor: string | null; pid: number; visible: number }>(
        `SELECT current_setting('app.tenant_id', true) AS tenant, current_setting('app.actor_id', true) AS actor,
                pg_backend_pid() AS pid, (SELECT count(*)::int FROM locations) AS visible`,
      );
      return rows[0]!;
    } finally {
      conn.release();
    }
  };
  const inside = (tx: { query: <R>(s: string) => Promise<R[]> }) =>
    tx.query<{ tenant: string; pid: number }>(`SELECT current_setting('app.tenant_id', true) AS tenant, pg_backend_pid() AS pid`).then((r) => r[0]!);
  const forgotten = (s: { tenant: string | null; actor: string | null; visible: number }) => {
    expect(s.tenant ?? '').toBe('');
    expect(s.actor ?? '').toBe('');
    expect(s.visible).toBe(0);
  };
  const actor = () => ({ type: 'user' as const, id: a.users.owner, label: 'owner' });

  it('after a read of business A, the next query on the same connection has no tenant', async () => {
    const seen = await pool.withTenant(a.id, actor(), 'read', inside);
    expect(seen.tenant).toBe(a.id);
    const after = await bare();
    expect(after.pid).toBe(seen.pid);
    forgotten(after);
  });

  it('after a committed write of business A, the next query on the same connection has no tenant', async () => {
    const seen = await pool.withTenant(a.id, actor(), 'write', async (tx) => {
      await tx.query(`UPDATE locations SET updated_at = now() WHERE id = $1`, [a.locationId]);
      return inside(tx);
    });
    expect(seen.tenant).toBe(a.id);
    const after = await bare();
    expect(after.pid).toBe(seen.pid);
    forgotten(after);
  });

  it('after a transaction that failed, in either mode, the next query on the same connection has no tenant', async () => {
    for (const mode of ['read', 'write'] as const) {
      let pid = 0;
      await expect(
        pool.withTenant(a.id, actor(), mode, async (tx) => {
          pid = (await inside(tx)).pid;
          throw new Error('the kitchen printer jammed');
        }),
      ).rejects.toThrow('the kitchen printer jammed');
      const after = await bare();
      expect(after.pid, mode).toBe(pid);
      forgotten(after);
    }
    // A statement the database refused (B's tenant_id) aborts the transaction; the tenant is still forgotten.
    await expect(
      pool.withTenant(a.id, actor(), 'write', (tx) => tx.query(`INSERT INTO locations (tenant_id, id, name, time_zone) VALUES ($1, $2, 'X', 'UTC')`, [b.id, randomUUID()])),
    ).rejects.toMatchObject({ code: '42501' });
    forgotten(await bare());
  });

  it('the next business on the same connection sees only its own rows', async () => {
    await pool.withTenant(a.id, actor(), 'write', (tx) => tx.query('SELECT 1'));
    const tenants = await pool.withTenant(b.id, SYSTEM, 'read', (tx) => tx.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM users'));
    expect(tenants).toEqual([{ tenant_id: b.id }]);
  });
});
