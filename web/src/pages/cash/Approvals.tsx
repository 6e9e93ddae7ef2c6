import { useId, useMemo, useState, type ReactNode, type TextareaHTMLAttributes } from 'react';
import { Link, NavLink, useParams, useSearchParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, getAll, qs } from '../../lib/api';
import { can, useCurrentLocation, useSession, type Location, type Session } from '../../lib/session';
import { useFormat } from '../../lib/format';
import { Alert, Badge, Button, Card, EmptyState, ErrorState, Form, Loading, PageHeader, QueryView, SelectField, Table, Td, TextField, cx } from '../../ui';
import { Pager, useCursorPaging } from '../../ui/paging';
import { MOVEMENT_LABELS, RECONCILIATION_STATUS, type Count, type Reconciliation, type ReconciliationSummary } from './types';

/*
 * The manager's side of cash: the queue of counts waiting for a decision, the history of every count, and one
 * reconciliation in full, so a missing $40 can be followed to the drawer, the shift and the person.
 * The small pieces the other manager pages share (the cash sub-menu, variance in words) live here too.
 */

// ---------------------------------------------------------------- shared by the manager's cash pages

const CASH_PAGES: { to: string; label: string; permission: string }[] = [
  { to: '/cash', label: 'Drawers', permission: 'cash.register.read' },
  { to: '/cash/approvals', label: 'Approvals', permission: 'cash.reconciliation.read' },
  { to: '/cash/day', label: 'Day close', permission: 'cash.day.read' },
  { to: '/cash/reports', label: 'Reports', permission: 'cash.report.read' },
  { to: '/cash/settings', label: 'Settings', permission: 'cash.settings.manage' },
];

