import { useId, useState } from 'react';
import { Link } from 'react-router';
import { useIsFetching, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../../lib/api';
import { can, useCurrentLocation, useSession, type Session } from '../../lib/session';
import { Alert, Badge, Button, Card, EmptyState, Form, Loading, Modal, PageHeader, QueryView, TextField, cx, errorMessage } from '../../ui';
import { Checkbox, WaitlistNav, linkButton, minutesText, queuesKey } from './common';
import type { Hours, Queue, QueueInput, WaitlistSettings } from './types';

/*
 * The queues of a location, as a manager sets them up: who may join (party sizes, services, capacity, a daily cap),
 * when (opening hours per weekday, or a pause), and how the estimate and the no-show grace work. Below them, for
 * owners, the business's waitlist settings: how long guests' details are kept and which channels tell them.
 */

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export function WaitlistQueuesPage() {
  const session = useSession().data as Session;
  const { current } = useCurrentLocation();
  const loadingLocations = useIsFetching({ queryKey: ['locations', 'switcher'] }) > 0;
  const manage = can(session, 'waitlist.queue.manage');
  const settings = can(session, 'waitlist.settings.manage');
  if (!manage && !settings) {
    return (
      <>
        <PageHeader title="Waitlist queues" />
        <Alert title="Not available to you">Queues are set up by managers and owners.</Alert>
      </>
    );
  }
  return (
    <>
      <WaitlistNav />
      <div className="flex flex-col gap-8">
        {manage &&
          (current ? (
            <QueueSection key={current.id} session={session} locationId={current.id} locationName={current.name} />
          ) : loadingLocations ? (
            <Loading label="Loading the location…" />
          ) : (
            <>
              <PageHeader title="Waitlist queues" />
              <EmptyState>There is no location to set queues up at.</EmptyState>
            </>
          ))}
        {!manage && <PageHeader title="Waitlist settings" />}
        {settings && <SettingsSection />}
      </div>
    </>
  );
}

function QueueSection({ session, locationId, locationName }: { session: Session; locationId: string; locationName: string }) {
  const queues = useQuery({ queryKey: queuesKey(locationId), queryFn: () => api.get<{ items: Queue[] }>(`/waitlist/queues?location_id=${locationId}`) });
  const [editing, setEditing] = useState<Queue | 'new' | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const mayManage = can(session, 'waitlist.queue.manage', locationId);
  return (
    <section className="flex flex-col gap-4" aria-label="Queues">
      <PageHeader
        title="Waitlist queues"
        description={`The lines guests join at ${locationName}.`}
        actions={
          mayManage && editing === null ? (
            <Button
              onClick={() => {
                setSaved(null);
                setEditing('new');
              }}
            >
              New queue
            </Button>
          ) : undefined
        }
      />
      {saved && <Alert tone="success">{saved}</Alert>}
      {editing !== null && (
        <QueueForm
          key={editing === 'new' ? 'new' : `${editing.id}-${editing.version}`}
          queue={editing === 'new' ? null : editing}
          locationId={locationId}
          onDone={(q, created) => {
            setEditing(null);
            setSaved(q ? `Queue “${q.name}” ${created ? 'created' : 'saved'}.` : null);
          }}
        />
      )}
      <QueryView query={queues} loading="Loading the queues…">
        {(data) =>
          data.items.length === 0 ? (
            <EmptyState>No queues here yet. Create one so guests can join the line.</EmptyState>
          ) : (
            <ul className="grid grid-cols-1 gap-3 lg:grid-cols-2" aria-label="Queues">
              {data.items.map((q) => (
                <QueueCard
                  key={q.id}
                  queue={q}
                  mayManage={mayManage}
                  onDeleted={() => setSaved(`Queue “${q.name}” deleted.`)}
                  onEdit={() => {
                    setSaved(null);
                    setEditing(q);
                  }}
                />
              ))}
            </ul>
          )
        }
      </QueryView>
    </section>
  );
}

function hoursSummary(hours: Queue['hours']): string {
  if (!hours) return 'Open at all hours';
  const open = hours.map((spans, i) => (spans.length ? `${DAYS[i]!.slice(0, 3)} ${spans.map((s) => `${s.open}–${s.close}`).join(', ')}` : null)).filter(Boolean);
  return open.length ? open.join('; ') : 'Closed every day';
}

function QueueCard({ queue: q, mayManage, onEdit, onDeleted }: { queue: Queue; mayManage: boolean; onEdit: () => void; onDeleted: () => void }) {
  const client = useQueryClient();
  const headingId = useId();
  const [deleting, setDeleting] = useState(false);
  const refresh = () => client.invalidateQueries({ queryKey: ['waitlist', 'queues'] });
  const pause = useMutation({
    mutationFn: () => api.patch<Queue>(`/waitlist/queues/${q.id}`, { accepting: !q.accepting, version: q.version }),
    onSuccess: refresh,
    onError: (err) => {
      if (err instanceof ApiError && err.status === 409) void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () => api.delete<null>(`/waitlist/queues/${q.id}`),
    onSuccess: async () => {
      onDeleted();
      await refresh();
    },
    onSettled: () => setDeleting(false),
  });
  const refusal = remove.error instanceof ApiError && remove.error.code === 'guests_waiting' ? remove.error : null;
  return (
    <li aria-labelledby={headingId} className="flex flex-col gap-3 rounded-lg border border-stone-200 bg-white p-4 shadow-sm" data-testid="queue">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id={headingId} className="text-lg font-semibold">
          {q.name}
        </h2>
        <div className="flex flex-wrap gap-1">
          {q.accepting ? <Badge tone="good">Taking guests</Badge> : <Badge tone="warn">Paused</Badge>}
          {q.accepting && !q.open_now && <Badge tone="warn">{q.closed_reason ?? 'Closed now'}</Badge>}
        </div>
      </div>
      {q.description && <p className="text-stone-700">{q.description}</p>}
      <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm">
        <dt className="text-stone-600">Now</dt>
        <dd>
          {q.waiting} waiting · {q.called} called · {q.joined_today} joined today
        </dd>
        <dt className="text-stone-600">Estimate for a new party</dt>
        <dd>{minutesText(q.estimate_minutes)}</dd>
        <dt className="text-stone-600">Party sizes</dt>
        <dd>
          {q.party_min}–{q.party_max}
        </dd>
        <dt className="text-stone-600">Capacity</dt>
        <dd>
          {q.max_capacity === null ? 'No limit' : `${q.max_capacity} in line at most`}
          {q.daily_cap !== null && `, ${q.daily_cap} a day`}
        </dd>
        <dt className="text-stone-600">Hours</dt>
        <dd>{hoursSummary(q.hours)}</dd>
        {q.service_types.length > 0 && (
          <>
            <dt className="text-stone-600">Services</dt>
            <dd>{q.service_types.join(', ')}</dd>
          </>
        )}
      </dl>
      {refusal && <Alert title="Not deleted">{refusal.message}</Alert>}
      {remove.isError && !refusal && <Alert>{errorMessage(remove.error)}</Alert>}
      {pause.isError && <Alert>{errorMessage(pause.error)}</Alert>}
      <div className="flex flex-wrap gap-2">
        <Link to={`/q/${q.id}`} className={linkButton} aria-describedby={headingId}>
          Guest page
        </Link>
        {mayManage && (
          <>
            <Button tone="secondary" onClick={onEdit} aria-label={`Edit ${q.name}`}>
              Edit
            </Button>
            <Button tone="secondary" busy={pause.isPending} onClick={() => pause.mutate()} aria-label={`${q.accepting ? 'Pause' : 'Resume'} ${q.name}`}>
              {q.accepting ? 'Pause' : 'Resume'}
            </Button>
            <Button tone="danger" onClick={() => setDeleting(true)} aria-label={`Delete ${q.name}`}>
              Delete
            </Button>
          </>
        )}
      </div>
      <Modal
        open={deleting}
        onClose={() => setDeleting(false)}
        title={`Delete the queue “${q.name}”?`}
        actions={
          <>
            <Button tone="secondary" onClick={() => setDeleting(false)}>
              Keep it
            </Button>
            <Button tone="danger" busy={remove.isPending} onClick={() => remove.mutate()}>
              Delete queue
            </Button>
          </>
        }
      >
        <p className="text-stone-700">Guests can no longer join it. A queue with guests still waiting cannot be deleted.</p>
      </Modal>
    </li>
  );
}

// ---------------------------------------------------------------- the queue form

interface Draft {
  name: string;
  description: string;
  accepting: boolean;
  max_capacity: string;
  daily_cap: string;
  party_min: string;
  party_max: string;
  service_types: string;
  no_show_grace_minutes: string;
  guests_may_cancel: boolean;
  default_service_minutes: string;
  tables: string;
  notify_at_position: string;
  alwaysOpen: boolean;
  hours: Hours;
}

const usualHours = (): Hours => DAYS.map(() => [{ open: '11:00', close: '22:00' }]);
const optional = (n: number | null) => (n === null ? '' : String(n));

function toDraft(q: Queue | null): Draft {
  return {
    name: q?.name ?? '',
    description: q?.description ?? '',
    accepting: q?.accepting ?? true,
    max_capacity: optional(q?.max_capacity ?? null),
    daily_cap: optional(q?.daily_cap ?? null),
    party_min: String(q?.party_min ?? 1),
    party_max: String(q?.party_max ?? 12),
    service_types: (q?.service_types ?? []).join(', '),
    no_show_grace_minutes: q ? optional(q.no_show_grace_minutes) : '10',
    guests_may_cancel: q?.guests_may_cancel ?? true,
    default_service_minutes: String(q?.default_service_minutes ?? 45),
    tables: String(q?.tables ?? 4),
    notify_at_position: String(q?.notify_at_position ?? 2),
    alwaysOpen: !q?.hours,
    hours: q?.hours ? q.hours.map((d) => d.map((s) => ({ ...s }))) : usualHours(),
  };
}

type Problems = Record<string, string>;

function whole(text: string, field: string, problems: Problems, optionalField = false): number | null {
  const t = text.trim();
  if (t === '' && optionalField) return null;
  if (!/^\d+$/.test(t)) {
    problems[field] = optionalField ? 'Enter a whole number, or leave it empty for none.' : 'Enter a whole number.';
    return null;
  }
  return Number(t);
}

function fromDraft(d: Draft, problems: Problems): Omit<QueueInput, 'location_id'> {
  if (!d.name.trim()) problems.name = 'Give the queue a name.';
  return {
    name: d.name.trim(),
    description: d.description.trim(),
    accepting: d.accepting,
    max_capacity: whole(d.max_capacity, 'max_capacity', problems, true),
    daily_cap: whole(d.daily_cap, 'daily_cap', problems, true),
    party_min: whole(d.party_min, 'party_min', problems) ?? 1,
    party_max: whole(d.party_max, 'party_max', problems) ?? 1,
    service_types: d.service_types
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    no_show_grace_minutes: whole(d.no_show_grace_minutes, 'no_show_grace_minutes', problems, true),
    guests_may_cancel: d.guests_may_cancel,
    default_service_minutes: whole(d.default_service_minutes, 'default_service_minutes', problems) ?? 1,
    tables: whole(d.tables, 'tables', problems) ?? 1,
    notify_at_position: whole(d.notify_at_position, 'notify_at_position', problems) ?? 1,
    hours: d.alwaysOpen ? null : d.hours,
  };
}

function QueueForm({ queue, locationId, onDone }: { queue: Queue | null; locationId: string; onDone: (q: Queue | null, created: boolean) => void }) {
  const client = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => toDraft(queue));
  const [local, setLocal] = useState<Problems>({});
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const save = useMutation({
    mutationFn: (body: Omit<QueueInput, 'location_id'>) =>
      queue ? api.patch<Queue>(`/waitlist/queues/${queue.id}`, { ...body, version: queue.version }) : api.post<Queue>('/waitlist/queues', { ...body, location_id: locationId }),
    onSuccess: async (q) => {
      await client.invalidateQueries({ queryKey: ['waitlist', 'queues'] });
      onDone(q, !queue);
    },
  });
  const err = save.error instanceof ApiError ? save.error : null;
  const problem = (f: string) => local[f] ?? err?.errors.find((e) => e.field === `body.${f}` || e.field === f)?.message;
  const general = save.isError && !(err?.code === 'validation_failed' && err.errors.length > 0) ? save.error : undefined;
  const submit = () => {
    const problems: Problems = {};
    const body = fromDraft(draft, problems);
    setLocal(problems);
    if (Object.keys(problems).length === 0) save.mutate(body);
  };
  const num = (label: string, k: keyof Draft & string, hint?: string) => (
    <TextField label={label} inputMode="numeric" value={draft[k] as string} onChange={(e) => set(k, e.target.value as never)} error={problem(k)} hint={hint} />
  );
  return (
    <Card title={queue ? `Edit ${queue.name}` : 'New queue'}>
      <Form onSubmit={submit} error={general}>
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField label="Name" value={draft.name} onChange={(e) => set('name', e.target.value)} error={problem('name')} />
          <TextField label="Description" value={draft.description} onChange={(e) => set('description', e.target.value)} error={problem('description')} hint="Shown to guests on the join page." />
          {num('Smallest party', 'party_min')}
          {num('Largest party', 'party_max')}
          {num('Most parties in line', 'max_capacity', 'Empty: no limit.')}
          {num('Most parties a day', 'daily_cap', 'Empty: no limit.')}
          {num('Tables serving this line', 'tables', 'How many parties are seated at once; the wait estimate uses it.')}
          {num('Usual minutes at the table', 'default_service_minutes', 'Until enough history exists to estimate from.')}
          {num('No-show after (minutes)', 'no_show_grace_minutes', 'After being called. Empty: never automatically.')}
          {num('Tell guests at position', 'notify_at_position', 'A message that their turn is close.')}
          <div className="sm:col-span-2">
            <TextField label="Services" value={draft.service_types} onChange={(e) => set('service_types', e.target.value)} error={problem('service_types')} hint="Separated by commas, for example: Inside, Terrace. Empty: none to choose." />
          </div>
        </div>
        <Checkbox label="Taking guests" hint="Unticked: the queue is paused and guests cannot join." checked={draft.accepting} onChange={(v) => set('accepting', v)} />
        <Checkbox label="Guests may cancel their own place" checked={draft.guests_may_cancel} onChange={(v) => set('guests_may_cancel', v)} />
        <HoursEditor draft={draft} onChange={(alwaysOpen, hours) => setDraft((d) => ({ ...d, alwaysOpen, hours }))} problem={problem} />
        <div className="flex flex-wrap gap-2">
          <Button type="submit" busy={save.isPending}>
            {queue ? 'Save queue' : 'Create queue'}
          </Button>
          <Button tone="secondary" onClick={() => onDone(null, false)}>
            Cancel
          </Button>
        </div>
      </Form>
    </Card>
  );
}

function HoursEditor({ draft, onChange, problem }: { draft: Draft; onChange: (alwaysOpen: boolean, hours: Hours) => void; problem: (f: string) => string | undefined }) {
  const base = useId();
  const hours = draft.hours;
  const update = (day: number, spans: Hours[number]) => onChange(false, hours.map((d, i) => (i === day ? spans : d)));
  const listProblem = problem('hours');
  return (
    <fieldset className="flex flex-col gap-3">
      <legend className="text-sm font-medium text-stone-800">Opening hours</legend>
      <Checkbox label="Open at all hours" checked={draft.alwaysOpen} onChange={(v) => onChange(v, hours)} hint="Untick to set hours per weekday; a day with no hours is closed. A closing time before the opening time runs past midnight." />
      {listProblem && <p className="text-sm text-red-700">{listProblem}</p>}
      {!draft.alwaysOpen && (
        <ul className="flex flex-col gap-2">
          {hours.map((spans, day) => (
            <li key={day} className="flex flex-col gap-2 rounded-md border border-stone-200 p-3 sm:flex-row sm:items-start" data-testid="hours-day">
              <span className="w-28 pt-2 font-medium">{DAYS[day]}</span>
              <div className="flex flex-1 flex-col gap-2">
                {spans.length === 0 && <span className="pt-2 text-stone-600">Closed</span>}
                {spans.map((s, i) => {
                  const id = `${base}-${day}-${i}`;
                  const err = problem(`hours.${day}.${i}.open`) ?? problem(`hours.${day}.${i}.close`) ?? problem(`hours.${day}.${i}`);
                  return (
                    <div key={i} className="flex flex-wrap items-center gap-2">
                      <label htmlFor={`${id}-open`} className="sr-only">
                        {DAYS[day]} opens ({i + 1})
                      </label>
                      <input
                        id={`${id}-open`}
                        type="time"
                        value={s.open}
                        onChange={(e) => update(day, spans.map((x, j) => (j === i ? { ...x, open: e.target.value } : x)))}
                        className={cx('rounded-md border bg-white px-3 py-2 text-base', err ? 'border-red-600' : 'border-stone-300')}
                      />
                      <span aria-hidden="true">to</span>
                      <label htmlFor={`${id}-close`} className="sr-only">
                        {DAYS[day]} closes ({i + 1})
                      </label>
                      <input
                        id={`${id}-close`}
                        type="time"
                        value={s.close}
                        onChange={(e) => update(day, spans.map((x, j) => (j === i ? { ...x, close: e.target.value } : x)))}
                        className={cx('rounded-md border bg-white px-3 py-2 text-base', err ? 'border-red-600' : 'border-stone-300')}
                      />
                      <Button tone="ghost" onClick={() => update(day, spans.filter((_, j) => j !== i))} aria-label={`Remove ${DAYS[day]} hours ${i + 1}`}>
                        Remove
                      </Button>
                      {err && <p className="basis-full text-sm text-red-700">{err}</p>}
                    </div>
                  );
                })}
              </div>
              {spans.length < 4 && (
                <Button tone="secondary" onClick={() => update(day, [...spans, { open: '17:00', close: '22:00' }])} aria-label={`Add hours on ${DAYS[day]}`}>
                  Add hours
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}

// ---------------------------------------------------------------- the business's waitlist settings

function SettingsSection() {
  const settings = useQuery({ queryKey: ['waitlist', 'settings'], queryFn: () => api.get<WaitlistSettings>('/waitlist/settings') });
  // Outside the form, which starts afresh from each saved version.
  const [saved, setSaved] = useState(false);
  return (
    <QueryView query={settings} loading="Loading the waitlist settings…">
      {(s) => <SettingsForm key={s.version} settings={s} saved={saved} setSaved={setSaved} />}
    </QueryView>
  );
}

function SettingsForm({ settings, saved, setSaved }: { settings: WaitlistSettings; saved: boolean; setSaved: (v: boolean) => void }) {
  const client = useQueryClient();
  const [retention, setRetention] = useState(String(settings.retention_days));
  const [email, setEmail] = useState(settings.notify_email);
  const [sms, setSms] = useState(settings.notify_sms);
  const [whatsapp, setWhatsapp] = useState(settings.notify_whatsapp);
  const [problem, setProblem] = useState<string | undefined>();
  const save = useMutation({
    mutationFn: (retention_days: number) =>
      api.put<WaitlistSettings>('/waitlist/settings', { retention_days, notify_email: email, notify_sms: sms, notify_whatsapp: whatsapp, version: settings.version }),
    onSuccess: (s) => {
      setSaved(true);
      client.setQueryData(['waitlist', 'settings'], s);
    },
  });
  const err = save.error instanceof ApiError ? save.error : null;
  return (
    <Card title="Waitlist settings">
      <Form
        onSubmit={() => {
          setSaved(false);
          const n = /^\d+$/.test(retention.trim()) ? Number(retention.trim()) : null;
          setProblem(n === null ? 'Enter a number of days.' : undefined);
          if (n !== null) save.mutate(n);
        }}
        error={save.isError && !err?.fieldError('retention_days') ? save.error : undefined}
      >
        {saved && <Alert tone="success">Waitlist settings saved.</Alert>}
        <TextField
          label="Keep guests' details for (days)"
          inputMode="numeric"
          value={retention}
          onChange={(e) => setRetention(e.target.value)}
          error={problem ?? err?.fieldError('retention_days')}
          hint="After this, names, phone numbers and messages of finished visits are erased; the counts for analytics stay."
        />
        <fieldset className="flex flex-col gap-3">
          <legend className="text-sm font-medium text-stone-800">Tell guests by</legend>
          <Checkbox label="Email" checked={email} onChange={setEmail} />
          <Checkbox label="Text message (SMS)" checked={sms} onChange={setSms} disabled={!settings.sms_available && !sms} hint={settings.sms_available ? undefined : 'No SMS provider is set up for Brigade yet.'} />
          <Checkbox
            label="WhatsApp"
            checked={whatsapp}
            onChange={setWhatsapp}
            disabled={!settings.whatsapp_available && !whatsapp}
            hint={settings.whatsapp_available ? undefined : 'No WhatsApp provider is set up for Brigade yet.'}
          />
        </fieldset>
        <div>
          <Button type="submit" busy={save.isPending}>
            Save settings
          </Button>
        </div>
      </Form>
    </Card>
  );
}
