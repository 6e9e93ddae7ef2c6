import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('configuration', () => {
  it('without DATABASE_URL Brigade runs on the embedded database in ./data', () => {
    const c = loadConfig({} as NodeJS.ProcessEnv);
    expect(c.database).toEqual({ kind: 'pglite', dir: './data/pglite' });
    expect(c.PORT).toBe(3000);
  });

  it('with DATABASE_URL the migrator uses MIGRATION_DATABASE_URL, or the same URL when none is given', () => {
    const one = loadConfig({ DATABASE_URL: 'postgres://app@db/brigade' } as NodeJS.ProcessEnv);
    expect(one.database).toEqual({ kind: 'pg', url: 'postgres://app@db/brigade', migrationUrl: 'postgres://app@db/brigade', platformUrl: undefined });
    const two = loadConfig({ DATABASE_URL: 'postgres://app@db/brigade', MIGRATION_DATABASE_URL: 'postgres://owner@db/brigade' } as NodeJS.ProcessEnv);
    expect(two.database).toMatchObject({ migrationUrl: 'postgres://owner@db/brigade' });
  });

  it('production refuses to start without a shared CSRF key or over plain http', () => {
    const base = { NODE_ENV: 'production', PUBLIC_URL: 'https://brigade.example', CSRF_SECRET: 'x'.repeat(32) };
    expect(() => loadConfig(base as NodeJS.ProcessEnv)).not.toThrow();
    expect(() => loadConfig({ ...base, CSRF_SECRET: undefined } as NodeJS.ProcessEnv)).toThrow(/CSRF_SECRET/);
    expect(() => loadConfig({ ...base, PUBLIC_URL: 'http://brigade.example' } as NodeJS.ProcessEnv)).toThrow(/PUBLIC_URL/);
  });

  it('prepared statements are on unless turned off (behind a pooler in transaction mode)', () => {
    expect(loadConfig({} as NodeJS.ProcessEnv).DB_PREPARED_STATEMENTS).toBe(true);
    expect(loadConfig({ DB_PREPARED_STATEMENTS: '1' } as NodeJS.ProcessEnv).DB_PREPARED_STATEMENTS).toBe(true);
    expect(loadConfig({ DB_PREPARED_STATEMENTS: '0' } as NodeJS.ProcessEnv).DB_PREPARED_STATEMENTS).toBe(false);
    expect(loadConfig({ DB_PREPARED_STATEMENTS: 'false' } as NodeJS.ProcessEnv).DB_PREPARED_STATEMENTS).toBe(false);
    expect(() => loadConfig({ DB_PREPARED_STATEMENTS: 'no' } as NodeJS.ProcessEnv)).toThrow(/DB_PREPARED_STATEMENTS/);
  });

  it('a malformed setting names the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' } as NodeJS.ProcessEnv)).toThrow(/PORT/);
  });
});
