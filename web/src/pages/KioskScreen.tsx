import type { ReactNode } from 'react';
import { Link, Navigate } from 'react-router';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api';
import { useSession, useSessionChanged, type Location, type Session } from '../lib/session';
import { useIdleCountdown } from '../lib/idle';
import { Alert, Button, ErrorState, Loading, errorMessage } from '../ui';
import { PublicFrame } from './PublicFrame';
import { KIOSK_IDLE_SECONDS } from './Kiosk';

/**
 * A page of the shared tablet for a person signed in with their PIN (the drawer, the host stand): who is on it and
 * where, back to the kiosk's home, sign out. Like the kiosk's home screen it signs the person out when nobody
 * touches it, so the next person never finds someone else's session open on it. Anyone else starts at /kiosk.
 */
export function KioskScreen({ title, children }: { title: string; children: (ctx: { session: Session; here: Location }) => ReactNode }) {
  const session = useSession();
  if (session.isPending) {
    return (
      <PublicFrame title={title} wide>
        <Loading />
      </PublicFrame>
    );
  }
  if (session.isError) {
    return (
      <PublicFrame title={title} wide>
        <ErrorState error={session.error} retry={() => void session.refetch()} />
      </PublicFrame>
    );
  }
  if (session.data?.kind !== 'pin_session') return <Navigate to="/kiosk" replace />;
  return (
    <SignedInKiosk title={title} session={session.data}>
      {children}
    </SignedInKiosk>
  );
}

function SignedInKiosk({ title, session, children }: { title: string; session: Session; children: (ctx: { session: Session; here: Location }) => ReactNode }) {
  const changed = useSessionChanged();
  // A PIN session sees only the kiosk's own location (the same query as the kiosk's home screen).
  const location = useQuery({ queryKey: ['kiosk', 'location'], queryFn: () => api.get<{ items: Location[] }>('/locations?limit=1') });
  const here = location.data?.items[0];
  const signOut = useMutation({
    mutationFn: async () => {
      try {
        await api.post('/auth/sign-out');
      } catch (err) {
        // Already ended (expired, or the kiosk was revoked): signed out is what was wanted.
        if (!(err instanceof ApiError && err.status === 401)) throw err;
      }
    },
    onSuccess: () => changed(null),
  });
  const secondsLeft = useIdleCountdown(KIOSK_IDLE_SECONDS, () => signOut.mutate(), !signOut.isPending);

  return (
    <PublicFrame title={title} wide>
      <div className="flex flex-col gap-6">
        <div className="-mt-4 flex flex-wrap items-center justify-between gap-3">
          <p className="text-stone-600">
            {session.user.name}
            {here && ` · ${here.name}`}
          </p>
          <div className="flex flex-wrap gap-2">
            <Link to="/kiosk" className="inline-flex min-h-12 items-center rounded-md px-5 py-3 text-lg font-medium text-stone-900 ring-1 ring-inset ring-stone-300 hover:bg-stone-100">
              Back
            </Link>
            <Button tone="danger" size="lg" busy={signOut.isPending} onClick={() => signOut.mutate()}>
              Sign out
            </Button>
          </div>
        </div>
        {signOut.isError && <Alert title="Signing out did not work">{errorMessage(signOut.error)}</Alert>}
        {location.isError ? (
          <ErrorState error={location.error} retry={() => void location.refetch()} />
        ) : !here ? (
          <Loading label="Loading this kiosk's location…" />
        ) : (
          children({ session, here })
        )}
      </div>
      {secondsLeft !== null && (
        <div className="fixed inset-x-0 bottom-0 z-10 p-4">
          <div className="mx-auto max-w-xl shadow-lg">
            <Alert tone="warning" title={`Signing out in ${secondsLeft} s — tap anywhere to stay`}>
              Nobody has touched the screen for a while, so this kiosk is about to sign {session.user.name} out.
            </Alert>
          </div>
        </div>
      )}
    </PublicFrame>
  );
}
