import { v7 as uuidv7 } from 'uuid';
import type { FastifyBaseLogger } from 'fastify';
import type { Database, PlatformTx, TenantTx } from './db/tx.ts';

export type JobHandler = (tx: TenantTx, payload: Record<string, unknown>) => Promise<void>;
/** A job about a tenant that must act on the platform tables (its lifecycle, its purge). */
export type PlatformJobHandler = (tx: PlatformTx, tenantId: string, payload: Record<string, unknown>) => Promise<void>;

const CHANNEL = 'brigade_jobs';

/**
 * Durable jobs in PostgreSQL: enqueued in the caller's transaction (so a rolled-back request enqueues nothing),
 * claimed with SKIP LOCKED by any instance, run in their tenant's transaction, retried with backoff.
 */
export class Jobs {
  private handlers = new Map<string, JobHandler>();
  private platformHandlers = new Map<string, PlatformJobHandler>();
  private timer: NodeJS.Timeout | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private running: Promise<number> | null = null;
  private upkeeps: { what: string; fn: (tx: PlatformTx) => Promise<void> }[] = [];
  private chores: { what: string; everySeconds: number; fn: (tx: PlatformTx) => Promise<boolean> }[] = [];
  private choreTimers: NodeJS.Timeout[] = [];
  private choresRunning = new Set<Promise<void>>();

  constructor(
    private db: Database,
    private log: FastifyBaseLogger,
    private pollMs = 5_000,
  ) {}

  register(kind: string, handler: JobHandler): void {
    if (this.handlers.has(kind)) throw new Error(`job ${kind} registered twice`);
    this.handlers.set(kind, handler);
  }

  registerPlatform(kind: string, handler: PlatformJobHandler): void {
    if (this.handlers.has(kind) || this.platformHandlers.has(kind)) throw new Error(`job ${kind} registered twice`);
    this.platformHandlers.set(kind, handler);
    // Claimed like any other kind; run on the platform path (see runDue).
    this.handlers.set(kind, () => Promise.reject(new Error(`${kind} runs on the platform path`)));
  }

  /**
   * Work the runner does each time it starts, before its first claim, on the platform path: putting back the
   * schedules every business must have (a daily purge) whatever happened to them (a job that failed for good, rows
   * written by a seed). A failure is logged and does not stop the runner.
   */
  upkeep(what: string, fn: (tx: PlatformTx) => Promise<void>): void {
    this.upkeeps.push({ what, fn });
  }

  /**
   * Upkeep that repeats while the runner runs, on the platform path, for what belongs to no one business (answers
   * kept for Idempotency-Key retries, across every business). Missing a round loses nothing, so it is a timer on each
   * instance rather than a job row; `fn` answers true while there is more to do, and runs again in a new transaction.
   */
  every(what: string, everySeconds: number, fn: (tx: PlatformTx) => Promise<boolean>): void {
    this.chores.push({ what, everySeconds, fn });
  }

  /** Runs every chore once, to the end. The runner does at start and then on each chore's timer; tests await it. */
  async runChores(): Promise<void> {
    for (const c of this.chores) await this.runChore(c);
  }

  private runChore(c: (typeof this.chores)[number]): Promise<void> {
    const run = (async () => {
      try {
        while (await this.db.withPlatform({ type: 'system', id: null, label: `jobs:${c.what}` }, c.fn));
      } catch (err) {
        this.log.warn({ chore: c.what, err: err instanceof Error ? err.message : String(err) }, 'job chore failed');
      }
    })();
    this.choresRunning.add(run);
    return run.finally(() => this.choresRunning.delete(run));
  }

  async enqueue(tx: TenantTx, kind: string, payload: Record<string, unknown>, delaySeconds = 0): Promise<string> {
    return this.insert(tx, tx.tenantId, kind, payload, delaySeconds);
  }

  /** Enqueues a job about a tenant from the platform path (the job row still belongs to that tenant). */
  async enqueueFor(tx: PlatformTx, tenantId: string, kind: string, payload: Record<string, unknown>, delaySeconds = 0): Promise<string> {
    return this.insert(tx, tenantId, kind, payload, delaySeconds);
  }

  private async insert(tx: TenantTx | PlatformTx, tenantId: string, kind: string, payload: Record<string, unknown>, delaySeconds: number): Promise<string> {
    if (!this.handlers.has(kind)) throw new Error(`no handler for job ${kind}`);
    const id = uuidv7();
    // Nothing in the transaction reads the job back, so it travels with the COMMIT (no round trip of its own). The
    // NOTIFY is delivered at COMMIT anyway, so no instance hears of a job that did not commit.
    tx.writeAtCommit(
      `WITH j AS (INSERT INTO jobs (tenant_id, id, kind, payload, run_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5::float8)) RETURNING 1)
       SELECT pg_notify('${CHANNEL}', '') FROM j`,
      [tenantId, id, kind, JSON.stringify(payload), delaySeconds],
    );
    return id;
  }

