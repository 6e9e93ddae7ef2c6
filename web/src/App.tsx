import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { createBrowserRouter, Navigate, RouterProvider, useLocation } from 'react-router';
import { ApiError, pathPrefix } from './lib/api';
import { useBusiness, useSession } from './lib/session';
import { Loading, ErrorState } from './ui';
import { AppLayout } from './AppLayout';
import { SignInPage } from './pages/SignIn';
import { ForgotPasswordPage, ResetPasswordPage } from './pages/PasswordReset';
import { AcceptInvitationPage } from './pages/AcceptInvitation';
import { KioskPage } from './pages/Kiosk';
import { HomePage } from './pages/Home';
import { AccountPage } from './pages/Account';
import { LocationsPage, LocationFormPage } from './pages/Locations';
import { PeoplePage } from './pages/People';
import { KiosksPage } from './pages/Kiosks';
import { ApiKeysPage } from './pages/ApiKeys';
import { AuditPage } from './pages/Audit';
import { UsagePage } from './pages/Usage';
import { SettingsPage } from './pages/Settings';
import { SupportAccessPage } from './pages/SupportAccess';
import { SupportSignInPage } from './pages/SupportSignIn';
import { BusinessUnavailable } from './pages/Unavailable';
import { cashRoutes, kioskCashRoute } from './pages/cash/routes';
import { kioskWaitlistRoute, waitlistPublicRoutes, waitlistRoutes } from './pages/waitlist/routes';

/** Pages that need someone signed in with a password; anyone else goes to the sign-in page and comes back after. */
function RequireSession({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.isPending) return <Loading />;
  if (session.isError) return <ErrorState error={session.error} retry={() => void session.refetch()} />;
  if (!session.data) {
    const next = location.pathname + location.search;
    return <Navigate to={`/sign-in${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`} replace />;
  }
  // A PIN session belongs to the kiosk screen, which signs it out when idle. Brigade support (a support session)
  // sees the same pages as a person, read-only, under a banner saying so.
  if (session.data.kind !== 'session' && session.data.kind !== 'support_session') return <Navigate to="/kiosk" replace />;
  return <>{children}</>;
}

// The back office is its own small app on Brigade's own address, loaded only there: a business's pages never
// download it, and it never asks which business this address belongs to.
const PlatformApp = lazy(() => import('./platform/PlatformApp').then((m) => ({ default: m.PlatformApp })));
const onPlatform = !pathPrefix && /^\/platform(?:\/|$)/.test(window.location.pathname);
// Signing up happens on Brigade's own address too, before any business exists.
const SignUpApp = lazy(() => import('./signup/SignUpApp').then((m) => ({ default: m.SignUpApp })));
const onSignUp = !pathPrefix && /^\/sign-up(?:\/|$)/.test(window.location.pathname);

const businessRouter = () =>
  createBrowserRouter(
    [
      { path: '/sign-in', element: <SignInPage /> },
      { path: '/forgot-password', element: <ForgotPasswordPage /> },
      { path: '/reset', element: <ResetPasswordPage /> },
      { path: '/invite', element: <AcceptInvitationPage /> },
      { path: '/support', element: <SupportSignInPage /> },
      { path: '/kiosk', element: <KioskPage /> },
      kioskCashRoute,
      kioskWaitlistRoute,
      ...waitlistPublicRoutes,
      {
        path: '/',
        element: (
          <RequireSession>
            <AppLayout />
          </RequireSession>
        ),
        children: [
          { index: true, element: <HomePage /> },
          { path: 'account', element: <AccountPage /> },
          { path: 'locations', element: <LocationsPage /> },
          { path: 'locations/new', element: <LocationFormPage /> },
          { path: 'locations/:id', element: <LocationFormPage /> },
          { path: 'people', element: <PeoplePage /> },
          { path: 'kiosks', element: <KiosksPage /> },
          { path: 'api-keys', element: <ApiKeysPage /> },
          { path: 'audit', element: <AuditPage /> },
          { path: 'usage', element: <UsagePage /> },
          { path: 'settings', element: <SettingsPage /> },
          { path: 'support-access', element: <SupportAccessPage /> },
          ...cashRoutes,
          ...waitlistRoutes,
          { path: '*', element: <Navigate to="/" replace /> },
        ],
      },
    ],
    { basename: pathPrefix || '/' },
  );
const router = onPlatform || onSignUp ? null : businessRouter();

/** Black or white text on the business's colour, whichever reads better (WCAG relative luminance). */
function contrastOn(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return l > 0.179 ? '#111111' : '#ffffff';
}

export function App() {
  if (onPlatform)
    return (
      <Suspense fallback={<Loading />}>
        <PlatformApp />
      </Suspense>
    );
  if (onSignUp)
    return (
      <Suspense fallback={<Loading />}>
        <SignUpApp />
      </Suspense>
    );
  return <BusinessApp />;
}

function BusinessApp() {
  const business = useBusiness();
  useEffect(() => {
    const b = business.data;
    if (!b) return;
    document.documentElement.style.setProperty('--brand', b.brand_color);
    document.documentElement.style.setProperty('--brand-contrast', contrastOn(b.brand_color));
    document.documentElement.lang = b.locale;
    document.title = `${b.name} · Brigade`;
  }, [business.data]);

  if (business.isPending) return <Loading />;
  if (business.isError) {
    if (business.error instanceof ApiError && business.error.status === 404) return <NoBusinessHere />;
    if (business.error instanceof ApiError && business.error.code === 'tenant_suspended') return <BusinessUnavailable />;
    return (
      <main className="mx-auto max-w-lg p-8">
        <ErrorState error={business.error} retry={() => void business.refetch()} />
      </main>
    );
  }
  return <RouterProvider router={router!} />;
}

/** This address belongs to no business (or Brigade is unreachable). */
function NoBusinessHere() {
  const { port, protocol } = window.location;
  const example = `${protocol}//demo.localhost${port ? `:${port}` : ''}`;
  return (
    <main className="mx-auto max-w-lg p-8">
      <h1 className="text-2xl font-semibold">No business at this address</h1>
      <p className="mt-3 text-stone-700">
        Each business on Brigade has its own address. Open your business's address, for example <a className="text-brand underline" href={example}>{example}</a> for the demo.
      </p>
      <p className="mt-3 text-stone-700">
        New to Brigade?{' '}
        <a className="text-brand underline" href="/sign-up">
          Open your business
        </a>{' '}
        in a few minutes. Running Brigade? The <a className="text-brand underline" href="/platform">back office</a> is here.
      </p>
    </main>
  );
}
