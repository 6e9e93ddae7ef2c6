import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api, qs } from '../lib/api';
import { useSearchParamUpdate } from '../lib/search-params';
import { Badge, Button, EmptyState, ErrorState, Loading, PageHeader, SelectField, Table, Td, TextField } from '../ui';
import type { TenantPage } from './types';

/** One line of the platform's own audit log (`GET /platform/audit`). */
export interface PlatformAuditRecord {
  id: string;
  at: string;
  actor_label: string;
  action: string;
  target_tenant_id: string | null;
  resource_type: string;
  resource_id: string | null;
  risk: string;
  ip: string | null;
  changes: unknown;
}

interface PlatformAuditPage {
  items: PlatformAuditRecord[];
  next_cursor: string | null;
}

/** Actions the back office writes, offered as suggestions in the action filter (any other text is accepted). */
const KNOWN_ACTIONS = [
  'tenant.created',
  'tenant.signed_up',
  'tenant.active',
  'tenant.past_due',
  'tenant.suspended',
  'tenant.cancelled',
  'tenant.purged',
  'tenant.plan_changed',
  'tenant.overrides_changed',
  'tenant.renamed',
  'tenant.person_signed_out',
  'tenant.person_disabled',
  'tenant.person_enabled',
  'tenant.support_session_opened',
  'platform.settings_changed',
  'platform.signed_in',
  'platform.signed_out',
  'platform.sign_in_failed',
];

const riskTone = { low: 'neutral', medium: 'warn', high: 'bad', critical: 'bad' } as const;
const dateTimeFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'medium' });
const PAGE = 50;

/** The businesses for the filter: the newest hundred, which is what an operator picks from. */
function useTenantChoices() {
  return useQuery({
    queryKey: ['platform', 'tenants', { limit: 100, for: 'choices' }],
    queryFn: async () => (await api.get<TenantPage>(`/platform/tenants${qs({ limit: 100 })}`)).items,
    staleTime: 60_000,
  });
}

