import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useBrowserApp } from './harness.ts';
import type { Client } from '../harness.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';
import type { TenantRole } from '../../src/identity/permissions.ts';

const b = useBrowserApp();

/** The name seedTenant gives the person holding a role ("Staff (Test t1-…)"). */
const nameOf = (t: SeededTenant, role: TenantRole) => `${role.replace('_', ' ').replace(/^./, (c) => c.toUpperCase())} (${t.name})`;

/** $100 in $20 notes: the float the drawers of these stories open with. */
const FLOAT = [{ value: 2000, quantity: 5 }];

function expectStatus(r: { statusCode: number; body: string }, status: number) {
  expect(r.statusCode, r.body).toBe(status);
}

async function mainRegister(c: Client, t: SeededTenant): Promise<string> {
  const r = await c.get(`/api/v1/cash/registers?location_id=${t.locationId}`);
  expectStatus(r, 200);
  const main = (r.json().items as { id: string; name: string }[]).find((x) => x.name === 'Main register');
  expect(main).toBeDefined();
  return main!.id;
}

/** A drawer opened with the $100 float that took $50 of cash sales: it should hold $150. */
async function drawerWith150(c: Client, registerId: string): Promise<{ id: string; business_date: string }> {
  const opened = await c.post(`/api/v1/cash/registers/${registerId}/drawers`, { opening_count: FLOAT });
  expectStatus(opened, 201);
  const drawer = opened.json();
  expectStatus(await c.post(`/api/v1/cash/drawers/${drawer.id}/movements`, { kind: 'cash_sale', amount: 5000 }), 201);
  return drawer;
}

async function count(c: Client, drawerId: string, lines: { value: number; quantity: number }[]) {
  const r = await c.post(`/api/v1/cash/drawers/${drawerId}/count`, { lines });
  expectStatus(r, 201);
  return r.json() as { id: string; status: string; attempt: number };
}

/** $110 where $150 should be: $40 short, far outside the $5.00 tolerance. */
const SHORT_BY_40 = [{ value: 2000, quantity: 5 }, { value: 1000, quantity: 1 }];
/** Exactly $150. */
const EXACT = [{ value: 5000, quantity: 1 }, { value: 2000, quantity: 5 }];

async function signedIn(t: SeededTenant, role: TenantRole, path: string, viewport: 'desktop' | 'tablet' | 'phone' = 'desktop'): Promise<Page> {
  const page = await b.page({ viewport });
  await b.signIn(page, t, role);
  await page.goto(b.url(t, path));
  return page;
}

describe('the cash settings page', () => {
  it('lets the owner change the tolerance and the denominations, and add and retire a register', async () => {
    const t = await b.t.tenant();
    const owner = await b.t.as(t, 'owner');
    const page = await signedIn(t, 'owner', '/cash/settings');
    await page.getByRole('heading', { name: 'Cash settings', level: 1 }).waitFor();
    const rules = page.getByRole('region', { name: 'Business rules' });
    const tolerance = rules.getByLabel('Variance tolerance');
    // Brigade's default for USD, shown as money the way a person types it.
    expect(await tolerance.inputValue()).toBe('5.00');

    // A typing slip is named beside its field, and nothing is saved.
    await tolerance.fill('2,5.x');
    await rules.getByRole('button', { name: 'Save business rules' }).click();
    await rules.getByText('Enter an amount such as 150.00').waitFor();
    expect((await owner.get('/api/v1/cash/settings')).json().customised).toBe(false);

    await tolerance.fill('2.50');
    // The cent coin goes, a half-dollar coin comes in.
    await rules.getByRole('button', { name: /^Remove denomination \d+ \(\$0\.01\)$/ }).click();
    await rules.getByRole('button', { name: 'Add denomination' }).click();
    const rows = rules.getByTestId('denomination-row');
    const added = rows.last();
    await added.getByRole('textbox').fill('0.50');
    await added.getByRole('combobox').selectOption('coin');
    await rules.getByRole('button', { name: 'Save business rules' }).click();
    await rules.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

    const saved = (await owner.get('/api/v1/cash/settings')).json();
    expect(saved.customised).toBe(true);
    expect(saved.variance_tolerance).toBe(250);
    expect(saved.denominations).toContainEqual({ value: 50, kind: 'coin' });
    expect(saved.denominations.map((d: { value: number }) => d.value)).not.toContain(1);
    expect(saved.denominations).toContainEqual({ value: 10000, kind: 'note' });

    // A reload shows what is stored, not what was typed.
    await page.reload();
    await page.getByRole('region', { name: 'Business rules' }).getByLabel('Variance tolerance').waitFor();
    expect(await page.getByRole('region', { name: 'Business rules' }).getByLabel('Variance tolerance').inputValue()).toBe('2.50');

    const registers = page.getByRole('region', { name: /^Registers at / });
    await registers.getByLabel('New register name').fill('Patio till');
    await registers.getByRole('button', { name: 'Add register' }).click();
    const patio = registers.getByTestId('register-row').filter({ hasText: 'Patio till' });
    await patio.waitFor();
    await patio.getByRole('button', { name: 'Deactivate Patio till' }).click();
    await patio.getByRole('button', { name: 'Reactivate Patio till' }).waitFor();
    const listed = (await owner.get(`/api/v1/cash/registers?location_id=${t.locationId}&include_inactive=true`)).json().items as { name: string; active: boolean }[];
    expect(listed.find((r) => r.name === 'Patio till')).toMatchObject({ active: false });
    expect(listed.find((r) => r.name === 'Main register')).toMatchObject({ active: true });

    // The same name twice at one location is refused, and said beside the field.
    await registers.getByLabel('New register name').fill('main register');
    await registers.getByRole('button', { name: 'Add register' }).click();
    await registers.locator('[aria-invalid="true"]').waitFor();
    expect((await owner.get(`/api/v1/cash/registers?location_id=${t.locationId}&include_inactive=true`)).json().items).toHaveLength(2);
  });
});

