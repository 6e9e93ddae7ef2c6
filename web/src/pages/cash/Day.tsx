import { useState, type ReactNode } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, qs } from '../../lib/api';
import { can, useBusiness, useCurrentLocation, useSession, type Location, type Session } from '../../lib/session';
import { useFormat } from '../../lib/format';
import { Alert, Badge, Button, Card, EmptyState, ErrorState, Loading, Modal, PageHeader, QueryView, Table, Td, TextField, cx, errorMessage } from '../../ui';
import { CashManagerNav, ReconciliationStatus, TextArea, VarianceText, fieldProblem, useBusinessDay } from './Approvals';
import { RECONCILIATION_STATUS, type DayClose, type DayStatus } from './types';
import { useSearchParamUpdate } from '../../lib/search-params';

/*
 * The business day of a location: once every drawer is reconciled a manager closes it. A close is numbered, hashed
 * and never edited; reopening adds a reversal that names its reason, and the Z report prints either.
 */

interface ClosePage {
  items: DayClose[];
  next_cursor: string | null;
}

const DRAWER_STATUS: Record<DayStatus['drawers'][number]['status'], string> = {
  open: 'Open',
  submitted: 'Counted',
  recount: 'Sent back for a recount',
  reconciled: 'Reconciled',
};

export function DayPage() {
  const session = useSession().data as Session;
  const { current } = useCurrentLocation();
  if (!can(session, 'cash.day.read')) {
    return (
      <>
        <PageHeader title="Day close" />
        <Alert title="Not available to you">Closing the business day is for managers.</Alert>
      </>
    );
  }
  return (
    <>
      <CashManagerNav />
      <PageHeader title="Day close" description={current ? `${current.name}: once every drawer is reconciled, close the business day.` : undefined} />
      {current ? (
        <Day key={current.id} location={current} session={session} />
      ) : (
        <EmptyState>There is no location to close a day at.</EmptyState>
      )}
    </>
  );
}

function Day({ location, session }: { location: Location; session: Session }) {
  const [params] = useSearchParams();
  const setDate = useSearchParamUpdate();
  const chosen = /^\d{4}-\d{2}-\d{2}$/.test(params.get('date') ?? '') ? params.get('date')! : '';
  const client = useQueryClient();
  // Times at this location's clock: the deadline is the location's.
  const fmt = useFormat(location.time_zone);
  const day = useBusinessDay();
  const status = useQuery({
    queryKey: ['cash', 'day', location.id, chosen],
    queryFn: () => api.get<DayStatus>(`/cash/locations/${location.id}/day${qs({ date: chosen })}`),
  });
  const [confirming, setConfirming] = useState(false);
  const [closed, setClosed] = useState<DayClose | null>(null);
  const mayClose = can(session, 'cash.day.close', location.id);

  const close = useMutation({
    mutationFn: (date: string) => api.post<DayClose>(`/cash/locations/${location.id}/day-closes`, { business_date: date }),
    onSuccess: async (c) => {
      setConfirming(false);
      setClosed(c);
      await client.invalidateQueries({ queryKey: ['cash', 'day'] });
      await client.invalidateQueries({ queryKey: ['cash', 'day-closes'] });
    },
  });

  const pickDate = (d: string) => {
    setClosed(null);
    close.reset();
    setDate({ date: d });
  };

  return (
    <div className="flex flex-col gap-6">
      <Card title="Business day">
        <div className="flex flex-wrap items-end gap-4">
          <div className="w-56">
            <TextField
              label="Business date"
              type="date"
              name="date"
              value={chosen || status.data?.business_date || ''}
              max={status.data?.today}
              onChange={(e) => pickDate(e.target.value)}
            />
          </div>
          {status.data && chosen && chosen !== status.data.today && (
            <Button tone="secondary" onClick={() => pickDate('')}>
              Today
            </Button>
          )}
        </div>
      </Card>
      {closed && (
        <Alert tone="success" title={`Day closed: close number ${closed.number}`}>
          {day.long(closed.business_date)} at {closed.location_name} is closed.{' '}
          <Link to={`/cash/day-closes/${closed.id}`} className="font-medium underline">
            Z report
          </Link>
        </Alert>
      )}
      <QueryView query={status} loading="Loading the day…">
        {(d) => (
          <>
            <DaySummary d={d} fmt={fmt} checkedAt={status.dataUpdatedAt} />
            <DrawersOfDay d={d} fmt={fmt} />
            {!d.closed && mayClose && (
              <div className="flex flex-col gap-3">
                {close.isError && (
                  <Alert title="The day was not closed">
                    <p>{errorMessage(close.error)}</p>
                  </Alert>
                )}
                <div>
                  <Button size="lg" disabled={d.blockers.length > 0} onClick={() => setConfirming(true)}>
                    Close the day
                  </Button>
                  {d.blockers.length > 0 && <p className="mt-2 text-sm text-stone-600">Possible once nothing above stands in the way.</p>}
                </div>
              </div>
            )}
            <Modal
              open={confirming}
              onClose={() => !close.isPending && setConfirming(false)}
              title={`Close ${day.long(d.business_date)}?`}
              actions={
                <>
                  <Button tone="secondary" disabled={close.isPending} onClick={() => setConfirming(false)}>
                    Cancel
                  </Button>
                  <Button busy={close.isPending} onClick={() => close.mutate(d.business_date)}>
                    Close the day now
                  </Button>
                </>
              }
            >
              <p className="text-stone-700">
                The close gets the next number at {location.name} and cannot be edited. Reopening it later needs a reason and is recorded.
              </p>
              {close.isError && <Alert>{errorMessage(close.error)}</Alert>}
            </Modal>
          </>
        )}
      </QueryView>
      <CloseList location={location} session={session} />
    </div>
  );
}

