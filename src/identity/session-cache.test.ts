import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../core/config.ts';
import { buildServer } from '../server.ts';
import { seedTenant, type SeededTenant } from '../platform/demo.ts';
import { Client, PASSWORD, PIN, testDatabase, type TestDatabase } from '../../test/harness.ts';
import { SessionCache } from './session-cache.ts';

// Two Brigade instances on one database, each with its own session cache; they share the driver, so revocations
// reach both through PostgreSQL's NOTIFY on its one listening connection (test/realtime.test.ts runs two drivers).
let db: TestDatabase;
let a: FastifyInstance;
let b: FastifyInstance;
let bistro: SeededTenant;

beforeAll(async () => {
  db = await testDatabase();
  const config = loadConfig({ LOG_LEVEL: 'silent', NODE_ENV: 'test', SESSION_CACHE_SECONDS: '30' } as NodeJS.ProcessEnv);
  a = await buildServer(config, { driver: db.driver, startJobs: false });
  b = await buildServer(config, { driver: db.driver, startJobs: false });
  await Promise.all([a.ready(), b.ready()]);
  bistro = await seedTenant(a.brigade.db, { slug: 'cache-bistro', name: 'Cache Bistro' }, { password: PASSWORD, pin: PIN });
});
afterAll(async () => {
  await a.close();
  await b.close();
  await db.close();
});

async function signedIn(role: string): Promise<{ onA: Client; onB: Client }> {
  const onA = new Client(a, `${bistro.slug}.localhost`);
  await onA.signIn(`${role}@${bistro.slug}.brigade.test`, PASSWORD);
  const onB = new Client(b, `${bistro.slug}.localhost`);
  onB.cookies = onA.cookies;
  onB.csrf = onA.csrf;
  return { onA, onB };
}

