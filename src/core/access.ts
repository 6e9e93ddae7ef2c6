/** What a verified credential may do. Built by identity from the role matrix; checked by core's route machinery. */
export interface Principal {
  /**
   * A support session is an operator looking in, read-only, while the business's owner allows it.
   * An API key is an external system acting for the business: it has a role, never a person (userId is null).
   */
  kind: 'session' | 'pin_session' | 'kiosk_device' | 'support_session' | 'api_key';
  tenantId: string;
  userId: string | null;
  sessionId: string | null;
  kioskId: string | null;
  /** Set for an API key: the key, named as the actor of what it does. */
  apiKeyId?: string;
  label: string;
  /** Cookie-borne credentials need a CSRF token on unsafe methods. */
  viaCookie: boolean;
  has(permission: string): boolean;
  /** True when the permission is granted tenant-wide or at this location. */
  at(permission: string, locationId: string): boolean;
  /** The locations where the permission holds: 'all' for tenant-wide roles. */
  scope(permission: string): 'all' | string[];
}

/** `has` and `at` as every principal answers them: from the locations where a permission holds. */
export function scopeChecks(scope: (permission: string) => 'all' | string[]): Pick<Principal, 'has' | 'at' | 'scope'> {
  return {
    has: (p) => {
      const s = scope(p);
      return s === 'all' || s.length > 0;
    },
    at: (p, locationId) => {
      const s = scope(p);
      return s === 'all' || s.includes(locationId);
    },
    scope,
  };
}

export interface PlatformPrincipal {
  userId: string;
  sessionId: string;
  label: string;
  role: 'platform_admin' | 'platform_support';
  viaCookie: boolean;
  has(permission: string): boolean;
}
