import { useMemo, useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../../lib/api';
import { useFormat } from '../../lib/format';
import { moneyInput, parseMoney } from '../../lib/money';
import { Alert, Badge, Button, Card, EmptyState, Form, QueryView, SelectField, Table, Td, TextField, cx } from '../../ui';
import { CountGrid, linesFrom, sortDenominations, quantitiesTotal, type Quantities } from './CountGrid';
import { MOVEMENT_LABELS, RECONCILIATION_STATUS, type Drawer, type MovementKind, type ReconciliationSummary } from './types';

/**
 * One drawer from its opening float to its count: what went in and out, what it should hold (unless the count is
 * blind), and the closing count with its answer. The same view serves the signed-in app and the kiosk.
 */

export const drawerKey = (id: string) => ['cash', 'drawer', id] as const;

export const DRAWER_STATUS: Record<Drawer['status'], { label: string; tone: 'neutral' | 'good' | 'warn' | 'bad' }> = {
  open: { label: 'Open', tone: 'good' },
  submitted: { label: 'Counted, waiting for a manager', tone: 'warn' },
  recount: { label: 'Sent back for a recount', tone: 'bad' },
  reconciled: { label: 'Reconciled', tone: 'neutral' },
};

/** A business date (YYYY-MM-DD) as the locale writes it. It names a day, not an instant, so no time zone moves it. */
export function useBusinessDate() {
  const { locale } = useFormat();
  return useMemo(() => {
    const f = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
    return (d: string) => f.format(new Date(`${d}T00:00:00Z`));
  }, [locale]);
}

/** A variance in words and money: "$7.50 short", "$1.00 over", "Exact". */
export function useVarianceText(currency: string) {
  const fmt = useFormat();
  return (variance: number) => (variance === 0 ? 'Exact' : `${fmt.money(Math.abs(variance), currency)} ${variance < 0 ? 'short' : 'over'}`);
}

export function DrawerPage() {
  const { id } = useParams();
  return (
    <div className="flex flex-col gap-4">
      <Link to="/cash" className="self-start text-sm text-brand underline">
        Back to cash
      </Link>
      <DrawerView drawerId={id!} headingLevel={1} />
    </div>
  );
}

export function DrawerView({
  drawerId,
  headingLevel = 2,
  large = false,
  timeZone,
  actions,
}: {
  drawerId: string;
  /** 1 on its own page; 2 inside a frame that already has the page's heading (the kiosk). */
  headingLevel?: 1 | 2;
  /** Bigger touch targets, for the kiosk. */
  large?: boolean;
  /** The location's clock, where the app's current location is not the drawer's (the kiosk). */
  timeZone?: string;
  /** Extra buttons beside the drawer's own (the kiosk's "Back to registers"). */
  actions?: ReactNode;
}) {
  const drawer = useQuery({ queryKey: drawerKey(drawerId), queryFn: () => api.get<Drawer>(`/cash/drawers/${drawerId}`) });
  return (
    <QueryView query={drawer} loading="Loading the drawer…">
      {(d) => <DrawerDetail drawer={d} headingLevel={headingLevel} large={large} timeZone={timeZone} actions={actions} />}
    </QueryView>
  );
}

function DrawerDetail({ drawer, headingLevel, large, timeZone, actions }: { drawer: Drawer; headingLevel: 1 | 2; large: boolean; timeZone?: string; actions?: ReactNode }) {
  const fmt = useFormat(timeZone);
  const day = useBusinessDate();
  const [counting, setCounting] = useState(false);
  const H = headingLevel === 1 ? 'h1' : 'h2';
  const status = DRAWER_STATUS[drawer.status];
  const latest = drawer.reconciliations.reduce<ReconciliationSummary | null>((a, r) => (!a || r.attempt > a.attempt ? r : a), null);
  const canRecord = drawer.status === 'open' || drawer.status === 'recount';
  const canCount = canRecord && !counting;

  return (
    <div className="flex flex-col gap-6">
      <header className="flex flex-col gap-2">
        <div className="flex flex-wrap items-center gap-3">
          <H className={cx('font-semibold tracking-tight', headingLevel === 1 ? 'text-2xl' : 'text-xl')}>{drawer.register.name} drawer</H>
          <Badge tone={status.tone}>{status.label}</Badge>
        </div>
        <p className="text-stone-600">
          Opened by {drawer.opened_by.name} on {fmt.dateTime(drawer.opened_at)} · business day {day(drawer.business_date)}
        </p>
        {(canCount || actions) && (
          <div className="flex flex-wrap gap-2">
            {canCount && (
              <Button size={large ? 'lg' : 'md'} onClick={() => setCounting(true)}>
                {drawer.status === 'recount' ? 'Count again' : 'Count and close'}
              </Button>
            )}
            {actions}
          </div>
        )}
      </header>

      {latest && !counting && <CountResult result={latest} drawer={drawer} />}

      {counting && <CloseCount drawer={drawer} large={large} onDone={() => setCounting(false)} />}

      {/* Side by side on a wide screen: what the drawer should hold beside the form that changes it. */}
      <div className={cx('grid items-start gap-6', !large && 'lg:grid-cols-2')}>
        <Totals drawer={drawer} />
        {canRecord && !counting && <RecordMovement drawer={drawer} large={large} />}
      </div>

      <Movements drawer={drawer} timeZone={timeZone} />
    </div>
  );
}

// ------------------------------------------------------------------ totals

function Totals({ drawer }: { drawer: Drawer }) {
  const fmt = useFormat();
  const t = drawer.totals;
  const money = (n: number) => fmt.money(n, drawer.currency);
  const less = (n: number) => (n === 0 ? money(0) : `− ${money(n)}`);
  const rows: [string, ReactNode][] = [
    ['Opening float', money(t.opening_float)],
    [MOVEMENT_LABELS.cash_sale, t.cash_sales === null ? <Hidden /> : money(t.cash_sales)],
    [MOVEMENT_LABELS.cash_in, money(t.cash_in)],
    ['Pay outs', less(t.pay_outs)],
    ['Tip outs', less(t.tip_outs)],
    ['Drops to safe', less(t.drops)],
  ];
  return (
    <Card title="What the drawer should hold">
      <dl className="grid grid-cols-[1fr_auto] gap-y-1 text-base">
        {rows.map(([label, value]) => (
          <div key={label} className="contents">
            <dt className="pr-6 text-stone-700">{label}</dt>
            <dd className="text-right font-mono tabular-nums">{value}</dd>
          </div>
        ))}
        <div className="contents">
          <dt className="border-t border-stone-200 pt-2 pr-6 font-semibold">Expected in the drawer</dt>
          <dd className="border-t border-stone-200 pt-2 text-right font-mono font-semibold tabular-nums">{t.expected === null ? <Hidden /> : money(t.expected)}</dd>
        </div>
      </dl>
      {drawer.blind && (
        <p className="mt-3 text-sm text-stone-700">
          Blind count: the expected amount (and the cash sales it includes) is hidden until a manager reviews your count. Count what is really in the drawer.
        </p>
      )}
    </Card>
  );
}

function Hidden() {
  return <span className="font-sans text-stone-600">Hidden until a manager reviews</span>;
}

// ------------------------------------------------------------------ movements

function Movements({ drawer, timeZone }: { drawer: Drawer; timeZone?: string }) {
  const fmt = useFormat(timeZone);
  return (
    <section aria-labelledby={`movements-${drawer.id}`} className="flex flex-col gap-3">
      <h2 id={`movements-${drawer.id}`} className="text-lg font-semibold">
        Movements
      </h2>
      {drawer.movements.length === 0 ? (
        <EmptyState>Nothing recorded in this drawer yet.</EmptyState>
      ) : (
        <Table caption="Movements of this drawer" head={['When', 'What', 'Amount', 'Reason', 'Recorded by']}>
          {drawer.movements.map((m) => (
            <tr key={m.id}>
              <Td>{fmt.dateTime(m.recorded_at)}</Td>
              <Td>
                {MOVEMENT_LABELS[m.kind]}
                {m.source === 'pos' && <span className="text-stone-600"> (from the till)</span>}
              </Td>
              <Td className="text-right font-mono tabular-nums">{m.amount === null ? <Hidden /> : fmt.money(m.amount, drawer.currency)}</Td>
              <Td>{m.reason ?? '—'}</Td>
              <Td>{m.recorded_by.name}</Td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}

const KINDS: MovementKind[] = ['pay_out', 'drop', 'tip_out', 'cash_in', 'cash_sale'];

const KIND_HINTS: Record<MovementKind, string> = {
  pay_out: 'Cash taken out to pay for something (ice, a delivery). Say what it was for.',
  drop: 'Cash taken out of the drawer and put in the safe.',
  tip_out: 'Tips paid out in cash to staff.',
  cash_in: 'Cash added to the drawer (more change from the safe).',
  cash_sale: 'The cash sales total from the till.',
};

function RecordMovement({ drawer, large }: { drawer: Drawer; large: boolean }) {
  const client = useQueryClient();
  const fmt = useFormat();
  const [kind, setKind] = useState<MovementKind>('pay_out');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [local, setLocal] = useState<{ amount?: string; reason?: string }>({});
  const [done, setDone] = useState<string | null>(null);
  const digits = drawer.minor_digits;
  const example = moneyInput(12 * 10 ** digits + (digits > 0 ? 5 * 10 ** (digits - 1) : 0), digits);

  const record = useMutation({
    mutationFn: (body: { kind: MovementKind; amount: number; reason?: string }) => api.post(`/cash/drawers/${drawer.id}/movements`, body),
    onSuccess: async (_r, body) => {
      setDone(`${MOVEMENT_LABELS[body.kind]} of ${fmt.money(body.amount, drawer.currency)} recorded.`);
      setAmount('');
      setReason('');
      await client.invalidateQueries({ queryKey: drawerKey(drawer.id) });
    },
  });

  const submit = () => {
    setDone(null);
    const minor = parseMoney(amount, digits);
    const errors: typeof local = {};
    if (minor === null) errors.amount = `Enter an amount such as ${example}.`;
    else if (minor <= 0) errors.amount = 'Enter an amount more than zero.';
    if (kind === 'pay_out' && !reason.trim()) errors.reason = 'Say what the pay out was for.';
    setLocal(errors);
    if (errors.amount || errors.reason || minor === null) return;
    record.mutate({ kind, amount: minor, ...(reason.trim() ? { reason: reason.trim() } : {}) });
  };

  const err = record.error instanceof ApiError ? record.error : null;
  const fieldErr = (f: string) => local[f as keyof typeof local] ?? err?.fieldError(f);
  const byField = Boolean(err && (err.fieldError('amount') || err.fieldError('reason') || err.fieldError('kind')));

  return (
    <Card title="Record a movement">
      <Form onSubmit={submit} error={record.isError && !byField ? record.error : undefined}>
        {done && <Alert tone="success">{done}</Alert>}
        <SelectField
          label="Movement"
          name="kind"
          value={kind}
          onChange={(e) => setKind(e.target.value as MovementKind)}
          error={err?.fieldError('kind')}
          hint={KIND_HINTS[kind]}
        >
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {MOVEMENT_LABELS[k]}
            </option>
          ))}
        </SelectField>
        <TextField
          label={`Amount (${drawer.currency})`}
          name="amount"
          inputMode="decimal"
          autoComplete="off"
          placeholder={example}
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
          error={fieldErr('amount')}
          className={large ? 'py-3 text-xl' : undefined}
        />
        <TextField
          label={kind === 'pay_out' ? 'Reason' : 'Reason (optional)'}
          name="reason"
          maxLength={500}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          error={fieldErr('reason')}
          className={large ? 'py-3 text-xl' : undefined}
        />
        <Button type="submit" size={large ? 'lg' : 'md'} className="self-start" busy={record.isPending}>
          Record {MOVEMENT_LABELS[kind].toLowerCase()}
        </Button>
      </Form>
    </Card>
  );
}

// ------------------------------------------------------------------ count

function CloseCount({ drawer, large, onDone }: { drawer: Drawer; large: boolean; onDone: () => void }) {
  const client = useQueryClient();
  const fmt = useFormat();
  const [quantities, setQuantities] = useState<Quantities>({});
  const denominations = useMemo(() => sortDenominations(drawer.denominations), [drawer.denominations]);
  const total = quantitiesTotal(quantities);

  const submit = useMutation({
    mutationFn: () => api.post<ReconciliationSummary>(`/cash/drawers/${drawer.id}/count`, { lines: linesFrom(denominations, quantities) }),
    onSuccess: async () => {
      // The answer is shown from the drawer itself, so it is the same after a reload.
      // The drawer, the register lists, "my drawers", the approvals queue and the day's status all changed.
      await client.invalidateQueries({ queryKey: ['cash'] });
      onDone();
    },
  });

  return (
    <Card title={drawer.status === 'recount' ? 'Count the drawer again' : 'Count and close'}>
      <Form onSubmit={() => submit.mutate()} error={submit.isError ? submit.error : undefined}>
        <p className="text-stone-700">
          Count every note and coin in the drawer, including the float.
          {drawer.blind && ' This is a blind count: you will not see what the drawer should hold before you submit.'}
        </p>
        <CountGrid
          denominations={denominations}
          value={quantities}
          onChange={setQuantities}
          currency={drawer.currency}
          minorDigits={drawer.minor_digits}
          label="Closing count"
          large={large}
          disabled={submit.isPending}
        />
        <div className="flex flex-wrap gap-2">
          <Button type="submit" size={large ? 'lg' : 'md'} busy={submit.isPending}>
            Submit count of {fmt.money(total, drawer.currency)}
          </Button>
          <Button tone="secondary" size={large ? 'lg' : 'md'} disabled={submit.isPending} onClick={onDone}>
            Cancel
          </Button>
        </div>
      </Form>
    </Card>
  );
}

/** The answer to the latest count, in words: balanced, waiting for a manager, approved, or sent back. */
export function CountResult({ result, drawer }: { result: ReconciliationSummary; drawer: Pick<Drawer, 'currency' | 'blind'> }) {
  const fmt = useFormat();
  const variance = useVarianceText(drawer.currency);
  const money = (n: number) => fmt.money(n, drawer.currency);
  const attempt = result.attempt > 1 ? ` (count ${result.attempt})` : '';
  const figures = (
    <ul className="mt-1">
      <li>Counted: {money(result.counted)}</li>
      {result.expected !== null && <li>Expected: {money(result.expected)}</li>}
      {result.variance !== null && <li>Variance: {variance(result.variance)}</li>}
    </ul>
  );
  const decider = result.decided_by?.name ?? 'A manager';
  const comment = result.decision_comment ? <p className="mt-1">{decider}’s comment: “{result.decision_comment}”</p> : null;

  switch (result.status) {
    case 'accepted':
      return (
        <Alert tone="success" title={`${RECONCILIATION_STATUS.accepted}${attempt}`}>
          <p>The count is within the tolerance. Nothing else to do for this drawer.</p>
          {figures}
        </Alert>
      );
    case 'pending':
      return (
        <Alert tone="info" title={`${RECONCILIATION_STATUS.pending}${attempt}`}>
          <p>
            Your count was sent. A manager reviews it before the drawer is closed
            {result.variance === null ? '; the expected amount and any difference stay hidden until then.' : '.'}
          </p>
          {figures}
        </Alert>
      );
    case 'approved':
      return (
        <Alert tone="success" title={`${RECONCILIATION_STATUS.approved}${attempt}`}>
          <p>Approved by {decider}.</p>
          {figures}
          {comment}
        </Alert>
      );
    case 'rejected':
      return (
        <Alert tone="warning" title={`${RECONCILIATION_STATUS.rejected}${attempt}`}>
          <p>{decider} sent this count back. Count the drawer again.</p>
          {comment}
          {figures}
        </Alert>
      );
  }
}
