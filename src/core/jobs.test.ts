import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../../test/harness.ts';
import type { SeededTenant } from '../platform/demo.ts';
import { buildServer } from '../server.ts';
import type { Actor } from './db/tx.ts';

let t: TestApp;
let bistro: SeededTenant;

const SYSTEM: Actor = { type: 'system', id: null, label: 'jobs-test' };

/** Every payload a test job kind ran with, by kind. */
const ran = new Map<string, Record<string, unknown>[]>();
const record = (kind: string) => async (_tx: unknown, payload: Record<string, unknown>) => {
  ran.set(kind, [...(ran.get(kind) ?? []), payload]);
};

interface JobRow {
  status: string;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  /** Seconds between the job's last update and its next run. */
  delay: number;
  due: boolean;
}

async function job(id: string): Promise<JobRow> {
  const [row] = await t.db.admin(
    `SELECT status, attempts, max_attempts, last_error,
            extract(epoch FROM run_at - updated_at)::float8 AS delay, run_at <= now() AS due
       FROM jobs WHERE id = $1`,
    [id],
  );
  expect(row, `job ${id}`).toBeDefined();
  return { ...(row as unknown as JobRow), delay: Number(row!.delay) };
}

async function enqueue(app: FastifyInstance, kind: string, payload: Record<string, unknown>, delaySeconds = 0): Promise<string> {
  return app.brigade.db.withTenant(bistro.id, SYSTEM, 'write', (tx) => app.brigade.jobs.enqueue(tx, kind, payload, delaySeconds));
}

beforeAll(async () => {
  t = await testApp();
  bistro = await t.tenant();
  t.app.brigade.jobs.register('test.note', record('test.note'));
});
afterAll(() => t.close());

