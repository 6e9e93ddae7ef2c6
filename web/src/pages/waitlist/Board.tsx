import { useEffect, useId, useState, type DragEvent, type ReactNode } from 'react';
import { Link } from 'react-router';
import { useIsFetching, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../../lib/api';
import { can, useCurrentLocation, useSession, type Session } from '../../lib/session';
import { useLive, type LiveEvent } from '../../lib/realtime';
import { Alert, Badge, Button, EmptyState, Form, Loading, Modal, PageHeader, QueryView, SelectField, TextField, cx, errorMessage } from '../../ui';
import { Checkbox, LiveSign, MessageBox, QueuePicker, MessageList, PartySize, WaitlistNav, elapsedText, minutesText, queuesKey, useNow, withMessage } from './common';
import { FINISHED, type Board, type BoardMessage, type Entry, type EntryChanged, type Joined, type Message, type Queue } from './types';

/*
 * The host stand: the line of one queue, live. Every tablet showing the same queue follows its events over the
 * socket, so what one host does (a call, a seat, a reorder) is on the other's screen without a refresh. Actions
 * answer with the entry as it now stands, which is shown at once; the rest of the line (positions, estimates)
 * follows from the event the action published.
 */

const boardKey = (queueId: string) => ['waitlist', 'board', queueId] as const;
const messagesKey = (entryId: string) => ['waitlist', 'messages', entryId] as const;

export function WaitlistBoardPage() {
  const session = useSession().data as Session;
  const { current } = useCurrentLocation();
  const loadingLocations = useIsFetching({ queryKey: ['locations', 'switcher'] }) > 0;
  if (!can(session, 'waitlist.entry.read')) {
    return (
      <>
        <PageHeader title="Waitlist" />
        <Alert title="Not available to you">The waitlist is for the people who greet and seat guests.</Alert>
      </>
    );
  }
  if (!current) {
    return loadingLocations ? (
      <Loading label="Loading the location…" />
    ) : (
      <>
        <PageHeader title="Waitlist" />
        <EmptyState>There is no location with a waitlist.</EmptyState>
      </>
    );
  }
  return <QueueChooser key={current.id} session={session} locationId={current.id} locationName={current.name} />;
}

/** The choice of queue, remembered per business and location on this tablet. */
function useRememberedQueue(slug: string, locationId: string): [string | null, (id: string) => void] {
  const key = `brigade.waitlist.queue.${slug}.${locationId}`;
  const [chosen, setChosen] = useState<string | null>(() => localStorage.getItem(key));
  return [
    chosen,
    (id) => {
      localStorage.setItem(key, id);
      setChosen(id);
    },
  ];
}

function QueueChooser({ session, locationId, locationName }: { session: Session; locationId: string; locationName: string }) {
  const queues = useQuery({
    queryKey: queuesKey(locationId),
    queryFn: () => api.get<{ items: Queue[] }>(`/waitlist/queues?location_id=${locationId}`),
  });
  const [chosen, choose] = useRememberedQueue(session.tenant.slug, locationId);
  const deletions = useQueueDeletions(locationId);
  const items = deletions.without(queues.data?.items ?? []);
  const queue = items.find((q) => q.id === chosen) ?? items[0];
  return (
    <>
      <WaitlistNav />
      <PageHeader title="Waitlist" description={`The line at ${locationName}.`} actions={queue ? <LiveSign /> : undefined} />
      {deletions.notice}
      <QueryView query={queues} loading="Loading the queues…">
        {() =>
          !queue ? (
            <EmptyState>
              No queue here yet.{' '}
              {can(session, 'waitlist.queue.manage', locationId) ? (
                <Link to="/waitlist/queues" className="text-brand underline">
                  Create one under Queues.
                </Link>
              ) : (
                'A manager creates them under Queues.'
              )}
            </EmptyState>
          ) : (
            <div className="flex flex-col gap-4">
              {items.length > 1 && <QueuePicker queues={items} value={queue.id} onChange={choose} />}
              <BoardView key={queue.id} queueId={queue.id} session={session} onDeleted={deletions.onDeleted} />
            </div>
          )
        }
      </QueryView>
    </>
  );
}

/**
 * Queues deleted while this tablet showed them (by a manager elsewhere): the board leaves them at once, says why, and
 * shows the location's next queue, if any.
 */
export function useQueueDeletions(locationId: string) {
  const client = useQueryClient();
  const [gone, setGone] = useState<{ ids: ReadonlySet<string>; last: string | null }>({ ids: new Set(), last: null });
  return {
    without: (items: Queue[]) => items.filter((q) => !gone.ids.has(q.id)),
    notice: gone.last ? (
      <Alert tone="warning" title="Queue deleted">
        “{gone.last}” was deleted by a manager, so this tablet no longer shows it.
      </Alert>
    ) : null,
    onDeleted: (queueId: string, name: string) => {
      setGone((g) => ({ ids: new Set([...g.ids, queueId]), last: name }));
      client.removeQueries({ queryKey: boardKey(queueId) });
      void client.invalidateQueries({ queryKey: queuesKey(locationId) });
    },
  };
}

// ---------------------------------------------------------------- the board's data, kept current by events

const ORDER: Record<Entry['status'], number> = { waiting: 0, called: 1, seated: 2, completed: 3, cancelled: 3, no_show: 3 };

function sortEntries(entries: Entry[]): Entry[] {
  const by = (e: Entry) => (e.status === 'waiting' ? (e.position ?? 0) : Date.parse((e.status === 'called' ? e.called_at : e.seated_at) ?? e.joined_at));
  return [...entries].sort((a, b) => ORDER[a.status] - ORDER[b.status] || by(a) - by(b));
}

/** Puts an entry as it now stands on the board, unless what the board holds is newer; finished guests leave it. */
function upsertEntry(board: Board, entry: Entry): Board {
  const existing = board.entries.find((e) => e.id === entry.id);
  if (existing && existing.version > entry.version) return board;
  const rest = board.entries.filter((e) => e.id !== entry.id);
  // Unread comes from message events, which do not bump the version: keep the larger of the two views.
  const merged = existing && existing.version === entry.version ? { ...entry, unread: existing.unread } : entry;
  return { ...board, entries: sortEntries(FINISHED.includes(entry.status) ? rest : [...rest, merged]) };
}

function applyEvent(board: Board, e: LiveEvent, client: QueryClient): Board {
  let next = { ...board, seq: Math.max(board.seq, e.seq) };
  if (e.event === 'entry.changed') {
    const data = e.data as EntryChanged;
    if (data.entry) next = upsertEntry(next, data.entry);
    const places = new Map(data.lineup.map((p) => [p.id, p]));
    next.entries = sortEntries(
      next.entries.map((x) => {
        const p = places.get(x.id);
        return p && x.status === 'waiting' ? { ...x, position: p.position, estimate_minutes: p.estimate_minutes } : x;
      }),
    );
  } else if (e.event === 'message') {
    const data = e.data as BoardMessage;
    next.entries = next.entries.map((x) => (x.id === data.entry_id ? { ...x, unread: data.unread } : x));
    client.setQueryData<Message[]>(messagesKey(data.entry_id), (list) => withMessage(list, data.message));
  } else if (e.event === 'messages.read') {
    // Another host read this guest's messages: the badge goes on every board, not only theirs.
    const data = e.data as { entry_id: string; unread: number };
    next.entries = next.entries.map((x) => (x.id === data.entry_id ? { ...x, unread: data.unread } : x));
  }
  return next;
}

// ---------------------------------------------------------------- the board

type EntryAction = 'call' | 'seat' | 'complete' | 'no-show' | 'cancel' | 'requeue' | 'move';

const DONE: Record<Exclude<EntryAction, 'move'>, string> = {
  call: 'called',
  seat: 'seated',
  complete: 'finished',
  'no-show': 'marked as a no-show',
  cancel: 'removed from the line',
  requeue: 'put back in the line',
};

export function BoardView({ queueId, session, onDeleted }: { queueId: string; session: Session; onDeleted: (queueId: string, name: string) => void }) {
  const client = useQueryClient();
  const key = boardKey(queueId);
  const board = useQuery({
    queryKey: key,
    queryFn: () => api.get<Board>(`/waitlist/queues/${queueId}/board`),
    // Kept current by the socket; a refetch would race the events in flight.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
  const [liveProblem, setLiveProblem] = useState<string | null>(null);
  useLive({
    kind: 'waitlist.queue',
    params: { queue_id: queueId },
    since: board.data?.seq,
    onEvent: (e) => {
      if (e.event === 'queue.deleted') {
        const gone = e.data as { queue_id: string; name: string };
        onDeleted(gone.queue_id, gone.name);
        return;
      }
      client.setQueryData<Board>(key, (b) => (b ? applyEvent(b, e, client) : b));
    },
    onReset: async () => {
      const fresh = await api.get<Board>(`/waitlist/queues/${queueId}/board`);
      client.setQueryData(key, fresh);
      return fresh.seq;
    },
    onRefused: (_code, message) => setLiveProblem(message),
  });
  return (
    <QueryView query={board} loading="Loading the line…">
      {(b) => (
        <>
          {liveProblem && <Alert title="Live updates are off">{liveProblem}</Alert>}
          <Line board={b} session={session} />
        </>
      )}
    </QueryView>
  );
}

function Line({ board, session }: { board: Board; session: Session }) {
  const client = useQueryClient();
  const queue = board.queue;
  const key = boardKey(queue.id);
  const serve = can(session, 'waitlist.entry.serve', queue.location_id);
  const now = useNow(1000);
  const [notice, setNotice] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [walkIn, setWalkIn] = useState(false);
  const [chatWith, setChatWith] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState<Entry | null>(null);
  const [dragging, setDragging] = useState<string | null>(null);
  const [dropOn, setDropOn] = useState<string | null>(null);

  const waiting = board.entries.filter((e) => e.status === 'waiting');
  const called = board.entries.filter((e) => e.status === 'called');
  const seated = board.entries.filter((e) => e.status === 'seated');
  const chosen = waiting.filter((e) => selected.has(e.id));
  const upsert = (entries: Entry[]) => client.setQueryData<Board>(key, (b) => (b ? entries.reduce(upsertEntry, b) : b));
  const failed = (err: unknown) => setNotice({ tone: 'error', text: errorMessage(err) });

  const act = useMutation({
    mutationFn: ({ entry, action, position }: { entry: Entry; action: EntryAction; position?: number }) =>
      api.post<Entry>(`/waitlist/entries/${entry.id}/${action}`, action === 'move' ? { position } : action === 'requeue' ? { position: 1 } : undefined),
    onSuccess: (entry, { action }) => {
      upsert([entry]);
      setNotice(action === 'move' ? null : { tone: 'success', text: `${entry.name} ${DONE[action]}.` });
    },
    onError: failed,
  });
  const callNext = useMutation({
    mutationFn: () => api.post<Entry>(`/waitlist/queues/${queue.id}/call-next`),
    onSuccess: (entry) => {
      upsert([entry]);
      setNotice({ tone: 'success', text: `${entry.name} called.` });
    },
    onError: failed,
  });
  const bulkCall = useMutation({
    mutationFn: (ids: string[]) => api.post<{ items: Entry[] }>(`/waitlist/queues/${queue.id}/bulk-call`, { entry_ids: ids }),
    onSuccess: ({ items }) => {
      upsert(items);
      setSelected(new Set());
      setNotice({ tone: 'success', text: `Called ${items.map((e) => e.name).join(', ')}.` });
    },
    onError: failed,
  });
  const busyWith = act.isPending ? act.variables?.entry.id : undefined;
  const run = (entry: Entry, action: EntryAction, position?: number) => act.mutate({ entry, action, position });
  const toggle = (id: string, on: boolean) =>
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  const drop = (target: Entry) => {
    const moving = waiting.find((e) => e.id === dragging);
    setDragging(null);
    setDropOn(null);
    if (moving && target.position !== null && moving.id !== target.id) run(moving, 'move', target.position);
  };
  const dragProps = (e: Entry) =>
    serve && e.status === 'waiting'
      ? {
          draggable: true,
          onDragStart: (ev: DragEvent) => {
            ev.dataTransfer.effectAllowed = 'move';
            ev.dataTransfer.setData('text/plain', e.name);
            setDragging(e.id);
          },
          onDragOver: (ev: DragEvent) => {
            if (!dragging) return;
            ev.preventDefault();
            ev.dataTransfer.dropEffect = 'move';
            if (dropOn !== e.id) setDropOn(e.id);
          },
          onDragLeave: () => setDropOn((d) => (d === e.id ? null : d)),
          onDrop: (ev: DragEvent) => {
            ev.preventDefault();
            drop(e);
          },
          onDragEnd: () => {
            setDragging(null);
            setDropOn(null);
          },
        }
      : {};

  const chatEntry = board.entries.find((e) => e.id === chatWith);

  return (
    <div className="flex flex-col gap-4">
      <QueueStatus queue={queue} waiting={waiting.length} called={called.length} />
      {serve && (
        <div className="flex flex-wrap items-center gap-3" role="group" aria-label="Line actions">
          <Button size="lg" className="min-h-12" busy={callNext.isPending} disabled={waiting.length === 0} onClick={() => callNext.mutate()}>
            Call next
          </Button>
          <Button size="lg" tone="secondary" className="min-h-12" onClick={() => setWalkIn(true)}>
            Add walk-in
          </Button>
          <Button size="lg" tone="secondary" className="min-h-12" busy={bulkCall.isPending} disabled={chosen.length === 0} onClick={() => bulkCall.mutate(chosen.map((e) => e.id))}>
            Call selected{chosen.length > 0 ? ` (${chosen.length})` : ''}
          </Button>
        </div>
      )}
      {notice &&
        (notice.tone === 'error' ? (
          <Alert>{notice.text}</Alert>
        ) : (
          <Alert tone="success">{notice.text}</Alert>
        ))}

      <Section title="Waiting" count={waiting.length} empty="Nobody is waiting.">
        {waiting.map((e, i) => (
          <Guest key={e.id} entry={e} now={now} busy={busyWith === e.id} onChat={() => setChatWith(e.id)} drop={dropOn === e.id && dragging !== e.id} dragging={dragging === e.id} {...dragProps(e)}>
            {serve && (
              <>
                <Button size="lg" className="min-h-12" onClick={() => run(e, 'call')} aria-label={`Call ${e.name}`}>
                  Call
                </Button>
                <Button tone="secondary" className="min-h-12 min-w-12" disabled={i === 0} onClick={() => run(e, 'move', (e.position ?? 1) - 1)} aria-label={`Move ${e.name} up`}>
                  <span aria-hidden="true">↑</span>
                </Button>
                <Button tone="secondary" className="min-h-12 min-w-12" disabled={i === waiting.length - 1} onClick={() => run(e, 'move', (e.position ?? 1) + 1)} aria-label={`Move ${e.name} down`}>
                  <span aria-hidden="true">↓</span>
                </Button>
                <Button tone="ghost" className="min-h-12" onClick={() => setCancelling(e)} aria-label={`Cancel ${e.name}`}>
                  Cancel
                </Button>
              </>
            )}
            {serve && (
              <div className="basis-full sm:ml-auto sm:basis-auto">
                <Checkbox label={`Select ${e.name}`} checked={selected.has(e.id)} onChange={(on) => toggle(e.id, on)} />
              </div>
            )}
          </Guest>
        ))}
      </Section>

      <Section title="Called" count={called.length} empty="Nobody called yet.">
        {called.map((e) => (
          <Guest key={e.id} entry={e} now={now} busy={busyWith === e.id} onChat={() => setChatWith(e.id)}>
            {serve && (
              <>
                <Button size="lg" className="min-h-12" onClick={() => run(e, 'seat')} aria-label={`Seat ${e.name}`}>
                  Seat
                </Button>
                <Button tone="secondary" className="min-h-12" onClick={() => run(e, 'requeue')} aria-label={`Requeue ${e.name}`}>
                  Requeue
                </Button>
                <Button tone="secondary" className="min-h-12" onClick={() => run(e, 'no-show')} aria-label={`No-show ${e.name}`}>
                  No-show
                </Button>
                <Button tone="ghost" className="min-h-12" onClick={() => setCancelling(e)} aria-label={`Cancel ${e.name}`}>
                  Cancel
                </Button>
              </>
            )}
          </Guest>
        ))}
      </Section>

      <Section title="Seated" count={seated.length} empty="Nobody seated from this line right now.">
        {seated.map((e) => (
          <Guest key={e.id} entry={e} now={now} busy={busyWith === e.id} onChat={() => setChatWith(e.id)}>
            {serve && (
              <Button size="lg" tone="secondary" className="min-h-12" onClick={() => run(e, 'complete')} aria-label={`Complete ${e.name}`}>
                Complete
              </Button>
            )}
          </Guest>
        ))}
      </Section>

      <WalkInDialog
        open={walkIn}
        queue={queue}
        onClose={() => setWalkIn(false)}
        onAdded={(j) => {
          upsert([j.entry]);
          setWalkIn(false);
          setNotice({ tone: 'success', text: `${j.entry.name} added at position ${j.entry.position ?? '—'}.` });
        }}
      />
      <Modal
        open={cancelling !== null}
        onClose={() => setCancelling(null)}
        title={`Remove ${cancelling?.name ?? 'this guest'} from the line?`}
        actions={
          <>
            <Button tone="secondary" onClick={() => setCancelling(null)}>
              Keep
            </Button>
            <Button
              tone="danger"
              onClick={() => {
                if (cancelling) run(cancelling, 'cancel');
                setCancelling(null);
              }}
            >
              Remove from the line
            </Button>
          </>
        }
      >
        <p className="text-stone-700">The guest is told their place was cancelled. This cannot be undone.</p>
      </Modal>
      <Modal open={chatEntry !== undefined} onClose={() => setChatWith(null)} title={`Chat with ${chatEntry?.name ?? 'the guest'}`} wide>
        {chatEntry && <ChatPanel entry={chatEntry} queueId={queue.id} serve={serve} />}
        <div className="flex justify-end">
          <Button tone="secondary" onClick={() => setChatWith(null)}>
            Close
          </Button>
        </div>
      </Modal>
    </div>
  );
}

function QueueStatus({ queue, waiting, called }: { queue: Queue; waiting: number; called: number }) {
  return (
    <div className="flex flex-wrap items-center gap-3 text-stone-700" data-testid="queue-status">
      <h2 className="text-xl font-semibold text-stone-900">{queue.name}</h2>
      {!queue.accepting ? <Badge tone="warn">Paused: not taking guests</Badge> : !queue.open_now ? <Badge tone="warn">{queue.closed_reason ?? 'Closed now'}</Badge> : <Badge tone="good">Taking guests</Badge>}
      <span>
        {waiting} waiting · {called} called
      </span>
      <Link to={`/q/${queue.id}`} className="text-sm text-brand underline" target="_blank" rel="noreferrer">
        Guest join page
      </Link>
    </div>
  );
}

function Section({ title, count, empty, children }: { title: string; count: number; empty: string; children: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="flex flex-col gap-2">
      <h2 id={id} className="text-lg font-semibold">
        {title} <span className="font-normal text-stone-600">({count})</span>
      </h2>
      {count === 0 ? (
        <p className="rounded-lg border border-dashed border-stone-300 p-4 text-center text-stone-600">{empty}</p>
      ) : (
        <ul className="flex flex-col gap-2" aria-label={title}>
          {children}
        </ul>
      )}
    </section>
  );
}

function Guest({
  entry: e,
  now,
  busy,
  onChat,
  drop,
  dragging,
  children,
  ...drag
}: {
  entry: Entry;
  now: number;
  busy: boolean;
  onChat: () => void;
  drop?: boolean;
  dragging?: boolean;
  children?: ReactNode;
  draggable?: boolean;
  onDragStart?: (ev: DragEvent) => void;
  onDragOver?: (ev: DragEvent) => void;
  onDragLeave?: () => void;
  onDrop?: (ev: DragEvent) => void;
  onDragEnd?: () => void;
}) {
  const nameId = useId();
  const since = e.status === 'called' ? e.called_at : e.status === 'seated' ? e.seated_at : e.joined_at;
  return (
    <li
      aria-labelledby={nameId}
      data-testid="guest"
      data-status={e.status}
      data-position={e.position ?? undefined}
      aria-busy={busy || undefined}
      className={cx(
        'flex flex-col gap-3 rounded-lg border bg-white p-3 shadow-sm sm:p-4',
        drop ? 'border-brand ring-2 ring-brand' : 'border-stone-200',
        dragging && 'opacity-50',
        drag.draggable && 'cursor-grab',
      )}
      {...drag}
    >
      <div className="flex min-w-0 flex-1 items-start gap-3">
        {e.status === 'waiting' && (
          <span className="flex size-12 shrink-0 items-center justify-center rounded-full bg-stone-800 text-xl font-bold text-white" data-testid="position">
            <span className="sr-only">Position </span>
            {e.position}
          </span>
        )}
        <div className="flex min-w-0 flex-col gap-1">
          <div className="flex flex-wrap items-center gap-2">
            <h3 id={nameId} className="truncate text-lg font-semibold">
              {e.name}
            </h3>
            <PartySize size={e.party_size} />
            {e.service_type && <Badge>{e.service_type}</Badge>}
            {e.calls > 1 && <Badge tone="warn">Called {e.calls} times</Badge>}
          </div>
          <p className="flex flex-wrap gap-x-4 text-sm text-stone-700">
            <span>
              {e.status === 'waiting' ? 'Waiting' : e.status === 'called' ? 'Called' : 'Seated'}{' '}
              <span className="font-mono tabular-nums" data-testid="waited">
                {since ? elapsedText(since, now) : '—'}
              </span>
            </span>
            {e.status === 'waiting' && e.estimate_minutes !== null && <span>Estimate {e.estimate_minutes === 0 ? 'now' : minutesText(e.estimate_minutes)}</span>}
            {e.phone && <span>{e.phone}</span>}
          </p>
          {e.notes && <p className="text-sm italic text-stone-700">{e.notes}</p>}
        </div>
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <Button tone="secondary" className="relative min-h-12" onClick={onChat} aria-label={e.unread > 0 ? `Chat with ${e.name}, ${e.unread} unread` : `Chat with ${e.name}`}>
          Chat
          {e.unread > 0 && (
            <span aria-hidden="true" data-testid="unread" className="min-w-6 rounded-full bg-red-700 px-1.5 text-center text-xs font-semibold leading-6 text-white">
              {e.unread}
            </span>
          )}
        </Button>
        {children}
      </div>
    </li>
  );
}

// ---------------------------------------------------------------- walk-in

function WalkInDialog({ open, queue, onClose, onAdded }: { open: boolean; queue: Queue; onClose: () => void; onAdded: (j: Joined) => void }) {
  return (
    <Modal open={open} onClose={onClose} title="Add a walk-in">
      {open && <WalkInForm queue={queue} onClose={onClose} onAdded={onAdded} />}
    </Modal>
  );
}

function WalkInForm({ queue, onClose, onAdded }: { queue: Queue; onClose: () => void; onAdded: (j: Joined) => void }) {
  const [name, setName] = useState('');
  const [size, setSize] = useState('2');
  const [phone, setPhone] = useState('');
  const [service, setService] = useState('');
  const add = useMutation({
    mutationFn: () =>
      api.post<Joined>(`/waitlist/queues/${queue.id}/entries`, {
        name: name.trim(),
        party_size: Number(size),
        ...(phone.trim() ? { phone: phone.trim() } : {}),
        ...(service ? { service_type: service } : {}),
      }),
    onSuccess: onAdded,
  });
  const err = add.error instanceof ApiError ? add.error : null;
  const fieldErr = (f: string) => err?.fieldError(f);
  const general = add.isError && !(err?.code === 'validation_failed' && err.errors.length > 0) ? add.error : undefined;
  return (
    <Form onSubmit={() => add.mutate()} error={general}>
      <TextField label="Name" autoComplete="off" required autoFocus value={name} onChange={(e) => setName(e.target.value)} error={fieldErr('name')} />
      <TextField
        label="Party size"
        type="number"
        inputMode="numeric"
        min={queue.party_min}
        max={queue.party_max}
        required
        value={size}
        onChange={(e) => setSize(e.target.value)}
        error={fieldErr('party_size')}
      />
      <TextField label="Phone (optional)" type="tel" autoComplete="off" value={phone} onChange={(e) => setPhone(e.target.value)} error={fieldErr('phone')} hint="To text the guest when their table is ready." />
      {queue.service_types.length > 0 && (
        <SelectField label="Service" value={service} onChange={(e) => setService(e.target.value)} error={fieldErr('service_type')}>
          <option value="">Any</option>
          {queue.service_types.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </SelectField>
      )}
      <div className="flex flex-wrap justify-end gap-2">
        <Button tone="secondary" size="lg" onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" size="lg" busy={add.isPending}>
          Add to the line
        </Button>
      </div>
    </Form>
  );
}

// ---------------------------------------------------------------- chat

function ChatPanel({ entry, queueId, serve }: { entry: Entry; queueId: string; serve: boolean }) {
  const client = useQueryClient();
  const messages = useQuery({
    queryKey: messagesKey(entry.id),
    queryFn: async () => (await api.get<{ items: Message[] }>(`/waitlist/entries/${entry.id}/messages`)).items,
    // New messages arrive as board events while this is open.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
  const { mutate: markRead } = useMutation({
    mutationFn: () => api.post<{ unread: number }>(`/waitlist/entries/${entry.id}/messages/read`),
    onSuccess: ({ unread }) =>
      client.setQueryData<Board>(boardKey(queueId), (b) => (b ? { ...b, entries: b.entries.map((x) => (x.id === entry.id ? { ...x, unread } : x)) } : b)),
  });
  // Open means read: what the guest wrote, including while the panel stays open, is marked read.
  useEffect(() => {
    if (entry.unread > 0 && serve) markRead();
  }, [entry.unread, serve, markRead]);
  const [body, setBody] = useState('');
  const send = useMutation({
    mutationFn: () => api.post<Message>(`/waitlist/entries/${entry.id}/messages`, { body: body.trim() }),
    onSuccess: (m) => {
      client.setQueryData<Message[]>(messagesKey(entry.id), (list) => withMessage(list, m));
      setBody('');
    },
  });
  return (
    <div className="flex flex-col gap-4">
      <div className="max-h-80 overflow-y-auto rounded-md border border-stone-200 p-3" aria-live="polite">
        <QueryView query={messages} loading="Loading messages…">
          {(list) => <MessageList messages={list} me="staff" label={`Messages with ${entry.name}`} />}
        </QueryView>
      </div>
      {serve && (
        <Form onSubmit={() => body.trim() && send.mutate()} error={send.isError ? send.error : undefined}>
          <MessageBox label={`Message to ${entry.name}`} value={body} onChange={setBody} />
          <div className="flex justify-end">
            <Button type="submit" size="lg" busy={send.isPending} disabled={!body.trim()}>
              Send
            </Button>
          </div>
        </Form>
      )}
    </div>
  );
}
