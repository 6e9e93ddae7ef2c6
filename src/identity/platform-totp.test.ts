import { createHash, randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Client, PASSWORD, testApp, type TestApp } from '../../test/harness.ts';
import { ROLES } from '../core/db/migrate.ts';
import type { SeededTenant } from '../platform/demo.ts';
import { createPlatformUser } from './service.ts';

let t: TestApp;
let bistro: SeededTenant;

beforeAll(async () => {
  t = await testApp();
  bistro = await t.tenant();
});
afterAll(() => t.close());
// Every test signs in many times from one address; the per-address limits are not what is tested here.
beforeEach(() => t.db.admin('DELETE FROM rate_limit_counters'));

const SIGN_IN = '/api/v1/platform/auth/sign-in';
const ENROL = '/api/v1/platform/auth/totp/enrol';
const VERIFY = '/api/v1/platform/auth/totp/verify';
const PLATFORM_ROUTE = '/api/v1/platform/outbox';

/** The code an authenticator app shows, `steps` time steps from now. */
const codeAt = (secret: string, steps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
/** Another six digits than `code`. */
const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

async function newOperator(): Promise<string> {
  const email = `op-${randomBytes(4).toString('hex')}@brigade.test`;
  await t.app.brigade.db.withPlatform({ type: 'system', id: null, label: 'test' }, (tx) =>
    createPlatformUser(tx, { email, name: 'Operator', password: PASSWORD, role: 'platform_admin' }),
  );
  return email;
}

/** Step 1: the password. Answers the challenge and the client, which must hold no session. */
async function password(email: string, expected: 'enrol' | 'verify') {
  const client = new Client(t.app, 'localhost');
  const r = await client.post(SIGN_IN, { email, password: PASSWORD });
  expect(r.statusCode, r.body).toBe(200);
  expect(r.json().second_factor).toBe(expected);
  expect(r.cookies).toEqual([]);
  return { client, challenge: r.json().challenge as string };
}

/** An operator who has enrolled an authenticator and signed in once. */
async function enrolledOperator() {
  const email = await newOperator();
  const { client, challenge } = await password(email, 'enrol');
  const secret = (await client.post(ENROL, { challenge })).json().secret as string;
  const code = await codeAt(secret);
  const r = await client.post(VERIFY, { challenge, code });
  expect(r.statusCode, r.body).toBe(200);
  return { email, secret, code, recoveryCodes: r.json().recovery_codes as string[], userId: r.json().user_id as string };
}

async function auditActions(userId: string): Promise<string[]> {
  const rows = await t.db.admin(`SELECT action FROM platform_audit_log WHERE resource_id = $1 ORDER BY at, id`, [userId]);
  return rows.map((r) => String(r.action));
}

async function userIdOf(email: string): Promise<string> {
  const [u] = await t.db.admin(`SELECT id FROM platform_users WHERE email = $1`, [email]);
  return String(u!.id);
}

describe('platform sign-in needs a second factor', () => {
  it('a correct password alone opens no session: it answers a challenge, and platform routes still answer 401', async () => {
    const email = await newOperator();
    const { client, challenge } = await password(email, 'enrol');
    expect(challenge).toMatch(/^bpc_[A-Za-z0-9_-]{43}$/);

    const refused = await client.get(PLATFORM_ROUTE);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().code).toBe('unauthenticated');
    // Nor is the challenge itself a platform credential.
    client.cookies.set('brigade_platform', challenge);
    expect((await client.get(PLATFORM_ROUTE)).statusCode).toBe(401);

    // Only its hash is kept, and it lives five minutes.
    const [row] = await t.db.admin(
      `SELECT token_hash, round(extract(epoch FROM expires_at - created_at))::int AS seconds FROM platform_sign_in_challenges WHERE user_id = $1`,
      [await userIdOf(email)],
    );
    expect(Buffer.from(row!.token_hash as Buffer).equals(createHash('sha256').update(challenge.slice(4)).digest())).toBe(true);
    expect(row!.seconds).toBe(300);
    expect(await t.db.admin(`SELECT count(*)::int AS n FROM platform_sessions WHERE user_id = $1`, [await userIdOf(email)])).toEqual([{ n: 0 }]);
    expect(await auditActions(await userIdOf(email))).toEqual(['platform.sign_in_password_ok']);
  });

  it('the first time, enrolling an authenticator and giving its code opens the session and shows ten recovery codes once', async () => {
    const email = await newOperator();
    const { client, challenge } = await password(email, 'enrol');
    const enrolment = await client.post(ENROL, { challenge });
    expect(enrolment.statusCode, enrolment.body).toBe(200);
    const { secret, otpauth_url } = enrolment.json();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(otpauth_url);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe(`/Brigade:${email}`);
    expect(url.searchParams.get('issuer')).toBe('Brigade');
    expect(url.searchParams.get('secret')).toBe(secret);

    const r = await client.post(VERIFY, { challenge, code: await codeAt(secret) });
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json();
    expect(body.user_id).toBe(await userIdOf(email));
    expect(body.csrf_token).toEqual(expect.any(String));
    expect(body.recovery_codes).toHaveLength(10);
    expect(new Set(body.recovery_codes).size).toBe(10);
    for (const code of body.recovery_codes) expect(code).toMatch(/^[0-9a-f]{5}(-[0-9a-f]{5}){3}$/);
    expect(r.cookies.map((c) => c.name)).toContain('brigade_platform');
    client.csrf = body.csrf_token;
    expect((await client.get(PLATFORM_ROUTE)).statusCode).toBe(200);

    // Recovery codes are kept only as hashes; the secret is now the account's, and no longer waits on the challenge.
    const stored = await t.db.admin(`SELECT encode(code_hash, 'hex') AS h FROM platform_recovery_codes WHERE user_id = $1`, [body.user_id]);
    expect(stored.map((s) => s.h).sort()).toEqual(
      body.recovery_codes.map((c: string) => createHash('sha256').update(c.replace(/-/g, '')).digest('hex')).sort(),
    );
    expect(await t.db.admin(`SELECT secret FROM platform_totp WHERE user_id = $1`, [body.user_id])).toEqual([{ secret }]);
    expect(await t.db.admin(`SELECT pending_secret FROM platform_sign_in_challenges WHERE user_id = $1`, [body.user_id])).toEqual([{ pending_secret: null }]);
    expect(await auditActions(body.user_id)).toEqual([
      'platform.sign_in_password_ok',
      'platform.totp_enrolment_started',
      'platform.totp_enrolled',
      'platform.signed_in',
    ]);

    // The challenge was spent; the next sign-in asks for the code, and a second enrolment is refused.
    const again = await client.post(VERIFY, { challenge, code: await codeAt(secret, 1) });
    expect(again.statusCode).toBe(401);
    expect(again.json().code).toBe('sign_in_challenge_invalid');
    const next = await password(email, 'verify');
    const reenrol = await next.client.post(ENROL, { challenge: next.challenge });
    expect(reenrol.statusCode).toBe(409);
    expect(reenrol.json().code).toBe('totp_already_enrolled');
    const signedIn = await next.client.post(VERIFY, { challenge: next.challenge, code: await codeAt(secret, 1) });
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    expect(signedIn.json().recovery_codes).toBeUndefined();
  });

  it('refuses a wrong code and counts it on the challenge; the right code still works while tries are left', async () => {
    const { email, secret } = await enrolledOperator();
    const { client, challenge } = await password(email, 'verify');
    const right = await codeAt(secret, 1);
    const r = await client.post(VERIFY, { challenge, code: wrongCode(right) });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ code: 'invalid_totp_code', attempts_left: 4, errors: [{ field: 'body.code', code: 'invalid_totp_code' }] });
    expect(r.cookies).toEqual([]);
    expect((await client.get(PLATFORM_ROUTE)).statusCode).toBe(401);
    const [row] = await t.db.admin(`SELECT failures FROM platform_sign_in_challenges WHERE user_id = $1 AND used_at IS NULL`, [await userIdOf(email)]);
    expect(row!.failures).toBe(1);
    expect((await client.post(VERIFY, { challenge, code: right })).statusCode).toBe(200);
  });

  it('five wrong codes end the challenge: even the right code is then refused', async () => {
    const { email, secret, userId } = await enrolledOperator();
    const { client, challenge } = await password(email, 'verify');
    const right = await codeAt(secret, 1);
    const answers: [number, string, number | undefined][] = [];
    for (let i = 0; i < 5; i++) {
      const r = await client.post(VERIFY, { challenge, code: wrongCode(right) });
      answers.push([r.statusCode, r.json().code, r.json().attempts_left]);
    }
    expect(answers).toEqual([
      [401, 'invalid_totp_code', 4],
      [401, 'invalid_totp_code', 3],
      [401, 'invalid_totp_code', 2],
      [401, 'invalid_totp_code', 1],
      [429, 'sign_in_challenge_exhausted', undefined],
    ]);
    const after = await client.post(VERIFY, { challenge, code: right });
    expect(after.statusCode).toBe(429);
    expect(after.json()).toMatchObject({ code: 'sign_in_challenge_exhausted', errors: [{ field: 'body.challenge' }] });
    expect(after.cookies).toEqual([]);
    expect((await auditActions(userId)).filter((a) => a === 'platform.second_factor_failed')).toHaveLength(5);
    const [risky] = await t.db.admin(
      `SELECT risk, changes FROM platform_audit_log WHERE resource_id = $1 AND action = 'platform.second_factor_failed' ORDER BY at DESC, id DESC LIMIT 1`,
      [userId],
    );
    expect(risky).toMatchObject({ risk: 'high', changes: { method: 'totp', replayed: false, attempts_left: 0 } });
  });

  it('a recovery code signs in once, however it is typed, and never again', async () => {
    const { email, recoveryCodes, userId } = await enrolledOperator();
    const first = await password(email, 'verify');
    const typed = ` ${recoveryCodes[3]!.toUpperCase().replace(/-/g, ' ')} `;
    const r = await first.client.post(VERIFY, { challenge: first.challenge, recovery_code: typed });
    expect(r.statusCode, r.body).toBe(200);
    first.client.csrf = r.json().csrf_token;
    expect((await first.client.get(PLATFORM_ROUTE)).statusCode).toBe(200);
    const [used] = await t.db.admin(
      `SELECT changes FROM platform_audit_log WHERE resource_id = $1 AND action = 'platform.recovery_code_used'`,
      [userId],
    );
    expect(used!.changes).toEqual({ recovery_codes_left: 9 });

    const second = await password(email, 'verify');
    const reused = await second.client.post(VERIFY, { challenge: second.challenge, recovery_code: recoveryCodes[3] });
    expect(reused.statusCode).toBe(401);
    expect(reused.json()).toMatchObject({ code: 'invalid_recovery_code', errors: [{ field: 'body.recovery_code' }] });
    expect(reused.cookies).toEqual([]);
    // Another of the ten still works.
    expect((await second.client.post(VERIFY, { challenge: second.challenge, recovery_code: recoveryCodes[4] })).statusCode).toBe(200);
  });

  it('refuses a code that was already accepted in its time step (replay), on a new challenge too', async () => {
    const { email, secret, code, userId } = await enrolledOperator();
    const { client, challenge } = await password(email, 'verify');
    const replayed = await client.post(VERIFY, { challenge, code });
    expect(replayed.statusCode).toBe(401);
    expect(replayed.json()).toMatchObject({ code: 'totp_code_replayed', attempts_left: 4, errors: [{ field: 'body.code' }] });
    expect(replayed.cookies).toEqual([]);
    const [failed] = await t.db.admin(
      `SELECT changes FROM platform_audit_log WHERE resource_id = $1 AND action = 'platform.second_factor_failed'`,
      [userId],
    );
    expect(failed!.changes).toMatchObject({ replayed: true });
    // The next step's code is new, so it is accepted.
    expect((await client.post(VERIFY, { challenge, code: await codeAt(secret, 1) })).statusCode).toBe(200);
  });

  it('of two attempts with one challenge and one code at the same moment, exactly one signs in', async () => {
    const { email, secret } = await enrolledOperator();
    const { client, challenge } = await password(email, 'verify');
    const code = await codeAt(secret, 1);
    const answers = await Promise.all([client.post(VERIFY, { challenge, code }), client.post(VERIFY, { challenge, code })]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  });

  it('refuses an expired challenge at both steps', async () => {
    const email = await newOperator();
    const { client, challenge } = await password(email, 'enrol');
    const secret = (await client.post(ENROL, { challenge })).json().secret as string;
    await t.db.admin(`UPDATE platform_sign_in_challenges SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [await userIdOf(email)]);
    for (const r of [await client.post(ENROL, { challenge }), await client.post(VERIFY, { challenge, code: await codeAt(secret) })]) {
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ code: 'sign_in_challenge_invalid', errors: [{ field: 'body.challenge' }] });
      expect(r.cookies).toEqual([]);
    }
    expect(await t.db.admin(`SELECT count(*)::int AS n FROM platform_totp WHERE user_id = $1`, [await userIdOf(email)])).toEqual([{ n: 0 }]);
    // An unknown or malformed challenge gets the same answer.
    for (const bogus of [`bpc_${'A'.repeat(43)}`, 'not-a-challenge-at-all']) {
      const r = await client.post(VERIFY, { challenge: bogus, code: '123456' });
      expect([r.statusCode, r.json().code]).toEqual([401, 'sign_in_challenge_invalid']);
    }
  });

  it('says what is missing: both or neither of code and recovery code, a malformed code, a code before enrolling', async () => {
    const email = await newOperator();
    const { client, challenge } = await password(email, 'enrol');
    const cases: [unknown, number, string, string][] = [
      [{ challenge, code: '123456', recovery_code: 'aaaaa-bbbbb-ccccc-ddddd' }, 400, 'validation_failed', 'body.recovery_code'],
      [{ challenge }, 400, 'validation_failed', 'body.code'],
      [{ challenge, code: '12a456' }, 400, 'validation_failed', 'body.code'],
      [{ challenge, code: '123456' }, 409, 'totp_enrolment_required', 'body.challenge'],
      [{ challenge, recovery_code: 'aaaaa-bbbbb-ccccc-ddddd' }, 400, 'recovery_codes_not_issued', 'body.recovery_code'],
    ];
    for (const [body, status, code, field] of cases) {
      const r = await client.post(VERIFY, body);
      expect({ body, status: r.statusCode, code: r.json().code, fields: r.json().errors?.map((e: { field: string }) => e.field) }).toEqual({
        body,
        status,
        code,
        fields: expect.arrayContaining([field]),
      });
    }
    // None of these spent a try: the challenge still completes an enrolment.
    const secret = (await client.post(ENROL, { challenge })).json().secret as string;
    expect((await client.post(VERIFY, { challenge, code: await codeAt(secret) })).statusCode).toBe(200);
  });

  it('an enrolment waits on its own challenge: another sign-in cannot replace or finish it', async () => {
    const email = await newOperator();
    const mine = await password(email, 'enrol');
    const theirs = await password(email, 'enrol');
    const mySecret = (await mine.client.post(ENROL, { challenge: mine.challenge })).json().secret as string;
    const theirSecret = (await theirs.client.post(ENROL, { challenge: theirs.challenge })).json().secret as string;
    expect(theirSecret).not.toBe(mySecret);
    // My code is no good on their challenge, and theirs on mine.
    expect((await theirs.client.post(VERIFY, { challenge: theirs.challenge, code: await codeAt(mySecret) })).json().code).toBe('invalid_totp_code');
    expect((await mine.client.post(VERIFY, { challenge: mine.challenge, code: await codeAt(theirSecret) })).json().code).toBe('invalid_totp_code');
    expect((await mine.client.post(VERIFY, { challenge: mine.challenge, code: await codeAt(mySecret) })).statusCode).toBe(200);
    // Once one enrolment is done, the other challenge needs that authenticator's code: its own secret is worthless.
    const late = await theirs.client.post(VERIFY, { challenge: theirs.challenge, code: await codeAt(theirSecret) });
    expect([late.statusCode, late.json().code]).toEqual([401, 'invalid_totp_code']);
    expect(await t.db.admin(`SELECT secret FROM platform_totp WHERE user_id = $1`, [await userIdOf(email)])).toEqual([{ secret: mySecret }]);
  });

  it('twenty wrong codes within fifteen minutes lock the second step, across fresh challenges', async () => {
    const { email, secret, userId } = await enrolledOperator();
    for (let round = 0; round < 4; round++) {
      const { client, challenge } = await password(email, 'verify');
      for (let i = 0; i < 5; i++) await client.post(VERIFY, { challenge, code: wrongCode(await codeAt(secret, 1)) });
    }
    const locked = await new Client(t.app, 'localhost').post(SIGN_IN, { email, password: PASSWORD });
    expect(locked.statusCode).toBe(423);
    expect(locked.json().code).toBe('second_factor_locked');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
    expect((await auditActions(userId)).at(-1)).toBe('platform.sign_in_refused_second_factor_locked');
    // The lock lifts as the wrong codes age out of the window.
    await t.db.admin(`UPDATE platform_sign_in_challenges SET created_at = created_at - interval '16 minutes' WHERE user_id = $1`, [userId]);
    await password(email, 'verify');
  });
});

describe('platform and tenant credentials stay apart', () => {
  it('a tenant person’s email and password are refused at platform sign-in, and a tenant session is no platform credential', async () => {
    const r = await t.anonymous(null).post(SIGN_IN, { email: `owner@${bistro.slug}.brigade.test`, password: PASSWORD });
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('invalid_credentials');
    const [failed] = await t.db.admin(`SELECT action, changes FROM platform_audit_log WHERE action = 'platform.sign_in_failed' ORDER BY at DESC LIMIT 1`);
    expect(failed).toEqual({ action: 'platform.sign_in_failed', changes: { email: `owner@${bistro.slug}.brigade.test` } });
    const owner = await t.as(bistro, 'owner');
    expect((await owner.get(PLATFORM_ROUTE)).statusCode).toBe(401);
    expect((await owner.onHost('localhost').get(PLATFORM_ROUTE)).statusCode).toBe(401);
    // And a platform operator's password opens no business.
    const { email } = await enrolledOperator();
    const asTenant = await t.anonymous(bistro).post('/api/v1/auth/sign-in', { email, password: PASSWORD });
    expect(asTenant.statusCode).toBe(401);
  });

  it('the tenant role holds no privilege on the second-factor tables, so a tenant transaction cannot read a secret', async () => {
    const tables = ['platform_totp', 'platform_sign_in_challenges', 'platform_recovery_codes'];
    const granted = await t.db.admin(
      `SELECT c.relname || ' ' || p.priv AS grant FROM pg_class c, unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) AS p(priv)
        WHERE c.relname = ANY($2) AND has_table_privilege($1, c.oid, p.priv)`,
      [ROLES.app, tables],
    );
    expect(granted).toEqual([]);
    const platformGrants = await t.db.admin(
      `SELECT count(*)::int AS n FROM pg_class c WHERE c.relname = ANY($2) AND has_table_privilege($1, c.oid, 'SELECT, INSERT, UPDATE, DELETE')`,
      [ROLES.platform, tables],
    );
    expect(platformGrants).toEqual([{ n: 3 }]);
    await enrolledOperator();
    for (const tbl of tables) {
      const err = await t.app.brigade.db
        .withTenant(bistro.id, { type: 'system', id: null, label: 'test' }, 'read', (tx) => tx.query(`SELECT * FROM ${tbl}`))
        .then(() => null, (e: { code?: string }) => e);
      expect(err?.code, tbl).toBe('42501');
    }
  });
});
