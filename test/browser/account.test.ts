import { beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from '../harness.ts';
import { useBrowserApp } from './harness.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';

const b = useBrowserApp();
let cafe: SeededTenant;

beforeAll(async () => {
  cafe = await b.t.tenant();
});

describe('my account in the browser', () => {
  it('changes my name, and the header and my activity show it', async () => {
    const page = await b.page();
    await b.signIn(page, cafe, 'manager');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My account' }).click();
    const profile = page.getByRole('region', { name: 'Profile' });
    expect(await profile.getByLabel('Email').inputValue()).toBe(`manager@${cafe.slug}.brigade.test`);
    expect(await profile.getByLabel('Email').isEditable()).toBe(false);

    await profile.getByLabel('Name').fill('Morgan Ortiz');
    await profile.getByRole('button', { name: 'Save name' }).click();
    await page.getByTestId('signed-in-as').filter({ hasText: 'Morgan Ortiz' }).waitFor();
    await page.getByRole('region', { name: 'Recent activity' }).getByText('identity.profile_updated').waitFor();

    await page.reload();
    await page.getByTestId('signed-in-as').filter({ hasText: 'Morgan Ortiz' }).waitFor();
  });

  it('changes my password: mistakes are shown beside the fields, other sessions end, the new one signs in', async () => {
    const elsewhere = await b.t.as(cafe, 'location_manager');
    const page = await b.page();
    await b.signIn(page, cafe, 'location_manager');
    await page.goto(b.url(cafe, '/account'));
    const form = page.getByRole('region', { name: 'Password' });
    const current = form.getByLabel('Current password');
    const next = form.getByLabel('New password', { exact: true });
    const repeat = form.getByLabel('New password again');
    const submit = form.getByRole('button', { name: 'Change password' });

    await current.fill(PASSWORD);
    await next.fill('plum tart on a tuesday');
    await repeat.fill('plum tart on a wednesday');
    await submit.click();
    await form.getByText('The two passwords are not the same.').waitFor();

    await current.fill('not my password');
    await repeat.fill('plum tart on a tuesday');
    await submit.click();
    await form.getByText('The current password is not correct.').waitFor();
    expect(await current.getAttribute('aria-invalid')).toBe('true');

    await current.fill(PASSWORD);
    await next.fill('password');
    await repeat.fill('password');
    await submit.click();
    await form.getByText(/common password/).waitFor();
    expect(await next.getAttribute('aria-invalid')).toBe('true');

    await next.fill('plum tart on a tuesday');
    await repeat.fill('plum tart on a tuesday');
    await submit.click();
    await form.getByRole('status').filter({ hasText: 'Password changed' }).waitFor();
    expect(await form.getByRole('status').textContent()).toContain('1 other session was signed out.');
    expect((await elsewhere.get('/api/v1/auth/session')).statusCode).toBe(401);

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: `Sign in to ${cafe.name}` }).waitFor();
    await page.getByLabel('Email').fill(`location_manager@${cafe.slug}.brigade.test`);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The email or password is not correct.' }).waitFor();
    await page.getByLabel('Password').fill('plum tart on a tuesday');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  });

  it('sets my kiosk PIN', async () => {
    await b.t.db.admin(`UPDATE users SET pin_hash = NULL WHERE tenant_id = $1 AND id = $2`, [cafe.id, cafe.users.staff]);
    const page = await b.page({ viewport: 'phone' });
    await page.goto(b.url(cafe, '/sign-in?next=/account'));
    await page.getByLabel('Email').fill(`staff@${cafe.slug}.brigade.test`);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const card = page.getByRole('region', { name: 'Kiosk PIN' });
    await card.getByText('No PIN set').waitFor();
    const pin = card.getByLabel('New PIN');
    expect(await pin.getAttribute('inputmode')).toBe('numeric');

    await card.getByLabel('Current password').fill(PASSWORD);
    await pin.fill('12');
    await card.getByRole('button', { name: 'Set PIN' }).click();
    await card.getByText('The PIN must be 4 to 6 digits.').waitFor();

    await pin.fill('5937');
    await card.getByRole('button', { name: 'Set PIN' }).click();
    await card.getByRole('status').filter({ hasText: 'Your new PIN is set.' }).waitFor();
    await card.getByText('A PIN is set').waitFor();
    const [row] = await b.t.db.admin(`SELECT pin_hash FROM users WHERE tenant_id = $1 AND id = $2`, [cafe.id, cafe.users.staff]);
    expect(row?.pin_hash).toBeTruthy();
  });

  it('lists my sessions and signs out everywhere, ending the session in another browser', async () => {
    const second = await b.page();
    await b.signIn(second, cafe, 'compliance_officer');

    const page = await b.page();
    await b.signIn(page, cafe, 'compliance_officer');
    await page.goto(b.url(cafe, '/account'));
    const sessions = page.getByRole('region', { name: 'Active sessions', exact: true });
    const thisDevice = sessions.getByRole('row').filter({ hasText: 'This device' });
    await thisDevice.waitFor();
    expect(await thisDevice.count()).toBe(1);
    expect(await sessions.getByRole('row').count()).toBe(3); // the header and two sessions

    await sessions.getByRole('button', { name: 'Sign out everywhere' }).click();
    await sessions.getByRole('button', { name: 'Yes, sign out everywhere' }).click();
    await page.getByRole('heading', { name: `Sign in to ${cafe.name}` }).waitFor();

    await second.reload();
    await second.getByRole('heading', { name: `Sign in to ${cafe.name}` }).waitFor();
    expect(new URL(second.url()).pathname).toBe('/sign-in');
  });
});