  async start(): Promise<void> {
    this.unlisten = await this.db.driver.listen(CHANNEL, () => void this.tick());
    this.timer = setInterval(() => void this.tick(), this.pollMs);
    this.timer.unref();
    for (const u of this.upkeeps) {
      await this.db.withPlatform({ type: 'system', id: null, label: `jobs:${u.what}` }, u.fn).catch((err: unknown) =>
        this.log.warn({ upkeep: u.what, err: err instanceof Error ? err.message : String(err) }, 'job upkeep failed'),
      );
    }
    void this.tick();
    for (const c of this.chores) {
      void this.runChore(c);
      const t = setInterval(() => void this.runChore(c), c.everySeconds * 1000);
      t.unref();
      this.choreTimers.push(t);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const t of this.choreTimers) clearInterval(t);
    this.choreTimers = [];
    await Promise.all(this.choresRunning);
    await this.unlisten?.();
    this.unlisten = null;
    await this.running;
  }

  private tick(): Promise<number> {
    this.running ??= this.runDue().finally(() => (this.running = null));
    return this.running;
  }

  /** Runs every job that is due now, until none is left. Tests await this instead of sleeping. */
  async drain(): Promise<number> {
    await this.running;
    let total = 0;
    for (;;) {
      const n = await this.runDue();
      total += n;
      if (n === 0) return total;
    }
  }

  private async runDue(): Promise<number> {
    // Only kinds this server can run: during a rolling deploy an older instance must not claim (and fail) a newer kind.
    const kinds = [...this.handlers.keys()];
    if (kinds.length === 0) return 0;
    const claimed = await this.db.withPlatform({ type: 'system', id: null, label: 'jobs' }, (tx) =>
      tx.query<{ tenant_id: string; id: string; kind: string; payload: Record<string, unknown>; attempts: number; max_attempts: number }>(
        `UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = now() + interval '5 minutes', updated_at = now()
          WHERE (tenant_id, id) IN (
            SELECT tenant_id, id FROM jobs
             WHERE ((status = 'pending' AND run_at <= now()) OR (status = 'running' AND locked_until < now()))
               AND kind = ANY($1::text[])
             ORDER BY run_at LIMIT 20 FOR UPDATE SKIP LOCKED)
          RETURNING tenant_id, id, kind, payload, attempts, max_attempts`,
        [kinds],
      ),
    );
    for (const job of claimed) {
      const handler = this.handlers.get(job.kind);
      try {
        if (!handler) throw new Error(`no handler for job ${job.kind}`);
        const onPlatform = this.platformHandlers.get(job.kind);
        if (onPlatform) {
          await this.db.withPlatform({ type: 'system', id: null, label: `job:${job.kind}` }, async (tx) => {
            await onPlatform(tx, job.tenant_id, job.payload);
            // A purge removes this very row with the rest of the tenant: then there is nothing to mark.
            await tx.query(`UPDATE jobs SET status = 'done', locked_until = NULL, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [job.tenant_id, job.id]);
          });
          continue;
        }
        await this.db.withTenant(job.tenant_id, { type: 'system', id: null, label: `job:${job.kind}` }, 'write', async (tx) => {
          await handler(tx, job.payload);
          await tx.query(`UPDATE jobs SET status = 'done', locked_until = NULL, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [job.tenant_id, job.id]);
        });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.log.warn({ job: job.id, kind: job.kind, attempt: job.attempts, err: message }, 'job failed');
        await this.db.withPlatform({ type: 'system', id: null, label: 'jobs' }, (tx) =>
          tx.query(
            `UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
                    run_at = now() + make_interval(secs => least(3600, 2 ^ attempts)), locked_until = NULL,
                    last_error = $3, updated_at = now()
              WHERE tenant_id = $1 AND id = $2`,
            [job.tenant_id, job.id, message.slice(0, 2000)],
          ),
        );
      }
    }
    return claimed.length;
  }
}

/**
 * Keeps one job of a kind pending for the business (a daily purge that queues its own next run): enqueued unless one
 * is pending, in one statement sent with the COMMIT. A function, not a method, so that code without the runner at
 * hand (a module's starter data) keeps the schedule too; the runner that claims the job must have the kind
 * registered. Only a pending job counts, so the running one queuing its successor does, and two that slipped in
 * side by side become one again at the next run.
 */
export function keepPending(tx: TenantTx, kind: string, delaySeconds: number): void {
  tx.writeAtCommit(
    `WITH j AS (INSERT INTO jobs (tenant_id, id, kind, run_at)
                SELECT $1, $2, $3, now() + make_interval(secs => $4::float8)
                 WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE tenant_id = $1 AND kind = $3 AND status = 'pending') RETURNING 1)
     SELECT pg_notify('${CHANNEL}', '') FROM j`,
    [tx.tenantId, uuidv7(), kind, delaySeconds],
  );
}
