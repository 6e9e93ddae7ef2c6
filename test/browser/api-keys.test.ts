import { beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../harness.ts';
import { useBrowserApp } from './harness.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';

const b = useBrowserApp();
let bistro: SeededTenant;

beforeAll(async () => {
  bistro = await b.t.tenant();
});

/** The booking site itself, calling the API with the token the owner pasted into it. */
function bookingSite(token: string): Client {
  const c = new Client(b.t.app, `${bistro.slug}.localhost`);
  c.headers.authorization = `Bearer ${token}`;
  return c;
}

describe('API keys in the browser', () => {
  it('an owner creates a key for the booking site, sees its token once, and revokes it', async () => {
    const page = await b.page();
    await b.signIn(page, bistro, 'owner');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();

    await page.getByLabel('Key name').fill('Booking site');
    await page.getByLabel('Acts as').selectOption('staff');
    await page.getByLabel('Location').waitFor();
    await page.getByRole('button', { name: 'Create key' }).click();
    const tokenField = page.getByRole('textbox', { name: 'API token' });
    await tokenField.waitFor();
    const token = await tokenField.inputValue();
    expect(token).toMatch(/^bak_/);
    await page.getByText('You will not see this token again').waitFor();
    await page.getByRole('button', { name: 'Copy api token' }).waitFor();
    const row = page.getByRole('row', { name: /Booking site/ });
    await row.getByText('Staff').waitFor();
    await row.getByText('Never').waitFor();

    // The token works for the site until it is revoked.
    expect((await bookingSite(token).get('/api/v1/waitlist/queues')).statusCode).toBe(200);

    // Once hidden, the page has no way to show it again: only the list without it remains.
    await page.getByRole('button', { name: 'Done, hide the token' }).click();
    expect(await page.getByRole('textbox', { name: 'API token' }).count()).toBe(0);
    await page.reload();
    await page.getByRole('row', { name: /Booking site/ }).waitFor();
    expect(await page.content()).not.toContain(token.split('.')[1]);

    await page.getByRole('button', { name: 'Revoke Booking site' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('row', { name: /Booking site/ }).getByText('Revoked').waitFor();
    expect((await bookingSite(token).get('/api/v1/waitlist/queues')).statusCode).toBe(401);
  });
});