/** The cash pages this person may open: the main menu has one "Cash" entry, this leads from there. */
export function CashManagerNav() {
  const session = useSession().data as Session;
  const pages = CASH_PAGES.filter((p) => can(session, p.permission));
  if (pages.length < 2) return null;
  return (
    <nav aria-label="Cash pages" className="mb-4 print:hidden">
      <ul className="flex flex-wrap gap-1 border-b border-stone-200 pb-2">
        {pages.map((p) => (
          <li key={p.to}>
            <NavLink
              to={p.to}
              end
              className={({ isActive }) =>
                cx('block rounded-md px-3 py-1.5 text-sm font-medium', isActive ? 'bg-stone-800 text-white' : 'text-stone-700 hover:bg-stone-200')
              }
            >
              {p.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** Counted against expected in words, not only in colour: "Short $12.00" in red, "Over $3.00", "Even". */
export function VarianceText({ minor, currency, className }: { minor: number | null | undefined; currency?: string; className?: string }) {
  const fmt = useFormat();
  if (minor === null || minor === undefined) return <span className={cx('text-stone-600', className)}>Not shown</span>;
  if (minor === 0) return <span className={className}>Even</span>;
  const amount = fmt.money(Math.abs(minor), currency);
  return minor < 0 ? (
    <span className={cx('font-medium text-red-700', className)}>Short {amount}</span>
  ) : (
    <span className={cx('font-medium text-amber-800', className)}>Over {amount}</span>
  );
}

const STATUS_TONE = { accepted: 'good', pending: 'warn', approved: 'good', rejected: 'bad' } as const;

export function ReconciliationStatus({ status }: { status: ReconciliationSummary['status'] }) {
  return <Badge tone={STATUS_TONE[status]}>{RECONCILIATION_STATUS[status]}</Badge>;
}

/** Why a count needs a manager: over the tolerance, or the rules ask for every count to be approved. */
function ReviewReason({ r }: { r: ReconciliationSummary }) {
  if (r.outcome === 'flagged') return <Badge tone="bad">Flagged</Badge>;
  if (r.approval_required) return <Badge tone="warn">Approval required</Badge>;
  return null;
}

/**
 * A business date (`YYYY-MM-DD`) as the locale writes it. It is a calendar day, not an instant: formatted at UTC
 * midnight in UTC, so no time zone moves it to the day before.
 */
export function useBusinessDay() {
  const { locale } = useFormat();
  return useMemo(() => {
    const f = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
    const long = new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeZone: 'UTC' });
    const tiny = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' });
    const parse = (d: string) => new Date(`${d}T00:00:00Z`);
    return {
      /** Month and day only, for a chart's axis. */
      tiny: (d: string) => (/^\d{4}-\d{2}-\d{2}$/.test(d) ? tiny.format(parse(d)) : d),
      short: (d: string) => (/^\d{4}-\d{2}-\d{2}$/.test(d) ? f.format(parse(d)) : d),
      long: (d: string) => (/^\d{4}-\d{2}-\d{2}$/.test(d) ? long.format(parse(d)) : d),
    };
  }, [locale]);
}

/** A labelled multi-line field, built like the kit's TextField. */
export function TextArea({ label, error, hint, ...rest }: { label: string; error?: string; hint?: ReactNode } & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium text-stone-800">
        {label}
      </label>
      <textarea
        id={id}
        rows={3}
        {...rest}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : hint ? `${id}-hint` : undefined}
        className={cx('w-full rounded-md border bg-white px-3 py-2 text-base text-stone-900 shadow-sm', error ? 'border-red-600' : 'border-stone-300')}
      />
      {hint && !error && (
        <p id={`${id}-hint`} className="text-xs text-stone-600">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="text-sm text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

/** The server's message for exactly one field path (`body.denominations.2.value`), or for a path ending with it. */
export function fieldProblem(err: unknown, path: string): string | undefined {
  if (!(err instanceof ApiError)) return undefined;
  return err.errors.find((e) => e.field === path || e.field === `body.${path}` || e.field === `query.${path}`)?.message;
}

export function locationName(locations: Location[], id: string): string {
  return locations.find((l) => l.id === id)?.name ?? 'Another location';
}

// ---------------------------------------------------------------- approvals and history

interface ReconciliationPageData {
  items: ReconciliationSummary[];
  next_cursor: string | null;
}

interface Person {
  id: string;
  name: string;
  email?: string;
}

const HISTORY_FILTERS = ['location', 'status', 'from', 'to', 'person'] as const;
type HistoryFilters = Record<(typeof HISTORY_FILTERS)[number], string>;
const STATUSES = Object.keys(RECONCILIATION_STATUS) as ReconciliationSummary['status'][];

export function ApprovalsPage() {
  const session = useSession().data as Session;
  const approver = can(session, 'cash.reconciliation.approve');
  if (!can(session, 'cash.reconciliation.read')) {
    return (
      <>
        <PageHeader title="Approvals" />
        <Alert title="Not available to you">Counts and their approvals are open to the people who count drawers and their managers.</Alert>
      </>
    );
  }
  return (
    <>
      <CashManagerNav />
      <PageHeader
        title="Approvals"
        description={
          approver
            ? 'Counts outside the tolerance, or waiting because every count needs approval. You cannot approve your own count.'
            : 'Your counts and what became of them.'
        }
      />
      <div className="flex flex-col gap-8">
        {approver && <PendingList />}
        <History session={session} />
      </div>
    </>
  );
}

function PendingList() {
  const fmt = useFormat();
  const day = useBusinessDay();
  const { locations } = useCurrentLocation();
  const session = useSession().data as Session;
  const pending = useQuery({
    queryKey: ['cash', 'reconciliations', 'pending'],
    queryFn: () => api.get<{ items: ReconciliationSummary[] }>('/cash/reconciliations/pending'),
    refetchInterval: 60_000,
  });
  return (
    <section aria-labelledby="pending-heading" className="flex flex-col gap-3">
      <h2 id="pending-heading" className="text-lg font-semibold">
        Waiting for a decision
      </h2>
      <QueryView query={pending} loading="Loading counts waiting for a decision…">
        {(data) => {
          const items = [...data.items].sort((a, b) => b.submitted_at.localeCompare(a.submitted_at));
          if (items.length === 0) return <EmptyState>No counts are waiting for a manager.</EmptyState>;
          return (
            <Table caption="Counts waiting for a decision, newest first" head={['Register', 'Business date', 'Counted by', 'Counted', 'Expected', 'Variance', 'Why', '']}>
              {items.map((r) => (
                <tr key={r.id} data-testid="pending-row">
                  <Td className="font-medium">
                    {r.register.name}
                    {locations.length > 1 && <span className="block text-xs text-stone-600">{locationName(locations, r.location_id)}</span>}
                  </Td>
                  <Td className="whitespace-nowrap">{day.short(r.business_date)}</Td>
                  <Td>
                    {r.submitted_by.name}
                    <time dateTime={r.submitted_at} className="block text-xs text-stone-600">
                      {fmt.dateTime(r.submitted_at)}
                    </time>
                  </Td>
                  <Td className="whitespace-nowrap">{fmt.money(r.counted)}</Td>
                  <Td className="whitespace-nowrap">{r.expected === null ? '—' : fmt.money(r.expected)}</Td>
                  <Td className="whitespace-nowrap">
                    <VarianceText minor={r.variance} />
                  </Td>
                  <Td>
                    <ReviewReason r={r} />
                    {r.submitted_by.id === session.user.id && <span className="mt-1 block text-xs text-stone-600">Your own count</span>}
                  </Td>
                  <Td>
                    <Link to={`/cash/reconciliations/${r.id}`} className="text-brand underline" aria-label={`Review ${r.register.name}, ${day.short(r.business_date)}, counted by ${r.submitted_by.name}`}>
                      Review
                    </Link>
                  </Td>
                </tr>
              ))}
            </Table>
          );
        }}
      </QueryView>
    </section>
  );
}

function readHistoryFilters(params: URLSearchParams): HistoryFilters {
  return Object.fromEntries(HISTORY_FILTERS.map((k) => [k, params.get(k) ?? ''])) as HistoryFilters;
}

function History({ session }: { session: Session }) {
  const [params, setParams] = useSearchParams();
  const filters = readHistoryFilters(params);
  const filterKey = HISTORY_FILTERS.map((k) => filters[k]).join('\u0000');
  // Cursors of the pages already passed, so "Newer" can go back; a new filter starts again at the newest.
  const paging = useCursorPaging(filterKey);
  const cursor = paging.cursor;
  const fmt = useFormat();
  const day = useBusinessDay();
  const { locations } = useCurrentLocation();
  const seesEveryone = can(session, 'cash.reconciliation.all.read');
  const people = useQuery({
    queryKey: ['users', 'list'],
    queryFn: async () => ({ items: await getAll<Person>('/users') }),
    enabled: seesEveryone && can(session, 'identity.user.read'),
    staleTime: 60_000,
  });

  const query = {
    location_id: filters.location,
    status: filters.status,
    from: filters.from,
    to: filters.to,
    person_id: filters.person,
    limit: 50,
    cursor,
  };
  const list = useQuery({
    queryKey: ['cash', 'reconciliations', 'list', query],
    queryFn: () => api.get<ReconciliationPageData>(`/cash/reconciliations${qs(query)}`),
    placeholderData: (prev) => prev,
  });

  const apply = (next: HistoryFilters) => {
    const p = new URLSearchParams();
    for (const k of HISTORY_FILTERS) if (next[k].trim()) p.set(k, next[k].trim());
    setParams(p);
  };

  return (
    <section aria-labelledby="history-heading" className="flex flex-col gap-3">
      <h2 id="history-heading" className="text-lg font-semibold">
        All counts
      </h2>
      <Card>
        <HistoryFilterForm
          key={filterKey}
          initial={filters}
          locations={locations}
          people={seesEveryone ? (people.data?.items ?? null) : null}
          onApply={apply}
          error={list.error}
        />
      </Card>
      {list.isPending ? (
        <Loading label="Loading counts…" />
      ) : list.isError && !list.data ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <EmptyState>No counts match these filters.</EmptyState>
      ) : (
        <Table caption="Counts, newest first" head={['Business date', 'Register', 'Counted by', 'Counted', 'Expected', 'Variance', 'Status', '']}>
          {list.data.items.map((r) => (
            <tr key={r.id} data-testid="history-row">
              <Td className="whitespace-nowrap">{day.short(r.business_date)}</Td>
              <Td className="font-medium">
                {r.register.name}
                {r.attempt > 1 && <span className="block text-xs text-stone-600">Recount {r.attempt}</span>}
                {locations.length > 1 && <span className="block text-xs text-stone-600">{locationName(locations, r.location_id)}</span>}
              </Td>
              <Td>
                {r.submitted_by.name}
                <time dateTime={r.submitted_at} className="block text-xs text-stone-600">
                  {fmt.dateTime(r.submitted_at)}
                </time>
              </Td>
              <Td className="whitespace-nowrap">{fmt.money(r.counted)}</Td>
              <Td className="whitespace-nowrap">{r.expected === null ? '—' : fmt.money(r.expected)}</Td>
              <Td className="whitespace-nowrap">
                <VarianceText minor={r.variance} />
              </Td>
              <Td>
                <ReconciliationStatus status={r.status} />
              </Td>
              <Td>
                <Link to={`/cash/reconciliations/${r.id}`} className="text-brand underline" aria-label={`Open ${r.register.name}, ${day.short(r.business_date)}, counted by ${r.submitted_by.name}`}>
                  Open
                </Link>
              </Td>
            </tr>
          ))}
        </Table>
      )}
      <Pager label="Pages of counts" paging={paging} next={list.data?.next_cursor} placeholder={list.isPlaceholderData} fetching={list.isFetching && !list.isPending} />
    </section>
  );
}

function HistoryFilterForm({
  initial,
  locations,
  people,
  onApply,
  error,
}: {
  initial: HistoryFilters;
  locations: Location[];
  people: Person[] | null;
  onApply: (f: HistoryFilters) => void;
  error: unknown;
}) {
  const [draft, setDraft] = useState(initial);
  const field = (k: keyof HistoryFilters) => ({
    name: k,
    value: draft[k],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value }),
  });
  const empty = Object.fromEntries(HISTORY_FILTERS.map((k) => [k, ''])) as HistoryFilters;
  // A refused filter (a "to" before the "from") is named beside its field; anything else above the form.
  const byField = fieldProblem(error, 'query.to') ?? fieldProblem(error, 'query.from');
  return (
    <Form onSubmit={() => onApply(draft)} error={error && !byField ? error : undefined}>
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-5">
        <SelectField label="Location" {...field('location')}>
          <option value="">All my locations</option>
          {locations.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name}
            </option>
          ))}
        </SelectField>
        <SelectField label="Status" {...field('status')}>
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {RECONCILIATION_STATUS[s]}
            </option>
          ))}
        </SelectField>
        <TextField label="From" type="date" hint="Business date." error={fieldProblem(error, 'query.from')} {...field('from')} />
        <TextField label="To" type="date" hint="This day included." error={fieldProblem(error, 'query.to')} {...field('to')} />
        {people && (
          <SelectField label="Counted by" {...field('person')}>
            <option value="">Anyone</option>
            {[...people]
              .sort((a, b) => a.name.localeCompare(b.name))
              .map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
          </SelectField>
        )}
      </div>
      <div className="flex flex-wrap gap-2">
        <Button type="submit">Apply filters</Button>
        <Button
          tone="secondary"
          onClick={() => {
            setDraft(empty);
            onApply(empty);
          }}
        >
          Clear
        </Button>
      </div>
    </Form>
  );
}

