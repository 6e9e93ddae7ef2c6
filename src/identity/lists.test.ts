import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, testApp, type Client, type TestApp } from '../../test/harness.ts';
import type { SeededTenant } from '../platform/demo.ts';

// The people, kiosk, invitation and session lists page like the locations list: a page size (50 by default,
// 100 at most) and an opaque cursor to the next page, so a big business sees everyone instead of the first few hundred.

let t: TestApp;
let bistro: SeededTenant;
let owner: Client;

beforeAll(async () => {
  t = await testApp();
  bistro = await t.tenant();
  owner = await t.as(bistro, 'owner');
});
afterAll(() => t.close());

interface Page {
  items: { id: string }[];
  next_cursor: string | null;
}

/** Follows the cursor to the end, checking every page but the last is full and none is larger. */
async function walk(client: Client, path: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r = await client.get(`${path}?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(r.statusCode, r.body).toBe(200);
    const page = r.json() as Page;
    expect(page.items.length).toBeLessThanOrEqual(limit);
    if (page.next_cursor) expect(page.items.length).toBe(limit);
    ids.push(...page.items.map((i) => i.id));
    cursor = page.next_cursor;
    expect(++pages).toBeLessThan(100);
  } while (cursor);
  return ids;
}

/** Small pages add up to the one big page, in its order, with nobody twice and nobody missing. */
async function expectPaged(client: Client, path: string, atLeast: number) {
  const whole = (await client.get(`${path}?limit=100`)).json() as Page;
  expect(whole.next_cursor).toBeNull();
  expect(whole.items.length).toBeGreaterThanOrEqual(atLeast);
  const paged = await walk(client, path, 2);
  expect(paged).toEqual(whole.items.map((i) => i.id));
  expect(new Set(paged).size).toBe(paged.length);

  // The page size has the same bounds as every list, and a cursor is only one this server issued.
  const tooBig = await client.get(`${path}?limit=101`);
  expect(tooBig.statusCode).toBe(400);
  expect(tooBig.json().errors[0].field).toBe('querystring.limit');
  const forged = await client.get(`${path}?cursor=${Buffer.from('["\' OR 1=1 --"]').toString('base64url')}`);
  expect(forged.statusCode).toBe(400);
  expect(forged.json().code).toBe('invalid_cursor');
}

describe('the lists of identity page by cursor', () => {
  it('the people list pages by name, namesakes included, 50 to a page unless asked', async () => {
    // Sixty more people, some of them namesakes, so ties on the name must be broken by the cursor too.
    await t.db.admin(
      `INSERT INTO users (tenant_id, id, email, name)
       SELECT $1, gen_random_uuid(), 'cook' || n || '@example.com', 'Cook ' || (n % 7) FROM generate_series(1, 60) n`,
      [bistro.id],
    );
    const first = (await owner.get('/api/v1/users')).json() as Page;
    expect(first.items).toHaveLength(50);
    expect(first.next_cursor).toEqual(expect.any(String));
    const all = await walk(owner, '/api/v1/users', 100);
    expect(all).toHaveLength(67);
    await expectPaged(owner, '/api/v1/users', 67);
  });

  it('the kiosk list pages, oldest registration first', async () => {
    for (let i = 1; i <= 5; i++) {
      expect((await owner.post('/api/v1/kiosks', { location_id: bistro.locationId, name: `Tablet ${i}` })).statusCode).toBe(201);
    }
    await expectPaged(owner, '/api/v1/kiosks', 5);
  });

  it('the invitation list pages, newest first', async () => {
    const sent: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const r = await owner.post('/api/v1/invitations', { email: `paged.${i}@example.com`, role: 'staff', location_id: bistro.locationId });
      expect(r.statusCode, r.body).toBe(201);
      sent.push(r.json().id);
    }
    await expectPaged(owner, '/api/v1/invitations', 5);
    expect((await walk(owner, '/api/v1/invitations', 2)).slice(0, 5)).toEqual(sent.reverse());
  });

  it('my sessions list pages, newest first, and marks the one in use', async () => {
    const me = t.anonymous(bistro);
    for (let i = 1; i <= 5; i++) await me.signIn(`auditor@${bistro.slug}.brigade.test`, PASSWORD);
    await expectPaged(me, '/api/v1/auth/sessions', 5);
    const [newest] = (await me.get('/api/v1/auth/sessions?limit=1')).json().items;
    expect(newest.current).toBe(true);
  });
});
