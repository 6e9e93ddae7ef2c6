import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Conn } from './driver.ts';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../migrations');

/** The three database roles. Owner migrates and owns; app queries under RLS; platform is the audited cross-tenant path, a login of its own. */
export const ROLES = { owner: 'brigade_owner', app: 'brigade_app', platform: 'brigade_platform' } as const;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * Creates the roles when the connection may (a superuser does on PGlite, in CI and in development).
 * In production a superuser creates them once, as README says, and the migrator logs in as brigade_owner.
 */
export async function prepareRoles(conn: Conn): Promise<void> {
  const { rows } = await conn.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
  if (!rows[0]?.rolsuper) return;
  await conn.multi(`
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ROLES.owner}') THEN
        CREATE ROLE ${ROLES.owner} NOLOGIN NOSUPERUSER NOBYPASSRLS;
      END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ROLES.app}') THEN
        CREATE ROLE ${ROLES.app} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB NOINHERIT;
      END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ROLES.platform}') THEN
        CREATE ROLE ${ROLES.platform} LOGIN NOSUPERUSER BYPASSRLS NOCREATEROLE NOCREATEDB;
      END IF;
    END $$;
    -- The platform path logs in as brigade_platform; the runtime role is no member of it. On PostgreSQL a member may
    -- always SET ROLE to what it belongs to, so membership would let one statement in a tenant's transaction leave
    -- row-level security. The other way round is harmless: the platform path becomes the runtime role to run one
    -- tenant's work under that tenant's policy (PlatformTx.asTenant).
    REVOKE ${ROLES.platform} FROM ${ROLES.app};
    ALTER ROLE ${ROLES.platform} LOGIN;
    ALTER ROLE ${ROLES.app} NOINHERIT;
    GRANT ${ROLES.app} TO ${ROLES.platform};
    GRANT USAGE, CREATE ON SCHEMA public TO ${ROLES.owner};
  `);
  const db = await conn.query<{ d: string }>('SELECT current_database() AS d');
  const name = `"${db.rows[0]!.d.replace(/"/g, '""')}"`;
  await conn.multi(`GRANT CONNECT, TEMPORARY ON DATABASE ${name} TO ${ROLES.app}; GRANT CONNECT ON DATABASE ${name} TO ${ROLES.platform}`);
}

/** Applies pending migrations in order, each in its own transaction. Safe to run twice, and from two processes at once. */
export async function migrate(conn: Conn, migrations = readMigrations()): Promise<string[]> {
  await prepareRoles(conn);
  const { rows: who } = await conn.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
  const asOwner = who[0]?.rolsuper ? `SET LOCAL ROLE ${ROLES.owner};` : '';
  await conn.query('SELECT pg_advisory_lock(727274001)');
  try {
    await conn.multi(`${asOwner ? `SET ROLE ${ROLES.owner};` : ''}
      CREATE TABLE IF NOT EXISTS schema_migrations (
        name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
      ); ${asOwner ? 'RESET ROLE;' : ''}`);
    const done = new Map(
      (await conn.query<{ name: string; checksum: string }>('SELECT name, checksum FROM schema_migrations')).rows.map((r) => [r.name, r.checksum]),
    );
    const applied: string[] = [];
    for (const m of migrations) {
      const seen = done.get(m.name);
      if (seen) {
        if (seen !== m.checksum) throw new Error(`Migration ${m.name} was changed after it was applied; add a new migration instead.`);
        continue;
      }
      await conn.query('BEGIN');
      try {
        if (asOwner) await conn.query(`SET LOCAL ROLE ${ROLES.owner}`);
        await conn.multi(m.sql);
        await conn.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [m.name, m.checksum]);
        await conn.query('COMMIT');
      } catch (err) {
        await conn.query('ROLLBACK');
        throw new Error(`Migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.name);
    }
    return applied;
  } finally {
    await conn.query('SELECT pg_advisory_unlock(727274001)');
  }
}

export async function pendingMigrations(conn: Conn, migrations = readMigrations()): Promise<string[]> {
  const { rows } = await conn.query<{ exists: boolean }>("SELECT to_regclass('public.schema_migrations') IS NOT NULL AS exists");
  if (!rows[0]?.exists) return migrations.map((m) => m.name);
  const done = new Set((await conn.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
  return migrations.filter((m) => !done.has(m.name)).map((m) => m.name);
}
