import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Page } from 'playwright-core';
import { useBrowserApp } from './harness.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';
import type { TenantRole } from '../../src/identity/permissions.ts';

const b = useBrowserApp();

async function openQueue(t: SeededTenant, fields: Record<string, unknown> = {}): Promise<{ id: string; name: string }> {
  const owner = await b.t.as(t, 'owner');
  const r = await owner.post('/api/v1/waitlist/queues', { location_id: t.locationId, name: 'Lunch', ...fields });
  expect(r.statusCode, r.body).toBe(201);
  return r.json();
}

/** A queue's board on a tablet, loaded and following the queue over the socket. */
async function board(t: SeededTenant, role: TenantRole, queue: string): Promise<Page> {
  const page = await b.page({ viewport: 'tablet' });
  await b.signIn(page, t, role);
  await page.goto(b.url(t, '/waitlist'));
  await page.getByRole('heading', { level: 1, name: 'Waitlist' }).waitFor();
  // Every business starts with a queue of its own; the board shows one at a time.
  await page.getByLabel('Queue').selectOption({ label: queue });
  await page.getByRole('heading', { level: 2, name: queue }).waitFor();
  await page.getByTestId('live-sign').and(page.locator('[data-state="live"]')).waitFor();
  return page;
}

const row = (page: Page, name: string) => page.getByRole('listitem', { name, exact: true });
const namesIn = (page: Page, section: 'Waiting' | 'Called' | 'Seated') => async () => {
  const list = page.getByRole('list', { name: section });
  return (await list.count()) ? list.getByRole('heading', { level: 3 }).allTextContents() : [];
};

