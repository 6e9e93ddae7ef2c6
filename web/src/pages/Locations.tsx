import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, qs } from '../lib/api';
import { can, useBusiness, useSession, type Location, type Session } from '../lib/session';
import { timeZoneChoices } from '../lib/time-zones';
import { Alert, Button, Card, EmptyState, ErrorState, Form, Loading, PageHeader, SelectField, Table, Td, TextField } from '../ui';

interface LocationPage {
  items: Location[];
  next_cursor: string | null;
}

export function LocationsPage() {
  const session = useSession().data as Session;
  const navigate = useNavigate();
  const list = useInfiniteQuery({
    queryKey: ['locations', 'list'],
    queryFn: ({ pageParam }) => api.get<LocationPage>(`/locations${qs({ limit: 100, cursor: pageParam })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const canCreate = can(session, 'org.location.create');

  return (
    <>
      <PageHeader
        title="Locations"
        description="The sites of the business, each with its own time zone."
        actions={
          canCreate ? (
            <Button onClick={() => navigate('/locations/new')}>New location</Button>
          ) : undefined
        }
      />
      {list.isPending ? (
        <Loading label="Loading locations…" />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : (
        <LocationTable session={session} locations={list.data.pages.flatMap((p) => p.items)} />
      )}
      {list.hasNextPage && (
        <div className="mt-4">
          <Button tone="secondary" busy={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
            Show more
          </Button>
        </div>
      )}
      {list.isFetchNextPageError && (
        <div className="mt-4">
          <ErrorState error={list.error} retry={() => void list.fetchNextPage()} />
        </div>
      )}
    </>
  );
}

function LocationTable({ session, locations }: { session: Session; locations: Location[] }) {
  if (locations.length === 0) return <EmptyState>No locations yet.</EmptyState>;
  return (
    <Table caption="Locations" head={['Name', 'Address', 'Time zone']}>
      {locations.map((l) => (
        <tr key={l.id}>
          <Td className="font-medium">
            {can(session, 'org.location.update', l.id) ? (
              <Link to={`/locations/${l.id}`} className="text-brand underline" aria-label={`Edit ${l.name}`}>
                {l.name}
              </Link>
            ) : (
              l.name
            )}
          </Td>
          <Td>{l.address ?? '—'}</Td>
          <Td>{l.time_zone}</Td>
        </tr>
      ))}
    </Table>
  );
}

export function LocationFormPage() {
  const { id } = useParams();
  const existing = useQuery({
    queryKey: ['locations', 'one', id],
    queryFn: () => api.get<Location>(`/locations/${id}`),
    enabled: Boolean(id),
  });
  const business = useBusiness().data;
  const session = useSession().data as Session;

  if (!id) {
    const defaultZone = business?.time_zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    return (
      <>
        <PageHeader title="New location" />
        {can(session, 'org.location.create') ? (
          <LocationForm initial={null} defaultZone={defaultZone} />
        ) : (
          <Alert title="Not available to you">Only owners and admins open new locations.</Alert>
        )}
      </>
    );
  }
  return (
    <>
      <PageHeader title={existing.data ? `Edit ${existing.data.name}` : 'Edit location'} />
      {existing.isPending ? (
        <Loading label="Loading the location…" />
      ) : existing.isError ? (
        <ErrorState error={existing.error} retry={() => void existing.refetch()} />
      ) : (
        // A reload after a version conflict brings a new version: the form starts again from what is stored now.
        <LocationForm
          key={existing.data.version}
          initial={existing.data}
          defaultZone={existing.data.time_zone}
          readOnly={!can(session, 'org.location.update', existing.data.id)}
          onReload={() => void existing.refetch()}
        />
      )}
    </>
  );
}

function LocationForm({
  initial,
  defaultZone,
  readOnly = false,
  onReload,
}: {
  initial: Location | null;
  defaultZone: string;
  readOnly?: boolean;
  onReload?: () => void;
}) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [name, setName] = useState(initial?.name ?? '');
  const [address, setAddress] = useState(initial?.address ?? '');
  const [timeZone, setTimeZone] = useState(initial?.time_zone ?? defaultZone);
  const [zones] = useState(() => timeZoneChoices(initial?.time_zone ?? defaultZone));

  const save = useMutation({
    mutationFn: async () => {
      const fields = { name: name.trim(), address: address.trim() || null, time_zone: timeZone };
      if (!initial) return api.post<Location>('/locations', fields);
      const changed: Partial<typeof fields> = {};
      if (fields.name !== initial.name) changed.name = fields.name;
      if (fields.address !== initial.address) changed.address = fields.address;
      if (fields.time_zone !== initial.time_zone) changed.time_zone = fields.time_zone;
      if (Object.keys(changed).length === 0) return initial;
      return api.patch<Location>(`/locations/${initial.id}`, { version: initial.version, ...changed });
    },
    onSuccess: async () => {
      // The header's location switcher reads ['locations', 'switcher']: it must offer the new name too.
      await client.invalidateQueries({ queryKey: ['locations'] });
      navigate('/locations');
    },
  });

  const err = save.error instanceof ApiError ? save.error : null;
  const stale = err?.code === 'stale_version';
  const fieldErr = (f: string) => (err && !stale ? err.fieldError(f) : undefined);
  const byField = Boolean(err && !stale && (fieldErr('name') || fieldErr('address') || fieldErr('time_zone')));

  return (
    <Card className="max-w-xl">
      <Form onSubmit={() => !readOnly && save.mutate()} error={save.isError && !stale && !byField ? save.error : undefined}>
        {readOnly && <Alert tone="info">You can see this location but not change it.</Alert>}
        {stale && (
          <Alert tone="warning" title="Someone else changed this location">
            <p>Your changes were not saved, because the location changed since you opened it. Reload to see the current details, then make your change again.</p>
            {onReload && (
              <Button tone="secondary" className="mt-2" onClick={onReload}>
                Reload
              </Button>
            )}
          </Alert>
        )}
        <TextField label="Name" name="name" readOnly={readOnly} required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} error={fieldErr('name')} />
        <TextField
          label="Address"
          name="address"
          readOnly={readOnly}
          maxLength={500}
          autoComplete="street-address"
          value={address}
          onChange={(e) => setAddress(e.target.value)}
          error={fieldErr('address')}
          hint="Optional."
        />
        <SelectField
          label="Time zone"
          name="time_zone"
          disabled={readOnly}
          value={timeZone}
          onChange={(e) => setTimeZone(e.target.value)}
          error={fieldErr('time_zone')}
          hint="Shifts, closing counts and logs at this location follow its local clock."
        >
          {zones.map((tz) => (
            <option key={tz} value={tz}>
              {tz.replaceAll('_', ' ')}
            </option>
          ))}
        </SelectField>
        <div className="flex flex-wrap gap-2">
          {!readOnly && (
            <Button type="submit" busy={save.isPending}>
              {initial ? 'Save changes' : 'Create location'}
            </Button>
          )}
          <Button tone="secondary" onClick={() => navigate('/locations')}>
            {readOnly ? 'Back to locations' : 'Cancel'}
          </Button>
        </div>
      </Form>
    </Card>
  );
}
