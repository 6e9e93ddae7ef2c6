import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../src/core/config.ts';
import { pgDriver, pgliteDriver, type Driver } from '../src/core/db/driver.ts';
import { migrate, ROLES } from '../src/core/db/migrate.ts';
import { buildServer } from '../src/server.ts';
import { seedTenant, type SeededTenant } from '../src/platform/demo.ts';
import { createPlatformUser } from '../src/identity/service.ts';
import type { TenantRole } from '../src/identity/permissions.ts';

export const PASSWORD = 'correct horse battery staple';
export const PIN = '4821';

/** A database of the test file's own: a copy of the migrated template on the server, or a fresh PGlite. */
export interface TestDatabase {
  kind: 'pg' | 'pglite';
  /** The runtime role's driver (not owner, not superuser): what the app uses. */
  driver: Driver;
  /** Runs SQL as a superuser or the owner, for tests that play the attacker or check the catalog. */
  admin(sql: string, params?: unknown[], role?: 'owner' | 'superuser'): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function testDatabase(): Promise<TestDatabase> {
  const template = inject('pgTemplate');
  const url = process.env.DATABASE_URL;
  if (template && url) {
    const name = `brigade_t_${template.replace('brigade_tpl_', '')}_${randomBytes(4).toString('hex')}`;
    const server = new pg.Client({ connectionString: url });
    await server.connect();
    await server.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    const adminUrl = new URL(url);
    adminUrl.pathname = `/${name}`;
    const appUrl = new URL(adminUrl);
    appUrl.username = ROLES.app;
    appUrl.password = '';
    const platformUrl = new URL(appUrl);
    platformUrl.username = ROLES.platform;
    const admin = new pg.Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    // The logins of a deployment: the runtime role, and the platform path's own (see Driver.acquirePlatform).
    const driver = pgDriver(appUrl.toString(), { max: 10, platform: { url: platformUrl.toString(), max: 4 } });
    return {
      kind: 'pg',
      driver,
      async admin(sql, params, role = 'superuser') {
        if (role === 'owner') {
          await admin.query(`SET ROLE ${ROLES.owner}`);
          try {
            return (await admin.query(sql, params)).rows;
          } finally {
            await admin.query('RESET ROLE');
          }
        }
        return (await admin.query(sql, params)).rows;
      },
      async close() {
        await driver.close();
        await admin.end();
        await server.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await server.end();
      },
    };
  }
  const driver = await pgliteDriver(undefined);
  const conn = await driver.acquire();
  await migrate(conn);
  await conn.multi(`SET ROLE ${ROLES.app}`);
  conn.release();
  return {
    kind: 'pglite',
    driver,
    async admin(sql, params, role = 'superuser') {
      // PGlite is one session: step up for this statement, then back down to the runtime role.
      const c = await driver.acquire();
      try {
        await c.multi(role === 'owner' ? `RESET ROLE; SET ROLE ${ROLES.owner}` : 'RESET ROLE');
        return (await c.query(sql, params)).rows;
      } finally {
        await c.multi(`RESET ROLE; SET ROLE ${ROLES.app}`);
        c.release();
      }
    },
    close: () => driver.close(),
  };
}

/** Every table with a tenant_id column, read from the catalog, so a table added later is covered without a list. */
export async function tenantTablesOf(db: TestDatabase): Promise<string[]> {
  const rows = await db.admin(
    `SELECT c.relname AS name FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
       JOIN pg_attribute at ON at.attrelid = c.oid AND at.attname = 'tenant_id' AND NOT at.attisdropped
      WHERE c.relkind IN ('r', 'p') ORDER BY 1`,
  );
  return rows.map((r) => String(r.name));
}

export interface TestApp {
  app: FastifyInstance;
  db: TestDatabase;
  config: Config;
  /** A business with one location and one person per role. */
  tenant(slug?: string): Promise<SeededTenant>;
  /** Signs in as the person holding `role` in `tenant`, on the tenant's own host. */
  as(tenant: SeededTenant, role: TenantRole): Promise<Client>;
  anonymous(tenant: SeededTenant | null): Client;
  /** A platform operator signed in with both steps (platform_support reads only). */
  platformAdmin(role?: 'platform_admin' | 'platform_support'): Promise<Client>;
  close(): Promise<void>;
}

export async function testApp(env: Record<string, string> = {}, opts: { startJobs?: boolean; logStream?: { write(line: string): void } } = {}): Promise<TestApp> {
  const db = await testDatabase();
  const config = loadConfig({ LOG_LEVEL: 'silent', NODE_ENV: 'test', PUBLIC_URL: 'http://localhost:3000', ...env } as NodeJS.ProcessEnv);
  const app = await buildServer(config, { driver: db.driver, startJobs: opts.startJobs ?? false, ...(opts.logStream ? { logStream: opts.logStream } : {}) });
  await app.ready();
  // A test that edits the database behind the app's back (moving a session's expiry, suspending a tenant) must
  // not be answered from the app's short-lived caches, exactly as after a manual repair in production.
  const admin = db.admin.bind(db);
  db.admin = async (sql, params, role) => {
    try {
      return await admin(sql, params, role);
    } finally {
      app.brigade.sessions.forget();
      app.brigade.tenants.forget();
    }
  };
  let n = 0;
  const t: TestApp = {
    app,
    db,
    config,
    async tenant(slug) {
      n++;
      const s = slug ?? `t${n}-${randomBytes(3).toString('hex')}`;
      return seedTenant(app.brigade.db, { slug: s, name: `Test ${s}` }, { password: PASSWORD, pin: PIN });
    },
    async as(tenant, role) {
      const c = new Client(app, `${tenant.slug}.localhost`);
      await c.signIn(`${role}@${tenant.slug}.brigade.test`, PASSWORD);
      return c;
    },
    anonymous(tenant) {
      return new Client(app, tenant ? `${tenant.slug}.localhost` : 'localhost');
    },
    async platformAdmin(role = 'platform_admin') {
      const email = `${role === 'platform_admin' ? 'admin' : 'support'}-${randomBytes(3).toString('hex')}@brigade.test`;
      await app.brigade.db.withPlatform({ type: 'system', id: null, label: 'test' }, (tx) =>
        createPlatformUser(tx, { email, name: 'Admin', password: PASSWORD, role }),
      );
      // Password, then enrolling an authenticator, then its code: the only way to a platform session.
      const c = new Client(app, 'localhost');
      const password = await c.post('/api/v1/platform/auth/sign-in', { email, password: PASSWORD });
      if (password.statusCode !== 200) throw new Error(`platform sign-in failed: ${password.body}`);
      const { challenge } = password.json();
      const enrolment = await c.post('/api/v1/platform/auth/totp/enrol', { challenge });
      if (enrolment.statusCode !== 200) throw new Error(`platform TOTP enrolment failed: ${enrolment.body}`);
      const r = await c.post('/api/v1/platform/auth/totp/verify', { challenge, code: await generate({ secret: enrolment.json().secret }) });
      if (r.statusCode !== 200) throw new Error(`platform TOTP verification failed: ${r.body}`);
      c.csrf = r.json().csrf_token;
      return c;
    },
    async close() {
      await app.close();
      await db.close();
    },
  };
  return t;
}

/** Drives the app like a browser on one host: keeps cookies, sends the CSRF token on changes. */
export class Client {
  cookies = new Map<string, string>();
  csrf: string | null = null;
  headers: Record<string, string> = {};