// ---------------------------------------------------------------- one reconciliation

export function ReconciliationPage() {
  const { id } = useParams();
  const rec = useQuery({
    queryKey: ['cash', 'reconciliation', id],
    queryFn: () => api.get<Reconciliation>(`/cash/reconciliations/${id}`),
  });
  const day = useBusinessDay();
  return (
    <>
      <CashManagerNav />
      <PageHeader
        title={rec.data ? `${rec.data.register.name}, ${day.long(rec.data.business_date)}` : 'Reconciliation'}
        description={rec.data ? `Count ${rec.data.attempt > 1 ? `${rec.data.attempt} (a recount)` : '1'} of this drawer.` : undefined}
        actions={
          <Link to="/cash/approvals" className="text-sm text-brand underline">
            Back to approvals
          </Link>
        }
      />
      <QueryView query={rec} loading="Loading the reconciliation…">
        {(r) => <ReconciliationDetail key={r.id} rec={r} onReload={() => void rec.refetch()} />}
      </QueryView>
    </>
  );
}

function ReconciliationDetail({ rec, onReload }: { rec: Reconciliation; onReload: () => void }) {
  const fmt = useFormat();
  return (
    <div className="flex flex-col gap-6">
      <div className="grid items-start gap-6 lg:grid-cols-[1fr_24rem]">
        <Card title="Summary">
          <dl className="grid grid-cols-1 gap-x-4 gap-y-2 text-sm sm:grid-cols-[11rem_1fr]">
            <Row label="Status">
              <span className="flex flex-wrap items-center gap-2">
                <ReconciliationStatus status={rec.status} />
                <ReviewReason r={rec} />
              </span>
            </Row>
            <Row label="Variance">
              <VarianceText minor={rec.variance} />
              {rec.variance !== null && <span className="text-stone-600"> (tolerance {fmt.money(rec.tolerance)})</span>}
            </Row>
            <Row label="Drawer opened by">
              {rec.opened_by.name}
            </Row>
            <Row label="Counted by">
              {rec.submitted_by.name}, <time dateTime={rec.submitted_at}>{fmt.dateTime(rec.submitted_at)}</time>
            </Row>
            {rec.decided_by && (
              <Row label={rec.status === 'rejected' ? 'Rejected by' : 'Approved by'}>
                {rec.decided_by.name}
                {rec.decided_at && (
                  <>
                    , <time dateTime={rec.decided_at}>{fmt.dateTime(rec.decided_at)}</time>
                  </>
                )}
              </Row>
            )}
            {rec.decision_comment && <Row label="Comment">“{rec.decision_comment}”</Row>}
          </dl>
        </Card>
        <Decision rec={rec} onReload={onReload} />
      </div>
      <Totals rec={rec} />
      <Movements rec={rec} />
      <Counts counts={rec.counts} />
      <DecisionHistory rec={rec} />
    </div>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="contents">
      <dt className="font-medium text-stone-700">{label}</dt>
      <dd className="mb-2 sm:mb-0">{children}</dd>
    </div>
  );
}

