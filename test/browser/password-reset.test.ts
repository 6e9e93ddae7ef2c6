import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useBrowserApp } from './harness.ts';
import { PASSWORD } from '../harness.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';

const b = useBrowserApp();
let cafe: SeededTenant;

beforeAll(async () => {
  cafe = await b.t.tenant();
});

/** The reset link of the mail sent to `email`: `http://{slug}.localhost:PORT/reset#TOKEN`. */
async function resetLinkFor(email: string): Promise<string> {
  const mail = await b.mail.next((m) => m.to.includes(email));
  const link = /https?:\/\/\S+\/reset#\S+/.exec(mail.text)?.[0];
  if (!link) throw new Error(`no /reset#token link in the mail:\n${mail.text}`);
  expect(new URL(link).host).toBe(new URL(b.url(cafe)).host);
  return link;
}

async function askForLink(page: Page, email: string) {
  await page.goto(b.url(cafe, '/sign-in'));
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  expect(await page.getByRole('status').textContent()).toContain('If the address is known, a link is on its way');
}

async function choosePassword(page: Page, password: string, repeat = password) {
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('New password again', { exact: true }).fill(repeat);
  await page.getByRole('button', { name: 'Set the new password' }).click();
}

async function signInWith(page: Page, email: string, password: string) {
  await page.goto(b.url(cafe, '/sign-in'));
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('resetting a forgotten password in the browser', () => {
  it('mails a link, sets the new password with it, and only the new password signs in afterwards', async () => {
    const email = `staff@${cafe.slug}.brigade.test`;
    const newPassword = 'a quiet walk-in fridge at dawn';
    await askForLink(await b.page({ viewport: 'phone' }), email);

    const link = await resetLinkFor(email);
    const page = await b.page({ viewport: 'phone' });
    await page.goto(link);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();

    // Two different entries are caught in the page, before anything is sent.
    await choosePassword(page, newPassword, `${newPassword}!`);
    await page.getByText('The two passwords are not the same.').waitFor();
    expect(await page.getByLabel('New password again', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    // The server's reason for a weak password appears beside the field, and the link stays usable.
    await choosePassword(page, 'password');
    await page.getByText('Password is one of the most common passwords; choose another').waitFor();
    expect(await page.getByLabel('New password', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    await choosePassword(page, newPassword);
    await page.getByRole('heading', { name: 'Your password is changed' }).waitFor();
    await page.getByRole('link', { name: 'Sign in with your new password' }).click();
    await page.getByRole('heading', { name: `Sign in to ${cafe.name}` }).waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(newPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('signed-in-as').waitFor();
    expect(new URL(page.url()).pathname).toBe('/');

    const old = await b.page();
    await signInWith(old, email, PASSWORD);
    const alert = old.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('The email or password is not correct.');
    expect(new URL(old.url()).pathname).toBe('/sign-in');
  });

  it('refuses a link that was used already', async () => {
    const email = `manager@${cafe.slug}.brigade.test`;
    await askForLink(await b.page(), email);
    const link = await resetLinkFor(email);

    const first = await b.page();
    await first.goto(link);
    await choosePassword(first, 'the first new passphrase');
    await first.getByRole('heading', { name: 'Your password is changed' }).waitFor();

    const second = await b.page();
    await second.goto(link);
    await choosePassword(second, 'the second new passphrase');
    await second.getByRole('heading', { name: 'This link cannot be used' }).waitFor();
    expect(await second.getByRole('alert').textContent()).toContain('This reset link is not valid, was used already, or has expired.');
    await second.getByRole('link', { name: 'Ask for a new link' }).click();
    await second.getByRole('heading', { name: 'Forgot your password?' }).waitFor();

    // The second attempt changed nothing: the first new password still works.
    const check = await b.page();
    await signInWith(check, email, 'the first new passphrase');
    await check.getByTestId('signed-in-as').waitFor();
  });

  it('explains a link without its token and offers a new one', async () => {
    const page = await b.page({ viewport: 'phone' });
    await page.goto(b.url(cafe, '/reset'));
    await page.getByRole('heading', { name: 'This link is incomplete' }).waitFor();
    await page.getByRole('link', { name: 'Ask for a new link' }).click();
    await page.waitForURL((u) => u.pathname === '/forgot-password');
  });

  it('shows the field message for an address that is not an email', async () => {
    const page = await b.page();
    await page.goto(b.url(cafe, '/forgot-password'));
    await page.getByLabel('Email').fill('not an email');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByText('Must be an email address').waitFor();
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('heading', { name: 'Check your email' }).count()).toBe(0);
  });
});
