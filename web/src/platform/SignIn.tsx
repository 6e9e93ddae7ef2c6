import { useState, type ReactNode } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api';
import { Alert, Button, Form, TextField } from '../ui';
import { useOperator, useOperatorChanged } from './session';

/*
 * The operator's sign-in: a password, then always a second factor. The first time, the page sets up an
 * authenticator app (its key as text and as an otpauth:// link) and, once a code from it checks out, shows the ten
 * recovery codes the one time they exist in clear. Afterwards it asks for the app's code, or a recovery code.
 */

interface Challenge {
  second_factor: 'enrol' | 'verify';
  challenge: string;
  expires_at: string;
}

interface Enrolment {
  secret: string;
  otpauth_url: string;
}

interface SignedIn {
  user_id: string;
  csrf_token: string;
  recovery_codes?: string[];
}

type Step =
  | { kind: 'password'; notice?: string }
  | { kind: 'enrol'; challenge: string; enrolment: Enrolment }
  | { kind: 'verify'; challenge: string }
  | { kind: 'codes'; codes: string[] };

/** Only back-office paths: a `next` pointing elsewhere would make this page an open redirect. */
function safeNext(next: string | null): string {
  return next && /^\/platform(?:[/?]|$)/.test(next) && !next.startsWith('/platform/sign-in') ? next : '/platform';
}

/** The challenge is spent, expired or worn out by wrong codes: only the password step can start a new one. */
const CHALLENGE_OVER = new Set(['sign_in_challenge_invalid', 'sign_in_challenge_exhausted', 'totp_already_enrolled', 'totp_enrolment_required']);

const titles: Record<Step['kind'], string> = {
  password: 'Sign in to the back office',
  enrol: 'Set up your authenticator',
  verify: 'Enter your code',
  codes: 'Save your recovery codes',
};

function Frame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="flex min-h-screen flex-col items-center bg-stone-100 px-4 py-10">
      <p className="mb-6 text-xl font-bold text-brand">Brigade back office</p>
      <main className="w-full max-w-md rounded-xl border border-stone-200 bg-white p-6 shadow-sm sm:p-8">
        <h1 className="mb-6 text-2xl font-semibold tracking-tight">{title}</h1>
        {children}
      </main>
    </div>
  );
}

export function PlatformSignInPage() {
  const operator = useOperator();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [step, setStep] = useState<Step>({ kind: 'password' });
  // Signed in already (a reload, a second tab): straight on, unless the recovery codes are still on screen.
  if (operator.data && step.kind !== 'codes') return <Navigate to={next} replace />;
  const restart = (notice: string) => setStep({ kind: 'password', notice });
  return (
    <Frame title={titles[step.kind]}>
      {step.kind === 'password' && <PasswordStep notice={step.notice} onChallenge={setStep} />}
      {step.kind === 'enrol' && <CodeStep challenge={step.challenge} enrolment={step.enrolment} next={next} onCodes={(codes) => setStep({ kind: 'codes', codes })} onRestart={restart} />}
      {step.kind === 'verify' && <CodeStep challenge={step.challenge} next={next} onCodes={(codes) => setStep({ kind: 'codes', codes })} onRestart={restart} />}
      {step.kind === 'codes' && <RecoveryCodes codes={step.codes} next={next} />}
    </Frame>
  );
}

function PasswordStep({ notice, onChallenge }: { notice?: string; onChallenge: (s: Step) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useMutation({
    mutationFn: async (): Promise<Step> => {
      const c = await api.post<Challenge>('/platform/auth/sign-in', { email: email.trim(), password });
      if (c.second_factor === 'verify') return { kind: 'verify', challenge: c.challenge };
      // The first sign-in: a new authenticator key comes with the same challenge.
      const enrolment = await api.post<Enrolment>('/platform/auth/totp/enrol', { challenge: c.challenge });
      return { kind: 'enrol', challenge: c.challenge, enrolment };
    },
    onSuccess: onChallenge,
  });
  const err = signIn.error instanceof ApiError ? signIn.error : null;
  const byField = err?.code === 'validation_failed';
  const title = err?.code === 'invalid_credentials' ? 'Wrong email or password' : err?.status === 423 ? 'Sign-in locked' : err?.status === 429 ? 'Too many attempts' : 'Sign-in failed';
  return (
    <Form onSubmit={() => signIn.mutate()}>
      {notice && !signIn.isError && <Alert tone="warning">{notice}</Alert>}
      {signIn.isError && !byField && <Alert title={title}>{err?.message ?? 'Something went wrong. Try again.'}</Alert>}
      <TextField label="Email" type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} error={byField ? err?.fieldError('email') : undefined} />
      <TextField
        label="Password"
        type="password"
        name="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={byField ? err?.fieldError('password') : undefined}
      />
      <Button type="submit" size="lg" busy={signIn.isPending}>
        Continue
      </Button>
    </Form>
  );
}

