/**
 * The whole role × permission matrix. A module adds its permissions here; permissions.test.ts checks every
 * cell, and test/routes.snapshot.test.ts shows which route needs which permission, so a change of access is a diff.
 */
export const TENANT_ROLES = ['owner', 'admin', 'location_manager', 'compliance_officer', 'manager', 'staff', 'auditor'] as const;
export type TenantRole = (typeof TENANT_ROLES)[number];

export const PLATFORM_ROLES = ['platform_admin', 'platform_support'] as const;
export type PlatformRole = (typeof PLATFORM_ROLES)[number];

/** Roles granted per location; the others hold across the whole tenant. */
export const LOCATION_SCOPED: ReadonlySet<TenantRole> = new Set(['location_manager', 'manager', 'staff']);

export const PERMISSIONS = {
  'identity.self': 'See and manage one\'s own account and sessions',
  'org.location.read': 'See locations',
  'org.location.create': 'Open a location',
  'org.location.update': 'Change a location',
  'identity.user.read': 'See the people of the business',
  'identity.invitation.create': 'Invite people',
  'identity.kiosk.manage': 'Register and revoke kiosks',
  'identity.api_key.manage': 'Create and revoke API keys for external systems',
  'audit.read': 'Read the audit trail and verify its chain',
  'cash.register.read': 'See registers, their drawers and the cash rules',
  'cash.drawer.operate': 'Open a drawer, record cash movements, count and submit it',
  'cash.reconciliation.read': 'See reconciliations (one\'s own, unless also allowed to read all)',
  'cash.reconciliation.all.read': 'See everyone\'s reconciliations and expected amounts at one\'s locations',
  'cash.reconciliation.approve': 'Approve or reject someone else\'s count',
  'cash.day.read': 'See business days, day closes and Z reports',
  'cash.day.close': 'Close and reopen a location\'s business day',
  'cash.report.read': 'See variance reports and export them',
  'cash.settings.manage': 'Configure registers, denominations, floats, tolerance, approval and deadline',
  'waitlist.queue.read': 'See the waitlist queues and the waitlist settings',
  'waitlist.queue.manage': 'Create, change, pause and delete waitlist queues',
  'waitlist.entry.read': 'See the live waitlist board, the guests and their chat',
  'waitlist.entry.serve': 'Add walk-ins; call, seat, reorder, cancel and chat with waiting guests',
  'waitlist.analytics.read': 'See waitlist analytics and export them',
  'waitlist.settings.manage': 'Change the waitlist\'s retention and guest message channels',
  'tenant.settings.update': 'Change business settings and branding',
  'tenant.billing.manage': 'Change plan and billing',
  'tenant.support.grant': 'Allow Brigade support to look in (read-only, for a while)',
  'tenant.delete': 'Delete the business',
} as const;
export type Permission = keyof typeof PERMISSIONS;

const ALL = Object.keys(PERMISSIONS) as Permission[];
export const ALL_PERMISSIONS: readonly Permission[] = ALL;
const READS = ALL.filter((p) => p.endsWith('.read'));
// Seed 000's matrix: staff count and submit and see their own; managers see all of their locations and approve.
const CASH_STAFF: Permission[] = ['cash.register.read', 'cash.drawer.operate', 'cash.reconciliation.read'];
const CASH_MANAGER: Permission[] = [...CASH_STAFF, 'cash.reconciliation.all.read', 'cash.reconciliation.approve', 'cash.day.read', 'cash.day.close', 'cash.report.read'];
// Seed 003: hosts serve the line; managers and above also shape the queues and read the analytics.
const WAITLIST_HOST: Permission[] = ['waitlist.queue.read', 'waitlist.entry.read', 'waitlist.entry.serve'];
const WAITLIST_MANAGER: Permission[] = [...WAITLIST_HOST, 'waitlist.queue.manage', 'waitlist.analytics.read'];

