import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, qs } from '../lib/api';
import { useSearchParamUpdate } from '../lib/search-params';
import { Badge, Button, EmptyState, ErrorState, Loading, PageHeader, SelectField, Table, Td, TextField } from '../ui';
import { Pager, useCursorPaging } from '../ui/paging';

/** One person of one business, as `GET /platform/users` lists them. */
export interface PlatformPerson {
  id: string;
  tenant_id: string;
  tenant_slug: string;
  tenant_name: string;
  email: string;
  name: string;
  status: string;
  roles: string[];
  last_seen_at: string | null;
}

interface PeoplePage {
  items: PlatformPerson[];
  next_cursor: string | null;
}

const dateTimeFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' });
const when = (iso: string | null) => (iso ? dateTimeFormat.format(new Date(iso)) : 'Never');

/** Finds a person across every business: by email or name, active or disabled. */
export function UsersPage() {
  const [params] = useSearchParams();
  const update = useSearchParamUpdate();
  const q = params.get('q') ?? '';
  const status = params.get('status') ?? '';
  const paging = useCursorPaging([q, status].join('\u0000'));
  const query = { q, status, limit: 50, cursor: paging.cursor };
  const list = useQuery({
    queryKey: ['platform', 'users', query],
    queryFn: () => api.get<PeoplePage>(`/platform/users${qs(query)}`),
    placeholderData: (prev) => prev,
  });
  return (
    <>
      <PageHeader title="People" description="Everyone with an account at a business on Brigade. Open their business to sign them out or disable them." />
      <div className="flex flex-col gap-4">
        <section aria-label="Filters" className="grid gap-4 rounded-lg border border-stone-200 bg-white p-4 sm:grid-cols-[3fr_1fr]">
          <SearchBox key={q} initial={q} onSearch={(v) => update({ q: v.trim() || undefined })} />
          <SelectField label="Status" name="status" value={status} onChange={(e) => update({ status: e.target.value || undefined })}>
            <option value="">Any status</option>
            <option value="active">Active</option>
            <option value="disabled">Disabled</option>
          </SelectField>
        </section>
        {list.isPending ? (
          <Loading label="Loading the people…" />
        ) : list.isError ? (
          <ErrorState error={list.error} retry={() => void list.refetch()} />
        ) : list.data.items.length === 0 ? (
          <EmptyState>{q || status ? 'Nobody matches these filters.' : 'Nobody has an account yet.'}</EmptyState>
        ) : (
          <Table caption="People" head={['Name', 'Email', 'Business', 'Status', 'Roles', 'Last seen']}>
            {list.data.items.map((p) => (
              <tr key={`${p.tenant_id}:${p.id}`} data-testid="person-row">
                <Td className="font-medium">{p.name}</Td>
                <Td className="whitespace-nowrap">{p.email}</Td>
                <Td>
                  <Link to={`/platform/tenants/${p.tenant_id}`} className="text-brand underline">
                    {p.tenant_name}
                  </Link>
                  <span className="block font-mono text-xs text-stone-600">{p.tenant_slug}</span>
                </Td>
                <Td>
                  <Badge tone={p.status === 'active' ? 'good' : 'warn'}>{p.status}</Badge>
                </Td>
                <Td>{p.roles.map((r) => r.replace(/_/g, ' ')).join(', ') || '—'}</Td>
                <Td className="whitespace-nowrap">{when(p.last_seen_at)}</Td>
              </tr>
            ))}
          </Table>
        )}
        <Pager label="People pages" paging={paging} next={list.data?.next_cursor} placeholder={list.isPlaceholderData} fetching={list.isFetching && !list.isPending} />
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
        <TextField label="Email or name" type="search" name="q" value={value} onChange={(e) => setValue(e.target.value)} maxLength={254} />
      </div>
      <Button type="submit" tone="secondary">
        Search
      </Button>
    </form>
  );
}
