import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantDirectory } from '../src/platform/tenants.ts';
import type { SeededTenant } from '../src/platform/demo.ts';
import { Client, PASSWORD, testApp, type TestApp } from './harness.ts';

/**
 * Which business an address shows: `{slug}.{BASE_DOMAIN}`, a custom domain, or `/t/{slug}/…`. The address only
 * chooses the business's public pages and sign-in; a signed-in request belongs to the business of its credential.
 */

let t: TestApp;
let harbour: SeededTenant;
let quay: SeededTenant;

const SESSION_COOKIE = 'brigade_session';
const signInBody = (tenant: SeededTenant, role: string) => ({ email: `${role}@${tenant.slug}.brigade.test`, password: PASSWORD });

async function tenantOf(client: Client, prefix = ''): Promise<string> {
  const r = await client.get(`${prefix}/api/v1/auth/session`);
  expect(r.statusCode, r.body).toBe(200);
  return r.json().tenant.id;
}

async function setTenant(tenant: SeededTenant, column: 'status' | 'custom_domain', value: string | null) {
  await t.db.admin(`UPDATE tenants SET ${column} = $1 WHERE id = $2`, [value, tenant.id]);
  t.app.brigade.tenants.forget();
}

async function kioskOf(tenant: SeededTenant): Promise<Client> {
  const owner = await t.as(tenant, 'owner');
  const r = await owner.post('/api/v1/kiosks', { location_id: tenant.locationId, name: 'Host test tablet' });
  expect(r.statusCode, r.body).toBe(201);
  const c = new Client(t.app, `${tenant.slug}.localhost`);
  c.headers = { authorization: `Bearer ${r.json().device_token}` };
  return c;
}

beforeAll(async () => {
  t = await testApp();
  harbour = await t.tenant();
  quay = await t.tenant();
});
afterAll(() => t.close());

