import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, PASSWORD, testApp, type TestApp } from '../../test/harness.ts';
import type { SeededTenant } from '../platform/demo.ts';

// Served over HTTPS: session cookies must be Secure and carry the __Host- prefix.
let t: TestApp;
let bistro: SeededTenant;

beforeAll(async () => {
  t = await testApp({ PUBLIC_URL: 'https://brigade.example' });
  bistro = await t.tenant();
});
afterAll(() => t.close());

const setCookies = (r: { headers: Record<string, unknown> }) => {
  const h = r.headers['set-cookie'];
  return (Array.isArray(h) ? h : h ? [h] : []).map(String);
};

describe('cookies over HTTPS', () => {
  it('the session cookie is __Host-brigade_session: Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain', async () => {
    const c = t.anonymous(bistro);
    const r = await c.post('/api/v1/auth/sign-in', { email: `owner@${bistro.slug}.brigade.test`, password: PASSWORD });
    expect(r.statusCode).toBe(200);
    const raw = setCookies(r);
    const session = raw.find((s) => s.startsWith('__Host-brigade_session=bs_'));
    expect(session, raw.join('\n')).toBeDefined();
    const attrs = session!.split(';').slice(1).map((a) => a.trim().toLowerCase());
    expect(attrs).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=lax', 'path=/']));
    expect(attrs.some((a) => a.startsWith('domain='))).toBe(false);
    expect(raw.some((s) => s.startsWith('brigade_session='))).toBe(false);
    const csrf = raw.find((s) => s.startsWith('__Host-brigade_csrf='));
    expect(csrf).toMatch(/; Secure/i);
    expect(csrf).toMatch(/SameSite=Strict/i);

    // The prefixed cookie is the one that works.
    c.csrf = r.json().csrf_token;
    expect((await c.get('/api/v1/auth/session')).statusCode).toBe(200);
    const out = await c.post('/api/v1/auth/sign-out');
    expect(out.statusCode).toBe(204);
    expect(setCookies(out).some((s) => s.startsWith('__Host-brigade_session=;'))).toBe(true);
  });

  it('an unprefixed cookie (one a sibling subdomain could plant) is ignored', async () => {
    const c = t.anonymous(bistro);
    const r = await c.post('/api/v1/auth/sign-in', { email: `admin@${bistro.slug}.brigade.test`, password: PASSWORD });
    const planted = new Client(t.app, c.host);
    planted.cookies.set('brigade_session', c.cookies.get('__Host-brigade_session')!);
    planted.csrf = r.json().csrf_token;
    expect((await planted.get('/api/v1/auth/session')).statusCode).toBe(401);
  });

  it('the platform cookie is __Host- prefixed and Secure as well', async () => {
    const admin = await t.platformAdmin();
    expect([...admin.cookies.keys()]).toContain('__Host-brigade_platform');
    expect((await admin.get('/api/v1/platform/outbox')).statusCode).toBe(200);
  });

  it('links in mail point at the HTTPS address', async () => {
    const owner = await t.as(bistro, 'owner');
    expect((await owner.post('/api/v1/invitations', { email: 'https.invitee@example.com', role: 'auditor' })).statusCode).toBe(201);
    await t.app.brigade.jobs.drain();
    const [m] = await t.db.admin(`SELECT body FROM outbox_messages WHERE to_address = 'https.invitee@example.com'`);
    expect(String(m!.body)).toContain(`https://${bistro.slug}.brigade.example/invite#bi_`);
  });
});
