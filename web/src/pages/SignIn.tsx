import { useState } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api';
import { useBusiness, useSession, useSessionChanged } from '../lib/session';
import { Alert, Button, Form, TextField } from '../ui';
import { PublicFrame } from './PublicFrame';

/** Only paths inside the app: a `next` pointing elsewhere would make the sign-in page an open redirect. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function refusal(err: ApiError): { title: string; detail: string } {
  if (err.status === 429) return { title: 'Too many attempts', detail: err.message };
  if (err.status === 423) return { title: 'Account locked', detail: err.message };
  if (err.code === 'invalid_credentials') return { title: 'Wrong email or password', detail: err.message };
  if (err.code === 'tenant_suspended') return { title: 'Account suspended', detail: err.message };
  return { title: 'Sign-in failed', detail: err.message };
}

export function SignInPage() {
  const business = useBusiness().data;
  const session = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const changed = useSessionChanged();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const next = safeNext(params.get('next'));

  const signIn = useMutation({
    mutationFn: () => api.post<{ csrf_token: string }>('/auth/sign-in', { email, password }),
    onSuccess: async (r) => {
      await changed(r.csrf_token);
      navigate(next, { replace: true });
    },
  });

  if (session.data?.kind === 'session' && !signIn.isPending) return <Navigate to={next} replace />;
  const err = signIn.error instanceof ApiError ? signIn.error : null;
  const fieldErrors = err?.code === 'validation_failed';
  const shown = err && !fieldErrors ? refusal(err) : null;

  return (
    <PublicFrame title={`Sign in to ${business?.name ?? 'Brigade'}`}>
      <Form onSubmit={() => signIn.mutate()} error={signIn.isError && !err ? signIn.error : undefined}>
        {shown && <Alert title={shown.title}>{shown.detail}</Alert>}
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={fieldErrors ? err?.fieldError('email') : undefined}
        />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={fieldErrors ? err?.fieldError('password') : undefined}
        />
        <Button type="submit" size="lg" busy={signIn.isPending}>
          Sign in
        </Button>
      </Form>
      <p className="mt-6 flex flex-wrap justify-between gap-2 text-sm">
        <Link className="text-brand underline" to="/forgot-password">
          Forgot your password?
        </Link>
        <Link className="text-brand underline" to="/kiosk">
          Kiosk mode
        </Link>
      </p>
    </PublicFrame>
  );
}