describe('finding the business from the address', () => {
  it('a business is served at {slug}.localhost, with a port and in any letter case', async () => {
    for (const host of [`${harbour.slug}.localhost`, `${harbour.slug}.localhost:3000`, `${harbour.slug.toUpperCase()}.LOCALHOST`]) {
      const c = new Client(t.app, host);
      const r = await c.post('/api/v1/auth/sign-in', signInBody(harbour, 'manager'));
      expect(r.statusCode, `${host}: ${r.body}`).toBe(200);
      expect(await tenantOf(c), host).toBe(harbour.id);
    }
  });

  it('{slug}.{BASE_DOMAIN} finds the business under any configured base domain, and nothing deeper', async () => {
    const directory = new TenantDirectory(t.app.brigade.db, 'brigade.example');
    expect((await directory.byHost(`${harbour.slug}.brigade.example`, null))?.id).toBe(harbour.id);
    expect((await directory.byHost(`${quay.slug}.brigade.example.`, null))?.id).toBe(quay.id);
    expect(await directory.byHost('brigade.example', null)).toBeNull();
    expect(await directory.byHost(`www.${harbour.slug}.brigade.example`, null)).toBeNull();
    expect(await directory.byHost(`${harbour.slug}.localhost`, null)).toBeNull();
  });

  it('/t/{slug}/… serves the business on an address that names none', async () => {
    const c = new Client(t.app, 'localhost');
    const r = await c.post(`/t/${quay.slug}/api/v1/auth/sign-in`, signInBody(quay, 'staff'));
    expect(r.statusCode, r.body).toBe(200);
    expect(await tenantOf(c, `/t/${quay.slug}`)).toBe(quay.id);
  });

  it('a business’s own domain serves it once set, and stops serving it once removed', async () => {
    const domain = 'orders.harbour-bistro.example';
    const before = await new Client(t.app, domain).post('/api/v1/auth/sign-in', signInBody(harbour, 'auditor'));
    expect(before.statusCode).toBe(404);
    expect(before.json().code).toBe('tenant_not_found');

    await setTenant(harbour, 'custom_domain', domain);
    try {
      for (const host of [domain, 'Orders.Harbour-Bistro.example:443']) {
        const c = new Client(t.app, host);
        const r = await c.post('/api/v1/auth/sign-in', signInBody(harbour, 'auditor'));
        expect(r.statusCode, `${host}: ${r.body}`).toBe(200);
        expect(await tenantOf(c), host).toBe(harbour.id);
      }
      // The other business's people are refused there, just as on its slug.
      const visitor = await t.as(quay, 'owner');
      const r = await visitor.onHost(domain).get('/api/v1/auth/session');
      expect(r.statusCode).toBe(401);
      expect(r.json().code).toBe('credential_not_for_this_tenant');
    } finally {
      await setTenant(harbour, 'custom_domain', null);
    }
    const after = await new Client(t.app, domain).post('/api/v1/auth/sign-in', signInBody(harbour, 'auditor'));
    expect(after.statusCode).toBe(404);
  });

  it('an address that names no business answers 404 tenant_not_found, never another business’s page', async () => {
    const attempts: [string, string][] = [
      ['no-such-bistro.localhost', '/api/v1/auth/sign-in'],
      [`deep.${harbour.slug}.localhost`, '/api/v1/auth/sign-in'],
      ['localhost', '/t/no-such-bistro/api/v1/auth/sign-in'],
      ['unknown-restaurant.example', '/api/v1/auth/sign-in'],
      ['localhost', '/api/v1/auth/sign-in'],
      ['127.0.0.1', '/api/v1/auth/password-reset'],
    ];
    for (const [host, url] of attempts) {
      const body = url.endsWith('password-reset') ? { email: `owner@${harbour.slug}.brigade.test` } : signInBody(harbour, 'owner');
      const r = await new Client(t.app, host).post(url, body);
      expect(r.statusCode, `${host}${url}: ${r.body}`).toBe(404);
      expect(r.json().code, `${host}${url}`).toBe('tenant_not_found');
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('a credential presented at an address that names no business is answered 404 too, not served as its own business', async () => {
    const owner = await t.as(harbour, 'owner');
    for (const [host, url] of [
      ['no-such-bistro.localhost', '/api/v1/locations'],
      ['unknown-restaurant.example', '/api/v1/locations'],
      ['localhost', '/t/no-such-bistro/api/v1/locations'],
    ] as const) {
      const r = await bearerOnly(owner, host).get(url);
      expect(r.statusCode, `${host}${url}: ${r.body}`).toBe(404);
      expect(r.json().code, `${host}${url}`).toBe('tenant_not_found');
    }
    // Brigade's own address (and its IP) leaves the business to the credential.
    for (const host of ['localhost', '127.0.0.1']) expect((await bearerOnly(owner, host).get('/api/v1/locations')).statusCode, host).toBe(200);
  });
});

describe('a business that is not live', () => {
  it('a suspended or cancelled business refuses sign-in and every session it had, and serves again once reactivated', async () => {
    const closing = await t.tenant();
    const staff = await t.as(closing, 'staff');
    const kiosk = await kioskOf(closing);
    for (const status of ['suspended', 'cancelled']) {
      await setTenant(closing, 'status', status);
      const signIn = await t.anonymous(closing).post('/api/v1/auth/sign-in', signInBody(closing, 'admin'));
      expect(signIn.statusCode, status).toBe(403);
      expect(signIn.json().code).toBe('tenant_suspended');
      for (const [who, c] of [
        ['session', staff],
        ['session on bare localhost', staff.onHost('localhost')],
      ] as const) {
        const r = await c.get('/api/v1/auth/session');
        expect(r.statusCode, `${status} ${who}`).toBe(403);
        expect(r.json().code).toBe('tenant_suspended');
      }
      const device = await kiosk.get('/api/v1/kiosk/staff');
      expect(device.statusCode, `${status} kiosk`).toBe(403);
    }
    await setTenant(closing, 'status', 'active');
    expect(await tenantOf(staff)).toBe(closing.id);
    expect((await kiosk.get('/api/v1/kiosk/staff')).statusCode).toBe(200);
  });

  it('a business on trial or behind on payment is still served', async () => {
    const late = await t.tenant();
    for (const status of ['trial', 'past_due']) {
      await setTenant(late, 'status', status);
      const c = t.anonymous(late);
      const r = await c.post('/api/v1/auth/sign-in', signInBody(late, status === 'trial' ? 'owner' : 'admin'));
      expect(r.statusCode, `${status}: ${r.body}`).toBe(200);
      expect(await tenantOf(c)).toBe(late.id);
    }
  });

  it('a purged business is not found at its address and its old sessions lead nowhere', async () => {
    const gone = await t.tenant();
    const owner = await t.as(gone, 'owner');
    await setTenant(gone, 'status', 'purged');
    const r = await t.anonymous(gone).post('/api/v1/auth/sign-in', signInBody(gone, 'owner'));
    expect(r.statusCode).toBe(404);
    expect(r.json().code).toBe('tenant_not_found');
    const old = await owner.onHost('localhost').get('/api/v1/auth/session');
    expect(old.statusCode).toBe(401);
  });
});

describe('a credential belongs to one business', () => {
  it('a session of one business is refused on another business’s address, by slug or by path', async () => {
    const owner = await t.as(harbour, 'owner');
    expect(await tenantOf(owner)).toBe(harbour.id);
    for (const [label, client, url] of [
      ['slug', owner.onHost(`${quay.slug}.localhost`), '/api/v1/auth/session'],
      ['path', owner.onHost('localhost'), `/t/${quay.slug}/api/v1/auth/session`],
      ['bearer', bearerOnly(owner, `${quay.slug}.localhost`), '/api/v1/auth/session'],
    ] as const) {
      const r = await client.get(url);
      expect(r.statusCode, label).toBe(401);
      expect(r.json().code, label).toBe('credential_not_for_this_tenant');
    }
  });

  it('a kiosk of one business is refused on another business’s address', async () => {
    const kiosk = await kioskOf(harbour);
    expect((await kiosk.get('/api/v1/kiosk/staff')).statusCode).toBe(200);
    const r = await kiosk.onHost(`${quay.slug}.localhost`).get('/api/v1/kiosk/staff');
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('credential_not_for_this_tenant');
  });

  it('one business’s password does not open the same person’s name at another business', async () => {
    const r = await t.anonymous(quay).post('/api/v1/auth/sign-in', signInBody(harbour, 'compliance_officer'));
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('invalid_credentials');
    expect(r.cookies.find((c) => c.name === SESSION_COOKIE && c.value)).toBeUndefined();
  });

  it('on bare localhost the credential alone decides the business, whatever a header or query string says', async () => {
    const h = (await t.as(harbour, 'admin')).onHost('localhost');
    const q = (await t.as(quay, 'admin')).onHost('localhost');
    expect(await tenantOf(h)).toBe(harbour.id);
    expect(await tenantOf(q)).toBe(quay.id);
    const r = await h.get('/api/v1/auth/session', { 'x-tenant-id': quay.id, 'x-tenant': quay.slug });
    expect(r.statusCode).toBe(200);
    expect(r.json().tenant.id).toBe(harbour.id);
    // A query string naming a business is not ignored but refused, as every undeclared input is.
    const q2 = await h.get(`/api/v1/auth/session?tenant_id=${quay.id}&tenant=${quay.slug}`);
    expect(q2.statusCode).toBe(400);
    expect(q2.json().errors.map((e: { field: string }) => e.field)).toEqual([expect.stringMatching(/^querystring\./)]);
  });

  it('a session token relabelled with another business’s id finds nothing', async () => {
    const owner = await t.as(harbour, 'owner');
    const token = owner.cookies.get(SESSION_COOKIE)!;
    expect(token).toMatch(/^bs_[\w-]+\.[\w-]+$/);
    const quayPart = Buffer.from(quay.id.replace(/-/g, ''), 'hex').toString('base64url');
    const forged = token.replace(/^bs_[\w-]+\./, `bs_${quayPart}.`);
    for (const host of [`${quay.slug}.localhost`, 'localhost']) {
      const c = new Client(t.app, host);
      c.cookies.set(SESSION_COOKIE, forged);
      const r = await c.get('/api/v1/auth/session');
      expect(r.statusCode, host).toBe(401);
      expect(r.json().code, host).toBe('unauthenticated');
    }
  });
});

/** The same session token sent as `Authorization: Bearer`, without cookies. */
function bearerOnly(c: Client, host: string): Client {
  const out = new Client(t.app, host);
  out.headers = { authorization: `Bearer ${c.cookies.get(SESSION_COOKIE)}` };
  return out;
}
