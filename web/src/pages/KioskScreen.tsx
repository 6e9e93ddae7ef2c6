import type { ReactNode } from 'react';
import { Link, Navigate } from 'react-router';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api';
import { useSession, useSessionChanged, type Location, type Session } from '../lib/session';
import { useIdleCountdown } from '../lib/idle';
import { Alert, Button, ErrorState, Loading, errorMessage } from '../ui';
import { PublicFrame } from './PublicFrame';

/** Seconds without a touch, click or key before a PIN session on the kiosk is signed out. */
export const KIOSK_IDLE_SECONDS = 60;

/**
 * What every screen of a PIN session on the kiosk needs: the kiosk's own location (a PIN session sees only that
 * one), signing out, and the countdown that signs the person out when nobody touches the screen.
 */
export function useSignedInKiosk() {
  const changed = useSessionChanged();
  const location = useQuery({ queryKey: ['kiosk', 'location'], queryFn: () => api.get<{ items: Location[] }>('/locations?limit=1') });
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
  return { location, here: location.data?.items[0], signOut, secondsLeft };
}

/** The last seconds before the kiosk signs the person out: a tap anywhere keeps them. */
export function KioskIdleWarning({ secondsLeft, name }: { secondsLeft: number | null; name: string }) {
  if (secondsLeft === null) return null;
  return (
    <div className="fixed inset-x-0 bottom-0 z-10 p-4">
      <div className="mx-auto max-w-xl shadow-lg">
        <Alert tone="warning" title={`Signing out in ${secondsLeft} s — tap anywhere to stay`}>
          Nobody has touched the screen for a while, so this kiosk is about to sign {name} out.
        </Alert>
      </div>
    </div>
  );
}

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
  const { location, here, signOut, secondsLeft } = useSignedInKiosk();

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
      <KioskIdleWarning secondsLeft={secondsLeft} name={session.user.name} />
    </PublicFrame>
  );
}
