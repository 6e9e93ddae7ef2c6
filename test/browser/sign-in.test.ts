import { beforeAll, describe, expect, it } from 'vitest';
import { useBrowserApp } from './harness.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';

const b = useBrowserApp();
let cafe: SeededTenant;

beforeAll(async () => {
  cafe = await b.t.tenant();
});

describe('signing in and out in the browser', () => {
  it('shows the business on the sign-in page, signs in, and signs out', async () => {
    const page = await b.page();
    await page.goto(b.url(cafe, '/'));
    // Not signed in: the app sends the person to the sign-in page of this business.
    await page.getByRole('heading', { name: `Sign in to ${cafe.name}` }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');

    await b.signIn(page, cafe, 'owner');
    expect(await page.getByTestId('signed-in-as').textContent()).toBeTruthy();
    expect(new URL(page.url()).pathname).toBe('/');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: `Sign in to ${cafe.name}` }).waitFor();
    // The session really ended: reloading a signed-in page lands on the sign-in page again.
    await page.goto(b.url(cafe, '/account'));
    await page.getByRole('heading', { name: `Sign in to ${cafe.name}` }).waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe('/account');
  });

  it('says so when the password is wrong', async () => {
    const page = await b.page();
    await page.goto(b.url(cafe, '/sign-in'));
    await page.getByLabel('Email').fill(`owner@${cafe.slug}.brigade.test`);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('The email or password is not correct.');
    expect(new URL(page.url()).pathname).toBe('/sign-in');
  });

  it('comes back to the page asked for after signing in', async () => {
    const page = await b.page({ viewport: 'phone' });
    await page.goto(b.url(cafe, '/account'));
    await page.getByLabel('Email').fill(`staff@${cafe.slug}.brigade.test`);
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/account');
  });

  it('explains a locked account and when it opens again', async () => {
    const diner = await b.t.tenant();
    await b.t.db.admin(`UPDATE users SET sign_in_locked_until = now() + interval '15 minutes' WHERE id = $1`, [diner.users.manager]);
    const page = await b.page({ viewport: 'phone' });
    await page.goto(b.url(diner, '/sign-in'));
    await page.getByLabel('Email').fill(`manager@${diner.slug}.brigade.test`);
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Account locked');
    expect(await alert.textContent()).toContain('locked for 15 minutes');
    expect(new URL(page.url()).pathname).toBe('/sign-in');
  });

  it('says how long to wait once too many attempts came from this browser', async () => {
    const diner = await b.t.tenant();
    const page = await b.page();
    await page.goto(b.url(diner, '/sign-in'));
    await page.getByLabel('Email').fill(`staff@${diner.slug}.brigade.test`);
    const alert = page.getByRole('alert');
    for (let i = 1; i <= 11; i++) {
      await page.getByLabel('Password').fill(`wrong guess ${i}`);
      const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/sign-in'));
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect((await answered).status()).toBe(i <= 10 ? 401 : 429);
    }
    await alert.filter({ hasText: 'Too many attempts' }).waitFor();
    expect(await alert.textContent()).toMatch(/Try again in \d+ seconds/);
  });
});
