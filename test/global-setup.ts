import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';
import { migrate } from '../src/core/db/migrate.ts';
import { pgDriver } from '../src/core/db/driver.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate: string | null;
  }
}

/**
 * With DATABASE_URL (a superuser on a PostgreSQL server) the suite migrates one template database; each test
 * file then gets its own copy. Without it, every file runs on its own in-memory PGlite.
 */
export default async function setup(project: TestProject) {
  // The browser tests drive the built app, so it is built from the sources under test first (about a second).
  // BRIGADE_TEST_NO_WEB_BUILD=1 leaves web/dist alone, for API-only runs next to someone's browser tests.
  if (!process.env.BRIGADE_TEST_NO_WEB_BUILD) {
    await build({ configFile: fileURLToPath(new URL('../web/vite.config.ts', import.meta.url)), logLevel: 'warn' });
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    project.provide('pgTemplate', null);
    return;
  }
  const template = `brigade_tpl_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  const target = new URL(url);
  target.pathname = `/${template}`;
  const driver = pgDriver(target.toString(), { max: 1 });
  const conn = await driver.acquire();
  await migrate(conn);
  conn.release();
  await driver.close();
  project.provide('pgTemplate', template);
  return async () => {
    // Leftover per-file databases of this run, then the template.
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`brigade_t_${process.pid}_%`]);
    for (const r of rows) await admin.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`);
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.end();
  };
}
