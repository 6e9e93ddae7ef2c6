import { useState } from 'react';
import { Link } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api';
import { useBusiness } from '../lib/session';
import { Alert, Button, Form, TextField } from '../ui';
import { NewPasswordFields, useNewPassword } from '../ui/NewPassword';
import { PublicFrame } from './PublicFrame';

/** Field messages arrive as fragments ("must be an email address"); beside a field they read as a sentence. */
function sentence(message: string | undefined): string | undefined {
  return message ? message.charAt(0).toUpperCase() + message.slice(1) : undefined;
}

const linkClass = 'text-brand underline';

export function ForgotPasswordPage() {
  const business = useBusiness().data;
  const [email, setEmail] = useState('');
  const request = useMutation({
    mutationFn: (address: string) => api.post<{ ok: true }>('/auth/password-reset', { email: address }),
  });

  if (request.isSuccess) {
    // The server answers the same whether or not the address is known, and so does this page.
    return (
      <PublicFrame title="Check your email">
        <Alert tone="success" title="If the address is known, a link is on its way">
          If {request.variables} belongs to someone at {business?.name ?? 'this business'}, we have sent it a link to choose a new password. The
          link works once and only for a short time. Nothing arrived? Look in the spam folder, or ask again in a few minutes.
        </Alert>
        <p className="mt-6 text-sm">
          <Link className={linkClass} to="/sign-in">
            Back to sign in
          </Link>
        </p>
      </PublicFrame>
    );
  }

  const err = request.error instanceof ApiError ? request.error : null;
  const emailError = err?.code === 'validation_failed' ? sentence(err.fieldError('email')) : undefined;
  const limited = err?.status === 429;

  return (
    <PublicFrame title="Forgot your password?">
      <p className="mb-4 text-stone-700">Give the email you sign in with and we will send you a link to choose a new password.</p>
      <Form onSubmit={() => request.mutate(email.trim())} error={request.isError && !limited && !emailError ? request.error : undefined}>
        {limited && <Alert title="Too many requests">{err.message}</Alert>}
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={emailError}
        />
        <Button type="submit" size="lg" busy={request.isPending}>
          Send the link
        </Button>
      </Form>
      <p className="mt-6 text-sm">
        <Link className={linkClass} to="/sign-in">
          Back to sign in
        </Link>
      </p>
    </PublicFrame>
  );
}

export function ResetPasswordPage() {
  // The token rides in the fragment, which the browser never sends to a server.
  const [token] = useState(() => window.location.hash.slice(1));
  const newPassword = useNewPassword();
  const password = newPassword.password;
  const confirm = useMutation({
    mutationFn: () => api.post<{ ok: true }>('/auth/password-reset/confirm', { token, password }),
  });

  if (!token) {
    return (
      <PublicFrame title="This link is incomplete">
        <p className="text-stone-700">
          The link to choose a new password is missing its code. Open the link from the email again; if your email app broke it across two
          lines, copy all of it into the address bar. Or ask for a new link.
        </p>
        <p className="mt-6 text-sm">
          <Link className={linkClass} to="/forgot-password">
            Ask for a new link
          </Link>
        </p>
      </PublicFrame>
    );
  }

  if (confirm.isSuccess) {
    return (
      <PublicFrame title="Your password is changed">
        <Alert tone="success" title="New password set">
          Every device that was signed in with the old password has been signed out.
        </Alert>
        <p className="mt-6 text-sm">
          <Link className={linkClass} to="/sign-in">
            Sign in with your new password
          </Link>
        </p>
      </PublicFrame>
    );
  }

  const err = confirm.error instanceof ApiError ? confirm.error : null;
  const tokenError = err?.fieldError('token');
  const passwordError = sentence(err?.fieldError('password'));
  const limited = err?.status === 429;
  const shownElsewhere = Boolean(tokenError || passwordError || limited);

  if (tokenError) {
    return (
      <PublicFrame title="This link cannot be used">
        <Alert title="The reset link is not valid">{err?.code === 'invalid_token' ? err.message : 'This reset link is not valid.'}</Alert>
        <p className="mt-6 text-sm">
          <Link className={linkClass} to="/forgot-password">
            Ask for a new link
          </Link>
        </p>
      </PublicFrame>
    );
  }

  return (
    <PublicFrame title="Choose a new password">
      <Form
        onSubmit={() => {
          if (newPassword.confirm()) confirm.mutate();
        }}
        error={confirm.isError && !shownElsewhere ? confirm.error : undefined}
      >
        {limited && <Alert title="Too many attempts">{err.message}</Alert>}
        <NewPasswordFields state={newPassword} error={passwordError} />
        <Button type="submit" size="lg" busy={confirm.isPending}>
          Set the new password
        </Button>
      </Form>
    </PublicFrame>
  );
}
