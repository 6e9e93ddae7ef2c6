import { useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, qs } from '../../lib/api';
import { useLive, type LiveEvent } from '../../lib/realtime';
import { Alert, Badge, Button, Form, Loading, Modal, SelectField, TextField, cx, errorMessage } from '../../ui';
import { PublicFrame } from '../PublicFrame';
import { LiveSign, MessageBox, MessageList, minutesText, withMessage } from './common';
import type { GuestEntry, GuestStatus, Joined, Message, PublicQueue, PublicQueues } from './types';

/*
 * The guest's side, with no account: the list of lines to join, the join form, and the guest's own page, reached by
 * the unguessable token in its address. That page follows the entry live, so "your table is ready" appears the
 * moment a host calls, and carries the chat with the restaurant. Phone-sized first.
 */

const publicBase = '/public/waitlist';

/**
 * Refusals that are about the business, not the guest: a suspended business, or a waitlist switched off. A guest
 * cannot fix either, so the page says so plainly (the app as a whole also switches to its "unavailable" page).
 */
function unavailable(err: unknown): { title: string; detail: string } | null {
  if (!(err instanceof ApiError)) return null;
  if (err.code === 'tenant_suspended') return { title: 'Temporarily unavailable', detail: 'Joining the waitlist online is temporarily unavailable. Please ask at the door.' };
  if (err.code === 'feature_disabled') return { title: 'The waitlist is not available here', detail: 'This restaurant does not take guests on an online waitlist right now. Please ask at the door.' };
  return null;
}

// ---------------------------------------------------------------- /w

export function WaitlistQueuesPublicPage() {
  const [params] = useSearchParams();
  const location = params.get('location') ?? undefined;
  const list = useQuery({
    queryKey: ['public', 'waitlist', 'queues', location ?? 'all'],
    queryFn: () => api.get<PublicQueues>(`${publicBase}/queues${qs({ location_id: location })}`),
  });
  return (
    <PublicFrame title="Join the waitlist">
      {list.isPending ? (
        <Loading label="Loading the lines…" />
      ) : list.isError ? (
        <Alert title={unavailable(list.error)?.title ?? 'The lines could not be loaded'}>{unavailable(list.error)?.detail ?? errorMessage(list.error)}</Alert>
      ) : list.data.items.length === 0 ? (
        <p className="text-stone-700">There is no line to join here right now.</p>
      ) : (
        <ul className="flex flex-col gap-3" aria-label="Lines">
          {list.data.items.map((q) => (
            <QueueChoice key={q.id} queue={q} showLocation={new Set(list.data.items.map((i) => i.location.id)).size > 1} />
          ))}
        </ul>
      )}
    </PublicFrame>
  );
}

function QueueChoice({ queue: q, showLocation }: { queue: PublicQueue; showLocation: boolean }) {
  const open = q.accepting && q.open_now;
  return (
    <li className="flex flex-col gap-2 rounded-lg border border-stone-200 p-4" aria-label={q.name}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="text-lg font-semibold">{q.name}</h2>
        {open ? <Badge tone="good">Open</Badge> : <Badge tone="warn">{q.accepting ? 'Closed now' : 'Not taking guests'}</Badge>}
      </div>
      {showLocation && <p className="text-sm text-stone-600">{q.location.name}</p>}
      {q.description && <p className="text-stone-700">{q.description}</p>}
      <p className="text-sm text-stone-700">
        {q.waiting} {q.waiting === 1 ? 'party' : 'parties'} waiting · about {minutesText(q.estimate_minutes)}
      </p>
      {open ? (
        <Link to={`/q/${q.id}`} className="inline-flex min-h-12 items-center justify-center rounded-md bg-brand px-5 py-3 text-lg font-medium text-brand-contrast hover:opacity-90">
          Join {q.name}
        </Link>
      ) : (
        q.closed_reason && <p className="text-stone-700">{q.closed_reason}</p>
      )}
    </li>
  );
}

// ---------------------------------------------------------------- /q/:queueId

/** The heading above a refusal; the server's own `detail` says the rest, as it wrote it. */
const REFUSALS: Record<string, string> = {
  queue_not_accepting: 'This line is not taking guests',
  queue_closed: 'This line is closed',
  queue_full: 'This line is full',
  daily_cap_reached: 'No more places today',
  party_size_out_of_range: 'Party size not accepted',
  already_waiting: 'You are already in this line',
  rate_limited: 'Too many attempts',
  invalid_phone: 'Check the phone number',
};

