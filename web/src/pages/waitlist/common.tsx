import { useEffect, useId, useState, type ReactNode } from 'react';
import { NavLink } from 'react-router';
import { can, useSession, type Session } from '../../lib/session';
import { useConnectionState } from '../../lib/realtime';
import { SelectField, cx } from '../../ui';
import type { Message } from './types';

export const queuesKey = (locationId: string | undefined) => ['waitlist', 'queues', locationId ?? 'all'] as const;

/** The waitlist pages a person may open, as tabs above each of them. */
const PAGES = [
  { to: '/waitlist', label: 'Board', permission: 'waitlist.entry.read' },
  { to: '/waitlist/queues', label: 'Queues', permission: 'waitlist.queue.manage' },
  { to: '/waitlist/analytics', label: 'Analytics', permission: 'waitlist.analytics.read' },
];

export function WaitlistNav() {
  const session = useSession().data as Session;
  const pages = PAGES.filter((p) => can(session, p.permission));
  if (pages.length < 2) return null;
  return (
    <nav aria-label="Waitlist pages" className="mb-4 print:hidden">
      <ul className="flex flex-wrap gap-1 border-b border-stone-200 pb-2">
        {pages.map((p) => (
          <li key={p.to}>
            <NavLink
              to={p.to}
              end
              className={({ isActive }) => cx('block rounded-md px-4 py-2 text-sm font-medium', isActive ? 'bg-stone-800 text-white' : 'text-stone-700 hover:bg-stone-200')}
            >
              {p.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export const linkButton = 'inline-flex items-center justify-center rounded-md px-3.5 py-2 text-sm font-medium ring-1 ring-inset ring-stone-300 bg-white text-stone-900 hover:bg-stone-100';

/** Party sizes fall in four bands a host seats differently (a two-top, a four-top, a six-top, pushed-together tables). */
const BANDS = [
  { upTo: 2, label: '1–2', style: 'bg-sky-100 text-sky-900 ring-sky-300' },
  { upTo: 4, label: '3–4', style: 'bg-emerald-100 text-emerald-900 ring-emerald-300' },
  { upTo: 6, label: '5–6', style: 'bg-amber-100 text-amber-900 ring-amber-300' },
  { upTo: Infinity, label: '7+', style: 'bg-fuchsia-100 text-fuchsia-900 ring-fuchsia-300' },
] as const;

export const bandOf = (size: number) => BANDS.find((b) => size <= b.upTo)!;

/** The party's size, coloured by its band; the number is always written, so the colour is a help, not the message. */
export function PartySize({ size, large = false }: { size: number; large?: boolean }) {
  const band = bandOf(size);
  return (
    <span
      data-testid="party-size"
      data-band={band.label}
      className={cx('inline-flex items-center gap-1 rounded-md font-semibold ring-1 ring-inset', band.style, large ? 'px-3 py-1.5 text-lg' : 'px-2 py-0.5 text-sm')}
    >
      <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="size-4">
        <path d="M10 9a3 3 0 1 0 0-6 3 3 0 0 0 0 6ZM3.5 16.5a6.5 6.5 0 0 1 13 0 .5.5 0 0 1-.5.5H4a.5.5 0 0 1-.5-.5Z" />
      </svg>
      <span>
        {size}
        <span className="sr-only"> {size === 1 ? 'guest' : 'guests'}</span>
      </span>
    </span>
  );
}

/** "4 min", "1 h 05 min": how long a wait is, to the minute. */
export function minutesText(minutes: number): string {
  const m = Math.max(0, Math.floor(minutes));
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** "0:42", "12:05", "1:02:09": time since an instant, to the second, for a clock that visibly runs. */
export function elapsedText(fromIso: string, now: number): string {
  const s = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** The time now, moving every `ms`: one clock for a whole board instead of one per row. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** "Live" while the socket is up, "Reconnecting…" when it is not, so a host knows whether the board can be trusted. */
export function LiveSign() {
  const state = useConnectionState();
  const live = state === 'live';
  return (
    <span role="status" data-testid="live-sign" data-state={state} className={cx('inline-flex items-center gap-2 rounded-full px-3 py-1 text-sm font-medium', live ? 'bg-emerald-100 text-emerald-900' : 'bg-amber-100 text-amber-900')}>
      <span aria-hidden="true" className={cx('size-2.5 rounded-full', live ? 'bg-emerald-600' : 'animate-pulse bg-amber-600')} />
      {live ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
    </span>
  );
}

export function Checkbox({ label, hint, checked, onChange, disabled }: { label: string; hint?: ReactNode; checked: boolean; onChange: (v: boolean) => void; disabled?: boolean }) {
  const id = useId();
  return (
    <div className="flex items-start gap-3">
      <input
        id={id}
        type="checkbox"
        className="mt-0.5 size-5 rounded border-stone-400"
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChange(e.target.checked)}
        aria-describedby={hint ? `${id}-hint` : undefined}
      />
      <div>
        <label htmlFor={id} className="text-sm font-medium text-stone-800">
          {label}
        </label>
        {hint && (
          <p id={`${id}-hint`} className="text-xs text-stone-600">
            {hint}
          </p>
        )}
      </div>
    </div>
  );
}

/**
 * A conversation between the guest and the restaurant. Bodies are React text, never HTML: what a guest types is
 * shown exactly as typed. `me` says whose messages sit on the right.
 */
export function MessageList({ messages, me, label, timeZone }: { messages: Message[]; me: Message['sender']; label: string; timeZone?: string }) {
  const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'short', ...(timeZone ? { timeZone } : {}) });
  if (messages.length === 0) return <p className="py-4 text-center text-sm text-stone-600">No messages yet.</p>;
  return (
    <ol aria-label={label} className="flex flex-col gap-2" data-testid="messages">
      {messages.map((m) => {
        const mine = m.sender === me;
        const who = m.sender === 'guest' ? (me === 'guest' ? 'You' : 'Guest') : me === 'staff' ? (m.author ?? 'Staff') : (m.author ?? 'The restaurant');
        return (
          <li key={m.id} data-testid="message" data-sender={m.sender} className={cx('flex max-w-[85%] flex-col rounded-lg px-3 py-2', mine ? 'self-end bg-stone-800 text-white' : 'self-start bg-stone-100 text-stone-900')}>
            <span className={cx('text-xs', mine ? 'text-stone-200' : 'text-stone-600')}>
              {who} · <time dateTime={m.created_at}>{time.format(new Date(m.created_at))}</time>
            </span>
            <span className="whitespace-pre-wrap break-words" data-testid="message-body">
              {m.body}
            </span>
          </li>
        );
      })}
    </ol>
  );
}

/** Appends a message unless it is already there (it can arrive both as the answer to sending it and as an event). */
export function withMessage(list: Message[] | undefined, m: Message): Message[] | undefined {
  if (!list) return list;
  if (list.some((x) => x.id === m.id)) return list;
  return [...list, m];
}

export function MessageBox({ label, value, onChange }: { label: string; value: string; onChange: (v: string) => void }) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium text-stone-800">
        {label}
      </label>
      <textarea id={id} rows={2} maxLength={1000} value={value} onChange={(e) => onChange(e.target.value)} className="w-full rounded-md border border-stone-300 bg-white px-3 py-2 text-base shadow-sm" />
    </div>
  );
}


/** Which of a location's queues this screen follows, when it has more than one. */
export function QueuePicker({ queues, value, onChange }: { queues: readonly { id: string; name: string }[]; value: string; onChange(id: string): void }) {
  return (
    <div className="max-w-sm">
      <SelectField label="Queue" value={value} onChange={(e) => onChange(e.target.value)}>
        {queues.map((q) => (
          <option key={q.id} value={q.id}>
            {q.name}
          </option>
        ))}
      </SelectField>
    </div>
  );
}
