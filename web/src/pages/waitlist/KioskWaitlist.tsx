import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../lib/api';
import type { Location, Session } from '../../lib/session';
import { EmptyState, QueryView } from '../../ui';
import { KioskScreen } from '../KioskScreen';
import { BoardView, useQueueDeletions } from './Board';
import { LiveSign, QueuePicker, queuesKey } from './common';
import type { Queue } from './types';

/**
 * The host stand on the shared tablet: a host signs in with their PIN and works the line of the kiosk's location
 * (call, seat, no-show, chat), live like the signed-in board. Queues are set up by a manager elsewhere.
 */
export function KioskWaitlistPage() {
  return <KioskScreen title="Waitlist">{({ session, here }) => <KioskWaitlist session={session} here={here} />}</KioskScreen>;
}

function KioskWaitlist({ session, here }: { session: Session; here: Location }) {
  const queues = useQuery({ queryKey: queuesKey(here.id), queryFn: () => api.get<{ items: Queue[] }>(`/waitlist/queues?location_id=${here.id}`) });
  const [chosen, setChosen] = useState<string | null>(null);
  const deletions = useQueueDeletions(here.id);
  return (
    <QueryView query={queues} loading="Loading the queues…">
      {(list) => {
        const items = deletions.without(list.items);
        const queue = items.find((q) => q.id === chosen) ?? items[0];
        if (!queue)
          return (
            <>
              {deletions.notice}
              <EmptyState>No queue at {here.name} yet. A manager creates them under Waitlist → Queues.</EmptyState>
            </>
          );
        return (
          <div className="flex flex-col gap-4">
            {deletions.notice}
            <div className="flex flex-wrap items-end justify-between gap-3">
              {/* The board names its queue; with several, the host picks which one this tablet follows. */}
              {items.length > 1 ? (
                <QueuePicker queues={items} value={queue.id} onChange={setChosen} />
              ) : (
                <span />
              )}
              <LiveSign />
            </div>
            <BoardView key={queue.id} queueId={queue.id} session={session} onDeleted={deletions.onDeleted} />
          </div>
        );
      }}
    </QueryView>
  );
}
