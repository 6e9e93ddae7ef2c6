import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, setCsrfToken } from '../lib/api';
import type { OperatorSession } from './types';

export const operatorKey = ['platform', 'session'] as const;

/**
 * The signed-in operator, or null when nobody is (a 401 is an answer here). The answer carries a fresh CSRF token
 * for the platform session, so a reloaded back office can make changes without signing in again.
 */
export function useOperator() {
  return useQuery({
    queryKey: operatorKey,
    queryFn: async () => {
      try {
        const s = await api.get<OperatorSession>('/platform/auth/session');
        setCsrfToken(s.csrf_token);
        return s;
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
}

/** After signing in or out: keep the token, and ask again who is signed in (or forget everything on sign-out). */
export function useOperatorChanged() {
  const client = useQueryClient();
  return async (csrfToken: string | null) => {
    setCsrfToken(csrfToken);
    if (csrfToken === null) {
      client.setQueryData(operatorKey, null);
      client.removeQueries({ predicate: (q) => !(q.queryKey[0] === 'platform' && q.queryKey[1] === 'session') });
      return;
    }
    await client.invalidateQueries({ queryKey: operatorKey });
  };
}

export const mayManage = (s: OperatorSession | null | undefined) => Boolean(s?.permissions.includes('platform.tenants.manage'));
