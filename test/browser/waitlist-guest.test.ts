import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useBrowserApp } from './harness.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';

const b = useBrowserApp();

/** A queue set up by the owner through the API, as a manager would have done on the queues page. */
async function openQueue(t: SeededTenant, fields: Record<string, unknown> = {}): Promise<{ id: string; name: string }> {
  const owner = await b.t.as(t, 'owner');
  const r = await owner.post('/api/v1/waitlist/queues', { location_id: t.locationId, name: 'Dinner', ...fields });
  expect(r.statusCode, r.body).toBe(201);
  return r.json();
}

/** On a phone: the join form filled in and sent. */
async function join(page: Page, t: SeededTenant, queueId: string, guest: { name: string; phone: string; size?: string }) {
  await page.goto(b.url(t, `/q/${queueId}`));
  await page.getByRole('heading', { level: 1, name: /^Join / }).waitFor();
  await page.getByLabel('Name').fill(guest.name);
  await page.getByLabel('Phone').fill(guest.phone);
  await page.getByLabel('Party size').selectOption(guest.size ?? '2');
  await page.getByRole('button', { name: 'Join the line' }).click();
}

const position = (page: Page) => page.getByTestId('guest-position');
const guestRow = (page: Page, name: string) => page.getByRole('listitem', { name, exact: true });
const waitingNames = (page: Page) => page.getByRole('list', { name: 'Waiting' }).getByRole('heading', { level: 3 }).allTextContents();

/** The host's board of a queue on a tablet, signed in as staff, loaded and following the line. */
async function hostBoard(t: SeededTenant, queue: string): Promise<Page> {
  const host = await b.page({ viewport: 'tablet' });
  await b.signIn(host, t, 'staff');
  await host.goto(b.url(t, '/waitlist'));
  await host.getByRole('heading', { level: 1, name: 'Waitlist' }).waitFor();
  // Every business starts with a queue of its own; the board shows one at a time.
  await host.getByLabel('Queue').selectOption({ label: queue });
  await host.getByRole('heading', { level: 2, name: queue }).waitFor();
  await host.getByTestId('live-sign').and(host.locator('[data-state="live"]')).waitFor();
  return host;
}