export function JoinQueuePage() {
  const { queueId = '' } = useParams();
  const queue = useQuery({
    queryKey: ['public', 'waitlist', 'queue', queueId],
    queryFn: () => api.get<PublicQueue>(`${publicBase}/queues/${encodeURIComponent(queueId)}`),
    retry: false,
  });
  if (queue.isPending)
    return (
      <PublicFrame title="Join the waitlist">
        <Loading />
      </PublicFrame>
    );
  if (queue.isError) {
    const missing = queue.error instanceof ApiError && queue.error.status === 404;
    const off = unavailable(queue.error);
    return (
      <PublicFrame title="Join the waitlist">
        <Alert title={off?.title ?? (missing ? 'This line does not exist' : 'The line could not be loaded')}>
          {off?.detail ?? (missing ? 'Check the link, or ask at the door.' : errorMessage(queue.error))}
        </Alert>
        <p className="mt-4 text-sm">
          <Link to="/w" className="text-brand underline">
            See the lines you can join
          </Link>
        </p>
      </PublicFrame>
    );
  }
  return <JoinForm queue={queue.data} />;
}

function JoinForm({ queue: q }: { queue: PublicQueue }) {
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [phone, setPhone] = useState('');
  const [email, setEmail] = useState('');
  const [size, setSize] = useState(String(Math.min(Math.max(2, q.party_min), q.party_max)));
  const [service, setService] = useState('');
  const [notes, setNotes] = useState('');
  const join = useMutation({
    mutationFn: () =>
      api.post<Joined>(`${publicBase}/queues/${q.id}/entries`, {
        name: name.trim(),
        phone: phone.trim(),
        ...(email.trim() ? { email: email.trim() } : {}),
        party_size: Number(size),
        ...(service ? { service_type: service } : {}),
        ...(notes.trim() ? { notes: notes.trim() } : {}),
      }),
    onSuccess: (j) => navigate(`/e/${encodeURIComponent(j.token)}`, { replace: true }),
  });
  const err = join.error instanceof ApiError ? join.error : null;
  const fieldErrors = err?.code === 'validation_failed' && err.errors.length > 0;
  const refusal =
    join.isError && !fieldErrors ? (unavailable(join.error) ?? { title: (err && REFUSALS[err.code]) ?? 'You could not join the line', detail: errorMessage(join.error) }) : null;
  const sizes = Array.from({ length: q.party_max - q.party_min + 1 }, (_, i) => q.party_min + i);
  const open = q.accepting && q.open_now;
  return (
    <PublicFrame title={`Join ${q.name}`}>
      <div className="mb-4 flex flex-col gap-1 text-stone-700">
        <p>{q.location.name}</p>
        {q.description && <p>{q.description}</p>}
        <p className="font-medium text-stone-900" data-testid="queue-now">
          {q.waiting} {q.waiting === 1 ? 'party' : 'parties'} waiting · about {minutesText(q.estimate_minutes)}
        </p>
        {!open && <Alert tone="warning">{q.closed_reason ?? 'This line is not taking guests right now.'}</Alert>}
      </div>
      <Form onSubmit={() => join.mutate()}>
        {refusal && (
          <div ref={(el) => el?.scrollIntoView({ block: 'center' })} role="alert" className="rounded-md border-2 border-red-400 bg-red-50 px-4 py-3 text-red-900" data-testid="join-refusal">
            <p className="text-lg font-semibold">{refusal.title}</p>
            <p className="text-base">{refusal.detail}</p>
          </div>
        )}
        <TextField label="Name" autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} error={fieldErrors ? err?.fieldError('name') : undefined} />
        <TextField
          label="Phone"
          type="tel"
          autoComplete="tel"
          required
          value={phone}
          onChange={(e) => setPhone(e.target.value)}
          error={fieldErrors ? err?.fieldError('phone') : undefined}
          hint="We text you when your table is ready."
        />
        <TextField label="Email (optional)" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} error={fieldErrors ? err?.fieldError('email') : undefined} />
        <SelectField label="Party size" value={size} onChange={(e) => setSize(e.target.value)} error={fieldErrors ? err?.fieldError('party_size') : undefined}>
          {sizes.map((n) => (
            <option key={n} value={n}>
              {n} {n === 1 ? 'person' : 'people'}
            </option>
          ))}
        </SelectField>
        {q.service_types.length > 0 && (
          <SelectField label="Seating" value={service} onChange={(e) => setService(e.target.value)} error={fieldErrors ? err?.fieldError('service_type') : undefined}>
            <option value="">No preference</option>
            {q.service_types.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </SelectField>
        )}
        <TextField label="Notes (optional)" value={notes} onChange={(e) => setNotes(e.target.value)} error={fieldErrors ? err?.fieldError('notes') : undefined} hint="A high chair, a wheelchair, a birthday…" />
        <Button type="submit" size="lg" className="min-h-12" busy={join.isPending}>
          Join the line
        </Button>
      </Form>
    </PublicFrame>
  );
}

