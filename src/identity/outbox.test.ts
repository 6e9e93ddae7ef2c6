import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testApp, type TestApp } from '../../test/harness.ts';
import type { SeededTenant } from '../platform/demo.ts';

// No SMTP_URL: mail is kept in the outbox instead of sent.
let t: TestApp;
let bistro: SeededTenant;

beforeAll(async () => {
  t = await testApp();
  bistro = await t.tenant();
});
afterAll(() => t.close());

describe('mail without an SMTP server', () => {
  it('is kept in the outbox, where the platform admin reads it and a tenant owner cannot', async () => {
    const owner = await t.as(bistro, 'owner');
    const email = 'kept.invitee@example.com';
    expect((await owner.post('/api/v1/invitations', { email, role: 'auditor' })).statusCode).toBe(201);
    const reset = await t.anonymous(bistro).post('/api/v1/auth/password-reset', { email: `staff@${bistro.slug}.brigade.test` });
    expect(reset.statusCode).toBe(202);
    const logged = vi.spyOn(t.app.log, 'info');
    expect(await t.app.brigade.jobs.drain()).toBeGreaterThanOrEqual(3);
    // Written to the log as well, for whoever runs the server without SMTP.
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ to: email, subject: `You are invited to ${bistro.name} on Brigade` }), expect.stringContaining('kept in outbox'));
    logged.mockRestore();

    const admin = await t.platformAdmin();
    const r = await admin.get(`/api/v1/platform/outbox?to=${encodeURIComponent(email)}`);
    expect(r.statusCode).toBe(200);
    expect(r.json().items).toHaveLength(1);
    const kept = r.json().items[0];
    expect(kept).toMatchObject({ tenant_id: bistro.id, to_address: email, status: 'kept', sent_at: null, subject: `You are invited to ${bistro.name} on Brigade` });
    // The kept mail is the only way to deliver it, so its link works.
    const token = /\/invite#(bi_\S+)/.exec(kept.body)![1]!;
    const accepted = await t.anonymous(bistro).post('/api/v1/auth/accept-invitation', { token, name: 'Kept Invitee', password: 'kept mail still works' });
    expect(accepted.statusCode).toBe(200);

    const resetMail = (await admin.get(`/api/v1/platform/outbox?to=staff@${bistro.slug}.brigade.test`)).json().items;
    expect(resetMail).toHaveLength(1);
    expect(resetMail[0]).toMatchObject({ status: 'kept', subject: `Reset your ${bistro.name} password` });

    // A tenant's owner, on the business's address or the bare one, and an anonymous visitor: not a platform credential.
    expect((await owner.get('/api/v1/platform/outbox')).statusCode).toBe(401);
    expect((await owner.onHost('localhost').get('/api/v1/platform/outbox')).statusCode).toBe(401);
    expect((await t.anonymous(null).get('/api/v1/platform/outbox')).statusCode).toBe(401);

    // Reading other businesses' mail leaves a trace in the platform log.
    const [trace] = await t.db.admin(`SELECT count(*)::int AS n FROM platform_audit_log WHERE action = 'platform.outbox_read'`);
    expect(trace!.n).toBeGreaterThanOrEqual(2);
  });
});
