import type { Role } from './session';

// The role matrix itself, from the server's own file (it imports nothing), so the pages never drift from it: the
// server decides; the pages only avoid offering what it would refuse.
export { INVITABLE_BY, LOCATION_SCOPED, TENANT_ROLES as ROLES } from '../../../src/identity/permissions.ts';

export const roleNames: Record<Role, string> = {
  owner: 'Owner',
  admin: 'Admin',
  location_manager: 'Location manager',
  compliance_officer: 'Compliance officer',
  manager: 'Manager',
  staff: 'Staff',
  auditor: 'Auditor',
};
