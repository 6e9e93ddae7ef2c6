import { useQuery } from '@tanstack/react-query';
import { api } from '../lib/api';
import { useFormat } from '../lib/format';
import { useCurrentLocation } from '../lib/session';
import { Badge, EmptyState, QueryView } from '../ui';

interface ActivityItem {
  at: string;
  action: string;
  resource_type: string;
  resource_id: string | null;
  location_id: string | null;
  risk: 'low' | 'medium' | 'high' | 'critical';
}

const actionWords: Record<string, string> = {
  'auth.pin_signed_in': 'Signed in with your PIN on a kiosk',
  'auth.signed_in': 'Signed in with your password',
  'auth.signed_out': 'Signed out',
  'auth.signed_out_everywhere': 'Signed out on every device',
  'auth.sign_in_failed': 'A sign-in with a wrong password',
  'auth.pin_sign_in_failed': 'A wrong PIN was entered',
  'auth.pin_locked': 'Your PIN was locked after too many wrong tries',
  'auth.pin_sign_in_refused': 'A PIN sign-in was refused while your PIN was locked',
  'auth.pin_changed': 'Changed your PIN',
  'auth.password_changed': 'Changed your password',
  'auth.password_reset': 'Chose a new password with a reset link',
  'auth.password_reset_requested': 'Asked for a password reset link',
  'identity.invitation_accepted': 'Accepted an invitation',
  'identity.invitation_sent': 'Invited someone',
  'identity.kiosk_registered': 'Registered a kiosk',
  'identity.kiosk_revoked': 'Revoked a kiosk',
  'location.created': 'Added a location',
  'location.updated': 'Changed a location',
};

/** Words for an audit action; one no module has named yet reads as its own last part ("clocked_in" → "Clocked in"). */
export function describeAction(action: string): string {
  const known = actionWords[action];
  if (known) return known;
  const last = (action.split('.').pop() ?? action).replace(/_/g, ' ');
  return last.charAt(0).toUpperCase() + last.slice(1);
}

const riskTone = { low: 'neutral', medium: 'warn', high: 'bad', critical: 'bad' } as const;

/**
 * What the signed-in person did lately (GET /auth/activity), in words, with the action's own name beside them for
 * whoever compares it with the audit log. Shown on My account and on the kiosk.
 */
export function MyActivity({ limit, timeZone }: { limit: number; timeZone?: string }) {
  const fmt = useFormat(timeZone);
  const { locations } = useCurrentLocation();
  const activity = useQuery({ queryKey: ['account', 'activity', limit], queryFn: () => api.get<{ items: ActivityItem[] }>(`/auth/activity?limit=${limit}`) });
  return (
    <QueryView query={activity} loading="Loading your recent activity…">
      {(data) =>
        data.items.length === 0 ? (
          <EmptyState>Nothing recorded for you yet.</EmptyState>
        ) : (
          <ul className="divide-y divide-stone-100 rounded-lg border border-stone-200 text-sm" aria-label="Your recent activity">
            {data.items.map((item, i) => {
              const where = item.location_id ? locations.find((l) => l.id === item.location_id)?.name : undefined;
              return (
                <li key={`${item.at}-${i}`} className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1 px-4 py-3">
                  <span className="flex flex-wrap items-baseline gap-2">
                    <span className="text-base">{describeAction(item.action)}</span>
                    {item.risk !== 'low' && <Badge tone={riskTone[item.risk]}>{item.risk}</Badge>}
                    <span className="font-mono text-xs text-stone-600">
                      {item.action}
                      {where ? ` · ${where}` : ''}
                    </span>
                  </span>
                  <time dateTime={item.at} className="whitespace-nowrap text-stone-600">
                    {fmt.dateTime(item.at)}
                  </time>
                </li>
              );
            })}
          </ul>
        )
      }
    </QueryView>
  );
}
