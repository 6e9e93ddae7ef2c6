import { useCallback } from 'react';
import { useSearchParams } from 'react-router';

/**
 * Changes some query parameters and keeps the others. React Router's setter starts from the
 * parameters of the last render, so two changes in one tick (two selects changed quickly) would
 * lose the first; reading the address bar at call time keeps both.
 */
export function useSearchParamUpdate(): (changes: Record<string, string | undefined>) => void {
  const [, setParams] = useSearchParams();
  return useCallback(
    (changes) => {
      const p = new URLSearchParams(window.location.search);
      for (const [k, v] of Object.entries(changes)) {
        if (v) p.set(k, v);
        else p.delete(k);
      }
      setParams(p, { replace: true });
    },
    [setParams],
  );
}
