import { useEffect, useState } from 'react';
import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Popover, PopoverButton, PopoverPanel } from '@headlessui/react';
import { api, ApiError } from './lib/api';
import { useFormat } from './lib/format';
import { navigation } from './lib/nav';
import type { SupportEnded } from './pages/SupportSignIn';
import { can, LocationProvider, useBusiness, useCurrentLocation, useSession, useSessionChanged, type Session } from './lib/session';
import { Button, cx, errorMessage } from './ui';

interface OtherBusiness {
  slug: string;
  name: string;
  url: string;
}

const entriesOf = (session: Session) =>
  navigation
    .filter((e) => !e.permission || can(session, e.permission))
    // Brigade support is nobody of the business: it has no account, password or PIN of its own here.
    .filter((e) => !(session.support && e.to === '/account'));

/** The signed-in frame: business name, location and business switchers, the menu the person's permissions allow. */
export function AppLayout() {
  const session = useSession().data as Session;
  return (
    <LocationProvider slug={session.tenant.slug}>
      <Frame session={session} />
    </LocationProvider>
  );
}

function Frame({ session }: { session: Session }) {
  const [menuOpen, setMenuOpen] = useState(false);
  const entries = entriesOf(session);
  const nav = (
    <nav aria-label="Main">
      <ul className="flex flex-col gap-1">
        {entries.map((e) => (
          <li key={e.to}>
            <NavLink
              to={e.to}
              end={e.to === '/'}
              onClick={() => setMenuOpen(false)}
              className={({ isActive }) => cx('block rounded-md px-3 py-2 text-sm font-medium', isActive ? 'bg-brand text-brand-contrast' : 'text-stone-700 hover:bg-stone-200')}
            >
              {e.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
  return (
    // On paper (a Z report) only the page itself prints: no menu, no header, no grid column left empty for them.
    <div className="min-h-screen md:grid md:grid-cols-[15rem_1fr] print:block print:min-h-0">
      <a href="#main" className="print:hidden sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-10 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      {session.support ? <SupportBanner support={session.support} /> : null}
      <aside className="border-b border-stone-200 bg-white md:min-h-screen md:border-b-0 md:border-r print:hidden">
        <div className="flex items-center justify-between gap-2 p-4">
          <BusinessName session={session} />
          <Button tone="secondary" className="md:hidden" aria-expanded={menuOpen} aria-controls="main-menu" onClick={() => setMenuOpen((o) => !o)}>
            Menu
          </Button>
        </div>
        <div id="main-menu" className={cx('px-3 pb-4', menuOpen ? 'block' : 'hidden md:block')}>
          {nav}
        </div>
      </aside>
      <div className="flex min-w-0 flex-col">
        <header className="flex flex-wrap items-center justify-end gap-3 border-b border-stone-200 bg-white px-4 py-2 print:hidden">
          <LocationSwitcher />
          {/* Support is nobody of the business: no notifications of its own, and the banner above ends the session. */}
          {session.support ? null : <NotificationsBell />}
          <span className="text-sm text-stone-700" data-testid="signed-in-as">
            {session.user.name}
          </span>
          {session.support ? null : <SignOutButton />}
        </header>
        <main id="main" tabIndex={-1} className="mx-auto w-full max-w-6xl flex-1 p-4 sm:p-6 print:max-w-none print:p-0">
          <Outlet />
        </main>
      </div>
    </div>
  );
}

/** The business's name, and where the same person works at other businesses on Brigade, a way to switch. */
function BusinessName({ session }: { session: Session }) {
  const business = useBusiness().data;
  const others = useQuery({
    queryKey: ['businesses'],
    queryFn: () => api.get<{ items: OtherBusiness[] }>('/auth/businesses'),
    staleTime: 5 * 60_000,
    // Support looks into this one business only.
    enabled: !session.support,
  });
  const items = others.data?.items ?? [];
  const name = business?.name ?? session.tenant.name;
  if (items.length === 0) return <p className="truncate text-lg font-semibold text-brand">{name}</p>;
  return (
    <div className="min-w-0">
      <label className="sr-only" htmlFor="business-switcher">
        Business
      </label>
      <select
        id="business-switcher"
        className="max-w-full truncate rounded-md border border-stone-300 bg-white py-1 text-lg font-semibold text-brand"
        value={session.tenant.slug}
        onChange={(e) => {
          const target = items.find((b) => b.slug === e.target.value);
          if (target) window.location.assign(target.url);
        }}
      >
        <option value={session.tenant.slug}>{name}</option>
        {items.map((b) => (
          <option key={b.slug} value={b.slug}>
            {b.name}
          </option>
        ))}
      </select>
    </div>
  );
}

function LocationSwitcher() {
  const { locations, current, choose } = useCurrentLocation();
  if (locations.length < 2) return current ? <span className="text-sm text-stone-600">{current.name}</span> : null;
  return (
    <div className="flex items-center gap-2">
      <label htmlFor="location-switcher" className="text-sm text-stone-600">
        Location
      </label>
      <select id="location-switcher" className="rounded-md border border-stone-300 bg-white px-2 py-1 text-sm" value={current?.id} onChange={(e) => choose(e.target.value)}>
        {locations.map((l) => (
          <option key={l.id} value={l.id}>
            {l.name}
          </option>
        ))}
      </select>
    </div>
  );
}

interface Notification {
  id: string;
  kind: string;
  title: string;
  body: string;
  link: string | null;
  created_at: string;
  read_at: string | null;
}

/**
 * What Brigade has to tell this person (a drawer still open at the deadline, …): fetched every minute and when
 * the window comes back into focus, so a manager who left the tab open still sees the reminder.
 */
function NotificationsBell() {
  const client = useQueryClient();
  const fmt = useFormat();
  const list = useQuery({
    queryKey: ['notifications'],
    queryFn: () => api.get<{ items: Notification[]; unread: number }>('/notifications'),
    refetchInterval: 60_000,
    refetchOnWindowFocus: true,
  });
  const markRead = useMutation({
    mutationFn: (ids: string[]) => api.post<{ unread: number }>('/notifications/read', { ids }),
    onSuccess: async ({ unread }) => {
      client.setQueryData<{ items: Notification[]; unread: number }>(['notifications'], (old) => (old ? { ...old, unread } : old));
      await client.invalidateQueries({ queryKey: ['notifications'] });
    },
  });
  const unread = list.data?.unread ?? 0;
  const items = list.data?.items ?? [];
  const unreadIds = items.filter((n) => !n.read_at).map((n) => n.id);
  return (
    <Popover className="relative">
      <PopoverButton
        aria-label={unread > 0 ? `Notifications, ${unread} unread` : 'Notifications'}
        className="relative flex size-10 items-center justify-center rounded-md text-stone-700 hover:bg-stone-200"
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.8" className="size-6">
          <path strokeLinecap="round" strokeLinejoin="round" d="M14.857 17.082a23.848 23.848 0 0 0 5.454-1.31A8.967 8.967 0 0 1 18 9.75V9A6 6 0 0 0 6 9v.75a8.967 8.967 0 0 1-2.312 6.022c1.733.64 3.56 1.085 5.455 1.31m5.714 0a24.255 24.255 0 0 1-5.714 0m5.714 0a3 3 0 1 1-5.714 0" />
        </svg>
        {unread > 0 && (
          <span aria-hidden="true" className="absolute -right-0.5 -top-0.5 min-w-5 rounded-full bg-red-700 px-1 text-center text-xs font-semibold leading-5 text-white">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </PopoverButton>
      {/* Not portalled (no `anchor`): a portalled panel brings focus sentinels that axe reports as hidden yet focusable. */}
      <PopoverPanel className="z-40 flex flex-col rounded-lg border border-stone-200 bg-white shadow-lg max-sm:fixed max-sm:inset-x-2 max-sm:top-14 sm:absolute sm:right-0 sm:mt-2 sm:w-80">
        {({ close }) => (
          <>
            <div className="flex items-center justify-between gap-2 border-b border-stone-200 px-4 py-2">
              <h2 className="text-sm font-semibold">Notifications</h2>
              <div className="flex gap-1">
                {unreadIds.length > 0 && (
                  <Button tone="ghost" busy={markRead.isPending} onClick={() => markRead.mutate(unreadIds)}>
                    Mark all as read
                  </Button>
                )}
                {/* Also keeps something focusable first in the panel, which is how Headless UI knows it follows its button. */}
                <Button tone="ghost" onClick={() => close()}>
                  Close
                </Button>
              </div>
            </div>
            {list.isError ? (
              <p role="alert" className="px-4 py-3 text-sm text-red-700">
                {errorMessage(list.error)}
              </p>
            ) : list.isPending ? (
              <p className="px-4 py-3 text-sm text-stone-600">Loading…</p>
            ) : items.length === 0 ? (
              <p className="px-4 py-3 text-sm text-stone-600">Nothing new.</p>
            ) : (
              <ul className="max-h-96 divide-y divide-stone-100 overflow-y-auto" aria-label="Notifications">
                {items.map((n) => {
                  const content = (
                    <>
                      <span className="flex items-center gap-2 font-medium text-stone-900">
                        {!n.read_at && <span aria-hidden="true" className="size-2 shrink-0 rounded-full bg-red-700" />}
                        {n.title}
                        {!n.read_at && <span className="sr-only">(unread)</span>}
                      </span>
                      <span className="block text-sm text-stone-700">{n.body}</span>
                      <time dateTime={n.created_at} className="block text-xs text-stone-600">
                        {fmt.dateTime(n.created_at)}
                      </time>
                    </>
                  );
                  const open = () => {
                    if (!n.read_at) markRead.mutate([n.id]);
                    close();
                  };
                  const style = cx('block px-4 py-3 text-left', !n.read_at && 'bg-amber-50', n.link && 'hover:bg-stone-100');
                  return (
                    <li key={n.id} data-testid="notification">
                      {n.link?.startsWith('/') ? (
                        <Link to={n.link} onClick={open} className={style}>
                          {content}
                        </Link>
                      ) : n.link ? (
                        <a href={n.link} onClick={open} className={style}>
                          {content}
                        </a>
                      ) : (
                        <div className={style}>
                          {content}
                          {!n.read_at && (
                            <Button tone="ghost" className="mt-1" onClick={() => markRead.mutate([n.id])}>
                              Mark as read
                            </Button>
                          )}
                        </div>
                      )}
                    </li>
                  );
                })}
              </ul>
            )}
            {markRead.isError && (
              <p role="alert" className="px-4 py-2 text-sm text-red-700">
                {errorMessage(markRead.error)}
              </p>
            )}
          </>
        )}
      </PopoverPanel>
    </Popover>
  );
}

/**
 * On every page while Brigade support looks in through a support session: who, until when, and a way to end it.
 * The business's owners see the same session on their support access page and in the audit log.
 */
function SupportBanner({ support }: { support: NonNullable<Session['support']> }) {
  const fmt = useFormat();
  const changed = useSessionChanged();
  const navigate = useNavigate();
  const client = useQueryClient();
  // The owner withdrew access or the time ran out: the next request is refused (401). Then nothing of the business
  // stays on screen or in memory, and the page says the session has ended.
  useEffect(() => {
    const refused = (err: unknown) => {
      if (!(err instanceof ApiError && err.status === 401)) return;
      // The page it goes to forgets the session and the business's data once it is shown: forgetting them here,
      // still on a signed-in page, would send it to the sign-in form instead of saying what happened.
      void navigate('/support', { replace: true, state: { supportEnded: true } satisfies SupportEnded });
    };
    const queries = client.getQueryCache().subscribe((e) => {
      if (e.type === 'updated' && e.action.type === 'error') refused(e.action.error);
    });
    const mutations = client.getMutationCache().subscribe((e) => {
      if (e.type === 'updated' && e.action.type === 'error') refused(e.action.error);
    });
    return () => {
      queries();
      mutations();
    };
  }, [client, navigate]);
  const end = useMutation({
    mutationFn: () => api.post('/auth/sign-out'),
    onSuccess: async () => {
      await changed(null);
      navigate('/sign-in', { replace: true });
    },
  });
  return (
    <div role="region" aria-label="Support session" className="flex flex-wrap items-center justify-between gap-3 border-b border-amber-400 bg-amber-100 md:col-span-2 px-4 py-3 text-amber-950 print:hidden">
      <p className="font-medium" data-testid="support-banner">
        Brigade support ({support.operator_label}) is viewing this business read-only until <time dateTime={support.expires_at}>{fmt.dateTime(support.expires_at)}</time>
      </p>
      <div className="flex items-center gap-3">
        <Button tone="secondary" busy={end.isPending} onClick={() => end.mutate()}>
          End support session
        </Button>
        {end.isError && (
          <span role="alert" className="text-sm text-red-700">
            {errorMessage(end.error)}
          </span>
        )}
      </div>
    </div>
  );
}

function SignOutButton() {
  const changed = useSessionChanged();
  const navigate = useNavigate();
  const signOut = useMutation({
    mutationFn: () => api.post('/auth/sign-out'),
    onSuccess: async () => {
      await changed(null);
      navigate('/sign-in', { replace: true });
    },
  });
  return (
    <>
      <Button tone="secondary" busy={signOut.isPending} onClick={() => signOut.mutate()}>
        Sign out
      </Button>
      {signOut.isError && (
        <span role="alert" className="text-sm text-red-700">
          {errorMessage(signOut.error)}
        </span>
      )}
    </>
  );
}
