import { useId, useMemo, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, pathPrefix, qs } from '../../lib/api';
import { useFormat } from '../../lib/format';
import { can, useCurrentLocation, useSession, type Session } from '../../lib/session';
import { Alert, Card, PageHeader, QueryView, SelectField, Table, Td } from '../../ui';
import { WaitlistNav, linkButton, minutesText, queuesKey } from './common';
import type { Analytics, Period, Queue } from './types';
import { useSearchParamUpdate } from '../../lib/search-params';

/*
 * How the line went: how many joined and were served, how long they waited (average and the slowest tenth), how
 * many never came or gave up, which hours are busiest, and the same day by day; with the CSV and JSON behind it.
 */

const PERIODS: Record<Period, string> = { '1d': 'Last day', '7d': 'Last 7 days', '30d': 'Last 30 days', '90d': 'Last 90 days', '180d': 'Last 180 days' };

export function WaitlistAnalyticsPage() {
  const session = useSession().data as Session;
  if (!can(session, 'waitlist.analytics.read')) {
    return (
      <>
        <PageHeader title="Waitlist analytics" />
        <Alert title="Not available to you">Waitlist analytics are for managers, owners and auditors.</Alert>
      </>
    );
  }
  return (
    <>
      <WaitlistNav />
      <PageHeader title="Waitlist analytics" description="Waits, no-shows and the busiest hours, per day." />
      <Report />
    </>
  );
}

