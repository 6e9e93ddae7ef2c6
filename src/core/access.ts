/** What a verified credential may do. Built by identity from the role matrix; checked by core's route machinery. */
export interface Principal {
  /** A support session is an operator looking in, read-only, while the business's owner allows it. */
  kind: 'session' | 'pin_session' | 'kiosk_device' | 'support_session';
  tenantId: string;
  userId: string | null;
  sessionId: string | null;
  kioskId: string | null;
  label: string;
  /** Cookie-borne credentials need a CSRF token on unsafe methods. */
  viaCookie: boolean;
  has(permission: string): boolean;
  /** True when the permission is granted tenant-wide or at this location. */
  at(permission: string, locationId: string): boolean;
  /** The locations where the permission holds: 'all' for tenant-wide roles. */
  scope(permission: string): 'all' | string[];
}

export interface PlatformPrincipal {
  userId: string;
  sessionId: string;
  label: string;
  role: 'platform_admin' | 'platform_support';
  viaCookie: boolean;
  has(permission: string): boolean;
}
