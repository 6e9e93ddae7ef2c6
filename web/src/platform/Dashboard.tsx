import { useQuery } from '@tanstack/react-query';
import { api } from '../lib/api';
import { planName } from '../lib/plans';
import { Card, EmptyState, PageHeader, QueryView, Table, Td } from '../ui';
import { STATUSES, statusName } from './types';

/** What `GET /platform/dashboard` answers: the whole service at a glance. */
export interface Dashboard {
  tenants_by_status: Record<string, number>;
  tenants_by_plan: Record<string, number>;
  growth: { month: string; created: number }[];
  active_users: { today: number; last_7_days: number };
  api_calls: { today: number; last_7_days: number };
}

const numberFormat = new Intl.NumberFormat('en-US');
const count = (n: number) => numberFormat.format(n);
const monthFormat = new Intl.DateTimeFormat('en-US', { month: 'short', year: 'numeric', timeZone: 'UTC' });
/** "2026-11" → "Nov 2026". */
const monthName = (ym: string) => {
  const [y, m] = ym.split('-').map(Number);
  return y && m ? monthFormat.format(new Date(Date.UTC(y, m - 1, 1))) : ym;
};

/** The operator's overview: how many businesses in which state and on which plan, sign-ups, activity. */
export function DashboardPage() {
  const dashboard = useQuery({
    queryKey: ['platform', 'dashboard'],
    queryFn: () => api.get<Dashboard>('/platform/dashboard'),
    // A view to leave open on a screen: it keeps itself current.
    refetchInterval: 60_000,
  });
  return (
    <>
      <PageHeader title="Dashboard" description="Every business on Brigade at a glance: where they stand, what they are on, how busy they are." />
      <QueryView query={dashboard} loading="Loading the dashboard…">
        {(d) => <DashboardView dashboard={d} />}
      </QueryView>
    </>
  );
}

function Tile({ label, value, testId }: { label: string; value: number; testId: string }) {
  return (
    <div className="rounded-lg border border-stone-200 bg-white p-4 shadow-sm">
      <dt className="text-sm text-stone-600">{label}</dt>
      <dd className="mt-1 text-3xl font-semibold tabular-nums" data-testid={testId}>
        {count(value)}
      </dd>
    </div>
  );
}

function DashboardView({ dashboard: d }: { dashboard: Dashboard }) {
  const total = Object.values(d.tenants_by_status).reduce((a, b) => a + b, 0);
  // Every status the service knows, in lifecycle order (zeros included, so the table always reads the same), then
  // any the page does not know yet.
  const statuses = [...STATUSES, ...Object.keys(d.tenants_by_status).filter((s) => !(STATUSES as string[]).includes(s))];
  const plans = Object.keys(d.tenants_by_plan);
  const live = plans.reduce((a, p) => a + (d.tenants_by_plan[p] ?? 0), 0);
  return (
    <div className="flex flex-col gap-6">
      <section aria-label="Activity">
        <dl className="grid gap-4 sm:grid-cols-2 lg:grid-cols-5">
          <Tile label="Businesses" value={total} testId="tenants-total" />
          <Tile label="People active today" value={d.active_users.today} testId="active-today" />
          <Tile label="People active, last 7 days" value={d.active_users.last_7_days} testId="active-7-days" />
          <Tile label="API calls today" value={d.api_calls.today} testId="api-calls-today" />
          <Tile label="API calls, last 7 days" value={d.api_calls.last_7_days} testId="api-calls-7-days" />
        </dl>
      </section>
      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="Businesses by status">
          <Table caption="Businesses by status" head={['Status', 'Businesses']}>
            {statuses.map((s) => (
              <tr key={s} data-status={s}>
                <Td>{statusName(s)}</Td>
                <Td className="tabular-nums" data-testid="count">
                  {count(d.tenants_by_status[s] ?? 0)}
                </Td>
              </tr>
            ))}
          </Table>
        </Card>
        <Card title="Businesses by plan">
          {plans.length === 0 ? (
            <EmptyState>No business yet.</EmptyState>
          ) : (
            <>
              <Table caption="Businesses by plan" head={['Plan', 'Businesses']}>
                {plans.map((p) => (
                  <tr key={p} data-plan={p}>
                    <Td>{planName(p)}</Td>
                    <Td className="tabular-nums" data-testid="count">
                      {count(d.tenants_by_plan[p] ?? 0)}
                    </Td>
                  </tr>
                ))}
              </Table>
              <p className="mt-2 text-xs text-stone-600">Purged businesses are left out: {count(live)} counted.</p>
            </>
          )}
        </Card>
      </div>
      <Card title="New businesses per month">
        <Growth growth={d.growth} />
      </Card>
    </div>
  );
}

/** The last twelve months of sign-ups as a list of bars: each month says its number in words too. */
function Growth({ growth }: { growth: Dashboard['growth'] }) {
  if (growth.length === 0) return <EmptyState>No business opened in the last twelve months.</EmptyState>;
  const most = Math.max(1, ...growth.map((g) => g.created));
  return (
    <ul aria-label="New businesses per month" className="flex flex-col gap-2">
      {growth.map((g) => (
        <li key={g.month} data-month={g.month} className="grid grid-cols-[6rem_1fr_3rem] items-center gap-3 text-sm">
          <span className="text-stone-700">{monthName(g.month)}</span>
          <span aria-hidden="true" className="h-4 rounded bg-stone-100">
            <span className="block h-4 rounded bg-brand" style={{ width: `${Math.max(2, (g.created / most) * 100)}%` }} />
          </span>
          <span className="text-right tabular-nums" data-testid="count">
            {count(g.created)}
            <span className="sr-only"> {g.created === 1 ? 'business' : 'businesses'}</span>
          </span>
        </li>
      ))}
    </ul>
  );
}
