import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Client } from '../harness.ts';
import { useBrowserApp } from './harness.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';

const b = useBrowserApp();
let operator: Client;

beforeAll(async () => {
  operator = await b.t.platformAdmin();
});

/** The operator's exceptions for one business, set through the platform API. */
async function overrides(tenant: SeededTenant, body: { features?: Record<string, boolean>; limits?: Record<string, number | null> }) {
  const r = await operator.put(`/api/v1/platform/tenants/${tenant.id}/overrides`, body);
  expect(r.statusCode, r.body).toBe(200);
}

async function count(table: string, tenant: SeededTenant, where = 'true'): Promise<number> {
  const [r] = await b.t.db.admin(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1 AND ${where}`, [tenant.id]);
  return Number(r!.n);
}

describe('plan limits and features in the browser', () => {
  it('an owner at the plan’s number of locations is told so on the form, and nothing is created; with room, the same form works', async () => {
    const biz = await b.t.tenant();
    await overrides(biz, { limits: { locations: 1 } });
    const page = await b.page();
    await b.signIn(page, biz, 'owner');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Locations' }).click();
    await page.getByRole('button', { name: 'New location' }).click();
    await page.getByLabel('Name').fill('Harbour Kitchen');
    await page.getByRole('button', { name: 'Create location' }).click();

    const refusal = page.getByRole('alert').filter({ hasText: 'Plan limit reached' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain("This business's plan allows 1 locations; it has 1.");
    expect(new URL(page.url()).pathname).toBe('/locations/new');
    expect(await count('locations', biz)).toBe(1);

    // Raised by the operator, the same form goes through.
    await overrides(biz, { limits: { locations: 2 } });
    await page.getByRole('button', { name: 'Create location' }).click();
    await page.waitForURL((u) => u.pathname === '/locations');
    await page.getByRole('cell', { name: 'Harbour Kitchen' }).waitFor();
    expect(await count('locations', biz)).toBe(2);
  });

  it('inviting past the back-office seats and opening a queue past the queues per location say the same, in the same words', async () => {
    const biz = await b.t.tenant();
    // A seeded business has six back-office seats and one queue at its location.
    await overrides(biz, { limits: { users: 6, queues_per_location: 1 } });
    const page = await b.page();
    await b.signIn(page, biz, 'owner');
    await page.goto(b.url(biz, '/people'));
    await page.getByRole('heading', { name: 'Invite someone' }).waitFor();
    const email = `new-${randomBytes(3).toString('hex')}@example.com`;
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Admin' });
    await page.getByRole('button', { name: 'Send the invitation' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'Plan limit reached' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain("This business's plan allows 6 users; it has 6.");
    expect(await count('invitations', biz)).toBe(0);
    // Staff take no back-office seat: the same form invites them.
    await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Staff' });
    await page.getByRole('button', { name: 'Send the invitation' }).click();
    await page.getByRole('status').filter({ hasText: 'Invitation sent' }).waitFor();
    expect(await count('invitations', biz)).toBe(1);

    await page.goto(b.url(biz, '/waitlist/queues'));
    await page.getByRole('listitem', { name: 'Dining room' }).waitFor();
    await page.getByRole('button', { name: 'New queue' }).click();
    const form = page.getByRole('region', { name: 'New queue' });
    await form.getByLabel('Name').fill('Terrace');
    await form.getByRole('button', { name: 'Create queue' }).click();
    const queueRefusal = form.getByRole('alert').filter({ hasText: 'Plan limit reached' });
    await queueRefusal.waitFor();
    expect(await queueRefusal.textContent()).toContain("This business's plan allows 1 queues per location; it has 1.");
    expect(await count('waitlist_queues', biz, 'deleted_at IS NULL')).toBe(1);
  });

  it('a module switched off for the business says so to its staff and to its guests', async () => {
    const biz = await b.t.tenant();
    await overrides(biz, { features: { waitlist: false } });
    const page = await b.page();
    await b.signIn(page, biz, 'manager');
    await page.goto(b.url(biz, '/waitlist'));
    const alert = page.getByRole('alert').filter({ hasText: 'Waitlist is not available' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('The waitlist feature is not part of this business');

    const guest = await b.page({ viewport: 'phone' });
    await guest.goto(b.url(biz, '/w'));
    await guest.getByRole('alert').filter({ hasText: 'The waitlist is not available here' }).waitFor();
    expect(await guest.getByRole('link', { name: /^Join / }).count()).toBe(0);
  });

  it('the owner’s usage page shows the plan, each limit in use against what is allowed, and the features', async () => {
    const biz = await b.t.tenant();
    await overrides(biz, { limits: { locations: 1, users: null }, features: { ordering: false } });
    const owner = await b.t.as(biz, 'owner');
    const usage = (await owner.get('/api/v1/usage')).json();

    const page = await b.page();
    await b.signIn(page, biz, 'owner');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Plan and usage' }).click();
    await page.getByRole('heading', { level: 1, name: 'Plan and usage' }).waitFor();
    expect(await page.getByTestId('plan-name').textContent()).toBe('Enterprise');

    const row = (limit: string) => page.locator(`[data-testid="limit"][data-limit="${limit}"]`);
    await row('locations').waitFor();
    const cells = async (limit: string) => [await row(limit).getByTestId('used').textContent(), await row(limit).getByTestId('allowed').textContent()];
    // The numbers are the API's own.
    expect(usage.usage).toMatchObject({ locations: 1, users: 6, employees: 7 });
    expect(await cells('locations')).toEqual(['1', '1']);
    expect(await row('locations').textContent()).toContain('Limit reached');
    expect(await cells('users')).toEqual(['6', 'Unlimited']);
    expect(await cells('employees')).toEqual(['7', String(usage.entitlements.limits.employees)]);
    expect(await row('users').textContent()).not.toContain('Limit reached');

    const feature = (name: string) => page.getByTestId('feature').filter({ hasText: name });
    expect(await feature('Waitlist').getAttribute('data-included')).toBe('true');
    expect(await feature('Ordering').textContent()).toContain('Not included');

    // Admins run the business but not its plan: no menu entry, and the page says so if opened.
    const admin = await b.page();
    await b.signIn(admin, biz, 'admin');
    expect(await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Plan and usage' }).count()).toBe(0);
    await admin.goto(b.url(biz, '/usage'));
    await admin.getByRole('alert').filter({ hasText: 'Not available to you' }).waitFor();
    expect(await admin.getByTestId('limit').count()).toBe(0);
  });
});
