import { useId, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, pathPrefix, qs } from '../../lib/api';
import { can, useCurrentLocation, useSession, type Session } from '../../lib/session';
import { useFormat } from '../../lib/format';
import { Alert, Card, EmptyState, PageHeader, QueryView, SelectField, Table, Td } from '../../ui';
import { CashManagerNav, ReconciliationStatus, VarianceText, locationName, useBusinessDay } from './Approvals';
import type { VarianceReport } from './types';
import { useSearchParamUpdate } from '../../lib/search-params';

/*
 * Where cash goes missing, and how often: variance per location, register or person over the last 7, 30 or 90 days,
 * the days that needed a manager, the largest shortfalls (each leading to its count), and the export the
 * accountant asks for.
 */

const PERIODS = ['7', '30', '90'] as const;
const GROUPS = { location: 'Location', register: 'Register', person: 'Person' } as const;
type Group = keyof typeof GROUPS;

export function CashReportsPage() {
  const session = useSession().data as Session;
  if (!can(session, 'cash.report.read')) {
    return (
      <>
        <PageHeader title="Cash reports" />
        <Alert title="Not available to you">Cash reports are for managers, owners and auditors.</Alert>
      </>
    );
  }
  return (
    <>
      <CashManagerNav />
      <PageHeader title="Cash reports" description="Variance over time: who, where and how much, and the counts behind it." />
      <Report />
    </>
  );
}

