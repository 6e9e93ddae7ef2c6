import { useState } from 'react';
import { Link } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../lib/api';
import { useFormat } from '../lib/format';
import { can, useSession, type Session } from '../lib/session';
import { Alert, Badge, Button, Card, EmptyState, errorMessage, Form, PageHeader, ProblemAlert, QueryView, SelectField, Table, Td } from '../ui';

/**
 * The owner decides whether Brigade's support team may look into the business: read-only, for a while the owner
 * chooses, every session listed here with who opened it and why. Withdrawing ends every open session at once.
 */

interface SupportAccess {
  grant: { id: string; granted_by: string; expires_at: string; revoked_at: string | null; created_at: string } | null;
  sessions: SupportSession[];
}

interface SupportSession {
  id: string;
  operator_label: string;
  reason: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

const PERMISSION = 'tenant.support.grant';
const KEY = ['support-access'];

const DURATIONS = [
  [1, '1 hour'],
  [4, '4 hours'],
  [8, '8 hours'],
  [24, '1 day'],
  [72, '3 days'],
  [168, '1 week'],
] as const;

export function SupportAccessPage() {
  const session = useSession().data as Session;
  return (
    <>
      <PageHeader title="Support access" description="Let Brigade's support team look into the business to help you, for as long as you choose." />
      {can(session, PERMISSION) ? <SupportAccessView /> : <Alert title="Not available to you">Only an owner of the business decides whether Brigade support may look in.</Alert>}
    </>
  );
}

function SupportAccessView() {
  // Asked again every half minute while open, so a session support opens shows up without a reload.
  const access = useQuery({ queryKey: KEY, queryFn: () => api.get<SupportAccess>('/support-access'), refetchInterval: 30_000 });
  return (
    <div className="flex flex-col gap-6">
      <Card title="What support can do">
        <ul className="flex list-disc flex-col gap-2 pl-5 text-stone-700">
          <li>
            <strong>Only while you allow it.</strong> Nobody at Brigade can look in unless an owner allows it here, and only until the time you choose
            (at most a week). You can withdraw it at any moment: every open support session ends at once.
          </li>
          <li>
            <strong>Read-only.</strong> Support sees what an auditor sees — locations, people, cash days, the waitlist, the audit log — and cannot change,
            add or delete anything.
          </li>
          <li>
            <strong>Short sessions, each one on the record.</strong> A support session lasts at most an hour and never beyond your permission. Each one is
            listed below with the person who opened it and why, and in the <Link className="text-brand underline" to="/audit">audit log</Link>.
          </li>
        </ul>
      </Card>
      <QueryView query={access} loading="Loading support access…">
        {(a) => (
          <>
            <GrantCard access={a} />
            <Sessions sessions={a.sessions} grant={a.grant} asOf={access.dataUpdatedAt} />
          </>
        )}
      </QueryView>
    </div>
  );
}

function GrantCard({ access }: { access: SupportAccess }) {
  const client = useQueryClient();
  const fmt = useFormat();
  const [hours, setHours] = useState(24);
  const [done, setDone] = useState<string | null>(null);
  const grant = useMutation({
    mutationFn: () => api.put<SupportAccess>('/support-access', { hours }),
    onSuccess: (a) => {
      client.setQueryData(KEY, a);
      setDone(null);
    },
  });
  const withdraw = useMutation({
    mutationFn: () => api.delete<SupportAccess>('/support-access'),
    onSuccess: (a) => {
      client.setQueryData(KEY, a);
      setDone('Support access is withdrawn. Any support session that was open has ended.');
    },
  });
  const g = access.grant;
  return (
    <Card title="Permission">
      <div className="flex flex-col gap-4">
        {done ? (
          <Alert tone="success" title="Withdrawn">
            {done}
          </Alert>
        ) : null}
        {g ? (
          <div className="flex flex-col gap-2" data-testid="support-grant">
            <p className="flex flex-wrap items-center gap-2">
              <Badge tone="warn">Allowed</Badge>
              <span>
                Brigade support may look in, read-only, until <time dateTime={g.expires_at}>{fmt.dateTime(g.expires_at)}</time>.
              </span>
            </p>
            <p className="text-sm text-stone-600">
              Allowed <time dateTime={g.created_at}>{fmt.dateTime(g.created_at)}</time>.
            </p>
            <div>
              <Button tone="danger" busy={withdraw.isPending} onClick={() => withdraw.mutate()}>
                Withdraw support access
              </Button>
            </div>
            {withdraw.isError ? <Alert title="Support access was not withdrawn">{errorMessage(withdraw.error)}</Alert> : null}
          </div>
        ) : (
          <p className="flex flex-wrap items-center gap-2" data-testid="support-grant">
            <Badge>Not allowed</Badge>
            <span>Brigade support cannot look into the business.</span>
          </p>
        )}
        <Form onSubmit={() => grant.mutate()} className="border-t border-stone-200 pt-4">
          {grant.isError ? <ProblemAlert error={grant.error} title="Support access was not allowed" /> : null}
          <SelectField
            label={g ? 'Change how long support may look in, from now' : 'Allow support to look in for'}
            value={hours}
            onChange={(e) => setHours(Number(e.target.value))}
            hint={g ? 'The new time replaces the current permission: a support session open now ends, and support opens a new one if needed.' : undefined}
          >
            {DURATIONS.map(([h, label]) => (
              <option key={h} value={h}>
                {label}
              </option>
            ))}
          </SelectField>
          <div>
            <Button type="submit" busy={grant.isPending}>
              {g ? 'Change the time' : 'Allow support access'}
            </Button>
          </div>
        </Form>
      </div>
    </Card>
  );
}

type State = 'open' | 'ended' | 'expired';

/**
 * A session is open while it has time left and the permission it was opened under still holds. A new permission
 * replaces the one before, and the sessions opened under the old one stop working then (Brigade checks the
 * permission on every request), though their own record is not marked ended: they end when the new one began.
 */
function stateOf(s: SupportSession, grant: SupportAccess['grant'], now: number): { state: State; end: string } {
  if (s.revoked_at) return { state: 'ended', end: s.revoked_at };
  if (Date.parse(s.expires_at) <= now) return { state: 'expired', end: s.expires_at };
  if (grant && Date.parse(s.created_at) < Date.parse(grant.created_at)) return { state: 'ended', end: grant.created_at };
  return { state: 'open', end: s.expires_at };
}

const STATE_BADGE: Record<State, { tone: 'good' | 'warn' | 'neutral'; label: string }> = {
  open: { tone: 'warn', label: 'Open' },
  ended: { tone: 'neutral', label: 'Ended' },
  expired: { tone: 'neutral', label: 'Expired' },
};

/** `asOf`: when the list was fetched, which tells a session still open from one whose time ran out. */
function Sessions({ sessions, grant, asOf }: { sessions: SupportSession[]; grant: SupportAccess['grant']; asOf: number }) {
  const fmt = useFormat();
  return (
    <section aria-labelledby="support-sessions" className="flex flex-col gap-3">
      <h2 id="support-sessions" className="text-lg font-semibold">
        Support sessions
      </h2>
      {sessions.length === 0 ? (
        <EmptyState>Brigade support has not looked into the business.</EmptyState>
      ) : (
        <Table caption="Support sessions" head={['Support person', 'Reason', 'Opened', 'Until', 'State']}>
          {sessions.map((s) => {
            const { state, end } = stateOf(s, grant, asOf);
            return (
              <tr key={s.id} data-testid="support-session">
                <Td className="font-medium">{s.operator_label}</Td>
                <Td className="max-w-sm whitespace-pre-wrap break-words">{s.reason}</Td>
                <Td>
                  <time dateTime={s.created_at}>{fmt.dateTime(s.created_at)}</time>
                </Td>
                <Td>
                  <time dateTime={end}>{fmt.dateTime(end)}</time>
                </Td>
                <Td>
                  <Badge tone={STATE_BADGE[state].tone}>{STATE_BADGE[state].label}</Badge>
                </Td>
              </tr>
            );
          })}
        </Table>
      )}
    </section>
  );
}