export const ROLE_PERMISSIONS: Record<TenantRole, readonly Permission[]> = {
  owner: ALL,
  admin: ALL.filter((p) => p !== 'tenant.billing.manage' && p !== 'tenant.delete' && p !== 'tenant.support.grant'),
  location_manager: [
    'identity.self', 'org.location.read', 'org.location.update', 'identity.user.read', 'identity.invitation.create', 'identity.kiosk.manage',
    ...CASH_MANAGER,
    ...WAITLIST_MANAGER,
  ],
  compliance_officer: ['identity.self', 'org.location.read', 'identity.user.read', 'audit.read'],
  manager: ['identity.self', 'org.location.read', 'identity.user.read', ...CASH_MANAGER, ...WAITLIST_MANAGER],
  staff: ['identity.self', 'org.location.read', ...CASH_STAFF, ...WAITLIST_HOST],
  // Auditors read everything and never write (their own password and sessions aside).
  auditor: ['identity.self', ...READS],
};

/** Who a role may invite: never a broader role than one's own. */
export const INVITABLE_BY: Record<TenantRole, readonly TenantRole[]> = {
  owner: TENANT_ROLES,
  admin: ['admin', 'location_manager', 'compliance_officer', 'manager', 'staff', 'auditor'],
  location_manager: ['manager', 'staff'],
  compliance_officer: [],
  manager: [],
  staff: [],
  auditor: [],
};

/** What a PIN session on a shared kiosk may do, whatever the person's roles allow elsewhere. */
export const KIOSK_PERMISSIONS: ReadonlySet<Permission> = new Set(['identity.self', 'org.location.read', 'cash.register.read', 'cash.drawer.operate', 'cash.reconciliation.read',
  'waitlist.queue.read', 'waitlist.entry.read', 'waitlist.entry.serve']);

/**
 * What an API key never holds, whatever its role: a key is an external system acting for the business, not a
 * person, so it has no account of its own (identity.self), cannot make more keys or invite people (both are
 * someone's decision, recorded as theirs), and never counts a cash drawer (a drawer is counted by the person
 * who answers for it).
 */
export const PERSON_ONLY: ReadonlySet<Permission> = new Set(['identity.self', 'identity.api_key.manage', 'identity.invitation.create', 'cash.drawer.operate',
  'tenant.support.grant', 'tenant.billing.manage', 'tenant.delete']);

/** A registered kiosk device itself (before anyone signs in on it) may only show the PIN pad. */
export const DEVICE_PERMISSIONS = ['identity.kiosk.device'] as const;

export const PLATFORM_PERMISSIONS = {
  'platform.tenants.read': 'See tenants',
  'platform.tenants.manage': 'Create and change tenants',
  'platform.outbox.read': 'Read mail kept in the outbox',
  'platform.audit.read': 'Read the platform audit log',
  'platform.settings.manage': 'Change the service’s own settings',
} as const;
export type PlatformPermission = keyof typeof PLATFORM_PERMISSIONS;

export const PLATFORM_ROLE_PERMISSIONS: Record<PlatformRole, readonly PlatformPermission[]> = {
  platform_admin: Object.keys(PLATFORM_PERMISSIONS) as PlatformPermission[],
  platform_support: ['platform.tenants.read', 'platform.outbox.read', 'platform.audit.read'],
};

export interface RoleAssignment {
  role: TenantRole;
  location_id: string | null;
}

/** Location ids where a permission holds, or 'all'. Pure, so the matrix test can drive it directly. */
export function scopeOf(assignments: readonly RoleAssignment[], permission: string, kiosk: boolean): 'all' | string[] {
  if (kiosk && !KIOSK_PERMISSIONS.has(permission as Permission)) return [];
  const ids = new Set<string>();
  for (const a of assignments) {
    if (!ROLE_PERMISSIONS[a.role]?.includes(permission as Permission)) continue;
    if (a.location_id === null || !LOCATION_SCOPED.has(a.role)) return 'all';
    ids.add(a.location_id);
  }
  return [...ids];
}
