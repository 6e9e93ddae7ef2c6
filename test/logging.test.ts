import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeededTenant } from '../src/platform/demo.ts';
import { testApp, type Client, type TestApp } from './harness.ts';

/** Every line the server logs, parsed, in order. */
const lines: Record<string, unknown>[] = [];
let t: TestApp;
let bistro: SeededTenant;
let owner: Client;

beforeAll(async () => {
  // No SMTP_URL: a sign-up's confirmation link goes to the log, which is the line most worth finding by request.
  t = await testApp({ LOG_LEVEL: 'info' }, { logStream: { write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  bistro = await t.tenant();
  owner = await t.as(bistro, 'owner');
});
afterAll(() => t.close());

/** The lines logged while the request ran; the app runs no jobs here, so each of them belongs to it. */
async function logOf(send: () => Promise<LightMyRequestResponse>) {
  const from = lines.length;
  const r = await send();
  return { r, logged: lines.slice(from) };
}

describe('log lines', () => {
  it('every line logged while a request is served carries its request id, whatever the route and outcome', async () => {
    const anon = t.anonymous(null);
    const requests: [string, () => Promise<LightMyRequestResponse>, string?][] = [
      ['a read', () => owner.get('/api/v1/locations')],
      ['a write', () => owner.post('/api/v1/locations', { name: 'Logged Lane', time_zone: 'UTC' })],
      ['a refusal', () => owner.post('/api/v1/locations', { name: 'x', time_zone: 'Mars/Olympus' })],
      ['an unknown route', () => anon.get('/api/v1/nothing-here')],
      ['a till naming its own id', () => owner.get('/api/v1/locations', { 'x-request-id': 'till-7.req_000200' })],
      [
        'a sign-up without a mail server',
        () => anon.post('/api/v1/sign-up', { business_name: 'Log Grill', slug: `log-grill-${Date.now().toString(36)}`, email: 'owner@log-grill.example' }),
        'sign-up confirmation link (no SMTP_URL configured)',
      ],
    ];
    for (const [what, send, expected] of requests) {
      const { r, logged } = await logOf(send);
      const id = r.headers['x-request-id'];
      expect(id, what).toBeTruthy();
      expect(logged.length, what).toBeGreaterThanOrEqual(2);
      for (const line of logged) expect(line.reqId, `${what}: ${JSON.stringify(line)}`).toBe(id);
      if (expected) expect(logged.map((l) => l.msg), what).toContain(expected);
    }
  });

  it('never writes a credential: cookies, bearer tokens and CSRF tokens are redacted', async () => {
    const { logged } = await logOf(() => owner.post('/api/v1/locations', { name: 'Quiet Quay', time_zone: 'UTC' }));
    const text = JSON.stringify(logged);
    expect(owner.cookies.size).toBeGreaterThan(0);
    for (const [name, value] of owner.cookies) expect(text, name).not.toContain(value);
    expect(owner.csrf).toBeTruthy();
    expect(text).not.toContain(owner.csrf);
    // A request line was logged at all, with its headers: the redaction, not silence, keeps them out.
    expect(logged.some((l) => typeof l.req === 'object')).toBe(true);
  });
});