type Fmt = ReturnType<typeof useFormat>;

function DaySummary({ d, fmt, checkedAt }: { d: DayStatus; fmt: Fmt; checkedAt: number }) {
  const day = useBusinessDay();
  // Past the deadline as of when the day was loaded (it reloads on focus and after every change).
  const past = new Date(d.deadline).getTime() < checkedAt;
  return (
    <Card title={day.long(d.business_date)}>
      <div className="flex flex-col gap-4">
        {d.closed && d.close ? (
          <Alert tone="success" title={`Closed: close number ${d.close.number}`}>
            Closed by {d.close.closed_by.name}, <time dateTime={d.close.closed_at}>{fmt.dateTime(d.close.closed_at)}</time>.{' '}
            <Link to={`/cash/day-closes/${d.close.id}`} className="font-medium underline">
              Z report
            </Link>
          </Alert>
        ) : d.blockers.length > 0 ? (
          <Alert tone="warning" title="The day cannot be closed yet">
            <ul className="mt-1 list-disc pl-5">
              {d.blockers.map((b) => (
                <li key={b}>{b}</li>
              ))}
            </ul>
          </Alert>
        ) : (
          <Alert tone="info" title="Ready to close">
            Every drawer of the day is reconciled.
          </Alert>
        )}
        <p className="text-sm text-stone-700">
          Drawers are due by <time dateTime={d.deadline}>{fmt.dateTime(d.deadline)}</time>
          {!d.closed && past && <span className="font-medium text-red-700"> (past the deadline)</span>}.
        </p>
      </div>
    </Card>
  );
}