function Report() {
  const [params] = useSearchParams();
  const { locations } = useCurrentLocation();
  const days = (PERIODS as readonly string[]).includes(params.get('days') ?? '') ? params.get('days')! : '30';
  const by: Group = (params.get('by') ?? '') in GROUPS ? (params.get('by') as Group) : 'register';
  const locationId = locations.some((l) => l.id === params.get('location')) ? params.get('location')! : '';
  const query = { location_id: locationId, days, by };
  const report = useQuery({
    queryKey: ['cash', 'reports', 'variance', query],
    queryFn: () => api.get<VarianceReport>(`/cash/reports/variance${qs(query)}`),
    placeholderData: (prev) => prev,
  });
  const update = useSearchParamUpdate();
  const set = (k: string, v: string) => update({ [k]: v });

  return (
    <div className="flex flex-col gap-6">
      <Card title="What to show">
        <div className="grid gap-4 sm:grid-cols-3">
          <SelectField label="Location" value={locationId} onChange={(e) => set('location', e.target.value)}>
            <option value="">All my locations</option>
            {locations.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </SelectField>
          <SelectField label="Period" value={days} onChange={(e) => set('days', e.target.value)}>
            {PERIODS.map((p) => (
              <option key={p} value={p}>
                Last {p} days
              </option>
            ))}
          </SelectField>
          <SelectField label="Group by" value={by} onChange={(e) => set('by', e.target.value)}>
            {Object.entries(GROUPS).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </SelectField>
        </div>
      </Card>
      <QueryView query={report} loading="Loading the report…">
        {(r) => (
          <div className="flex flex-col gap-6" aria-busy={report.isFetching || undefined}>
            <Overview report={r} locationId={locationId} />
            <DailyChart report={r} />
            <Groups report={r} />
            <Shortfalls report={r} />
          </div>
        )}
      </QueryView>
    </div>
  );
}

function Overview({ report: r, locationId }: { report: VarianceReport; locationId: string }) {
  const day = useBusinessDay();
  const net = r.daily.reduce((s, d) => s + d.variance, 0);
  const counts = r.daily.reduce((s, d) => s + d.reconciliations, 0);
  const csv = `${pathPrefix}/api/v1/cash/reports/reconciliations.csv${qs({ from: r.from, to: r.to, location_id: locationId })}`;
  return (
    <section aria-label="Overview" className="grid grid-cols-2 gap-3 sm:gap-4 lg:grid-cols-4">
      <Stat label="Period" wide>
        {day.short(r.from)} to {day.short(r.to)}
      </Stat>
      <Stat label="Counts">{counts}</Stat>
      <Stat label="Net variance">
        <VarianceText minor={net} currency={r.currency} />
      </Stat>
      <Stat label="Flagged days">
        <span data-testid="flagged-days">{r.flagged_days}</span>
      </Stat>
      <div className="col-span-2 lg:col-span-4">
        <a href={csv} download className="inline-flex items-center rounded-md bg-white px-3.5 py-2 text-sm font-medium text-stone-900 ring-1 ring-inset ring-stone-300 hover:bg-stone-100">
          Download CSV
        </a>
        <span className="ml-3 text-sm text-stone-600">Every count of the period, for the accountant.</span>
      </div>
    </section>
  );
}

function Stat({ label, children, wide = false }: { label: string; children: ReactNode; wide?: boolean }) {
  return (
    <div className={`rounded-lg border border-stone-200 bg-white p-4 shadow-sm ${wide ? 'col-span-2 sm:col-span-1' : ''}`}>
      <p className="text-sm text-stone-600">{label}</p>
      <p className="mt-1 text-xl font-semibold">{children}</p>
    </div>
  );
}

/** Every calendar day from `from` to `to`, both included (`YYYY-MM-DD`, counted at UTC so no zone skips one). */
function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(start) || Number.isNaN(end)) return out;
  for (let t = start; t <= end && out.length < 400; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

const CHART = { width: 720, height: 240, left: 64, right: 8, top: 12, bottom: 28 };

/**
 * Daily variance as bars around zero: over above the line, short below it. Drawn by hand (an SVG of a few dozen
 * rectangles needs no library); named and described for a screen reader, with the figures in a table beneath.
 */
export function DailyChart({ report: r }: { report: VarianceReport }) {
  const fmt = useFormat();
  const day = useBusinessDay();
  const titleId = useId();
  const descId = useId();
  const byDate = new Map(r.daily.map((d) => [d.date, d]));
  const dates = daysBetween(r.from, r.to);
  const money = (v: number) => fmt.money(v, r.currency);
  const over = Math.max(0, ...r.daily.map((d) => d.variance));
  const short = Math.max(0, ...r.daily.map((d) => -d.variance));
  const plotH = CHART.height - CHART.top - CHART.bottom;
  const plotW = CHART.width - CHART.left - CHART.right;
  // Zero sits where the larger side gets its share of the height; with no variance at all, in the middle.
  const span = over + short;
  const zeroY = CHART.top + (span === 0 ? plotH / 2 : (plotH * over) / span);
  const scale = span === 0 ? 0 : plotH / span;
  const slot = dates.length ? plotW / dates.length : plotW;
  const barW = Math.max(1, slot * 0.7);
  const worst = [...r.daily].sort((a, b) => a.variance - b.variance)[0];
  const counted = r.daily.filter((d) => d.reconciliations > 0);
  const net = r.daily.reduce((s, d) => s + d.variance, 0);
  const words = (v: number) => (v < 0 ? `short ${money(-v)}` : v > 0 ? `over ${money(v)}` : 'even');
  const summary =
    counted.length === 0
      ? `No counts from ${day.short(r.from)} to ${day.short(r.to)}.`
      : `${counted.length} ${counted.length === 1 ? 'day' : 'days'} with counts from ${day.short(r.from)} to ${day.short(r.to)}; net ${words(net)}; ` +
        `${r.flagged_days} flagged ${r.flagged_days === 1 ? 'day' : 'days'}` +
        (worst && worst.variance < 0 ? `; the largest shortfall was on ${day.short(worst.date)}, ${words(worst.variance)}.` : '.');
  const labelEvery = Math.ceil(dates.length / 8);

  return (
    <Card title="Daily variance">
      <figure className="flex flex-col gap-3">
        {/* Wide enough on a phone for the labels to be read; the strip scrolls sideways there, starting at the latest days. */}
        <div
          className="overflow-x-auto"
          tabIndex={0}
          role="region"
          aria-label="Daily variance chart"
          ref={(el) => {
            if (el) el.scrollLeft = el.scrollWidth;
          }}
        >
          <svg
            role="img"
            aria-labelledby={`${titleId} ${descId}`}
            viewBox={`0 0 ${CHART.width} ${CHART.height}`}
            className="h-auto w-full min-w-[34rem]"
            data-testid="variance-chart"
          >
            <title id={titleId}>Variance per day, last {dates.length} days</title>
            <desc id={descId}>{summary}</desc>
            {span > 0 && (
              <>
                <text x={CHART.left - 6} y={CHART.top + 4} textAnchor="end" fontSize="12" fill="#57534e">
                  {over > 0 ? `+${money(over)}` : ''}
                </text>
                <text x={CHART.left - 6} y={CHART.top + plotH} textAnchor="end" fontSize="12" fill="#57534e">
                  {short > 0 ? `−${money(short)}` : ''}
                </text>
              </>
            )}
            <text x={CHART.left - 6} y={zeroY + 4} textAnchor="end" fontSize="12" fill="#57534e">
              0
            </text>
            {dates.map((d, i) => {
              const v = byDate.get(d);
              const x = CHART.left + i * slot + (slot - barW) / 2;
              const label =
                i % labelEvery === 0 ? (
                  <text key={`l${d}`} x={x + barW / 2} y={CHART.height - 8} textAnchor="middle" fontSize="12" fill="#57534e">
                    {day.tiny(d)}
                  </text>
                ) : null;
              if (!v || v.reconciliations === 0) return label;
              const h = Math.max(Math.abs(v.variance) * scale, 2);
              const y = v.variance > 0 ? zeroY - h : v.variance < 0 ? zeroY : zeroY - 1;
              return (
                <g key={d}>
                  <rect
                    data-testid="variance-bar"
                    data-date={d}
                    data-variance={v.variance}
                    x={x}
                    y={y}
                    width={barW}
                    height={v.variance === 0 ? 2 : h}
                    fill={v.variance < 0 ? '#b91c1c' : v.variance > 0 ? '#b45309' : '#78716c'}
                    stroke={v.flagged > 0 ? '#1c1917' : 'none'}
                    strokeWidth={v.flagged > 0 ? 1.5 : 0}
                  >
                    <title>
                      {day.short(d)}: {words(v.variance)}
                      {v.flagged > 0 ? `, ${v.flagged} flagged` : ''}
                    </title>
                  </rect>
                  {label}
                </g>
              );
            })}
            <line x1={CHART.left} x2={CHART.width - CHART.right} y1={zeroY} y2={zeroY} stroke="#44403c" strokeWidth="1" />
          </svg>
        </div>
        <figcaption className="text-sm text-stone-700">
          {summary} Bars above the line are over, below it short; an outlined bar is a day with a flagged count.
        </figcaption>
        {counted.length > 0 && (
          <details>
            <summary className="cursor-pointer text-sm font-medium text-brand">Daily figures as a table</summary>
            <div className="mt-2">
              <Table caption="Variance per day" head={['Business date', 'Counts', 'Flagged', 'Variance']}>
                {counted.map((d) => (
                  <tr key={d.date}>
                    <Td className="whitespace-nowrap">{day.short(d.date)}</Td>
                    <Td className="tabular-nums">{d.reconciliations}</Td>
                    <Td className="tabular-nums">{d.flagged}</Td>
                    <Td className="whitespace-nowrap">
                      <VarianceText minor={d.variance} currency={r.currency} />
                    </Td>
                  </tr>
                ))}
              </Table>
            </div>
          </details>
        )}
      </figure>
    </Card>
  );
}

function Groups({ report: r }: { report: VarianceReport }) {
  const fmt = useFormat();
  const label = GROUPS[r.by];
  return (
    <section aria-labelledby="groups-heading" className="flex flex-col gap-3">
      <h2 id="groups-heading" className="text-lg font-semibold">
        By {label.toLowerCase()}
      </h2>
      {r.rows.length === 0 ? (
        <EmptyState>No counts in this period.</EmptyState>
      ) : (
        <Table caption={`Variance by ${label.toLowerCase()}`} head={[label, 'Counts', 'Flagged', 'Net variance', 'Shortfalls', 'Overages']}>
          {r.rows.map((row) => (
            <tr key={row.id} data-testid="group-row">
              <Td className="font-medium">{row.name}</Td>
              <Td className="tabular-nums">{row.reconciliations}</Td>
              <Td className="tabular-nums">{row.flagged}</Td>
              <Td className="whitespace-nowrap">
                <VarianceText minor={row.variance} currency={r.currency} />
              </Td>
              <Td className="whitespace-nowrap tabular-nums">{fmt.money(Math.abs(row.shortfall), r.currency)}</Td>
              <Td className="whitespace-nowrap tabular-nums">{fmt.money(row.overage, r.currency)}</Td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}

function Shortfalls({ report: r }: { report: VarianceReport }) {
  const day = useBusinessDay();
  const { locations } = useCurrentLocation();
  return (
    <section aria-labelledby="shortfalls-heading" className="flex flex-col gap-3">
      <h2 id="shortfalls-heading" className="text-lg font-semibold">
        Largest shortfalls
      </h2>
      {r.largest_shortfalls.length === 0 ? (
        <EmptyState>No drawer came up short in this period.</EmptyState>
      ) : (
        <Table caption="Largest shortfalls" head={['Business date', 'Register', 'Counted by', 'Variance', 'Status', '']}>
          {r.largest_shortfalls.map((s) => (
            <tr key={s.reconciliation_id} data-testid="shortfall-row">
              <Td className="whitespace-nowrap">{day.short(s.business_date)}</Td>
              <Td className="font-medium">
                {s.register_name}
                {locations.length > 1 && <span className="block text-xs text-stone-600">{locationName(locations, s.location_id)}</span>}
              </Td>
              <Td>{s.counted_by}</Td>
              <Td className="whitespace-nowrap">
                <VarianceText minor={s.variance} currency={r.currency} />
              </Td>
              <Td>
                <ReconciliationStatus status={s.status} />
              </Td>
              <Td>
                <Link
                  to={`/cash/reconciliations/${s.reconciliation_id}`}
                  className="text-brand underline"
                  aria-label={`Open the count of ${s.register_name}, ${day.short(s.business_date)}, by ${s.counted_by}`}
                >
                  Open
                </Link>
              </Td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
