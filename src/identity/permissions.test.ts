import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../../test/harness.ts';
import { buildPrincipal } from './service.ts';
import {
  DEVICE_PERMISSIONS,
  INVITABLE_BY,
  KIOSK_PERMISSIONS,
  LOCATION_SCOPED,
  PERMISSIONS,
  PLATFORM_PERMISSIONS,
  PLATFORM_ROLE_PERMISSIONS,
  PLATFORM_ROLES,
  ROLE_PERMISSIONS,
  TENANT_ROLES,
  scopeOf,
  type RoleAssignment,
  type TenantRole,
} from './permissions.ts';

/**
 * The role × permission matrix, written out by hand. Changing who may do what means changing this grid:
 * the change is then visible in review as a diff of this file, cell by cell.
 * Columns: owner, admin, location_manager, compliance_officer, manager, staff, auditor. `x` = granted.
 */
const EXPECTED = `
                                owner admin loc_mgr compliance manager staff auditor
identity.self                     x     x      x        x         x      x      x
org.location.read                 x     x      x        x         x      x      x
org.location.create               x     x      .        .         .      .      .
org.location.update               x     x      x        .         .      .      .
identity.user.read                x     x      x        x         x      .      x
identity.invitation.create        x     x      x        .         .      .      .
identity.kiosk.manage             x     x      x        .         .      .      .
identity.api_key.manage           x     x      .        .         .      .      .
audit.read                        x     x      .        x         .      .      x
tenant.settings.update            x     x      .        .         .      .      .
cash.register.read                x     x      x        .         x      x      x
cash.drawer.operate               x     x      x        .         x      x      .
cash.reconciliation.read          x     x      x        .         x      x      x
cash.reconciliation.all.read      x     x      x        .         x      .      x
cash.reconciliation.approve       x     x      x        .         x      .      .
cash.day.read                     x     x      x        .         x      .      x
cash.day.close                    x     x      x        .         x      .      .
cash.report.read                  x     x      x        .         x      .      x
cash.settings.manage              x     x      .        .         .      .      .
waitlist.queue.read               x     x      x        .         x      x      x
waitlist.queue.manage             x     x      x        .         x      .      .
waitlist.entry.read               x     x      x        .         x      x      x
waitlist.entry.serve              x     x      x        .         x      x      .
waitlist.analytics.read           x     x      x        .         x      .      x
waitlist.settings.manage          x     x      .        .         .      .      .
tenant.billing.manage             x     .      .        .         .      .      .
tenant.support.grant              x     .      .        .         .      .      .
tenant.delete                     x     .      .        .         .      .      .
`;

const COLUMNS: readonly TenantRole[] = ['owner', 'admin', 'location_manager', 'compliance_officer', 'manager', 'staff', 'auditor'];

function parseGrid(grid: string): Map<string, Map<TenantRole, boolean>> {
  const lines = grid.split('\n').map((l) => l.trim()).filter(Boolean).slice(1);
  const out = new Map<string, Map<TenantRole, boolean>>();
  for (const line of lines) {
    const [permission, ...cells] = line.split(/\s+/);
    if (!permission || cells.length !== COLUMNS.length) throw new Error(`matrix line "${line}" needs ${COLUMNS.length} cells`);
    out.set(permission, new Map(COLUMNS.map((role, i) => [role, cells[i] === 'x'])));
  }
  return out;
}

const expected = parseGrid(EXPECTED);
const cells = TENANT_ROLES.flatMap((role) => Object.keys(PERMISSIONS).map((permission) => ({ role, permission })));

describe('the role × permission matrix', () => {
  it('the written matrix names every role and every permission, no more and no fewer', () => {
    expect([...COLUMNS]).toEqual([...TENANT_ROLES]);
    expect([...expected.keys()].sort()).toEqual(Object.keys(PERMISSIONS).sort());
  });

  it.each(cells)('$role: $permission is exactly as the written matrix says', ({ role, permission }) => {
    const want = expected.get(permission)?.get(role);
    expect(ROLE_PERMISSIONS[role].includes(permission as never), `${role} × ${permission}`).toBe(want);
    // A tenant-wide assignment grants the cell everywhere; a missing cell grants it nowhere.
    const scope = scopeOf([{ role, location_id: LOCATION_SCOPED.has(role) ? 'a1b2c3d4-0000-7000-8000-000000000001' : null }], permission, false);
    expect(scope === 'all' || scope.length > 0, `scopeOf for ${role} × ${permission}`).toBe(want);
  });

  it('an auditor reads and never writes: every permission they hold is a read, besides their own account', () => {
    const writes = ROLE_PERMISSIONS.auditor.filter((p) => !p.endsWith('.read') && p !== 'identity.self');
    expect(writes).toEqual([]);
  });

  it('only the owner changes billing, lets support in, or deletes the business', () => {
    for (const p of ['tenant.billing.manage', 'tenant.support.grant', 'tenant.delete'] as const) {
      expect(TENANT_ROLES.filter((r) => ROLE_PERMISSIONS[r].includes(p)), p).toEqual(['owner']);
    }
  });

  it('nobody can invite a role that may do something they may not', () => {
    for (const inviter of TENANT_ROLES) {
      for (const invitee of INVITABLE_BY[inviter]) {
        const broader = ROLE_PERMISSIONS[invitee].filter((p) => !ROLE_PERMISSIONS[inviter].includes(p));
        expect(broader, `${inviter} may invite ${invitee}`).toEqual([]);
      }
    }
  });

  it('platform roles hold only platform permissions, and support cannot manage tenants', () => {
    for (const role of PLATFORM_ROLES) {
      for (const p of PLATFORM_ROLE_PERMISSIONS[role]) expect(Object.keys(PLATFORM_PERMISSIONS), `${role}: ${p}`).toContain(p);
    }
    expect(PLATFORM_ROLE_PERMISSIONS.platform_support).not.toContain('platform.tenants.manage');
    for (const p of Object.keys(PLATFORM_PERMISSIONS)) expect(Object.keys(PERMISSIONS)).not.toContain(p);
  });
});

