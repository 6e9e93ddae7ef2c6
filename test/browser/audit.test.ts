import { beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from '../harness.ts';
import { useBrowserApp } from './harness.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';

const b = useBrowserApp();
let cafe: SeededTenant;

beforeAll(async () => {
  cafe = await b.t.tenant();
});

describe('the audit log in the browser', () => {
  it('shows what the owner just did, narrows by action, and opens a record with its changes', async () => {
    // The trail names people by the email they signed in with (names can change; the record must not).
    const owner = `owner@${cafe.slug}.brigade.test`;
    const page = await b.page();
    await b.signIn(page, cafe, 'owner');

    await page.goto(b.url(cafe, '/locations/new'));
    await page.getByLabel('Name').fill('Riverside Canteen');
    await page.getByLabel('Time zone').selectOption('Europe/Berlin');
    await page.getByRole('button', { name: 'Create location' }).click();
    await page.getByRole('cell', { name: 'Riverside Canteen' }).waitFor();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    const rows = page.getByTestId('audit-row');
    const created = rows.filter({ hasText: 'location.created' });
    await created.waitFor();
    expect(await created.textContent()).toContain(owner);
    expect(await created.textContent()).toContain('medium');
    // The location column names the location, not its id.
    await created.getByRole('cell', { name: 'Riverside Canteen' }).waitFor();
    // The trail holds more than that one record: the seed, the sign-in.
    const before = await rows.count();
    expect(before).toBeGreaterThan(1);
    await rows.filter({ hasText: 'auth.signed_in' }).first().waitFor();

    await page.getByLabel('Action').fill('location.created');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL((u) => u.searchParams.get('action') === 'location.created');
    await rows.filter({ hasNotText: 'location.created' }).first().waitFor({ state: 'detached' });
    expect(await rows.count()).toBe(1);

    // The filter lives in the address: a reload (or a shared link) shows the same view.
    await page.reload();
    await rows.first().waitFor();
    expect(await page.getByLabel('Action').inputValue()).toBe('location.created');
    expect(await rows.count()).toBe(1);

    await rows.first().getByRole('button', { name: /^Details/ }).click();
    const dialog = page.getByRole('dialog');
    const title = dialog.getByRole('heading', { name: /location\.created/ });
    await title.waitFor();
    const fields = dialog.getByRole('table', { name: 'Recorded fields' });
    expect(await fields.getByRole('row').filter({ hasText: 'name' }).textContent()).toContain('Riverside Canteen');
    expect(await fields.getByRole('row').filter({ hasText: 'time_zone' }).textContent()).toContain('Europe/Berlin');
    expect(await dialog.textContent()).toContain(owner);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('shows a renamed field as before and after', async () => {
    const owner = await b.t.as(cafe, 'owner');
    const loc = (await owner.get(`/api/v1/locations/${cafe.locationId}`)).json();
    expect((await owner.patch(`/api/v1/locations/${cafe.locationId}`, { version: loc.version, name: 'Main Street North' })).statusCode).toBe(200);

    const page = await b.page({ viewport: 'phone' });
    await page.goto(b.url(cafe, `/sign-in?next=${encodeURIComponent('/audit?action=location.updated')}`));
    await page.getByLabel('Email').fill(`auditor@${cafe.slug}.brigade.test`);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const rows = page.getByTestId('audit-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    await rows.first().getByRole('button', { name: /^Details/ }).click();
    const changed = page.getByRole('dialog').getByRole('table', { name: 'Changed fields' });
    const name = changed.getByRole('row').filter({ hasText: /^name/ });
    const cells = await name.getByRole('cell').allTextContents();
    expect(cells).toEqual(['name', loc.name, 'Main Street North']);
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
  });

  it('verifies the chain, and says where it is broken after tampering', async () => {
    const page = await b.page();
    await b.signIn(page, cafe, 'compliance_officer');
    await page.goto(b.url(cafe, '/audit'));
    const intact = page.getByRole('status').filter({ hasText: /Chain intact: \d+ records checked/ });
    await intact.waitFor();
    const checked = Number(/Chain intact: (\d+)/.exec((await intact.textContent()) ?? '')?.[1]);
    const [count] = await b.t.db.admin(`SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1`, [cafe.id]);
    expect(checked).toBe(count?.n);

    // Someone with the database superuser's password rewrites history behind the application's back.
    const [first] = await b.t.db.admin(`SELECT min(seq) AS seq FROM audit_log WHERE tenant_id = $1`, [cafe.id]);
    await b.t.db.admin(`UPDATE audit_log SET action = 'nothing.happened' WHERE tenant_id = $1 AND seq = $2`, [cafe.id, first?.seq]);
    await page.getByRole('button', { name: 'Verify again' }).click();
    await page.getByRole('alert').filter({ hasText: `Chain broken at record #${first?.seq}` }).waitFor();
  });
});