function DrawersOfDay({ d, fmt }: { d: DayStatus; fmt: Fmt }) {
  if (d.drawers.length === 0) return <EmptyState>No drawer was opened on this day.</EmptyState>;
  return (
    <Table caption="Drawers of the day" head={['Register', 'Opened by', 'Drawer', 'Count']}>
      {d.drawers.map((dr) => (
        <tr key={dr.id} data-testid="day-drawer">
          <Td className="font-medium">{dr.register.name}</Td>
          <Td>
            {dr.opened_by.name}
            <time dateTime={dr.opened_at} className="block text-xs text-stone-600">
              {fmt.dateTime(dr.opened_at)}
            </time>
          </Td>
          <Td>
            <Badge tone={dr.status === 'reconciled' ? 'good' : dr.status === 'recount' ? 'bad' : 'warn'}>{DRAWER_STATUS[dr.status]}</Badge>
          </Td>
          <Td>
            {dr.reconciliation_status ? <ReconciliationStatus status={dr.reconciliation_status} /> : <span className="text-stone-600">Not counted yet</span>}
            {dr.reconciliation_id && (
              <Link to={`/cash/reconciliations/${dr.reconciliation_id}`} className="ml-2 text-sm text-brand underline">
                {dr.reconciliation_status === 'pending' ? 'Review' : 'Open count'}
              </Link>
            )}
          </Td>
        </tr>
      ))}
    </Table>
  );
}

function CloseList({ location, session }: { location: Location; session: Session }) {
  const fmt = useFormat(location.time_zone);
  const day = useBusinessDay();
  const [reopening, setReopening] = useState<DayClose | null>(null);
  const [reopened, setReopened] = useState<DayClose | null>(null);
  const list = useInfiniteQuery({
    queryKey: ['cash', 'day-closes', location.id],
    queryFn: ({ pageParam }) => api.get<ClosePage>(`/cash/day-closes${qs({ location_id: location.id, limit: 50, cursor: pageParam })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const mayReopen = can(session, 'cash.day.close', location.id);
  const closes = (list.data?.pages.flatMap((p) => p.items) ?? []).sort((a, b) => b.number - a.number);
  const numberOf = (id: string | null) => closes.find((c) => c.id === id)?.number;

  return (
    <section aria-labelledby="closes-heading" className="flex flex-col gap-3">
      <h2 id="closes-heading" className="text-lg font-semibold">
        Day closes at {location.name}
      </h2>
      {reopened && (
        <Alert tone="success" title={`Day reopened: reversal number ${reopened.number}`}>
          {day.long(reopened.business_date)} is open again.{' '}
          <Link to={`/cash/day-closes/${reopened.id}`} className="font-medium underline">
            Z report of the reversal
          </Link>
        </Alert>
      )}
      {list.isPending ? (
        <Loading label="Loading day closes…" />
      ) : list.isError && closes.length === 0 ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : closes.length === 0 ? (
        <EmptyState>No day has been closed here yet.</EmptyState>
      ) : (
        <Table caption="Day closes, latest first" head={['Number', 'Business date', 'Kind', 'By', 'Counted', 'Variance']}>
          {closes.map((c) => (
            <tr key={c.id} data-testid="close-row" className={cx(c.reversed_by_id && 'text-stone-500')}>
              {/* The actions sit with the number, so a phone shows them without scrolling the table sideways. */}
              <Td>
                <span className="font-medium tabular-nums">#{c.number}</span>
                <div className="mt-1 flex flex-col items-start gap-2">
                  <Link to={`/cash/day-closes/${c.id}`} className="whitespace-nowrap text-brand underline" aria-label={`Z report #${c.number}`}>
                    Z report
                  </Link>
                  {mayReopen && c.kind === 'close' && !c.reversed_by_id && (
                    <Button tone="secondary" onClick={() => setReopening(c)} aria-label={`Reopen ${day.short(c.business_date)} (close #${c.number})`}>
                      Reopen
                    </Button>
                  )}
                </div>
              </Td>
              <Td className="whitespace-nowrap">{day.short(c.business_date)}</Td>
              <Td>
                {c.kind === 'reversal' ? (
                  <>
                    <Badge tone="warn">Reversal{numberOf(c.reverses_id) ? ` of #${numberOf(c.reverses_id)}` : ''}</Badge>
                    {c.reason && <span className="mt-1 block text-xs text-stone-700">Reason: {c.reason}</span>}
                  </>
                ) : c.reversed_by_id ? (
                  <Badge tone="neutral">Close, reversed{numberOf(c.reversed_by_id) ? ` by #${numberOf(c.reversed_by_id)}` : ''}</Badge>
                ) : (
                  <Badge tone="good">Close in force</Badge>
                )}
              </Td>
              <Td>
                {c.closed_by.name}
                <time dateTime={c.closed_at} className="block text-xs text-stone-600">
                  {fmt.dateTime(c.closed_at)}
                </time>
              </Td>
              <Td className="whitespace-nowrap text-right tabular-nums">{fmt.money(c.totals.counted, c.currency)}</Td>
              <Td className="whitespace-nowrap">
                <VarianceText minor={c.totals.variance} currency={c.currency} />
              </Td>
            </tr>
          ))}
        </Table>
      )}
      {list.hasNextPage && (
        <div>
          <Button tone="secondary" busy={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
            Show more
          </Button>
        </div>
      )}
      <ReopenDialog
        close={reopening}
        onClose={() => setReopening(null)}
        onReopened={(r) => {
          setReopening(null);
          setReopened(r);
        }}
      />
    </section>
  );
}

