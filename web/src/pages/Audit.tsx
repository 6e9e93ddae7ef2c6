import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, qs } from '../lib/api';
import { can, useCurrentLocation, useSession, type Location, type Session } from '../lib/session';
import { useFormat } from '../lib/format';
import { Alert, Badge, Button, Card, EmptyState, ErrorState, Form, Loading, Modal, PageHeader, SelectField, Table, Td, TextField } from '../ui';
import { Pager, useCursorPaging } from '../ui/paging';

type Risk = 'low' | 'medium' | 'high' | 'critical';

interface AuditRecord {
  seq: number;
  id: string;
  at: string;
  actor_type: string;
  actor_id: string | null;
  actor_label: string;
  action: string;
  resource_type: string;
  resource_id: string | null;
  location_id: string | null;
  risk: Risk;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  changes: Record<string, unknown> | null;
  hash: string;
}

interface AuditPage {
  items: AuditRecord[];
  next_cursor: string | null;
}

interface Verification {
  ok: boolean;
  checked: number;
  first_broken_seq: number | null;
  reason: 'record_altered' | 'record_missing' | 'link_broken' | null;
}

const FILTERS = ['actor', 'action', 'resource_type', 'resource_id', 'risk', 'from', 'to'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

const RISKS: Risk[] = ['low', 'medium', 'high', 'critical'];
const riskTone = { low: 'neutral', medium: 'warn', high: 'bad', critical: 'bad' } as const;
const reasons: Record<string, string> = {
  record_altered: 'a record was changed after it was written',
  record_missing: 'a record is missing',
  link_broken: 'a record no longer links to the one before it',
};

/** The offset of a time zone from UTC at an instant, in milliseconds. */
function zoneOffset(utcMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - utcMs;
}

/**
 * Midnight at the start of a calendar day (`YYYY-MM-DD`, plus `addDays`) on the clock of a time zone, as an instant:
 * the day the person picked is the day as the location lives it, not as UTC does.
 */
function startOfDay(date: string, timeZone: string, addDays = 0): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return undefined;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + addDays);
  // Twice: the offset at the first guess may differ from the offset at the answer across a DST change.
  let t = wall - zoneOffset(wall, timeZone);
  t = wall - zoneOffset(t, timeZone);
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function readFilters(params: URLSearchParams): Filters {
  return Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? ''])) as Filters;
}

export function AuditPage() {
  const session = useSession().data as Session;
  const allowed = can(session, 'audit.read');
  return (
    <>
      <PageHeader title="Audit log" description="Every change made in the business: who, what, when and from where. Records cannot be edited or removed." />
      {allowed ? (
        <AuditTrail />
      ) : (
        <Alert title="Not available to you">The audit log is open to owners, admins, compliance officers and auditors.</Alert>
      )}
    </>
  );
}

function AuditTrail() {
  const [params, setParams] = useSearchParams();
  const filters = readFilters(params);
  const filterKey = FILTERS.map((k) => filters[k]).join('\u0000');
  // Cursors of the pages already passed, so "Newer" can go back; a new filter starts again at the newest.
  const paging = useCursorPaging(filterKey);
  const cursor = paging.cursor;
  const fmt = useFormat();
  const { locations } = useCurrentLocation();
  const [open, setOpen] = useState<AuditRecord | null>(null);

  const query = {
    actor: filters.actor,
    action: filters.action,
    resource_type: filters.resource_type,
    resource_id: filters.resource_id,
    risk: filters.risk,
    from: filters.from ? startOfDay(filters.from, fmt.timeZone) : undefined,
    // The "to" day is included: the range ends at the next midnight.
    to: filters.to ? startOfDay(filters.to, fmt.timeZone, 1) : undefined,
    limit: 50,
    cursor,
  };
  const records = useQuery({
    queryKey: ['audit', 'list', query],
    queryFn: () => api.get<AuditPage>(`/audit${qs(query)}`),
    placeholderData: (prev) => prev,
  });

  const apply = (next: Filters) => {
    const p = new URLSearchParams();
    for (const k of FILTERS) if (next[k].trim()) p.set(k, next[k].trim());
    setParams(p);
  };

  return (
    <div className="flex flex-col gap-6">
      <ChainCheck />
      <Card title="Filters">
        <FilterForm key={filterKey} initial={filters} timeZone={fmt.timeZone} onApply={apply} />
      </Card>
      <section aria-label="Audit records" className="flex flex-col gap-3">
        {records.isPending ? (
          <Loading label="Loading the audit log…" />
        ) : records.isError ? (
          <ErrorState error={records.error} retry={() => void records.refetch()} />
        ) : records.data.items.length === 0 ? (
          <EmptyState>No records match these filters.</EmptyState>
        ) : (
          <Table caption="Audit records, newest first" head={['Time', 'Who', 'Action', 'Resource', 'Risk', 'Location', '']}>
            {records.data.items.map((r) => (
              <tr key={r.seq} data-testid="audit-row">
                <Td className="whitespace-nowrap">
                  <time dateTime={r.at}>{fmt.dateTime(r.at)}</time>
                </Td>
                <Td>{r.actor_label}</Td>
                <Td className="font-mono">{r.action}</Td>
                <Td>
                  {r.resource_type}
                  {r.resource_id && <span className="block text-xs text-stone-600">{shortId(r.resource_id)}</span>}
                </Td>
                <Td>
                  <Badge tone={riskTone[r.risk]}>{r.risk}</Badge>
                </Td>
                <Td>{locationName(locations, r.location_id)}</Td>
                <Td>
                  <Button tone="ghost" onClick={() => setOpen(r)} aria-label={`Details of record #${r.seq}, ${r.action}`}>
                    Details
                  </Button>
                </Td>
              </tr>
            ))}
          </Table>
        )}
        <Pager label="Audit pages" paging={paging} next={records.data?.next_cursor} placeholder={records.isPlaceholderData} fetching={records.isFetching && !records.isPending} />
      </section>
      <RecordDialog record={open} locations={locations} onClose={() => setOpen(null)} />
    </div>
  );
}

