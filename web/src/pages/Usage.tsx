import { useQuery } from '@tanstack/react-query';
import { api } from '../lib/api';
import { FEATURES, featureName, metricName, orderFeatures, planName } from '../lib/plans';
import { can, useSession, type Session } from '../lib/session';
import { Alert, Badge, Card, EmptyState, PageHeader, QueryView, Table, Td } from '../ui';
import { LimitsTable } from '../ui/limits';

interface Usage {
  entitlements: { plan: string; features: string[]; limits: Record<string, number | null> };
  usage: Record<string, number>;
  daily_usage: { day: string; metric: string; value: number }[];
}

export function UsagePage() {
  const session = useSession().data as Session;
  return (
    <>
      <PageHeader title="Plan and usage" description="What the business's plan includes, and how much of each limit it uses." />
      {can(session, 'tenant.billing.manage') ? (
        <UsageView />
      ) : (
        <Alert title="Not available to you">Only the owners of the business see its plan and usage.</Alert>
      )}
    </>
  );
}

function UsageView() {
  const usage = useQuery({ queryKey: ['usage'], queryFn: () => api.get<Usage>('/usage') });
  return (
    <QueryView query={usage} loading="Loading the plan…">
      {(u) => (
        <div className="flex flex-col gap-6">
          <Card title="Plan">
            <p className="text-lg">
              <span className="font-semibold" data-testid="plan-name">
                {planName(u.entitlements.plan)}
              </span>
            </p>
            <p className="mt-1 text-sm text-stone-600">To change the plan, contact Brigade.</p>
          </Card>
          <LimitsTable limits={u.entitlements.limits} usage={u.usage} />
          <Card title="Features">
            <ul className="grid gap-2 sm:grid-cols-2" aria-label="Features">
              {orderFeatures([...FEATURES, ...u.entitlements.features]).map((f) => {
                const on = u.entitlements.features.includes(f);
                return (
                  <li key={f} className="flex items-center justify-between gap-2 rounded-md border border-stone-200 px-3 py-2" data-testid="feature" data-included={on}>
                    <span>{featureName(f)}</span>
                    {on ? <Badge tone="good">Included</Badge> : <Badge>Not included</Badge>}
                  </li>
                );
              })}
            </ul>
          </Card>
          <DailyUsage rows={u.daily_usage} />
        </div>
      )}
    </QueryView>
  );
}

function DailyUsage({ rows }: { rows: Usage['daily_usage'] }) {
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.metric, (totals.get(r.metric) ?? 0) + r.value);
  return (
    <Card title="Last 30 days">
      {totals.size === 0 ? (
        <EmptyState>Nothing counted in the last 30 days.</EmptyState>
      ) : (
        <Table caption="Usage in the last 30 days" head={['What', 'Total']}>
          {[...totals].map(([metric, total]) => (
            <tr key={metric}>
              <Td>{metricName(metric)}</Td>
              <Td className="tabular-nums">{total.toLocaleString('en-US')}</Td>
            </tr>
          ))}
        </Table>
      )}
    </Card>
  );
}
