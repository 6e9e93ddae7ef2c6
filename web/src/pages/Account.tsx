import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, getAll } from '../lib/api';
import { useSession, useSessionChanged, type Session } from '../lib/session';
import { useFormat } from '../lib/format';
import { Alert, Badge, Button, Card, EmptyState, Form, PageHeader, QueryView, Table, Td, TextField } from '../ui';
import { NewPasswordFields, useNewPassword } from '../ui/NewPassword';
import { MyActivity } from './Activity';

interface SignedInSession {
  id: string;
  kind: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  current: boolean;
}

/** Field errors go beside their fields; anything else (rate limit, network) above the button. */
function split(err: unknown, fields: string[]) {
  const e = err instanceof ApiError ? err : null;
  const byField: Record<string, string | undefined> = {};
  for (const f of fields) byField[f] = e?.fieldError(f);
  const placed = fields.some((f) => byField[f]);
  return { byField, general: err && !placed ? err : undefined };
}

export function AccountPage() {
  const session = useSession().data as Session;
  return (
    <>
      <PageHeader title="My account" description={session.user.email} />
      <div className="grid gap-4 lg:grid-cols-2">
        <ProfileCard session={session} />
        <PasswordCard />
        <PinCard session={session} />
        <ActivityCard />
        <SessionsCard className="lg:col-span-2" />
      </div>
    </>
  );
}

function ProfileCard({ session }: { session: Session }) {
  const client = useQueryClient();
  const [name, setName] = useState(session.user.name);
  const save = useMutation({
    mutationFn: () => api.patch<{ id: string; email: string; name: string }>('/auth/profile', { name: name.trim() }),
    onSuccess: (r) => {
      setName(r.name);
      // The header shows the name from the session.
      return Promise.all([client.invalidateQueries({ queryKey: ['session'] }), client.invalidateQueries({ queryKey: ['account'] })]);
    },
  });
  const { byField, general } = split(save.error, ['name']);
  return (
    <Card title="Profile">
      <Form onSubmit={() => save.mutate()} error={general}>
        {save.isSuccess && <Alert tone="success">Your name was saved.</Alert>}
        <TextField
          label="Name"
          name="name"
          autoComplete="name"
          required
          maxLength={120}
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            save.reset();
          }}
          error={byField.name}
        />
        <TextField label="Email" type="email" value={session.user.email} readOnly hint="Ask an owner or admin to change the email you sign in with." />
        <div>
          <Button type="submit" busy={save.isPending}>
            Save name
          </Button>
        </div>
      </Form>
    </Card>
  );
}

function PasswordCard() {
  const client = useQueryClient();
  const [current, setCurrent] = useState('');
  const newPassword = useNewPassword();
  const next = newPassword.password;
  const change = useMutation({
    mutationFn: () => api.post<{ sessions_ended: number }>('/auth/password', { current_password: current, new_password: next }),
    onSuccess: () => {
      setCurrent('');
      newPassword.clear();
      return client.invalidateQueries({ queryKey: ['account'] });
    },
  });
  const { byField, general } = split(change.error, ['current_password', 'new_password']);
  const ended = change.data?.sessions_ended;
  return (
    <Card title="Password">
      <Form
        onSubmit={() => {
          if (!newPassword.confirm()) return;
          change.mutate();
        }}
        error={general}
      >
        {change.isSuccess && ended !== undefined && (
          <Alert tone="success" title="Password changed">
            {ended === 0 ? 'You were not signed in anywhere else.' : `${ended} other ${ended === 1 ? 'session was' : 'sessions were'} signed out.`}
          </Alert>
        )}
        <TextField
          label="Current password"
          type="password"
          name="current_password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={byField.current_password}
        />
        <NewPasswordFields
          state={newPassword}
          error={byField.new_password}
          hint="At least 8 characters; a few unrelated words make a strong one. Your other sessions will be signed out."
        />
        <div>
          <Button type="submit" busy={change.isPending}>
            Change password
          </Button>
        </div>
      </Form>
    </Card>
  );
}