function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

function locationName(locations: Location[], id: string | null): string {
  if (!id) return '—';
  return locations.find((l) => l.id === id)?.name ?? shortId(id);
}

function FilterForm({ initial, timeZone, onApply }: { initial: Filters; timeZone: string; onApply: (f: Filters) => void }) {
  const [draft, setDraft] = useState(initial);
  const field = (k: keyof Filters) => ({ name: k, value: draft[k], onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value }) });
  const empty = Object.fromEntries(FILTERS.map((k) => [k, ''])) as Filters;
  return (
    <Form onSubmit={() => onApply(draft)}>
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <TextField label="Who" hint="Part of a name or email, or a user id." maxLength={254} {...field('actor')} />
        <TextField label="Action" hint="e.g. location.created, or location for all of them." maxLength={100} {...field('action')} />
        <TextField label="Resource type" hint="e.g. location, user." maxLength={100} {...field('resource_type')} />
        <TextField label="Resource id" maxLength={100} {...field('resource_id')} />
        <SelectField label="Risk" {...field('risk')}>
          <option value="">Any risk</option>
          {RISKS.map((r) => (
            <option key={r} value={r}>
              {r[0]!.toUpperCase() + r.slice(1)}
            </option>
          ))}
        </SelectField>
        <TextField label="From" type="date" hint={`From midnight, ${timeZone}.`} {...field('from')} />
        <TextField label="To" type="date" hint="This day included." {...field('to')} />
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

function ChainCheck() {
  const verify = useQuery({ queryKey: ['audit', 'verify'], queryFn: () => api.get<Verification>('/audit/verify'), staleTime: Infinity });
  const again = (
    <Button tone="secondary" className="mt-2" busy={verify.isFetching} onClick={() => void verify.refetch()}>
      Verify again
    </Button>
  );
  if (verify.isPending) return <Loading label="Verifying the audit chain…" />;
  if (verify.isError) return <ErrorState error={verify.error} retry={() => void verify.refetch()} />;
  const v = verify.data;
  return v.ok ? (
    <Alert tone="success" title="Chain verified">
      <p>
        Chain intact: {v.checked} {v.checked === 1 ? 'record' : 'records'} checked.
      </p>
      {again}
    </Alert>
  ) : (
    <Alert title="Chain verification failed">
      <p>
        Chain broken at record #{v.first_broken_seq}: {reasons[v.reason ?? ''] ?? v.reason}. {v.checked} records checked.
      </p>
      {again}
    </Alert>
  );
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '(empty)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

const isPair = (v: unknown): v is [unknown, unknown] => Array.isArray(v) && v.length === 2;

function Changes({ changes }: { changes: Record<string, unknown> }) {
  const entries = Object.entries(changes);
  if (entries.length === 0) return <p className="text-sm text-stone-600">No fields recorded.</p>;
  // Updates record `{ field: [before, after] }`; other actions record what was set.
  if (entries.every(([, v]) => isPair(v))) {
    return (
      <Table caption="Changed fields" head={['Field', 'Before', 'After']}>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <Td className="font-mono">{k}</Td>
            <Td className="break-all">{show((v as [unknown, unknown])[0])}</Td>
            <Td className="break-all">{show((v as [unknown, unknown])[1])}</Td>
          </tr>
        ))}
      </Table>
    );
  }
  return (
    <Table caption="Recorded fields" head={['Field', 'Value']}>
      {entries.map(([k, v]) => (
        <tr key={k}>
          <Td className="font-mono">{k}</Td>
          <Td className="break-all">{show(v)}</Td>
        </tr>
      ))}
    </Table>
  );
}

function RecordDialog({ record, locations, onClose }: { record: AuditRecord | null; locations: Location[]; onClose: () => void }) {
  const fmt = useFormat();
  const r = record;
  const rows: [string, string][] = r
    ? [
        ['Record', `#${r.seq}`],
        ['Time', fmt.dateTime(r.at)],
        ['Time (UTC)', r.at],
        ['Who', r.actor_label],
        ['Kind of actor', r.actor_type],
        ['Actor id', r.actor_id ?? '—'],
        ['Action', r.action],
        ['Resource type', r.resource_type],
        ['Resource id', r.resource_id ?? '—'],
        ['Location', locationName(locations, r.location_id)],
        ['Risk', r.risk],
        ['IP address', r.ip ?? '—'],
        ['Browser', r.user_agent ?? '—'],
        ['Request id', r.request_id ?? '—'],
        ['Record id', r.id],
        ['Hash', r.hash],
      ]
    : [];
  return (
    <Modal
      open={record !== null}
      onClose={onClose}
      title={r ? `Record #${r.seq}: ${r.action}` : 'Record'}
      wide
      actions={
        <Button tone="secondary" onClick={onClose}>
          Close
        </Button>
      }
    >
      {r && (
        <>
          <dl className="grid grid-cols-1 gap-x-4 gap-y-1 text-sm sm:grid-cols-[10rem_1fr]">
            {rows.map(([k, v]) => (
              <div key={k} className="contents">
                <dt className="font-medium text-stone-700">{k}</dt>
                <dd className="mb-2 break-all sm:mb-0">{v}</dd>
              </div>
            ))}
          </dl>
          <div>
            <h3 className="mb-2 font-semibold">Changes</h3>
            {r.changes ? <Changes changes={r.changes} /> : <p className="text-sm text-stone-600">No fields recorded for this action.</p>}
          </div>
        </>
      )}
    </Modal>
  );
}
