import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteSpec } from '../src/core/http.ts';
import { DEVICE_PERMISSIONS, ROLE_PERMISSIONS, TENANT_ROLES, type TenantRole } from '../src/identity/permissions.ts';
import type { SeededTenant } from '../src/platform/demo.ts';
import { Client, tenantTablesOf, testApp, type TestApp } from './harness.ts';

/**
 * The cross-tenant sweep. It walks the route table the server registered (not a list kept here), so a route added
 * later is swept without editing this file. Each module says how to create its resources in `src/<module>/sweep.ts`.
 */
/** A fixture creates as the owner (`client`); `as` gives another person of the same business when the owner cannot. */
type Fixture = (ctx: { client: Client; tenant: SeededTenant; as(role: TenantRole): Promise<Client> }) => Promise<string>;
type FixtureModule = { sweepFixtures?: Record<string, Fixture> };
const fixtureModules = (
  import.meta as unknown as { glob(pattern: string, opts: { eager: true }): Record<string, FixtureModule> }
).glob('../src/*/sweep.ts', { eager: true });

const fixtures = new Map<string, Fixture>();
const duplicateFixtures: string[] = [];
for (const [file, mod] of Object.entries(fixtureModules)) {
  for (const [type, create] of Object.entries(mod.sweepFixtures ?? {})) {
    if (fixtures.has(type)) duplicateFixtures.push(`${type} (again in ${file})`);
    fixtures.set(type, create);
  }
}

interface Business {
  tenant: SeededTenant;
  host: string;
  people: Map<TenantRole, Client>;
  device?: Client;
  apiKey?: Client;
}

let t: TestApp;
let a: Business;
let b: Business;
let routes: RouteSpec[];
let fingerprintSql: string;
/** Every id that belongs to business A: the business, its people, its location and one resource of each type. */
const idsOfA = new Set<string>();

const nameOf = (spec: RouteSpec) => `${spec.method} ${spec.url}`;
const needsId = (spec: RouteSpec) => /:id(\/|$)/.test(spec.url);
const hasParams = (spec: RouteSpec) => spec.url.includes(':');

async function person(biz: Business, role: TenantRole): Promise<Client> {
  let c = biz.people.get(role);
  if (!c) {
    c = await t.as(biz.tenant, role);
    biz.people.set(role, c);
  }
  return c;
}

const ctxOf = (biz: Business, client: Client) => ({ client, tenant: biz.tenant, as: (role: TenantRole) => person(biz, role) });

/** A registered kiosk device of the business (the credential for DEVICE_PERMISSIONS). */
async function device(biz: Business): Promise<Client> {
  if (!biz.device) {
    const owner = await person(biz, 'owner');
    const r = await owner.post('/api/v1/kiosks', { location_id: biz.tenant.locationId, name: 'Sweep device' });
    if (r.statusCode !== 201) throw new Error(`registering the sweep kiosk failed: ${r.body}`);
    const c = new Client(t.app, biz.host);
    c.headers = { authorization: `Bearer ${r.json().device_token}` };
    biz.device = c;
  }
  return biz.device;
}

/** An integration of the business, holding an admin API key (the broadest role a key may have). */
async function integration(biz: Business): Promise<Client> {
  if (!biz.apiKey) {
    const owner = await person(biz, 'owner');
    const r = await owner.post('/api/v1/api-keys', { name: 'Sweep integration', role: 'admin' });
    if (r.statusCode !== 201) throw new Error(`creating the sweep API key failed: ${r.body}`);
    const c = new Client(t.app, biz.host);
    c.headers = { authorization: `Bearer ${r.json().token}` };
    biz.apiKey = c;
  }
  return biz.apiKey;
}

/** Someone in the business who holds the permission. */
async function holder(biz: Business, permission: string): Promise<Client> {
  if ((DEVICE_PERMISSIONS as readonly string[]).includes(permission)) return device(biz);
  const role = TENANT_ROLES.find((r) => (ROLE_PERMISSIONS[r] as readonly string[]).includes(permission));
  if (!role) throw new Error(`no tenant role holds ${permission}`);
  return person(biz, role);
}

/** Creates the resource a route's :id names in business A, or records that no fixture can. */
async function createInA(spec: RouteSpec, problems: string[]): Promise<string | null> {
  const create = fixtures.get(spec.resource ?? '');
  if (!create) {
    problems.push(`${nameOf(spec)}: no fixture creates "${spec.resource}"`);
    return null;
  }
  return create(ctxOf(a, await person(a, 'owner')));
}