describe('the cash reports page', () => {
  it('shows a flagged shortfall in the table and the chart, and exports it as CSV', async () => {
    const t = await b.t.tenant();
    const staff = await b.t.as(t, 'staff');
    const drawer = await drawerWith150(staff, await mainRegister(staff, t));
    const rec = await count(staff, drawer.id, SHORT_BY_40);
    expect(rec.status).toBe('pending');

    const page = await signedIn(t, 'manager', '/cash/reports?days=7');
    await page.getByRole('heading', { name: 'Cash reports', level: 1 }).waitFor();
    const shortfall = page.getByRole('table', { name: 'Largest shortfalls' }).getByTestId('shortfall-row');
    await shortfall.first().waitFor();
    expect(await shortfall.count()).toBe(1);
    const text = await shortfall.textContent();
    expect(text).toContain('Short $40.00');
    expect(text).toContain(nameOf(t, 'staff'));
    expect(await page.getByTestId('flagged-days').textContent()).toBe('1');

    // The day's bar hangs below the zero line, named by the chart's own description.
    const bar = page.getByTestId('variance-chart').locator(`[data-testid="variance-bar"][data-date="${drawer.business_date}"]`);
    expect(await bar.getAttribute('data-variance')).toBe('-4000');
    expect(await page.getByRole('img', { name: /Variance per day/ }).count()).toBe(1);
    expect(await page.getByTestId('variance-chart').locator('desc').textContent()).toContain('short $40.00');

    // Grouped by person, the staff member carries the shortfall.
    await page.getByLabel('Group by').selectOption('person');
    await page.waitForURL((u) => u.searchParams.get('by') === 'person');
    await page.getByRole('table', { name: 'Variance by person' }).getByTestId('group-row').filter({ hasText: nameOf(t, 'staff') }).waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    const csv = await readFile((await download.path())!, 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    expect(lines[0]).toContain('reconciliation_id');
    const line = lines.find((l) => l.includes(rec.id));
    expect(line).toBeDefined();
    expect(line).toContain('-40.00');

    // The shortfall leads to its count.
    await shortfall.getByRole('link', { name: /^Open the count/ }).click();
    await page.waitForURL((u) => u.pathname === `/cash/reconciliations/${rec.id}`);
    await page.getByRole('table', { name: 'Expected cash, counted cash and variance' }).getByText('Short $40.00').waitFor();
  });
});

describe('approvals', () => {
  it('a manager rejects a short count with a comment, then approves the recount; nobody decides on their own count', async () => {
    const t = await b.t.tenant();
    const staff = await b.t.as(t, 'staff');
    const drawer = await drawerWith150(staff, await mainRegister(staff, t));
    const first = await count(staff, drawer.id, SHORT_BY_40);

    const page = await signedIn(t, 'manager', '/cash/approvals', 'tablet');
    await page.getByRole('heading', { name: 'Approvals', level: 1 }).waitFor();
    const pending = page.getByTestId('pending-row');
    await pending.first().waitFor();
    expect(await pending.count()).toBe(1);
    expect(await pending.textContent()).toContain('Flagged');
    await pending.getByRole('link', { name: /^Review Main register/ }).click();
    await page.waitForURL((u) => u.pathname === `/cash/reconciliations/${first.id}`);

    // Everything behind the figure: the float, the sales, the count by denomination.
    const totals = page.getByRole('table', { name: 'Expected cash, counted cash and variance' });
    expect(await totals.getByRole('row').filter({ hasText: 'Expected' }).textContent()).toContain('$150.00');
    expect(await totals.getByRole('row').filter({ hasText: 'Counted' }).textContent()).toContain('$110.00');
    expect(await page.getByTestId('movement-row').filter({ hasText: 'Cash sales' }).textContent()).toContain('$50.00');
    const closing = page.getByRole('table', { name: 'Closing count 1: by denomination' });
    expect(await closing.getByRole('row').filter({ hasText: '$10.00' }).textContent()).toContain('1');
    await page.getByRole('table', { name: 'Opening count: by denomination' }).waitFor();

    // Rejecting needs a reason, said beside the comment.
    await page.getByRole('button', { name: 'Reject' }).click();
    await page.getByText('Say why the count is rejected').waitFor();
    expect((await staff.get(`/api/v1/cash/reconciliations/${first.id}`)).json().status).toBe('pending');
    await page.getByLabel('Comment').fill('Count the tens again, and check the safe bag.');
    await page.getByRole('button', { name: 'Reject' }).click();
    await page.getByRole('status').filter({ hasText: 'Count rejected' }).waitFor();
    expect((await staff.get(`/api/v1/cash/reconciliations/${first.id}`)).json()).toMatchObject({ status: 'rejected', decision_comment: 'Count the tens again, and check the safe bag.' });

    // The recount is still short: it comes back to the queue as count 2.
    const second = await count(staff, drawer.id, SHORT_BY_40);
    expect(second.attempt).toBe(2);
    await page.goto(b.url(t, `/cash/reconciliations/${second.id}`));
    const history = page.getByRole('region', { name: 'Decision history' });
    await history.getByText('Rejected for a recount').waitFor();
    expect(await history.textContent()).toContain('Count the tens again, and check the safe bag.');
    await page.getByLabel('Comment').fill('Bag found short at the bank; written off.');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('status').filter({ hasText: 'Count approved' }).waitFor();
    expect((await staff.get(`/api/v1/cash/reconciliations/${second.id}`)).json().status).toBe('approved');

    // The owner counts a drawer of their own: the page offers no decision, and the server would refuse one.
    const owner = await b.t.as(t, 'owner');
    const till = (await owner.post('/api/v1/cash/registers', { location_id: t.locationId, name: 'Bar till' })).json();
    const own = await drawerWith150(owner, till.id);
    const mine = await count(owner, own.id, SHORT_BY_40);
    const ownerPage = await signedIn(t, 'owner', `/cash/reconciliations/${mine.id}`);
    await ownerPage.getByText('This is your own count').waitFor();
    expect(await ownerPage.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    const refused = await owner.post(`/api/v1/cash/reconciliations/${mine.id}/approve`, { version: 1 });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('own_count');
  });
});

describe('the day close', () => {
  it('a manager closes the day, reopens it with a reason, and the Z report of the reversal says why', async () => {
    const t = await b.t.tenant();
    const staff = await b.t.as(t, 'staff');
    const drawer = await drawerWith150(staff, await mainRegister(staff, t));
    // Counted right: balanced, accepted without a manager.
    expect((await count(staff, drawer.id, EXACT)).status).toBe('accepted');

    const page = await signedIn(t, 'manager', '/cash/day', 'tablet');
    await page.getByRole('heading', { name: 'Day close', level: 1 }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Ready to close' }).waitFor();
    expect(await page.getByTestId('day-drawer').textContent()).toContain('Reconciled');
    await page.getByRole('button', { name: 'Close the day', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Close the day now' }).click();
    const closed = page.getByRole('status').filter({ hasText: 'Day closed: close number 1' });
    await closed.waitFor();

    const rows = page.getByTestId('close-row');
    await rows.filter({ hasText: 'Close in force' }).waitFor();
    await rows.filter({ hasText: '#1' }).getByRole('button', { name: /^Reopen/ }).click();
    const dialog = page.getByRole('dialog');
    // The reason is required before anything is sent.
    await dialog.getByRole('button', { name: 'Reopen the day' }).click();
    await dialog.getByText('Say why the day is reopened').waitFor();
    await dialog.getByLabel('Reason').fill('A pay out receipt turned up after the close.');
    await dialog.getByRole('button', { name: 'Reopen the day' }).click();
    await page.getByRole('status').filter({ hasText: 'Day reopened: reversal number 2' }).waitFor();

    // The original stays, marked as reversed; the reversal follows it with its reason.
    const reversal = rows.filter({ hasText: 'Reversal of #1' });
    await reversal.waitFor();
    expect(await reversal.textContent()).toContain('A pay out receipt turned up after the close.');
    await rows.filter({ hasText: 'Close, reversed by #2' }).waitFor();
    expect(await rows.count()).toBe(2);
    // Reopened, the day may be closed again.
    await page.getByRole('button', { name: 'Close the day', exact: true }).waitFor();

    await page.getByRole('link', { name: 'Z report of the reversal' }).click();
    await page.getByRole('heading', { name: 'Z report #2: reversal', level: 1 }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'This reverses close #1' }).filter({ hasText: 'A pay out receipt turned up after the close.' }).waitFor();
    await page.getByText('Verified: the stored close matches its hash').waitFor();

    // The original's report says it was reversed, and why.
    await page.getByRole('link', { name: 'Z report of the reversed close' }).click();
    await page.getByRole('heading', { name: 'Z report #1', level: 1, exact: true }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'Reversed by #2' }).filter({ hasText: 'A pay out receipt turned up after the close.' }).waitFor();
    const line = page.getByTestId('z-register');
    expect(await line.textContent()).toContain('Main register');
    expect(await line.textContent()).toContain(nameOf(t, 'staff'));

    // On paper: the report alone, without the app's menu, header or buttons.
    await page.emulateMedia({ media: 'print' });
    expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Print' }).isVisible()).toBe(false);
    expect(await page.getByRole('heading', { name: 'Z report #1', level: 1, exact: true }).isVisible()).toBe(true);
  });
});

/** A time zone where it is now between 07:00 and 22:59, and the time there as HH:MM. */
function daytimeZone(): { zone: string; now: string } {
  for (const zone of ['America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Honolulu', 'Australia/Sydney', 'UTC']) {
    const hm = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date());
    const hour = Number(hm.slice(0, 2));
    if (hour >= 7 && hour <= 22) return { zone, now: hm };
  }
  throw new Error('no daytime zone found');
}

describe('the notifications bell', () => {
  it("shows a manager the deadline reminder for a drawer not counted, and takes them to the day", async () => {
    const t = await b.t.tenant();
    const owner = await b.t.as(t, 'owner');
    // The deadline is this very minute at the location: the reminder is due as soon as the day's first drawer opens.
    const { zone, now } = daytimeZone();
    const location = (await owner.get(`/api/v1/locations/${t.locationId}`)).json();
    expectStatus(await owner.patch(`/api/v1/locations/${t.locationId}`, { version: location.version, time_zone: zone }), 200);
    const settings = (await owner.get('/api/v1/cash/settings')).json();
    expectStatus(
      await owner.put('/api/v1/cash/settings', {
        denominations: settings.denominations,
        default_float: settings.default_float,
        variance_tolerance: settings.variance_tolerance,
        approval_required: settings.approval_required,
        blind_counts: settings.blind_counts,
        deadline: now,
      }),
      200,
    );
    const staff = await b.t.as(t, 'staff');
    const drawer = await drawerWith150(staff, await mainRegister(staff, t));
    await b.t.app.brigade.jobs.drain();
    const manager = await b.t.as(t, 'manager');
    expect((await manager.get('/api/v1/notifications')).json().unread).toBe(1);

    const page = await signedIn(t, 'manager', '/', 'phone');
    const bell = page.getByRole('button', { name: 'Notifications, 1 unread' });
    await bell.click();
    const item = page.getByTestId('notification');
    await item.first().waitFor();
    expect(await item.count()).toBe(1);
    expect(await item.textContent()).toContain(`Cash not counted at ${location.name}`);
    expect(await item.textContent()).toContain('Main register');

    await item.getByRole('link').click();
    await page.waitForURL((u) => u.pathname === '/cash/day' && u.searchParams.get('date') === drawer.business_date);
    await page.getByRole('heading', { name: 'Day close', level: 1 }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'Main register: the drawer opened by' }).waitFor();
    // Read now: the badge is gone, here and in the API.
    await page.getByRole('button', { name: 'Notifications', exact: true }).waitFor();
    expect((await manager.get('/api/v1/notifications')).json().unread).toBe(0);
    // Staff are not the ones reminded.
    expect((await staff.get('/api/v1/notifications')).json().unread).toBe(0);
  });
});
