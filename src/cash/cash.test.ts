import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, PIN, testApp, type TestApp } from '../../test/harness.ts';
import { startMailCatcher, type MailCatcher } from '../../test/mail.ts';
import type { TenantRole } from '../identity/permissions.ts';
import type { SeededTenant } from '../platform/demo.ts';

let t: TestApp;
let mail: MailCatcher;
let biz: SeededTenant;
const people = new Map<string, Client>();

beforeAll(async () => {
  mail = await startMailCatcher();
  t = await testApp({ SMTP_URL: mail.url });
  biz = await t.tenant();
});
afterAll(async () => {
  await t.close();
  await mail.close();
});

async function as(role: TenantRole, tenant = biz): Promise<Client> {
  const key = `${tenant.slug}:${role}`;
  if (!people.has(key)) people.set(key, await t.as(tenant, role));
  return people.get(key)!;
}

/** $100 in $20 notes: the float most tests open with. */
const FLOAT = [{ value: 2000, quantity: 5 }];

function expectStatus(r: { statusCode: number; body: string }, status: number) {
  expect(r.statusCode, r.body).toBe(status);
}

async function newRegister(locationId = biz.locationId, tenant = biz): Promise<string> {
  const r = await (await as('owner', tenant)).post('/api/v1/cash/registers', { location_id: locationId, name: `Till ${randomUUID().slice(0, 8)}` });
  expectStatus(r, 201);
  return r.json().id;
}

async function open(by: Client, registerId: string, lines = FLOAT) {
  const r = await by.post(`/api/v1/cash/registers/${registerId}/drawers`, { opening_count: lines });
  expectStatus(r, 201);
  return r.json() as { id: string; totals: Record<string, number | null>; opened_by: { id: string }; business_date: string; blind: boolean };
}

async function move(by: Client, drawerId: string, kind: string, amount: number, extra: Record<string, string> = {}) {
  const r = await by.post(`/api/v1/cash/drawers/${drawerId}/movements`, { kind, amount, ...extra });
  expectStatus(r, 201);
  return r.json();
}

async function count(by: Client, drawerId: string, lines: { value: number; quantity: number }[]) {
  const r = await by.post(`/api/v1/cash/drawers/${drawerId}/count`, { lines });
  expectStatus(r, 201);
  return r.json() as { id: string; status: string; expected: number | null; variance: number | null; outcome: string | null; version: number; attempt: number };
}

/** The business's rules as a body for PUT /cash/settings. */
async function rulesOf(by: Client): Promise<Record<string, unknown>> {
  const current = (await by.get('/api/v1/cash/settings')).json();
  return Object.fromEntries(Object.entries(current).filter(([k]) => !['currency', 'minor_digits', 'customised'].includes(k)));
}

async function setRules(rules: Partial<Record<string, unknown>>, tenant = biz) {
  const owner = await as('owner', tenant);
  const r = await owner.put('/api/v1/cash/settings', { ...(await rulesOf(owner)), ...rules });
  expectStatus(r, 200);
  return r.json();
}

