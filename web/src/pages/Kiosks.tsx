import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, getAll, pathPrefix, qs } from '../lib/api';
import { can, useBusiness, useCurrentLocation, useSession, type Location, type Session } from '../lib/session';
import { useFormat } from '../lib/format';
import { RevokeDialog } from '../ui/revoke';
import { Alert, Badge, Button, Card, CopyField, EmptyState, errorMessage, Form, Loading, PageHeader, QueryView, SelectField, Table, Td, TextField } from '../ui';
import { storeKioskToken } from './Kiosk';

/**
 * Kiosks are the shared tablets where staff sign in with a PIN. A manager registers one for a location and gets its
 * device token exactly once (Brigade keeps only its hash), and revokes it when a tablet is lost or replaced.
 */

interface Kiosk {
  id: string;
  location_id: string;
  name: string;
  created_at: string;
  revoked_at: string | null;
}

interface Registered {
  kiosk: Kiosk;
  device_token: string;
}

const PERMISSION = 'identity.kiosk.manage';

/** Every location this person can see, page by page (kiosk rows name theirs; the form offers them). */
function useAllLocations() {
  return useQuery({
    queryKey: ['locations', 'all'],
    queryFn: async () => {
      const all: Location[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: Location[]; next_cursor: string | null } = await api.get(`/locations${qs({ limit: 100, cursor })}`);
        all.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor);
      return all;
    },
    staleTime: 60_000,
  });
}

export function KiosksPage() {
  const session = useSession().data as Session;
  const locations = useAllLocations().data ?? [];
  const kiosks = useQuery({ queryKey: ['kiosks'], queryFn: async () => ({ items: await getAll<Kiosk>('/kiosks') }) });
  const [registered, setRegistered] = useState<Registered | null>(null);

  if (!can(session, PERMISSION)) {
    return (
      <>
        <PageHeader title="Kiosks" />
        <Alert title="Not available to you">Registering and revoking kiosks is for managers of a location.</Alert>
      </>
    );
  }

  return (
    <>
      <PageHeader title="Kiosks" description="Shared tablets where staff sign in with their PIN. Each kiosk belongs to one location." />
      <div className="flex flex-col gap-6">
        {registered && <DeviceToken registered={registered} location={locations.find((l) => l.id === registered.kiosk.location_id)} onDone={() => setRegistered(null)} />}
        <div className="grid items-start gap-6 lg:grid-cols-[1fr_22rem]">
          <section aria-labelledby="kiosk-list" className="flex min-w-0 flex-col gap-3">
            <h2 id="kiosk-list" className="text-lg font-semibold">
              Registered kiosks
            </h2>
            <QueryView query={kiosks} loading="Loading kiosks…">
              {(data) => <KioskList kiosks={data.items} locations={locations} />}
            </QueryView>
          </section>
          <RegisterKiosk session={session} onRegistered={setRegistered} />
        </div>
      </div>
    </>
  );
}

function KioskList({ kiosks, locations }: { kiosks: Kiosk[]; locations: Location[] }) {
  const [revoking, setRevoking] = useState<Kiosk | null>(null);
  if (kiosks.length === 0) return <EmptyState>No kiosks yet. Register the first one to let staff sign in with their PIN.</EmptyState>;
  // Working kiosks first, newest first within each group.
  const sorted = [...kiosks].sort((a, b) => Number(a.revoked_at !== null) - Number(b.revoked_at !== null) || b.created_at.localeCompare(a.created_at));
  return (
    <>
      <Table caption="Registered kiosks" head={['Name', 'Location', 'Registered', 'Status', <span className="sr-only">Actions</span>]}>
        {sorted.map((k) => (
          <KioskRow key={k.id} kiosk={k} location={locations.find((l) => l.id === k.location_id)} onRevoke={() => setRevoking(k)} />
        ))}
      </Table>
      <RevokeDialog target={revoking} kind="kiosk" path={(id) => `/kiosks/${id}`} listKey="kiosks" onClose={() => setRevoking(null)}>
        The tablet stops showing the PIN pad at once and anyone signed in on it is signed out. To use it again, register it as a new kiosk.
      </RevokeDialog>
    </>
  );
}

function KioskRow({ kiosk, location, onRevoke }: { kiosk: Kiosk; location: Location | undefined; onRevoke: () => void }) {
  // Dates in the kiosk's own location's time zone.
  const fmt = useFormat(location?.time_zone);
  return (
    <tr>
      <Td className="font-medium">{kiosk.name}</Td>
      <Td>{location?.name ?? 'Another location'}</Td>
      <Td>
        <time dateTime={kiosk.created_at}>{fmt.dateTime(kiosk.created_at)}</time>
      </Td>
      <Td>
        {kiosk.revoked_at ? (
          <span className="flex flex-col gap-1">
            <Badge tone="bad">Revoked</Badge>
            <time dateTime={kiosk.revoked_at} className="text-xs text-stone-600">
              {fmt.dateTime(kiosk.revoked_at)}
            </time>
          </span>
        ) : (
          <Badge tone="good">Active</Badge>
        )}
      </Td>
      <Td className="text-right">
        {!kiosk.revoked_at && (
          <Button tone="secondary" onClick={onRevoke} aria-label={`Revoke ${kiosk.name}`}>
            Revoke
          </Button>
        )}
      </Td>
    </tr>
  );
}

