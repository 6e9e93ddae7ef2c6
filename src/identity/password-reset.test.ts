import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, testApp, type TestApp } from '../../test/harness.ts';
import { startMailCatcher, type MailCatcher } from '../../test/mail.ts';
import type { SeededTenant } from '../platform/demo.ts';

let mail: MailCatcher;
let t: TestApp;
let bistro: SeededTenant;

beforeAll(async () => {
  mail = await startMailCatcher();
  t = await testApp({ SMTP_URL: mail.url });
  bistro = await t.tenant();
});
afterAll(async () => {
  await t.close();
  await mail.close();
});

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const emailOf = (tenant: SeededTenant, role: string) => `${role}@${tenant.slug}.brigade.test`;

function requestReset(tenant: SeededTenant, email: string) {
  return t.anonymous(tenant).post('/api/v1/auth/password-reset', { email });
}

/** Runs the queued jobs and returns the token of the reset link mailed to `email`. */
async function receiveResetLink(tenant: SeededTenant, email: string): Promise<string> {
  await t.app.brigade.jobs.drain();
  const message = await mail.next((m) => m.to.includes(email));
  expect(message.subject).toBe(`Reset your ${tenant.name} password`);
  const link = new RegExp(`http://${tenant.slug}\\.localhost:3000/reset#(br_[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)`).exec(message.text);
  expect(link, message.text).not.toBeNull();
  return link![1]!;
}

function confirm(tenant: SeededTenant, token: string, password: string) {
  return t.anonymous(tenant).post('/api/v1/auth/password-reset/confirm', { token, password });
}

describe('password reset', () => {
  it('a forgotten password is reset by the mailed link, once, and every old session ends', async () => {
    const email = emailOf(bistro, 'staff');
    const phone = await t.as(bistro, 'staff');
    const till = await t.as(bistro, 'staff');

    const asked = await requestReset(bistro, email);
    expect(asked.statusCode).toBe(202);
    expect(asked.json()).toEqual({ ok: true });
    const token = await receiveResetLink(bistro, email);

    // Stored as a hash, for half an hour.
    const [row] = await t.db.admin(
      `SELECT encode(token_hash, 'hex') AS h, extract(epoch FROM expires_at - created_at)::int AS life, used_at FROM password_resets WHERE user_id = $1`,
      [bistro.users.staff],
    );
    expect(row).toEqual({ h: sha256(token.split('.')[1]!), life: 30 * 60, used_at: null });
    const [sent] = await t.db.admin(`SELECT status, body FROM outbox_messages WHERE to_address = $1`, [email]);
    expect(sent!.status).toBe('sent');
    expect(String(sent!.body)).not.toContain(token.split('.')[1]);

    const done = await confirm(bistro, token, 'a new and better passphrase');
    expect(done.statusCode).toBe(200);
    expect(done.cookies).toEqual([]);

    for (const device of [phone, till]) expect((await device.get('/api/v1/auth/session')).statusCode).toBe(401);
    const anon = t.anonymous(bistro);
    expect((await anon.post('/api/v1/auth/sign-in', { email, password: PASSWORD })).statusCode).toBe(401);
    expect((await anon.post('/api/v1/auth/sign-in', { email, password: 'a new and better passphrase' })).statusCode).toBe(200);

    const reused = await confirm(bistro, token, 'someone else tries again');
    expect(reused.statusCode).toBe(400);
    expect(reused.json().code).toBe('invalid_token');
    expect(reused.json().errors[0].field).toBe('body.token');
    expect((await anon.post('/api/v1/auth/sign-in', { email, password: 'someone else tries again' })).statusCode).toBe(401);
  });

  it('an unknown email gets exactly the answer a known one gets, and no mail is sent', async () => {
    const known = await requestReset(bistro, emailOf(bistro, 'manager'));
    const unknown = await requestReset(bistro, `ghost@${bistro.slug}.brigade.test`);
    expect(unknown.statusCode).toBe(known.statusCode);
    expect(unknown.statusCode).toBe(202);
    expect(unknown.body).toBe(known.body);
    expect(unknown.headers['content-type']).toBe(known.headers['content-type']);
    expect(unknown.headers['content-length']).toBe(known.headers['content-length']);

    // The mail to the known person arrives; by then every queued job has run, and none wrote to the ghost.
    await receiveResetLink(bistro, emailOf(bistro, 'manager'));
    expect(mail.messages.some((m) => m.to.includes(`ghost@${bistro.slug}.brigade.test`))).toBe(false);
    const [outbox] = await t.db.admin(`SELECT count(*)::int AS n FROM outbox_messages WHERE to_address = $1`, [`ghost@${bistro.slug}.brigade.test`]);
    expect(outbox!.n).toBe(0);
  });

  it('a reset link expires after its short life', async () => {
    const email = emailOf(bistro, 'auditor');
    await requestReset(bistro, email);
    const token = await receiveResetLink(bistro, email);
    await t.db.admin(`UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE token_hash = decode($1, 'hex')`, [sha256(token.split('.')[1]!)]);
    const r = await confirm(bistro, token, 'too late for this one');
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('invalid_token');
    expect((await t.anonymous(bistro).post('/api/v1/auth/sign-in', { email, password: PASSWORD })).statusCode).toBe(200);
  });

  it('a weak password is refused naming the field, and the link stays usable', async () => {
    const email = emailOf(bistro, 'compliance_officer');
    await requestReset(bistro, email);
    const token = await receiveResetLink(bistro, email);
    for (const weak of ['short', 'password1', 'iloveyou1']) {
      const r = await confirm(bistro, token, weak);
      expect(r.statusCode, weak).toBe(400);
      expect(r.json().errors.map((e: { field: string }) => e.field)).toContain('body.password');
    }
    expect((await confirm(bistro, token, 'compliance is a long word')).statusCode).toBe(200);
  });

  it('using the newest link kills the older unused ones', async () => {
    const email = emailOf(bistro, 'location_manager');
    await requestReset(bistro, email);
    const older = await receiveResetLink(bistro, email);
    await requestReset(bistro, email);
    const newer = await receiveResetLink(bistro, email);
    expect(newer).not.toBe(older);
    expect((await confirm(bistro, newer, 'the newest link wins')).statusCode).toBe(200);
    expect((await confirm(bistro, older, 'the older link loses')).statusCode).toBe(400);
  });

  it("a reset link of one business does nothing at another's address", async () => {
    const other = await t.tenant();
    const email = emailOf(bistro, 'admin');
    await requestReset(bistro, email);
    const token = await receiveResetLink(bistro, email);
    const r = await confirm(other, token, 'crossing the street');
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('invalid_token');
  });

  it('reset requests have their own, stricter limit: the sixth in fifteen minutes answers 429', async () => {
    const email = emailOf(bistro, 'owner');
    for (let i = 1; i <= 5; i++) {
      const r = await requestReset(bistro, email);
      expect(r.statusCode).toBe(202);
      expect(r.headers['ratelimit-limit']).toBe('5');
    }
    const blocked = await requestReset(bistro, email);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().code).toBe('rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // An unknown email is limited the same way, so the limit tells nothing either.
    for (let i = 1; i <= 5; i++) expect((await requestReset(bistro, `nobody@${bistro.slug}.brigade.test`)).statusCode).toBe(202);
    expect((await requestReset(bistro, `nobody@${bistro.slug}.brigade.test`)).statusCode).toBe(429);
    // Sign-in keeps its own counter.
    expect((await t.anonymous(bistro).post('/api/v1/auth/sign-in', { email, password: PASSWORD })).statusCode).toBe(200);
    await t.app.brigade.jobs.drain();
  });
});
