import type { LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteSpec } from '../src/core/http.ts';
import { DEVICE_PERMISSIONS, ROLE_PERMISSIONS } from '../src/identity/permissions.ts';
import { signIn } from '../src/identity/service.ts';
import type { SeededTenant } from '../src/platform/demo.ts';
import { Client, PASSWORD, testApp, type TestApp } from './harness.ts';

let t: TestApp;
let bistro: SeededTenant;
let owner: Client;
let kiosk: Client;
let kioskId: string;

beforeAll(async () => {
  t = await testApp();
  bistro = await t.tenant();
  owner = await t.as(bistro, 'owner');
  const registered = await owner.post('/api/v1/kiosks', { location_id: bistro.locationId, name: 'Front door tablet' });
  expect(registered.statusCode).toBe(201);
  kioskId = registered.json().kiosk.id;
  kiosk = t.anonymous(bistro);
  kiosk.headers = { authorization: `Bearer ${registered.json().device_token}` };
});
afterAll(() => t.close());

/** What a refused request must not have left behind: rows of every table a write route touches, and the audit trail. */
async function footprint(): Promise<Record<string, number>> {
  const [row] = await t.db.admin(
    `SELECT ${['locations', 'users', 'role_assignments', 'kiosks', 'invitations', 'password_resets', 'idempotency_keys', 'jobs', 'audit_log']
      .map((tbl) => `(SELECT count(*)::int FROM ${tbl} WHERE tenant_id = $1) AS ${tbl}`)
      .join(', ')},
      (SELECT count(*)::int FROM sessions WHERE tenant_id = $1 AND revoked_at IS NULL) AS live_sessions,
      (SELECT count(*)::int FROM platform_audit_log) AS platform_audit_log`,
    [bistro.id],
  );
  return row as Record<string, number>;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const cursorOf = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');

interface Case {
  name: string;
  send: () => Promise<LightMyRequestResponse>;
  status: number;
  code?: string;
  /** The field the problem must name, as `errors[].field`. */
  field?: string | RegExp;
}

let locId: string;
const cases: Case[] = [
  // malformed JSON and bodies that are not objects
  { name: 'a body cut off mid-way', send: () => owner.post('/api/v1/locations', '{"name": "Dockside", "time_zone": ', JSON_TYPE), status: 400, code: 'malformed_json', field: 'body' },
  { name: 'JSON followed by garbage', send: () => owner.post('/api/v1/locations', '{"name":"Dockside","time_zone":"UTC"} trailing', JSON_TYPE), status: 400, code: 'malformed_json', field: 'body' },
  { name: 'a __proto__ key', send: () => owner.post('/api/v1/locations', '{"name":"Dockside","time_zone":"UTC","__proto__":{"admin":true}}', JSON_TYPE), status: 400, field: 'body' },
  { name: 'an empty JSON body', send: () => owner.post('/api/v1/locations', '', JSON_TYPE), status: 400, code: 'malformed_json', field: 'body' },
  { name: 'no body at all', send: () => owner.request('POST', '/api/v1/locations'), status: 400, code: 'validation_failed', field: 'body' },
  { name: 'a JSON null', send: () => owner.post('/api/v1/locations', 'null', JSON_TYPE), status: 400, code: 'validation_failed', field: 'body' },
  { name: 'a JSON array', send: () => owner.post('/api/v1/locations', '[{"name":"Dockside","time_zone":"UTC"}]', JSON_TYPE), status: 400, code: 'validation_failed', field: 'body' },
  { name: 'a form-encoded body', send: () => owner.post('/api/v1/locations', 'name=Dockside&time_zone=UTC', { 'content-type': 'application/x-www-form-urlencoded' }), status: 415, code: 'unsupported_media_type', field: 'body' },
  { name: 'a plain-text body', send: () => owner.post('/api/v1/locations', 'Dockside', { 'content-type': 'text/plain' }), status: 400, field: 'body' },
  { name: 'JSON nested thousands deep', send: () => owner.post('/api/v1/locations', `{"name":${'['.repeat(3000)}${']'.repeat(3000)},"time_zone":"UTC"}`, JSON_TYPE), status: 400, field: 'body.name' },
  { name: 'a body over 256 KiB', send: () => owner.post('/api/v1/locations', { name: 'Dockside', time_zone: 'UTC', address: 'x'.repeat(300 * 1024) }), status: 413, code: 'body_too_large', field: 'body' },

  // wrong types
  { name: 'a number for a name', send: () => owner.post('/api/v1/locations', { name: 42, time_zone: 'UTC' }), status: 400, code: 'validation_failed', field: 'body.name' },
  { name: 'an array for a time zone', send: () => owner.post('/api/v1/locations', { name: 'Dockside', time_zone: ['UTC'] }), status: 400, code: 'validation_failed', field: 'body.time_zone' },
  { name: 'a string for a version', send: () => owner.patch(`/api/v1/locations/${locId}`, { version: '1', name: 'Dockside' }), status: 400, code: 'validation_failed', field: 'body.version' },
  { name: 'a fractional version', send: () => owner.patch(`/api/v1/locations/${locId}`, { version: 1.5 }), status: 400, code: 'validation_failed', field: 'body.version' },
  { name: 'a version of 1e308', send: () => owner.patch(`/api/v1/locations/${locId}`, { version: 1e308 }), status: 400, code: 'validation_failed', field: 'body.version' },
  { name: 'a version beyond what the database stores', send: () => owner.patch(`/api/v1/locations/${locId}`, { version: 2 ** 31, name: 'Overflow' }), status: 400, field: 'body.version' },
  { name: 'a boolean for a PIN', send: () => kiosk.post('/api/v1/auth/pin-sign-in', { user_id: bistro.users.staff, pin: true }), status: 400, code: 'validation_failed', field: 'body.pin' },
  { name: 'an object for an email', send: () => t.anonymous(bistro).post('/api/v1/auth/sign-in', { email: { $ne: null }, password: 'x' }), status: 400, code: 'validation_failed', field: 'body.email' },
  { name: 'a role that does not exist', send: () => owner.post('/api/v1/invitations', { email: 'cook@example.com', role: 'superuser' }), status: 400, code: 'validation_failed', field: 'body.role' },

  // unknown fields (mass assignment)
  { name: 'a tenant_id slipped into a new location', send: () => owner.post('/api/v1/locations', { name: 'Dockside', time_zone: 'UTC', tenant_id: '01938f5e-0000-7000-8000-000000000000' }), status: 400, code: 'validation_failed', field: 'body.tenant_id' },
  { name: 'a status slipped into an invitation', send: () => owner.post('/api/v1/invitations', { email: 'cook@example.com', role: 'admin', accepted_at: '2026-01-01T00:00:00Z' }), status: 400, code: 'validation_failed', field: 'body.accepted_at' },
  { name: 'an unknown query parameter', send: () => owner.get('/api/v1/locations?include=all'), status: 400, code: 'validation_failed', field: 'querystring.include' },

  // overlong and hostile strings
  { name: 'a 121-character location name', send: () => owner.post('/api/v1/locations', { name: 'n'.repeat(121), time_zone: 'UTC' }), status: 400, code: 'validation_failed', field: 'body.name' },
  { name: 'a 501-character address', send: () => owner.post('/api/v1/locations', { name: 'Dockside', address: 'a'.repeat(501), time_zone: 'UTC' }), status: 400, code: 'validation_failed', field: 'body.address' },
  { name: 'a 129-character password', send: () => t.anonymous(bistro).post('/api/v1/auth/sign-in', { email: `owner@${bistro.slug}.brigade.test`, password: 'p'.repeat(129) }), status: 400, code: 'validation_failed', field: 'body.password' },
  { name: 'a 300-character email', send: () => t.anonymous(bistro).post('/api/v1/auth/password-reset', { email: `${'e'.repeat(290)}@example.com` }), status: 400, code: 'validation_failed', field: 'body.email' },
  { name: 'an 81-character kiosk name', send: () => owner.post('/api/v1/kiosks', { location_id: bistro.locationId, name: 'k'.repeat(81) }), status: 400, code: 'validation_failed', field: 'body.name' },
  { name: 'a NUL byte in a name', send: () => owner.post('/api/v1/locations', { name: 'Dock\u0000side', time_zone: 'UTC' }), status: 400, code: 'validation_failed', field: 'body.name' },
  { name: 'a lone surrogate in a name', send: () => owner.post('/api/v1/locations', { name: 'Dock\uD800side', time_zone: 'UTC' }), status: 400, field: 'body.name' },
  { name: 'a time zone that does not exist', send: () => owner.post('/api/v1/locations', { name: 'Dockside', time_zone: 'Mars/Olympus_Mons' }), status: 400, code: 'validation_failed', field: 'body.time_zone' },
  { name: 'a 201-character Idempotency-Key', send: () => owner.post('/api/v1/locations', { name: 'Dockside', time_zone: 'UTC' }, { 'idempotency-key': 'k'.repeat(201) }), status: 400, field: 'header.idempotency-key' },

  // invalid UUIDs
  { name: 'a location id that is not a UUID', send: () => owner.get('/api/v1/locations/1234'), status: 400, code: 'validation_failed', field: 'params.id' },
  { name: 'SQL in a path id', send: () => owner.patch(`/api/v1/locations/${encodeURIComponent("1' OR '1'='1")}`, { version: 1 }), status: 400, code: 'validation_failed', field: 'params.id' },
  { name: 'a kiosk id that is not a UUID', send: () => owner.delete('/api/v1/kiosks/front-door'), status: 400, code: 'validation_failed', field: 'params.id' },
  { name: 'a location_id in a body that is not a UUID', send: () => owner.post('/api/v1/kiosks', { location_id: 'front-door', name: 'Bar tablet' }), status: 400, code: 'validation_failed', field: 'body.location_id' },
  { name: 'a user_id that is not a UUID on the PIN pad', send: () => kiosk.post('/api/v1/auth/pin-sign-in', { user_id: 'staff', pin: '4821' }), status: 400, code: 'validation_failed', field: 'body.user_id' },
  { name: 'a UUID that names no location', send: () => owner.post('/api/v1/kiosks', { location_id: '01938f5e-0000-7000-8000-000000000000', name: 'Ghost tablet' }), status: 400, field: 'body.location_id' },

  // page sizes and cursors
  { name: 'a page of 100000 locations', send: () => owner.get('/api/v1/locations?limit=100000'), status: 400, code: 'validation_failed', field: 'querystring.limit' },
  { name: 'a page of 100000 audit records', send: () => owner.get('/api/v1/audit?limit=100000'), status: 400, code: 'validation_failed', field: 'querystring.limit' },
  { name: 'a page of zero', send: () => owner.get('/api/v1/locations?limit=0'), status: 400, code: 'validation_failed', field: 'querystring.limit' },
  { name: 'a negative page', send: () => owner.get('/api/v1/audit?limit=-5'), status: 400, code: 'validation_failed', field: 'querystring.limit' },
  { name: 'a page size that is not a number', send: () => owner.get('/api/v1/locations?limit=lots'), status: 400, code: 'validation_failed', field: 'querystring.limit' },
  { name: 'a cursor this server never issued', send: () => owner.get('/api/v1/locations?cursor=not-a-cursor'), status: 400, field: /^query(string)?\.cursor$/ },
  { name: 'a forged cursor of the right shape', send: () => owner.get(`/api/v1/locations?cursor=${cursorOf(["' OR 1=1 --"])}`), status: 400, field: /^query(string)?\.cursor$/ },
  { name: 'an audit cursor that is not a number', send: () => owner.get('/api/v1/audit?cursor=abc'), status: 400, code: 'validation_failed', field: 'querystring.cursor' },
  { name: 'an overlong cursor', send: () => owner.get(`/api/v1/locations?cursor=${'c'.repeat(500)}`), status: 400, code: 'validation_failed', field: 'querystring.cursor' },

  // audit filters
  { name: 'a risk level that does not exist', send: () => owner.get('/api/v1/audit?risk=extreme'), status: 400, code: 'validation_failed', field: 'querystring.risk' },
  { name: 'a NUL byte in an audit filter', send: () => owner.get('/api/v1/audit?actor=%00'), status: 400, code: 'validation_failed', field: 'querystring.actor' },
  { name: 'a date that is not a date', send: () => owner.get('/api/v1/audit?from=yesterday'), status: 400, code: 'validation_failed', field: 'querystring.from' },
  { name: 'the year 0000', send: () => owner.get('/api/v1/audit?from=0000-01-01T00:00:00Z'), status: 400, code: 'validation_failed', field: 'querystring.from' },
  { name: 'a time zone offset of +23:59', send: () => owner.get(`/api/v1/audit?to=${encodeURIComponent('2026-01-01T00:00:00+23:59')}`), status: 400, code: 'validation_failed', field: 'querystring.to' },

  // conflicts that are the client's to resolve, never a crash
  { name: 'a rename to a name another location has', send: () => owner.patch(`/api/v1/locations/${locId}`, { version: 1, name: 'Main Street' }), status: 409, code: 'location_name_taken', field: 'body.name' },
];

describe('bad input is a 4xx problem that names the field, and writes nothing', () => {
  beforeAll(async () => {
    const loc = await owner.post('/api/v1/locations', { name: 'Bad Input Bar', time_zone: 'UTC' });
    expect(loc.statusCode).toBe(201);
    locId = loc.json().id;
  });

  for (const c of cases) {
    it(`${c.name} → ${c.status}`, async () => {
      const before = await footprint();
      const r = await c.send();
      expect(r.statusCode, r.body.slice(0, 500)).toBe(c.status);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      const p = r.json();
      expect(p.status).toBe(c.status);
      if (c.code) expect(p.code).toBe(c.code);
      if (c.field) {
        const fields: string[] = (p.errors ?? []).map((e: { field: string }) => e.field);
        if (typeof c.field === 'string') expect(fields, r.body).toContain(c.field);
        else expect(fields.some((f) => (c.field as RegExp).test(f)), r.body).toBe(true);
      }
      expect(await footprint()).toEqual(before);
    });
  }
});

// ---------------------------------------------------------------------------------------------- property test

/** Values that have broken JSON APIs before: odd unicode, control characters, numbers at the edges, deep nesting. */
const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\uD800',
    '\u202Eevil',
    '💥'.repeat(100),
    'x'.repeat(5000),
    "'; DROP TABLE locations; --",
    '%00',
    '1e309',
    'null',
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '0000-01-01T00:00:00Z',
    'Europe/Paris',
    'owner@example.com',
    '4821',
  ),
  fc.uuid(),
  fc.maxSafeInteger(),
  fc.double(),
  fc.constantFrom(0, -1, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1e308, -1e308, Number.MIN_VALUE),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);