// ---------------------------------------------------------------- /e/:token

const entryKey = (token: string) => ['public', 'waitlist', 'entry', token] as const;
const guestMessagesKey = (token: string) => ['public', 'waitlist', 'messages', token] as const;

export function GuestEntryPage() {
  const { token = '' } = useParams();
  const client = useQueryClient();
  const path = `${publicBase}/entries/${encodeURIComponent(token)}`;
  const entry = useQuery({
    queryKey: entryKey(token),
    queryFn: () => api.get<GuestEntry>(path),
    // Kept current by the socket; a refetch would race the events in flight.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    retry: false,
  });
  useLive({
    kind: 'waitlist.entry',
    params: { token },
    since: entry.data?.seq,
    onEvent: (e: LiveEvent) => {
      if (e.event === 'entry.status') {
        const s = e.data as GuestStatus;
        client.setQueryData<GuestEntry>(entryKey(token), (g) => (g ? { ...g, ...s, seq: Math.max(g.seq, e.seq) } : g));
      } else if (e.event === 'message') {
        client.setQueryData<Message[]>(guestMessagesKey(token), (list) => withMessage(list, e.data as Message));
      }
    },
    onReset: async () => {
      const fresh = await api.get<GuestEntry>(path);
      client.setQueryData(entryKey(token), fresh);
      await client.invalidateQueries({ queryKey: guestMessagesKey(token) });
      return fresh.seq;
    },
  });
  if (entry.isPending)
    return (
      <PublicFrame title="Your place in line">
        <Loading />
      </PublicFrame>
    );
  if (entry.isError) {
    const missing = entry.error instanceof ApiError && entry.error.status === 404;
    const off = unavailable(entry.error);
    return (
      <PublicFrame title="Your place in line">
        <Alert title={off?.title ?? (missing ? 'This link is not valid' : 'Your place could not be loaded')}>
          {off?.detail ?? (missing ? 'It may have expired. Ask at the door, or join the line again.' : errorMessage(entry.error))}
        </Alert>
      </PublicFrame>
    );
  }
  return <GuestView entry={entry.data} token={token} />;
}

function GuestView({ entry: g, token }: { entry: GuestEntry; token: string }) {
  const client = useQueryClient();
  const path = `${publicBase}/entries/${encodeURIComponent(token)}`;
  const [confirming, setConfirming] = useState(false);
  const cancel = useMutation({
    mutationFn: () => api.post<GuestEntry>(`${path}/cancel`),
    onSuccess: (fresh) => {
      setConfirming(false);
      // The answer is the entry as it now stands; keep the newer of it and what the socket already said.
      client.setQueryData<GuestEntry>(entryKey(token), (old) => (old && fresh && typeof fresh === 'object' && 'status' in fresh ? { ...old, ...fresh } : old ? { ...old, status: 'cancelled', position: null } : old));
    },
  });
  const active = g.status === 'waiting' || g.status === 'called';
  const mayCancel = g.can_cancel && active;
  return (
    <PublicFrame title={g.queue.name}>
      <div className="flex flex-col gap-6">
        <div className="flex flex-wrap items-center justify-between gap-2 text-sm text-stone-700">
          <span>
            {g.queue.location} · {g.name}, party of {g.party_size}
          </span>
          {active && <LiveSign />}
        </div>
        <Status entry={g} />
        {cancel.isError && <Alert>{errorMessage(cancel.error)}</Alert>}
        {mayCancel && (
          <Button tone="secondary" size="lg" className="min-h-12" onClick={() => setConfirming(true)}>
            Leave the line
          </Button>
        )}
        <GuestChat token={token} open={g.status !== 'completed' && g.status !== 'no_show' && g.status !== 'cancelled'} />
      </div>
      <Modal
        open={confirming}
        onClose={() => setConfirming(false)}
        title="Leave the line?"
        actions={
          <>
            <Button tone="secondary" onClick={() => setConfirming(false)}>
              Stay in line
            </Button>
            <Button tone="danger" busy={cancel.isPending} onClick={() => cancel.mutate()}>
              Leave the line
            </Button>
          </>
        }
      >
        <p className="text-stone-700">Your place goes to the next party. You can join again later.</p>
      </Modal>
    </PublicFrame>
  );
}

