import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useBrowserApp } from './harness.ts';
import { PIN } from '../harness.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';
import type { TenantRole } from '../../src/identity/permissions.ts';

const b = useBrowserApp();
let cafe: SeededTenant;

beforeAll(async () => {
  cafe = await b.t.tenant();
});

/** The name seedTenant gives the person holding a role ("Location manager (Test t1-…)"). */
const nameOf = (t: SeededTenant, role: TenantRole) => `${role.replace('_', ' ').replace(/^./, (c) => c.toUpperCase())} (${t.name})`;
const tokenKey = (t: SeededTenant) => `brigade.kiosk.${t.slug}`;

/** Registered through the API by the admin, as a quicker stand-in for the Kiosks page (tested in the first flow). */
async function registerKiosk(t: SeededTenant, name: string) {
  const admin = await b.t.as(t, 'admin');
  const r = await admin.post('/api/v1/kiosks', { location_id: t.locationId, name });
  expect(r.statusCode, r.body).toBe(201);
  return { id: r.json().kiosk.id as string, token: r.json().device_token as string, admin };
}

/** Opens the set-up link on the tablet and waits for the list of names. */
async function openKiosk(page: Page, t: SeededTenant, token: string) {
  await page.goto(b.url(t, `/kiosk#setup=${token}`));
  await page.getByRole('heading', { name: 'Who is signing in?' }).waitFor();
}

async function choose(page: Page, t: SeededTenant, role: TenantRole) {
  await page.getByRole('button', { name: nameOf(t, role), exact: true }).click();
  await page.getByRole('heading', { name: 'Enter your PIN' }).waitFor();
}

/** Taps the PIN on the on-screen pad and presses Enter; returns the server's answer to the sign-in. */
async function tapPin(page: Page, pin: string) {
  for (const digit of pin) await page.getByRole('button', { name: digit, exact: true }).click();
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/pin-sign-in')),
    page.getByRole('button', { name: 'Enter', exact: true }).click(),
  ]);
  return res;
}

const sessionStatus = (page: Page) => page.evaluate(() => fetch('/api/v1/auth/session').then((r) => r.status));
const alertWith = (page: Page, text: string) => page.getByRole('alert').filter({ hasText: text });

