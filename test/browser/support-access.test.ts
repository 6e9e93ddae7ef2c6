import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useBrowserApp } from './harness.ts';

const b = useBrowserApp();
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Serious or critical WCAG 2.1 A/AA violations of the page as it stands (axe-core, as in accessibility.test.ts). */
async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => {
    type Found = { id: string; impact: string | null; nodes: { target: string[] }[] };
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Found[] }> } }).axe;
    return (await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] })).violations;
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${page.url()} ${v.id} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

describe('support access in the browser', () => {
  it('only owners find the page; an admin is told it is not theirs', async () => {
    const biz = await b.t.tenant();
    const admin = await b.page();
    await b.signIn(admin, biz, 'admin');
    const nav = admin.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Settings' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Support access' }).count()).toBe(0);
    await admin.goto(b.url(biz, '/support-access'));
    await admin.getByText('Only an owner of the business decides whether Brigade support may look in.').waitFor();
  });

  it('the owner allows support in; the operator’s link opens the business read-only under a banner; withdrawing ends it at once', async () => {
    const biz = await b.t.tenant();
    const owner = await b.page({ bypassCSP: true });
    await b.signIn(owner, biz, 'owner');
    await owner.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Support access' }).click();
    await owner.getByRole('heading', { name: 'Support access', level: 1 }).waitFor();
    await owner.getByText('Brigade support cannot look into the business.').waitFor();
    await owner.getByText('Brigade support has not looked into the business.').waitFor();

    // The back office cannot open a session before the owner allows it.
    const operator = await b.t.platformAdmin();
    const open = () => operator.post(`/api/v1/platform/tenants/${biz.id}/support-sessions`, { reason: 'the owner asked why a count is flagged', minutes: 30 });
    expect((await open()).json().code).toBe('support_access_not_granted');

    await owner.getByLabel('Allow support to look in for').selectOption({ label: '8 hours' });
    await owner.getByRole('button', { name: 'Allow support access' }).click();
    await owner.getByTestId('support-grant').getByText('Allowed', { exact: true }).waitFor();
    const granted = (await (await b.t.as(biz, 'owner')).get('/api/v1/support-access')).json();
    expect(granted.grant).toMatchObject({ granted_by: biz.users.owner, revoked_at: null });
    const hours = (Date.parse(granted.grant.expires_at) - Date.parse(granted.grant.created_at)) / 3_600_000;
    expect(hours).toBeCloseTo(8, 5);

    // The operator opens a session in the back office and follows its link.
    const opened = await open();
    expect(opened.statusCode, opened.body).toBe(201);
    const { token, url } = opened.json() as { token: string; url: string };
    // The link the back office gives: the business's own address, the token in the fragment.
    expect(url).toBe(b.url(biz, `/support#token=${token}`));
    const support = await b.page({ bypassCSP: true });
    await support.goto(url);
    const banner = support.getByTestId('support-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(/^Brigade support \(admin-[0-9a-f]+@brigade\.test\) is viewing this business read-only until .+/);
    // The token is out of the address bar at once.
    expect(support.url()).toBe(b.url(biz, '/'));
    // The business's pages, read-only: the locations list, and the banner on every page.
    await support.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Locations' }).click();
    await support.getByRole('heading', { name: 'Locations', level: 1 }).waitFor();
    await support.getByRole('main').getByText('Main Street').first().waitFor();
    // Read-only: nothing offers to open or change a location.
    expect(await support.getByRole('button', { name: 'New location' }).count()).toBe(0);
    expect(await support.getByRole('link', { name: 'Edit Main Street' }).count()).toBe(0);
    await banner.waitFor();
    expect(await support.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My account' }).count()).toBe(0);
    expect(await violations(support)).toEqual([]);

    // The owner sees who looks in and why.
    await owner.reload();
    const row = owner.getByTestId('support-session');
    await row.getByText('the owner asked why a count is flagged').waitFor();
    await row.getByText(/^admin-[0-9a-f]+@brigade\.test$/).waitFor();
    await row.getByText('Open', { exact: true }).waitFor();
    expect(await violations(owner)).toEqual([]);

    // Withdrawn: the support page's next request is refused and it says the session has ended.
    await owner.getByRole('button', { name: 'Withdraw support access' }).click();
    await owner.getByText('Support access is withdrawn.', { exact: false }).waitFor();
    await row.getByText('Ended', { exact: true }).waitFor();
    await owner.getByText('Brigade support cannot look into the business.').waitFor();

    await support.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
    await support.getByRole('heading', { name: 'The support session has ended', level: 1 }).waitFor();
    expect(await support.getByTestId('support-banner').count()).toBe(0);
    // Nothing of the business is left behind: opening its pages again asks to sign in.
    await support.goto(b.url(biz, '/locations'));
    await support.getByRole('heading', { name: /^Sign in to / }).waitFor();
  });

  it('a support link that no longer works says so; the operator can end a session from the banner', async () => {
    const biz = await b.t.tenant();
    const ownerApi = await b.t.as(biz, 'owner');
    expect((await ownerApi.put('/api/v1/support-access', { hours: 1 })).statusCode).toBe(200);
    const operator = await b.t.platformAdmin();
    const { url } = (await operator.post(`/api/v1/platform/tenants/${biz.id}/support-sessions`, { reason: 'checking a report', minutes: 5 })).json() as { url: string };

    const support = await b.page();
    await support.goto(url);
    await support.getByTestId('support-banner').waitFor();
    await support.getByRole('button', { name: 'End support session' }).click();
    await support.getByRole('heading', { name: /^Sign in to / }).waitFor();
    const sessions = (await ownerApi.get('/api/v1/support-access')).json().sessions as { revoked_at: string | null }[];
    expect(sessions).toEqual([expect.objectContaining({ revoked_at: expect.any(String) })]);

    // The same link again: ended, said plainly, and the token is not left in the address bar.
    const again = await b.page();
    await again.goto(url);
    await again.getByText('This support link no longer works').waitFor();
    expect(again.url()).toBe(b.url(biz, '/support'));
    // A link cut short.
    await again.goto(b.url(biz, '/support'));
    await again.getByRole('heading', { name: 'This support link is incomplete' }).waitFor();
  });

  it('changing the time replaces the permission: a session opened under the old one is shown ended, and its link stops working', async () => {
    const biz = await b.t.tenant();
    const ownerApi = await b.t.as(biz, 'owner');
    expect((await ownerApi.put('/api/v1/support-access', { hours: 1 })).statusCode).toBe(200);
    const operator = await b.t.platformAdmin();
    const { url } = (await operator.post(`/api/v1/platform/tenants/${biz.id}/support-sessions`, { reason: 'a stuck drawer', minutes: 30 })).json() as { url: string };

    const owner = await b.page();
    await b.signIn(owner, biz, 'owner');
    await owner.goto(b.url(biz, '/support-access'));
    const row = owner.getByTestId('support-session');
    await row.getByText('Open', { exact: true }).waitFor();
    await owner.getByLabel('Change how long support may look in, from now').selectOption({ label: '1 week' });
    await owner.getByRole('button', { name: 'Change the time' }).click();
    await row.getByText('Ended', { exact: true }).waitFor();
    await owner.getByTestId('support-grant').getByText('Allowed', { exact: true }).waitFor();

    const support = await b.page();
    await support.goto(url);
    await support.getByText('This support link no longer works').waitFor();
  });
});
