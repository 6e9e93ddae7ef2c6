import { useState } from 'react';
import type { Location, Session } from '../../lib/session';
import { Button } from '../../ui';
import { KioskScreen } from '../KioskScreen';
import { MyDrawers, OpenDrawerPanel, RegisterList } from './Cash';
import { DrawerView } from './Drawer';

/**
 * The drawer on the shared tablet, for a person signed in with their PIN: the kiosk location's registers, opening a
 * drawer, recording a pay out, counting and submitting, with big touch targets.
 */
export function KioskCashPage() {
  return <KioskScreen title="Cash drawer">{({ session, here }) => <KioskCash session={session} here={here} />}</KioskScreen>;
}

type View = { kind: 'registers' } | { kind: 'open'; registerId: string } | { kind: 'drawer'; drawerId: string };

function KioskCash({ session, here }: { session: Session; here: Location }) {
  const [view, setView] = useState<View>({ kind: 'registers' });
  const toRegisters = () => setView({ kind: 'registers' });
  return view.kind === 'open' ? (
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
  );
}