function ReopenDialog({ close, onClose, onReopened }: { close: DayClose | null; onClose: () => void; onReopened: (r: DayClose) => void }) {
  const client = useQueryClient();
  const day = useBusinessDay();
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const reopen = useMutation({
    mutationFn: (id: string) => api.post<DayClose>(`/cash/day-closes/${id}/reopen`, { reason: reason.trim() }),
    onSuccess: async (r) => {
      setReason('');
      onReopened(r);
      await client.invalidateQueries({ queryKey: ['cash', 'day'] });
      await client.invalidateQueries({ queryKey: ['cash', 'day-closes'] });
    },
  });
  const dismiss = () => {
    if (reopen.isPending) return;
    reopen.reset();
    setMissing(false);
    onClose();
  };
  const err = reopen.error instanceof ApiError ? reopen.error : null;
  const reasonError = missing ? 'Say why the day is reopened: it stays on record.' : fieldProblem(err, 'body.reason');
  const submit = () => {
    if (!close) return;
    if (!reason.trim()) {
      setMissing(true);
      return;
    }
    reopen.mutate(close.id);
  };
  return (
    <Modal
      open={close !== null}
      onClose={dismiss}
      title={close ? `Reopen ${day.long(close.business_date)}?` : 'Reopen the day?'}
      actions={
        <>
          <Button tone="secondary" onClick={dismiss} disabled={reopen.isPending}>
            Cancel
          </Button>
          <Button tone="danger" busy={reopen.isPending} onClick={submit}>
            Reopen the day
          </Button>
        </>
      }
    >
      <p className="text-stone-700">
        Close #{close?.number} stays on record; a reversal is added after it, and the day can be closed again once its drawers are right.
      </p>
      {reopen.isError && !reasonError && <Alert>{errorMessage(reopen.error)}</Alert>}
      <TextArea
        label="Reason"
        name="reason"
        required
        maxLength={1000}
        value={reason}
        error={reasonError}
        hint="Required. Recorded with the reversal and in the audit log."
        onChange={(e) => {
          setReason(e.target.value);
          setMissing(false);
        }}
      />
    </Modal>
  );
}

// ---------------------------------------------------------------- Z report

export function ZReportPage() {
  const { id } = useParams();
  const close = useQuery({ queryKey: ['cash', 'day-close', id], queryFn: () => api.get<DayClose>(`/cash/day-closes/${id}`) });
  return (
    <>
      <CashManagerNav />
      <QueryView query={close} loading="Loading the Z report…">
        {(c) => <ZReport close={c} />}
      </QueryView>
    </>
  );
}