function Totals({ rec }: { rec: Reconciliation }) {
  const fmt = useFormat();
  const t = rec.totals;
  const m = (v: number | null) => (v === null ? 'Not shown' : fmt.money(v));
  const lines: [string, string, string][] = [
    ['', 'Opening float', m(t.opening_float)],
    ['+', MOVEMENT_LABELS.cash_sale, m(t.cash_sales)],
    ['+', MOVEMENT_LABELS.cash_in, m(t.cash_in)],
    ['−', 'Pay outs', m(t.pay_outs)],
    ['−', 'Tip outs', m(t.tip_outs)],
    ['−', 'Drops to safe', m(t.drops)],
  ];
  return (
    <Card title="What the drawer should hold">
      <Table caption="Expected cash, counted cash and variance" head={['', 'Line', 'Amount']}>
        {lines.map(([sign, label, value]) => (
          <tr key={label}>
            <Td className="w-8 text-center font-mono" >
              <span aria-hidden="true">{sign}</span>
              <span className="sr-only">{sign === '+' ? 'plus' : sign === '−' ? 'minus' : ''}</span>
            </Td>
            <Td>{label}</Td>
            <Td className="text-right tabular-nums">{value}</Td>
          </tr>
        ))}
        <tr className="bg-stone-50 font-semibold">
          <Td className="w-8 text-center font-mono">
            <span aria-hidden="true">=</span>
            <span className="sr-only">equals</span>
          </Td>
          <Td>Expected</Td>
          <Td className="text-right tabular-nums" >
            {m(rec.expected ?? t.expected)}
          </Td>
        </tr>
        <tr>
          <Td className="w-8">{''}</Td>
          <Td>Counted</Td>
          <Td className="text-right tabular-nums">{fmt.money(rec.counted)}</Td>
        </tr>
        <tr className="font-semibold">
          <Td className="w-8">{''}</Td>
          <Td>Variance</Td>
          <Td className="text-right tabular-nums">
            <VarianceText minor={rec.variance} />
          </Td>
        </tr>
      </Table>
      {rec.expected === null && <p className="mt-2 text-sm text-stone-600">Counts are blind here: the expected amount is not shown to the person who counted.</p>}
    </Card>
  );
}

