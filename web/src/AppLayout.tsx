import { useState } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api } from './lib/api';
import { navigation } from './lib/nav';
import { can, LocationProvider, useBusiness, useCurrentLocation, useSession, useSessionChanged, type Session } from './lib/session';
import { Button, cx, errorMessage } from './ui';

interface OtherBusiness {
  slug: string;
  name: string;
  url: string;
}

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
  const entries = navigation.filter((e) => !e.permission || can(session, e.permission));
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
    <div className="min-h-screen md:grid md:grid-cols-[15rem_1fr]">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-10 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      <aside className="border-b border-stone-200 bg-white md:min-h-screen md:border-b-0 md:border-r">
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
        <header className="flex flex-wrap items-center justify-end gap-3 border-b border-stone-200 bg-white px-4 py-2">
          <LocationSwitcher />
          <span className="text-sm text-stone-700" data-testid="signed-in-as">
            {session.user.name}
          </span>
          <SignOutButton />
        </header>
        <main id="main" tabIndex={-1} className="mx-auto w-full max-w-6xl flex-1 p-4 sm:p-6">
          <Outlet />
        </main>
      </div>
    </div>
  );
}

/** The business's name, and where the same person works at other businesses on Brigade, a way to switch. */
function BusinessName({ session }: { session: Session }) {
  const business = useBusiness().data;
  const others = useQuery({ queryKey: ['businesses'], queryFn: () => api.get<{ items: OtherBusiness[] }>('/auth/businesses'), staleTime: 5 * 60_000 });
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