function PinCard({ session }: { session: Session }) {
  const client = useQueryClient();
  const [current, setCurrent] = useState('');
  const [pin, setPin] = useState('');
  const [invalid, setInvalid] = useState(false);
  const save = useMutation({
    mutationFn: () => api.put<null>('/auth/pin', { current_password: current, pin }),
    onSuccess: () => {
      setCurrent('');
      setPin('');
      return Promise.all([client.invalidateQueries({ queryKey: ['session'] }), client.invalidateQueries({ queryKey: ['account'] })]);
    },
  });
  const { byField, general } = split(save.error, ['current_password', 'pin']);
  return (
    <Card title="Kiosk PIN">
      <p className="mb-4 text-sm text-stone-700">
        The PIN signs you in on the business's kiosks.{' '}
        <Badge tone={session.user.has_pin ? 'good' : 'neutral'}>{session.user.has_pin ? 'A PIN is set' : 'No PIN set'}</Badge>
      </p>
      <Form
        onSubmit={() => {
          const ok = /^[0-9]{4,6}$/.test(pin);
          setInvalid(!ok);
          if (ok) save.mutate();
        }}
        error={general}
      >
        {save.isSuccess && <Alert tone="success">Your new PIN is set.</Alert>}
        <TextField
          label="Current password"
          type="password"
          name="pin_current_password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={byField.current_password}
        />
        <TextField
          label="New PIN"
          type="password"
          name="pin"
          inputMode="numeric"
          autoComplete="off"
          pattern="[0-9]{4,6}"
          minLength={4}
          maxLength={6}
          required
          value={pin}
          onChange={(e) => {
            setPin(e.target.value);
            setInvalid(false);
          }}
          error={invalid ? 'The PIN must be 4 to 6 digits.' : byField.pin}
          hint="4 to 6 digits."
        />
        <div>
          <Button type="submit" busy={save.isPending}>
            {session.user.has_pin ? 'Change PIN' : 'Set PIN'}
          </Button>
        </div>
      </Form>
    </Card>
  );
}

const kindNames: Record<string, string> = { password: 'Password', pin: 'Kiosk PIN' };

function SessionsCard({ className }: { className?: string }) {
  const fmt = useFormat();
  const sessions = useQuery({ queryKey: ['account', 'sessions'], queryFn: async () => ({ items: await getAll<SignedInSession>('/auth/sessions') }) });
  return (
    <Card title="Active sessions" className={className}>
      <QueryView query={sessions} loading="Loading your sessions…">
        {(data) =>
          data.items.length === 0 ? (
            <EmptyState>No active sessions.</EmptyState>
          ) : (
            <Table caption="Signed-in devices" head={['Signed in with', 'Since', 'Last seen', 'Expires', 'IP address', 'Browser']}>
              {data.items.map((s) => (
                <tr key={s.id}>
                  <Td>
                    <span className="flex flex-wrap items-center gap-2">
                      {kindNames[s.kind] ?? s.kind}
                      {s.current && <Badge tone="good">This device</Badge>}
                    </span>
                  </Td>
                  <Td className="whitespace-nowrap">{fmt.dateTime(s.created_at)}</Td>
                  <Td className="whitespace-nowrap">{fmt.dateTime(s.last_seen_at)}</Td>
                  <Td className="whitespace-nowrap">{fmt.dateTime(s.expires_at)}</Td>
                  <Td>{s.ip ?? '—'}</Td>
                  <Td className="max-w-xs break-words text-stone-600">{s.user_agent ?? '—'}</Td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryView>
      <SignOutEverywhere />
    </Card>
  );
}

function SignOutEverywhere() {
  const changed = useSessionChanged();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const signOut = useMutation({
    mutationFn: () => api.post<{ sessions_ended: number }>('/auth/sign-out-everywhere'),
    onSuccess: async () => {
      await changed(null);
      navigate('/sign-in', { replace: true });
    },
  });
  return (
    <div className="mt-4 flex flex-col gap-3">
      {!confirming ? (
        <div>
          <Button tone="danger" onClick={() => setConfirming(true)}>
            Sign out everywhere
          </Button>
        </div>
      ) : (
        <Alert tone="warning" title="Sign out on every device?">
          <p>Every session listed here ends, this one included. You will need your password to sign in again.</p>
          <div className="mt-3 flex flex-wrap gap-2">
            <Button tone="danger" busy={signOut.isPending} onClick={() => signOut.mutate()} autoFocus>
              Yes, sign out everywhere
            </Button>
            <Button tone="secondary" onClick={() => setConfirming(false)} disabled={signOut.isPending}>
              Cancel
            </Button>
          </div>
        </Alert>
      )}
      {signOut.isError && <Alert>{signOut.error instanceof ApiError ? signOut.error.message : 'Signing out failed. Try again.'}</Alert>}
    </div>
  );
}

function ActivityCard() {
  return (
    <Card title="Recent activity">
      <MyActivity limit={15} />
    </Card>
  );
}
