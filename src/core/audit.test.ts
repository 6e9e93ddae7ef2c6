import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type Client, type TestApp } from '../../test/harness.ts';
import type { SeededTenant } from '../platform/demo.ts';
import { writeAudit } from './audit.ts';
import { createDatabase } from './db/tx.ts';

let t: TestApp;
let bistro: SeededTenant;
let owner: Client;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface AuditItem {
  seq: number;
  action: string;
  actor_id: string | null;
  actor_label: string;
  resource_type: string;
  resource_id: string | null;
  risk: string;
  at: string;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  changes: Record<string, unknown> | null;
}

beforeAll(async () => {
  t = await testApp();
  bistro = await t.tenant();
  owner = await t.as(bistro, 'owner');
});
afterAll(() => t.close());

/** The tenant's sequence numbers straight from the table (superuser, no RLS), in order. */
async function seqs(tenantId: string): Promise<number[]> {
  const rows = await t.db.admin(`SELECT seq FROM audit_log WHERE tenant_id = $1 ORDER BY seq`, [tenantId]);
  return rows.map((r) => Number(r.seq));
}

async function auditCount(tenantId: string): Promise<number> {
  return (await seqs(tenantId)).length;
}

/**
 * Runs one statement as the tables' owner, the way someone with the migration credentials would tamper with the
 * trail. Forced row-level security applies to the owner too, so the tenant is bound in the same transaction; the
 * last statement must touch a row, or the tamper did not happen and the test would prove nothing.
 */
async function tamperAsOwner(tenantId: string, statement: string): Promise<void> {
  expect(tenantId).toMatch(UUID);
  await t.db.admin(
    `DO $$ BEGIN
       PERFORM set_config('app.tenant_id', '${tenantId}', true);
       ${statement};
       IF NOT FOUND THEN RAISE EXCEPTION 'tamper touched no row'; END IF;
     END $$`,
    [],
    'owner',
  );
}

/** A business with a few days of activity: openings, renames, sign-ins. Returns its owner's client. */
async function busyTenant(): Promise<{ tenant: SeededTenant; owner: Client; n: number }> {
  const tenant = await t.tenant();
  const o = await t.as(tenant, 'owner');
  for (const name of ['Dockside', 'Old Town', 'Riverside']) {
    const loc = (await o.post('/api/v1/locations', { name, time_zone: 'Europe/Lisbon' })).json();
    expect((await o.patch(`/api/v1/locations/${loc.id}`, { version: 1, address: `1 ${name} Road` })).statusCode).toBe(200);
  }
  const n = await auditCount(tenant.id);
  expect(n).toBeGreaterThanOrEqual(8);
  return { tenant, owner: o, n };
}