function Movements({ rec }: { rec: Reconciliation }) {
  const fmt = useFormat();
  return (
    <Card title="Cash movements">
      {rec.movements.length === 0 ? (
        <EmptyState>No cash was recorded in or out of this drawer.</EmptyState>
      ) : (
        <Table caption="Cash movements of this drawer, in order" head={['When', 'Kind', 'Amount', 'Reason', 'Recorded by']}>
          {rec.movements.map((mv) => (
            <tr key={mv.id} data-testid="movement-row">
              <Td className="whitespace-nowrap">
                <time dateTime={mv.recorded_at}>{fmt.dateTime(mv.recorded_at)}</time>
              </Td>
              <Td>
                {MOVEMENT_LABELS[mv.kind]}
                {mv.source === 'pos' && <span className="block text-xs text-stone-600">From the till{mv.external_ref ? ` (${mv.external_ref})` : ''}</span>}
              </Td>
              <Td className="whitespace-nowrap text-right tabular-nums">{mv.amount === null ? 'Not shown' : fmt.money(mv.amount)}</Td>
              <Td>{mv.reason ?? '—'}</Td>
              <Td>{mv.recorded_by.name}</Td>
            </tr>
          ))}
        </Table>
      )}
    </Card>
  );
}

function Counts({ counts }: { counts: Count[] }) {
  const fmt = useFormat();
  let closing = 0;
  return (
    <Card title="Counts">
      <div className="grid gap-6 lg:grid-cols-2">
        {counts.map((c) => {
          const title = c.purpose === 'opening' ? 'Opening count' : `Closing count ${++closing}`;
          const lines = [...c.lines].filter((l) => l.quantity > 0).sort((a, b) => b.value - a.value);
          return (
            <section key={c.id} aria-label={title} className="flex flex-col gap-2">
              <h3 className="font-semibold">{title}</h3>
              <p className="text-sm text-stone-600">
                {c.counted_by.name}, <time dateTime={c.counted_at}>{fmt.dateTime(c.counted_at)}</time>
              </p>
              <Table caption={`${title}: by denomination`} head={['Denomination', 'Quantity', 'Amount']}>
                {lines.map((l) => (
                  <tr key={l.value}>
                    <Td>{fmt.money(l.value)}</Td>
                    <Td className="text-right tabular-nums">{l.quantity}</Td>
                    <Td className="text-right tabular-nums">{fmt.money(l.value * l.quantity)}</Td>
                  </tr>
                ))}
                <tr className="bg-stone-50 font-semibold">
                  <Td>Total</Td>
                  <Td>{''}</Td>
                  <Td className="text-right tabular-nums">{fmt.money(c.total)}</Td>
                </tr>
              </Table>
            </section>
          );
        })}
      </div>
    </Card>
  );
}

