import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import type { Page } from 'playwright-core';
import { PASSWORD, type Client } from '../harness.ts';
import { useBrowserApp } from './harness.ts';
import { createPlatformUser } from '../../src/identity/service.ts';

/*
 * The back office's overview and tools, through its pages: the dashboard, the platform audit log, signing a person
 * out (and disabling, enabling them), finding a person across businesses, the service's own settings, renaming a
 * business and opening a support session.
 */

const b = useBrowserApp();
let admin: Client;

beforeAll(async () => {
  admin = await b.t.platformAdmin();
});

const nav = (page: Page) => page.getByRole('navigation', { name: 'Back office' });

async function openBusiness(page: Page, tenant: { id: string; name: string }) {
  await page.goto(b.platformUrl(`/platform/tenants/${tenant.id}`));
  await page.getByRole('heading', { level: 1, name: tenant.name }).waitFor();
}

/** A platform_support operator (reads only), signed in through the pages like the harness's admin. */
async function supportSignIn(page: Page): Promise<string> {
  const email = `support-${randomBytes(3).toString('hex')}@brigade.test`;
  await b.t.app.brigade.db.withPlatform({ type: 'system', id: null, label: 'test' }, (tx) =>
    createPlatformUser(tx, { email, name: 'Support', password: PASSWORD, role: 'platform_support' }),
  );
  await page.goto(b.platformUrl('/platform/sign-in'));
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
  await page.getByLabel('Code from the app').fill(await generate({ secret }));
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  await page.getByRole('button', { name: 'I have saved them, continue' }).click();
  await page.getByRole('heading', { name: 'Businesses', level: 1 }).waitFor();
  return email;
}

describe('the back office dashboard', () => {
  it('shows the businesses by status and plan, and this month’s sign-ups, as the database counts them', async () => {
    const past = await b.t.tenant();
    expect((await admin.post(`/api/v1/platform/tenants/${past.id}/status`, { status: 'past_due', reason: 'card declined' })).statusCode).toBe(200);

    const page = await b.page();
    await b.operatorSignIn(page);
    await nav(page).getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/platform/dashboard');

    const byStatus = await b.t.db.admin(`SELECT status, count(*)::int AS n FROM tenants GROUP BY status`);
    const byPlan = await b.t.db.admin(`SELECT plan, count(*)::int AS n FROM tenants WHERE status <> 'purged' GROUP BY plan`);
    const [month] = await b.t.db.admin(`SELECT count(*)::int AS n FROM tenants WHERE date_trunc('month', created_at) = date_trunc('month', now())`);
    expect(byStatus).toContainEqual({ status: 'past_due', n: 1 });

    const statusTable = page.getByRole('table', { name: 'Businesses by status' });
    for (const s of ['trial', 'active', 'past_due', 'suspended', 'cancelled', 'purged']) {
      const n = byStatus.find((r) => r.status === s)?.n ?? 0;
      expect(await statusTable.locator(`[data-status="${s}"] [data-testid="count"]`).textContent(), s).toBe(String(n));
    }
    expect(await statusTable.locator('[data-status="past_due"]').textContent()).toContain('Past due');
    const planTable = page.getByRole('table', { name: 'Businesses by plan' });
    for (const r of byPlan) expect(await planTable.locator(`[data-plan="${r.plan}"] [data-testid="count"]`).textContent(), String(r.plan)).toBe(String(r.n));
    const total = byStatus.reduce((a, r) => a + Number(r.n), 0);
    expect(await page.getByTestId('tenants-total').textContent()).toBe(String(total));

    const growth = page.getByRole('list', { name: 'New businesses per month' });
    const thisMonth = growth.locator(`[data-month="${new Date().toISOString().slice(0, 7)}"]`);
    expect(await thisMonth.getByTestId('count').textContent()).toBe(`${month!.n} ${month!.n === 1 ? 'business' : 'businesses'}`);

    // The activity tiles say what the API says.
    const d = (await admin.get('/api/v1/platform/dashboard')).json();
    expect(await page.getByTestId('active-7-days').textContent()).toBe(String(d.active_users.last_7_days));
    expect(Number(await page.getByTestId('api-calls-7-days').textContent())).toBeGreaterThanOrEqual(0);
  });
});

