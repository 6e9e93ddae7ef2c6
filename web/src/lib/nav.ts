/**
 * The signed-in navigation. A module adds its pages here with the permission that opens them; the layout shows an
 * entry only when the session holds that permission somewhere, so staff and owners see different menus.
 */
export interface NavEntry {
  to: string;
  label: string;
  /** Shown when the session holds this permission at any location; none means everyone signed in. */
  permission?: string;
}

export const navigation: NavEntry[] = [
  { to: '/', label: 'Today' },
  { to: '/waitlist', label: 'Waitlist', permission: 'waitlist.entry.read' },
  { to: '/cash', label: 'Cash', permission: 'cash.register.read' },
  { to: '/locations', label: 'Locations', permission: 'org.location.read' },
  { to: '/people', label: 'People', permission: 'identity.user.read' },
  { to: '/kiosks', label: 'Kiosks', permission: 'identity.kiosk.manage' },
  { to: '/api-keys', label: 'API keys', permission: 'identity.api_key.manage' },
  { to: '/audit', label: 'Audit log', permission: 'audit.read' },
  { to: '/settings', label: 'Settings', permission: 'tenant.settings.update' },
  { to: '/support-access', label: 'Support access', permission: 'tenant.support.grant' },
  { to: '/usage', label: 'Plan and usage', permission: 'tenant.billing.manage' },
  { to: '/account', label: 'My account' },
];
