import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { useBrowserApp } from './harness.ts';
import { PIN } from '../harness.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';
import type { TenantRole } from '../../src/identity/permissions.ts';

const b = useBrowserApp();

/** The name seedTenant gives the person holding a role ("Staff (Test t1-…)"). */
const nameOf = (t: SeededTenant, role: TenantRole) => `${role.replace('_', ' ').replace(/^./, (c) => c.toUpperCase())} (${t.name})`;
/** Dollars as the pages write them (the seeded businesses count in USD, en-US). */
const usd = (minor: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(minor / 100);

/** Registered through the API by the owner, as the kiosk tests do; the tablet opens the set-up link. */
async function setUpKiosk(t: SeededTenant, page: Page) {
  const owner = await b.t.as(t, 'owner');
  const r = await owner.post('/api/v1/kiosks', { location_id: t.locationId, name: 'Counter tablet' });
  expect(r.statusCode, r.body).toBe(201);
  await page.goto(b.url(t, `/kiosk#setup=${r.json().device_token as string}`));
  await page.getByRole('heading', { name: 'Who is signing in?' }).waitFor();
}

/** On the kiosk's list of names: tap the person, tap the PIN, and go to the cash drawer from the kiosk's actions. */
async function pinIntoCash(page: Page, t: SeededTenant, role: TenantRole) {
  await page.getByRole('button', { name: nameOf(t, role), exact: true }).click();
  for (const digit of PIN) await page.getByRole('button', { name: digit, exact: true }).click();
  await page.getByRole('button', { name: 'Enter', exact: true }).click();
  await page.getByRole('heading', { name: `Hello, ${nameOf(t, role)}` }).waitFor();
  await page.getByRole('link', { name: /^Cash drawer/ }).click();
  await page.getByRole('heading', { name: 'Cash drawer', level: 1 }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/kiosk/cash');
}

async function signOutOfKiosk(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Who is signing in?' }).waitFor();
}

const register = (page: Page, name = 'Main register') => page.getByRole('listitem', { name });
const total = (scope: Page | Locator) => scope.getByTestId('count-total');

/** The pending count of this register by this person on the approvals page, opened for a decision. */
async function reviewPending(page: Page, t: SeededTenant, expectRow: string[]) {
  await page.goto(b.url(t, '/cash/approvals'));
  await page.getByRole('heading', { name: 'Approvals', level: 1 }).waitFor();
  const row = page.getByRole('region', { name: /Counts waiting for a decision/ }).getByRole('row').filter({ hasText: nameOf(t, 'staff') });
  await expect.poll(() => row.count()).toBe(1);
  for (const text of expectRow) await row.getByText(text, { exact: true }).waitFor();
  await row.getByRole('link', { name: /^Review Main register/ }).click();
  await page.getByRole('button', { name: 'Approve' }).waitFor();
}

describe('cash in the browser', () => {
  it('staff open and count on the kiosk; a short count is rejected, recounted, approved, and the day closes into a Z report', async () => {
    const t = await b.t.tenant();
    const staff = nameOf(t, 'staff');
    const manager = nameOf(t, 'manager');
    const settings = (await (await b.t.as(t, 'owner')).get('/api/v1/cash/settings')).json();
    // The defaults this flow relies on: a count off by more than $5.00 waits for a manager, and counts are blind.
    expect(settings).toMatchObject({ currency: 'USD', variance_tolerance: 500, blind_counts: true, approval_required: false });

    // --- The staff member opens the drawer on the kiosk with a $100.00 float.
    const kiosk = await b.page({ viewport: 'tablet' });
    await setUpKiosk(t, kiosk);
    await pinIntoCash(kiosk, t, 'staff');
    await register(kiosk).getByText('No drawer open').waitFor();
    await register(kiosk).getByRole('button', { name: 'Open drawer' }).click();
    await kiosk.getByRole('heading', { name: 'Open the drawer of Main register' }).waitFor();
    expect(await kiosk.getByTestId('float-target').textContent()).toContain(`Usual float: ${usd(settings.default_float)}`);
    await kiosk.getByLabel('$20 notes', { exact: true }).fill('5');
    await expect.poll(() => total(kiosk).textContent()).toBe('$100.00');
    await kiosk.getByRole('button', { name: 'Open drawer with $100.00' }).click();
    await kiosk.getByRole('heading', { name: 'Main register drawer' }).waitFor();
    await kiosk.getByText(`Opened by ${staff}`).waitFor();

    // Blind count: what the drawer should hold is hidden, and said to be, not shown as zero.
    const should = kiosk.getByRole('region', { name: 'What the drawer should hold' });
    await should.getByText('$100.00').waitFor();
    expect(await should.getByText('Hidden until a manager reviews', { exact: true }).count()).toBe(2);
    await should.getByText(/Blind count: the expected amount/).waitFor();

    // --- A pay out: the reason is required, then it is recorded with who and what.
    const form = kiosk.getByRole('region', { name: 'Record a movement' });
    await form.getByLabel('Movement').selectOption({ label: 'Pay out' });
    await form.getByLabel('Amount (USD)').fill('12.50');
    await form.getByRole('button', { name: 'Record pay out' }).click();
    await form.getByText('Say what the pay out was for.').waitFor();
    await form.getByLabel('Reason').fill('Ice from the corner shop');
    await form.getByRole('button', { name: 'Record pay out' }).click();
    await form.getByText('Pay out of $12.50 recorded.').waitFor();
    const payOut = kiosk.getByRole('region', { name: 'Movements of this drawer' }).getByRole('row').filter({ hasText: 'Ice from the corner shop' });
    await payOut.getByText('$12.50').waitFor();
    await payOut.getByText(staff).waitFor();
    await should.getByText('− $12.50').waitFor();

    // --- The count: $80.00 where $87.50 should be, $7.50 short; the counter is not told the variance.
    await kiosk.getByRole('button', { name: 'Count and close' }).click();
    await kiosk.getByLabel('$20 notes', { exact: true }).fill('4');
    await expect.poll(() => total(kiosk).textContent()).toBe('$80.00');
    await kiosk.getByRole('button', { name: 'Submit count of $80.00' }).click();
    const waiting = kiosk.getByRole('status').filter({ hasText: 'Waiting for a manager' });
    await waiting.getByText('Counted: $80.00').waitFor();
    const told = await waiting.textContent();
    expect(told).not.toContain('Variance');
    expect(told).not.toContain('$87.50');
    await kiosk.getByText('Counted, waiting for a manager').waitFor();
    await signOutOfKiosk(kiosk);

    // --- The manager, signed in with a password elsewhere, sees it pending and sends it back.
    const office = await b.page({ viewport: 'tablet' });
    await b.signIn(office, t, 'manager');
    await reviewPending(office, t, ['$80.00', '$87.50', 'Short $7.50', 'Flagged']);
    await office.getByLabel('Comment').fill('Count the coins too, please');
    await office.getByRole('button', { name: 'Reject' }).click();
    const summary = office.getByRole('region', { name: 'Summary' });
    await summary.getByText('Rejected: recount').waitFor();
    await summary.getByText('“Count the coins too, please”').waitFor();

    // --- The staff member signs in again, reads why, and recounts: $80.50, still $7.00 short.
    await pinIntoCash(kiosk, t, 'staff');
    await register(kiosk).getByText('Sent back for a recount').waitFor();
    await register(kiosk).getByRole('button', { name: 'Count again' }).click();
    const rejected = kiosk.getByRole('alert').filter({ hasText: 'Rejected: recount' });
    await rejected.getByText(`${manager}’s comment: “Count the coins too, please”`).waitFor();
    await kiosk.getByRole('button', { name: 'Count again' }).click();
    await kiosk.getByRole('heading', { name: 'Count the drawer again' }).waitFor();
    await kiosk.getByLabel('$20 notes', { exact: true }).fill('4');
    await kiosk.getByRole('button', { name: 'One more $0.25 coin' }).click();
    await kiosk.getByRole('button', { name: 'One more $0.25 coin' }).click();
    await expect.poll(() => total(kiosk).textContent()).toBe('$80.50');
    await kiosk.getByRole('button', { name: 'Submit count of $80.50' }).click();
    await kiosk.getByRole('status').filter({ hasText: 'Waiting for a manager (count 2)' }).getByText('Counted: $80.50').waitFor();
    await signOutOfKiosk(kiosk);

    // --- The manager approves the recount, then closes the day.
    await reviewPending(office, t, ['$80.50', 'Short $7.00']);
    await office.getByLabel('Comment').fill('Short confirmed; the ice cost more than the receipt');
    await office.getByRole('button', { name: 'Approve' }).click();
    await summary.getByText('Approved', { exact: true }).waitFor();
    await summary.getByText(manager).waitFor();

    await office.goto(b.url(t, '/cash/day'));
    await office.getByRole('heading', { name: 'Day close', level: 1 }).waitFor();
    await office.getByText('Ready to close').waitFor();
    await office.getByRole('button', { name: 'Close the day', exact: true }).click();
    await office.getByRole('dialog').getByRole('button', { name: 'Close the day now' }).click();
    await office.getByText('Day closed: close number 1').waitFor();
    await office.getByRole('link', { name: 'Z report' }).first().click();

    // --- The Z report: the float, the pay out, what was counted, the variance and who approved it.
    await office.getByRole('heading', { name: 'Z report #1', level: 1 }).waitFor();
    const line = office.getByTestId('z-register');
    await expect.poll(() => line.count()).toBe(1);
    const cells = (await line.getByRole('cell').allTextContents()).map((c) => c.trim());
    expect(cells).toEqual([
      'Main registerApproved',
      '$100.00',
      '$0.00',
      '$0.00',
      '$12.50',
      '$0.00',
      '$0.00',
      '$87.50',
      '$80.50',
      'Short $7.00Flagged',
      staff,
      manager,
    ]);
    const totals = office.getByRole('region', { name: 'Totals of the day' });
    for (const [label, value] of [
      ['Opening floats', '$100.00'],
      ['Pay outs', '$12.50'],
      ['Expected', '$87.50'],
      ['Counted', '$80.50'],
      ['Variance', 'Short $7.00'],
    ]) {
      expect(await totals.getByRole('row').filter({ has: office.getByRole('cell', { name: label, exact: true }) }).getByRole('cell').nth(1).textContent()).toBe(value);
    }
    await office.getByText('Verified: the stored close matches its hash.').waitFor();
    // Two people, two sign-ins with a PIN and three pages of the manager's: longer than one page's test.
  }, 60_000);

  it('the opening float starts from the last closing count, and the count total follows every change', async () => {
    const t = await b.t.tenant();
    // Yesterday's drawer, opened and counted through the API: $97.00 left in it.
    const owner = await b.t.as(t, 'owner');
    const registers = (await owner.get(`/api/v1/cash/registers?location_id=${t.locationId}`)).json();
    const registerId = registers.items[0].id as string;
    const opened = await owner.post(`/api/v1/cash/registers/${registerId}/drawers`, { opening_count: [{ value: 2000, quantity: 5 }] });
    expect(opened.statusCode, opened.body).toBe(201);
    const counted = await owner.post(`/api/v1/cash/drawers/${opened.json().id}/count`, {
      lines: [
        { value: 2000, quantity: 4 },
        { value: 500, quantity: 3 },
        { value: 25, quantity: 8 },
      ],
    });
    expect(counted.statusCode, counted.body).toBe(201);
    expect(counted.json()).toMatchObject({ counted: 9700, status: 'accepted' });

    const page = await b.page({ viewport: 'tablet' });
    await b.signIn(page, t, 'staff');
    await page.goto(b.url(t, '/cash'));
    await page.getByRole('heading', { name: 'Cash', level: 1 }).waitFor();
    await register(page).getByRole('button', { name: 'Open drawer' }).click();
    await page.getByRole('heading', { name: 'Open the drawer of Main register' }).waitFor();

    // Pre-filled from that count; denominations it did not hold start empty.
    expect(await page.getByLabel('$20 notes', { exact: true }).inputValue()).toBe('4');
    expect(await page.getByLabel('$5 notes', { exact: true }).inputValue()).toBe('3');
    expect(await page.getByLabel('$0.25 coins', { exact: true }).inputValue()).toBe('8');
    expect(await page.getByLabel('$100 notes', { exact: true }).inputValue()).toBe('');
    await expect.poll(() => total(page).textContent()).toBe('$97.00');
    expect(await page.getByTestId('float-target').textContent()).toBe('Usual float: $200.00($103.00 under)');

    // Every way of changing a quantity moves the total at once: typing, the + button, the arrow key.
    await page.getByLabel('$10 notes', { exact: true }).fill('10');
    await expect.poll(() => total(page).textContent()).toBe('$197.00');
    await page.getByRole('button', { name: 'One more $1 note' }).click();
    await expect.poll(() => total(page).textContent()).toBe('$198.00');
    await page.getByLabel('$1 notes', { exact: true }).press('ArrowUp');
    await page.getByLabel('$1 notes', { exact: true }).press('ArrowUp');
    await expect.poll(() => total(page).textContent()).toBe('$200.00');
    expect(await page.getByTestId('line-total-100').textContent()).toBe('$3.00');
    expect(await page.getByTestId('float-target').textContent()).toBe('Usual float: $200.00(matches)');
    await page.getByRole('button', { name: 'One fewer $0.25 coin' }).click();
    await expect.poll(() => total(page).textContent()).toBe('$199.75');
    await page.getByLabel('$0.25 coins', { exact: true }).fill('8');
    // The total is announced as it changes.
    expect(await total(page).locator('xpath=..').getAttribute('aria-live')).toBe('polite');

    // Tab goes straight down the quantities, past the − and + buttons.
    await page.getByLabel('$100 notes', { exact: true }).focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe(await page.getByLabel('$50 notes', { exact: true }).getAttribute('id'));

    await page.getByRole('button', { name: 'Open drawer with $200.00' }).click();
    await page.getByRole('heading', { name: 'Main register drawer', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/cash\/drawers\/[0-9a-f-]{36}$/);
    const drawerId = new URL(page.url()).pathname.split('/').pop()!;
    const drawer = (await owner.get(`/api/v1/cash/drawers/${drawerId}`)).json();
    expect(drawer.totals.opening_float).toBe(20000);
    expect(drawer.opened_by.name).toBe(nameOf(t, 'staff'));
    const opening = drawer.counts.find((c: { purpose: string }) => c.purpose === 'opening');
    expect(opening.lines.filter((l: { quantity: number }) => l.quantity > 0)).toEqual([
      { value: 2000, quantity: 4 },
      { value: 1000, quantity: 10 },
      { value: 500, quantity: 3 },
      { value: 100, quantity: 3 },
      { value: 25, quantity: 8 },
    ]);
  });

  it('the kiosk cash screen is only for a PIN session, and signs the person out when nobody touches it', async () => {
    const t = await b.t.tenant();
    const kiosk = await b.page({ viewport: 'tablet' });
    await kiosk.clock.install();
    await setUpKiosk(t, kiosk);
    // Nobody signed in with a PIN: the cash screen sends the tablet back to the list of names.
    await kiosk.goto(b.url(t, '/kiosk/cash'));
    await kiosk.getByRole('heading', { name: 'Who is signing in?' }).waitFor();
    expect(new URL(kiosk.url()).pathname).toBe('/kiosk');

    await pinIntoCash(kiosk, t, 'staff');
    await register(kiosk).getByRole('button', { name: 'Open drawer' }).waitFor();
    const warning = kiosk.getByText(/Signing out in \d+ s — tap anywhere to stay/);
    await kiosk.clock.fastForward('00:55');
    await warning.waitFor();
    await kiosk.clock.fastForward('00:10');
    await kiosk.getByRole('heading', { name: 'Who is signing in?' }).waitFor();
    expect(await kiosk.evaluate(() => fetch('/api/v1/auth/session').then((r) => r.status))).toBe(401);
  });
});
