import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, getAll } from '../lib/api';
import { can, useCurrentLocation, useSession, type Location, type Role, type Session } from '../lib/session';
import { useFormat } from '../lib/format';
import { LOCATION_SCOPED, ROLES, roleNames } from '../lib/roles';
import { RevokeDialog } from '../ui/revoke';
import { Alert, Badge, Button, Card, CopyField, EmptyState, Form, PageHeader, QueryView, SelectField, Table, Td, TextField } from '../ui';

/**
 * API keys let an external system (a POS, payroll, a booking site) call Brigade for the business. An owner or admin
 * creates one acting as a role (at a location, for location-scoped roles), copies its token once (Brigade keeps only
 * its hash), and revokes it when the system is retired or the token may have leaked.
 */

interface ApiKey {
  id: string;
  name: string;
  role: Role;
  location_id: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

interface Created {
  api_key: ApiKey;
  token: string;
}

const PERMISSION = 'identity.api_key.manage';
/** A key never acts as the owner: billing, deleting the business and letting support in need a person. */
const KEY_ROLES = ROLES.filter((r) => r !== 'owner');
const scoped = (role: Role) => (LOCATION_SCOPED as ReadonlySet<Role>).has(role);

export function ApiKeysPage() {
  const session = useSession().data as Session;
  const { locations } = useCurrentLocation();
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: async () => ({ items: await getAll<ApiKey>('/api-keys') }) });
  const [created, setCreated] = useState<Created | null>(null);

  if (!can(session, PERMISSION)) {
    return (
      <>
        <PageHeader title="API keys" />
        <Alert title="Not available to you">API keys are managed by the owner and admins.</Alert>
      </>
    );
  }

  return (
    <>
      <PageHeader title="API keys" description="Keys for external systems (POS, payroll, booking sites). Each key acts as one role and can be revoked at any time." />
      <div className="flex flex-col gap-6">
        {created && <NewToken created={created} onDone={() => setCreated(null)} />}
        <div className="grid items-start gap-6 lg:grid-cols-[1fr_22rem]">
          <section aria-labelledby="api-key-list" className="flex min-w-0 flex-col gap-3">
            <h2 id="api-key-list" className="text-lg font-semibold">
              Keys
            </h2>
            <QueryView query={keys} loading="Loading API keys…">
              {(data) => <KeyList keys={data.items} locations={locations} />}
            </QueryView>
          </section>
          <CreateKey session={session} locations={locations} onCreated={setCreated} />
        </div>
      </div>
    </>
  );
}

function KeyList({ keys, locations }: { keys: ApiKey[]; locations: Location[] }) {
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const fmt = useFormat();
  if (keys.length === 0) return <EmptyState>No API keys yet. Create one for each system that calls Brigade.</EmptyState>;
  const sorted = [...keys].sort((a, b) => Number(a.revoked_at !== null) - Number(b.revoked_at !== null) || b.created_at.localeCompare(a.created_at));
  return (
    <>
      <Table caption="API keys" head={['Name', 'Role', 'Location', 'Created', 'Last used', 'Status', <span className="sr-only">Actions</span>]}>
        {sorted.map((k) => (
          <tr key={k.id}>
            <Td className="font-medium">{k.name}</Td>
            <Td>{roleNames[k.role]}</Td>
            <Td>{k.location_id ? (locations.find((l) => l.id === k.location_id)?.name ?? 'Another location') : 'Whole business'}</Td>
            <Td>
              <time dateTime={k.created_at}>{fmt.dateTime(k.created_at)}</time>
            </Td>
            <Td>{k.last_used_at ? <time dateTime={k.last_used_at}>{fmt.dateTime(k.last_used_at)}</time> : 'Never'}</Td>
            <Td>{k.revoked_at ? <Badge tone="bad">Revoked</Badge> : <Badge tone="good">Active</Badge>}</Td>
            <Td className="text-right">
              {!k.revoked_at && (
                <Button tone="secondary" onClick={() => setRevoking(k)} aria-label={`Revoke ${k.name}`}>
                  Revoke
                </Button>
              )}
            </Td>
          </tr>
        ))}
      </Table>
      <RevokeDialog target={revoking} kind="key" path={(id) => `/api-keys/${id}`} listKey="api-keys" onClose={() => setRevoking(null)}>
        The system using this key is refused from now on. To connect it again, create a new key.
      </RevokeDialog>
    </>
  );
}

function CreateKey({ session, locations, onCreated }: { session: Session; locations: Location[]; onCreated: (c: Created) => void }) {
  const client = useQueryClient();
  const inUse = KEY_ROLES.filter((r) => session.tenant.roles_in_use.includes(r));
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>(inUse.includes('staff') ? 'staff' : (inUse[0] ?? 'auditor'));
  const [chosen, setChosen] = useState('');
  const [nameMissing, setNameMissing] = useState(false);
  const locationId = locations.some((l) => l.id === chosen) ? chosen : (locations[0]?.id ?? '');

  const create = useMutation({
    mutationFn: () => api.post<Created>('/api-keys', { name: name.trim(), role, ...(scoped(role) ? { location_id: locationId } : {}) }),
    onSuccess: async (r) => {
      onCreated(r);
      setName('');
      await client.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  const err = create.error instanceof ApiError ? create.error : null;
  const fieldErrors = err?.code === 'validation_failed';

  return (
    <Card title="Create an API key">
      <Form
        error={create.isError && !fieldErrors ? create.error : undefined}
        onSubmit={() => {
          if (!name.trim()) {
            setNameMissing(true);
            return;
          }
          create.mutate();
        }}
      >
        <TextField
          label="Key name"
          value={name}
          maxLength={80}
          required
          onChange={(e) => {
            setName(e.target.value);
            setNameMissing(false);
          }}
          hint="The system that will use it, e.g. “Till POS” or “Booking site”."
          error={nameMissing ? 'Give the key a name.' : fieldErrors ? err?.fieldError('name') : undefined}
        />
        <SelectField label="Acts as" value={role} onChange={(e) => setRole(e.target.value as Role)} hint="The key may do what this role may, never more." error={fieldErrors ? err?.fieldError('role') : undefined}>
          {inUse.map((r) => (
            <option key={r} value={r}>
              {roleNames[r]}
            </option>
          ))}
        </SelectField>
        {scoped(role) && (
          <SelectField label="Location" value={locationId} onChange={(e) => setChosen(e.target.value)} error={fieldErrors ? err?.fieldError('location_id') : undefined}>
            {locations.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </SelectField>
        )}
        <Button type="submit" busy={create.isPending}>
          Create key
        </Button>
      </Form>
    </Card>
  );
}

/** The token, shown once right after creating the key; Brigade keeps only its hash and cannot show it again. */
function NewToken({ created, onDone }: { created: Created; onDone: () => void }) {
  return (
    <Card title={`Token for “${created.api_key.name}”`}>
      <div className="flex flex-col gap-4">
        <Alert tone="warning" title="You will not see this token again">
          Copy it into the system that will use it now. Brigade keeps only a fingerprint of it; if it is lost, revoke this key and create a new one.
          Anyone holding it can act as {roleNames[created.api_key.role].toLowerCase()} for the business.
        </Alert>
        <CopyField label="API token" value={created.token} />
        <p className="text-sm text-stone-700">
          Send it as <code>Authorization: Bearer …</code> with every request.
        </p>
        <div>
          <Button tone="secondary" onClick={onDone}>
            Done, hide the token
          </Button>
        </div>
      </div>
    </Card>
  );
}
