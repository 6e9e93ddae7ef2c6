import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, getAll } from '../lib/api';
import { can, useCurrentLocation, useSession, type Location, type Role, type Session } from '../lib/session';
import { useFormat } from '../lib/format';
import { INVITABLE_BY, LOCATION_SCOPED, ROLES, roleNames } from '../lib/roles';
import { Alert, Badge, Button, Card, EmptyState, Form, Loading, PageHeader, QueryView, SelectField, Table, Td, TextField } from '../ui';

interface RoleAssignment {
  role: Role;
  location_id: string | null;
}

interface Person {
  id: string;
  email: string;
  name: string;
  status: string;
  roles: RoleAssignment[];
}

interface Invitation {
  id: string;
  email: string;
  role: Role;
  location_id: string | null;
  expires_at: string;
  accepted_at: string | null;
  created_at: string;
}

function invitableRoles(session: Session): Role[] {
  const mine = new Set(session.roles.flatMap((r) => INVITABLE_BY[r.role] ?? []));
  // Only the roles the business works with (a café has no auditor until its owner adds the role in settings).
  return ROLES.filter((r) => mine.has(r) && session.tenant.roles_in_use.includes(r));
}

/** Field messages arrive as fragments ("must be an email address"); beside a field they read as a sentence. */
function sentence(message: string | undefined): string | undefined {
  return message ? message.charAt(0).toUpperCase() + message.slice(1) : undefined;
}

function roleText(a: RoleAssignment, locations: Location[]): string {
  if (!a.location_id) return roleNames[a.role] ?? a.role;
  return `${roleNames[a.role] ?? a.role} at ${locations.find((l) => l.id === a.location_id)?.name ?? 'another location'}`;
}

export function PeoplePage() {
  const session = useSession().data as Session;
  const canInvite = can(session, 'identity.invitation.create');
  return (
    <>
      <PageHeader title="People" description="Everyone who works here, and the invitations on their way." />
      <div className="flex flex-col gap-6">
        {canInvite && <InviteForm session={session} />}
        <PeopleList />
        {canInvite && <InvitationList />}
      </div>
    </>
  );
}

function PeopleList() {
  const { locations, loaded } = useCurrentLocation();
  const people = useQuery({ queryKey: ['users'], queryFn: async () => ({ items: await getAll<Person>('/users') }) });
  return (
    <Card title="People">
      <QueryView query={people} loading="Loading the people…">
        {({ items }) =>
          !loaded ? (
            <Loading label="Loading the locations…" />
          ) : items.length === 0 ? (
            <EmptyState>Nobody here yet.</EmptyState>
          ) : (
            <Table caption="People" head={['Name', 'Email', 'Status', 'Roles']}>
              {items.map((p) => (
                <tr key={p.id}>
                  <Td className="font-medium">{p.name}</Td>
                  <Td className="whitespace-nowrap">{p.email}</Td>
                  <Td>
                    <Badge tone={p.status === 'active' ? 'good' : 'warn'}>{p.status}</Badge>
                  </Td>
                  <Td>
                    <ul>
                      {p.roles.map((r, i) => (
                        <li key={i}>{roleText(r, locations)}</li>
                      ))}
                    </ul>
                  </Td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryView>
    </Card>
  );
}

function InviteForm({ session }: { session: Session }) {
  const client = useQueryClient();
  const { locations, current } = useCurrentLocation();
  const fmt = useFormat();
  const roles = invitableRoles(session);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role | ''>(() => (roles.includes('staff') ? 'staff' : (roles[0] ?? '')));
  const [chosenLocation, setChosenLocation] = useState('');
  // Only the locations where this person may invite; the one being worked at comes first by default.
  const places = locations.filter((l) => can(session, 'identity.invitation.create', l.id));
  const locationId = chosenLocation || (current && places.some((l) => l.id === current.id) ? current.id : (places[0]?.id ?? ''));
  const scoped = role !== '' && LOCATION_SCOPED.has(role);

  const invite = useMutation({
    mutationFn: () =>
      api.post<Invitation>('/invitations', { email: email.trim(), role, location_id: scoped ? locationId || null : null }),
    onSuccess: async () => {
      setEmail('');
      await client.invalidateQueries({ queryKey: ['invitations'] });
    },
  });

  if (roles.length === 0) return null;
  const err = invite.error instanceof ApiError && invite.error.code === 'validation_failed' ? invite.error : null;
  const fieldErrors = {
    email: sentence(err?.fieldError('email')),
    role: sentence(err?.fieldError('role')),
    location: sentence(err?.fieldError('location_id')),
  };
  const shownByField = Boolean(fieldErrors.email || fieldErrors.role || fieldErrors.location);

  return (
    <Card title="Invite someone">
      <Form onSubmit={() => invite.mutate()} error={invite.isError && !shownByField ? invite.error : undefined}>
        {invite.isSuccess && (
          <Alert tone="success" title="Invitation sent">
            We emailed {invite.data.email} a link to join as {roleText(invite.data, locations)}. The link works until {fmt.dateTime(invite.data.expires_at)}.
          </Alert>
        )}
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          <TextField
            label="Email"
            type="email"
            name="email"
            autoComplete="off"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            error={fieldErrors.email}
          />
          <SelectField label="Role" name="role" value={role} onChange={(e) => setRole(e.target.value as Role)} error={fieldErrors.role}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {roleNames[r]}
              </option>
            ))}
          </SelectField>
          {scoped && (
            <SelectField
              label="Location"
              name="location"
              value={locationId}
              onChange={(e) => setChosenLocation(e.target.value)}
              error={fieldErrors.location}
              hint={`A ${roleNames[role as Role].toLowerCase()} works at one location.`}
            >
              {places.length === 0 && <option value="">No location available</option>}
              {places.map((l) => (
                <option key={l.id} value={l.id}>
                  {l.name}
                </option>
              ))}
            </SelectField>
          )}
        </div>
        <div>
          <Button type="submit" busy={invite.isPending}>
            Send the invitation
          </Button>
        </div>
      </Form>
    </Card>
  );
}

function InvitationList() {
  const { locations, loaded } = useCurrentLocation();
  const fmt = useFormat();
  const invitations = useQuery({ queryKey: ['invitations'], queryFn: async () => ({ items: await getAll<Invitation>('/invitations') }) });
  // "Expired" as of when the list was fetched: rendering stays pure, and a refetch brings it up to date.
  const asOf = invitations.dataUpdatedAt;
  return (
    <Card title="Invitations">
      <QueryView query={invitations} loading="Loading the invitations…">
        {({ items }) =>
          !loaded ? (
            <Loading label="Loading the locations…" />
          ) : items.length === 0 ? (
            <EmptyState>No invitations sent yet.</EmptyState>
          ) : (
            <Table caption="Invitations" head={['Email', 'Role', 'Sent', 'Expires', 'Accepted']}>
              {items.map((inv) => (
                <tr key={inv.id}>
                  <Td className="whitespace-nowrap">{inv.email}</Td>
                  <Td>{roleText(inv, locations)}</Td>
                  <Td className="whitespace-nowrap">{fmt.dateTime(inv.created_at)}</Td>
                  <Td className="whitespace-nowrap">{fmt.dateTime(inv.expires_at)}</Td>
                  <Td className="whitespace-nowrap">
                    {inv.accepted_at ? (
                      fmt.dateTime(inv.accepted_at)
                    ) : new Date(inv.expires_at).getTime() < asOf ? (
                      <Badge tone="bad">Expired</Badge>
                    ) : (
                      <Badge tone="warn">Not yet</Badge>
                    )}
                  </Td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryView>
    </Card>
  );
}