describe('the platform audit log', () => {
  it('lists what the operator just did, filters by action and by business (kept in the address), and loads more', async () => {
    const biz = await b.t.tenant();
    const page = await b.page();
    await b.operatorSignIn(page);

    // The operator renames the business on its page: that is the action the log must show.
    await openBusiness(page, biz);
    const nameCard = page.getByRole('region', { name: 'Name', exact: true });
    const renamed = `${biz.name} Bistro`;
    await nameCard.getByLabel('Business name').fill(renamed);
    await nameCard.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('heading', { level: 1, name: renamed }).waitFor();
    await nameCard.getByRole('status').filter({ hasText: `The business is called ${renamed} now.` }).waitFor();
    expect(await b.t.db.admin(`SELECT name FROM tenants WHERE id = $1`, [biz.id])).toEqual([{ name: renamed }]);

    await nav(page).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    const rows = page.getByTestId('audit-row');
    const mine = rows.filter({ hasText: 'tenant.renamed' }).filter({ hasText: renamed });
    await mine.first().waitFor();
    expect(await rows.count()).toBeGreaterThan(1);

    // Filtered by the action: only renames are left.
    await page.getByLabel('Action', { exact: true }).fill('tenant.renamed');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.waitForURL((u) => u.searchParams.get('action') === 'tenant.renamed');
    await expect.poll(async () => new Set((await rows.locator('td:nth-child(3)').allTextContents()).map((s) => s.trim()))).toEqual(new Set(['tenant.renamed']));
    await mine.first().waitFor();
    // The reload keeps the filter.
    await page.reload();
    await mine.first().waitFor();
    expect(await page.getByLabel('Action', { exact: true }).inputValue()).toBe('tenant.renamed');

    // By business too; an action the business never saw leaves nothing.
    await page.getByLabel('Business', { exact: true }).selectOption(biz.id);
    await page.waitForURL((u) => u.searchParams.get('tenant_id') === biz.id && u.searchParams.get('action') === 'tenant.renamed');
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByLabel('Action', { exact: true }).fill('tenant.suspended');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.getByText('No records match these filters.').waitFor();

    // More than a page: 52 plan changes, the first 50 shown, "Load more" brings the last two.
    for (let i = 0; i < 52; i++) {
      const r = await admin.put(`/api/v1/platform/tenants/${biz.id}/plan`, { plan: i % 2 ? 'enterprise' : 'professional' });
      expect(r.statusCode, r.body).toBe(200);
    }
    await page.goto(b.platformUrl(`/platform/audit?tenant_id=${biz.id}&action=tenant.plan_changed`));
    await expect.poll(() => rows.count()).toBe(50);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows.count()).toBe(52);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
  });
});

