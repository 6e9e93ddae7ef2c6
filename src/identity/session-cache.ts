import type { Driver } from '../core/db/driver.ts';
import type { TenantTx } from '../core/db/tx.ts';

const CHANNEL = 'brigade_auth';

/** What ended or changed: every cached session matching it is dropped. */
export interface Revocation {
  tenant: string;
  user?: string;
  session?: string;
  kiosk?: string;
  /** An API key revoked: no session is cached for it, but its open sockets must close. */
  api_key?: string;
}

interface Entry<T> {
  tenant: string;
  user: string;
  session: string;
  kiosk: string | null;
  row: T;
  until: number;
}

/**
 * Resolved sessions, kept for a few seconds so a request needs one database round trip instead of two.
 * Correctness does not rest on the time limit: every revocation (sign-out, password change or reset, role
 * change, kiosk revoked) announces itself with NOTIFY in the transaction that makes it, so every instance drops
 * the session when it commits; this instance drops it synchronously right after its own commit. The time limit
 * only bounds how long a lost notification (a dropped LISTEN connection) or a change made outside Brigade
 * could go unseen, and how precisely idle and absolute expiry are enforced.
 */
export class SessionCache<T extends { id: string; user_id: string; kiosk_id: string | null }> {
  private entries = new Map<string, Entry<T>>();
  /** Counts drops, so that a lookup that started before a revocation does not cache what it read after it. */
  private epoch = 0;
  private unlisten: (() => Promise<void>) | null = null;
  private waiters: ((r: Revocation) => void)[] = [];
  private loading = new Map<string, Promise<T | null>>();

  constructor(readonly ttlMs: number) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  get(tenant: string, hash: Buffer): T | null {
    if (!this.enabled) return null;
    const key = `${tenant}:${hash.toString('base64')}`;
    const e = this.entries.get(key);
    if (!e) return null;
    if (e.until <= Date.now()) {
      this.entries.delete(key);
      return null;
    }
    return e.row;
  }

  /**
   * The cached session, or the one lookup for it: requests that find the same session expired at the same moment
   * (every request of a busy till, every few seconds) wait for one read instead of each sending its own, which
   * would also queue them all on the session row the read's idle-window update locks.
   */
  load(tenant: string, hash: Buffer, read: () => Promise<T | null>): Promise<T | null> {
    const hit = this.get(tenant, hash);
    if (hit) return Promise.resolve(hit);
    const key = `${tenant}:${hash.toString('base64')}`;
    let pending = this.loading.get(key);
    if (!pending) {
      const stamp = this.stamp();
      pending = read()
        .then((row) => {
          if (row) this.set(tenant, hash, row, stamp);
          return row;
        })
        .finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** Taken before reading a session from the database, handed back to set(). */
  stamp(): number {
    return this.epoch;
  }

  set(tenant: string, hash: Buffer, row: T, stamp: number): void {
    if (!this.enabled || stamp !== this.epoch) return;
    if (this.entries.size >= 50_000) this.entries.clear();
    this.entries.set(`${tenant}:${hash.toString('base64')}`, {
      tenant,
      user: row.user_id,
      session: row.id,
      kiosk: row.kiosk_id,
      row,
      until: Date.now() + this.ttlMs,
    });
  }

  /** Announces a revocation with the transaction that makes it: nothing is announced that did not commit. */
  async revoked(tx: TenantTx, what: Omit<Revocation, 'tenant'>): Promise<void> {
    const r: Revocation = { tenant: tx.tenantId, ...what };
    await tx.query(`SELECT pg_notify('${CHANNEL}', $1)`, [JSON.stringify(r)]);
    tx.afterCommit(() => this.drop(r));
  }

  /** Resolves at the next revocation this instance applies (tests await it instead of sleeping). */
  nextDrop(): Promise<Revocation> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  drop(r: Revocation): void {
    this.epoch++;
    for (const w of this.waiters.splice(0)) w(r);
    for (const [key, e] of this.entries) {
      if (e.tenant !== r.tenant) continue;
      if ((r.session && e.session === r.session) || (r.user && e.user === r.user) || (r.kiosk && e.kiosk === r.kiosk)) this.entries.delete(key);
    }
  }

  /** Drops everything: after the database was changed behind Brigade's back (tests, manual repair). */
  forget(): void {
    this.epoch++;
    this.entries.clear();
  }

  async listen(driver: Driver): Promise<void> {
    if (!this.enabled) return;
    this.unlisten = await driver.listen(CHANNEL, (payload) => {
      try {
        const r = JSON.parse(payload) as Revocation;
        if (typeof r.tenant === 'string') this.drop(r);
      } catch {
        this.forget();
      }
    });
  }

  async close(): Promise<void> {
    await this.unlisten?.();
    this.unlisten = null;
    this.entries.clear();
  }
}
