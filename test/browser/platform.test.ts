import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import type { Page } from 'playwright-core';
import { PASSWORD } from '../harness.ts';
import { useBrowserApp } from './harness.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';

const b = useBrowserApp();
let cafe: SeededTenant;

beforeAll(async () => {
  cafe = await b.t.tenant();
});

/** A 6-digit code that is not the one the authenticator shows now. */
function wrongCode(right: string): string {
  return String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
}

async function openBusiness(page: Page, tenant: SeededTenant) {
  await page.goto(b.platformUrl(`/platform/tenants/${tenant.id}`));
  await page.getByRole('heading', { level: 1, name: tenant.name }).waitFor();
}

describe('the back office', () => {
  it('an operator sets up an authenticator, opens a business; its owner gets the invitation, sets a password and is signed in', async () => {
    const email = await b.newOperator();
    const page = await b.page();
    // Brigade's own address, not a business's: the back office asks to sign in first.
    await page.goto(b.platformUrl('/platform'));
    await page.getByRole('heading', { level: 1, name: 'Sign in to the back office' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/platform/sign-in');

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { level: 1, name: 'Set up your authenticator' }).waitFor();
    const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    const link = await page.getByTestId('totp-link').getAttribute('href');
    expect(link).toMatch(/^otpauth:\/\/totp\//);
    expect(new URL(link!).searchParams.get('secret')).toBe(secret);

    // A wrong code is refused beside the field, with the tries left; the right one opens the session.
    const right = await generate({ secret });
    await page.getByLabel('Code from the app').fill(wrongCode(right));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByText(/The code is not correct\. \d+ tries left/).waitFor();
    expect(await page.getByLabel('Code from the app').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Code from the app').fill(right);
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Save your recovery codes' }).waitFor();
    const codes = await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allTextContents();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await page.getByRole('button', { name: 'I have saved them, continue' }).click();
    await page.getByRole('heading', { level: 1, name: 'Businesses' }).waitFor();
    expect(await page.getByTestId('operator').textContent()).toBe(email);

    // --- A new business: the address is checked as it is typed.
    const suffix = randomBytes(3).toString('hex');
    const slug = `harbour-${suffix}`;
    const owner = `ines-${suffix}@harbour.example`;
    await page.getByRole('navigation', { name: 'Back office' }).getByRole('link', { name: 'New business' }).click();
    await page.getByRole('heading', { level: 1, name: 'New business' }).waitFor();
    await page.getByLabel('Business name').fill(`Harbour Grill ${suffix}`);
    const address = page.getByLabel('Address');
    // Suggested from the name until the operator types their own.
    await expect.poll(() => address.inputValue()).toBe(`harbour-grill-${suffix}`);
    await address.fill(cafe.slug);
    await page.getByText(`${cafe.slug} is taken (or reserved). Choose another address.`).waitFor();
    expect(await address.getAttribute('aria-invalid')).toBe('true');
    await address.fill(slug);
    await page.getByTestId('slug-availability').filter({ hasText: `${slug} is free` }).waitFor();
    await page.getByLabel("Owner's email").fill(owner);
    await page.getByLabel('Plan').selectOption('basic');
    await page.getByRole('button', { name: 'Create the business' }).click();

    await page.getByRole('heading', { level: 1, name: `Harbour Grill ${suffix}` }).waitFor();
    await page.getByRole('status').filter({ hasText: `The owner’s invitation is on its way to ${owner}.` }).waitFor();
    expect(await page.getByTestId('tenant-status').textContent()).toContain('Trial');
    expect(await page.getByTestId('tenant-plan').textContent()).toBe('Basic');
    const [stored] = await b.t.db.admin(`SELECT id, status, plan FROM tenants WHERE slug = $1`, [slug]);
    expect(stored).toMatchObject({ status: 'trial', plan: 'basic' });
    expect(new URL(page.url()).pathname).toBe(`/platform/tenants/${stored!.id}`);

    // The list finds it by search, status and plan, and leaves out what does not match.
    await page.getByRole('link', { name: 'All businesses' }).click();
    await page.getByLabel('Name or address').fill(suffix);
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.getByTestId('tenant-row');
    await rows.filter({ hasText: slug }).waitFor();
    await page.getByLabel('Status').selectOption('trial');
    await page.getByLabel('Plan').selectOption('basic');
    await page.waitForURL((u) => u.searchParams.get('status') === 'trial' && u.searchParams.get('plan') === 'basic' && u.searchParams.get('q') === suffix);
    await rows.filter({ hasText: slug }).waitFor();
    // The filtered list replaces the one before it: wait for it rather than count the rows of the old one.
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByLabel('Status').selectOption('active');
    await page.getByText('No business matches these filters.').waitFor();

    // --- The owner, from the invitation email, on the new business's own address.
    const mail = await b.mail.next((m) => m.to.includes(owner));
    const invite = /https?:\/\/\S+\/invite#\S+/.exec(mail.text)?.[0];
    if (!invite) throw new Error(`no /invite#token link in the mail:\n${mail.text}`);
    expect(new URL(invite).hostname).toBe(`${slug}.localhost`);
    const ownerPage = await b.page({ viewport: 'phone' });
    await ownerPage.goto(invite);
    await ownerPage.getByRole('heading', { name: `Join Harbour Grill ${suffix}` }).waitFor();
    await ownerPage.getByLabel('Your name').fill('Ines Harbour');
    await ownerPage.getByLabel('Password', { exact: true }).fill('a long and fresh passphrase');
    await ownerPage.getByLabel('Password again', { exact: true }).fill('a long and fresh passphrase');
    await ownerPage.getByRole('button', { name: 'Accept and sign in' }).click();
    await ownerPage.getByRole('heading', { name: 'Hello, Ines Harbour' }).waitFor();
    expect(await ownerPage.getByTestId('signed-in-as').textContent()).toBe('Ines Harbour');

    // Back in the back office, the business lists its owner.
    await page.goto(b.platformUrl(`/platform/tenants/${stored!.id}`));
    const people = page.getByRole('table', { name: 'People' });
    await people.getByRole('row').filter({ hasText: owner }).filter({ hasText: 'owner' }).waitFor();
  });

  it('asks for the code on later sign-ins, takes a recovery code instead, keeps the session over a reload and goes back to sign-in when it ends', async () => {
    const page = await b.page({ viewport: 'tablet' });
    const { email, recoveryCodes } = await b.operatorSignIn(page);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in to the back office' }).waitFor();
    // Signed out for real: the back office sends back to the sign-in page.
    await page.goto(b.platformUrl('/platform'));
    await page.getByRole('heading', { level: 1, name: 'Sign in to the back office' }).waitFor();

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { level: 1, name: 'Enter your code' }).waitFor();
    expect(await page.getByTestId('totp-secret').count()).toBe(0);
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    await page.getByLabel('Recovery code').fill('not-a-code');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText(/The recovery code is not correct, or was already used\./).waitFor();
    await page.getByLabel('Recovery code').fill(recoveryCodes[3]!);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Businesses' }).waitFor();

    // A reload asks the operator's session who is signed in, and changes still carry a valid token.
    await page.goto(b.platformUrl(`/platform/tenants/${cafe.id}`));
    await page.getByRole('heading', { level: 1, name: cafe.name }).waitFor();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: cafe.name }).waitFor();
    expect(await page.getByTestId('operator').textContent()).toBe(email);

    // The session ends behind the page's back: its next request takes the operator to the sign-in page, to come
    // back where they were.
    await b.t.db.admin(`UPDATE platform_sessions SET revoked_at = now() WHERE user_id = (SELECT id FROM platform_users WHERE email = $1)`, [email]);
    const planCard = page.getByRole('region', { name: 'Plan', exact: true });
    await planCard.getByLabel('Plan', { exact: true }).selectOption('professional');
    await planCard.getByRole('button', { name: 'Change plan' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in to the back office' }).waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe(`/platform/tenants/${cafe.id}`);
    expect(await b.t.db.admin(`SELECT plan FROM tenants WHERE id = $1`, [cafe.id])).toEqual([{ plan: 'enterprise' }]);
  });

  it('suspends a business with a reason: its sign-in page and guest pages say so, a signed-in owner is shown the same; reactivating brings it back', async () => {
    const biz = await b.t.tenant();
    const owner = await b.page();
    await b.signIn(owner, biz, 'owner');

    const page = await b.page();
    await b.operatorSignIn(page);
    await page.getByLabel('Name or address').fill(biz.slug);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: biz.name }).click();
    await page.getByRole('heading', { level: 1, name: biz.name }).waitFor();
    const lifecycle = page.getByRole('region', { name: 'Lifecycle' });
    // From active: past due, suspend, cancel; nothing that makes no sense.
    expect(await lifecycle.getByRole('button').allTextContents()).toEqual(['Mark past due', 'Suspend', 'Cancel business']);

    await lifecycle.getByRole('button', { name: 'Suspend' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: `Suspend: ${biz.name}` }).waitFor();
    await dialog.getByRole('button', { name: 'Suspend' }).click();
    await dialog.getByText('Give a reason: it goes into both audit logs.').waitFor();
    expect(await b.t.db.admin(`SELECT status FROM tenants WHERE id = $1`, [biz.id])).toEqual([{ status: 'active' }]);
    await dialog.getByLabel('Reason').fill('payment failed three times');
    await dialog.getByRole('button', { name: 'Suspend' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('tenant-status').filter({ hasText: 'Suspended' }).waitFor();
    const history = page.getByTestId('history-row').first();
    await history.filter({ hasText: 'payment failed three times' }).waitFor();
    expect(await history.textContent()).toContain('Active');
    expect(await lifecycle.getByRole('button').allTextContents()).toEqual(['Cancel business', 'Reactivate']);
    expect(await b.t.db.admin(`SELECT status FROM tenants WHERE id = $1`, [biz.id])).toEqual([{ status: 'suspended' }]);

    // The business's sign-in page, in another browser.
    const visitor = await b.page({ viewport: 'phone' });
    await visitor.goto(b.url(biz, '/sign-in'));
    await visitor.getByRole('heading', { level: 1, name: 'Account suspended' }).waitFor();
    await visitor.getByRole('alert').filter({ hasText: 'This account is suspended' }).waitFor();
    expect(await visitor.getByLabel('Password').count()).toBe(0);
    // A guest at the door.
    await visitor.goto(b.url(biz, '/w'));
    await visitor.getByRole('heading', { level: 1, name: 'Temporarily unavailable' }).waitFor();
    await visitor.getByText('Joining the waitlist online is temporarily unavailable.').waitFor();

    // The owner who was signed in meets it on their next step.
    await owner.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Locations' }).click();
    await owner.getByRole('heading', { level: 1, name: 'Account suspended' }).waitFor();

    // Reactivated, the sign-in page is back.
    await lifecycle.getByRole('button', { name: 'Reactivate' }).click();
    await dialog.getByLabel('Reason').fill('paid in full');
    await dialog.getByRole('button', { name: 'Reactivate' }).click();
    await page.getByTestId('tenant-status').filter({ hasText: 'Active' }).waitFor();
    await visitor.goto(b.url(biz, '/sign-in'));
    await visitor.getByRole('heading', { level: 1, name: `Sign in to ${biz.name}` }).waitFor();
  });

  it('refuses a downgrade the business has outgrown with what is over, then changes the plan and the exceptions', async () => {
    const biz = await b.t.tenant();
    const page = await b.page();
    await b.operatorSignIn(page);
    await openBusiness(page, biz);
    const planCard = page.getByRole('region', { name: 'Plan', exact: true });
    // A seeded business has six back-office seats (every role but staff); Basic allows five.
    await planCard.getByLabel('Plan', { exact: true }).selectOption('basic');
    await planCard.getByRole('button', { name: 'Change plan' }).click();
    const refusal = planCard.getByRole('alert').filter({ hasText: `Basic is too small for ${biz.name}` });
    await refusal.waitFor();
    expect(await refusal.getByRole('listitem').allTextContents()).toContain('Back-office seats: 6 in use, 5 allowed');
    expect(await page.getByTestId('tenant-plan').textContent()).toBe('Enterprise');

    await planCard.getByLabel('Plan', { exact: true }).selectOption('professional');
    await planCard.getByRole('button', { name: 'Change plan' }).click();
    await page.getByTestId('tenant-plan').filter({ hasText: 'Professional' }).waitFor();
    const allowedLocations = page.getByRole('table', { name: 'Usage against limits' }).locator('[data-limit="locations"] [data-testid="allowed"]');
    await allowedLocations.filter({ hasText: /^5$/ }).waitFor();

    // Exceptions for this one business: twelve locations, no waitlist.
    const exceptions = page.getByRole('region', { name: 'Features and limits for this business' });
    await exceptions.getByLabel('Locations', { exact: true }).selectOption('custom');
    await exceptions.getByLabel('Locations: the number').fill('12');
    await exceptions.getByLabel('Waitlist', { exact: true }).selectOption('off');
    await exceptions.getByRole('button', { name: 'Save the exceptions' }).click();
    await exceptions.getByRole('status').filter({ hasText: 'The exceptions are saved' }).waitFor();
    const admin = await b.t.platformAdmin();
    const detail = (await admin.get(`/api/v1/platform/tenants/${biz.id}`)).json();
    expect(detail.overrides).toEqual({ features: { waitlist: false }, limits: { locations: 12 } });
    expect(detail.entitlements.features).not.toContain('waitlist');
    await allowedLocations.filter({ hasText: /^12$/ }).waitFor();
    // The form shows what is stored now, so a second save keeps it.
    expect(await exceptions.getByLabel('Locations: the number').inputValue()).toBe('12');
    expect(await exceptions.getByLabel('Waitlist', { exact: true }).inputValue()).toBe('off');
  });
});