/** Bodies for one route: anything JSON, objects of random keys, and the route's own fields filled with good and bad values. */
function bodies(spec: RouteSpec): fc.Arbitrary<unknown> {
  const shape = (spec.body as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
  const example = (spec.example ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(shape), ...Object.keys(example)])];
  const own =
    keys.length === 0
      ? fc.constant({})
      : fc
          .tuple(
            fc.tuple(...keys.map((k) => fc.option(k in example ? fc.oneof(fc.constant(example[k]), nasty) : nasty, { nil: undefined, freq: 4 }))),
            fc.option(fc.dictionary(fc.string({ maxLength: 12 }), nasty, { maxKeys: 2 }), { nil: undefined, freq: 3 }),
          )
          .map(([values, extra]) => {
            const out: Record<string, unknown> = { ...(extra ?? {}) };
            keys.forEach((k, i) => {
              if (values[i] !== undefined) out[k] = values[i];
            });
            return out;
          });
  // The route's own valid example with one field spoiled: gets past the schema's easy refusals into the service.
  const spoiled =
    keys.length === 0
      ? fc.constant(example)
      : fc.tuple(fc.constantFrom(...keys), nasty).map(([k, v]) => ({ ...example, [k]: v }));
  return fc.oneof(
    { arbitrary: spoiled, weight: 3 },
    { arbitrary: own, weight: 3 },
    { arbitrary: fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }), weight: 1 },
    { arbitrary: fc.dictionary(fc.string({ unit: 'binary', maxLength: 16 }), nasty, { maxKeys: 6 }), weight: 1 },
  );
}

