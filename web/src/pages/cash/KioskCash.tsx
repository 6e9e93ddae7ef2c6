import { useState } from 'react';
import { Link, Navigate } from 'react-router';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, ApiError } from '../../lib/api';
import { useSession, useSessionChanged, type Location, type Session } from '../../lib/session';
import { Alert, Button, ErrorState, Loading, errorMessage } from '../../ui';
import { PublicFrame } from '../PublicFrame';
import { KIOSK_IDLE_SECONDS } from '../Kiosk';
import { useIdleCountdown } from '../../lib/idle';
import { MyDrawers, OpenDrawerPanel, RegisterList } from './Cash';
import { DrawerView } from './Drawer';

/**
 * The drawer on the shared tablet, for a person signed in with their PIN: the kiosk location's registers, opening a
 * drawer, recording a pay out, counting and submitting, with big touch targets. Like the kiosk's home screen it
 * signs the person out when nobody touches it, so the next person never finds someone else's drawer open on it.
 */


export function KioskCashPage() {
  const session = useSession();
  if (session.isPending) {
    return (
      <PublicFrame title="Cash drawer" wide>
        <Loading />
      </PublicFrame>
    );
  }
  if (session.isError) {
    return (
      <PublicFrame title="Cash drawer" wide>
        <ErrorState error={session.error} retry={() => void session.refetch()} />
      </PublicFrame>
    );
  }
  // Only a person signed in with their PIN on this kiosk works the drawer here; anyone else starts at the kiosk.
  if (session.data?.kind !== 'pin_session') return <Navigate to="/kiosk" replace />;
  return <KioskCash session={session.data} />;
}

type View = { kind: 'registers' } | { kind: 'open'; registerId: string } | { kind: 'drawer'; drawerId: string };

function KioskCash({ session }: { session: Session }) {
  const changed = useSessionChanged();
  // A PIN session sees only the kiosk's own location (the same query as the kiosk's home screen).
  const location = useQuery({ queryKey: ['kiosk', 'location'], queryFn: () => api.get<{ items: Location[] }>('/locations?limit=1') });
  const here = location.data?.items[0];
  const [view, setView] = useState<View>({ kind: 'registers' });
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
  const toRegisters = () => setView({ kind: 'registers' });

  return (
    <PublicFrame title="Cash drawer" wide>
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
        ) : view.kind === 'open' ? (
          <OpenDrawerPanel
            registerId={view.registerId}
            large
            onOpened={(d) => setView({ kind: 'drawer', drawerId: d.id })}
            onCancel={toRegisters}
          />
        ) : view.kind === 'drawer' ? (
          <DrawerView
            drawerId={view.drawerId}
            large
            timeZone={here.time_zone}
            actions={
              <Button tone="secondary" size="lg" onClick={toRegisters}>
                Back to registers
              </Button>
            }
          />
        ) : (
          <>
            <section aria-labelledby="kiosk-registers" className="flex flex-col gap-3">
              <h2 id="kiosk-registers" className="text-xl font-semibold">
                Registers
              </h2>
              <RegisterList
                locationId={here.id}
                session={session}
                large
                timeZone={here.time_zone}
                onOpenDrawer={(r) => setView({ kind: 'open', registerId: r.id })}
                onShowDrawer={(id) => setView({ kind: 'drawer', drawerId: id })}
              />
            </section>
            <MyDrawers locationId={here.id} session={session} timeZone={here.time_zone} onShowDrawer={(id) => setView({ kind: 'drawer', drawerId: id })} />
          </>
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