function ZReport({ close: c }: { close: DayClose }) {
  const business = useBusiness().data;
  const { locations } = useCurrentLocation();
  const zone = locations.find((l) => l.id === c.location_id)?.time_zone;
  const fmt = useFormat(zone);
  const day = useBusinessDay();
  const money = (v: number) => fmt.money(v, c.currency);
  // The close this one reverses, or the reversal that undid it: its number and reason belong on the paper.
  const otherId = c.kind === 'reversal' ? c.reverses_id : c.reversed_by_id;
  const other = useQuery({
    queryKey: ['cash', 'day-close', otherId],
    queryFn: () => api.get<DayClose>(`/cash/day-closes/${otherId}`),
    enabled: Boolean(otherId),
  });
  const t = c.totals;
  const totals: [string, ReactNode][] = [
    ['Drawers', t.drawers],
    ['Flagged counts', t.flagged],
    ['Opening floats', money(t.opening_float)],
    ['Cash sales', money(t.cash_sales)],
    ['Cash in', money(t.cash_in)],
    ['Pay outs', money(t.pay_outs)],
    ['Tip outs', money(t.tip_outs)],
    ['Drops to safe', money(t.drops)],
    ['Expected', money(t.expected)],
    ['Counted', money(t.counted)],
    ['Variance', <VarianceText key="v" minor={t.variance} currency={c.currency} />],
  ];
  const title = c.kind === 'reversal' ? `Z report #${c.number}: reversal` : `Z report #${c.number}`;

  return (
    // On paper the wide register table must not be cut at the scroll box's edge.
    <article aria-label={title} className="flex flex-col gap-6 print:gap-3 print:text-xs print:[&_[role=region]]:overflow-visible">
      <header className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <p className="text-sm font-medium text-stone-600">{business?.name}</p>
          <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
          <p className="mt-1 text-stone-700">
            {c.location_name} · {day.long(c.business_date)}
          </p>
        </div>
        <div className="flex gap-2 print:hidden">
          <Link to="/cash/day" className="self-center text-sm text-brand underline">
            Back to day close
          </Link>
          <Button onClick={() => window.print()}>Print</Button>
        </div>
      </header>

      {c.kind === 'reversal' && (
        <Alert tone="warning" title={`This reverses close #${other.data?.number ?? '…'}`}>
          <p>Reason: {c.reason}</p>
          {otherId && (
            <Link to={`/cash/day-closes/${otherId}`} className="underline print:hidden">
              Z report of the reversed close
            </Link>
          )}
        </Alert>
      )}
      {c.kind === 'close' && c.reversed_by_id && (
        <Alert tone="warning" title={`Reversed by #${other.data?.number ?? '…'}`}>
          {other.data ? (
            <p>
              Reopened by {other.data.closed_by.name}, <time dateTime={other.data.closed_at}>{fmt.dateTime(other.data.closed_at)}</time>. Reason:{' '}
              {other.data.reason}
            </p>
          ) : (
            <p>This close no longer stands: the day was reopened.</p>
          )}
          <Link to={`/cash/day-closes/${c.reversed_by_id}`} className="underline print:hidden">
            Z report of the reversal
          </Link>
        </Alert>
      )}

      <dl className="grid grid-cols-1 gap-x-4 gap-y-1 text-sm sm:grid-cols-[11rem_1fr] print:grid-cols-[11rem_1fr]">
        <Meta label="Business">{business?.name ?? '—'}</Meta>
        <Meta label="Location">{c.location_name}</Meta>
        <Meta label="Business date">{day.long(c.business_date)}</Meta>
        <Meta label="Close number">
          #{c.number}
          {c.kind === 'reversal' ? ' (reversal)' : ''}
        </Meta>
        <Meta label={c.kind === 'reversal' ? 'Reopened by' : 'Closed by'}>{c.closed_by.name}</Meta>
        <Meta label={c.kind === 'reversal' ? 'Reopened at' : 'Closed at'}>
          <time dateTime={c.closed_at}>{fmt.dateTime(c.closed_at)}</time>
        </Meta>
        <Meta label="Currency">{c.currency}</Meta>
      </dl>

      <section aria-labelledby="z-totals" className="flex max-w-xl flex-col gap-2">
        <h2 id="z-totals" className="text-lg font-semibold">
          Totals
        </h2>
        <Table caption="Totals of the day" head={['', 'Amount']}>
          {totals.map(([label, value]) => (
            <tr key={label} className={cx((label === 'Expected' || label === 'Variance') && 'font-semibold')}>
              <Td>{label}</Td>
              <Td className="text-right tabular-nums">{value}</Td>
            </tr>
          ))}
        </Table>
      </section>

      <section aria-labelledby="z-registers" className="flex flex-col gap-2">
        <h2 id="z-registers" className="text-lg font-semibold">
          Registers
        </h2>
        {c.registers.length === 0 ? (
          <EmptyState>No drawer was counted on this day.</EmptyState>
        ) : (
          <Table
            caption="Registers of the day"
            head={['Register', 'Float', 'Sales', 'In', 'Pay outs', 'Tip outs', 'Drops', 'Expected', 'Counted', 'Variance', 'Counted by', 'Approved by']}
          >
            {c.registers.map((r) => (
              <tr key={r.drawer_id} data-testid="z-register">
                <Td className="font-medium">
                  <Link to={`/cash/reconciliations/${r.reconciliation_id}`} className="text-brand underline print:text-inherit print:no-underline">
                    {r.register_name}
                  </Link>
                  <span className="block text-xs text-stone-600">{RECONCILIATION_STATUS[r.status]}</span>
                </Td>
                <Td className="text-right tabular-nums">{money(r.opening_float)}</Td>
                <Td className="text-right tabular-nums">{money(r.cash_sales)}</Td>
                <Td className="text-right tabular-nums">{money(r.cash_in)}</Td>
                <Td className="text-right tabular-nums">{money(r.pay_outs)}</Td>
                <Td className="text-right tabular-nums">{money(r.tip_outs)}</Td>
                <Td className="text-right tabular-nums">{money(r.drops)}</Td>
                <Td className="text-right tabular-nums">{money(r.expected)}</Td>
                <Td className="text-right tabular-nums">{money(r.counted)}</Td>
                <Td className="whitespace-nowrap text-right">
                  <VarianceText minor={r.variance} currency={c.currency} />
                  {r.outcome === 'flagged' && <span className="block text-xs">Flagged</span>}
                </Td>
                <Td>{r.counted_by}</Td>
                <Td>{r.approved_by ?? (r.status === 'accepted' ? 'Balanced, no approval needed' : '—')}</Td>
              </tr>
            ))}
          </Table>
        )}
      </section>

      <section aria-labelledby="z-seal" className="flex flex-col gap-2">
        <h2 id="z-seal" className="text-lg font-semibold">
          Seal
        </h2>
        {c.hash_valid ? (
          <p role="status" className="text-sm text-emerald-800">
            Verified: the stored close matches its hash. It has not been altered since it was written.
          </p>
        ) : (
          <Alert title="Not verified">The stored close no longer matches its hash: it was altered after it was written.</Alert>
        )}
        <dl className="grid grid-cols-1 gap-x-4 gap-y-1 text-xs sm:grid-cols-[11rem_1fr] print:grid-cols-[11rem_1fr]">
          <Meta label="Hash">
            <span className="break-all font-mono">{c.hash}</span>
          </Meta>
          <Meta label="Previous hash">
            <span className="break-all font-mono">{c.previous_hash}</span>
          </Meta>
        </dl>
      </section>
    </article>
  );
}

function Meta({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="contents">
      <dt className="font-medium text-stone-700">{label}</dt>
      <dd className="mb-2 sm:mb-0 print:mb-0">{children}</dd>
    </div>
  );
}