describe('a person of a business', () => {
  it('is signed out, then signed out and disabled (their session answers 401, sign-in is refused), then enabled again', async () => {
    const biz = await b.t.tenant();
    const staffEmail = `staff@${biz.slug}.brigade.test`;
    const managerEmail = `manager@${biz.slug}.brigade.test`;
    const manager = await b.t.as(biz, 'manager');
    const staff = await b.t.as(biz, 'staff');
    expect((await staff.get('/api/v1/auth/session')).statusCode).toBe(200);

    const page = await b.page();
    await b.operatorSignIn(page);
    await openBusiness(page, biz);
    const people = page.getByRole('region', { name: 'People', exact: true }).first(); // the card (its table is a region too)
    // By the email cell itself: manager@ is also the end of location_manager@.
    const row = (email: string) => people.getByTestId('person-row').filter({ has: page.getByRole('cell', { name: email, exact: true }) });
    const dialog = page.getByRole('dialog');

    // Signed out only: the session ends, the account stays.
    const managerName = (await row(managerEmail).locator('td').first().textContent())!;
    await row(managerEmail).getByRole('button', { name: `Sign out ${managerName}`, exact: true }).click();
    await dialog.getByRole('heading', { name: `Sign out: ${managerName}` }).waitFor();
    await dialog.getByLabel('Reason').fill('left a tablet signed in');
    await dialog.getByRole('button', { name: 'Sign out' }).click();
    await dialog.waitFor({ state: 'detached' });
    await people.getByRole('status').filter({ hasText: `${managerName} is signed out (1 session ended).` }).waitFor();
    expect((await manager.get('/api/v1/auth/session')).statusCode).toBe(401);
    expect(await row(managerEmail).textContent()).toContain('active');
    expect((await b.t.anonymous(biz).post('/api/v1/auth/sign-in', { email: managerEmail, password: PASSWORD })).statusCode).toBe(200);

    // Signed out and disabled: a reason is asked first.
    const staffName = (await row(staffEmail).locator('td').first().textContent())!;
    await row(staffEmail).getByRole('button', { name: `Sign out and disable ${staffName}` }).click();
    await dialog.getByRole('heading', { name: `Sign out and disable: ${staffName}` }).waitFor();
    await dialog.getByRole('button', { name: 'Sign out and disable' }).click();
    await dialog.getByText('Give a reason: it goes into both audit logs.').waitFor();
    expect((await staff.get('/api/v1/auth/session')).statusCode).toBe(200);
    await dialog.getByLabel('Reason').fill('phone stolen');
    await dialog.getByRole('button', { name: 'Sign out and disable' }).click();
    await dialog.waitFor({ state: 'detached' });
    await people.getByRole('status').filter({ hasText: `${staffName} is signed out (1 session ended) and disabled.` }).waitFor();
    await row(staffEmail).filter({ hasText: 'disabled' }).waitFor();
    expect((await staff.get('/api/v1/auth/session')).statusCode).toBe(401);
    expect((await b.t.anonymous(biz).post('/api/v1/auth/sign-in', { email: staffEmail, password: PASSWORD })).statusCode).toBe(401);
    expect(await b.t.db.admin(`SELECT action, changes->>'reason' AS reason FROM platform_audit_log WHERE target_tenant_id = $1 AND resource_id = $2`, [biz.id, biz.users.staff])).toEqual([
      { action: 'tenant.person_disabled', reason: 'phone stolen' },
    ]);

    // Enabled again: the person signs in afresh.
    expect(await row(staffEmail).getByRole('button', { name: /^Sign out/ }).count()).toBe(0);
    await row(staffEmail).getByRole('button', { name: `Enable ${staffName}` }).click();
    await dialog.getByLabel('Reason').fill('phone recovered');
    await dialog.getByRole('button', { name: 'Enable' }).click();
    await dialog.waitFor({ state: 'detached' });
    await people.getByRole('status').filter({ hasText: `${staffName} can sign in again.` }).waitFor();
    await row(staffEmail).filter({ hasText: 'active' }).getByRole('button', { name: `Sign out ${staffName}`, exact: true }).waitFor();
    expect((await b.t.anonymous(biz).post('/api/v1/auth/sign-in', { email: staffEmail, password: PASSWORD })).statusCode).toBe(200);
  });

  it('is found by email across businesses, and the row leads to the business', async () => {
    const biz = await b.t.tenant();
    const other = await b.t.tenant();
    const page = await b.page({ viewport: 'tablet' });
    await b.operatorSignIn(page);
    await nav(page).getByRole('link', { name: 'People' }).click();
    await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();

    const email = `auditor@${biz.slug}.brigade.test`;
    await page.getByLabel('Email or name').fill(email);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL((u) => u.searchParams.get('q') === email);
    const rows = page.getByTestId('person-row');
    await rows.filter({ hasText: email }).waitFor();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.textContent()).toContain('auditor');
    expect(await rows.textContent()).not.toContain(other.slug);

    // Only the disabled: an active person is not among them.
    await page.getByLabel('Status').selectOption('disabled');
    await page.getByText('Nobody matches these filters.').waitFor();
    await page.getByLabel('Status').selectOption('active');
    await rows.filter({ hasText: email }).waitFor();

    await rows.getByRole('link', { name: biz.name }).click();
    await page.getByRole('heading', { level: 1, name: biz.name }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/platform/tenants/${biz.id}`);
  });
});

describe('the service’s settings', () => {
  it('saves the trial length (kept over a reload), shows a bad value beside its field, and a stale form is told', async () => {
    const page = await b.page();
    await b.operatorSignIn(page);
    await nav(page).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    const trial = page.getByLabel('Trial days');
    const stored = (await admin.get('/api/v1/platform/settings')).json();
    expect(await trial.inputValue()).toBe(String(stored.trial_days));

    await trial.fill('21');
    await page.getByLabel('Support email').fill('help@brigade.example');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect(await b.t.db.admin(`SELECT trial_days, support_email FROM platform_settings`)).toEqual([{ trial_days: 21, support_email: 'help@brigade.example' }]);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await expect.poll(() => trial.inputValue()).toBe('21');
    expect(await page.getByLabel('Support email').inputValue()).toBe('help@brigade.example');

    // Out of range: the server's refusal, beside the field; nothing stored.
    await trial.fill('120');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => trial.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await trial.getAttribute('aria-describedby'))!;
    expect((await page.locator(`[id="${describedBy}"]`).textContent())!.length).toBeGreaterThan(0);
    expect(await b.t.db.admin(`SELECT trial_days FROM platform_settings`)).toEqual([{ trial_days: 21 }]);

    // Another operator saved meanwhile: this form is told, and shows what is stored now.
    const now = (await admin.get('/api/v1/platform/settings')).json();
    const other = await admin.put('/api/v1/platform/settings', { trial_days: 30, sign_up_open: now.sign_up_open, sign_up_plan: now.sign_up_plan, support_email: now.support_email, version: now.version });
    expect(other.statusCode, other.body).toBe(200);
    await trial.fill('45');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('alert').filter({ hasText: 'Someone else saved the settings first' }).waitFor();
    await expect.poll(() => trial.inputValue()).toBe('30');
    expect(await b.t.db.admin(`SELECT trial_days FROM platform_settings`)).toEqual([{ trial_days: 30 }]);
  });

  it('are read-only for platform support, who sees no way to change a business’s people either', async () => {
    const biz = await b.t.tenant();
    const page = await b.page();
    await supportSignIn(page);
    await nav(page).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Only platform admins change these settings.' }).waitFor();
    expect(await page.getByLabel('Trial days').isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Save settings' }).count()).toBe(0);

    await openBusiness(page, biz);
    const people = page.getByRole('region', { name: 'People', exact: true }).first(); // the card (its table is a region too)
    await people.getByTestId('person-row').first().waitFor();
    expect(await people.getByRole('button').count()).toBe(0);
    expect(await page.getByRole('region', { name: 'Support session' }).count()).toBe(0);
    expect(await page.getByRole('region', { name: 'Name', exact: true }).count()).toBe(0);
  });
});

describe('a business’s name and support session', () => {
  it('a stale rename is told and shows the name stored now', async () => {
    const biz = await b.t.tenant();
    const page = await b.page();
    await b.operatorSignIn(page);
    await openBusiness(page, biz);
    // Another operator renames it behind this page's back.
    const { version } = (await admin.get(`/api/v1/platform/tenants/${biz.id}`)).json();
    const theirs = (await admin.patch(`/api/v1/platform/tenants/${biz.id}`, { name: `${biz.name} Two`, version })).json();
    expect(theirs.name).toBe(`${biz.name} Two`);
    const nameCard = page.getByRole('region', { name: 'Name', exact: true });
    await nameCard.getByLabel('Business name').fill(`${biz.name} Mine`);
    await nameCard.getByRole('button', { name: 'Save name' }).click();
    await nameCard.getByRole('alert').filter({ hasText: 'Someone else changed this business first' }).waitFor();
    await page.getByRole('heading', { level: 1, name: `${biz.name} Two` }).waitFor();
    await expect.poll(() => nameCard.getByLabel('Business name').inputValue()).toBe(`${biz.name} Two`);
    expect(await b.t.db.admin(`SELECT name FROM tenants WHERE id = $1`, [biz.id])).toEqual([{ name: `${biz.name} Two` }]);
  });

  it('is refused while the owner has not allowed support access, and opens once they have', async () => {
    const biz = await b.t.tenant();
    const page = await b.page();
    await b.operatorSignIn(page);
    await openBusiness(page, biz);
    const card = page.getByRole('region', { name: 'Support session' });

    // Outside 5..60 minutes, and without a reason: said beside the fields, nothing asked of the server.
    await card.getByLabel('Minutes').fill('90');
    await card.getByRole('button', { name: 'Open support session' }).click();
    await card.getByText('From 5 to 60 minutes.').waitFor();
    await card.getByText('Give a reason: the business sees it in its audit log.').waitFor();

    await card.getByLabel('Reason').fill('the owner asked why a count is flagged');
    await card.getByLabel('Minutes').fill('15');
    await card.getByRole('button', { name: 'Open support session' }).click();
    await card.getByRole('alert').filter({ hasText: 'The owner has not allowed support access.' }).waitFor();
    expect(await b.t.db.admin(`SELECT count(*)::int AS n FROM support_sessions WHERE tenant_id = $1`, [biz.id])).toEqual([{ n: 0 }]);

    const owner = await b.t.as(biz, 'owner');
    expect((await owner.put('/api/v1/support-access', { hours: 2 })).statusCode).toBe(200);
    await card.getByRole('button', { name: 'Open support session' }).click();
    const opened = card.getByRole('status').filter({ hasText: 'Support session open until' });
    await opened.waitFor();
    expect(await card.getByRole('alert').count()).toBe(0);
    const link = opened.getByRole('link', { name: 'Open the business (read-only)' });
    expect(await link.getAttribute('target')).toBe('_blank');
    // The business's own address, carrying the session's token for the business's pages to use.
    const href = new URL((await link.getAttribute('href'))!);
    expect([href.origin, href.pathname]).toEqual([new URL(b.url(biz)).origin, '/support']);
    expect(href.hash).toMatch(/^#token=bsa_/);
    const [session] = await b.t.db.admin(`SELECT reason, expires_at FROM support_sessions WHERE tenant_id = $1`, [biz.id]);
    expect(session!.reason).toBe('the owner asked why a count is flagged');
    const minutes = (new Date(session!.expires_at as string).getTime() - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(13);
    expect(minutes).toBeLessThanOrEqual(15);
    // The business sees it in its own view.
    expect((await owner.get('/api/v1/support-access')).json().sessions).toEqual([expect.objectContaining({ reason: 'the owner asked why a count is flagged' })]);
  });
});
