import { v7 as uuidv7 } from 'uuid';
import { writeAudit, writePlatformAudit } from '../core/audit.ts';
import type { Database } from '../core/db/tx.ts';
import { TENANT_ROLES, LOCATION_SCOPED } from '../identity/permissions.ts';
import { createPlatformUser, createUser } from '../identity/service.ts';
import { hashSecret } from '../identity/secrets.ts';
import { createLocationRow } from '../org/service.ts';
import { createStarterQueue, seedDemoLine } from '../waitlist/service.ts';
import { createRegister, listRegisters, seedPastDays } from '../cash/service.ts';
import { createTenant, tenantCount } from './service.ts';

export const DEMO_PIN = '1234';
const SYSTEM = { type: 'system' as const, id: null, label: 'demo-seed' };
const META = { ip: null, userAgent: null, requestId: null };

const DEMO_TENANTS = [
  { slug: 'demo', name: 'Demo Bistro', location: 'Main Street', timeZone: 'America/New_York' },
  { slug: 'demo2', name: 'Second Demo Cafe', location: 'Harbour Road', timeZone: 'Europe/London' },
];

export interface DemoSignIns {
  platformAdmin: string;
  tenants: { slug: string; users: string[] }[];
  password: string;
  pin: string;
}

export interface SeededTenant {
  id: string;
  slug: string;
  name: string;
  locationId: string;
  /** User id of the one person holding each role. */
  users: Record<(typeof TENANT_ROLES)[number], string>;
}

/** A business with one location and one person per role (`{role}@{slug}.brigade.test`), for the demo and for tests. */
export async function seedTenant(
  db: Database,
  t: { slug: string; name: string; location?: string; timeZone?: string },
  secrets: { password: string; pin: string },
): Promise<SeededTenant> {
  const id = uuidv7();
  const timeZone = t.timeZone ?? 'America/New_York';
  await db.withPlatform(SYSTEM, async (tx) => {
    await createTenant(tx, id, { slug: t.slug, name: t.name, timeZone });
    await writePlatformAudit(tx, META, { action: 'tenant.created', resourceType: 'tenant', resourceId: id, targetTenantId: id, risk: 'high', changes: { slug: t.slug } });
  });
  // One hash for everyone: seeding seven people should not cost fourteen argon2 runs.
  const [passwordHash, pinHash] = await Promise.all([hashSecret(secrets.password), hashSecret(secrets.pin)]);
  return db.withTenant(id, SYSTEM, 'write', async (tx) => {
    const location = await createLocationRow(tx, { name: t.location ?? 'Main Street', address: null, time_zone: timeZone });
    const users = {} as SeededTenant['users'];
    for (const role of TENANT_ROLES) {
      users[role] = await createUser(tx, {
        email: `${role}@${t.slug}.brigade.test`,
        name: `${role.replace('_', ' ').replace(/^./, (c) => c.toUpperCase())} (${t.name})`,
        passwordHash,
        pinHash,
        roles: [{ role, location_id: LOCATION_SCOPED.has(role) ? location.id : null }],
      });
    }
    // Starter data of the cash module: a register to count at the end of the first day.
    await createRegister(tx, { location_id: location.id, name: 'Main register' });
    // …and of the waitlist: a queue to put the first walk-in in.
    await createStarterQueue(tx, location.id);
    await writeAudit(tx, META, { action: 'tenant.seeded', resourceType: 'tenant', resourceId: id, risk: 'low', changes: { people: TENANT_ROLES.length } });
    return { id, slug: t.slug, name: t.name, locationId: location.id, users };
  });
}

/** On an empty database: two demo businesses, one person per role in each, and a platform admin. */
export async function seedDemo(db: Database, password: string): Promise<DemoSignIns | null> {
  const empty = await db.withPlatform(SYSTEM, async (tx) => (await tenantCount(tx)) === 0);
  if (!empty) return null;
  const out: DemoSignIns = { platformAdmin: 'admin@brigade.test', tenants: [], password, pin: DEMO_PIN };
  for (const t of DEMO_TENANTS) {
    const seeded = await seedTenant(db, { slug: t.slug, name: t.name, location: t.location, timeZone: t.timeZone }, { password, pin: DEMO_PIN });
    const [{ currency }] = (await db.withPlatform(SYSTEM, (tx) => tx.query<{ currency: string }>(`SELECT currency FROM tenants WHERE id = $1`, [seeded.id]))) as [{ currency: string }];
    // Two weeks of counted and closed days, so the cash reports and Z reports of the demo show something.
    await db.withTenant(seeded.id, SYSTEM, 'write', async (tx) => {
      const { items } = await listRegisters(tx, 'all', { location_id: seeded.locationId });
      await seedPastDays(tx, { currency }, { locationId: seeded.locationId, registerId: items[0]!.id, staffId: seeded.users.staff, managerId: seeded.users.manager, days: 14 });
      // Four weeks of waitlist evenings and tonight's line, for the board, the estimates and the analytics.
      const [queue] = await tx.query<{ id: string }>(`SELECT id FROM waitlist_queues WHERE tenant_id = $1 ORDER BY created_at LIMIT 1`, [tx.tenantId]);
      await seedDemoLine(tx, queue!.id, 28);
    });
    out.tenants.push({ slug: t.slug, users: TENANT_ROLES.map((r) => `${r}@${t.slug}.brigade.test`) });
  }
  await db.withPlatform(SYSTEM, async (tx) => {
    const adminId = await createPlatformUser(tx, { email: out.platformAdmin, name: 'Platform Admin', password, role: 'platform_admin' });
    await writePlatformAudit(tx, META, { action: 'platform_user.created', resourceType: 'platform_user', resourceId: adminId, risk: 'high' });
  });
  return out;
}
