import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api';
import { useBusiness, useSessionChanged } from '../lib/session';
import { Alert, Button, Form, TextField } from '../ui';
import { NewPasswordFields, useNewPassword } from '../ui/NewPassword';
import { PublicFrame } from './PublicFrame';

interface Accepted {
  user_id: string;
  signed_in: boolean;
  csrf_token: string | null;
}

/** Field messages arrive as fragments ("must be at least 8 characters"); beside a field they read as a sentence. */
function sentence(message: string | undefined): string | undefined {
  return message ? message.charAt(0).toUpperCase() + message.slice(1) : undefined;
}

const linkClass = 'text-brand underline';

export function AcceptInvitationPage() {
  const business = useBusiness().data;
  const navigate = useNavigate();
  const changed = useSessionChanged();
  // The token rides in the fragment, which the browser never sends to a server.
  const [token] = useState(() => window.location.hash.slice(1));
  const [name, setName] = useState('');
  const newPassword = useNewPassword();
  const password = newPassword.password;
  const [nameMissing, setNameMissing] = useState(false);
  const businessName = business?.name ?? 'Brigade';

  const accept = useMutation({
    mutationFn: () => api.post<Accepted>('/auth/accept-invitation', { token, name: name.trim(), password }),
    onSuccess: async (r) => {
      if (!r.signed_in || !r.csrf_token) return;
      await changed(r.csrf_token);
      navigate('/', { replace: true });
    },
  });

  if (!token) {
    return (
      <PublicFrame title="This link is incomplete">
        <p className="text-stone-700">
          The invitation link is missing its code. Open the link from the email again; if your email app broke it across two lines, copy all of
          it into the address bar. If it still does not work, ask the person who invited you to send a new invitation.
        </p>
        <p className="mt-6 text-sm">
          <Link className={linkClass} to="/sign-in">
            Go to sign in
          </Link>
        </p>
      </PublicFrame>
    );
  }

  // An account that already existed keeps its password: the invitation only added a role to it.
  if (accept.isSuccess && !accept.data.signed_in) {
    return (
      <PublicFrame title="Invitation accepted">
        <Alert tone="success" title={`You are now part of ${businessName}`}>
          You already had an account here, so it keeps its password and the new role was added to it. Sign in with your existing password.
        </Alert>
        <p className="mt-6 text-sm">
          <Link className={linkClass} to="/sign-in">
            Sign in
          </Link>
        </p>
      </PublicFrame>
    );
  }

  const err = accept.error instanceof ApiError ? accept.error : null;
  const tokenError = err?.fieldError('token');
  const nameError = sentence(err?.fieldError('name'));
  const passwordError = sentence(err?.fieldError('password'));
  const limited = err?.status === 429;

  if (tokenError) {
    return (
      <PublicFrame title="This invitation cannot be used">
        <Alert title="The invitation link is not valid">
          {err?.code === 'invalid_token' ? err.message : 'This invitation link is not valid.'} Ask the person who invited you to send a new
          invitation.
        </Alert>
        <p className="mt-6 text-sm">
          <Link className={linkClass} to="/sign-in">
            Go to sign in
          </Link>
        </p>
      </PublicFrame>
    );
  }

  return (
    <PublicFrame title={`Join ${businessName}`}>
      <p className="mb-4 text-stone-700">You have been invited to {businessName} on Brigade. Tell us your name and choose a password.</p>
      <Form
        onSubmit={() => {
          const missing = name.trim() === '';
          setNameMissing(missing);
          const same = newPassword.confirm();
          if (missing || !same) return;
          accept.mutate();
        }}
        error={accept.isError && !nameError && !passwordError && !limited ? accept.error : undefined}
      >
        {limited && <Alert title="Too many attempts">{err.message}</Alert>}
        <TextField
          label="Your name"
          name="name"
          autoComplete="name"
          required
          maxLength={120}
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            setNameMissing(false);
          }}
          hint="As your colleagues know you; it appears on schedules and in the audit log."
          error={nameMissing ? 'Tell us your name.' : nameError}
        />
        <NewPasswordFields
          state={newPassword}
          label="Password"
          repeatLabel="Password again"
          hint="At least 8 characters. If you already have an account here, it keeps its current password."
          error={passwordError}
        />
        <Button type="submit" size="lg" busy={accept.isPending || (accept.isSuccess && accept.data.signed_in)}>
          Accept and sign in
        </Button>
      </Form>
    </PublicFrame>
  );
}
