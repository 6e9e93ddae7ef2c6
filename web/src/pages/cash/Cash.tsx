import { useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useIsFetching, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, qs } from '../../lib/api';
import { useFormat } from '../../lib/format';
import { can, useCurrentLocation, useSession, type Session } from '../../lib/session';
import { Alert, Badge, Button, Card, EmptyState, Form, Loading, PageHeader, QueryView, Table, Td, cx } from '../../ui';
import { CountGrid, linesFrom, quantitiesFrom, sortDenominations, quantitiesTotal, type Quantities } from './CountGrid';
import { DRAWER_STATUS, useBusinessDate } from './Drawer';
import { DailyChart } from './Reports';
import type { Drawer, DrawerListItem, Register, RegisterDetail, VarianceReport } from './types';

/**
 * The cash desk of the location being worked at: its registers and who has each drawer, opening a drawer with its
 * float, and the person's own drawers. Managers reach approvals, the day close, reports and settings from here.
 */

export const registersKey = (locationId: string | undefined) => ['cash', 'registers', locationId ?? 'all'] as const;

const linkButton = 'inline-flex items-center justify-center rounded-md px-3.5 py-2 text-sm font-medium ring-1 ring-inset ring-stone-300 bg-white text-stone-900 hover:bg-stone-100';

export function CashPage() {
  const session = useSession().data as Session;
  const { current } = useCurrentLocation();
  const navigate = useNavigate();
  const [opening, setOpening] = useState<Register | null>(null);
  const loadingLocations = useIsFetching({ queryKey: ['locations', 'switcher'] }) > 0;

  if (!can(session, 'cash.register.read')) {
    return (
      <>
        <PageHeader title="Cash" />
        <Alert title="Not available to you">The registers and drawers are for the people who work the cash and their managers.</Alert>
      </>
    );
  }
  if (!current) {
    return loadingLocations ? (
      <Loading label="Loading the location…" />
    ) : (
      <>
        <PageHeader title="Cash" />
        <EmptyState>There is no location to count cash at.</EmptyState>
      </>
    );
  }
  const here = current.id;
  const links = [
    { to: '/cash/approvals', label: 'Approvals', permission: 'cash.reconciliation.approve' },
    { to: '/cash/day', label: 'Day close', permission: 'cash.day.read' },
    { to: '/cash/reports', label: 'Reports', permission: 'cash.report.read' },
    { to: '/cash/settings', label: 'Settings', permission: 'cash.settings.manage' },
  ].filter((l) => can(session, l.permission, here));

  return (
    <>
      <PageHeader
        title="Cash"
        description={`Registers and drawers at ${current.name}.`}
        actions={
          links.length > 0 ? (
            <nav aria-label="Cash pages" className="flex flex-wrap gap-2">
              {links.map((l) => (
                <Link key={l.to} to={l.to} className={linkButton}>
                  {l.label}
                </Link>
              ))}
            </nav>
          ) : undefined
        }
      />
      <div className="flex flex-col gap-8">
        {opening ? (
          <OpenDrawerPanel registerId={opening.id} onOpened={(d) => navigate(`/cash/drawers/${d.id}`)} onCancel={() => setOpening(null)} />
        ) : (
          <section aria-labelledby="registers" className="flex flex-col gap-3">
            <h2 id="registers" className="text-lg font-semibold">
              Registers
            </h2>
            <RegisterList locationId={here} session={session} onOpenDrawer={setOpening} drawerLink={(id) => `/cash/drawers/${id}`} />
          </section>
        )}
        <MyDrawers locationId={here} session={session} drawerLink={(id) => `/cash/drawers/${id}`} />
        {can(session, 'cash.report.read', here) && <RecentVariance locationId={here} />}
      </div>
    </>
  );
}

/** The last 30 days of variance at this location, for managers: the same chart as the reports page. */
function RecentVariance({ locationId }: { locationId: string }) {
  const report = useQuery({
    queryKey: ['cash', 'reports', 'variance', locationId, '30', 'register'],
    queryFn: () => api.get<VarianceReport>(`/cash/reports/variance${qs({ location_id: locationId, days: 30, by: 'register' })}`),
  });
  return (
    <section aria-labelledby="recent-variance" className="flex flex-col gap-3">
      <h2 id="recent-variance" className="text-lg font-semibold">
        Variance, last 30 days
      </h2>
      <QueryView query={report} loading="Loading the variance…">
        {(r) => (
          <>
            <DailyChart report={r} />
            <p className="text-sm">
              <Link to="/cash/reports" className="text-brand underline">
                Reports: by register or person, largest shortfalls, CSV
              </Link>
            </p>
          </>
        )}
      </QueryView>
    </section>
  );
}

// ------------------------------------------------------------------ registers

/**
 * The registers of a location with their current drawer. "Open drawer" on a free register; a way into a drawer for
 * the person who opened it (and for those who see everyone's counts).
 */
