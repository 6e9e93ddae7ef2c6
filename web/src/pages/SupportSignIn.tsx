import { useEffect, useRef, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, setCsrfToken } from '../lib/api';
import { useSessionChanged, type Session } from '../lib/session';
import { Alert, Loading } from '../ui';
import { PublicFrame } from './PublicFrame';

/**
 * Where Brigade's back office sends a support person: `/support#token=bsa_…`. The token rides in the fragment (the
 * browser never sends it to a server, nor keeps it in the address bar once read); exchanging it sets the support
 * session's cookie, and the business's pages open read-only with a banner saying who is looking in and until when.
 */

/** How the page is reached when a support session ends under the person (the owner withdrew access, time ran out). */
export interface SupportEnded {
  supportEnded: true;
}

function tokenFromFragment(): string | null {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash) return null;
  const token = new URLSearchParams(hash).get('token');
  return token?.trim() || null;
}

function refusal(err: unknown): { title: string; detail: string } {
  if (err instanceof ApiError) {
    if (err.status === 401) {
      return {
        title: 'This support link no longer works',
        detail: `${err.message} A support link works only while the business's owner allows support access and for the length of its session. Open a new support session in the back office.`,
      };
    }
    if (err.status === 429) return { title: 'Too many attempts', detail: err.message };
    if (err.code === 'tenant_suspended') return { title: 'Account suspended', detail: err.message };
    return { title: 'The support session could not be opened', detail: err.message };
  }
  return { title: 'The support session could not be opened', detail: 'Brigade cannot be reached. Check the connection and try again.' };
}

export function SupportSignInPage() {
  const client = useQueryClient();
  const navigate = useNavigate();
  const ended = (useLocation().state as SupportEnded | null)?.supportEnded === true;
  const [token] = useState(tokenFromFragment);
  const started = useRef(false);
  const changed = useSessionChanged();
  const forgotten = useRef(false);

  const signIn = useMutation({
    mutationFn: (t: string) => api.post<Session & { csrf_token?: string }>('/auth/support-sign-in', { token: t }),
    onSuccess: (r) => {
      // Whoever was signed in in this browser before: nothing of theirs stays in memory.
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== 'business' });
      const { csrf_token: csrf, ...session } = r;
      setCsrfToken(csrf ?? null);
      client.setQueryData(['session'], session);
      navigate('/', { replace: true });
    },
  });

  // Sent here because the support session ended under the page: nothing of the business stays in memory.
  useEffect(() => {
    if (!ended || forgotten.current) return;
    forgotten.current = true;
    void changed(null);
  }, [ended, changed]);

  useEffect(() => {
    if (!token || started.current) return;
    started.current = true;
    // Out of the address bar (and so out of the history and of anything copied from it) before anything else.
    window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
    signIn.mutate(token);
  }, [token, signIn]);

  if (ended && !token) {
    return (
      <PublicFrame title="The support session has ended">
        <p className="text-stone-700">
          The business's owner withdrew support access, or the session's time ran out. Nothing more can be seen from this browser. To look in again, open a
          new support session in the back office (the owner must allow support access).
        </p>
      </PublicFrame>
    );
  }
  if (!token) {
    return (
      <PublicFrame title="This support link is incomplete">
        <p className="text-stone-700">
          The link is missing its support token (it ends with <code>#token=bsa_…</code>). Copy the whole link from the back office into the address bar.
        </p>
        <p className="mt-6 text-sm">
          <Link className="text-brand underline" to="/sign-in">
            Sign in to the business instead
          </Link>
        </p>
      </PublicFrame>
    );
  }
  if (signIn.isError) {
    const shown = refusal(signIn.error);
    return (
      <PublicFrame title="Support session">
        <Alert title={shown.title}>{shown.detail}</Alert>
      </PublicFrame>
    );
  }
  return (
    <PublicFrame title="Support session">
      <Loading label="Opening the support session…" />
    </PublicFrame>
  );
}