describe('the session cache', () => {
  it('serves a known session without asking the database again (a change made behind Brigade\'s back is not seen until forgotten)', async () => {
    const { onA } = await signedIn('manager');
    expect((await onA.get('/api/v1/auth/session')).statusCode).toBe(200);
    await db.admin(`UPDATE sessions SET revoked_at = now() WHERE tenant_id = $1 AND user_id = $2`, [bistro.id, bistro.users.manager]);
    expect((await onA.get('/api/v1/auth/session')).statusCode).toBe(200);
    a.brigade.sessions.forget();
    expect((await onA.get('/api/v1/auth/session')).statusCode).toBe(401);
  });

  it('a host who signs out on one tablet is signed out on every instance at once, not after the cache time', async () => {
    const { onA, onB } = await signedIn('staff');
    expect((await onB.get('/api/v1/locations')).statusCode).toBe(200);
    const seenByB = b.brigade.sessions.nextDrop();
    expect((await onA.post('/api/v1/auth/sign-out')).statusCode).toBe(204);
    expect(await seenByB).toMatchObject({ tenant: bistro.id });
    expect((await onB.get('/api/v1/locations')).statusCode).toBe(401);
  });

  it('a password change on one instance ends the other sessions cached on another', async () => {
    const desk = await signedIn('admin');
    const phone = await signedIn('admin');
    expect((await phone.onB.get('/api/v1/auth/session')).statusCode).toBe(200);
    const seenByB = b.brigade.sessions.nextDrop();
    const changed = await desk.onA.post('/api/v1/auth/password', { current_password: PASSWORD, new_password: 'a brand new passphrase 2026' });
    expect(changed.statusCode).toBe(200);
    expect(await seenByB).toMatchObject({ user: bistro.users.admin });
    expect((await phone.onB.get('/api/v1/auth/session')).statusCode).toBe(401);
    expect((await desk.onB.get('/api/v1/auth/session')).statusCode).toBe(200);
  });

  it('a rolled-back revocation announces nothing; a committed one does', async () => {
    const { onA } = await signedIn('auditor');
    expect((await onA.get('/api/v1/auth/session')).statusCode).toBe(200);
    // Ended behind Brigade's back: only a drop of the cached entry can make this instance notice.
    await db.admin(`UPDATE sessions SET revoked_at = now() WHERE tenant_id = $1 AND user_id = $2`, [bistro.id, bistro.users.auditor]);
    const revoke = () => a.brigade.db.withTenant(bistro.id, { type: 'system', id: null, label: 'test' }, 'write', (tx) => a.brigade.sessions.revoked(tx, { user: bistro.users.auditor }));
    await expect(
      a.brigade.db.withTenant(bistro.id, { type: 'system', id: null, label: 'test' }, 'write', async (tx) => {
        await a.brigade.sessions.revoked(tx, { user: bistro.users.auditor });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await onA.get('/api/v1/auth/session')).statusCode).toBe(200);
    const dropped = a.brigade.sessions.nextDrop();
    await revoke();
    expect(await dropped).toMatchObject({ user: bistro.users.auditor });
    expect((await onA.get('/api/v1/auth/session')).statusCode).toBe(401);
  });
});

describe('SessionCache on its own', () => {
  const row = { id: 's1', user_id: 'u1', kiosk_id: null };
  const hash = Buffer.from('abc');

  it('keeps an entry only for its time limit', () => {
    vi.useFakeTimers();
    try {
      const cache = new SessionCache<typeof row>(5_000);
      cache.set('t1', hash, row, cache.stamp());
      expect(cache.get('t1', hash)).toEqual(row);
      expect(cache.get('t2', hash)).toBeNull();
      vi.advanceTimersByTime(5_001);
      expect(cache.get('t1', hash)).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not cache what a lookup read before a revocation it overlapped', () => {
    const cache = new SessionCache<typeof row>(5_000);
    const stamp = cache.stamp();
    cache.drop({ tenant: 't1', user: 'u1' });
    cache.set('t1', hash, row, stamp);
    expect(cache.get('t1', hash)).toBeNull();
  });

  it('drops by session, person or kiosk, only within the tenant', () => {
    const cache = new SessionCache<{ id: string; user_id: string; kiosk_id: string | null }>(5_000);
    cache.set('t1', Buffer.from('1'), { id: 's1', user_id: 'u1', kiosk_id: 'k1' }, cache.stamp());
    cache.set('t2', Buffer.from('2'), { id: 's2', user_id: 'u1', kiosk_id: null }, cache.stamp());
    cache.drop({ tenant: 't1', kiosk: 'k1' });
    expect(cache.get('t1', Buffer.from('1'))).toBeNull();
    expect(cache.get('t2', Buffer.from('2'))).not.toBeNull();
  });

  it('sends one lookup for a session many requests find expired at once, and keeps what it read', async () => {
    const cache = new SessionCache<typeof row>(5_000);
    let reads = 0;
    let answer!: (r: typeof row) => void;
    const read = () => {
      reads++;
      return new Promise<typeof row>((resolve) => (answer = resolve));
    };
    const waiting = Array.from({ length: 64 }, () => cache.load('t1', hash, read));
    // Another session's lookup is its own.
    const other = cache.load('t1', Buffer.from('other'), async () => ({ ...row, id: 's2' }));
    expect(reads).toBe(1);
    answer(row);
    expect(await Promise.all(waiting)).toEqual(Array.from({ length: 64 }, () => row));
    expect((await other)?.id).toBe('s2');
    expect(await cache.load('t1', hash, read)).toEqual(row);
    expect(reads).toBe(1);
  });

  it('after a failed lookup, the next request looks again', async () => {
    const cache = new SessionCache<typeof row>(5_000);
    await expect(cache.load('t1', hash, () => Promise.reject(new Error('connection lost')))).rejects.toThrow('connection lost');
    expect(await cache.load('t1', hash, async () => row)).toEqual(row);
  });

  it('with a time limit of 0 it keeps nothing', () => {
    const cache = new SessionCache<typeof row>(0);
    cache.set('t1', hash, row, cache.stamp());
    expect(cache.get('t1', hash)).toBeNull();
  });
});