  constructor(
    readonly app: FastifyInstance,
    public host: string,
  ) {}

  async signIn(email: string, password: string): Promise<LightMyRequestResponse> {
    const r = await this.post('/api/v1/auth/sign-in', { email, password });
    if (r.statusCode !== 200) throw new Error(`sign-in as ${email} failed: ${r.statusCode} ${r.body}`);
    this.csrf = r.json().csrf_token;
    return r;
  }

  /** The same cookies presented on another host. */
  onHost(host: string): Client {
    const c = new Client(this.app, host);
    c.cookies = new Map(this.cookies);
    c.csrf = this.csrf;
    c.headers = { ...this.headers };
    return c;
  }

  get(url: string, headers: Record<string, string> = {}) {
    return this.request('GET', url, undefined, headers);
  }
  post(url: string, body?: unknown, headers: Record<string, string> = {}) {
    return this.request('POST', url, body, headers);
  }
  patch(url: string, body?: unknown, headers: Record<string, string> = {}) {
    return this.request('PATCH', url, body, headers);
  }
  put(url: string, body?: unknown, headers: Record<string, string> = {}) {
    return this.request('PUT', url, body, headers);
  }
  delete(url: string, headers: Record<string, string> = {}) {
    return this.request('DELETE', url, undefined, headers);
  }

  async request(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const r = await this.app.inject({
      method: method as 'GET',
      url,
      headers: {
        host: this.host,
        ...(cookie ? { cookie } : {}),
        ...(this.csrf && method !== 'GET' ? { 'x-csrf-token': this.csrf } : {}),
        ...(body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}),
        ...this.headers,
        ...headers,
      },
      // A string or the bytes of a file go as they are; anything else as JSON.
      ...(body !== undefined ? { payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) } : {}),
    });
    for (const c of r.cookies as { name: string; value: string; expires?: Date }[]) {
      if (c.value === '' || (c.expires && c.expires.getTime() < Date.now())) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return r;
  }
}
