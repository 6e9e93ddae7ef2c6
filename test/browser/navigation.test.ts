import { beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from '../harness.ts';
import { useBrowserApp } from './harness.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';

const b = useBrowserApp();
let cafe: SeededTenant;
let other: SeededTenant;

const EVERYONE = ['Today', 'Locations', 'My account'];
const MANAGEMENT = ['People', 'Kiosks', 'API keys', 'Audit log'];

beforeAll(async () => {
  [cafe, other] = await Promise.all([b.t.tenant(), b.t.tenant()]);
});

describe('navigation', () => {
  it('offers staff only their own pages, and the owner every page', async () => {
    const staff = await b.page();
    await b.signIn(staff, cafe, 'staff');
    const staffNav = staff.getByRole('navigation', { name: 'Main' });
    for (const label of EVERYONE) await staffNav.getByRole('link', { name: label, exact: true }).waitFor();
    for (const label of MANAGEMENT) expect(await staffNav.getByRole('link', { name: label, exact: true }).count(), label).toBe(0);

    const owner = await b.page();
    await b.signIn(owner, cafe, 'owner');
    const ownerNav = owner.getByRole('navigation', { name: 'Main' });
    for (const label of [...EVERYONE, ...MANAGEMENT]) await ownerNav.getByRole('link', { name: label, exact: true }).waitFor();
    await ownerNav.getByRole('link', { name: 'Audit log' }).click();
    await owner.getByTestId('audit-row').first().waitFor();
  });

  it('shows staff who open the audit log directly no records', async () => {
    // The server is the guard: staff asking the API for the trail are refused.
    const api = await b.t.as(cafe, 'staff');
    expect((await api.get('/api/v1/audit')).statusCode).toBe(403);

    const page = await b.page();
    await b.signIn(page, cafe, 'staff');
    await page.goto(b.url(cafe, '/audit'));
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'Not available to you' }).waitFor();
    expect(await page.getByTestId('audit-row').count()).toBe(0);
    expect(await page.getByRole('table').count()).toBe(0);
  });

  it("does not carry a session from one business's address to another's", async () => {
    const owner = await b.t.as(other, 'owner');
    const secret = `Secret Kitchen ${other.slug}`;
    expect((await owner.post('/api/v1/locations', { name: secret, time_zone: 'Europe/Paris' })).statusCode).toBe(201);

    const page = await b.page();
    await b.signIn(page, cafe, 'owner');
    await page.goto(b.url(other, '/locations'));
    await page.getByRole('heading', { name: `Sign in to ${other.name}` }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await page.locator('body').textContent()).not.toContain(secret);
    expect(await page.getByText(secret).count()).toBe(0);

    // Still signed in at home: the other address changed nothing there.
    await page.goto(b.url(cafe, '/locations'));
    await page.getByRole('heading', { name: 'Locations' }).waitFor();
    expect(await page.getByText(secret).count()).toBe(0);
  });

  it('opens the menu from the menu button on a phone', async () => {
    const page = await b.page({ viewport: 'phone' });
    await page.goto(b.url(cafe, '/sign-in'));
    await page.getByLabel('Email').fill(`manager@${cafe.slug}.brigade.test`);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const menu = page.getByRole('button', { name: 'Menu' });
    await menu.waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    // Folded away on a narrow screen until asked for.
    expect(await nav.isVisible()).toBe(false);
    expect(await menu.getAttribute('aria-expanded')).toBe('false');

    await menu.click();
    await nav.waitFor();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await nav.getByRole('link', { name: 'My account' }).click();
    await page.waitForURL((u) => u.pathname === '/account');
    await page.getByRole('heading', { name: 'My account' }).waitFor();
    // Choosing a page folds the menu again.
    await nav.waitFor({ state: 'hidden' });
  });
});
