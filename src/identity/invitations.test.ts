import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type Client, type TestApp } from '../../test/harness.ts';
import { startMailCatcher, type MailCatcher } from '../../test/mail.ts';
import type { SeededTenant } from '../platform/demo.ts';

let mail: MailCatcher;
let t: TestApp;
let bistro: SeededTenant;
let owner: Client;

beforeAll(async () => {
  mail = await startMailCatcher();
  t = await testApp({ SMTP_URL: mail.url });
  bistro = await t.tenant();
  owner = await t.as(bistro, 'owner');
});
afterAll(async () => {
  await t.close();
  await mail.close();
});

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Sends the invitation, lets the mail job run, and returns the mail and the token from its link. */
async function inviteAndReceive(by: Client, tenant: SeededTenant, body: { email: string; role: string; location_id?: string }) {
  const r = await by.post('/api/v1/invitations', body);
  expect(r.statusCode, r.body).toBe(201);
  await t.app.brigade.jobs.drain();
  const message = await mail.next((m) => m.to.includes(body.email));
  const link = new RegExp(`http://${tenant.slug}\\.localhost:3000/invite#(bi_[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)`).exec(message.text);
  expect(link, message.text).not.toBeNull();
  return { invitation: r.json(), message, token: link![1]! };
}

describe('invitations', () => {
  it('an owner invites a new manager by email; the mailed link signs them in with that role', async () => {
    const email = 'new.manager@example.com';
    const { invitation, message, token } = await inviteAndReceive(owner, bistro, { email, role: 'manager', location_id: bistro.locationId });
    expect(invitation).toMatchObject({ email, role: 'manager', location_id: bistro.locationId, accepted_at: null });
    expect(message.subject).toBe(`You are invited to ${bistro.name} on Brigade`);
    expect(message.from).toBe('no-reply@brigade.test');
    expect(message.text).toContain('as manager');

    // The invitation list and the database never show the token itself.
    const list = await owner.get('/api/v1/invitations');
    expect(list.body).not.toContain(token);
    const [row] = await t.db.admin(`SELECT encode(token_hash, 'hex') AS h, extract(epoch FROM expires_at - created_at)::int AS life FROM invitations WHERE id = $1`, [invitation.id]);
    expect(row).toEqual({ h: sha256(token.split('.')[1]!), life: 7 * 24 * 3600 });
    // Once the mail is out, the copy kept in the outbox no longer carries the working link.
    const kept = await t.db.admin(`SELECT body FROM outbox_messages WHERE to_address = $1`, [email]);
    expect(kept).toHaveLength(1);
    expect(String(kept[0]!.body)).not.toContain(token.split('.')[1]);

    const newcomer = t.anonymous(bistro);
    const accepted = await newcomer.post('/api/v1/auth/accept-invitation', { token, name: 'Nia Manager', password: 'a long and fresh passphrase' });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toMatchObject({ signed_in: true, csrf_token: expect.any(String) });
    expect(newcomer.cookies.get('brigade_session')).toMatch(/^bs_/);

    const me = (await newcomer.get('/api/v1/auth/session')).json();
    expect(me.user).toMatchObject({ id: accepted.json().user_id, email, name: 'Nia Manager' });
    expect(me.roles).toEqual([{ role: 'manager', location_id: bistro.locationId }]);
    const [u] = await t.db.admin(`SELECT password_hash FROM users WHERE id = $1`, [accepted.json().user_id]);
    expect(u!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    // The chosen password works for the next sign-in too.
    const again = t.anonymous(bistro);
    expect((await again.post('/api/v1/auth/sign-in', { email, password: 'a long and fresh passphrase' })).statusCode).toBe(200);
  });

  it('an invitation link works once', async () => {
    const { token } = await inviteAndReceive(owner, bistro, { email: 'once.only@example.com', role: 'auditor' });
    const first = await t.anonymous(bistro).post('/api/v1/auth/accept-invitation', { token, name: 'Ola Auditor', password: 'auditors read everything' });
    expect(first.statusCode).toBe(200);
    const second = await t.anonymous(bistro).post('/api/v1/auth/accept-invitation', { token, name: 'Someone Else', password: 'another fresh passphrase' });
    expect(second.statusCode).toBe(400);
    expect(second.json().code).toBe('invalid_token');
    expect(second.json().errors[0].field).toBe('body.token');
    expect(second.cookies).toEqual([]);
  });

  it('a weak or common password is refused on acceptance, naming the field, and the link stays usable', async () => {
    const { token } = await inviteAndReceive(owner, bistro, { email: 'picky.cook@example.com', role: 'staff', location_id: bistro.locationId });
    const guest = t.anonymous(bistro);
    for (const weak of ['short', 'password123', 'qwertyuiop', 'x'.repeat(129)]) {
      const r = await guest.post('/api/v1/auth/accept-invitation', { token, name: 'Pat Cook', password: weak });
      expect(r.statusCode, weak).toBe(400);
      expect(r.json().code).toBe('validation_failed');
      expect(r.json().errors.map((e: { field: string }) => e.field)).toContain('body.password');
    }
    const ok = await guest.post('/api/v1/auth/accept-invitation', { token, name: 'Pat Cook', password: 'a kitchen of my own' });
    expect(ok.statusCode).toBe(200);
  });

  it('an expired invitation is refused', async () => {
    const { invitation, token } = await inviteAndReceive(owner, bistro, { email: 'too.late@example.com', role: 'auditor' });
    await t.db.admin(`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1`, [invitation.id]);
    const r = await t.anonymous(bistro).post('/api/v1/auth/accept-invitation', { token, name: 'Late', password: 'a long late passphrase' });
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('invalid_token');
  });

  it("an invitation to one business is not valid at another's address", async () => {
    const other = await t.tenant();
    const { token } = await inviteAndReceive(owner, bistro, { email: 'wrong.door@example.com', role: 'auditor' });
    const r = await t.anonymous(other).post('/api/v1/auth/accept-invitation', { token, name: 'Wrong Door', password: 'a long wrong-door phrase' });
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('invalid_token');
    // Still good at the right one.
    expect((await t.anonymous(bistro).post('/api/v1/auth/accept-invitation', { token, name: 'Right Door', password: 'a long right-door phrase' })).statusCode).toBe(200);
  });

  it('someone who already has an account gains the role but keeps their password, and is not signed in by the link', async () => {
    const email = `staff@${bistro.slug}.brigade.test`;
    const { token } = await inviteAndReceive(owner, bistro, { email, role: 'auditor' });
    const r = await t.anonymous(bistro).post('/api/v1/auth/accept-invitation', { token, name: 'Taken Over', password: 'the attackers passphrase' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ user_id: bistro.users.staff, signed_in: false, csrf_token: null });
    expect(r.cookies).toEqual([]);
    const attacker = t.anonymous(bistro);
    expect((await attacker.post('/api/v1/auth/sign-in', { email, password: 'the attackers passphrase' })).statusCode).toBe(401);
    const staff = await t.as(bistro, 'staff');
    const roles = (await staff.get('/api/v1/auth/session')).json().roles.map((x: { role: string }) => x.role).sort();
    expect(roles).toEqual(['auditor', 'staff']);
  });
});

describe('who may invite whom', () => {
  it('an admin cannot invite an owner, and no mail goes out', async () => {
    const admin = await t.as(bistro, 'admin');
    const r = await admin.post('/api/v1/invitations', { email: 'would.be.owner@example.com', role: 'owner' });
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('forbidden');
    // An admin may invite an admin.
    await inviteAndReceive(admin, bistro, { email: 'second.admin@example.com', role: 'admin' });
    expect(mail.messages.some((m) => m.to.includes('would.be.owner@example.com'))).toBe(false);
    const [n] = await t.db.admin(`SELECT count(*)::int AS n FROM invitations WHERE email = 'would.be.owner@example.com'`);
    expect(n!.n).toBe(0);
  });

  it('a location manager invites staff to their own location only, and nobody broader than a manager', async () => {
    const lm = await t.as(bistro, 'location_manager');
    const elsewhere = (await owner.post('/api/v1/locations', { name: 'Harbour Kitchen', time_zone: 'UTC' })).json().id;
    expect((await lm.post('/api/v1/invitations', { email: 'a@example.com', role: 'staff', location_id: elsewhere })).statusCode).toBe(403);
    expect((await lm.post('/api/v1/invitations', { email: 'b@example.com', role: 'location_manager', location_id: bistro.locationId })).statusCode).toBe(403);
    expect((await lm.post('/api/v1/invitations', { email: 'c@example.com', role: 'admin' })).statusCode).toBe(403);
    await inviteAndReceive(lm, bistro, { email: 'd@example.com', role: 'staff', location_id: bistro.locationId });
  });

  it('a location manager sees the invitations to their own location only, the owner sees them all', async () => {
    const diner = await t.tenant();
    const dinerOwner = await t.as(diner, 'owner');
    const lm = await t.as(diner, 'location_manager');
    const elsewhere = (await dinerOwner.post('/api/v1/locations', { name: 'Harbour Kitchen', time_zone: 'UTC' })).json().id;
    const send = async (body: { email: string; role: string; location_id?: string }) => {
      const r = await dinerOwner.post('/api/v1/invitations', body);
      expect(r.statusCode, r.body).toBe(201);
      return r.json().id as string;
    };
    const here = await send({ email: 'here@example.com', role: 'staff', location_id: diner.locationId });
    const there = await send({ email: 'there@example.com', role: 'staff', location_id: elsewhere });
    const everywhere = await send({ email: 'everywhere@example.com', role: 'auditor' });

    const ids = async (c: Client) => {
      const r = await c.get('/api/v1/invitations');
      expect(r.statusCode, r.body).toBe(200);
      return (r.json().items as { id: string }[]).map((i) => i.id);
    };
    expect(await ids(lm)).toEqual([here]);
    expect(await ids(dinerOwner)).toEqual([everywhere, there, here]);
  });

  it('staff and auditors cannot invite anyone', async () => {
    for (const role of ['staff', 'auditor', 'manager'] as const) {
      const c = await t.as(bistro, role);
      const r = await c.post('/api/v1/invitations', { email: `from.${role}@example.com`, role: 'staff', location_id: bistro.locationId });
      expect(r.statusCode, role).toBe(403);
    }
  });

  it('a location-scoped role needs a location', async () => {
    const r = await owner.post('/api/v1/invitations', { email: 'nowhere@example.com', role: 'staff' });
    expect(r.statusCode).toBe(400);
    expect(r.json().errors[0].field).toBe('body.location_id');
  });

  it('the role cannot be smuggled in when accepting', async () => {
    const { token } = await inviteAndReceive(owner, bistro, { email: 'sneaky@example.com', role: 'staff', location_id: bistro.locationId });
    const r = await t.anonymous(bistro).post('/api/v1/auth/accept-invitation', { token, name: 'Sneaky', password: 'a long sneaky phrase', role: 'owner' });
    expect(r.statusCode).toBe(400);
    expect(r.json().errors[0].field).toBe('body.role');
  });
});
