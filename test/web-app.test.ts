import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from './harness.ts';
import type { SeededTenant } from '../src/platform/demo.ts';

// The global setup built web/dist from the sources under test.
let t: TestApp;
let cafe: SeededTenant;
let script: string;

beforeAll(async () => {
  t = await testApp();
  cafe = await t.tenant();
  // The entry script (index.html names it; pages loaded later are chunks it imports).
  script = /\/assets\/([\w-]+\.js)/.exec(await readFile(new URL('../web/dist/index.html', import.meta.url), 'utf8'))![1]!;
});
afterAll(() => t.close());

describe('the web app is served by the Brigade server', () => {
  it('answers every page address of a business with the app, never cached, under the security headers', async () => {
    for (const path of ['/', '/sign-in', '/locations/0193a000-0000-7000-8000-000000000000', '/audit?risk=high', '/kiosk']) {
      const r = await t.anonymous(cafe).get(path, { accept: 'text/html' });
      expect(r.statusCode, path).toBe(200);
      expect(r.headers['content-type']).toContain('text/html');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.body).toContain('<div id="root"></div>');
      expect(r.body).toContain(`/assets/${script}`);
      expect(r.headers['content-security-policy']).toContain("script-src 'self'");
      // Plain http in development: asking the browser to upgrade would break every asset on {slug}.localhost.
      expect(r.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    }
  });

  it('serves the hashed assets for good, and a missing asset or API route is a 404, not the app', async () => {
    const asset = await t.anonymous(cafe).get(`/assets/${script}`);
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toContain('javascript');

    const missing = await t.anonymous(cafe).get('/assets/index-nothere.js');
    expect(missing.statusCode).toBe(404);
    expect((await t.anonymous(cafe).get('/favicon.ico')).statusCode).toBe(404);
    const api = await t.anonymous(cafe).get('/api/v1/no-such-thing');
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toContain('application/problem+json');
    // A change sent to a page address is no page load.
    expect((await t.anonymous(cafe).post('/locations', {})).statusCode).toBe(404);
  });

  it('asks the browser to upgrade to https only when Brigade is served over https', async () => {
    const secure = await testApp({ PUBLIC_URL: 'https://brigade.example', BASE_DOMAIN: 'brigade.example', CSRF_SECRET: 'x'.repeat(32) });
    try {
      const r = await secure.anonymous(null).get('/', { accept: 'text/html' });
      expect(r.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    } finally {
      await secure.close();
    }
  });
});