function RegisterKiosk({ session, onRegistered }: { session: Session; onRegistered: (r: Registered) => void }) {
  const client = useQueryClient();
  const { current } = useCurrentLocation();
  const loaded = useAllLocations();
  const allowed = (loaded.data ?? []).filter((l) => can(session, PERMISSION, l.id));
  const [chosen, setChosen] = useState('');
  const [name, setName] = useState('');
  const [nameMissing, setNameMissing] = useState(false);
  const locationId = allowed.some((l) => l.id === chosen) ? chosen : allowed.some((l) => l.id === current?.id) ? current!.id : (allowed[0]?.id ?? '');

  const register = useMutation({
    mutationFn: () => api.post<Registered>('/kiosks', { location_id: locationId, name: name.trim() }),
    onSuccess: async (r) => {
      onRegistered(r);
      setName('');
      await client.invalidateQueries({ queryKey: ['kiosks'] });
    },
  });
  const err = register.error instanceof ApiError ? register.error : null;
  const fieldErrors = err?.code === 'validation_failed';

  return (
    <Card title="Register a kiosk">
      {loaded.isPending ? (
        <Loading label="Loading locations…" />
      ) : loaded.isError ? (
        <Alert title="Locations could not be loaded">{errorMessage(loaded.error)}</Alert>
      ) : allowed.length === 0 ? (
        <EmptyState>There is no location where you may register kiosks.</EmptyState>
      ) : (
        <Form
          error={register.isError && !fieldErrors ? register.error : undefined}
          onSubmit={() => {
            if (!name.trim()) {
              setNameMissing(true);
              return;
            }
            register.mutate();
          }}
        >
          <SelectField
            label="Location"
            value={locationId}
            onChange={(e) => setChosen(e.target.value)}
            error={fieldErrors ? err?.fieldError('location_id') : undefined}
          >
            {allowed.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </SelectField>
          <TextField
            label="Kiosk name"
            value={name}
            maxLength={80}
            required
            onChange={(e) => {
              setName(e.target.value);
              setNameMissing(false);
            }}
            hint="Where the tablet stands, e.g. “Front counter tablet”."
            error={nameMissing ? 'Give the kiosk a name.' : fieldErrors ? err?.fieldError('name') : undefined}
          />
          <Button type="submit" busy={register.isPending}>
            Register kiosk
          </Button>
        </Form>
      )}
    </Card>
  );
}

/** The device token, shown once right after registering; Brigade keeps only its hash and cannot show it again. */
function DeviceToken({ registered, location, onDone }: { registered: Registered; location: Location | undefined; onDone: () => void }) {
  const slug = useBusiness().data!.slug;
  const token = registered.device_token;
  const link = `${window.location.origin}${pathPrefix}/kiosk#setup=${encodeURIComponent(token)}`;
  const adopt = useMutation({
    mutationFn: async () => {
      storeKioskToken(slug, token);
      // A shared tablet must not stay signed in as the manager who set it up.
      try {
        await api.post('/auth/sign-out');
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 401)) throw err;
      }
    },
    // A fresh page load: no cached session, CSRF token or manager's data is left behind in this browser.
    onSuccess: () => window.location.assign(`${pathPrefix}/kiosk`),
  });

  return (
    <Card title={`Set up “${registered.kiosk.name}”${location ? ` at ${location.name}` : ''}`}>
      <div className="flex flex-col gap-4">
        <Alert tone="warning" title="This device token is shown only once">
          Set up the tablet now, or copy the token or link somewhere safe. It will not be shown again; if it is lost, revoke this kiosk and register
          a new one. Anyone holding it can show this location's PIN pad.
        </Alert>
        <div className="flex flex-col gap-2">
          <p className="font-medium">On this device</p>
          <p className="text-sm text-stone-700">This browser becomes the kiosk: you are signed out here and the PIN pad opens.</p>
          <div>
            <Button size="lg" busy={adopt.isPending} onClick={() => adopt.mutate()}>
              Use this browser as this kiosk
            </Button>
          </div>
          {adopt.isError && <Alert>{errorMessage(adopt.error)}</Alert>}
        </div>
        <div className="flex flex-col gap-2">
          <p className="font-medium">On another tablet</p>
          <CopyField label="Set-up link (open it on the tablet)" value={link} />
          <CopyField label="Device token" value={token} />
        </div>
        <div>
          <Button tone="secondary" onClick={onDone}>
            Done, hide the token
          </Button>
        </div>
      </div>
    </Card>
  );
}
