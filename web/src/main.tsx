import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App } from './App';
import { ApiError } from './lib/api';
import './styles.css';

/**
 * A business suspended while its pages are open answers `tenant_suspended` to the next request, whichever it is:
 * asking for the business again lets the whole app switch to the "suspended" (or, for guests, "unavailable") page
 * instead of each page showing its own error. The business's own query is left out, or it would ask forever.
 */
function whenSuspended(err: unknown, key?: readonly unknown[]) {
  if (err instanceof ApiError && err.code === 'tenant_suspended' && key?.[0] !== 'business') void queryClient.invalidateQueries({ queryKey: ['business'] });
}

const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({ onError: (err, query) => whenSuspended(err, query.queryKey) }),
  mutationCache: new MutationCache({ onError: (err) => whenSuspended(err) }),
  defaultOptions: {
    queries: { refetchOnWindowFocus: true, retry: (count, err) => count < 2 && (err as { status?: number }).status === 0 },
    mutations: { retry: false },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
