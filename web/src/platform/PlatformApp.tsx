import { useEffect, type ReactNode } from 'react';
import { createBrowserRouter, Navigate, NavLink, Outlet, RouterProvider, useLocation, useNavigate } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, setCsrfSource } from '../lib/api';
import { Button, cx, ErrorState, Loading, errorMessage } from '../ui';
import { mayManage, operatorKey, useOperator, useOperatorChanged } from './session';
import { PlatformSignInPage } from './SignIn';
import { TenantsPage } from './Tenants';
import { NewTenantPage } from './NewTenant';
import { TenantPage } from './Tenant';
import { DashboardPage } from './Dashboard';
import { PlatformAuditPage } from './Audit';
import { UsersPage } from './Users';
import { PlatformSettingsPage } from './Settings';
import type { OperatorSession } from './types';

// This module loads only in the back office: a change refused for want of a token asks the operator's session for
// a fresh one, not a business's.
setCsrfSource('/platform/auth/session');

/** Back-office pages need an operator who passed both sign-in steps; anyone else goes to its sign-in page. */
function RequireOperator({ children }: { children: ReactNode }) {
  const operator = useOperator();
  const location = useLocation();
  if (operator.isPending) return <Loading />;
  if (operator.isError)
    return (
      <main className="mx-auto max-w-lg p-8">
        <ErrorState error={operator.error} retry={() => void operator.refetch()} />
      </main>
    );
  if (!operator.data) {
    const next = location.pathname + location.search;
    return <Navigate to={`/platform/sign-in${next !== '/platform' ? `?next=${encodeURIComponent(next)}` : ''}`} replace />;
  }
  return <>{children}</>;
}

const router = createBrowserRouter([
  { path: '/platform/sign-in', element: <PlatformSignInPage /> },
  {
    path: '/platform',
    element: (
      <RequireOperator>
        <BackOffice />
      </RequireOperator>
    ),
    children: [
      { index: true, element: <TenantsPage /> },
      { path: 'tenants/new', element: <NewTenantPage /> },
      { path: 'tenants/:id', element: <TenantPage /> },
      { path: 'dashboard', element: <DashboardPage /> },
      { path: 'users', element: <UsersPage /> },
      { path: 'audit', element: <PlatformAuditPage /> },
      { path: 'settings', element: <PlatformSettingsPage /> },
      { path: '*', element: <Navigate to="/platform" replace /> },
    ],
  },
]);

export function PlatformApp() {
  const client = useQueryClient();
  useEffect(() => {
    document.title = 'Back office · Brigade';
  }, []);
  useEffect(() => {
    // The operator's session ended (idle, revoked, signed out in another tab): a page or a change that meets the
    // 401 asks again who is signed in, and the back office goes to its sign-in page instead of showing the error.
    const signedOut = (err: unknown) => {
      if (err instanceof ApiError && err.code === 'unauthenticated') void client.invalidateQueries({ queryKey: operatorKey });
    };
    const queries = client.getQueryCache().subscribe((event) => {
      const key = event.query.queryKey;
      if (event.type === 'updated' && event.action.type === 'error' && !(key[0] === operatorKey[0] && key[1] === operatorKey[1])) signedOut(event.action.error);
    });
    const mutations = client.getMutationCache().subscribe((event) => {
      if (event.type === 'updated' && event.action.type === 'error') signedOut(event.action.error);
    });
    return () => {
      queries();
      mutations();
    };
  }, [client]);
  return <RouterProvider router={router} />;
}

/** The signed-in frame of the back office: its few pages, who is signed in, and signing out. */
function BackOffice() {
  const operator = useOperator().data as OperatorSession;
  const links = [
    { to: '/platform/dashboard', label: 'Dashboard', end: true },
    { to: '/platform', label: 'Businesses', end: true },
    ...(mayManage(operator) ? [{ to: '/platform/tenants/new', label: 'New business', end: true }] : []),
    { to: '/platform/users', label: 'People', end: true },
    { to: '/platform/audit', label: 'Audit log', end: true },
    { to: '/platform/settings', label: 'Settings', end: true },
  ];
  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-10 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header className="border-b border-stone-200 bg-white">
        <div className="mx-auto flex w-full max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3 sm:px-6">
          <div className="flex flex-wrap items-center gap-4">
            <p className="text-lg font-semibold text-brand">Brigade back office</p>
            <nav aria-label="Back office">
              <ul className="flex flex-wrap gap-1">
                {links.map((l) => (
                  <li key={l.to}>
                    <NavLink
                      to={l.to}
                      end={l.end}
                      className={({ isActive }) => cx('block rounded-md px-3 py-2 text-sm font-medium', isActive ? 'bg-brand text-brand-contrast' : 'text-stone-700 hover:bg-stone-200')}
                    >
                      {l.label}
                    </NavLink>
                  </li>
                ))}
              </ul>
            </nav>
          </div>
          <div className="flex items-center gap-3">
            <span className="text-sm text-stone-700" data-testid="operator">
              {operator.email}
            </span>
            <SignOut />
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="mx-auto w-full max-w-6xl p-4 sm:p-6">
        <Outlet />
      </main>
    </div>
  );
}

function SignOut() {
  const changed = useOperatorChanged();
  const navigate = useNavigate();
  const signOut = useMutation({
    mutationFn: () => api.post('/platform/auth/sign-out'),
    onSuccess: async () => {
      await changed(null);
      navigate('/platform/sign-in', { replace: true });
    },
  });
  return (
    <>
      <Button tone="secondary" busy={signOut.isPending} onClick={() => signOut.mutate()}>
        Sign out
      </Button>
      {signOut.isError && (
        <span role="alert" className="text-sm text-red-700">
          {errorMessage(signOut.error)}
        </span>
      )}
    </>
  );
}
