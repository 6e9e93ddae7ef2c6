import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeededTenant } from '../src/platform/demo.ts';
import { testApp, type Client, type TestApp } from './harness.ts';

let t: TestApp;
let bistro: SeededTenant;
let owner: Client;

const ALLOWED_ORIGIN = 'https://ok.example';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

beforeAll(async () => {
  t = await testApp({ CORS_ORIGINS: ALLOWED_ORIGIN });
  bistro = await t.tenant();
  owner = await t.as(bistro, 'owner');
});
afterAll(() => t.close());

/** Text that must never reach a client outside development: stack frames, source paths, SQL, driver errors. */
const LEAKS = [/(column|relation|function) .* does not exist/i, /\n\s+at /, /\.ts:\d+/, /node_modules/, /\/work\//, /\bSELECT\b/i, /\bINSERT\b/i, /\bUPDATE\b.*\bSET\b/i, /Failed query/i, /permission denied/i, /relation "/i];

/** Checks the RFC 9457 problem shape every error shares, and returns the parsed problem. */
function expectProblem(r: LightMyRequestResponse, status: number, code: string) {
  expect(r.statusCode, r.body).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  const p = r.json();
  expect(p).toMatchObject({ status, code });
  expect(p.type).toBe(`https://brigade.dev/problems/${code.replace(/_/g, '-')}`);
  expect(typeof p.title).toBe('string');
  expect(p.title.length).toBeGreaterThan(0);
  expect(typeof p.detail).toBe('string');
  expect(p.code).toMatch(/^[a-z][a-z0-9_]*$/);
  expect(p.request_id).toBe(r.headers['x-request-id']);
  if (p.errors !== undefined) {
    expect(Array.isArray(p.errors)).toBe(true);
    for (const e of p.errors) expect(Object.keys(e).sort()).toEqual(['code', 'field', 'message']);
  }
  for (const leak of LEAKS) expect(r.body, `${leak}`).not.toMatch(leak);
  return p as { errors?: { field: string; code: string; message: string }[]; detail: string; request_id: string };
}

describe('request ids', () => {
  it('every answer carries a request id, whatever the route and outcome', async () => {
    const anon = t.anonymous(bistro);
    const staff = await t.as(bistro, 'staff');
    const answers = [
      await t.app.inject({ url: '/healthz' }),
      await t.app.inject({ url: '/readyz' }),
      await t.app.inject({ url: '/metrics' }),
      await t.app.inject({ url: '/api/openapi.json' }),
      await t.app.inject({ url: '/api/docs' }),
      await t.app.inject({ url: '/no/such/page' }),
      await owner.get('/api/v1/locations'),
      await owner.post('/api/v1/locations', { name: 'Request Id Row', time_zone: 'UTC' }),
      await owner.post('/api/v1/locations', { name: '' }),
      await anon.get('/api/v1/locations'),
      await staff.post('/api/v1/locations', { name: 'Not Allowed', time_zone: 'UTC' }),
      await owner.post('/api/v1/auth/sign-out-everywhere', undefined, { 'x-csrf-token': 'forged' }),
    ];
    const ids = answers.map((r) => r.headers['x-request-id']);
    for (const [i, id] of ids.entries()) expect(id, `answer ${i} (${answers[i]!.statusCode})`).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('a CORS preflight answer carries a request id too', async () => {
    const r = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/locations',
      headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(r.statusCode).toBeLessThan(300);
    expect(r.headers['x-request-id']).toMatch(UUID);
  });

  it("a till's own request id is echoed back and used in the problem, and a malformed one is replaced", async () => {
    const ok = await owner.get('/api/v1/locations', { 'x-request-id': 'till-7.req_000123' });
    expect(ok.headers['x-request-id']).toBe('till-7.req_000123');
    const bad = await owner.post('/api/v1/locations', { name: 'x', time_zone: 'Mars/Olympus' }, { 'x-request-id': 'till-7.req_000124' });
    expect(expectProblem(bad, 400, 'validation_failed').request_id).toBe('till-7.req_000124');
    for (const given of ['short', 'has spaces in it', 'x'.repeat(101), 'semi;colon;header', '../../etc/passwd']) {
      const r = await owner.get('/api/v1/locations', { 'x-request-id': given });
      expect(r.headers['x-request-id'], given).not.toBe(given);
      expect(r.headers['x-request-id']).toMatch(UUID);
    }
  });
});

describe('errors are problems', () => {
  it('every kind of refusal is a problem+json with a stable code, a request id and no internals', async () => {
    const anon = t.anonymous(bistro);
    const staff = await t.as(bistro, 'staff');
    const loc = (await owner.post('/api/v1/locations', { name: 'Problem Place', time_zone: 'UTC' })).json();
    await owner.patch(`/api/v1/locations/${loc.id}`, { version: 1, name: 'Problem Place 2' });

    expectProblem(await owner.post('/api/v1/locations', { name: 'x' }), 400, 'validation_failed');
    expectProblem(await owner.post('/api/v1/locations', '{"name": ', { 'content-type': 'application/json' }), 400, 'malformed_json');
    expectProblem(await owner.post('/api/v1/locations', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
    expectProblem(await anon.get('/api/v1/locations'), 401, 'unauthenticated');
    expectProblem(await staff.post('/api/v1/locations', { name: 'Nope', time_zone: 'UTC' }), 403, 'forbidden');
    expectProblem(await owner.post('/api/v1/locations', { name: 'Nope', time_zone: 'UTC' }, { 'x-csrf-token': 'forged' }), 403, 'csrf_failed');
    expectProblem(await owner.get('/api/v1/locations/01938f5e-0000-7000-8000-000000000000'), 404, 'not_found');
    expectProblem(await t.app.inject({ url: '/api/v1/nothing-here' }), 404, 'route_not_found');
    expectProblem(await t.app.inject({ url: '/api/v1/auth/session', headers: { host: 'nobody.localhost' } }), 404, 'tenant_not_found');
    expectProblem(await anon.post('/api/v1/auth/sign-in', { email: 'x@y.test', password: 'p' }, { host: 'nobody.localhost' }), 404, 'tenant_not_found');
    const stale = expectProblem(await owner.patch(`/api/v1/locations/${loc.id}`, { version: 1, name: 'Lost' }), 409, 'stale_version');
    expect(stale.errors).toEqual([{ field: 'body.version', code: 'stale_version', message: expect.any(String) }]);
    expectProblem(await owner.post('/api/v1/locations', { name: 'Problem Place 2', time_zone: 'UTC' }), 409, 'location_name_taken');
  });

  it('when the database fails, the answer is a plain 500 problem with the request id and no SQL or stack', async () => {
    // An operator's mistake: a column the code reads was renamed under it, so the query itself fails.
    await t.db.admin('ALTER TABLE locations RENAME COLUMN address TO street_address');
    let r: LightMyRequestResponse;
    try {
      r = await owner.get('/api/v1/locations', { 'x-request-id': 'incident-000001' });
    } finally {
      await t.db.admin('ALTER TABLE locations RENAME COLUMN street_address TO address');
    }
    const p = expectProblem(r, 500, 'internal_error');
    expect(p.request_id).toBe('incident-000001');
    expect(p.detail).not.toMatch(/locations/);
    expect(p.errors).toBeUndefined();
    expect((await owner.get('/api/v1/locations')).statusCode).toBe(200);
  });

  it('a field the API does not know is refused by name, so nobody can slip in a tenant_id or a version', async () => {
    const before = (await owner.get('/api/v1/locations?limit=100')).json().items.length;
    const r = await owner.post('/api/v1/locations', { name: 'Sneaky', time_zone: 'UTC', tenant_id: '01938f5e-0000-7000-8000-000000000000' });
    const p = expectProblem(r, 400, 'validation_failed');
    expect(p.errors).toContainEqual({ field: 'body.tenant_id', code: 'unrecognized_keys', message: expect.any(String) });
    const two = expectProblem(await owner.post('/api/v1/locations', { name: 'Sneaky', time_zone: 'UTC', version: 7, id: 'x' }), 400, 'validation_failed');
    expect(two.errors!.map((e) => e.field).join(',')).toMatch(/body\.(version,id|id,version)/);
    const q = expectProblem(await owner.get('/api/v1/locations?tenant=other'), 400, 'validation_failed');
    expect(q.errors!.map((e) => e.field)).toEqual(['querystring.tenant']);
    expect((await owner.get('/api/v1/locations?limit=100')).json().items.length).toBe(before);
  });

  it('a body over 256 KiB is refused with 413 before anything is written', async () => {
    const before = (await owner.get('/api/v1/locations?limit=100')).json().items.length;
    const r = await owner.post('/api/v1/locations', { name: 'Huge', time_zone: 'UTC', address: 'a'.repeat(300 * 1024) });
    const p = expectProblem(r, 413, 'body_too_large');
    expect(p.errors?.[0]?.field).toBe('body');
    // Just under the limit is not refused for its size (it fails validation instead: the address is too long).
    const under = await owner.post('/api/v1/locations', { name: 'Huge', time_zone: 'UTC', address: 'a'.repeat(250 * 1024) });
    expect(expectProblem(under, 400, 'validation_failed').errors!.map((e) => e.field)).toEqual(['body.address']);
    expect((await owner.get('/api/v1/locations?limit=100')).json().items.length).toBe(before);
  });
});

describe('API description', () => {
  it('the OpenAPI 3.1 document lists every route with its parameters, strict bodies and responses', async () => {
    const r = await t.app.inject({ url: '/api/openapi.json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const routes = t.app.brigade.routes;
    expect(routes.length).toBeGreaterThan(10);
    for (const spec of routes) {
      const path = spec.url.replace(/:([A-Za-z_]+)/g, '{$1}');
      const op = doc.paths?.[path]?.[spec.method.toLowerCase()];
      const where = `${spec.method} ${spec.url}`;
      expect(op, where).toBeDefined();
      expect(op.summary, where).toBe(spec.summary);
      expect(Object.keys(op.responses ?? {}), where).toContain(String(spec.status ?? 200));
      for (const name of [...spec.url.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1])) {
        expect(op.parameters?.some((p: { in: string; name: string }) => p.in === 'path' && p.name === name), `${where} :${name}`).toBe(true);
      }
      if (spec.body) {
        const schema = op.requestBody?.content?.['application/json']?.schema;
        expect(schema, where).toBeDefined();
        expect(schema.additionalProperties, `${where} body must be strict`).toBe(false);
      }
      if (spec.query) {
        expect(op.parameters?.some((p: { in: string }) => p.in === 'query'), `${where} query`).toBe(true);
      }
      // A client must be able to tell, from the document, which POSTs will not dedupe its retries.
      if (spec.method === 'POST') expect(String(op.description).includes('Ignores Idempotency-Key'), where).toBe(Boolean(spec.noIdempotency));
    }
  });

  it('the API docs are browsable at /api/docs', async () => {
    let r = await t.app.inject({ url: '/api/docs' });
    for (let hops = 0; r.statusCode >= 300 && r.statusCode < 400 && hops < 3; hops++) {
      r = await t.app.inject({ url: new URL(String(r.headers.location), 'http://localhost/api/docs').pathname });
    }
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.body).toMatch(/swagger-ui/i);
  });
});

describe('transport protections', () => {
  it('answers carry the security headers', async () => {
    for (const r of [await owner.get('/api/v1/locations'), await t.app.inject({ url: '/no/such/page' }), await t.app.inject({ url: '/api/docs' })]) {
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['content-security-policy']).toMatch(/default-src 'self'/);
      expect(r.headers['content-security-policy']).toMatch(/object-src 'none'/);
      expect(r.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(r.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('only an allowlisted origin may call the API from a browser', async () => {
    const allowed = await owner.get('/api/v1/locations', { origin: ALLOWED_ORIGIN });
    expect(allowed.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    const other = await owner.get('/api/v1/locations', { origin: 'https://evil.example' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/locations',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('an allowlisted origin may send every method the API uses, with the CSRF and idempotency headers', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const r = await t.app.inject({
        method: 'OPTIONS',
        url: `/api/v1/locations/${bistro.locationId}`,
        headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': method, 'access-control-request-headers': 'content-type,x-csrf-token,idempotency-key' },
      });
      expect(r.statusCode, method).toBeLessThan(300);
      expect(r.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      expect(String(r.headers['access-control-allow-methods']).split(/,\s*/), method).toContain(method);
      expect(String(r.headers['access-control-allow-headers']).toLowerCase()).toMatch(/x-csrf-token/);
    }
  });
});

describe('operations endpoints', () => {
  it('/healthz answers while the process lives', async () => {
    const r = await t.app.inject({ url: '/healthz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok' });
  });

  it('/readyz is ready only when the database answers and every migration is applied', async () => {
    const r = await t.app.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ready', database: true, pending_migrations: [] });

    // A deploy whose migration has not run yet must not take traffic.
    const [applied] = await t.db.admin(`SELECT name, checksum, applied_at FROM schema_migrations ORDER BY name DESC LIMIT 1`);
    await t.db.admin(`DELETE FROM schema_migrations WHERE name = $1`, [applied!.name]);
    let pending: LightMyRequestResponse;
    try {
      pending = await t.app.inject({ url: '/readyz' });
    } finally {
      await t.db.admin(`INSERT INTO schema_migrations (name, checksum, applied_at) VALUES ($1, $2, $3)`, [applied!.name, applied!.checksum, applied!.applied_at]);
    }
    expect(pending.statusCode).toBe(503);
    expect(pending.json()).toEqual({ status: 'not_ready', database: true, pending_migrations: [applied!.name] });
    expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('/metrics exposes request durations per route pattern for Prometheus', async () => {
    await owner.get(`/api/v1/locations/${bistro.locationId}`);
    const r = await t.app.inject({ url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.body).toMatch(/# TYPE brigade_http_request_duration_seconds histogram/);
    // Labelled by the route pattern, not the concrete id, so the series count stays bounded.
    expect(r.body).toMatch(/brigade_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/locations\/:id"[^}]*status="200"[^}]*\} [1-9]/);
    expect(r.body).not.toContain(bistro.locationId);
    expect(r.body).toMatch(/process_cpu_user_seconds_total/);
  });
});
