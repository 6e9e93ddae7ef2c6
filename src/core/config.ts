import { z } from 'zod';

const bool = z
  .enum(['1', '0', 'true', 'false', ''])
  .optional()
  .transform((v) => v === '1' || v === 'true');

/** A switch that is on unless set to 0 or false. */
const onByDefault = z
  .enum(['1', '0', 'true', 'false', ''])
  .optional()
  .transform((v) => v !== '0' && v !== 'false');

// Every setting Brigade reads from the environment. README lists the same table; keep both in step.
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().url().optional(),
  MIGRATION_DATABASE_URL: z.string().url().optional(),
  PLATFORM_DATABASE_URL: z.string().url().optional(),
  DB_PLATFORM_POOL_SIZE: z.coerce.number().int().min(1).max(50).default(5),
  PGLITE_DIR: z.string().default('./data/pglite'),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  DB_PREPARED_STATEMENTS: onByDefault,
  BASE_DOMAIN: z.string().default('localhost'),
  PUBLIC_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().default('Brigade <no-reply@brigade.test>'),
  TWILIO_ACCOUNT_SID: z.string().optional(),
  TWILIO_AUTH_TOKEN: z.string().optional(),
  TWILIO_FROM: z.string().optional(),
  TWILIO_API_URL: z.string().url().default('https://api.twilio.com'),
  WHATSAPP_TOKEN: z.string().optional(),
  WHATSAPP_PHONE_NUMBER_ID: z.string().optional(),
  WHATSAPP_API_URL: z.string().url().default('https://graph.facebook.com'),
  /** Anonymous requests (guest pages, sign-in pages) per address and business per 15 minutes. */
  PUBLIC_REQUESTS_PER_IP: z.coerce.number().int().min(1).default(1000),
  /**
   * Where a custom domain's token is looked for, `{domain}` in it (default: http://{domain}/.well-known/…). Set only
   * to point the check at a local peer in tests; when set, the private-network guard is off.
   */
  DOMAIN_VERIFY_URL: z.string().optional(),
  BRIGADE_DEMO: bool,
  BRIGADE_DEMO_PASSWORD: z.string().min(8).max(128).default('brigade-demo-2026'),
  CORS_ORIGINS: z.string().default(''),
  TRUST_PROXY: bool,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().int().min(1).default(12),
  SESSION_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(5),
  CSRF_SECRET: z.string().min(32).optional(),
});

export type Config = z.infer<typeof envSchema> & {
  database: { kind: 'pg'; url: string; migrationUrl: string; platformUrl: string | undefined } | { kind: 'pglite'; dir: string };
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  if (c.NODE_ENV === 'production') {
    // Fail closed: several instances need one CSRF key, and session cookies must never travel in clear.
    if (!c.CSRF_SECRET) throw new Error('Invalid environment:\n  CSRF_SECRET: required in production (at least 32 characters, the same on every instance)');
    const url = c.PUBLIC_URL ? new URL(c.PUBLIC_URL) : null;
    if (!url || (url.protocol !== 'https:' && url.hostname !== 'localhost')) {
      throw new Error('Invalid environment:\n  PUBLIC_URL: required in production and must be https:// (cookies are Secure only over TLS)');
    }
  }
  const database: Config['database'] = c.DATABASE_URL
    ? { kind: 'pg', url: c.DATABASE_URL, migrationUrl: c.MIGRATION_DATABASE_URL ?? c.DATABASE_URL, platformUrl: c.PLATFORM_DATABASE_URL }
    : { kind: 'pglite', dir: c.PGLITE_DIR };
  return { ...c, database, ...overrides };
}
