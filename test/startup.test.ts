import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ROLES } from '../src/core/db/migrate.ts';

/**
 * The commands README starts with, run as a fresh machine runs them: `src/main.ts` in a process of its own, with
 * nothing but its environment. (npm's own part, `npm install` building the web app, is CI's first step.)
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function brigade(command: string, env: Record<string, string | undefined>): Run {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BRIGADE_') && !k.endsWith('DATABASE_URL') && k !== 'PORT'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', command], {
    cwd: ROOT,
    env: { ...clean, NODE_ENV: 'development', LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** Waits until the server answers /readyz (or the process ends, which fails the test with what it printed). */
async function ready(run: Run, port: number): Promise<void> {
  let ended = false;
  void run.exited.then(() => (ended = true));
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (ended) throw new Error(`Brigade exited before it was ready:\n${run.output()}`);
    const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
    if (r?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Brigade was not ready after 90 s:\n${run.output()}`);
}

async function stop(run: Run): Promise<void> {
  if (run.child.exitCode === null) run.child.kill('SIGTERM');
  await run.exited;
}

async function signIn(port: number, slug: string, email: string, password: string): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${port}/t/${slug}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return r.status;
}

const running: Run[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(running.map(stop));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('npm start on a machine without a database server', () => {
  it('serves Brigade on the embedded database, creates the demo businesses on the first start and prints their sign-ins once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'brigade-start-'));
    dirs.push(dir);
    const port = await freePort();
    const env = { PGLITE_DIR: path.join(dir, 'pglite'), PORT: String(port), BRIGADE_DEMO_PASSWORD: 'first-start-password' };

    const first = brigade('start', env);
    running.push(first);
    await ready(first, port);
    expect(first.output()).toContain('Demo data created');
    expect(first.output()).toContain('owner@demo.brigade.test');
    expect(first.output()).toContain('admin@brigade.test');
    expect(await signIn(port, 'demo', 'owner@demo.brigade.test', 'first-start-password')).toBe(200);
    expect(await signIn(port, 'demo2', 'staff@demo2.brigade.test', 'first-start-password')).toBe(200);
    await stop(first);

    // The same data directory: nothing is created or printed again, and the demo people are still there.
    const second = brigade('start', env);
    running.push(second);
    await ready(second, port);
    expect(await signIn(port, 'demo', 'owner@demo.brigade.test', 'first-start-password')).toBe(200);
    await stop(second);
    expect(second.output()).not.toContain('Demo data created');
  }, 240_000);
});

if (process.env.DATABASE_URL) {
  describe('on a PostgreSQL server', () => {
    const server = new URL(process.env.DATABASE_URL!);
    const name = `brigade_start_${process.pid}_${Date.now()}`;
    const url = (user?: string) => {
      const u = new URL(server);
      u.pathname = `/${name}`;
      if (user) {
        u.username = user;
        u.password = '';
      }
      return u.toString();
    };
    const admin = async (sql: string) => {
      const c = new pg.Client({ connectionString: server.toString() });
      await c.connect();
      try {
        return (await c.query(sql)).rows;
      } finally {
        await c.end();
      }
    };
    afterAll(async () => {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    });

    it('npm run db:migrate applies every migration, and running it again changes nothing', async () => {
      await admin(`CREATE DATABASE ${name}`);
      const once = brigade('migrate', { DATABASE_URL: url() });
      expect(await once.exited, once.output()).toBe(0);
      expect(once.output()).toMatch(/Applied: 001_core\.sql, .*017_/);
      const twice = brigade('migrate', { DATABASE_URL: url() });
      expect(await twice.exited, twice.output()).toBe(0);
      expect(twice.output()).toContain('Database is up to date.');
    }, 120_000);

    it('runs as the runtime role with the platform path on a login of its own, and refuses to start without it', async () => {
      const without = brigade('start', { DATABASE_URL: url(ROLES.app), MIGRATION_DATABASE_URL: url(), PORT: String(await freePort()) });
      expect(await without.exited).not.toBe(0);
      expect(without.output()).toContain('PLATFORM_DATABASE_URL');

      const port = await freePort();
      const run = brigade('start', { DATABASE_URL: url(ROLES.app), MIGRATION_DATABASE_URL: url(), PLATFORM_DATABASE_URL: url(ROLES.platform), PORT: String(port) });
      running.push(run);
      await ready(run, port);
      // A server database gets demo data only when asked (BRIGADE_DEMO=1).
      expect(run.output()).not.toContain('Demo data created');
      const logins = await admin(
        `SELECT usename AS login, count(*)::int AS n FROM pg_stat_activity WHERE datname = '${name}' AND usename IN ('${ROLES.app}', '${ROLES.platform}') GROUP BY 1 ORDER BY 1`,
      );
      expect(logins.map((r) => r.login)).toEqual([ROLES.app, ROLES.platform]);
      await stop(run);
    }, 120_000);

    it('refuses to start when the runtime login could take a role that sees across businesses', async () => {
      // A login of its own (roles are the server's, not the database's), set up like brigade_app but a member of
      // brigade_platform without inheriting it: SET ROLE would take it past row-level security.
      const login = `brigade_member_${process.pid}`;
      await admin(`DROP ROLE IF EXISTS ${login}`);
      await admin(`CREATE ROLE ${login} LOGIN NOINHERIT IN ROLE ${ROLES.app}, ${ROLES.platform}`);
      try {
        const run = brigade('start', { DATABASE_URL: url(login), MIGRATION_DATABASE_URL: url(), PLATFORM_DATABASE_URL: url(ROLES.platform), PORT: String(await freePort()) });
        expect(await run.exited).not.toBe(0);
        expect(run.output()).toContain(`is a member of ${ROLES.platform}`);
      } finally {
        await admin(`DROP ROLE IF EXISTS ${login}`);
      }
    }, 120_000);
  });
}
