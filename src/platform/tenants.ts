import { isIP } from 'node:net';
import type { Database } from '../core/db/tx.ts';
import type { HostTenant } from '../core/http.ts';
import { entitlementsOf, type PlanRow } from './plans.ts';

const SYSTEM = { type: 'system' as const, id: null, label: 'tenant-resolution' };
export const TENANTS_CHANNEL = 'brigade_tenants';

interface TenantPlanColumns {
  plan: string;
  plan_features: string[];
  plan_limits: PlanRow['limits'];
  feature_overrides: Record<string, boolean>;
  limit_overrides: Record<string, number | null>;
}

function toHostTenant(row: Omit<HostTenant, 'entitlements'> & TenantPlanColumns): HostTenant {
  const { plan, plan_features, plan_limits, feature_overrides, limit_overrides, ...tenant } = row;
  return { ...tenant, entitlements: entitlementsOf({ code: plan, features: plan_features, limits: plan_limits }, { features: feature_overrides, limits: limit_overrides }) };
}

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
    if (!this.namesBusiness(host, null)) return null;
    const suffix = `.${this.baseDomain}`;
    if (host.endsWith(suffix)) {
      const slug = host.slice(0, -suffix.length);
      return slug.includes('.') ? null : this.lookup(`slug:${slug}`, 'slug = $1', slug);
    }
    return this.lookup(`domain:${host}`, 'custom_domain = $1', host);
  }

  /**
   * Whether the address is a business's (its slug under the base domain, a custom domain, or /t/{slug}) rather than
   * Brigade's own (the base domain, an IP address): a business's address that finds no business answers 404 to
   * everything under it, a credential included.
   */
  namesBusiness(hostname: string, pathSlug: string | null): boolean {
    if (pathSlug) return true;
    const host = hostname.toLowerCase().replace(/\.$/, '');
    return !(host === this.baseDomain || isIP(host.replace(/^\[|\]$/g, '')) !== 0);
  }

  byId(id: string): Promise<HostTenant | null> {
    return this.lookup(`id:${id}`, 'id = $1', id);
  }

  forget(): void {
    this.cache.clear();
  }

  /**
   * Drops the cache on every instance when the platform changes a tenant (status, plan, overrides), announced
   * with the transaction that makes the change; the cache time only bounds a lost notification.
   */
  async listen(driver: Database['driver']): Promise<() => Promise<void>> {
    return driver.listen(TENANTS_CHANNEL, () => this.forget());
  }

  private lookup(key: string, where: string, value: string): Promise<HostTenant | null> {
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return Promise.resolve(hit.tenant);
    let query = this.pending.get(key);
    if (!query) {
      query = this.db
        .withPlatform(SYSTEM, (tx) =>
          tx.query<Omit<HostTenant, 'entitlements'> & TenantPlanColumns>(
            `SELECT t.id, t.slug, t.name, t.status, t.locale, t.currency, t.time_zone, t.brand_color, t.date_format, t.time_format, t.logo_file_id,
                    t.plan, p.features AS plan_features, p.limits AS plan_limits, t.feature_overrides, t.limit_overrides, t.roles_in_use,
                    (SELECT support_email FROM platform_settings) AS support_email
               FROM tenants t JOIN plans p ON p.code = t.plan
              WHERE t.${where} AND t.status <> 'purged'`,
            [value],
          ),
        )
        .then(([row]) => {
          const tenant = row ? toHostTenant(row) : null;
          if (this.cache.size > 10_000) this.cache.clear();
          this.cache.set(key, { at: Date.now(), tenant });
          return tenant;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, query);
    }
    return query;
  }
}