/** What the guest needs to know now, big; spoken by a screen reader when it changes. */
function Status({ entry: g }: { entry: GuestEntry }) {
  const box = 'flex flex-col items-center gap-2 rounded-xl px-4 py-6 text-center';
  let content;
  switch (g.status) {
    case 'waiting':
      content = (
        <div className={cx(box, 'bg-stone-100')}>
          <p className="text-lg text-stone-700">Your place in line</p>
          <p className="text-7xl font-bold tabular-nums text-stone-900" data-testid="guest-position">
            {g.position ?? '—'}
          </p>
          <p className="text-lg text-stone-800" data-testid="guest-estimate">
            {g.position === 1 ? 'You are next. ' : ''}
            {g.estimate_minutes ? `About ${minutesText(g.estimate_minutes)} to wait.` : 'We will call you soon.'}
          </p>
        </div>
      );
      break;
    case 'called':
      content = (
        <div className={cx(box, 'border-4 border-emerald-600 bg-emerald-50')}>
          <p className="text-3xl font-bold text-emerald-900">Your table is ready</p>
          <p className="text-lg text-emerald-900">Please come to the host stand now.</p>
        </div>
      );
      break;
    case 'seated':
      content = (
        <div className={cx(box, 'bg-sky-50')}>
          <p className="text-2xl font-semibold text-sky-900">You are seated</p>
          <p className="text-sky-900">Enjoy your meal.</p>
        </div>
      );
      break;
    case 'completed':
      content = (
        <div className={cx(box, 'bg-stone-100')}>
          <p className="text-2xl font-semibold">Thank you for coming</p>
        </div>
      );
      break;
    case 'cancelled':
      content = (
        <div className={cx(box, 'bg-stone-100')}>
          <p className="text-2xl font-semibold">You are no longer in line</p>
          <p className="text-stone-700">Your place was cancelled.</p>
        </div>
      );
      break;
    case 'no_show':
      content = (
        <div className={cx(box, 'bg-amber-50')}>
          <p className="text-2xl font-semibold text-amber-900">We missed you</p>
          <p className="text-amber-900">Your table was called and given to the next party. Ask at the door if you are here.</p>
        </div>
      );
      break;
  }
  return (
    <div aria-live="polite" aria-atomic="true" data-testid="guest-status" data-status={g.status}>
      {content}
    </div>
  );
}

function GuestChat({ token, open }: { token: string; open: boolean }) {
  const client = useQueryClient();
  const path = `${publicBase}/entries/${encodeURIComponent(token)}/messages`;
  const messages = useQuery({
    queryKey: guestMessagesKey(token),
    queryFn: async () => (await api.get<{ items: Message[] }>(path)).items,
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
  const [body, setBody] = useState('');
  const send = useMutation({
    mutationFn: () => api.post<Message>(path, { body: body.trim() }),
    onSuccess: (m) => {
      client.setQueryData<Message[]>(guestMessagesKey(token), (list) => withMessage(list, m));
      setBody('');
    },
  });
  return (
    <section aria-labelledby="chat-heading" className="flex flex-col gap-3 border-t border-stone-200 pt-4">
      <h2 id="chat-heading" className="text-lg font-semibold">
        Messages with the restaurant
      </h2>
      <div className="max-h-96 overflow-y-auto" aria-live="polite">
        {messages.isPending ? <Loading label="Loading messages…" /> : messages.isError ? <Alert>{errorMessage(messages.error)}</Alert> : <MessageList messages={messages.data} me="guest" label="Messages" />}
      </div>
      {open && (
        <Form onSubmit={() => body.trim() && send.mutate()} error={send.isError ? send.error : undefined}>
          <MessageBox label="Your message" value={body} onChange={setBody} />
          <Button type="submit" size="lg" className="min-h-12" busy={send.isPending} disabled={!body.trim()}>
            Send
          </Button>
        </Form>
      )}
    </section>
  );
}
