import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { useBrowserApp } from './harness.ts';

const b = useBrowserApp();

describe('signing up in the browser', () => {
  it('a bar signs up with its template, confirms the email, and its owner finds the starter queue and till', async () => {
    const slug = `corner-${randomBytes(3).toString('hex')}`;
    const email = `mo-${slug}@example.com`;
    const page = await b.page({ viewport: 'phone' });
    await page.goto(b.platformUrl('/sign-up'));
    await page.getByRole('heading', { name: 'Open your business on Brigade', level: 1 }).waitFor();
    await page.getByLabel('Business name').fill('Corner Bar');
    // The address follows the name until edited, and is checked as one types.
    expect(await page.getByLabel('Address').inputValue()).toBe('corner-bar');
    await page.getByLabel('Address').fill(slug);
    await page.getByRole('status').filter({ hasText: `${slug} is free.` }).waitFor();
    await page.getByLabel('Your email').fill(email);
    await page.getByLabel('Kind of business').selectOption({ label: 'Bar' });
    await page.getByLabel('Time zone').selectOption('Europe/Dublin');
    await page.getByRole('button', { name: 'Send me the link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();

    const mail = await b.mail.next((m) => m.to.includes(email));
    const link = /http:\/\/\S+\/sign-up\/verify#\S+/.exec(mail.text)?.[0];
    if (!link) throw new Error(`no verification link in:\n${mail.text}`);
    await page.goto(link);
    await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
    await page.getByLabel('Your name').fill('Mo Owner');
    await page.getByLabel('Password', { exact: true }).fill('a long and fresh passphrase');
    await page.getByLabel('Password again').fill('a long and fresh passphrase');
    await page.getByRole('button', { name: 'Open my business' }).click();
    await page.getByRole('heading', { name: 'Your business is open' }).waitFor();
    expect(await page.getByRole('alert').or(page.getByRole('status')).first().textContent()).toContain('waitlist and cash');

    // The owner signs in at the business's own address and finds the template's starter data.
    await page.getByRole('link', { name: 'Sign in to your business' }).click();
    await page.waitForURL(`**${slug}.localhost**/sign-in`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('a long and fresh passphrase');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Signed in: the header's sign-out button is there at every width.
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.goto(b.url(slug, '/waitlist/queues'));
    await page.getByText('Tables', { exact: true }).first().waitFor();
    await page.goto(b.url(slug, '/cash'));
    await page.getByText('Bar till').first().waitFor();
  });
});