describe('audit trail: tamper evidence', () => {
  it('the chain of a busy day verifies, with every record numbered 1..n and nothing skipped', async () => {
    const { tenant, owner: o, n } = await busyTenant();
    const v = await o.get('/api/v1/audit/verify');
    expect(v.statusCode).toBe(200);
    expect(v.json()).toEqual({ ok: true, checked: n, first_broken_seq: null, reason: null });
    expect(await seqs(tenant.id)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  });

  it('an owner who edits a record directly in the database is caught, and verify names that record', async () => {
    const { tenant, owner: o } = await busyTenant();
    await tamperAsOwner(tenant.id, `UPDATE audit_log SET action = 'location.viewed' WHERE tenant_id = '${tenant.id}' AND seq = 4`);
    const [row] = await t.db.admin(`SELECT action FROM audit_log WHERE tenant_id = $1 AND seq = 4`, [tenant.id]);
    expect(row!.action).toBe('location.viewed');
    const v = (await o.get('/api/v1/audit/verify')).json();
    expect(v).toMatchObject({ ok: false, first_broken_seq: 4, reason: 'record_altered' });
  });

  it('an edit whose row hash is recomputed still breaks the link to the next record', async () => {
    const { tenant, owner: o } = await busyTenant();
    await tamperAsOwner(
      tenant.id,
      `UPDATE audit_log SET risk = 'low' WHERE tenant_id = '${tenant.id}' AND seq = 5 AND risk = 'medium';
       UPDATE audit_log SET hash = audit_row_hash(audit_log) WHERE tenant_id = '${tenant.id}' AND seq = 5`,
    );
    // The forged row now agrees with itself, so only the next record's link can tell.
    const [row] = await t.db.admin(`SELECT hash = audit_row_hash(a) AS self_consistent FROM audit_log a WHERE tenant_id = $1 AND seq = 5`, [tenant.id]);
    expect(row!.self_consistent).toBe(true);
    const v = (await o.get('/api/v1/audit/verify')).json();
    expect(v).toMatchObject({ ok: false, first_broken_seq: 6, reason: 'link_broken' });
  });

  it('the first record cannot be given a made-up beginning of the chain', async () => {
    const { tenant, owner: o } = await busyTenant();
    await tamperAsOwner(
      tenant.id,
      `UPDATE audit_log SET prev_hash = sha256('another story'::bytea) WHERE tenant_id = '${tenant.id}' AND seq = 1;
       UPDATE audit_log SET hash = audit_row_hash(audit_log) WHERE tenant_id = '${tenant.id}' AND seq = 1`,
    );
    const v = (await o.get('/api/v1/audit/verify')).json();
    expect(v).toMatchObject({ ok: false, first_broken_seq: 1, reason: 'link_broken' });
  });

  it('a record removed from the middle of the trail is reported missing at its place', async () => {
    const { tenant, owner: o, n } = await busyTenant();
    await tamperAsOwner(tenant.id, `DELETE FROM audit_log WHERE tenant_id = '${tenant.id}' AND seq = 3`);
    const v = (await o.get('/api/v1/audit/verify')).json();
    expect(v).toMatchObject({ ok: false, checked: n - 1, first_broken_seq: 3, reason: 'record_missing' });
  });

  it('the newest records removed from the end of the trail are detected against the chain head', async () => {
    const { tenant, owner: o, n } = await busyTenant();
    // Reading the trail is not a change, so the tail stays where it is.
    await tamperAsOwner(tenant.id, `DELETE FROM audit_log WHERE tenant_id = '${tenant.id}' AND seq >= ${n - 1}`);
    const v = (await o.get('/api/v1/audit/verify')).json();
    expect(v).toMatchObject({ ok: false, checked: n - 2, first_broken_seq: n - 1, reason: 'record_missing' });
  });

  it('the application itself can neither change nor remove an audit record, nor move the chain head', async () => {
    const before = await seqs(bistro.id);
    expect(before.length).toBeGreaterThan(0);
    const actor = { type: 'system' as const, id: null, label: 'attacker' };
    const attempts = [
      `UPDATE audit_log SET action = 'nothing.happened' WHERE tenant_id = '${bistro.id}'`,
      `DELETE FROM audit_log WHERE tenant_id = '${bistro.id}'`,
      `UPDATE audit_heads SET seq = 0 WHERE tenant_id = '${bistro.id}'`,
      `DELETE FROM audit_heads WHERE tenant_id = '${bistro.id}'`,
    ];
    for (const sql of attempts) {
      const err = await t.app.brigade.db
        .withTenant(bistro.id, actor, 'write', (tx) => tx.query(sql))
        .then(() => null, (e: unknown) => e as { code?: string; message?: string });
      expect(err, sql).not.toBeNull();
      expect(err!.code, sql).toBe('42501');
      expect(err!.message).toMatch(/permission denied/);
    }
    expect(await seqs(bistro.id)).toEqual(before);
    expect((await owner.get('/api/v1/audit/verify')).json().ok).toBe(true);
  });

  it("a business's own transaction can neither forge nor read the platform's audit log", async () => {
    const actor = { type: 'system' as const, id: null, label: 'attacker' };
    const before = await t.db.admin('SELECT count(*)::int AS n FROM platform_audit_log');
    const attempts = [
      `INSERT INTO platform_audit_log (id, actor_label, action, resource_type, risk)
         VALUES ('01938f5e-0000-7000-8000-000000000002', 'platform admin', 'tenant.suspended', 'tenant', 'high')`,
      `SELECT actor_label, target_tenant_id, changes FROM platform_audit_log`,
      `UPDATE platform_audit_log SET risk = 'low'`,
    ];
    for (const sql of attempts) {
      const err = await t.app.brigade.db
        .withTenant(bistro.id, actor, 'write', (tx) => tx.query(sql))
        .then(() => null, (e: unknown) => e as { code?: string });
      expect(err?.code, sql).toBe('42501');
    }
    expect(await t.db.admin('SELECT count(*)::int AS n FROM platform_audit_log')).toEqual(before);
  });

  it('a record inserted with a forged number and hash is renumbered and re-hashed by the chain', async () => {
    const tenant = await t.tenant();
    const n = await auditCount(tenant.id);
    await t.app.brigade.db.withTenant(tenant.id, { type: 'system', id: null, label: 'forger' }, 'write', (tx) =>
      tx.query(
        `INSERT INTO audit_log (tenant_id, seq, id, actor_type, actor_label, action, resource_type, risk, prev_hash, hash)
         VALUES ($1, 9999, '01938f5e-0000-7000-8000-000000000001', 'system', 'forger', 'forged.entry', 'nothing', 'low', '\\x00', '\\x00')`,
        [tenant.id],
      ),
    );
    expect(await seqs(tenant.id)).toEqual(Array.from({ length: n + 1 }, (_, i) => i + 1));
    const o = await t.as(tenant, 'owner');
    expect((await o.get('/api/v1/audit/verify')).json()).toMatchObject({ ok: true, first_broken_seq: null });
  });

  it('thirty locations opened at once by the lunch rush of requests keep one unbroken chain', async () => {
    const tenant = await t.tenant();
    const o = await t.as(tenant, 'owner');
    const before = await auditCount(tenant.id);
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => o.post('/api/v1/locations', { name: `Pop-up ${i}`, time_zone: 'UTC' })),
    );
    expect(replies.map((r) => r.statusCode)).toEqual(Array(30).fill(201));
    const all = await seqs(tenant.id);
    // 30 new records plus the owner's own sign-in, numbered without gaps or duplicates.
    expect(all.length).toBe(before + 30);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    const v = (await o.get('/api/v1/audit/verify')).json();
    expect(v).toEqual({ ok: true, checked: all.length, first_broken_seq: null, reason: null });
    const created = (await o.get('/api/v1/audit?action=location.created&limit=100')).json().items as AuditItem[];
    expect(new Set(created.map((e) => e.resource_id))).toEqual(new Set(replies.map((r) => r.json().id)));
  });

  it("a business's first records, written at once before it has a chain head, start one chain numbered from 1", async () => {
    const tenant = await t.tenant();
    // As if the business had never been audited: no records and no chain head (a superuser's delete, no RLS).
    await t.db.admin(`DELETE FROM audit_log WHERE tenant_id = $1`, [tenant.id], 'superuser');
    await t.db.admin(`DELETE FROM audit_heads WHERE tenant_id = $1`, [tenant.id], 'superuser');
    const db = createDatabase(t.db.driver);
    const actor = { type: 'system' as const, id: null, label: 'test' };
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        db.withTenant(tenant.id, actor, 'write', (tx) =>
          writeAudit(tx, { ip: null, userAgent: null, requestId: null }, { action: 'test.first', resourceType: 'test', resourceId: String(i) }),
        ),
      ),
    );
    expect(await seqs(tenant.id)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const [head] = await t.db.admin(`SELECT seq FROM audit_heads WHERE tenant_id = $1`, [tenant.id], 'superuser');
    expect(Number(head!.seq)).toBe(12);
    const o = await t.as(tenant, 'owner');
    expect((await o.get('/api/v1/audit/verify')).json()).toEqual({ ok: true, checked: 13, first_broken_seq: null, reason: null });
  });
});