/** Every attempt of this drawer's count and what a manager decided, first to last. */
function DecisionHistory({ rec }: { rec: Reconciliation }) {
  const fmt = useFormat();
  return (
    <Card title="Decision history">
      <ol className="flex flex-col gap-3">
        {rec.attempts.map((r) => (
          <li key={r.id} className={cx('rounded-md border p-3 text-sm', r.id === rec.id ? 'border-stone-400' : 'border-stone-200')}>
            <p>
              <span className="font-semibold">Count {r.attempt}</span>: {fmt.money(r.counted)} counted by {r.submitted_by.name},{' '}
              <time dateTime={r.submitted_at}>{fmt.dateTime(r.submitted_at)}</time>. <VarianceText minor={r.variance} />.
              {r.id !== rec.id && (
                <>
                  {' '}
                  <Link to={`/cash/reconciliations/${r.id}`} className="text-brand underline">
                    Open count {r.attempt}
                  </Link>
                </>
              )}
            </p>
            <p className="mt-1 text-stone-700">
              {r.status === 'accepted' && 'Balanced: accepted without a manager.'}
              {r.status === 'pending' && 'Waiting for a manager.'}
              {(r.status === 'approved' || r.status === 'rejected') && (
                <>
                  {r.status === 'approved' ? 'Approved' : 'Rejected for a recount'} by {r.decided_by?.name ?? 'a manager'}
                  {r.decided_at && (
                    <>
                      , <time dateTime={r.decided_at}>{fmt.dateTime(r.decided_at)}</time>
                    </>
                  )}
                  {r.decision_comment ? `: “${r.decision_comment}”` : '.'}
                </>
              )}
            </p>
          </li>
        ))}
      </ol>
    </Card>
  );
}

