import type { Database } from '../core/db/tx.ts';
import type { HostTenant } from '../core/http.ts';

const SYSTEM = { type: 'system' as const, id: null, label: 'tenant-resolution' };

/**
 * Which tenant an address shows: `{slug}.{BASE_DOMAIN}`, a verified custom domain, or `/t/{slug}/…`.
 * Answers are cached for a few seconds: the lookup sits on every request, tenants change rarely,
 * and a suspension is seen by every instance within the cache time.
 */
export class TenantDirectory {
  private cache = new Map<string, { at: number; tenant: HostTenant | null }>();
  /** Lookups under way: when an entry expires under load, the requests in flight share one query. */
  private pending = new Map<string, Promise<HostTenant | null>>();

  constructor(
    private db: Database,
    private baseDomain: string,
    private ttlMs = 3_000,
  ) {}

  async byHost(hostname: string, pathSlug: string | null): Promise<HostTenant | null> {
    if (pathSlug) return this.lookup(`slug:${pathSlug}`, 'slug = $1', pathSlug);
    const host = hostname.toLowerCase().replace(/\.$/, '');
    if (host === this.baseDomain || host === '127.0.0.1' || host === '::1' || host === '[::1]') return null;
    const suffix = `.${this.baseDomain}`;
    if (host.endsWith(suffix)) {
      const slug = host.slice(0, -suffix.length);
      return slug.includes('.') ? null : this.lookup(`slug:${slug}`, 'slug = $1', slug);
    }
    return this.lookup(`domain:${host}`, 'custom_domain = $1', host);
  }

  byId(id: string): Promise<HostTenant | null> {
    return this.lookup(`id:${id}`, 'id = $1', id);
  }

  forget(): void {
    this.cache.clear();
  }

  private lookup(key: string, where: string, value: string): Promise<HostTenant | null> {
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return Promise.resolve(hit.tenant);
    let query = this.pending.get(key);
    if (!query) {
      query = this.db
        .withPlatform(SYSTEM, (tx) => tx.query<HostTenant>(`SELECT id, slug, name, status, locale, currency, time_zone, brand_color FROM tenants WHERE ${where} AND status <> 'purged'`, [value]))
        .then(([row]) => {
          if (this.cache.size > 10_000) this.cache.clear();
          this.cache.set(key, { at: Date.now(), tenant: row ?? null });
          return row ?? null;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, query);
    }
    return query;
  }
}