describe('durable jobs', () => {
  it('a job enqueued by a request that rolls back never runs', async () => {
    const err = await t.app.brigade.db
      .withTenant(bistro.id, SYSTEM, 'write', async (tx) => {
        await t.app.brigade.jobs.enqueue(tx, 'test.note', { note: 'rolled back' });
        throw new Error('the request failed after enqueuing');
      })
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    await t.app.brigade.jobs.drain();
    expect(ran.get('test.note') ?? []).not.toContainEqual({ note: 'rolled back' });
    const rows = await t.db.admin(`SELECT id FROM jobs WHERE kind = 'test.note' AND payload->>'note' = 'rolled back'`);
    expect(rows).toEqual([]);
  });

  it('a committed job runs once, in its tenant, and is marked done', async () => {
    let seenTenant: string | null = null;
    t.app.brigade.jobs.register('test.tenant', async (tx) => {
      seenTenant = tx.tenantId;
      // Row-level security is bound to the job's tenant: it sees that business's locations and no other.
      const rows = await tx.query<{ tenant_id: string }>(`SELECT DISTINCT tenant_id FROM locations`);
      expect(rows.map((r) => r.tenant_id)).toEqual([bistro.id]);
    });
    await t.tenant(); // another business, whose rows the job must not see
    const id = await enqueue(t.app, 'test.tenant', {});
    expect(await t.app.brigade.jobs.drain()).toBeGreaterThanOrEqual(1);
    expect(seenTenant).toBe(bistro.id);
    expect((await job(id)).status).toBe('done');
    expect(await t.app.brigade.jobs.drain()).toBe(0);
  });

  it('a delayed job waits until it is due', async () => {
    const id = await enqueue(t.app, 'test.note', { note: 'later' }, 3600);
    await t.app.brigade.jobs.drain();
    expect(ran.get('test.note') ?? []).not.toContainEqual({ note: 'later' });
    expect(await job(id)).toMatchObject({ status: 'pending', attempts: 0, due: false });
    await t.db.admin(`UPDATE jobs SET run_at = now() WHERE id = $1`, [id]);
    await t.app.brigade.jobs.drain();
    expect(ran.get('test.note')).toContainEqual({ note: 'later' });
  });

  it('a failing job is retried with growing backoff, keeps its last error, and fails for good after max_attempts', async () => {
    let calls = 0;
    t.app.brigade.jobs.register('test.flaky', async () => {
      calls++;
      throw new Error(`mail server said no (${calls})`);
    });
    const id = await enqueue(t.app, 'test.flaky', {});
    await t.db.admin(`UPDATE jobs SET max_attempts = 3 WHERE id = $1`, [id]);

    await t.app.brigade.jobs.drain();
    const first = await job(id);
    expect(calls).toBe(1);
    expect(first).toMatchObject({ status: 'pending', attempts: 1, last_error: 'mail server said no (1)', due: false });
    expect(first.delay).toBeGreaterThanOrEqual(1);

    // Not due yet: draining again does not run it.
    await t.app.brigade.jobs.drain();
    expect(calls).toBe(1);

    // Time passes (the clock is moved, not waited for).
    await t.db.admin(`UPDATE jobs SET run_at = now() WHERE id = $1`, [id]);
    await t.app.brigade.jobs.drain();
    const second = await job(id);
    expect(calls).toBe(2);
    expect(second).toMatchObject({ status: 'pending', attempts: 2, last_error: 'mail server said no (2)', due: false });
    expect(second.delay).toBeGreaterThan(first.delay);

    await t.db.admin(`UPDATE jobs SET run_at = now() WHERE id = $1`, [id]);
    await t.app.brigade.jobs.drain();
    expect(calls).toBe(3);
    expect(await job(id)).toMatchObject({ status: 'failed', attempts: 3, last_error: 'mail server said no (3)' });

    // A failed job is never picked up again, even when its time comes.
    await t.db.admin(`UPDATE jobs SET run_at = now() WHERE id = $1`, [id]);
    await t.app.brigade.jobs.drain();
    expect(calls).toBe(3);
  });

  it('a job that throws rolls back what it wrote before failing', async () => {
    let calls = 0;
    t.app.brigade.jobs.register('test.half_done', async (tx) => {
      calls++;
      await tx.query(`UPDATE locations SET address = 'half done' WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, bistro.locationId]);
      throw new Error('crashed midway');
    });
    const id = await enqueue(t.app, 'test.half_done', {});
    await t.app.brigade.jobs.drain();
    expect(calls).toBe(1);
    const [loc] = await t.db.admin(`SELECT address FROM locations WHERE id = $1`, [bistro.locationId]);
    expect(loc!.address).not.toBe('half done');
    expect(await job(id)).toMatchObject({ status: 'pending', attempts: 1, last_error: 'crashed midway' });
  });

  it('a job survives a restart: enqueued by one server, run by the next one on the same database', async () => {
    const first = await buildServer(t.config, { driver: t.db.driver, startJobs: false });
    await first.ready();
    first.brigade.jobs.register('test.restart', async () => {
      throw new Error('the first server must not run this job');
    });
    const id = await enqueue(first, 'test.restart', { order: 'table 7' });
    await first.close();
    expect(await job(id)).toMatchObject({ status: 'pending', attempts: 0 });

    const second = await buildServer(t.config, { driver: t.db.driver, startJobs: false });
    await second.ready();
    const payloads: Record<string, unknown>[] = [];
    second.brigade.jobs.register('test.restart', async (_tx, payload) => {
      payloads.push(payload);
    });
    try {
      await second.brigade.jobs.drain();
    } finally {
      await second.close();
    }
    expect(payloads).toEqual([{ order: 'table 7' }]);
    expect(await job(id)).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('a job whose server died while running it is picked up again once its lock expires', async () => {
    const id = await enqueue(t.app, 'test.note', { note: 'orphaned' });
    // What a crash mid-run leaves behind: claimed, locked, never finished.
    await t.db.admin(`UPDATE jobs SET status = 'running', attempts = 1, locked_until = now() + interval '5 minutes' WHERE id = $1`, [id]);
    await t.app.brigade.jobs.drain();
    expect(ran.get('test.note') ?? []).not.toContainEqual({ note: 'orphaned' });
    await t.db.admin(`UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = $1`, [id]);
    await t.app.brigade.jobs.drain();
    expect(ran.get('test.note')).toContainEqual({ note: 'orphaned' });
    expect(await job(id)).toMatchObject({ status: 'done', attempts: 2 });
  });

  it('during a rolling deploy, an older server leaves a newer kind of job alone for a server that knows it', async () => {
    const newer = await buildServer(t.config, { driver: t.db.driver, startJobs: false });
    await newer.ready();
    const payloads: Record<string, unknown>[] = [];
    newer.brigade.jobs.register('test.newer_kind', async (_tx, payload) => {
      payloads.push(payload);
    });
    try {
      const id = await enqueue(newer, 'test.newer_kind', { waitlist: 'tonight' });
      // t.app plays the older server: it has no handler for this kind and must not claim or fail it.
      await t.app.brigade.jobs.drain();
      expect(await job(id)).toMatchObject({ status: 'pending', attempts: 0, last_error: null });
      await newer.brigade.jobs.drain();
      expect(payloads).toEqual([{ waitlist: 'tonight' }]);
      expect(await job(id)).toMatchObject({ status: 'done', attempts: 1 });
    } finally {
      await newer.close();
    }
  });

  it('a job kind nobody handles cannot be enqueued', async () => {
    await expect(enqueue(t.app, 'test.unknown_kind', {})).rejects.toThrow(/no handler/);
  });
});