describe('kiosk in the browser', () => {
  it('an admin registers a kiosk, makes this browser the kiosk, and staff sign in with their PIN', async () => {
    const page = await b.page({ viewport: 'tablet' });
    await b.signIn(page, cafe, 'admin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Kiosks' }).click();
    await page.getByRole('heading', { name: 'Kiosks', level: 1 }).waitFor();

    await page.getByLabel('Kiosk name').fill('Front counter tablet');
    await page.getByRole('button', { name: 'Register kiosk' }).click();
    const tokenField = page.getByRole('textbox', { name: 'Device token' });
    await tokenField.waitFor();
    const token = await tokenField.inputValue();
    expect(token).toMatch(/^bk_/);
    expect(await page.getByRole('textbox', { name: /^Set-up link/ }).inputValue()).toBe(b.url(cafe, `/kiosk#setup=${encodeURIComponent(token)}`));
    await page.getByText('This device token is shown only once').waitFor();
    await page.getByRole('row', { name: /Front counter tablet/ }).getByText('Active').waitFor();

    await page.getByRole('button', { name: 'Use this browser as this kiosk' }).click();
    await page.getByRole('heading', { name: 'Who is signing in?' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/kiosk');
    expect(await page.evaluate((k) => localStorage.getItem(k), tokenKey(cafe))).toBe(token);
    // The manager who set the tablet up is no longer signed in on it.
    expect(await sessionStatus(page)).toBe(401);

    await choose(page, cafe, 'staff');
    expect(await page.getByLabel(`PIN for ${nameOf(cafe, 'staff')}`).getAttribute('type')).toBe('password');
    const res = await tapPin(page, PIN);
    expect(res.status()).toBe(200);
    await page.getByRole('heading', { name: `Hello, ${nameOf(cafe, 'staff')}` }).waitFor();
    await page.getByRole('heading', { name: 'Your kiosk actions' }).waitFor();
    await page.getByRole('list', { name: 'Your recent activity' }).getByText('Signed in with your PIN on a kiosk').waitFor();
    const me = await page.evaluate(() => fetch('/api/v1/auth/session').then((r) => r.json()));
    expect(me).toMatchObject({ kind: 'pin_session', user: { id: cafe.users.staff } });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Who is signing in?' }).waitFor();
    expect(await sessionStatus(page)).toBe(401);
  });

  it('a wrong PIN says how many tries are left; five lock the PIN, and then even the right PIN is refused', async () => {
    const { token } = await registerKiosk(cafe, 'Bar tablet');
    const page = await b.page({ viewport: 'phone' });
    await openKiosk(page, cafe, token);
    // The set-up token does not stay in the address bar.
    expect(new URL(page.url()).hash).toBe('');
    await choose(page, cafe, 'manager');

    // From a keyboard: digits into the PIN field, Enter to sign in.
    await page.keyboard.type('0000');
    await page.keyboard.press('Enter');
    await alertWith(page, 'Wrong PIN').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('4 tries left before it locks.');

    for (const left of ['3 tries left', '2 tries left', '1 try left']) {
      expect((await tapPin(page, '0000')).status()).toBe(400);
      await alertWith(page, left).waitFor();
    }
    expect((await tapPin(page, '0000')).status()).toBe(423);
    await alertWith(page, 'This PIN is locked').waitFor();
    const lockout = await page.getByRole('alert').textContent();
    expect(lockout).toContain('locked for 15 minutes');
    expect(lockout).toContain('ask a manager or sign in with your password');

    expect((await tapPin(page, PIN)).status()).toBe(423);
    await alertWith(page, 'This PIN is locked').waitFor();
    expect(await page.getByRole('heading', { name: /^Hello,/ }).count()).toBe(0);
    expect(await sessionStatus(page)).toBe(401);
  });

  it('signs the person out after a minute without a touch, warning during the last seconds', async () => {
    const { token } = await registerKiosk(cafe, 'Kitchen tablet');
    const page = await b.page({ viewport: 'tablet' });
    await page.clock.install();
    await openKiosk(page, cafe, token);
    await choose(page, cafe, 'staff');
    expect((await tapPin(page, PIN)).status()).toBe(200);
    await page.getByRole('heading', { name: `Hello, ${nameOf(cafe, 'staff')}` }).waitFor();
    expect(await sessionStatus(page)).toBe(200);

    const warning = page.getByText(/Signing out in \d+ s — tap anywhere to stay/);
    await page.clock.fastForward('00:55');
    await warning.waitFor();

    // A tap keeps the person signed in for another minute.
    await page.mouse.click(5, 5);
    await warning.waitFor({ state: 'hidden' });
    await page.clock.fastForward('00:30');
    expect(await warning.count()).toBe(0);
    expect(await sessionStatus(page)).toBe(200);

    await page.clock.fastForward('00:35');
    await page.getByRole('heading', { name: 'Who is signing in?' }).waitFor();
    // Really ended on the server, not only hidden.
    expect(await sessionStatus(page)).toBe(401);
  });

  it('a revoked kiosk says so and forgets its token', async () => {
    const first = await registerKiosk(cafe, 'Stolen tablet');
    const page = await b.page({ viewport: 'phone' });
    await openKiosk(page, cafe, first.token);
    expect((await first.admin.delete(`/api/v1/kiosks/${first.id}`)).statusCode).toBe(204);

    // Someone tries to sign in on the revoked tablet.
    await choose(page, cafe, 'staff');
    expect((await tapPin(page, PIN)).status()).toBe(401);
    await page.getByRole('heading', { name: 'This browser is not a registered kiosk' }).waitFor();
    await page.getByText('This kiosk was revoked; ask a manager to register it again.').waitFor();
    expect(await page.evaluate((k) => localStorage.getItem(k), tokenKey(cafe))).toBeNull();
    await page.getByRole('link', { name: 'register this tablet as a kiosk' }).waitFor();

    // A manager pastes a new token on the same tablet; later that kiosk is revoked too and the tablet is reloaded.
    const second = await registerKiosk(cafe, 'Replacement tablet');
    await page.getByLabel('Device token').fill(second.token);
    await page.getByRole('button', { name: 'Use this device token' }).click();
    await page.getByRole('button', { name: nameOf(cafe, 'staff'), exact: true }).waitFor();
    expect(await page.evaluate((k) => localStorage.getItem(k), tokenKey(cafe))).toBe(second.token);

    expect((await second.admin.delete(`/api/v1/kiosks/${second.id}`)).statusCode).toBe(204);
    await page.reload();
    await page.getByText('This kiosk was revoked; ask a manager to register it again.').waitFor();
    expect(await page.evaluate((k) => localStorage.getItem(k), tokenKey(cafe))).toBeNull();
  });

  it('a host signs in with their PIN and works the line from the kiosk: a guest arrives live, and is called and seated', async () => {
    const { token } = await registerKiosk(cafe, 'Host stand');
    // Every business starts with a queue at its first location (its template's starter data).
    const [q] = await b.t.db.admin(`SELECT id, name FROM waitlist_queues WHERE tenant_id = $1 AND location_id = $2`, [cafe.id, cafe.locationId]);
    const page = await b.page({ viewport: 'tablet' });
    await openKiosk(page, cafe, token);
    await choose(page, cafe, 'staff');
    expect((await tapPin(page, PIN)).status()).toBe(200);
    await page.getByRole('link', { name: /^Waitlist/ }).click();
    await page.getByRole('heading', { level: 2, name: String(q!.name) }).waitFor();
    await page.getByTestId('live-sign').and(page.locator('[data-state="live"]')).waitFor();

    // Another host adds a walk-in from the signed-in board's API: the kiosk shows the party without a refresh.
    const staff = await b.t.as(cafe, 'manager');
    const joined = await staff.post(`/api/v1/waitlist/queues/${q!.id}/entries`, { name: 'Kiosk Kim', party_size: 2 });
    expect(joined.statusCode, joined.body).toBe(201);
    const kim = page.getByRole('listitem', { name: 'Kiosk Kim', exact: true });
    await kim.waitFor();
    await page.getByRole('button', { name: 'Call next' }).click();
    await kim.getByRole('button', { name: 'Seat Kiosk Kim' }).click();
    await expect.poll(async () => (await staff.get(`/api/v1/waitlist/entries/${joined.json().entry.id}`)).json().status).toBe('seated');
    // Done by the person who signed in with their PIN, on this kiosk.
    const [audit] = await b.t.db.admin(`SELECT actor_id FROM audit_log WHERE tenant_id = $1 AND resource_id = $2 AND action LIKE '%seat%'`, [cafe.id, joined.json().entry.id]);
    expect(audit).toEqual({ actor_id: cafe.users.staff });
  });
});