function Decision({ rec, onReload }: { rec: Reconciliation; onReload: () => void }) {
  const session = useSession().data as Session;
  const client = useQueryClient();
  const [comment, setComment] = useState('');
  const [missing, setMissing] = useState(false);
  const [done, setDone] = useState<'approved' | 'rejected' | null>(null);
  const decide = useMutation({
    mutationFn: (action: 'approve' | 'reject') =>
      api.post<Reconciliation>(`/cash/reconciliations/${rec.id}/${action}`, { version: rec.version, ...(comment.trim() ? { comment: comment.trim() } : {}) }),
    onSuccess: async (updated, action) => {
      setDone(action === 'approve' ? 'approved' : 'rejected');
      client.setQueryData(['cash', 'reconciliation', rec.id], updated);
      await client.invalidateQueries({ queryKey: ['cash', 'reconciliations'] });
    },
  });

  if (done) {
    return (
      <Alert tone="success" title={done === 'approved' ? 'Count approved' : 'Count rejected'}>
        {done === 'approved' ? 'The drawer is reconciled.' : `${rec.submitted_by.name} is asked to count the drawer again.`}{' '}
        <Link to="/cash/approvals" className="underline">
          Back to approvals
        </Link>
      </Alert>
    );
  }
  if (rec.status !== 'pending') return null;
  if (!can(session, 'cash.reconciliation.approve', rec.location_id)) {
    return <Alert tone="info">This count waits for a manager of its location.</Alert>;
  }
  if (rec.submitted_by.id === session.user.id) {
    return (
      <Alert tone="info" title="This is your own count">
        Another manager must approve or reject it: nobody decides on a count they made.
      </Alert>
    );
  }

  const err = decide.error instanceof ApiError ? decide.error : null;
  const stale = err?.code === 'stale_version';
  const own = err?.code === 'own_count';
  const commentError = missing ? 'Say why the count is rejected: the person recounting reads it.' : fieldProblem(err, 'body.comment');
  // The refusals with their own words below are not repeated above the form.
  const formError = err ? (stale || own || commentError ? undefined : err) : decide.error;
  return (
    <Card title="Decide">
      <Form onSubmit={() => decide.mutate('approve')} error={formError}>
        {own && (
          <Alert title="You cannot decide on your own count">
            {err.message}
          </Alert>
        )}
        {stale && (
          <Alert tone="warning" title="This count changed since you opened it">
            <p>Nothing was decided. Reload to see what changed (another manager may have decided already).</p>
            <Button tone="secondary" className="mt-2" onClick={onReload}>
              Reload
            </Button>
          </Alert>
        )}
        <TextArea
          label="Comment"
          name="comment"
          maxLength={1000}
          value={comment}
          hint="Optional when approving; required when rejecting."
          error={commentError}
          onChange={(e) => {
            setComment(e.target.value);
            setMissing(false);
          }}
        />
        <div className="flex flex-wrap gap-2">
          <Button type="submit" busy={decide.isPending && decide.variables === 'approve'} disabled={decide.isPending}>
            Approve
          </Button>
          <Button
            tone="danger"
            busy={decide.isPending && decide.variables === 'reject'}
            disabled={decide.isPending}
            onClick={() => {
              if (!comment.trim()) {
                setMissing(true);
                return;
              }
              decide.mutate('reject');
            }}
          >
            Reject
          </Button>
        </div>
      </Form>
    </Card>
  );
}