/** Runs per route: modest in CI; BAD_INPUT_RUNS=1000 for a longer hunt. */
const RUNS = Number(process.env.BAD_INPUT_RUNS ?? 25);

describe('no generated body makes any write route fail on our side', () => {
  /** A fresh owner session minted in the database, so ending sessions does not run into the sign-in rate limit. */
  async function mintOwner(): Promise<Client> {
    const outcome = await t.app.brigade.db.withTenant(bistro.id, { type: 'system', id: null, label: 'test' }, 'write', (tx) =>
      signIn(tx, `owner@${bistro.slug}.brigade.test`, PASSWORD, { idleSeconds: 1800, absoluteSeconds: 3600 }, { ip: null, userAgent: null }),
    );
    if (!outcome.ok) throw new Error('could not mint an owner session');
    const c = new Client(t.app, `${bistro.slug}.localhost`);
    c.cookies.set('brigade_session', outcome.session.token);
    const csrf = await c.get('/api/v1/auth/csrf');
    expect(csrf.statusCode).toBe(200);
    c.csrf = csrf.json().csrf_token;
    return c;
  }

  const writeRoutes = () => t.app.brigade.routes.filter((r) => r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH');

  it('the route table has write routes of every kind to try', () => {
    const routes = writeRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(10);
    const kinds = new Set(routes.map((r) => r.access));
    expect(kinds.has('public') && kinds.has('tenant')).toBe(true);
  });

  it('every POST, PUT and PATCH answers below 500 to generated bodies, and a refused body writes nothing', async () => {
    const platform = await t.platformAdmin();
    const knownIds: Record<string, string> = { location: bistro.locationId, kiosk: kioskId };
    let tried = 0;
    for (const spec of writeRoutes()) {
      let client: Client;
      const credential = async (): Promise<Client> => {
        if (spec.access === 'public') return t.anonymous(bistro);
        if (spec.access === 'platform_public') return t.anonymous(null);
        if (spec.access === 'platform') return platform;
        if (spec.access === 'none') return t.anonymous(null);
        if ((ROLE_PERMISSIONS.owner as readonly string[]).includes(spec.permission)) return mintOwner();
        if ((DEVICE_PERMISSIONS as readonly string[]).includes(spec.permission)) return kiosk;
        throw new Error(`no test credential holds ${spec.permission} (${spec.method} ${spec.url}): teach this test about it`);
      };
      client = await credential();
      const ids = fc.oneof(fc.uuid(), ...(spec.resource && knownIds[spec.resource] ? [fc.constant(knownIds[spec.resource]!)] : []));

      await fc.assert(
        fc.asyncProperty(bodies(spec), ids, async (body, id) => {
          tried++;
          // Rate limits would answer 429 before the body reaches the service; clear them so the run goes deep.
          await t.db.admin('DELETE FROM rate_limit_counters');
          const url = spec.url.replace(':id', id);
          const audit = await t.db.admin('SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1', [bistro.id]);
          let r = await client.request(spec.method, url, JSON.stringify(body), { 'content-type': 'application/json' });
          if (r.statusCode === 401 && spec.access === 'tenant' && client !== kiosk) {
            // A generated body ended the session (sign-out): sign in again and send the same request.
            client = await credential();
            r = await client.request(spec.method, url, JSON.stringify(body), { 'content-type': 'application/json' });
          }
          const where = `${spec.method} ${url} ${JSON.stringify(body).slice(0, 300)} → ${r.statusCode} ${r.body.slice(0, 300)}`;
          expect(r.statusCode, where).toBeLessThan(500);
          if (r.statusCode >= 400) {
            expect(r.headers['content-type'], where).toMatch(/^application\/problem\+json/);
            const p = r.json();
            expect(p.status, where).toBe(r.statusCode);
            if (p.code === 'validation_failed' || p.code === 'malformed_json') {
              expect(p.errors?.length, where).toBeGreaterThan(0);
              const after = await t.db.admin('SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1', [bistro.id]);
              expect(after, where).toEqual(audit);
            }
          }
        }),
        { numRuns: RUNS },
      );
    }
    expect(tried).toBeGreaterThanOrEqual(writeRoutes().length * RUNS);
  // Generated bodies for every write route: its time grows with the routes, and doubles on a busy 2-core machine.
  }, Math.max(150_000, RUNS * 6_000));
});
