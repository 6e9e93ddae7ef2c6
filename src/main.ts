import { loadConfig } from './core/config.ts';
import { pgDriver, pgliteDriver } from './core/db/driver.ts';
import { migrate } from './core/db/migrate.ts';
import { buildServer } from './server.ts';
import { seedDemo, type DemoSignIns } from './platform/demo.ts';

const command = process.argv[2] ?? 'start';
const config = loadConfig();

async function runMigrations(): Promise<string[]> {
  if (config.database.kind === 'pglite') {
    const driver = await pgliteDriver(config.database.dir);
    const conn = await driver.acquire();
    try {
      return await migrate(conn);
    } finally {
      conn.release();
      await driver.close();
    }
  }
  const driver = pgDriver(config.database.migrationUrl, { max: 1 });
  const conn = await driver.acquire();
  try {
    return await migrate(conn);
  } finally {
    conn.release();
    await driver.close();
  }
}

function printSignIns(s: DemoSignIns, port: number): void {
  const lines = [
    '',
    'Demo data created. Sign in with these (shown once):',
    `  password for every demo account: ${s.password}    kiosk PIN: ${s.pin}`,
    `  platform admin: ${s.platformAdmin} at http://localhost:${port}/platform (sets up an authenticator app at the first sign-in)`,
    `  a new business: http://localhost:${port}/sign-up`,
    ...s.tenants.flatMap((t) => [`  ${t.slug}: http://${t.slug}.localhost:${port}  (or http://localhost:${port}/t/${t.slug}/)`, ...t.users.map((u) => `      ${u}`)]),
    '',
  ];
  console.log(lines.join('\n'));
}

async function main(): Promise<void> {
  if (command === 'migrate') {
    const applied = await runMigrations();
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
    return;
  }
  if (command !== 'start' && command !== 'seed') throw new Error(`Unknown command ${command}. Use start, migrate or seed.`);
  const app = await buildServer(config, { startJobs: command === 'start' });
  const demo = config.database.kind === 'pglite' || config.BRIGADE_DEMO || command === 'seed';
  if (demo) {
    const seeded = await seedDemo(app.brigade.db, config.BRIGADE_DEMO_PASSWORD);
    if (seeded) printSignIns(seeded, config.PORT);
  }
  if (command === 'seed') {
    await app.close();
    return;
  }
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await app.listen({ port: config.PORT, host: config.HOST });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