describe('the waitlist board, queues and analytics', () => {
  it('two hosts work one line: walk-in, reorder by button and by drag, bulk call, no-show, requeue, seat', async () => {
    const t = await b.t.tenant();
    const q = await openQueue(t);
    const staff = await b.t.as(t, 'staff');
    const front = await board(t, 'staff', q.name);
    const back = await board(t, 'manager', q.name);
    await front.getByText('Nobody is waiting.').waitFor();

    // --- A walk-in in one step, on the first tablet; the second shows it as well.
    await front.getByRole('button', { name: 'Add walk-in' }).click();
    const dialog = front.getByRole('dialog', { name: 'Add a walk-in' });
    await dialog.getByLabel('Name').fill('Wendy');
    await dialog.getByLabel('Party size').fill('4');
    await dialog.getByRole('button', { name: 'Add to the line' }).click();
    await front.getByRole('status').filter({ hasText: 'Wendy added at position 1.' }).waitFor();
    await row(back, 'Wendy').waitFor();
    expect(await row(back, 'Wendy').getByTestId('party-size').getAttribute('data-band')).toBe('3–4');
    const wendy = (await staff.get(`/api/v1/waitlist/queues/${q.id}/board`)).json().entries[0];
    expect(wendy).toMatchObject({ name: 'Wendy', party_size: 4, phone: null, source: 'staff', status: 'waiting', position: 1 });

    // Two more parties join through the API (a guest's phone, another host): both boards follow.
    for (const [name, party_size] of [['Bob', 2], ['Carla', 7]] as const) {
      expect((await staff.post(`/api/v1/waitlist/queues/${q.id}/entries`, { name, party_size })).statusCode).toBe(201);
    }
    await expect.poll(namesIn(front, 'Waiting')).toEqual(['Wendy', 'Bob', 'Carla']);
    await expect.poll(namesIn(back, 'Waiting')).toEqual(['Wendy', 'Bob', 'Carla']);
    expect(await row(front, 'Carla').getByTestId('party-size').getAttribute('data-band')).toBe('7+');

    // --- Reorder with the accessible button on one tablet; the other follows.
    await row(front, 'Wendy').getByRole('button', { name: 'Move Wendy down' }).click();
    await expect.poll(namesIn(back, 'Waiting')).toEqual(['Bob', 'Wendy', 'Carla']);
    await expect.poll(namesIn(front, 'Waiting')).toEqual(['Bob', 'Wendy', 'Carla']);

    // --- And by dragging: Carla dropped on Bob takes the front.
    await row(back, 'Carla').dragTo(row(back, 'Bob'));
    await expect.poll(namesIn(front, 'Waiting')).toEqual(['Carla', 'Bob', 'Wendy']);
    await expect.poll(namesIn(back, 'Waiting')).toEqual(['Carla', 'Bob', 'Wendy']);

    // --- Bulk call: tick two, call them together.
    await row(front, 'Carla').getByLabel('Select Carla').check();
    await row(front, 'Bob').getByLabel('Select Bob').check();
    await front.getByRole('button', { name: 'Call selected (2)' }).click();
    await expect.poll(namesIn(back, 'Called')).toEqual(expect.arrayContaining(['Carla', 'Bob']));
    await expect.poll(namesIn(back, 'Waiting')).toEqual(['Wendy']);
    await expect.poll(namesIn(front, 'Waiting')).toEqual(['Wendy']);

    // --- Bob never came: a no-show from the second tablet takes him off the first.
    await row(back, 'Bob').getByRole('button', { name: 'No-show Bob' }).click();
    await expect.poll(namesIn(front, 'Called')).toEqual(['Carla']);

    // --- Carla stepped out when called: requeued, she is back at the front on both.
    await row(front, 'Carla').getByRole('button', { name: 'Requeue Carla' }).click();
    await expect.poll(namesIn(back, 'Waiting')).toEqual(['Carla', 'Wendy']);
    await expect.poll(namesIn(back, 'Called')).toEqual([]);

    // --- Call next, seat, and the table freed.
    await back.getByRole('button', { name: 'Call next' }).click();
    await expect.poll(namesIn(front, 'Called')).toEqual(['Carla']);
    await row(front, 'Carla').getByRole('button', { name: 'Seat Carla' }).click();
    await expect.poll(namesIn(back, 'Seated')).toEqual(['Carla']);
    await row(back, 'Carla').getByRole('button', { name: 'Complete Carla' }).click();
    await expect.poll(namesIn(front, 'Seated')).toEqual([]);

    const after = (await staff.get(`/api/v1/waitlist/queues/${q.id}/board`)).json();
    expect(after.entries.map((e: { name: string; status: string; position: number | null }) => [e.name, e.status, e.position])).toEqual([['Wendy', 'waiting', 1]]);
  });

  it('a board that lost its connection catches up on what it missed when it comes back', async () => {
    const t = await b.t.tenant();
    const q = await openQueue(t);
    const staff = await b.t.as(t, 'staff');
    // The page's own policy allows sockets to its own address only; the stand-in for a dead network is elsewhere.
    const page = await b.page({ viewport: 'tablet', bypassCSP: true });
    // Where a socket goes while the Wi-Fi is down: a port that takes the connection and never answers, so an attempt
    // made then is still pending when the network comes back (a refused port fails at once and hides that case).
    const held = new Set<Socket>();
    const nowhere = createServer((socket) => {
      held.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => nowhere.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => {
      for (const socket of held) socket.destroy();
      return new Promise<void>((resolve) => nowhere.close(() => resolve()));
    });
    const deadEnd = `ws://127.0.0.1:${(nowhere.address() as AddressInfo).port}/`;
    const triedWhileDown = new Promise<void>((resolve) => nowhere.once('connection', () => resolve()));
    // The page's sockets, and a switch that sends new ones nowhere, as when the Wi-Fi drops.
    await page.addInitScript((offlineUrl: string) => {
      const Native = window.WebSocket;
      const w = window as unknown as { sockets: WebSocket[]; offline: boolean };
      w.sockets = [];
      w.offline = false;
      window.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(w.offline ? offlineUrl : url, protocols);
          w.sockets.push(this);
        }
      };
    }, deadEnd);
    await b.signIn(page, t, 'staff');
    await page.goto(b.url(t, '/waitlist'));
    await page.getByLabel('Queue').selectOption({ label: q.name });
    const live = page.getByTestId('live-sign');
    await live.and(page.locator('[data-state="live"]')).waitFor();
    await page.getByText('Nobody is waiting.').waitFor();

    await page.evaluate(() => {
      const w = window as unknown as { sockets: WebSocket[]; offline: boolean };
      w.offline = true;
      w.sockets.at(-1)!.close();
    });
    await live.getByText('Reconnecting…').waitFor();
    // While it is away, a guest joins and another host calls someone.
    expect((await staff.post(`/api/v1/waitlist/queues/${q.id}/entries`, { name: 'Missed Max', party_size: 2 })).statusCode).toBe(201);
    const called = (await staff.post(`/api/v1/waitlist/queues/${q.id}/entries`, { name: 'Called Cleo', party_size: 3 })).json().entry.id;
    expect((await staff.post(`/api/v1/waitlist/entries/${called}/call`)).statusCode).toBe(200);
    expect(await row(page, 'Missed Max').count()).toBe(0);
    // The board has tried again in the meantime, and that attempt hangs, as on a dead Wi-Fi.
    await triedWhileDown;

    // Back online: it resubscribes from the last event it saw, and the server replays the three it missed.
    // The browser says so with an 'online' event, as when the Wi-Fi comes back: the board reconnects at once
    // instead of waiting out a backoff that grew while it was away (up to 30 s on a loaded machine).
    await page.evaluate(() => {
      (window as unknown as { offline: boolean }).offline = false;
      window.dispatchEvent(new Event('online'));
    });
    await live.and(page.locator('[data-state="live"]')).waitFor();
    await expect.poll(namesIn(page, 'Waiting')).toEqual(['Missed Max']);
    await expect.poll(namesIn(page, 'Called')).toEqual(['Called Cleo']);
  });

  it('a manager creates a queue with its hours, pauses it, and is told why it cannot be deleted while a guest waits', async () => {
    const t = await b.t.tenant();
    const manager = await b.t.as(t, 'manager');
    const page = await b.page({ viewport: 'desktop' });
    await b.signIn(page, t, 'owner');
    await page.goto(b.url(t, '/waitlist/queues'));
    await page.getByRole('heading', { level: 1, name: 'Waitlist queues' }).waitFor();
    // The queue every business starts with.
    await page.getByRole('listitem', { name: 'Dining room' }).waitFor();

    // --- A new queue: closed on Sundays, parties of up to six, ten in line at most.
    await page.getByRole('button', { name: 'New queue' }).click();
    const form = page.getByRole('region', { name: 'New queue' });
    await form.getByLabel('Name').fill('Terrace');
    await form.getByLabel('Largest party').fill('6');
    await form.getByLabel('Most parties in line').fill('10');
    await form.getByLabel('Services').fill('Shade, Sun');
    await form.getByLabel('Open at all hours').uncheck();
    await form.getByRole('button', { name: 'Remove Sunday hours 1' }).click();
    await form.getByLabel('Saturday opens (1)').fill('10:00');
    await form.getByRole('button', { name: 'Create queue' }).click();
    await page.getByRole('status').filter({ hasText: 'Queue “Terrace” created.' }).waitFor();
    const card = page.getByRole('listitem', { name: 'Terrace' });
    await card.getByText('Taking guests').waitFor();
    await card.getByText(/Sat 10:00–22:00/).waitFor();

    const created = (await manager.get(`/api/v1/waitlist/queues?location_id=${t.locationId}`)).json().items.find((x: { name: string }) => x.name === 'Terrace');
    expect(created).toMatchObject({ name: 'Terrace', party_max: 6, max_capacity: 10, service_types: ['Shade', 'Sun'], accepting: true });
    expect(created.hours).toHaveLength(7);
    expect(created.hours[5]).toEqual([{ open: '10:00', close: '22:00' }]);
    expect(created.hours[6]).toEqual([]);

    // --- A guest is waiting when the manager pauses the queue and then tries to delete it.
    expect((await manager.post(`/api/v1/waitlist/queues/${created.id}/entries`, { name: 'Still here', party_size: 2 })).statusCode).toBe(201);
    await card.getByRole('button', { name: 'Pause Terrace' }).click();
    await card.getByText('Paused', { exact: true }).waitFor();
    await card.getByRole('button', { name: 'Resume Terrace' }).waitFor();
    expect((await manager.get(`/api/v1/waitlist/queues/${created.id}`)).json().accepting).toBe(false);

    await card.getByRole('button', { name: 'Delete Terrace' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete queue' }).click();
    const refusal = card.getByRole('alert').filter({ hasText: 'Not deleted' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('Terrace still has 1 party waiting or called');
    expect((await manager.get(`/api/v1/waitlist/queues/${created.id}`)).statusCode).toBe(200);

    // --- Once the line is empty, it goes.
    const [guest] = (await manager.get(`/api/v1/waitlist/queues/${created.id}/board`)).json().entries;
    expect((await manager.post(`/api/v1/waitlist/entries/${guest.id}/cancel`)).statusCode).toBe(200);
    await card.getByRole('button', { name: 'Delete Terrace' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete queue' }).click();
    // The open dialog hides the page from the accessibility tree: wait for it to close before asking for the card.
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Queue “Terrace” deleted.' }).waitFor();
    await card.waitFor({ state: 'detached' });
    expect((await manager.get(`/api/v1/waitlist/queues/${created.id}`)).statusCode).toBe(404);

    // --- The owner also keeps guests' details for a shorter time.
    const settings = page.getByRole('region', { name: 'Waitlist settings' });
    await settings.getByLabel("Keep guests' details for (days)").fill('30');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await settings.getByText('Waitlist settings saved.').waitFor();
    expect((await manager.get('/api/v1/waitlist/settings')).json().retention_days).toBe(30);
  });

  it('analytics show the figures of the line, and the CSV link downloads text/csv', async () => {
    const t = await b.t.tenant();
    const q = await openQueue(t);
    const staff = await b.t.as(t, 'staff');
    const add = async (name: string) => (await staff.post(`/api/v1/waitlist/queues/${q.id}/entries`, { name, party_size: 2 })).json().entry.id as string;
    const served = await add('Served Sam');
    const missed = await add('Missing Mo');
    for (const [id, action] of [[served, 'call'], [served, 'seat'], [missed, 'call'], [missed, 'no-show']]) {
      const r = await staff.post(`/api/v1/waitlist/entries/${id}/${action}`);
      expect(r.statusCode, r.body).toBe(200);
    }

    const page = await b.page({ viewport: 'desktop' });
    await b.signIn(page, t, 'manager');
    await page.goto(b.url(t, '/waitlist/analytics'));
    await page.getByRole('heading', { level: 1, name: 'Waitlist analytics' }).waitFor();
    const stat = (label: string) => page.getByTestId('stat').filter({ has: page.getByText(label, { exact: true }) }).locator('p').nth(1);
    await expect.poll(() => stat('Joined').textContent()).toBe('2');
    expect(await stat('Served').textContent()).toBe('1');
    expect(await stat('No-show rate').textContent()).toBe('50% (1)');
    expect(await stat('Cancellation rate').textContent()).toBe('0% (0)');
    const bars = page.getByTestId('day-bar');
    expect(await bars.count()).toBe(1);
    expect(await bars.first().getAttribute('data-served')).toBe('1');
    await page.getByRole('list', { name: 'Busiest hours' }).getByText(/2 parties joined/).waitFor();

    // The filters: another period and this queue give the same two guests.
    await page.getByLabel('Period').selectOption('30d');
    await page.getByLabel('Queue').selectOption({ label: 'Lunch' });
    await expect.poll(() => new URL(page.url()).search).toContain(`queue=${q.id}`);
    await expect.poll(() => stat('Joined').textContent()).toBe('2');

    // --- The CSV: a real download, served as text/csv, with the day's row.
    const link = page.getByRole('link', { name: 'Download CSV' });
    // Both filters stay in the link even when they were changed in quick succession.
    await expect.poll(() => link.getAttribute('href')).toContain('period=30d');
    await expect.poll(() => link.getAttribute('href')).toContain(`queue_id=${q.id}`);
    const href = (await link.getAttribute('href'))!;
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('waitlist-30d.csv');
    const text = await readFile((await download.path())!, 'utf8');
    expect(text.split('\n')[0]).toBe('date,joined,served,cancelled,no_shows,average_wait_minutes');
    expect(text).toMatch(/\n\d{4}-\d{2}-\d{2},2,1,0,1,/);
    // The same address fetched by the page itself (the test's own resolver knows no *.localhost hosts).
    const fetched = (url: string) =>
      page.evaluate(async (u) => {
        const r = await fetch(u);
        return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
      }, url);
    const res = await fetched(href);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/csv/);
    const json = await fetched((await page.getByRole('link', { name: 'Open as JSON' }).getAttribute('href'))!);
    expect(JSON.parse(json.body)).toMatchObject({ period: '30d', joined: 2, served: 1, no_shows: 1, no_show_rate: 0.5 });
  });
});