export function RegisterList({
  locationId,
  session,
  onOpenDrawer,
  drawerLink,
  onShowDrawer,
  large = false,
  timeZone,
}: {
  locationId: string | undefined;
  session: Session;
  onOpenDrawer: (register: Register) => void;
  /** Where a drawer lives in this app (a link); or `onShowDrawer` for a screen that shows it in place. */
  drawerLink?: (drawerId: string) => string;
  onShowDrawer?: (drawerId: string) => void;
  large?: boolean;
  timeZone?: string;
}) {
  const fmt = useFormat(timeZone);
  const registers = useQuery({
    queryKey: registersKey(locationId),
    queryFn: () => api.get<{ items: Register[] }>(`/cash/registers${qs({ location_id: locationId })}`),
  });
  const size = large ? 'lg' : 'md';

  return (
    <QueryView query={registers} loading="Loading registers…">
      {(data) =>
        data.items.length === 0 ? (
          <EmptyState>
            No registers here yet.{' '}
            {can(session, 'cash.settings.manage', locationId) ? 'Add one under Cash settings.' : 'An owner adds them under Cash settings.'}
          </EmptyState>
        ) : (
          <ul className="grid grid-cols-1 gap-3 sm:grid-cols-2" aria-label="Registers">
            {data.items.map((r) => {
              const d = r.current_drawer;
              const mine = d?.opened_by.id === session.user.id;
              const mayEnter = d && (mine || can(session, 'cash.reconciliation.all.read', r.location_id));
              const mayOpen = !d && r.active && can(session, 'cash.drawer.operate', r.location_id);
              const headingId = `register-${r.id}`;
              return (
                <li key={r.id} aria-labelledby={headingId} className={cx('flex flex-col gap-3 rounded-lg border border-stone-200 bg-white p-4 shadow-sm', large && 'p-5')}>
                  <div className="flex flex-wrap items-center justify-between gap-2">
                    <h3 id={headingId} className={cx('font-semibold', large ? 'text-xl' : 'text-base')}>
                      {r.name}
                    </h3>
                    {!r.active ? (
                      <Badge>Not in use</Badge>
                    ) : d ? (
                      <Badge tone={DRAWER_STATUS[d.status].tone}>{DRAWER_STATUS[d.status].label}</Badge>
                    ) : (
                      <Badge>No drawer open</Badge>
                    )}
                  </div>
                  {d ? (
                    <p className="text-stone-700">
                      {mine ? 'You' : d.opened_by.name} opened the drawer on {fmt.dateTime(d.opened_at)}.
                    </p>
                  ) : (
                    <p className="text-stone-700">{r.active ? 'Free: open its drawer with a counted float.' : 'This register is switched off.'}</p>
                  )}
                  <div className="flex flex-wrap gap-2">
                    {mayOpen && (
                      <Button size={size} onClick={() => onOpenDrawer(r)} aria-describedby={headingId}>
                        Open drawer
                      </Button>
                    )}
                    {d && mayEnter && <DrawerLink drawerId={d.id} status={d.status} link={drawerLink} onShow={onShowDrawer} large={large} describedBy={headingId} />}
                  </div>
                </li>
              );
            })}
          </ul>
        )
      }
    </QueryView>
  );
}

function DrawerLink({
  drawerId,
  status,
  link,
  onShow,
  large,
  describedBy,
}: {
  drawerId: string;
  status: Drawer['status'];
  link?: (id: string) => string;
  onShow?: (id: string) => void;
  large: boolean;
  describedBy: string;
}) {
  const label = status === 'recount' ? 'Count again' : 'Go to drawer';
  if (link) {
    return (
      <Link to={link(drawerId)} aria-describedby={describedBy} className={cx('inline-flex items-center justify-center rounded-md bg-brand font-medium text-brand-contrast hover:opacity-90', large ? 'px-5 py-3 text-lg' : 'px-3.5 py-2 text-sm')}>
        {label}
      </Link>
    );
  }
  return (
    <Button size={large ? 'lg' : 'md'} aria-describedby={describedBy} onClick={() => onShow?.(drawerId)}>
      {label}
    </Button>
  );
}

// ------------------------------------------------------------------ opening a drawer

/**
 * Counting the opening float into a register's drawer, pre-filled from its last closing count (what was left in it),
 * with the location's usual float as the amount to aim for.
 */
export function OpenDrawerPanel({
  registerId,
  onOpened,
  onCancel,
  large = false,
}: {
  registerId: string;
  onOpened: (drawer: Drawer) => void;
  onCancel: () => void;
  large?: boolean;
}) {
  const detail = useQuery({ queryKey: ['cash', 'register', registerId], queryFn: () => api.get<RegisterDetail>(`/cash/registers/${registerId}`) });
  return (
    <QueryView query={detail} loading="Loading the register…">
      {(r) => <OpenDrawerForm key={r.version} register={r} onOpened={onOpened} onCancel={onCancel} large={large} />}
    </QueryView>
  );
}

