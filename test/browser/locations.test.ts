import { beforeAll, describe, expect, it } from 'vitest';
import { useBrowserApp } from './harness.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';

const b = useBrowserApp();
let cafe: SeededTenant;

beforeAll(async () => {
  cafe = await b.t.tenant();
});

describe('locations in the browser', () => {
  it('lets an admin open a location, rename it, and then choose it in the header', async () => {
    const page = await b.page();
    await b.signIn(page, cafe, 'admin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Locations' }).click();
    await page.getByRole('cell', { name: 'Main Street' }).waitFor();

    await page.getByRole('button', { name: 'New location' }).click();
    await page.waitForURL((u) => u.pathname === '/locations/new');
    await page.getByLabel('Name').fill('Harbour Kitchen');
    await page.getByLabel('Address').fill('12 Harbour Street, Leith');
    await page.getByLabel('Time zone').selectOption('Europe/Lisbon');
    await page.getByRole('button', { name: 'Create location' }).click();

    await page.waitForURL((u) => u.pathname === '/locations');
    const row = page.getByRole('row').filter({ hasText: 'Harbour Kitchen' });
    await row.waitFor();
    expect(await row.textContent()).toContain('12 Harbour Street, Leith');
    expect(await row.textContent()).toContain('Europe/Lisbon');
    // Stored as typed, not only shown.
    const owner = await b.t.as(cafe, 'owner');
    const stored = (await owner.get('/api/v1/locations')).json().items.find((l: { name: string }) => l.name === 'Harbour Kitchen');
    expect(stored).toMatchObject({ address: '12 Harbour Street, Leith', time_zone: 'Europe/Lisbon' });

    // With two locations the header offers a choice, the new one included.
    const switcher = page.getByLabel('Location', { exact: true });
    await switcher.locator('option', { hasText: 'Harbour Kitchen' }).waitFor({ state: 'attached' });

    await page.getByRole('link', { name: 'Edit Harbour Kitchen' }).click();
    await page.waitForURL((u) => u.pathname === `/locations/${stored.id}`);
    const name = page.getByLabel('Name');
    await expect.poll(() => name.inputValue()).toBe('Harbour Kitchen');
    await name.fill('Harbour Kitchen & Bar');
    await page.getByRole('button', { name: 'Save changes' }).click();

    await page.waitForURL((u) => u.pathname === '/locations');
    await page.getByRole('cell', { name: 'Harbour Kitchen & Bar' }).waitFor();
    await switcher.locator('option', { hasText: 'Harbour Kitchen & Bar' }).waitFor({ state: 'attached' });
    expect(await switcher.locator('option').allTextContents()).not.toContain('Harbour Kitchen');
    await switcher.selectOption({ label: 'Harbour Kitchen & Bar' });
    expect(await switcher.locator('option:checked').textContent()).toBe('Harbour Kitchen & Bar');
  });

  it('says so when someone else changed the location first, and reloads their change', async () => {
    const page = await b.page();
    await b.signIn(page, cafe, 'owner');
    await page.goto(b.url(cafe, `/locations/${cafe.locationId}`));
    const name = page.getByLabel('Name');
    await expect.poll(() => name.inputValue()).toBe('Main Street');

    // Meanwhile, in another browser:
    const admin = await b.t.as(cafe, 'admin');
    const current = (await admin.get(`/api/v1/locations/${cafe.locationId}`)).json();
    expect((await admin.patch(`/api/v1/locations/${cafe.locationId}`, { version: current.version, name: 'Main Street East' })).statusCode).toBe(200);

    await name.fill('Main Street West');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Someone else changed this location' });
    await alert.waitFor();
    expect(new URL(page.url()).pathname).toBe(`/locations/${cafe.locationId}`);

    await alert.getByRole('button', { name: 'Reload' }).click();
    await expect.poll(() => name.inputValue()).toBe('Main Street East');
  });

  it('shows staff the list without a way to add or change locations', async () => {
    const page = await b.page({ viewport: 'tablet' });
    await b.signIn(page, cafe, 'staff');
    await page.goto(b.url(cafe, '/locations'));
    await page.getByRole('heading', { name: 'Locations' }).waitFor();
    await page.getByRole('row').nth(1).waitFor();
    expect(await page.getByRole('row').count()).toBeGreaterThan(1);
    expect(await page.getByRole('button', { name: 'New location' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: /^Edit / }).count()).toBe(0);

    // Opening a location's address directly shows it, with no way to save.
    await page.goto(b.url(cafe, `/locations/${cafe.locationId}`));
    await page.getByText('You can see this location but not change it.').waitFor();
    expect(await page.getByRole('button', { name: 'Save changes' }).count()).toBe(0);
    expect(await page.getByLabel('Name').isEditable()).toBe(false);
  });
});