function Report() {
  const [params] = useSearchParams();
  const { locations } = useCurrentLocation();
  const period: Period = (params.get('period') ?? '') in PERIODS ? (params.get('period') as Period) : '7d';
  const locationId = locations.some((l) => l.id === params.get('location')) ? params.get('location')! : '';
  const queues = useQuery({
    queryKey: queuesKey(locationId || undefined),
    queryFn: () => api.get<{ items: Queue[] }>(`/waitlist/queues${qs({ location_id: locationId })}`),
    // While the list reloads, the queue chosen in the address stays chosen (the report and its CSV link keep it).
    placeholderData: (prev) => prev,
  });
  const queueItems = queues.data?.items ?? [];
  const queueId = queueItems.some((q) => q.id === params.get('queue')) ? params.get('queue')! : '';
  const query = { period, location_id: locationId, queue_id: queueId };
  const report = useQuery({
    queryKey: ['waitlist', 'analytics', query],
    queryFn: () => api.get<Analytics>(`/waitlist/analytics${qs(query)}`),
    placeholderData: (prev) => prev,
  });
  const set = useSearchParamUpdate();
  return (
    <div className="flex flex-col gap-6">
      <Card title="What to show">
        <div className="grid gap-4 sm:grid-cols-3">
          <SelectField label="Period" value={period} onChange={(e) => set({ period: e.target.value })}>
            {Object.entries(PERIODS).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </SelectField>
          <SelectField label="Location" value={locationId} onChange={(e) => set({ location: e.target.value, queue: '' })}>
            <option value="">All my locations</option>
            {locations.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </SelectField>
          <SelectField label="Queue" value={queueId} onChange={(e) => set({ queue: e.target.value })}>
            <option value="">All queues</option>
            {queueItems.map((q) => (
              <option key={q.id} value={q.id}>
                {q.name}
                {!locationId && locations.length > 1 ? ` (${locations.find((l) => l.id === q.location_id)?.name ?? 'another location'})` : ''}
              </option>
            ))}
          </SelectField>
        </div>
      </Card>
      <QueryView query={report} loading="Loading the figures…">
        {(r) => (
          <div className="flex flex-col gap-6" aria-busy={report.isFetching || undefined}>
            <Figures report={r} query={query} />
            <DailyChart report={r} />
            <BusiestHours report={r} />
          </div>
        )}
      </QueryView>
    </div>
  );
}

function usePercent() {
  const { locale } = useFormat();
  return useMemo(() => {
    const f = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
    return (rate: number | null) => (rate === null ? '—' : f.format(rate));
  }, [locale]);
}

function useDay() {
  const { locale } = useFormat();
  return useMemo(() => {
    // A business date has no time of day: formatted at UTC so no zone moves it to the day before.
    const short = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
    const tiny = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' });
    const ok = (d: string) => /^\d{4}-\d{2}-\d{2}$/.test(d);
    return {
      short: (d: string) => (ok(d) ? short.format(new Date(`${d}T00:00:00Z`)) : d),
      tiny: (d: string) => (ok(d) ? tiny.format(new Date(`${d}T00:00:00Z`)) : d),
    };
  }, [locale]);
}

const waitText = (m: number | null) => (m === null ? '—' : minutesText(Math.round(m)));

function Figures({ report: r, query }: { report: Analytics; query: Record<string, string> }) {
  const percent = usePercent();
  const day = useDay();
  const csv = `${pathPrefix}/api/v1/waitlist/analytics.csv${qs(query)}`;
  const json = `${pathPrefix}/api/v1/waitlist/analytics${qs(query)}`;
  return (
    <section aria-label="Figures" className="grid grid-cols-2 gap-3 sm:gap-4 lg:grid-cols-4">
      <Stat label="Period" wide>
        {day.short(r.from.slice(0, 10))} to {day.short(r.to.slice(0, 10))}
      </Stat>
      <Stat label="Joined">{r.joined}</Stat>
      <Stat label="Served">{r.served}</Stat>
      <Stat label="Average wait">{waitText(r.average_wait_minutes)}</Stat>
      <Stat label="90% waited at most">{waitText(r.p90_wait_minutes)}</Stat>
      <Stat label="No-show rate">
        {percent(r.no_show_rate)} <span className="text-sm font-normal text-stone-600">({r.no_shows})</span>
      </Stat>
      <Stat label="Cancellation rate">
        {percent(r.cancellation_rate)} <span className="text-sm font-normal text-stone-600">({r.cancelled})</span>
      </Stat>
      <div className="col-span-2 flex flex-wrap items-center gap-3 lg:col-span-4">
        <a href={csv} download className={linkButton}>
          Download CSV
        </a>
        <a href={json} className={linkButton} target="_blank" rel="noreferrer">
          Open as JSON
        </a>
        <span className="text-sm text-stone-600">Times in {r.time_zone}.</span>
      </div>
    </section>
  );
}

function Stat({ label, children, wide = false }: { label: string; children: ReactNode; wide?: boolean }) {
  return (
    <div className={`rounded-lg border border-stone-200 bg-white p-4 shadow-sm ${wide ? 'col-span-2 sm:col-span-1' : ''}`} data-testid="stat">
      <p className="text-sm text-stone-600">{label}</p>
      <p className="mt-1 text-xl font-semibold">{children}</p>
    </div>
  );
}

/** Every calendar day from `from` to `to`, both included (`YYYY-MM-DD`, counted at UTC so no zone skips one). */
function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  const start = Date.parse(`${from.slice(0, 10)}T00:00:00Z`);
  const end = Date.parse(`${to.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(start) || Number.isNaN(end)) return out;
  for (let t = start; t <= end && out.length < 400; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

const CHART = { width: 720, height: 240, left: 40, right: 8, top: 12, bottom: 28 };
const SERIES = [
  { key: 'served', label: 'Served', fill: '#047857' },
  { key: 'no_shows', label: 'No-shows', fill: '#b45309' },
  { key: 'cancelled', label: 'Cancelled', fill: '#78716c' },
] as const;

/**
 * Parties per day, stacked: served, no-shows, cancelled. Drawn by hand like the cash variance chart (a few dozen
 * rectangles need no library), named and described for a screen reader, with the figures in a table beneath.
 */
function DailyChart({ report: r }: { report: Analytics }) {
  const day = useDay();
  const titleId = useId();
  const descId = useId();
  const byDate = new Map(r.days.map((d) => [d.date, d]));
  const dates = daysBetween(r.from, r.to);
  if (dates.length === 0) dates.push(...r.days.map((d) => d.date));
  const total = (d: Analytics['days'][number]) => d.served + d.no_shows + d.cancelled;
  const top = Math.max(1, ...r.days.map(total));
  const plotH = CHART.height - CHART.top - CHART.bottom;
  const plotW = CHART.width - CHART.left - CHART.right;
  const slot = dates.length ? plotW / dates.length : plotW;
  const barW = Math.max(1, slot * 0.7);
  const baseY = CHART.top + plotH;
  const labelEvery = Math.max(1, Math.ceil(dates.length / 8));
  const busiest = [...r.days].sort((a, b) => total(b) - total(a))[0];
  const active = r.days.filter((d) => d.joined > 0 || total(d) > 0);
  const summary =
    active.length === 0
      ? `No guests from ${day.short(r.from.slice(0, 10))} to ${day.short(r.to.slice(0, 10))}.`
      : `${r.served} served, ${r.no_shows} no-shows and ${r.cancelled} cancelled over ${dates.length} ${dates.length === 1 ? 'day' : 'days'}` +
        (busiest && total(busiest) > 0 ? `; the busiest day was ${day.short(busiest.date)} with ${total(busiest)} parties.` : '.');
  return (
    <Card title="Parties per day">
      <figure className="flex flex-col gap-3">
        <div
          className="overflow-x-auto"
          tabIndex={0}
          role="region"
          aria-label="Parties per day chart"
          ref={(el) => {
            if (el) el.scrollLeft = el.scrollWidth;
          }}
        >
          <svg role="img" aria-labelledby={`${titleId} ${descId}`} viewBox={`0 0 ${CHART.width} ${CHART.height}`} className="h-auto w-full min-w-[34rem]" data-testid="daily-chart">
            <title id={titleId}>Parties per day, {dates.length} days</title>
            <desc id={descId}>{summary}</desc>
            <text x={CHART.left - 6} y={CHART.top + 4} textAnchor="end" fontSize="12" fill="#57534e">
              {top}
            </text>
            <text x={CHART.left - 6} y={baseY} textAnchor="end" fontSize="12" fill="#57534e">
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
              if (!v || total(v) === 0) return label;
              let y = baseY;
              return (
                <g key={d} data-testid="day-bar" data-date={d} data-served={v.served}>
                  {SERIES.map((s) => {
                    const h = (v[s.key] / top) * plotH;
                    if (h <= 0) return null;
                    y -= h;
                    return (
                      <rect key={s.key} x={x} y={y} width={barW} height={h} fill={s.fill}>
                        <title>
                          {day.short(d)}: {v[s.key]} {s.label.toLowerCase()}
                        </title>
                      </rect>
                    );
                  })}
                  {label}
                </g>
              );
            })}
            <line x1={CHART.left} x2={CHART.width - CHART.right} y1={baseY} y2={baseY} stroke="#44403c" strokeWidth="1" />
          </svg>
        </div>
        <figcaption className="flex flex-col gap-2 text-sm text-stone-700">
          <span>{summary}</span>
          <span className="flex flex-wrap gap-4" aria-hidden="true">
            {SERIES.map((s) => (
              <span key={s.key} className="inline-flex items-center gap-1">
                <span className="inline-block size-3 rounded-sm" style={{ background: s.fill }} />
                {s.label}
              </span>
            ))}
          </span>
        </figcaption>
        {active.length > 0 && (
          <details>
            <summary className="cursor-pointer text-sm font-medium text-brand">Daily figures as a table</summary>
            <div className="mt-2">
              <Table caption="Parties per day" head={['Date', 'Joined', 'Served', 'No-shows', 'Cancelled', 'Average wait']}>
                {active.map((d) => (
                  <tr key={d.date}>
                    <Td className="whitespace-nowrap">{day.short(d.date)}</Td>
                    <Td className="tabular-nums">{d.joined}</Td>
                    <Td className="tabular-nums">{d.served}</Td>
                    <Td className="tabular-nums">{d.no_shows}</Td>
                    <Td className="tabular-nums">{d.cancelled}</Td>
                    <Td className="whitespace-nowrap">{waitText(d.average_wait_minutes)}</Td>
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

const hourText = (h: number) => `${String(h).padStart(2, '0')}:00–${String((h + 1) % 24).padStart(2, '0')}:00`;

function BusiestHours({ report: r }: { report: Analytics }) {
  const byHour = new Map(r.busiest_hours.map((h) => [h.hour, h.joined]));
  const top = Math.max(1, ...r.busiest_hours.map((h) => h.joined));
  const ranked = [...r.busiest_hours].filter((h) => h.joined > 0).sort((a, b) => b.joined - a.joined || a.hour - b.hour).slice(0, 3);
  return (
    <Card title="Busiest hours">
      {ranked.length === 0 ? (
        <p className="text-stone-600">Nobody joined in this period.</p>
      ) : (
        <ol className="mb-4 flex flex-col gap-1" aria-label="Busiest hours" data-testid="busiest-hours">
          {ranked.map((h) => (
            <li key={h.hour}>
              <span className="font-medium">{hourText(h.hour)}</span>: {h.joined} {h.joined === 1 ? 'party joined' : 'parties joined'}
            </li>
          ))}
        </ol>
      )}
      <div aria-hidden="true" className="flex h-24 items-end gap-0.5">
        {Array.from({ length: 24 }, (_, h) => {
          const n = byHour.get(h) ?? 0;
          return (
            <div key={h} className="flex flex-1 flex-col items-center justify-end gap-1">
              <div className="w-full rounded-t bg-stone-700" style={{ height: `${(n / top) * 100}%`, minHeight: n > 0 ? 2 : 0 }} title={`${hourText(h)}: ${n}`} />
            </div>
          );
        })}
      </div>
      <div aria-hidden="true" className="mt-1 flex justify-between text-xs text-stone-600">
        <span>00</span>
        <span>06</span>
        <span>12</span>
        <span>18</span>
        <span>23</span>
      </div>
      <p className="mt-1 text-xs text-stone-600">Joins per hour of the day, local time ({r.time_zone}).</p>
    </Card>
  );
}