describe('the waitlist from the guest’s phone', () => {
  it('a guest joins and follows the line live while a host calls and seats; the guest behind moves up', async () => {
    const t = await b.t.tenant();
    const q = await openQueue(t);
    const host = await hostBoard(t, q.name);
    await host.getByText('Nobody is waiting.').waitFor();

    // --- The first guest joins from their phone and lands on their own page, first in line.
    const ada = await b.page({ viewport: 'phone' });
    await join(ada, t, q.id, { name: 'Ada Lovelace', phone: '+12125550101', size: '2' });
    await ada.waitForURL(/\/e\/[^/]+$/);
    await ada.getByRole('heading', { level: 1, name: 'Dinner' }).waitFor();
    await ada.getByText('Your place in line').waitFor();
    expect(await position(ada).textContent()).toBe('1');
    await ada.getByText('You are next.').waitFor();

    // --- The host's board shows her without a reload (it never polls: this can only come over the socket).
    const adaRow = guestRow(host, 'Ada Lovelace');
    await adaRow.waitFor();
    expect(await adaRow.getByTestId('position').textContent()).toBe('Position 1');
    expect(await adaRow.getByTestId('party-size').getAttribute('data-band')).toBe('1–2');

    // --- A second party joins behind her.
    const grace = await b.page({ viewport: 'phone' });
    await join(grace, t, q.id, { name: 'Grace Hopper', phone: '+12125550102', size: '5' });
    await grace.waitForURL(/\/e\/[^/]+$/);
    await expect.poll(() => position(grace).textContent()).toBe('2');
    const graceRow = guestRow(host, 'Grace Hopper');
    await graceRow.waitFor();
    expect(await graceRow.getByTestId('party-size').getAttribute('data-band')).toBe('5–6');
    expect(await waitingNames(host)).toEqual(['Ada Lovelace', 'Grace Hopper']);

    // --- The host calls Ada: her page says the table is ready; Grace moves up to first.
    await adaRow.getByRole('button', { name: 'Call Ada Lovelace' }).click();
    await ada.getByText('Your table is ready').waitFor();
    expect(await ada.getByTestId('guest-status').getAttribute('data-status')).toBe('called');
    await expect.poll(() => position(grace).textContent()).toBe('1');
    await grace.getByText('You are next.').waitFor();
    await host.getByRole('list', { name: 'Called' }).getByRole('listitem', { name: 'Ada Lovelace', exact: true }).waitFor();

    // --- Seated: Ada's page says so, and offers no way to leave a line she is no longer in.
    await guestRow(host, 'Ada Lovelace').getByRole('button', { name: 'Seat Ada Lovelace' }).click();
    await ada.getByText('You are seated').waitFor();
    expect(await ada.getByRole('button', { name: 'Leave the line' }).count()).toBe(0);
    await host.getByRole('list', { name: 'Seated' }).getByRole('listitem', { name: 'Ada Lovelace', exact: true }).waitFor();

    // --- Grace leaves the line from her phone; the host's board drops her.
    await grace.getByRole('button', { name: 'Leave the line' }).click();
    await grace.getByRole('dialog').getByRole('button', { name: 'Leave the line' }).click();
    await grace.getByText('You are no longer in line').waitFor();
    await host.getByText('Nobody is waiting.').waitFor();
  });

  it('guest and host chat both ways; markup in a message is shown as text, never run', async () => {
    const t = await b.t.tenant();
    const q = await openQueue(t);
    const host = await hostBoard(t, q.name);
    const guest = await b.page({ viewport: 'phone' });
    const alerts: string[] = [];
    for (const p of [host, guest]) p.on('dialog', (d) => void (alerts.push(d.message()), d.dismiss()));
    await join(guest, t, q.id, { name: 'Linus', phone: '+12125550103' });
    await guest.waitForURL(/\/e\/[^/]+$/);
    await guest.getByText('No messages yet.').waitFor();

    // --- The guest writes; the host's board shows an unread badge on that guest.
    const attack = '<img src=x onerror=alert(1)>';
    await guest.getByLabel('Your message').fill(attack);
    await guest.getByRole('button', { name: 'Send' }).click();
    await guest.getByTestId('message-body').filter({ hasText: attack }).waitFor();
    const row = guestRow(host, 'Linus');
    await row.getByRole('button', { name: 'Chat with Linus, 1 unread' }).waitFor();
    expect(await row.getByTestId('unread').textContent()).toBe('1');

    // --- The host opens the chat: the message is there as literal text, and reading it clears the badge.
    await row.getByRole('button', { name: /^Chat with Linus/ }).click();
    const chat = host.getByRole('dialog', { name: 'Chat with Linus' });
    const body = chat.getByTestId('message-body');
    await body.filter({ hasText: attack }).waitFor();
    expect(await body.first().textContent()).toBe(attack);
    expect(await chat.locator('img').count()).toBe(0);
    const staff = await b.t.as(t, 'staff');
    const unread = async () => (await staff.get(`/api/v1/waitlist/queues/${q.id}/board`)).json().entries[0].unread;
    await expect.poll(unread).toBe(0);

    // --- The host answers; the guest sees it arrive, with who wrote it.
    await chat.getByLabel('Message to Linus').fill('We have your table in five minutes.');
    await chat.getByRole('button', { name: 'Send' }).click();
    await chat.getByTestId('message-body').filter({ hasText: 'We have your table in five minutes.' }).waitFor();
    const reply = guest.getByTestId('message').filter({ hasText: 'We have your table in five minutes.' });
    await reply.waitFor();
    expect(await reply.getAttribute('data-sender')).toBe('staff');
    expect(await reply.textContent()).toContain('Staff (Test');

    // --- A second message while the chat stays open arrives there too, and is marked read at once.
    await guest.getByLabel('Your message').fill('Thank you!');
    await guest.getByRole('button', { name: 'Send' }).click();
    await chat.getByTestId('message-body').filter({ hasText: 'Thank you!' }).waitFor();
    await expect.poll(unread).toBe(0);
    await chat.getByRole('button', { name: 'Close' }).click();
    await row.getByRole('button', { name: 'Chat with Linus', exact: true }).waitFor();
    expect(await row.getByTestId('unread').count()).toBe(0);

    expect(await guest.locator('[data-testid="messages"] img').count()).toBe(0);
    expect(alerts).toEqual([]);
  });

  it('a full queue refuses a guest with its reason in plain sight', async () => {
    const t = await b.t.tenant();
    const q = await openQueue(t, { name: 'Brunch', max_capacity: 1 });
    const staff = await b.t.as(t, 'staff');
    const filled = await staff.post(`/api/v1/waitlist/queues/${q.id}/entries`, { name: 'Walk-in', party_size: 2 });
    expect(filled.statusCode, filled.body).toBe(201);

    const guest = await b.page({ viewport: 'phone' });
    await join(guest, t, q.id, { name: 'Late Larry', phone: '+12125550104' });
    const refusal = guest.getByRole('alert').filter({ hasText: 'This line is full' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('Brunch is full');
    expect(await refusal.isVisible()).toBe(true);
    // Still on the form, nothing joined.
    expect(new URL(guest.url()).pathname).toBe(`/q/${q.id}`);
    const board = (await staff.get(`/api/v1/waitlist/queues/${q.id}/board`)).json();
    expect(board.entries.map((e: { name: string }) => e.name)).toEqual(['Walk-in']);
  });

  it('the list of lines leads to the join form', async () => {
    const t = await b.t.tenant();
    const q = await openQueue(t, { name: 'Terrace', description: 'Outside, by the river' });
    const guest = await b.page({ viewport: 'phone' });
    await guest.goto(b.url(t, `/w?location=${t.locationId}`));
    const line = guest.getByRole('listitem', { name: 'Terrace' });
    await line.getByText('Outside, by the river').waitFor();
    await line.getByRole('link', { name: 'Join Terrace' }).click();
    await guest.getByRole('heading', { level: 1, name: 'Join Terrace' }).waitFor();
    expect(new URL(guest.url()).pathname).toBe(`/q/${q.id}`);
  });
});