/** Everything done on the platform (by operators, by sign-ups, by the jobs), newest first. */
export function PlatformAuditPage() {
  const [params] = useSearchParams();
  const update = useSearchParamUpdate();
  const action = params.get('action') ?? '';
  const tenantId = params.get('tenant_id') ?? '';
  const tenants = useTenantChoices();
  const names = new Map((tenants.data ?? []).map((t) => [t.id, t.name]));
  const records = useInfiniteQuery({
    queryKey: ['platform', 'audit', { action, tenant_id: tenantId }],
    queryFn: ({ pageParam }) => api.get<PlatformAuditPage>(`/platform/audit${qs({ action, tenant_id: tenantId, limit: PAGE, cursor: pageParam })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = records.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = Boolean(action || tenantId);
  return (
    <>
      <PageHeader title="Audit log" description="What was done on the platform, by whom and to which business, newest first. Records cannot be edited or removed." />
      <div className="flex flex-col gap-4">
        <section aria-label="Filters" className="grid gap-4 rounded-lg border border-stone-200 bg-white p-4 sm:grid-cols-[2fr_2fr_auto]">
          <ActionFilter key={action} initial={action} onApply={(v) => update({ action: v.trim() || undefined })} />
          <SelectField label="Business" name="tenant_id" value={tenantId} onChange={(e) => update({ tenant_id: e.target.value || undefined })}>
            <option value="">Every business and the platform itself</option>
            {tenantId && !names.has(tenantId) && <option value={tenantId}>{tenants.isPending ? 'Loading…' : `Business ${tenantId.slice(0, 8)}…`}</option>}
            {(tenants.data ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.slug})
              </option>
            ))}
          </SelectField>
          <div className="flex items-end">
            <Button tone="secondary" disabled={!filtered} onClick={() => update({ action: undefined, tenant_id: undefined })}>
              Clear filters
            </Button>
          </div>
        </section>
        <section aria-label="Audit records" className="flex flex-col gap-3">
          {records.isPending ? (
            <Loading label="Loading the audit log…" />
          ) : records.isError ? (
            <ErrorState error={records.error} retry={() => void records.refetch()} />
          ) : items.length === 0 ? (
            <EmptyState>{filtered ? 'No records match these filters.' : 'Nothing recorded yet.'}</EmptyState>
          ) : (
            <Table caption="Platform audit records, newest first" head={['When', 'Who', 'Action', 'Business', 'Resource', 'Risk', 'IP address', 'Details']}>
              {items.map((r) => (
                <tr key={r.id} data-testid="audit-row">
                  <Td className="whitespace-nowrap">
                    <time dateTime={r.at}>{dateTimeFormat.format(new Date(r.at))}</time>
                  </Td>
                  <Td>{r.actor_label}</Td>
                  <Td className="font-mono">{r.action}</Td>
                  <Td>
                    {r.target_tenant_id ? (
                      <Link to={`/platform/tenants/${r.target_tenant_id}`} className="text-brand underline">
                        {names.get(r.target_tenant_id) ?? `${r.target_tenant_id.slice(0, 8)}…`}
                      </Link>
                    ) : (
                      '—'
                    )}
                  </Td>
                  <Td>
                    {r.resource_type}
                    {r.resource_id && <span className="block font-mono text-xs text-stone-600">{shortId(r.resource_id)}</span>}
                  </Td>
                  <Td>
                    <Badge tone={riskTone[r.risk as keyof typeof riskTone] ?? 'neutral'}>{r.risk}</Badge>
                  </Td>
                  <Td className="whitespace-nowrap font-mono text-xs">{r.ip ?? '—'}</Td>
                  <Td>
                    <Changes changes={r.changes} />
                  </Td>
                </tr>
              ))}
            </Table>
          )}
          {records.hasNextPage && (
            <div>
              <Button tone="secondary" busy={records.isFetchingNextPage} onClick={() => void records.fetchNextPage()}>
                Load more
              </Button>
            </div>
          )}
          {records.isFetchNextPageError && <ErrorState error={records.error} retry={() => void records.fetchNextPage()} />}
        </section>
      </div>
    </>
  );
}

function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

/** The action filter: applied when submitted, so the list does not reload at every key. */
function ActionFilter({ initial, onApply }: { initial: string; onApply: (v: string) => void }) {
  const [value, setValue] = useState(initial);
  return (
    <form
      role="search"
      className="flex items-start gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(value);
      }}
    >
      <div className="flex-1">
        <TextField
          label="Action"
          name="action"
          list="platform-audit-actions"
          autoComplete="off"
          spellCheck={false}
          maxLength={100}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          hint="The exact action, such as tenant.suspended."
        />
        <datalist id="platform-audit-actions">
          {KNOWN_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
      </div>
      {/* Level with the input, under its label: the hint below the input leaves the bottom edge lower. */}
      <Button type="submit" tone="secondary" className="mt-6">
        Filter
      </Button>
    </form>
  );
}

/** What a record says changed: the reason first (most records have one), everything else on demand. */
function Changes({ changes }: { changes: unknown }) {
  if (changes === null || changes === undefined || (typeof changes === 'object' && Object.keys(changes).length === 0)) return <>—</>;
  const reason = typeof changes === 'object' && typeof (changes as Record<string, unknown>).reason === 'string' ? ((changes as Record<string, unknown>).reason as string) : null;
  return (
    <div className="flex max-w-xs flex-col gap-1">
      {reason && <span>“{reason}”</span>}
      <details>
        <summary className="cursor-pointer text-brand underline">Changes</summary>
        <pre className="mt-1 max-h-48 overflow-auto whitespace-pre-wrap break-all rounded bg-stone-50 p-2 font-mono text-xs">{JSON.stringify(changes, null, 2)}</pre>
      </details>
    </div>
  );
}
