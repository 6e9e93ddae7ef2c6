import { Link } from 'react-router';
import { navigation } from '../lib/nav';
import { can, useCurrentLocation, useSession, type Session } from '../lib/session';
import { useFormat } from '../lib/format';
import { roleNames } from '../lib/roles';
import { Card, PageHeader } from '../ui';


export function HomePage() {
  const session = useSession().data as Session;
  const { current, locations } = useCurrentLocation();
  const fmt = useFormat();
  const shortcuts = navigation.filter((e) => e.to !== '/' && (!e.permission || can(session, e.permission)));
  return (
    <>
      <PageHeader title={`Hello, ${session.user.name}`} description={current ? `${current.name} · ${fmt.dateTime(new Date().toISOString())}` : undefined} />
      <div className="grid gap-4 md:grid-cols-2">
        <Card title="Your roles">
          <ul className="flex flex-col gap-1 text-sm">
            {session.roles.map((r, i) => (
              <li key={i}>
                {roleNames[r.role] ?? r.role}
                {r.location_id ? ` at ${locations.find((l) => l.id === r.location_id)?.name ?? 'one location'}` : ' across the business'}
              </li>
            ))}
          </ul>
        </Card>
        <Card title="Go to">
          <ul className="flex flex-col gap-2">
            {shortcuts.map((e) => (
              <li key={e.to}>
                <Link className="text-brand underline" to={e.to}>
                  {e.label}
                </Link>
              </li>
            ))}
          </ul>
        </Card>
      </div>
    </>
  );
}