/** The second step: a code from the app (checking a new one on enrolment), or on later sign-ins a recovery code. */
function CodeStep({
  challenge,
  enrolment,
  next,
  onCodes,
  onRestart,
}: {
  challenge: string;
  enrolment?: Enrolment;
  next: string;
  onCodes: (codes: string[]) => void;
  onRestart: (notice: string) => void;
}) {
  const navigate = useNavigate();
  const changed = useOperatorChanged();
  const [useRecovery, setUseRecovery] = useState(false);
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState('');
  const verify = useMutation({
    mutationFn: () => api.post<SignedIn>('/platform/auth/totp/verify', useRecovery ? { challenge, recovery_code: recovery.trim() } : { challenge, code: code.replace(/\s+/g, '') }),
    onSuccess: async (r) => {
      // The codes go on screen before the session is known, or the page would move on without showing them.
      if (r.recovery_codes?.length) onCodes(r.recovery_codes);
      await changed(r.csrf_token);
      if (!r.recovery_codes?.length) navigate(next, { replace: true });
    },
    onError: (err) => {
      if (err instanceof ApiError && CHALLENGE_OVER.has(err.code)) onRestart(err.message);
    },
  });
  const err = verify.error instanceof ApiError ? verify.error : null;
  // The server's own sentence (it says how many tries are left) beside the field it is about.
  const codeError = err && !CHALLENGE_OVER.has(err.code) ? (err.code === 'validation_failed' ? err.fieldError(useRecovery ? 'recovery_code' : 'code') : err.message) : undefined;
  const general = verify.isError && !codeError && !(err && CHALLENGE_OVER.has(err.code)) ? verify.error : undefined;
  return (
    <Form onSubmit={() => verify.mutate()} error={general}>
      {enrolment && (
        <div className="flex flex-col gap-3 text-stone-800">
          <p>Add Brigade to an authenticator app on your phone (any app for time-based codes will do): open the link on the phone, or type the key into the app.</p>
          <div>
            <p className="text-sm font-medium">Key</p>
            <code className="block break-all rounded-md bg-stone-100 px-3 py-2 font-mono text-base tracking-wider" data-testid="totp-secret">
              {enrolment.secret}
            </code>
          </div>
          <div>
            <p className="text-sm font-medium">Link</p>
            <a href={enrolment.otpauth_url} className="block break-all text-sm text-brand underline" data-testid="totp-link">
              {enrolment.otpauth_url}
            </a>
          </div>
          <p>Then enter the 6-digit code the app shows.</p>
        </div>
      )}
      {useRecovery ? (
        <TextField
          label="Recovery code"
          name="recovery-code"
          autoComplete="off"
          spellCheck={false}
          required
          value={recovery}
          onChange={(e) => setRecovery(e.target.value)}
          error={codeError}
          hint="One of the ten codes you saved when you set up the authenticator. Each works once."
        />
      ) : (
        <TextField
          label="Code from the app"
          name="one-time-code"
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={7}
          required
          value={code}
          onChange={(e) => setCode(e.target.value)}
          error={codeError}
        />
      )}
      <Button type="submit" size="lg" busy={verify.isPending}>
        {enrolment ? 'Verify and sign in' : 'Sign in'}
      </Button>
      {!enrolment && (
        <Button
          tone="ghost"
          onClick={() => {
            setUseRecovery((u) => !u);
            verify.reset();
          }}
        >
          {useRecovery ? 'Use the code from the app' : 'Use a recovery code'}
        </Button>
      )}
    </Form>
  );
}

function RecoveryCodes({ codes, next }: { codes: string[]; next: string }) {
  const navigate = useNavigate();
  return (
    <div className="flex flex-col gap-4">
      <Alert tone="warning" title="Shown only this once">
        Keep these codes somewhere safe, away from your phone. If you lose the phone, each code signs you in once instead of the app's code.
      </Alert>
      <ol aria-label="Recovery codes" className="grid grid-cols-2 gap-2 font-mono text-base" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c} className="rounded-md bg-stone-100 px-3 py-2 text-center">
            {c}
          </li>
        ))}
      </ol>
      <Button size="lg" onClick={() => navigate(next, { replace: true })}>
        I have saved them, continue
      </Button>
    </div>
  );
}