function pathOf(spec: RouteSpec, id: string): string {
  const others = [...spec.url.matchAll(/:([A-Za-z_]\w*)/g)].map((m) => m[1]).filter((p) => p !== 'id');
  if (others.length) throw new Error(`${nameOf(spec)}: the sweep fills only :id; teach it how to fill :${others.join(', :')}`);
  return spec.url.replace(':id', id);
}

function bodyOf(spec: RouteSpec, version?: number): unknown {
  if (!spec.body) return undefined;
  if (spec.example === undefined) throw new Error(`${nameOf(spec)} takes a body but declares no example`);
  const body = structuredClone(spec.example) as unknown;
  if (version !== undefined && body && typeof body === 'object' && 'version' in body) (body as { version: number }).version = version;
  return body;
}

const call = (client: Client, spec: RouteSpec, path: string, body: unknown) => client.request(spec.method, path, body);

function codeOf(r: LightMyRequestResponse): string | undefined {
  try {
    return (r.json() as { code?: string }).code;
  } catch {
    return undefined;
  }
}

const said = (r: LightMyRequestResponse) => `${r.statusCode} ${r.body.slice(0, 300)}`;

/** The current version of a freshly created resource, read through the route that shows it, if there is one. */
async function versionOf(spec: RouteSpec, id: string): Promise<number | undefined> {
  const show = routes.find((r) => r.method === 'GET' && r.url === spec.url && r.access === 'tenant');
  if (!show || show.access !== 'tenant') return undefined;
  const r = await (await holder(a, show.permission)).get(pathOf(show, id));
  const v = r.statusCode === 200 ? (r.json() as { version?: unknown }).version : undefined;
  return typeof v === 'number' ? v : undefined;
}

/** Every row a business has, in every tenant table (session idle timestamps aside): any write shows up as a change. */
async function fingerprint(tenantId: string): Promise<Record<string, string>> {
  const rows = await t.db.admin(fingerprintSql, [tenantId]);
  return Object.fromEntries(rows.map((r) => [String(r.t), `${r.n}:${r.h}`]));
}

beforeAll(async () => {
  t = await testApp();
  const [ta, tb] = [await t.tenant(), await t.tenant()];
  a = { tenant: ta, host: `${ta.slug}.localhost`, people: new Map() };
  b = { tenant: tb, host: `${tb.slug}.localhost`, people: new Map() };
  routes = t.app.brigade.routes;

  const tables = await tenantTablesOf(t.db);
  if (!tables.includes('locations')) throw new Error('the catalog lists no tenant tables');
  // Resolving a credential touches it before the host is compared (a session's idle window, a key's last use).
  const row = `(to_jsonb(x) - 'last_seen_at' - 'idle_expires_at' - 'last_used_at')::text`;
  // The usage meter counts every call made on a business's address, refused ones too: that is metering, not acting.
  const metering: Record<string, string> = { usage_daily: ` AND x.metric <> 'api_calls'`, usage_active_users: ' AND false' };
  fingerprintSql = tables
    .map((tbl) => `SELECT '${tbl}' AS t, count(*)::int AS n, md5(coalesce(string_agg(${row}, '|' ORDER BY ${row}), '')) AS h FROM "${tbl}" x WHERE x.tenant_id = $1${metering[tbl] ?? ''}`)
    .join('\nUNION ALL ');

  idsOfA.add(ta.id).add(ta.locationId);
  for (const id of Object.values(ta.users)) idsOfA.add(id);
  for (const create of fixtures.values()) {
    idsOfA.add(await create(ctxOf(a, await person(a, 'owner'))));
    await create(ctxOf(b, await person(b, 'owner')));
  }
});
afterAll(() => t.close());