describe('where a permission holds', () => {
  const harbour = '0193aaaa-0000-7000-8000-00000000000a';
  const quay = '0193aaaa-0000-7000-8000-00000000000b';

  it('a manager at one site and staff at another see both sites, and manage people only where they manage', () => {
    const roles: RoleAssignment[] = [
      { role: 'manager', location_id: harbour },
      { role: 'staff', location_id: quay },
    ];
    expect(scopeOf(roles, 'org.location.read', false)).toEqual([harbour, quay]);
    expect(scopeOf(roles, 'identity.user.read', false)).toEqual([harbour]);
    expect(scopeOf(roles, 'org.location.update', false)).toEqual([]);
  });

  it('a location manager changes only their own location; an admin changes every location', () => {
    expect(scopeOf([{ role: 'location_manager', location_id: quay }], 'org.location.update', false)).toEqual([quay]);
    expect(scopeOf([{ role: 'admin', location_id: null }], 'org.location.update', false)).toBe('all');
  });

  it('tenant-wide roles hold everywhere even when assigned at one location', () => {
    for (const role of TENANT_ROLES.filter((r) => !LOCATION_SCOPED.has(r))) {
      expect(scopeOf([{ role, location_id: harbour }], 'org.location.read', false), role).toBe('all');
    }
  });

  it('a kiosk allows one\'s own account, the cash drawer (count, never approve) and hosting the waitlist (never shaping it)', () => {
    expect([...KIOSK_PERMISSIONS].sort()).toEqual([
      'cash.drawer.operate', 'cash.reconciliation.read', 'cash.register.read', 'identity.self', 'org.location.read',
      'waitlist.entry.read', 'waitlist.entry.serve', 'waitlist.queue.read',
    ]);
  });

  it('on a shared kiosk even the owner may do only what a kiosk allows', () => {
    const owner: RoleAssignment[] = [{ role: 'owner', location_id: null }];
    for (const p of Object.keys(PERMISSIONS)) {
      const s = scopeOf(owner, p, true);
      if (KIOSK_PERMISSIONS.has(p as never)) expect(s, p).toBe('all');
      else expect(s, p).toEqual([]);
    }
  });

  it('a PIN session acts only at the kiosk’s own location and only within the kiosk permissions', () => {
    const principal = buildPrincipal(
      '0193bbbb-0000-7000-8000-000000000001',
      {
        id: '0193bbbb-0000-7000-8000-000000000002',
        user_id: '0193bbbb-0000-7000-8000-000000000003',
        kind: 'pin',
        kiosk_id: '0193bbbb-0000-7000-8000-000000000004',
        kiosk_location_id: quay,
        name: 'Owner',
        email: 'owner@example.com',
        roles: [{ role: 'owner', location_id: null }],
      },
      true,
    );
    expect(principal.kind).toBe('pin_session');
    expect(principal.scope('org.location.read')).toEqual([quay]);
    expect(principal.at('org.location.read', harbour)).toBe(false);
    for (const p of Object.keys(PERMISSIONS).filter((x) => !KIOSK_PERMISSIONS.has(x as never))) {
      expect(principal.has(p), p).toBe(false);
    }
  });
});

describe('routes and the matrix', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t.close());

  it('every permission a route asks for is one the matrix knows', () => {
    const tenant = new Set<string>([...Object.keys(PERMISSIONS), ...DEVICE_PERMISSIONS]);
    const platform = new Set<string>(Object.keys(PLATFORM_PERMISSIONS));
    const routes = t.app.brigade.routes;
    expect(routes.filter((r) => r.access === 'tenant').length).toBeGreaterThan(0);
    for (const r of routes) {
      const name = `${r.method} ${r.url}`;
      if (r.access === 'tenant' || r.access === 'tenant_cross') expect(tenant.has(r.permission), `${name} asks for unknown tenant permission ${r.permission}`).toBe(true);
      else if (r.access === 'platform') expect(platform.has(r.permission), `${name} asks for unknown platform permission ${r.permission}`).toBe(true);
      else expect('permission' in r, `${name} is ${r.access} and must not declare a permission`).toBe(false);
    }
  });
});