describe('audit trail: what a record says and how to find it', () => {
  it('a change records the person, their address, browser, request id and the changed fields', async () => {
    const admin = await t.as(bistro, 'admin');
    const loc = (await admin.post('/api/v1/locations', { name: 'Fish Market', time_zone: 'UTC' })).json();
    const r = await admin.patch(
      `/api/v1/locations/${loc.id}`,
      { version: 1, name: 'Fish Market Hall' },
      { 'x-request-id': 'till-req-000042', 'user-agent': 'BrigadeTill/2.1 (iPad)' },
    );
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-request-id']).toBe('till-req-000042');
    const [entry] = (await owner.get(`/api/v1/audit?action=location.updated&resource_type=location&resource_id=${loc.id}`)).json()
      .items as AuditItem[];
    expect(entry).toMatchObject({
      action: 'location.updated',
      actor_id: bistro.users.admin,
      actor_label: `admin@${bistro.slug}.brigade.test`,
      resource_type: 'location',
      resource_id: loc.id,
      risk: 'medium',
      ip: '127.0.0.1',
      user_agent: 'BrigadeTill/2.1 (iPad)',
      request_id: 'till-req-000042',
      changes: { name: ['Fish Market', 'Fish Market Hall'] },
    });
  });

  it('a refused change (stale version, invalid body, missing permission) leaves no audit record', async () => {
    const admin = await t.as(bistro, 'admin');
    const staff = await t.as(bistro, 'staff');
    const loc = (await admin.post('/api/v1/locations', { name: 'Night Kitchen', time_zone: 'UTC' })).json();
    expect((await admin.patch(`/api/v1/locations/${loc.id}`, { version: 1, name: 'Late Kitchen' })).statusCode).toBe(200);
    const before = await seqs(bistro.id);
    const stale = await admin.patch(`/api/v1/locations/${loc.id}`, { version: 1, name: 'Lost Update' });
    expect(stale.statusCode).toBe(409);
    const invalid = await admin.patch(`/api/v1/locations/${loc.id}`, { version: 2, name: '' });
    expect(invalid.statusCode).toBe(400);
    const forbidden = await staff.post('/api/v1/locations', { name: 'Staff Pop-up', time_zone: 'UTC' });
    expect(forbidden.statusCode).toBe(403);
    expect(await seqs(bistro.id)).toEqual(before);
  });

  it('the audit trail filters by actor, action, resource, risk and time, newest first', async () => {
    const tenant = await t.tenant();
    const o = await t.as(tenant, 'owner');
    const admin = await t.as(tenant, 'admin');
    const a = (await admin.post('/api/v1/locations', { name: 'Filter A', time_zone: 'UTC' })).json();
    const b = (await o.post('/api/v1/locations', { name: 'Filter B', time_zone: 'UTC' })).json();
    await admin.patch(`/api/v1/locations/${a.id}`, { version: 1, name: 'Filter A2' });
    const all = (await o.get('/api/v1/audit?limit=100')).json().items as AuditItem[];
    const list = async (q: string) => {
      const r = await o.get(`/api/v1/audit?limit=100&${q}`);
      expect(r.statusCode, q).toBe(200);
      return r.json().items as AuditItem[];
    };
    const seqOf = (items: AuditItem[]) => items.map((e) => e.seq);
    // newest first
    expect(seqOf(all)).toEqual([...seqOf(all)].sort((x, y) => y - x));

    const byAdminId = await list(`actor=${tenant.users.admin}`);
    expect(byAdminId.length).toBeGreaterThanOrEqual(3);
    expect(byAdminId.every((e) => e.actor_id === tenant.users.admin)).toBe(true);
    expect(seqOf(await list(`actor=${encodeURIComponent(`admin@${tenant.slug}.brigade.test`)}`))).toEqual(seqOf(byAdminId));
    // A filter word is matched literally: % and _ are not wildcards that widen it to everyone.
    expect(await list('actor=%25')).toEqual([]);
    expect(await list(`actor=${encodeURIComponent(`admin_${tenant.slug}`)}`)).toEqual([]);
    expect(await list('action=%25')).toEqual([]);

    const created = await list('action=location.created');
    expect(created.map((e) => e.resource_id)).toEqual([b.id, a.id]);
    // An action prefix finds the whole family.
    expect(seqOf(await list('action=location'))).toEqual(seqOf(all.filter((e) => e.action.startsWith('location.'))));

    const aTrail = await list(`resource_type=location&resource_id=${a.id}`);
    expect(aTrail.map((e) => e.action)).toEqual(['location.updated', 'location.created']);

    const medium = await list('risk=medium');
    expect(seqOf(medium)).toEqual(seqOf(all.filter((e) => e.risk === 'medium')));
    expect(medium.length).toBeGreaterThanOrEqual(3);
    expect(await list('risk=critical')).toEqual([]);

    // Times on the wire are whole milliseconds, and `from`/`to` are whole milliseconds too, so which records fall on
    // each side of a boundary can be worked out exactly from the listed times.
    const boundary = created[1]!.at;
    const ms = (e: AuditItem) => Date.parse(e.at);
    const since = await list(`from=${encodeURIComponent(boundary)}`);
    expect(seqOf(since)).toEqual(seqOf(all.filter((e) => ms(e) >= Date.parse(boundary))));
    expect(since.map((e) => e.action).slice(0, 3)).toEqual(['location.updated', 'location.created', 'location.created']);
    expect(since.some((e) => e.action === 'tenant.seeded')).toBe(false);
    const until = await list(`to=${encodeURIComponent(boundary)}`);
    expect(seqOf(until)).toEqual(seqOf(all.filter((e) => ms(e) < Date.parse(boundary))));
    expect(until.some((e) => e.action === 'tenant.seeded')).toBe(true);
    expect(until.some((e) => e.action.startsWith('location.'))).toBe(false);
    expect(await list(`from=${encodeURIComponent(boundary)}&to=${encodeURIComponent(boundary)}`)).toEqual([]);
  });

  it('paging through the trail with a cursor visits every record once, with no gaps', async () => {
    const tenant = await t.tenant();
    const o = await t.as(tenant, 'owner');
    for (let i = 0; i < 12; i++) await o.post('/api/v1/locations', { name: `Page ${i}`, time_zone: 'UTC' });
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await o.get(`/api/v1/audit?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.statusCode).toBe(200);
      const items = r.json().items as AuditItem[];
      expect(items.length).toBeLessThanOrEqual(5);
      seen.push(...items.map((e) => e.seq));
      cursor = r.json().next_cursor;
      pages++;
    } while (cursor && pages < 50);
    expect(cursor).toBeNull();
    const n = await auditCount(tenant.id);
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => n - i));
    expect(pages).toBe(Math.ceil(n / 5));
    // A page larger than the maximum is refused rather than served.
    const huge = await o.get('/api/v1/audit?limit=100000');
    expect(huge.statusCode).toBe(400);
    expect(huge.json().errors[0].field).toBe('querystring.limit');
  });

  it('staff cannot read the trail; an auditor can, and sees only their own business', async () => {
    const staff = await t.as(bistro, 'staff');
    expect((await staff.get('/api/v1/audit')).statusCode).toBe(403);
    expect((await staff.get('/api/v1/audit/verify')).statusCode).toBe(403);
    const auditor = await t.as(bistro, 'auditor');
    const items = (await auditor.get('/api/v1/audit?limit=100')).json().items as AuditItem[];
    expect(items.length).toBeGreaterThan(0);
    const other = await t.tenant();
    await (await t.as(other, 'owner')).post('/api/v1/locations', { name: 'Elsewhere Inn', time_zone: 'UTC' });
    const again = (await auditor.get(`/api/v1/audit?limit=100&action=location.created`)).json().items as AuditItem[];
    expect(again.some((e) => e.actor_label.endsWith(`@${other.slug}.brigade.test`))).toBe(false);
  });
});