describe('the cross-tenant sweep over every registered route', () => {
  it('finds every module’s fixtures, and no resource type is created by two modules', () => {
    expect(Object.keys(fixtureModules).length).toBeGreaterThanOrEqual(2);
    expect(duplicateFixtures).toEqual([]);
    expect(routes.length).toBeGreaterThan(10);
  });

  it('every route that names a resource by :id says which, and a module knows how to create one', () => {
    const problems: string[] = [];
    for (const spec of routes.filter(needsId)) {
      if (!spec.resource) problems.push(`${nameOf(spec)} has :id but declares no resource type`);
      else if (!fixtures.has(spec.resource)) {
        problems.push(`${nameOf(spec)} names resource "${spec.resource}" but no src/*/sweep.ts creates one: add it to that module's sweepFixtures`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('another business’s resource answers 404 exactly like one that does not exist, and nothing of the owner’s changes', async () => {
    const problems: string[] = [];
    const swept = routes.filter((s) => s.access === 'tenant' && needsId(s));
    expect(swept.length).toBeGreaterThan(0);
    for (const spec of swept) {
      if (spec.access !== 'tenant') continue;
      const id = await createInA(spec, problems);
      if (!id) continue;
      const body = bodyOf(spec, await versionOf(spec, id));
      const outsider = await holder(b, spec.permission);
      const before = await fingerprint(a.tenant.id);
      const foreign = await call(outsider, spec, pathOf(spec, id), body);
      const missing = await call(outsider, spec, pathOf(spec, randomUUID()), body);
      const after = await fingerprint(a.tenant.id);
      if (foreign.statusCode !== 404) problems.push(`${nameOf(spec)}: another business got ${said(foreign)}`);
      if (missing.statusCode !== 404 || codeOf(missing) !== codeOf(foreign)) {
        problems.push(`${nameOf(spec)}: another business's resource answers ${said(foreign)}, a missing one ${said(missing)}`);
      }
      if (JSON.stringify(after) !== JSON.stringify(before)) problems.push(`${nameOf(spec)}: business A's data changed after B's call`);
      // The same call by the business itself works, so the 404 above is about the tenant and not a broken request.
      const own = await call(await holder(a, spec.permission), spec, pathOf(spec, id), body);
      if (own.statusCode >= 300) problems.push(`${nameOf(spec)}: the business's own call failed: ${said(own)}`);
    }
    expect(problems).toEqual([]);
  });

  it('people of the business without the permission get 403 on every resource route, and nothing changes', async () => {
    const problems: string[] = [];
    let refused = 0;
    for (const spec of routes.filter((s) => s.access === 'tenant' && needsId(s))) {
      if (spec.access !== 'tenant') continue;
      const lacking = TENANT_ROLES.filter((r) => !(ROLE_PERMISSIONS[r] as readonly string[]).includes(spec.permission));
      // When every tenant role holds the permission (GET /locations/:id needs org.location.read, which all hold)
      // there is nobody inside the business to refuse; the 404 sweep above still covers the route.
      if (lacking.length === 0) continue;
      const id = await createInA(spec, problems);
      if (!id) continue;
      const body = bodyOf(spec, await versionOf(spec, id));
      const people = await Promise.all(lacking.map((role) => person(a, role)));
      const before = await fingerprint(a.tenant.id);
      for (const [i, role] of lacking.entries()) {
        const r = await call(people[i]!, spec, pathOf(spec, id), body);
        if (r.statusCode !== 403 || codeOf(r) !== 'forbidden') problems.push(`${nameOf(spec)}: ${role} without ${spec.permission} got ${said(r)}`);
        refused++;
      }
      if (JSON.stringify(await fingerprint(a.tenant.id)) !== JSON.stringify(before)) problems.push(`${nameOf(spec)}: refused calls changed data`);
    }
    expect(problems).toEqual([]);
    expect(refused).toBeGreaterThan(0);
  });

  it('lists never show another business’s rows', async () => {
    const problems: string[] = [];
    // Cross-tenant reads (the business switcher) are lists too: B's people must not see A in them either.
    const lists = routes.filter((s) => (s.access === 'tenant' || s.access === 'tenant_cross') && s.method === 'GET' && !hasParams(s));
    expect(lists.length).toBeGreaterThan(3);
    let ownSeen = 0;
    for (const spec of lists) {
      if (spec.access !== 'tenant' && spec.access !== 'tenant_cross') continue;
      const r = await (await holder(b, spec.permission)).get(spec.url);
      if (r.statusCode !== 200) {
        problems.push(`${nameOf(spec)}: business B got ${said(r)}`);
        continue;
      }
      const leaked = [...idsOfA].filter((id) => r.body.includes(id));
      if (leaked.length) problems.push(`${nameOf(spec)}: business B sees ids of business A: ${leaked.join(', ')}`);
      // The same list for business A does show A's ids somewhere, so the search above can find them.
      const own = await (await holder(a, spec.permission)).get(spec.url);
      if (own.statusCode !== 200) problems.push(`${nameOf(spec)}: business A got ${said(own)}`);
      if ([...idsOfA].some((id) => own.body.includes(id))) ownSeen++;
    }
    expect(problems).toEqual([]);
    expect(ownSeen).toBeGreaterThan(2);
  });

  it('a body that names tenant_id is refused on every route that takes a body, and nothing is written', async () => {
    const problems: string[] = [];
    // A route that declares no body takes none (or {}): it is in the sweep too, with tenant_id its only field.
    const writes = routes.filter((s) => s.method !== 'GET' && !s.bodyIsFile);
    expect(writes.length).toBeGreaterThan(5);
    const platform = await t.platformAdmin();
    for (const spec of writes) {
      if (spec.body && spec.example === undefined) {
        problems.push(`${nameOf(spec)} takes a body but declares no example`);
        continue;
      }
      const valid = spec.body ? (spec.body as { safeParse(v: unknown): { success: boolean } }).safeParse(spec.example) : { success: true };
      if (!valid.success) problems.push(`${nameOf(spec)}: its example is not a valid body`);
      const client =
        spec.access === 'tenant'
          ? await holder(a, spec.permission)
          : spec.access === 'public'
            ? t.anonymous(a.tenant)
            : spec.access === 'platform'
              ? platform
              : t.anonymous(null);
      const before = [await fingerprint(a.tenant.id), await fingerprint(b.tenant.id)];
      const r = await call(client, spec, pathOf(spec, randomUUID()), { ...((bodyOf(spec) ?? {}) as object), tenant_id: b.tenant.id });
      const after = [await fingerprint(a.tenant.id), await fingerprint(b.tenant.id)];
      const fields = r.statusCode === 400 ? ((r.json() as { errors?: { field: string }[] }).errors ?? []).map((e) => e.field) : [];
      if (r.statusCode !== 400 || !fields.includes('body.tenant_id')) problems.push(`${nameOf(spec)}: a body with tenant_id got ${said(r)}`);
      if (JSON.stringify(after) !== JSON.stringify(before)) problems.push(`${nameOf(spec)}: a refused body still wrote something`);
    }
    expect(problems).toEqual([]);
  });

  it('a query string that names tenant_id is refused on every route that reads, and answers nothing', async () => {
    const problems: string[] = [];
    // The operator's lists that filter by business declare tenant_id themselves; every other read must refuse it.
    const declares = (spec: RouteSpec) => Boolean((spec.query as { shape?: Record<string, unknown> } | undefined)?.shape?.tenant_id);
    const reads = routes.filter((s) => s.method === 'GET' && !declares(s));
    expect(reads.length).toBeGreaterThan(10);
    const platform = await t.platformAdmin();
    for (const spec of reads) {
      const client =
        spec.access === 'tenant' || spec.access === 'tenant_cross' ? await holder(a, spec.permission) : spec.access === 'public' ? t.anonymous(a.tenant) : spec.access === 'platform' ? platform : t.anonymous(null);
      const r = await client.get(`${pathOf(spec, randomUUID())}?tenant_id=${b.tenant.id}`);
      const fields = r.statusCode === 400 ? ((r.json() as { errors?: { field: string }[] }).errors ?? []).map((e) => e.field) : [];
      if (r.statusCode !== 400 || !fields.some((f) => /^querystring\b.*tenant_id/.test(f))) problems.push(`${nameOf(spec)}: ?tenant_id= got ${said(r)}`);
      if (r.body.includes(b.tenant.id) && r.statusCode !== 400) problems.push(`${nameOf(spec)}: answered with business B's id`);
    }
    expect(problems).toEqual([]);
  });

  it('a credential of one business is refused on another business’s address, on every tenant route', async () => {
    const problems: string[] = [];
    const tenantRoutes = routes.filter((s) => s.access === 'tenant' || s.access === 'tenant_cross');
    const owner = await person(a, 'owner');
    const kiosk = await device(a);
    const key = await integration(a);
    const before = [await fingerprint(a.tenant.id), await fingerprint(b.tenant.id)];
    for (const spec of tenantRoutes) {
      const path = pathOf(spec, randomUUID());
      const body = bodyOf(spec);
      const tries: [string, Client, string][] = [
        [`A's owner on ${b.host}`, owner.onHost(b.host), path],
        [`A's kiosk on ${b.host}`, kiosk.onHost(b.host), path],
        [`A's API key on ${b.host}`, key.onHost(b.host), path],
        [`A's owner on /t/${b.tenant.slug}`, owner.onHost('localhost'), `/t/${b.tenant.slug}${path}`],
      ];
      for (const [who, client, url] of tries) {
        const r = await call(client, spec, url, body);
        if (r.statusCode !== 401 || codeOf(r) !== 'credential_not_for_this_tenant') problems.push(`${nameOf(spec)}: ${who} got ${said(r)}`);
      }
    }
    const after = [await fingerprint(a.tenant.id), await fingerprint(b.tenant.id)];
    expect(problems).toEqual([]);
    expect(after).toEqual(before);
  });

  it('public routes on another business’s address answer as they would anyone, and touch nothing of the caller’s business', async () => {
    const problems: string[] = [];
    const publicRoutes = routes.filter((s) => s.access === 'public');
    expect(publicRoutes.length).toBeGreaterThan(0);
    const owner = await person(a, 'owner');
    for (const spec of publicRoutes) {
      const path = pathOf(spec, randomUUID());
      const body = bodyOf(spec);
      const before = await fingerprint(a.tenant.id);
      const carried = await call(owner.onHost(b.host), spec, path, body);
      const anonymous = await call(t.anonymous(b.tenant), spec, path, body);
      if (carried.statusCode !== anonymous.statusCode || codeOf(carried) !== codeOf(anonymous)) {
        problems.push(`${nameOf(spec)}: with A's credential ${said(carried)}, without ${said(anonymous)}`);
      }
      if (JSON.stringify(await fingerprint(a.tenant.id)) !== JSON.stringify(before)) problems.push(`${nameOf(spec)}: acted in business A`);
    }
    expect(problems).toEqual([]);
  });

  it('a public resource of one business (a guest’s entry token, a queue) is worthless on another business’s address', async () => {
    const problems: string[] = [];
    const swept = routes.filter((s) => s.access === 'public' && needsId(s));
    for (const spec of swept) {
      const create = fixtures.get(spec.resource ?? '');
      if (!create) {
        problems.push(`${nameOf(spec)}: no fixture creates "${spec.resource}"`);
        continue;
      }
      const id = await create(ctxOf(a, await person(a, 'owner')));
      const body = bodyOf(spec);
      const before = await fingerprint(a.tenant.id);
      const foreign = await call(t.anonymous(b.tenant), spec, pathOf(spec, id), body);
      const missing = await call(t.anonymous(b.tenant), spec, pathOf(spec, randomUUID()), body);
      if (foreign.statusCode !== 404 || codeOf(foreign) !== codeOf(missing)) {
        problems.push(`${nameOf(spec)}: on B's address A's resource got ${said(foreign)}, a missing one ${said(missing)}`);
      }
      if (JSON.stringify(await fingerprint(a.tenant.id)) !== JSON.stringify(before)) problems.push(`${nameOf(spec)}: acted in business A from B's address`);
      const own = await call(t.anonymous(a.tenant), spec, pathOf(spec, id), body);
      if (own.statusCode >= 300) problems.push(`${nameOf(spec)}: on A's own address it failed: ${said(own)}`);
    }
    expect(problems).toEqual([]);
    expect(swept.length).toBeGreaterThan(0);
  });

  it('platform routes refuse every tenant role and kiosk, and admit the platform operator', async () => {
    const problems: string[] = [];
    // Signing out ends the operator's session, so it is called last.
    const platformRoutes = routes
      .filter((s) => s.access === 'platform')
      .sort((x, y) => Number(x.url === '/api/v1/platform/auth/sign-out') - Number(y.url === '/api/v1/platform/auth/sign-out'));
    expect(platformRoutes.length).toBeGreaterThan(0);
    const operator = await t.platformAdmin();
    const callers: [string, Client][] = [[`A's kiosk`, await device(a)]];
    for (const role of TENANT_ROLES) {
      const c = await person(a, role);
      callers.push([`A's ${role}`, c], [`A's ${role} on localhost`, c.onHost('localhost')]);
    }
    for (const spec of platformRoutes) {
      const path = pathOf(spec, randomUUID());
      const body = bodyOf(spec);
      for (const [who, client] of callers) {
        const r = await call(client, spec, path, body);
        if (r.statusCode !== 401 && r.statusCode !== 403) problems.push(`${nameOf(spec)}: ${who} got ${said(r)}`);
      }
      const r = await call(operator, spec, path, body);
      if (r.statusCode === 401 || r.statusCode === 403) problems.push(`${nameOf(spec)}: the platform operator was refused: ${said(r)}`);
    }
    expect(problems).toEqual([]);
  });
});
