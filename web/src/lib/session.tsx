import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, getAll, setCsrfToken } from './api';

export type { TenantRole as Role } from '../../../src/identity/permissions.ts';
import type { TenantRole as Role } from '../../../src/identity/permissions.ts';

export interface Session {
  user: { id: string; email: string; name: string; has_pin: boolean };
  /** `roles_in_use`: the roles the business works with (its template's, or the owner's choice). */
  tenant: { id: string; slug: string; name: string; roles_in_use: Role[] };
  /** A support session is Brigade support looking in, read-only (see `support`); it is nobody of the business. */
  kind: 'session' | 'pin_session' | 'kiosk_device' | 'support_session';
  kiosk_id: string | null;
  roles: { role: Role; location_id: string | null }[];
  permissions: Record<string, 'all' | string[]>;
  /** Set while Brigade support looks in through a support session (read-only, until expires_at). */
  support?: { operator_label: string; expires_at: string } | null;
}

/** The business this address belongs to, readable before signing in (name and branding on the sign-in page). */
export interface Business {
  slug: string;
  name: string;
  locale: string;
  currency: string;
  time_zone: string;
  brand_color: string;
  date_format: string;
  time_format: string;
  /** The business's logo (on its sign-in and guest pages), when it has one. */
  logo_url: string | null;
}

export interface Location {
  id: string;
  name: string;
  time_zone: string;
  address: string | null;
  version: number;
}

/** Whether the session holds a permission, anywhere or at one location. */
export function can(session: Session | null | undefined, permission: string, locationId?: string | null): boolean {
  const scope = session?.permissions[permission];
  if (!scope) return false;
  if (scope === 'all') return true;
  return locationId ? scope.includes(locationId) : scope.length > 0;
}

export function useBusiness() {
  // Not asked again because one more component shows the business: the page shown when it cannot be had (a
  // suspended business) uses it too, and asking again on its mount would blank the page and ask forever.
  return useQuery({ queryKey: ['business'], queryFn: () => api.get<Business>('/tenant'), staleTime: 5 * 60_000, retry: false, retryOnMount: false });
}

/** The signed-in person, or null when nobody is (a 401 is an answer here, not an error). */
export function useSession() {
  return useQuery({
    queryKey: ['session'],
    queryFn: async () => {
      try {
        return await api.get<Session>('/auth/session');
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
}

/** After sign-in, sign-out or a change of account: keep the CSRF token and refetch who is signed in. */
export function useSessionChanged() {
  const client = useQueryClient();
  return async (csrfToken: string | null) => {
    setCsrfToken(csrfToken);
    if (csrfToken === null) {
      // Signed out: everyone on screen learns it at once, and nothing of the person's data stays in memory.
      client.setQueryData(['session'], null);
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== 'business' && q.queryKey[0] !== 'session' });
      return;
    }
    await client.invalidateQueries({ queryKey: ['session'] });
  };
}

interface LocationChoice {
  locations: Location[];
  /** False until the list has arrived: a page naming locations waits for it rather than say "another location". */
  loaded: boolean;
  current: Location | null;
  choose(id: string): void;
}

const LocationContext = createContext<LocationChoice>({ locations: [], loaded: false, current: null, choose: () => {} });

/** The location the person is working at, remembered per business in this browser. */
export function LocationProvider({ slug, children }: { slug: string; children: ReactNode }) {
  const key = `brigade.location.${slug}`;
  const { data } = useQuery({
    queryKey: ['locations', 'switcher'],
    queryFn: () => getAll<Location>('/locations'),
    staleTime: 60_000,
  });
  const [chosen, setChosen] = useState<string | null>(() => localStorage.getItem(key));
  const locations = useMemo(() => data ?? [], [data]);
  const current = locations.find((l) => l.id === chosen) ?? locations[0] ?? null;
  useEffect(() => {
    if (chosen) localStorage.setItem(key, chosen);
  }, [key, chosen]);
  const loaded = data !== undefined;
  const value = useMemo(() => ({ locations, loaded, current, choose: setChosen }), [locations, loaded, current]);
  return <LocationContext.Provider value={value}>{children}</LocationContext.Provider>;
}

export function useCurrentLocation(): LocationChoice {
  return useContext(LocationContext);
}
