import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, qs } from '../lib/api';
import { planName } from '../lib/plans';
import { useSearchParamUpdate } from '../lib/search-params';
import { Badge, Button, EmptyState, ErrorState, Loading, PageHeader, SelectField, Table, Td, TextField } from '../ui';
import { Pager, useCursorPaging } from '../ui/paging';
import { mayManage, useOperator } from './session';
import { STATUSES, statusNames, statusTone, type Plan, type TenantPage } from './types';

export const plansKey = ['platform', 'plans'] as const;

export function usePlans() {
  return useQuery({ queryKey: plansKey, queryFn: async () => (await api.get<{ items: Plan[] }>('/platform/plans')).items, staleTime: 10 * 60_000 });
}

const dateFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' });
export const day = (iso: string | null | undefined) => (iso ? dateFormat.format(new Date(iso)) : '—');

/** Every business on Brigade, newest first: searched by address or name, filtered by status and plan. */
export function TenantsPage() {
  const operator = useOperator().data;
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const update = useSearchParamUpdate();
  const q = params.get('q') ?? '';
  const status = params.get('status') ?? '';
  const plan = params.get('plan') ?? '';
  const paging = useCursorPaging([q, status, plan].join('\u0000'));
  const plans = usePlans();
  const query = { q, status, plan, limit: 50, cursor: paging.cursor };
  const list = useQuery({
    queryKey: ['platform', 'tenants', query],
    queryFn: () => api.get<TenantPage>(`/platform/tenants${qs(query)}`),
    placeholderData: (prev) => prev,
  });
  return (
    <>
      <PageHeader
        title="Businesses"
        description="Every business on Brigade, newest first."
        actions={mayManage(operator) ? <Button onClick={() => navigate('/platform/tenants/new')}>New business</Button> : undefined}
      />
      <div className="flex flex-col gap-4">
        <section aria-label="Filters" className="grid gap-4 rounded-lg border border-stone-200 bg-white p-4 sm:grid-cols-[2fr_1fr_1fr]">
          <SearchBox key={q} initial={q} onSearch={(v) => update({ q: v.trim() || undefined })} />
          <SelectField label="Status" name="status" value={status} onChange={(e) => update({ status: e.target.value || undefined })}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusNames[s]}
              </option>
            ))}
          </SelectField>
          <SelectField label="Plan" name="plan" value={plan} onChange={(e) => update({ plan: e.target.value || undefined })}>
            <option value="">Any plan</option>
            {(plans.data ?? []).map((p) => (
              <option key={p.code} value={p.code}>
                {p.name}
              </option>
            ))}
          </SelectField>
        </section>
        {list.isPending ? (
          <Loading label="Loading the businesses…" />
        ) : list.isError ? (
          <ErrorState error={list.error} retry={() => void list.refetch()} />
        ) : list.data.items.length === 0 ? (
          <EmptyState>{q || status || plan ? 'No business matches these filters.' : 'No business yet.'}</EmptyState>
        ) : (
          <Table caption="Businesses" head={['Name', 'Address', 'Status', 'Plan', 'People', 'Locations', 'Created', 'Trial ends']}>
            {list.data.items.map((t) => (
              <tr key={t.id} data-testid="tenant-row">
                <Td className="font-medium">
                  <Link to={`/platform/tenants/${t.id}`} className="text-brand underline">
                    {t.name}
                  </Link>
                </Td>
                <Td className="font-mono">{t.slug}</Td>
                <Td>
                  <Badge tone={statusTone[t.status] ?? 'neutral'}>{statusNames[t.status] ?? t.status}</Badge>
                </Td>
                <Td>{planName(t.plan)}</Td>
                <Td className="tabular-nums">{t.users}</Td>
                <Td className="tabular-nums">{t.locations}</Td>
                <Td className="whitespace-nowrap">{day(t.created_at)}</Td>
                <Td className="whitespace-nowrap">{t.status === 'trial' ? day(t.trial_ends_at) : '—'}</Td>
              </tr>
            ))}
          </Table>
        )}
        <Pager label="Business pages" paging={paging} next={list.data?.next_cursor} placeholder={list.isPlaceholderData} fetching={list.isFetching && !list.isPending} />
      </div>
    </>
  );
}

function SearchBox({ initial, onSearch }: { initial: string; onSearch: (v: string) => void }) {
  const [value, setValue] = useState(initial);
  return (
    <form
      role="search"
      className="flex items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch(value);
      }}
    >
      <div className="flex-1">
        <TextField label="Name or address" type="search" name="q" value={value} onChange={(e) => setValue(e.target.value)} maxLength={100} />
      </div>
      <Button type="submit" tone="secondary">
        Search
      </Button>
    </form>
  );
}