describe('the drawer arithmetic through the API', () => {
  it('expected = float + cash sales + cash in − pay outs − tip outs − drops, and variance = counted − expected', async () => {
    await setRules({ blind_counts: false, approval_required: false, variance_tolerance: 500 });
    const staff = await as('staff');
    const drawer = await open(staff, await newRegister(), [{ value: 2000, quantity: 5 }, { value: 25, quantity: 8 }]);
    expect(drawer.totals.opening_float).toBe(10200);
    await move(staff, drawer.id, 'cash_sale', 48_765, { external_ref: 'pos-batch-1' });
    await move(staff, drawer.id, 'cash_in', 2_000);
    await move(staff, drawer.id, 'pay_out', 1_250, { reason: 'Ice from the corner shop' });
    await move(staff, drawer.id, 'tip_out', 3_000);
    await move(staff, drawer.id, 'drop', 30_000);
    const shown = (await staff.get(`/api/v1/cash/drawers/${drawer.id}`)).json();
    const expected = 10200 + 48765 + 2000 - 1250 - 3000 - 30000;
    expect(shown.totals).toEqual({ opening_float: 10200, cash_sales: 48765, cash_in: 2000, pay_outs: 1250, tip_outs: 3000, drops: 30000, expected });
    // Counted 26,700 against 26,715 expected: 15 cents short, within the 5.00 tolerance.
    const result = await count(staff, drawer.id, [{ value: 2000, quantity: 13 }, { value: 100, quantity: 7 }]);
    expect(result).toMatchObject({ expected, variance: 26_700 - expected, outcome: 'balanced', status: 'accepted', attempt: 1 });
    expect((await staff.get(`/api/v1/cash/drawers/${drawer.id}`)).json().status).toBe('reconciled');
  });

  it('a POS import sent twice records its sales once; the same reference with another amount is refused', async () => {
    const staff = await as('staff');
    const drawer = await open(staff, await newRegister());
    const first = await move(staff, drawer.id, 'cash_sale', 5000, { external_ref: 'z-0042' });
    const again = await move(staff, drawer.id, 'cash_sale', 5000, { external_ref: 'z-0042' });
    expect(again.id).toBe(first.id);
    const clash = await staff.post(`/api/v1/cash/drawers/${drawer.id}/movements`, { kind: 'cash_sale', amount: 5100, external_ref: 'z-0042' });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().errors[0].field).toBe('body.external_ref');
    const [{ n }] = (await t.db.admin(`SELECT count(*)::int AS n FROM cash_movements WHERE drawer_id = $1`, [drawer.id])) as [{ n: number }];
    expect(n).toBe(1);
  });

  it('bad input is a 400 naming the field, and writes nothing', async () => {
    const staff = await as('staff');
    const drawer = await open(staff, await newRegister());
    const cases: [unknown, string][] = [
      [{ kind: 'pay_out', amount: 500 }, 'body.reason'],
      [{ kind: 'cash_in', amount: 12.5 }, 'body.amount'],
      [{ kind: 'cash_in', amount: 0 }, 'body.amount'],
      [{ kind: 'cash_in', amount: '500' }, 'body.amount'],
      [{ kind: 'refund', amount: 500 }, 'body.kind'],
    ];
    for (const [body, field] of cases) {
      const r = await staff.post(`/api/v1/cash/drawers/${drawer.id}/movements`, body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(r.json().errors.map((e: { field: string }) => e.field), JSON.stringify(body)).toContain(field);
    }
    const odd = await staff.post(`/api/v1/cash/drawers/${drawer.id}/count`, { lines: [{ value: 2000, quantity: 1 }, { value: 300, quantity: 2 }] });
    expect(odd.statusCode).toBe(400);
    expect(odd.json().errors[0].field).toBe('body.lines.1.value');
    const twice = await staff.post(`/api/v1/cash/drawers/${drawer.id}/count`, { lines: [{ value: 2000, quantity: 1 }, { value: 2000, quantity: 2 }] });
    expect(twice.statusCode).toBe(400);
    const rows = await t.db.admin(
      `SELECT (SELECT count(*) FROM cash_movements WHERE drawer_id = $1)::int AS movements, (SELECT count(*) FROM cash_counts WHERE drawer_id = $1 AND purpose = 'closing')::int AS counts`,
      [drawer.id],
    );
    expect(rows[0]).toEqual({ movements: 0, counts: 0 });
  });

  it('one drawer per register: a second open is refused, also when two arrive at once', async () => {
    const register = await newRegister();
    const [a, b] = await Promise.all([
      (await as('staff')).post(`/api/v1/cash/registers/${register}/drawers`, { opening_count: FLOAT }),
      (await as('manager')).post(`/api/v1/cash/registers/${register}/drawers`, { opening_count: FLOAT }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([201, 409]);
    expect([a, b].find((r) => r.statusCode === 409)!.json().code).toBe('drawer_already_open');
  });
});

describe('blind counts', () => {
  it('hide the expected amount and the cash sales from the counter, before and after submitting; the manager sees them', async () => {
    await setRules({ blind_counts: true, approval_required: false, variance_tolerance: 500 });
    const staff = await as('staff');
    const manager = await as('manager');
    const drawer = await open(staff, await newRegister());
    expect(drawer.blind).toBe(true);
    expect(drawer.totals.expected).toBeNull();
    await move(staff, drawer.id, 'cash_sale', 7_300);
    await move(staff, drawer.id, 'pay_out', 1_000, { reason: 'Window cleaner' });
    const seen = (await staff.get(`/api/v1/cash/drawers/${drawer.id}`)).json();
    expect(seen.totals.expected).toBeNull();
    expect(seen.totals.cash_sales).toBeNull();
    expect(seen.movements.find((m: { kind: string }) => m.kind === 'cash_sale').amount).toBeNull();
    expect(seen.movements.find((m: { kind: string }) => m.kind === 'pay_out').amount).toBe(1_000);
    expect(JSON.stringify(seen)).not.toContain('16300');

    const managerView = (await manager.get(`/api/v1/cash/drawers/${drawer.id}`)).json();
    expect(managerView.blind).toBe(false);
    expect(managerView.totals.expected).toBe(10_000 + 7_300 - 1_000);

    const result = await count(staff, drawer.id, [{ value: 2000, quantity: 8 }, { value: 100, quantity: 3 }]);
    expect(result).toMatchObject({ expected: null, variance: null, outcome: null, status: 'accepted' });
    const after = (await staff.get(`/api/v1/cash/reconciliations/${result.id}`)).json();
    expect(after.expected).toBeNull();
    expect(after.totals.expected).toBeNull();
    expect((await manager.get(`/api/v1/cash/reconciliations/${result.id}`)).json()).toMatchObject({ expected: 16_300, variance: 0, outcome: 'balanced' });
  });

  it('off, the counter sees what the drawer should hold', async () => {
    await setRules({ blind_counts: false });
    const staff = await as('staff');
    const drawer = await open(staff, await newRegister());
    await move(staff, drawer.id, 'cash_sale', 2_500);
    expect((await staff.get(`/api/v1/cash/drawers/${drawer.id}`)).json().totals.expected).toBe(12_500);
  });
});

describe('approval', () => {
  it('a count short beyond the tolerance waits for a manager, who rejects; the recount is approved; the drawer is reconciled', async () => {
    await setRules({ blind_counts: true, approval_required: false, variance_tolerance: 500 });
    const staff = await as('staff');
    const manager = await as('manager');
    const drawer = await open(staff, await newRegister());
    await move(staff, drawer.id, 'pay_out', 1_500, { reason: 'Dry cleaning' });
    const first = await count(staff, drawer.id, [{ value: 2000, quantity: 3 }, { value: 500, quantity: 3 }]);
    expect(first.status).toBe('pending');

    const pending = (await manager.get('/api/v1/cash/reconciliations/pending')).json().items;
    expect(pending.map((r: { id: string }) => r.id)).toContain(first.id);
    const listed = pending.find((r: { id: string }) => r.id === first.id);
    expect(listed).toMatchObject({ expected: 8_500, counted: 7_500, variance: -1_000, outcome: 'flagged' });

    // Staff can neither see the queue nor decide.
    expect((await staff.get('/api/v1/cash/reconciliations/pending')).statusCode).toBe(403);
    expect((await staff.post(`/api/v1/cash/reconciliations/${first.id}/approve`, { version: first.version })).statusCode).toBe(403);
    // Movements cannot be added to a submitted drawer.
    expect((await staff.post(`/api/v1/cash/drawers/${drawer.id}/movements`, { kind: 'cash_in', amount: 100 })).json().code).toBe('drawer_not_open');

    const noComment = await manager.post(`/api/v1/cash/reconciliations/${first.id}/reject`, { version: first.version });
    expect(noComment.statusCode).toBe(400);
    expect(noComment.json().errors[0].field).toBe('body.comment');
    const rejected = await manager.post(`/api/v1/cash/reconciliations/${first.id}/reject`, { version: first.version, comment: 'Count the fives again' });
    expectStatus(rejected, 200);
    expect(rejected.json()).toMatchObject({ status: 'rejected', decision_comment: 'Count the fives again', drawer_status: 'recount' });
    const stale = await manager.post(`/api/v1/cash/reconciliations/${first.id}/approve`, { version: first.version });
    expect(stale.statusCode).toBe(409);

    const second = await count(staff, drawer.id, [{ value: 2000, quantity: 3 }, { value: 500, quantity: 5 }]);
    expect(second).toMatchObject({ attempt: 2, status: 'pending' });
    const approved = await manager.post(`/api/v1/cash/reconciliations/${second.id}/approve`, { version: second.version, comment: 'Fine' });
    expectStatus(approved, 200);
    expect(approved.json()).toMatchObject({ status: 'approved', drawer_status: 'reconciled', variance: 0 });
    // The detail carries every movement and every count line, the rejected attempt included.
    expect(approved.json().movements).toHaveLength(1);
    expect(approved.json().counts.map((c: { purpose: string; total: number }) => [c.purpose, c.total])).toEqual([
      ['opening', 10_000],
      ['closing', 7_500],
      ['closing', 8_500],
    ]);
    const audit = await t.db.admin(`SELECT action, actor_id FROM audit_log WHERE resource_id = ANY($1) ORDER BY seq`, [[first.id, second.id]]);
    expect(audit.map((a) => a.action)).toEqual(['cash.count.submitted', 'cash.reconciliation.rejected', 'cash.count.submitted', 'cash.reconciliation.approved']);
  });

  it('nobody approves their own count: the API refuses with own_count, and so does the database', async () => {
    const manager = await as('manager');
    const drawer = await open(manager, await newRegister());
    const mine = await count(manager, drawer.id, [{ value: 2000, quantity: 1 }]);
    expect(mine.status).toBe('pending');
    const self = await manager.post(`/api/v1/cash/reconciliations/${mine.id}/approve`, { version: mine.version });
    expect(self.statusCode).toBe(403);
    expect(self.json().code).toBe('own_count');
    expect((await manager.get('/api/v1/cash/reconciliations/pending')).json().items.map((r: { id: string }) => r.id)).not.toContain(mine.id);
    // Even a statement that skips the service cannot record a self-approval.
    await expect(
      t.app.brigade.db.withTenant(biz.id, { type: 'system', id: null, label: 'test' }, 'write', (tx) =>
        tx.query(`UPDATE cash_reconciliations SET status = 'approved', decided_by = submitted_by WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, mine.id]),
      ),
    ).rejects.toThrow(/check constraint/);
    const owner = await as('owner');
    expectStatus(await owner.post(`/api/v1/cash/reconciliations/${mine.id}/approve`, { version: mine.version }), 200);
  });

  it('when approval is required, even a balanced count waits for a manager', async () => {
    await setRules({ approval_required: true });
    try {
      const staff = await as('staff');
      const drawer = await open(staff, await newRegister());
      const r = await count(staff, drawer.id, FLOAT);
      expect(r.status).toBe('pending');
      const detail = (await (await as('manager')).get(`/api/v1/cash/reconciliations/${r.id}`)).json();
      expect(detail).toMatchObject({ outcome: 'balanced', approval_required: true, status: 'pending' });
    } finally {
      await setRules({ approval_required: false });
    }
  });

  it('a location can override the business: its own tolerance decides there', async () => {
    const owner = await as('owner');
    const loc = (await owner.post('/api/v1/locations', { name: `Strict ${randomUUID().slice(0, 6)}`, time_zone: 'Europe/Paris' })).json().id;
    const put = await owner.put(`/api/v1/cash/locations/${loc}/settings`, {
      denominations: null, default_float: null, variance_tolerance: 0, approval_required: null, deadline: null, blind_counts: null,
    });
    expectStatus(put, 200);
    expect(put.json().effective.variance_tolerance).toBe(0);
    const drawer = await open(owner, await newRegister(loc));
    const r = await count(owner, drawer.id, [{ value: 2000, quantity: 5 }, { value: 1, quantity: 1 }]);
    expect(r).toMatchObject({ variance: 1, outcome: 'flagged', status: 'pending' });
  });
});

describe('who sees and does what (seed 000\'s matrix)', () => {
  it('staff see only their own drawers and reconciliations; managers see all of their locations; auditors read and never write', async () => {
    await setRules({ blind_counts: false });
    const staff = await as('staff');
    const manager = await as('manager');
    const auditor = await as('auditor');
    const compliance = await as('compliance_officer');
    const managersDrawer = await open(manager, await newRegister());
    const managersCount = await count(manager, managersDrawer.id, FLOAT);
    const staffDrawer = await open(staff, await newRegister());
    const staffCount = await count(staff, staffDrawer.id, FLOAT);

    // Someone else's drawer is, to staff, a drawer that does not exist.
    expect((await staff.get(`/api/v1/cash/drawers/${managersDrawer.id}`)).statusCode).toBe(404);
    expect((await staff.get(`/api/v1/cash/reconciliations/${managersCount.id}`)).statusCode).toBe(404);
    const staffList = (await staff.get('/api/v1/cash/reconciliations?limit=100')).json().items.map((r: { id: string }) => r.id);
    expect(staffList).toContain(staffCount.id);
    expect(staffList).not.toContain(managersCount.id);
    const staffDrawers = (await staff.get('/api/v1/cash/drawers?limit=100')).json().items;
    expect(staffDrawers.every((d: { opened_by: { id: string } }) => d.opened_by.id === biz.users.staff)).toBe(true);

    const managerList = (await manager.get('/api/v1/cash/reconciliations?limit=100')).json().items.map((r: { id: string }) => r.id);
    expect(managerList).toEqual(expect.arrayContaining([staffCount.id, managersCount.id]));
    expect((await manager.get(`/api/v1/cash/drawers/${staffDrawer.id}`)).statusCode).toBe(200);

    expect((await auditor.get(`/api/v1/cash/reconciliations/${staffCount.id}`)).statusCode).toBe(200);
    expect((await auditor.get('/api/v1/cash/reports/variance')).statusCode).toBe(200);
    expect((await auditor.post(`/api/v1/cash/registers/${await newRegister()}/drawers`, { opening_count: FLOAT })).statusCode).toBe(403);
    expect((await auditor.post(`/api/v1/cash/reconciliations/${staffCount.id}/reject`, { version: 1, comment: 'no' })).statusCode).toBe(403);
    expect((await compliance.get('/api/v1/cash/registers')).statusCode).toBe(403);

    // Owners configure; managers and staff do not.
    const body = await rulesOf(manager);
    expect((await manager.put('/api/v1/cash/settings', body)).statusCode).toBe(403);
    expect((await staff.post('/api/v1/cash/registers', { location_id: biz.locationId, name: 'Mine' })).statusCode).toBe(403);
    expect((await (await as('admin')).put('/api/v1/cash/settings', body)).statusCode).toBe(200);
  });

  it('a manager of another location sees nothing of this one', async () => {
    const owner = await as('owner');
    const other = (await owner.post('/api/v1/locations', { name: `Uptown ${randomUUID().slice(0, 6)}`, time_zone: 'America/Chicago' })).json().id;
    const drawer = await open(owner, await newRegister(other));
    const manager = await as('manager'); // assigned to the seeded location only
    expect((await manager.get(`/api/v1/cash/drawers/${drawer.id}`)).statusCode).toBe(404);
    expect((await manager.get(`/api/v1/cash/registers?location_id=${other}`)).json().items).toEqual([]);
    expect((await manager.get(`/api/v1/cash/locations/${other}/day`)).statusCode).toBe(404);
  });

  it('a drawer opened on the kiosk with a PIN belongs to the person who typed it', async () => {
    const owner = await as('owner');
    const kiosk = (await owner.post('/api/v1/kiosks', { location_id: biz.locationId, name: `Till tablet ${randomUUID().slice(0, 6)}` })).json();
    const tablet = new Client(t.app, `${biz.slug}.localhost`);
    tablet.headers.authorization = `Bearer ${kiosk.device_token}`;
    const signedIn = await tablet.post('/api/v1/auth/pin-sign-in', { user_id: biz.users.staff, pin: PIN });
    expectStatus(signedIn, 200);
    const pin = new Client(t.app, `${biz.slug}.localhost`);
    pin.cookies = new Map(tablet.cookies);
    pin.csrf = signedIn.json().csrf_token;
    const drawer = await open(pin, await newRegister());
    expect(drawer.opened_by.id).toBe(biz.users.staff);
    await move(pin, drawer.id, 'pay_out', 700, { reason: 'Milk' });
    const [row] = await t.db.admin(`SELECT actor_id, action FROM audit_log WHERE resource_id = $1 AND action = 'cash.movement.recorded'`, [drawer.id]);
    expect(row).toEqual({ actor_id: biz.users.staff, action: 'cash.movement.recorded' });
    // A PIN session counts; it never approves, whatever the person's role.
    const ownerPin = await tablet.post('/api/v1/auth/pin-sign-in', { user_id: biz.users.owner, pin: PIN });
    const ownerOnKiosk = new Client(t.app, `${biz.slug}.localhost`);
    ownerOnKiosk.cookies = new Map(tablet.cookies);
    ownerOnKiosk.csrf = ownerPin.json().csrf_token;
    expect((await ownerOnKiosk.get('/api/v1/cash/reconciliations/pending')).statusCode).toBe(403);
  });
});

describe('the day close', () => {
  let loc: string;

  beforeAll(async () => {
    const owner = await as('owner');
    loc = (await owner.post('/api/v1/locations', { name: `Quayside ${randomUUID().slice(0, 6)}`, time_zone: 'Australia/Sydney' })).json().id;
    await owner.put(`/api/v1/cash/locations/${loc}/settings`, {
      denominations: null, default_float: null, variance_tolerance: 500, approval_required: false, deadline: null, blind_counts: false,
    });
  });

  it('waits for every drawer, closes with the next number and a verifiable hash, reopens only by reversal, and closes again', async () => {
    const owner = await as('owner');
    const staff = await as('staff');
    const drawer = await open(owner, await newRegister(loc));
    const today = drawer.business_date;
    await move(owner, drawer.id, 'cash_sale', 12_345);
    const day = (await owner.get(`/api/v1/cash/locations/${loc}/day`)).json();
    expect(day).toMatchObject({ business_date: today, today, closed: false });
    expect(day.blockers).toHaveLength(1);
    expect(day.blockers[0]).toMatch(/has not been counted/);
    const early = await owner.post(`/api/v1/cash/locations/${loc}/day-closes`, { business_date: today });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ code: 'day_not_ready', blockers: day.blockers });

    // 22,145 counted against 22,345 expected: $2.00 short, inside the $5.00 tolerance, so balanced and accepted.
    const r = await count(owner, drawer.id, [{ value: 2000, quantity: 11 }, { value: 100, quantity: 1 }, { value: 25, quantity: 1 }, { value: 10, quantity: 2 }]);
    expect(r).toMatchObject({ status: 'accepted', variance: -200 });
    const closed = await owner.post(`/api/v1/cash/locations/${loc}/day-closes`, { business_date: today });
    expectStatus(closed, 201);
    const close = closed.json();
    expect(close).toMatchObject({ number: 1, kind: 'close', business_date: today, hash_valid: true, reversed_by_id: null });
    expect(close.totals).toEqual({
      drawers: 1, flagged: 0, opening_float: 10_000, cash_sales: 12_345, cash_in: 0, pay_outs: 0, tip_outs: 0, drops: 0, expected: 22_345, counted: 22_145, variance: -200,
    });
    expect(close.registers[0]).toMatchObject({ drawer_id: drawer.id, reconciliation_id: r.id, counted: 22_145, status: 'accepted' });
    expect(close.hash).toMatch(/^[0-9a-f]{64}$/);

    expect((await owner.post(`/api/v1/cash/locations/${loc}/day-closes`, { business_date: today })).json().code).toBe('day_already_closed');
    // A closed day takes no new drawer.
    const late = await owner.post(`/api/v1/cash/registers/${await newRegister(loc)}/drawers`, { opening_count: FLOAT });
    expect(late.json().code).toBe('day_closed');
    // The application cannot rewrite or remove a close, whatever its code does.
    for (const sql of [`UPDATE cash_day_closes SET totals = '{}' WHERE tenant_id = $1 AND id = $2`, `DELETE FROM cash_day_closes WHERE tenant_id = $1 AND id = $2`]) {
      await expect(
        t.app.brigade.db.withTenant(biz.id, { type: 'system', id: null, label: 'test' }, 'write', (tx) => tx.query(sql, [tx.tenantId, close.id])),
      ).rejects.toThrow(/permission denied/);
    }

    // Reopening: a manager with a reason; staff may not.
    expect((await staff.post(`/api/v1/cash/day-closes/${close.id}/reopen`, { reason: 'Mistake' })).statusCode).toBe(403);
    const noReason = await owner.post(`/api/v1/cash/day-closes/${close.id}/reopen`, {});
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().errors[0].field).toBe('body.reason');
    const reopened = await owner.post(`/api/v1/cash/day-closes/${close.id}/reopen`, { reason: 'A pay out receipt turned up' });
    expectStatus(reopened, 201);
    const reversal = reopened.json();
    expect(reversal).toMatchObject({ kind: 'reversal', number: 2, reverses_id: close.id, reason: 'A pay out receipt turned up', previous_hash: close.hash, hash_valid: true });
    expect(reversal.totals).toMatchObject({ drawers: -1, expected: -22_345, counted: -22_145, variance: 200 });
    // The original is exactly as it was, now marked as reversed.
    const original = (await owner.get(`/api/v1/cash/day-closes/${close.id}`)).json();
    expect(original).toEqual({ ...close, reversed_by_id: reversal.id });
    const [audit] = await t.db.admin(`SELECT risk, changes FROM audit_log WHERE action = 'cash.day.reopened' AND resource_id = $1`, [close.id]);
    expect(audit).toMatchObject({ risk: 'high', changes: { reason: 'A pay out receipt turned up', reversal_id: reversal.id } });
    expect((await owner.post(`/api/v1/cash/day-closes/${close.id}/reopen`, { reason: 'Again' })).json().code).toBe('already_reopened');
    expect((await owner.get(`/api/v1/cash/locations/${loc}/day?date=${today}`)).json()).toMatchObject({ closed: false, blockers: [] });

    // With the day open again a manager may send an accepted count back; after the recount the day closes as number 3.
    const back = await (await as('admin')).post(`/api/v1/cash/reconciliations/${r.id}/reject`, { version: r.version, comment: 'Recount with the receipt' });
    expectStatus(back, 200);
    await move(owner, drawer.id, 'pay_out', 200, { reason: 'Receipt found: parking' });
    const recount = await count(owner, drawer.id, [{ value: 2000, quantity: 11 }, { value: 100, quantity: 1 }, { value: 25, quantity: 1 }, { value: 10, quantity: 2 }]);
    // A recount goes back to a manager even when it balances: one asked for it.
    expect(recount).toMatchObject({ attempt: 2, variance: 0, status: 'pending', approval_required: true });
    expectStatus(await (await as('admin')).post(`/api/v1/cash/reconciliations/${recount.id}/approve`, { version: recount.version }), 200);
    const again = (await owner.post(`/api/v1/cash/locations/${loc}/day-closes`, { business_date: today })).json();
    expect(again).toMatchObject({ number: 3, kind: 'close', previous_hash: reversal.hash, hash_valid: true });
    expect(again.totals).toMatchObject({ pay_outs: 200, variance: 0 });
    const listed = (await owner.get(`/api/v1/cash/day-closes?location_id=${loc}`)).json().items.map((c: { number: number }) => c.number);
    expect(listed).toEqual([3, 2, 1]);
  });

  it('a close altered behind the application\'s back no longer verifies', async () => {
    const owner = await as('owner');
    const fresh = (await owner.post('/api/v1/locations', { name: `Tamper ${randomUUID().slice(0, 6)}`, time_zone: 'UTC' })).json().id;
    const close = (await owner.post(`/api/v1/cash/locations/${fresh}/day-closes`, { business_date: '2026-03-01' })).json();
    expect(close.hash_valid).toBe(true);
    await t.db.admin(`UPDATE cash_day_closes SET totals = jsonb_set(totals, '{counted}', '100000') WHERE id = $1`, [close.id], 'superuser');
    expect((await owner.get(`/api/v1/cash/day-closes/${close.id}`)).json().hash_valid).toBe(false);
  });

  it('a day that has not begun cannot be closed', async () => {
    const r = await (await as('owner')).post(`/api/v1/cash/locations/${loc}/day-closes`, { business_date: '2999-01-01' });
    expect(r.statusCode).toBe(400);
    expect(r.json().errors[0].field).toBe('body.business_date');
  });
});

describe('reports', () => {
  it('show a shortfall by register and by person, count the flagged day, and export it as CSV for the accountant', async () => {
    const owner = await as('owner');
    const staff = await as('staff');
    const loc = (await owner.post('/api/v1/locations', { name: `Reports ${randomUUID().slice(0, 6)}`, time_zone: 'UTC' })).json().id;
    const register = (await owner.post('/api/v1/cash/registers', { location_id: loc, name: '=HYPERLINK("http://evil")' })).json().id;
    const drawer = await open(owner, register);
    await move(owner, drawer.id, 'cash_sale', 4_040);
    const short = await count(owner, drawer.id, FLOAT); // $40.40 short
    expect(short).toMatchObject({ variance: -4_040, outcome: 'flagged' });

    const byRegister = (await owner.get(`/api/v1/cash/reports/variance?location_id=${loc}&days=7&by=register`)).json();
    expect(byRegister.rows).toEqual([{ id: register, name: '=HYPERLINK("http://evil")', reconciliations: 1, flagged: 1, variance: -4_040, shortfall: -4_040, overage: 0 }]);
    expect(byRegister.flagged_days).toBe(1);
    expect(byRegister.daily).toEqual([{ date: drawer.business_date, variance: -4_040, flagged: 1, reconciliations: 1 }]);
    expect(byRegister.largest_shortfalls[0]).toMatchObject({ reconciliation_id: short.id, variance: -4_040, counted_by: expect.stringContaining('Owner') });
    const byPerson = (await owner.get(`/api/v1/cash/reports/variance?location_id=${loc}&by=person`)).json();
    expect(byPerson.rows).toEqual([expect.objectContaining({ id: biz.users.owner, variance: -4_040 })]);
    expect((await staff.get('/api/v1/cash/reports/variance')).statusCode).toBe(403);

    const csv = await owner.get(`/api/v1/cash/reports/reconciliations.csv?location_id=${loc}&from=${drawer.business_date}&to=${drawer.business_date}`);
    expectStatus(csv, 200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toContain(`reconciliations-${drawer.business_date}-to-${drawer.business_date}.csv`);
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('business_date,location,register,drawer_id,reconciliation_id,attempt,opened_by,counted_by,submitted_at,currency,opening_float,cash_sales,cash_in,pay_outs,tip_outs,drops,expected,counted,variance,outcome,status,decided_by,decision_comment');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(',USD,100.00,40.40,0.00,0.00,0.00,0.00,140.40,100.00,-40.40,flagged,pending,');
    // A register named like a formula reaches the spreadsheet as text.
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil"")"`);
    const bad = await owner.get('/api/v1/cash/reports/reconciliations.csv?from=2026-02-01&to=2026-01-01');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('querystring.to');
  });
});

describe('the deadline reminder', () => {
  /** A time zone where it is now between 07:00 and 21:59, so "a minute ago" and "in two hours" fall on today's date there. */
  function daytimeZone(): { zone: string; hour: number; minute: number } {
    for (const zone of ['Europe/London', 'America/New_York', 'Pacific/Honolulu', 'Asia/Tokyo', 'Pacific/Kiritimati', 'Asia/Kolkata', 'America/Los_Angeles']) {
      const [hour, minute] = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date()).split(':').map(Number) as [number, number];
      if (hour >= 7 && hour <= 21) return { zone, hour, minute };
    }
    throw new Error('no listed time zone is in daytime now');
  }
  const hhmm = (h: number, m: number) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;

  it('a drawer not counted by the deadline reminds the location\'s managers by email and in the app, once', async () => {
    const cafe = await t.tenant();
    const { zone, hour, minute } = daytimeZone();
    const owner = await as('owner', cafe);
    const location = (await owner.get(`/api/v1/locations/${cafe.locationId}`)).json();
    expectStatus(await owner.patch(`/api/v1/locations/${cafe.locationId}`, { version: location.version, time_zone: zone }), 200);
    const passed = minute === 0 ? hhmm(hour - 1, 59) : hhmm(hour, minute - 1);
    expectStatus(
      await owner.put(`/api/v1/cash/locations/${cafe.locationId}/settings`, {
        denominations: null, default_float: null, variance_tolerance: null, approval_required: null, deadline: passed, blind_counts: null,
      }),
      200,
    );
    const staff = await as('staff', cafe);
    const registers = (await staff.get('/api/v1/cash/registers')).json().items;
    const main = registers.find((r: { name: string }) => r.name === 'Main register');
    await open(staff, main.id);
    await t.app.brigade.jobs.drain();

    const managerEmail = `manager@${cafe.slug}.brigade.test`;
    const reminder = await mail.next((m) => m.to.includes(managerEmail));
    expect(reminder.subject).toBe('Cash not counted at Main Street');
    expect(reminder.text).toContain('Main register (opened by Staff');
    expect(reminder.text).toContain(`http://${cafe.slug}.localhost:3000/cash/day?date=`);
    const inbox = (await (await as('manager', cafe)).get('/api/v1/notifications')).json();
    expect(inbox.unread).toBe(1);
    expect(inbox.items[0]).toMatchObject({ kind: 'cash.deadline', title: 'Cash not counted at Main Street', read_at: null });
    // The location has its own managers, so the owner's inbox stays quiet; staff get nothing either.
    expect((await owner.get('/api/v1/notifications')).json().unread).toBe(0);
    expect((await staff.get('/api/v1/notifications')).json().unread).toBe(0);
    const read = await (await as('manager', cafe)).post('/api/v1/notifications/read', { ids: [inbox.items[0].id] });
    expect(read.json()).toEqual({ unread: 0 });

    // Running the queue again sends nothing more.
    const sent = mail.messages.filter((m) => m.to.includes(managerEmail)).length;
    await t.app.brigade.jobs.drain();
    expect(mail.messages.filter((m) => m.to.includes(managerEmail)).length).toBe(sent);
    // The location manager, the location's other approver, was reminded too, also once.
    await mail.next((m) => m.to.includes(`location_manager@${cafe.slug}.brigade.test`));
    const rows = await t.db.admin(`SELECT user_id FROM notifications WHERE tenant_id = $1 ORDER BY user_id`, [cafe.id]);
    expect(rows.map((r) => r.user_id)).toEqual([cafe.users.location_manager, cafe.users.manager].sort());
  });

  it('a deadline moved earlier reminds at the new time, not at the old one', async () => {
    const pub = await t.tenant();
    const { zone, hour, minute } = daytimeZone();
    const owner = await as('owner', pub);
    const location = (await owner.get(`/api/v1/locations/${pub.locationId}`)).json();
    await owner.patch(`/api/v1/locations/${pub.locationId}`, { version: location.version, time_zone: zone });
    const rules = (deadline: string) => ({ denominations: null, default_float: null, variance_tolerance: null, approval_required: null, deadline, blind_counts: null });
    expectStatus(await owner.put(`/api/v1/cash/locations/${pub.locationId}/settings`, rules(hhmm(hour + 2, minute))), 200);
    const staff = await as('staff', pub);
    await open(staff, (await staff.get('/api/v1/cash/registers')).json().items[0].id);
    await t.app.brigade.jobs.drain();
    expect(mail.messages.some((m) => m.to.includes(`manager@${pub.slug}.brigade.test`))).toBe(false);

    const passed = minute === 0 ? hhmm(hour - 1, 59) : hhmm(hour, minute - 1);
    expectStatus(await owner.put(`/api/v1/cash/locations/${pub.locationId}/settings`, rules(passed)), 200);
    await t.app.brigade.jobs.drain();
    const reminder = await mail.next((m) => m.to.includes(`manager@${pub.slug}.brigade.test`));
    expect(reminder.subject).toBe('Cash not counted at Main Street');
    // The job queued for the old, later deadline is still waiting; when it comes it finds the day reminded.
    await t.db.admin(`UPDATE jobs SET run_at = now() WHERE tenant_id = $1 AND kind = 'cash.deadline' AND status = 'pending'`, [pub.id], 'superuser');
    await t.db.admin(`UPDATE cash_location_settings SET deadline = $2 WHERE tenant_id = $1`, [pub.id, passed], 'superuser');
    await t.app.brigade.jobs.drain();
    const [{ n }] = (await t.db.admin(`SELECT count(*)::int AS n FROM notifications WHERE tenant_id = $1 AND user_id = $2`, [pub.id, pub.users.manager])) as [{ n: number }];
    expect(n).toBe(1);
  });

  it('waits for the deadline as a durable job, and reminds nobody when every drawer was counted in time', async () => {
    const bar = await t.tenant();
    const { zone, hour, minute } = daytimeZone();
    const owner = await as('owner', bar);
    const location = (await owner.get(`/api/v1/locations/${bar.locationId}`)).json();
    await owner.patch(`/api/v1/locations/${bar.locationId}`, { version: location.version, time_zone: zone });
    const later = hhmm(hour + 2, minute);
    await owner.put(`/api/v1/cash/locations/${bar.locationId}/settings`, {
      denominations: null, default_float: null, variance_tolerance: null, approval_required: null, deadline: later, blind_counts: null,
    });
    const staff = await as('staff', bar);
    const main = (await staff.get('/api/v1/cash/registers')).json().items[0];
    const drawer = await open(staff, main.id);
    await t.app.brigade.jobs.drain();
    const [job] = await t.db.admin(`SELECT status, run_at, payload FROM jobs WHERE tenant_id = $1 AND kind = 'cash.deadline'`, [bar.id]);
    expect(job).toMatchObject({ status: 'pending', payload: { location_id: bar.locationId, business_date: drawer.business_date } });
    const wait = (job!.run_at as Date).getTime() - Date.now();
    expect(wait).toBeGreaterThan(115 * 60_000);
    expect(wait).toBeLessThan(121 * 60_000);

    // The drawer is counted; then the deadline comes (the job is made due, as the clock would).
    await count(staff, drawer.id, FLOAT);
    await t.db.admin(`UPDATE cash_location_settings SET deadline = $2 WHERE tenant_id = $1`, [bar.id, hhmm(hour, minute)], 'superuser');
    await t.db.admin(`UPDATE jobs SET run_at = now() WHERE tenant_id = $1 AND kind = 'cash.deadline'`, [bar.id], 'superuser');
    await t.app.brigade.jobs.drain();
    const [done] = await t.db.admin(`SELECT status FROM jobs WHERE tenant_id = $1 AND kind = 'cash.deadline'`, [bar.id]);
    expect(done!.status).toBe('done');
    const [{ n }] = (await t.db.admin(`SELECT count(*)::int AS n FROM notifications WHERE tenant_id = $1`, [bar.id])) as [{ n: number }];
    expect(n).toBe(0);
  });
});