function OpenDrawerForm({ register, onOpened, onCancel, large }: { register: RegisterDetail; onOpened: (d: Drawer) => void; onCancel: () => void; large: boolean }) {
  const client = useQueryClient();
  const fmt = useFormat();
  const denominations = useMemo(() => sortDenominations(register.rules.denominations), [register.rules.denominations]);
  const [quantities, setQuantities] = useState<Quantities>(() => quantitiesFrom(register.last_count, register.rules.denominations));
  const total = quantitiesTotal(quantities);
  const target = register.rules.default_float;
  const money = (n: number) => fmt.money(n, register.currency);
  const size = large ? 'lg' : 'md';

  const open = useMutation({
    mutationFn: () => api.post<Drawer>(`/cash/registers/${register.id}/drawers`, { opening_count: linesFrom(denominations, quantities) }),
    onSuccess: async (d) => {
      client.setQueryData(['cash', 'drawer', d.id], d);
      // The register lists, "my drawers" and the day's status all changed.
      await client.invalidateQueries({ queryKey: ['cash'], predicate: (q) => q.queryKey[2] !== d.id });
      onOpened(d);
    },
    onError: (err) => {
      // Someone else opened it meanwhile, or it was switched off: the list behind this panel must say so.
      if (err instanceof ApiError && err.status === 409) void client.invalidateQueries({ queryKey: ['cash', 'registers'] });
    },
  });

  const difference = total - target;
  return (
    <Card title={`Open the drawer of ${register.name}`}>
      <Form onSubmit={() => open.mutate()} error={open.isError ? open.error : undefined}>
        <p className="text-stone-700">
          Count the opening float into the drawer.{' '}
          {register.last_count.length > 0 ? 'The quantities start from the last closing count of this register; change any that differ.' : 'This register has no closing count yet to start from.'}
        </p>
        <p className={cx('font-medium', large ? 'text-xl' : 'text-base')} data-testid="float-target">
          Usual float: {money(target)}
          <span className="ml-2 font-normal text-stone-600">
            {difference === 0 ? '(matches)' : `(${money(Math.abs(difference))} ${difference < 0 ? 'under' : 'over'})`}
          </span>
        </p>
        <CountGrid
          denominations={denominations}
          value={quantities}
          onChange={setQuantities}
          currency={register.currency}
          minorDigits={register.minor_digits}
          label="Opening float"
          totalLabel="Opening float"
          large={large}
          disabled={open.isPending}
        />
        <div className="flex flex-wrap gap-2">
          <Button type="submit" size={size} busy={open.isPending}>
            Open drawer with {money(total)}
          </Button>
          <Button tone="secondary" size={size} disabled={open.isPending} onClick={onCancel}>
            Cancel
          </Button>
        </div>
      </Form>
    </Card>
  );
}

// ------------------------------------------------------------------ my drawers

/** The person's recent drawers (or, for those who see every count, the location's). */
export function MyDrawers({
  locationId,
  session,
  drawerLink,
  onShowDrawer,
  timeZone,
}: {
  locationId: string | undefined;
  session: Session;
  drawerLink?: (id: string) => string;
  onShowDrawer?: (id: string) => void;
  timeZone?: string;
}) {
  const fmt = useFormat(timeZone);
  const day = useBusinessDate();
  const all = can(session, 'cash.reconciliation.all.read', locationId);
  const drawers = useQuery({
    queryKey: ['cash', 'drawers', locationId ?? 'all'],
    queryFn: () => api.get<{ items: DrawerListItem[] }>(`/cash/drawers${qs({ location_id: locationId, limit: 25 })}`),
  });
  const title = all ? 'Recent drawers' : 'My drawers';
  return (
    <section aria-labelledby="my-drawers" className="flex flex-col gap-3">
      <h2 id="my-drawers" className="text-lg font-semibold">
        {title}
      </h2>
      <QueryView query={drawers} loading="Loading drawers…">
        {(data) =>
          data.items.length === 0 ? (
            <EmptyState>{all ? 'No drawers opened here yet.' : 'You have not opened a drawer here yet.'}</EmptyState>
          ) : (
            <Table caption={title} head={['Register', 'Business day', 'Opened', ...(all ? ['Opened by'] : []), 'Status']}>
              {data.items.map((d) => (
                <tr key={d.id}>
                  <Td className="font-medium">
                    {/* The register's name opens the drawer; the row's date and time tell one drawer from another. */}
                    {drawerLink ? (
                      <Link to={drawerLink(d.id)} className="text-brand underline">
                        {d.register.name}
                      </Link>
                    ) : (
                      <button type="button" className="min-h-11 text-left text-brand underline" onClick={() => onShowDrawer?.(d.id)}>
                        {d.register.name}
                      </button>
                    )}
                  </Td>
                  <Td>{day(d.business_date)}</Td>
                  <Td>{fmt.dateTime(d.opened_at)}</Td>
                  {all && <Td>{d.opened_by.name}</Td>}
                  <Td>
                    <Badge tone={DRAWER_STATUS[d.status].tone}>{DRAWER_STATUS[d.status].label}</Badge>
                  </Td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryView>
    </section>
  );
}
