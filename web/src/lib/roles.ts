import type { Role } from './session';

/** The roles in the order people think of them, with the words the pages use. */
export const ROLES: readonly Role[] = ['owner', 'admin', 'location_manager', 'compliance_officer', 'manager', 'staff', 'auditor'];

export const roleNames: Record<Role, string> = {
  owner: 'Owner',
  admin: 'Admin',
  location_manager: 'Location manager',
  compliance_officer: 'Compliance officer',
  manager: 'Manager',
  staff: 'Staff',
  auditor: 'Auditor',
};

// Mirrors src/identity/permissions.ts: the server decides; the pages only avoid offering what it would refuse.
export const LOCATION_SCOPED: ReadonlySet<Role> = new Set(['location_manager', 'manager', 'staff']);
export const INVITABLE_BY: Record<Role, readonly Role[]> = {
  owner: ROLES,
  admin: ['admin', 'location_manager', 'compliance_officer', 'manager', 'staff', 'auditor'],
  location_manager: ['manager', 'staff'],
  compliance_officer: [],
  manager: [],
  staff: [],
  auditor: [],
};
