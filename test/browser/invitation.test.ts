import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { useBrowserApp } from './harness.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';

const b = useBrowserApp();
let cafe: SeededTenant;

beforeAll(async () => {
  cafe = await b.t.tenant();
});

describe('inviting someone in the browser', () => {
  it('an owner invites a new cook as staff; the cook accepts and lands signed in; the owner then sees them', async () => {
    const email = `new.cook-${randomBytes(3).toString('hex')}@example.com`;
    const owner = await b.page();
    await b.signIn(owner, cafe, 'owner');
    await owner.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
    await owner.getByRole('heading', { name: 'People', level: 1 }).waitFor();
    // The seeded people are listed, with their location by name.
    const people = owner.getByRole('table', { name: 'People' });
    await people.getByRole('row').filter({ hasText: `staff@${cafe.slug}.brigade.test` }).getByText('Staff at Main Street').waitFor();

    // An owner may invite every role.
    const roleOptions = await owner.getByLabel('Role', { exact: true }).locator('option').allTextContents();
    expect(roleOptions).toEqual(['Owner', 'Admin', 'Location manager', 'Compliance officer', 'Manager', 'Staff', 'Auditor']);

    await owner.getByLabel('Email').fill(email);
    await owner.getByLabel('Role', { exact: true }).selectOption({ label: 'Staff' });
    await owner.getByLabel('Location').selectOption(cafe.locationId);
    await owner.getByRole('button', { name: 'Send the invitation' }).click();
    const sent = owner.getByRole('status').filter({ hasText: 'Invitation sent' });
    await sent.waitFor();
    expect(await sent.textContent()).toContain(email);
    const invitationRow = owner.getByRole('table', { name: 'Invitations' }).getByRole('row').filter({ hasText: email });
    await invitationRow.getByText('Not yet').waitFor();
    expect(await invitationRow.textContent()).toContain('Staff at Main Street');

    const mail = await b.mail.next((m) => m.to.includes(email));
    const link = /https?:\/\/\S+\/invite#\S+/.exec(mail.text)?.[0];
    if (!link) throw new Error(`no /invite#token link in the mail:\n${mail.text}`);
    expect(new URL(link).host).toBe(new URL(b.url(cafe)).host);

    // The invitee, on their own phone.
    const cook = await b.page({ viewport: 'phone' });
    await cook.goto(link);
    await cook.getByRole('heading', { name: `Join ${cafe.name}` }).waitFor();
    // A missing name is caught in the page and nothing is sent, so the link stays usable.
    await cook.getByRole('button', { name: 'Accept and sign in' }).click();
    await cook.getByText('Tell us your name.').waitFor();
    expect(await cook.getByLabel('Your name').getAttribute('aria-invalid')).toBe('true');
    await cook.getByLabel('Your name').fill('Ana Lopez');
    await cook.getByLabel('Password', { exact: true }).fill('a cast iron pan on a low flame');
    await cook.getByLabel('Password again', { exact: true }).fill('a cast iron pan on a low flame');
    await cook.getByRole('button', { name: 'Accept and sign in' }).click();
    await cook.getByRole('heading', { name: 'Hello, Ana Lopez' }).waitFor();
    expect(new URL(cook.url()).pathname).toBe('/');
    expect(await cook.getByTestId('signed-in-as').textContent()).toBe('Ana Lopez');

    await owner.reload();
    const row = people.getByRole('row').filter({ hasText: email });
    await row.filter({ hasText: 'Staff at Main Street' }).waitFor();
    expect(await row.textContent()).toContain('Ana Lopez');
    expect(await row.textContent()).toContain('Staff at Main Street');
    // Accepted: the invitation shows when instead of "Not yet".
    await invitationRow.waitFor();
    expect(await invitationRow.getByText('Not yet').count()).toBe(0);
  });

  it('refuses a bad email beside the field and sends nothing', async () => {
    const owner = await b.page({ viewport: 'tablet' });
    await b.signIn(owner, cafe, 'owner');
    await owner.goto(b.url(cafe, '/people'));
    await owner.getByRole('heading', { name: 'Invite someone' }).waitFor();
    const before = await b.t.db.admin(`SELECT count(*)::int AS n FROM invitations WHERE tenant_id = $1`, [cafe.id]);
    await owner.getByLabel('Email').fill('not-an-email');
    await owner.getByRole('button', { name: 'Send the invitation' }).click();
    await owner.getByText('Must be an email address').waitFor();
    expect(await owner.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    expect(await owner.getByRole('status').filter({ hasText: 'Invitation sent' }).count()).toBe(0);
    expect(await b.t.db.admin(`SELECT count(*)::int AS n FROM invitations WHERE tenant_id = $1`, [cafe.id])).toEqual(before);
  });

  it('offers a location manager only the roles they may invite, at their own location', async () => {
    const page = await b.page();
    await b.signIn(page, cafe, 'location_manager');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
    await page.getByRole('heading', { name: 'Invite someone' }).waitFor();
    expect(await page.getByLabel('Role', { exact: true }).locator('option').allTextContents()).toEqual(['Manager', 'Staff']);
    expect(await page.getByLabel('Location').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual([cafe.locationId]);
  });

  it('the owner chooses the roles the business works with; invitations offer only those', async () => {
    const shop = await b.t.tenant();
    const owner = await b.page();
    await b.signIn(owner, shop, 'owner');
    await owner.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    const card = owner.getByRole('region', { name: 'Roles this business uses' });
    await card.getByLabel('Compliance officer').uncheck();
    await card.getByLabel('Auditor').uncheck();
    expect(await card.getByLabel('Owner').isDisabled()).toBe(true);
    await card.getByRole('button', { name: 'Save roles' }).click();
    await card.getByText('Saved: invitations now offer these roles.').waitFor();
    await owner.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
    await expect
      .poll(() => owner.getByLabel('Role', { exact: true }).locator('option').allTextContents())
      .toEqual(['Owner', 'Admin', 'Location manager', 'Manager', 'Staff']);
    const [t] = await b.t.db.admin(`SELECT roles_in_use FROM tenants WHERE id = $1`, [shop.id]);
    expect(t!.roles_in_use).toEqual(['owner', 'admin', 'location_manager', 'manager', 'staff']);
  });
});

