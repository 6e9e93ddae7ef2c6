import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBrowserApp, type VIEWPORTS } from './harness.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';

// axe-core, the standard automated WCAG checker, run inside the real pages.
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const b = useBrowserApp();
let cafe: SeededTenant;

beforeAll(async () => {
  cafe = await b.t.tenant();
  // Cash pages with something on them: a drawer counted short (a pending count, a chart bar) and a drawer still open.
  const staff = await b.t.as(cafe, 'staff');
  const owner = await b.t.as(cafe, 'owner');
  const main = (await staff.get('/api/v1/cash/registers')).json().items[0].id;
  const counted = (await staff.post(`/api/v1/cash/registers/${main}/drawers`, { opening_count: [{ value: 2000, quantity: 5 }] })).json().id;
  await staff.post(`/api/v1/cash/drawers/${counted}/count`, { lines: [{ value: 2000, quantity: 4 }] });
  const bar = (await owner.post('/api/v1/cash/registers', { location_id: cafe.locationId, name: 'Bar' })).json().id;
  await staff.post(`/api/v1/cash/registers/${bar}/drawers`, { opening_count: [{ value: 2000, quantity: 5 }] });
});

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** WCAG 2 A and AA violations of the page as it stands, serious or worse, as readable lines. */
async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Violation[] }> } }).axe;
    return (await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] })).violations;
  });
  return found
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${page.url()} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

async function check(page: Page, path: string, ready: (p: Page) => Promise<unknown>): Promise<string[]> {
  await page.goto(b.url(cafe, path));
  await ready(page);
  return violations(page);
}

describe('accessibility (axe-core, WCAG 2.1 A and AA)', () => {
  for (const viewport of ['desktop', 'phone'] as (keyof typeof VIEWPORTS)[]) {
    it(`the signed-out pages have labelled fields, names and enough contrast (${viewport})`, async () => {
      const page = await b.page({ viewport, bypassCSP: true });
      const heading = (p: Page) => p.getByRole('heading', { level: 1 }).waitFor();
      const problems = [
        ...(await check(page, '/sign-in', heading)),
        ...(await check(page, '/forgot-password', heading)),
        ...(await check(page, '/reset#br_not-a-real-token.x', heading)),
        ...(await check(page, '/invite#bi_not-a-real-token.x', heading)),
        ...(await check(page, '/kiosk', heading)),
        ...(await check(page, '/w', heading)),
      ];
      expect(problems).toEqual([]);
    });

    it(`the signed-in pages pass too (${viewport})`, async () => {
      const page = await b.page({ viewport, bypassCSP: true });
      await b.signIn(page, cafe, 'owner');
      const problems: string[] = [];
      for (const [path, name] of [
        ['/', /Hello/],
        ['/account', 'My account'],
        ['/locations', 'Locations'],
        ['/locations/new', 'New location'],
        ['/people', 'People'],
        ['/kiosks', 'Kiosks'],
        ['/api-keys', 'API keys'],
        ['/audit', 'Audit log'],
        ['/cash', 'Cash'],
        ['/cash/approvals', 'Approvals'],
        ['/cash/day', 'Day close'],
        ['/cash/reports', 'Cash reports'],
        ['/cash/settings', 'Cash settings'],
        ['/waitlist', 'Waitlist'],
        ['/waitlist/queues', 'Waitlist queues'],
        ['/waitlist/analytics', 'Waitlist analytics'],
        ['/usage', 'Plan and usage'],
        ['/settings', 'Settings'],
      ] as const) {
        // The page's own data loaded (no spinner left), so axe sees what a person sees.
        problems.push(...(await check(page, path, async (p) => {
          await p.getByRole('heading', { level: 1, name }).waitFor();
          await p.getByRole('status').filter({ hasText: 'Loading' }).first().waitFor({ state: 'detached' }).catch(() => {});
        })));
      }
      expect(problems).toEqual([]);
      // Seventeen pages, each loaded and checked: past the default 30 s on a busy machine.
    }, 90_000);

    it(`the back office passes, signed out and signed in (${viewport})`, async () => {
      const page = await b.page({ viewport, bypassCSP: true });
      const problems: string[] = [];
      await page.goto(b.platformUrl('/platform/sign-in'));
      await page.getByRole('heading', { level: 1, name: 'Sign in to the back office' }).waitFor();
      problems.push(...(await violations(page)));
      // Signing up lives on the same address, before anyone is signed in.
      for (const [path, name] of [
        ['/sign-up', 'Open your business on Brigade'],
        ['/sign-up/verify#bsu_example', 'Choose your password'],
      ] as const) {
        await page.goto(b.platformUrl(path));
        await page.getByRole('heading', { level: 1, name }).waitFor();
        problems.push(...(await violations(page)));
      }
      await b.operatorSignIn(page);
      for (const [path, name] of [
        ['/platform', 'Businesses'],
        ['/platform/tenants/new', 'New business'],
        [`/platform/tenants/${cafe.id}`, cafe.name],
      ] as const) {
        await page.goto(b.platformUrl(path));
        await page.getByRole('heading', { level: 1, name }).waitFor();
        await page.getByRole('status').filter({ hasText: 'Loading' }).first().waitFor({ state: 'detached' }).catch(() => {});
        problems.push(...(await violations(page)));
      }
      expect(problems).toEqual([]);
    });
  }

  it('the pages of a suspended business pass', async () => {
    const closed = await b.t.tenant();
    const operator = await b.t.platformAdmin();
    expect((await operator.post(`/api/v1/platform/tenants/${closed.id}/status`, { status: 'suspended', reason: 'accessibility check' })).statusCode).toBe(200);
    const page = await b.page({ viewport: 'phone', bypassCSP: true });
    const problems: string[] = [];
    for (const [path, name] of [
      ['/sign-in', 'Account suspended'],
      ['/w', 'Temporarily unavailable'],
    ] as const) {
      await page.goto(b.url(closed, path));
      await page.getByRole('heading', { level: 1, name }).waitFor();
      problems.push(...(await violations(page)));
    }
    expect(problems).toEqual([]);
  });

  it('the kiosk PIN pad passes on a tablet', async () => {
    const admin = await b.t.as(cafe, 'admin');
    const token = (await admin.post('/api/v1/kiosks', { location_id: cafe.locationId, name: 'Bar tablet' })).json().device_token;
    const page = await b.page({ viewport: 'tablet', bypassCSP: true });
    await page.goto(b.url(cafe, `/kiosk#setup=${token}`));
    await page.getByRole('button', { name: /Staff/ }).first().click();
    await page.getByRole('button', { name: '5' }).waitFor();
    expect(await violations(page)).toEqual([]);
  });
});
