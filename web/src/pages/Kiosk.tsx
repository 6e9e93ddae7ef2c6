import { useCallback, useEffect, useId, useRef, useState, type MouseEvent } from 'react';
import { Link } from 'react-router';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api';
import { MyActivity } from './Activity';
import { can, useBusiness, useSession, useSessionChanged, type Session } from '../lib/session';
import { Alert, Button, EmptyState, ErrorState, Form, Loading, QueryView, TextField, errorMessage } from '../ui';
import { PublicFrame } from './PublicFrame';
import { kioskActions } from './kiosk-actions';
import { KIOSK_IDLE_SECONDS, KioskIdleWarning, useSignedInKiosk } from './KioskScreen';
import { useIdleCountdown } from '../lib/idle';

/**
 * The shared tablet at a location. The browser holds a kiosk's device token (not a person's password); with it the
 * tablet lists who may sign in here, and a person signs in with their PIN for a short session that ends by itself
 * when nobody touches the screen, so the next person never finds the last one still signed in.
 */

const PIN_MIN = 4;
const PIN_MAX = 6;

/** Where this browser keeps its kiosk device token, per business. */
export const kioskTokenKey = (slug: string) => `brigade.kiosk.${slug}`;

export function storeKioskToken(slug: string, token: string): void {
  localStorage.setItem(kioskTokenKey(slug), token);
}

function readKioskToken(slug: string): string | null {
  try {
    return localStorage.getItem(kioskTokenKey(slug));
  } catch {
    return null;
  }
}

function forgetKioskToken(slug: string): void {
  try {
    localStorage.removeItem(kioskTokenKey(slug));
  } catch {
    // storage unavailable: there is nothing kept to forget
  }
}

const looksLikeKioskToken = (s: string) => /^bk_\S+$/.test(s);

/** The token from a set-up link (`/kiosk#setup=TOKEN`), if the page was opened with one. */
function setupTokenInAddress(): string | null {
  const m = /^#setup=(.+)$/.exec(window.location.hash);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!).trim();
  } catch {
    return m[1]!.trim();
  }
}

interface Person {
  id: string;
  name: string;
}

type Notice = 'revoked' | 'rejected' | 'other_business' | 'malformed_link';

interface Device {
  token: string | null;
  /** Entered in this visit and not yet accepted by the server: a refusal means a bad token, not a revoked kiosk. */
  fresh: boolean;
  notice: Notice | null;
}

export function KioskPage() {
  // The app shows its routes only once the business is known.
  const slug = useBusiness().data!.slug;
  const session = useSession();
  const [device, setDevice] = useState<Device>(() => {
    const fromLink = setupTokenInAddress();
    if (fromLink && looksLikeKioskToken(fromLink)) {
      storeKioskToken(slug, fromLink);
      return { token: fromLink, fresh: true, notice: null };
    }
    return { token: readKioskToken(slug), fresh: false, notice: fromLink ? 'malformed_link' : null };
  });

  // The token is a secret: once kept, take it out of the address bar and the browser history.
  useEffect(() => {
    if (window.location.hash.startsWith('#setup=')) {
      window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
    }
  }, []);

  const adoptToken = (token: string) => {
    storeKioskToken(slug, token);
    setDevice({ token, fresh: true, notice: null });
  };
  const accepted = useCallback(() => setDevice((d) => (d.fresh ? { ...d, fresh: false } : d)), []);
  const refused = useCallback(
    (err: ApiError) => {
      forgetKioskToken(slug);
      setDevice((d) => ({
        token: null,
        fresh: false,
        notice: err.code === 'credential_not_for_this_tenant' ? 'other_business' : d.fresh ? 'rejected' : 'revoked',
      }));
    },
    [slug],
  );

  if (session.isPending) {
    return (
      <PublicFrame title="Kiosk" wide>
        <Loading />
      </PublicFrame>
    );
  }
  if (session.isError) {
    return (
      <PublicFrame title="Kiosk" wide>
        <ErrorState error={session.error} retry={() => void session.refetch()} />
      </PublicFrame>
    );
  }
  if (session.data?.kind === 'pin_session') {
    return <SignedIn session={session.data} />;
  }
  if (!device.token) return <SetUp notice={device.notice} onToken={adoptToken} />;
  return (
    <PinPad
      key={device.token}
      token={device.token}
      onAccepted={accepted}
      onRefused={refused}
      passwordSession={session.data?.kind === 'session' ? session.data : null}
    />
  );
}

// ------------------------------------------------------------------ set-up

const notices: Record<Notice, { title: string; text: string }> = {
  revoked: { title: 'This kiosk was revoked', text: 'This kiosk was revoked; ask a manager to register it again.' },
  rejected: {
    title: 'That device token was not accepted',
    text: 'Check that it was copied whole. A token stops working when its kiosk is revoked; a manager can register the kiosk again.',
  },
  other_business: { title: 'That token belongs to another business', text: "Use a device token registered on this business's Kiosks page." },
  malformed_link: { title: 'That set-up link is not complete', text: 'A device token starts with bk_. Copy the whole set-up link again, or paste the token below.' },
};

function SetUp({ notice, onToken }: { notice: Notice | null; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const shown = notice ? notices[notice] : null;
  return (
    <PublicFrame title="This browser is not a registered kiosk" wide>
      <div className="flex flex-col gap-6">
        {shown && (
          <Alert tone={notice === 'revoked' ? 'warning' : 'error'} title={shown.title}>
            {shown.text}
          </Alert>
        )}
        <p className="text-stone-700">
          A kiosk is a shared tablet at a location where staff sign in with their PIN. A manager registers it once; after that this browser
          remembers it.
        </p>
        <Form
          onSubmit={() => {
            const t = token.trim();
            if (!looksLikeKioskToken(t)) {
              setError('A device token starts with bk_. Paste the whole token shown when the kiosk was registered.');
              return;
            }
            onToken(t);
          }}
        >
          <TextField
            label="Device token"
            name="device-token"
            autoComplete="off"
            spellCheck={false}
            className="font-mono"
            value={token}
            onChange={(e) => {
              setToken(e.target.value);
              setError(undefined);
            }}
            error={error}
            hint="Shown once to the manager who registered this kiosk. It starts with bk_."
          />
          <Button type="submit" size="lg">
            Use this device token
          </Button>
        </Form>
        <p className="text-stone-700">
          Managers:{' '}
          <Link className="text-brand underline" to="/kiosks">
            register this tablet as a kiosk
          </Link>{' '}
          (sign in with your password first), then choose “Use this browser as this kiosk”.
        </p>
      </div>
    </PublicFrame>
  );
}

// ------------------------------------------------------------------ PIN pad

function PinPad({
  token,
  onAccepted,
  onRefused,
  passwordSession,
}: {
  token: string;
  onAccepted: () => void;
  onRefused: (err: ApiError) => void;
  passwordSession: Session | null;
}) {
  const staff = useQuery({
    queryKey: ['kiosk', 'staff', token],
    queryFn: () => api.get<{ items: Person[] }>('/kiosk/staff', { bearer: token }),
    retry: false,
  });
  const [person, setPerson] = useState<Person | null>(null);

  useEffect(() => {
    if (staff.error instanceof ApiError && staff.error.status === 401) onRefused(staff.error);
    else if (staff.isSuccess) onAccepted();
  }, [staff.error, staff.isSuccess, onAccepted, onRefused]);

  // Someone who chose their name and walked away: the next person starts from the list of names.
  useIdleCountdown(KIOSK_IDLE_SECONDS, () => setPerson(null), person !== null);

  return (
    <PublicFrame title={person ? 'Enter your PIN' : 'Who is signing in?'} wide>
      <div className="flex flex-col gap-6">
        {passwordSession && <PasswordSessionNotice session={passwordSession} />}
        {person ? (
          <PinEntry person={person} token={token} onBack={() => setPerson(null)} onRefused={onRefused} />
        ) : (
          <QueryView query={staff} loading="Loading the people who sign in here…">
            {(data) =>
              data.items.length === 0 ? (
                <EmptyState>Nobody at this location has a PIN yet. Each person sets their PIN under “My account” after signing in with their password.</EmptyState>
              ) : (
                <ul className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3" aria-label="People who sign in here">
                  {data.items.map((p) => (
                    <li key={p.id}>
                      <Button tone="secondary" size="lg" className="min-h-20 w-full text-xl!" onClick={() => setPerson(p)}>
                        {p.name}
                      </Button>
                    </li>
                  ))}
                </ul>
              )
            }
          </QueryView>
        )}
      </div>
    </PublicFrame>
  );
}

/** A manager left signed in with a password on the tablet: a PIN sign-in here would replace it, say so. */
function PasswordSessionNotice({ session }: { session: Session }) {
  const changed = useSessionChanged();
  const signOut = useMutation({
    mutationFn: () => api.post('/auth/sign-out'),
    onSuccess: () => changed(null),
  });
  return (
    <Alert tone="info" title={`${session.user.name} is signed in with a password in this browser`}>
      <p>A shared tablet should not stay signed in as one person. Sign out before leaving it as a kiosk.</p>
      <Button tone="secondary" className="mt-2" busy={signOut.isPending} onClick={() => signOut.mutate()}>
        Sign out {session.user.name}
      </Button>
      {signOut.isError && <p className="mt-2">{errorMessage(signOut.error)}</p>}
    </Alert>
  );
}

function refusal(err: unknown, person: Person): { title: string; text: string; more?: string } {
  if (!(err instanceof ApiError)) return { title: 'Sign-in failed', text: errorMessage(err) };
  if (err.code === 'invalid_pin') return { title: 'Wrong PIN', text: err.message };
  if (err.status === 423) {
    return {
      title: 'This PIN is locked',
      text: err.message,
      more: `Nobody can sign in as ${person.name} with a PIN on any kiosk until then. A manager can help, or sign in with your email and password.`,
    };
  }
  if (err.status === 429) return { title: 'Too many attempts on this kiosk', text: err.message };
  return { title: 'Sign-in failed', text: err.message };
}

function PinEntry({ person, token, onBack, onRefused }: { person: Person; token: string; onBack: () => void; onRefused: (err: ApiError) => void }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [pin, setPin] = useState('');
  const changed = useSessionChanged();
  const signIn = useMutation({
    mutationFn: (entered: string) => api.post<{ csrf_token: string }>('/auth/pin-sign-in', { user_id: person.id, pin: entered }, { bearer: token }),
    onSuccess: (r) => changed(r.csrf_token),
    onError: (err) => {
      setPin('');
      if (err instanceof ApiError && err.status === 401) onRefused(err);
    },
  });

  const press = (digit: string) => setPin((p) => (p.length < PIN_MAX ? p + digit : p));
  const backspace = () => setPin((p) => p.slice(0, -1));
  const submit = () => {
    if (pin.length >= PIN_MIN && !signIn.isPending) signIn.mutate(pin);
  };

  // Digits, Backspace and Enter from a keyboard work wherever the focus is (the PIN field handles its own keys;
  // a focused button keeps Enter and Space for itself).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target === input.current || e.ctrlKey || e.metaKey || e.altKey) return;
      const onControl = e.target instanceof HTMLButtonElement || e.target instanceof HTMLAnchorElement || e.target instanceof HTMLInputElement;
      if (/^[0-9]$/.test(e.key)) press(e.key);
      else if (e.key === 'Backspace') backspace();
      else if (e.key === 'Enter' && !onControl) submit();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const shown = signIn.isError ? refusal(signIn.error, person) : null;
  // Pad buttons leave the focus in the PIN field, so a keyboard's Enter still signs in after a tap on a digit.
  const keepFocus = (e: MouseEvent) => e.preventDefault();

  return (
    <div className="flex flex-col gap-5">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="text-xl font-semibold">{person.name}</p>
        <Button tone="ghost" size="lg" onClick={onBack}>
          Not you? Choose your name
        </Button>
      </div>
      {shown && (
        <Alert tone="error" title={shown.title}>
          <p>{shown.text}</p>
          {shown.more && <p className="mt-1">{shown.more}</p>}
        </Alert>
      )}
      <form
        noValidate
        className="mx-auto flex w-full max-w-sm flex-col gap-4"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <div className="flex flex-col gap-1">
          <label htmlFor={id} className="text-sm font-medium text-stone-800">
            PIN for {person.name}
          </label>
          <input
            id={id}
            ref={input}
            type="password"
            // The on-screen pad is the keyboard; a tablet should not open its own over it.
            inputMode="none"
            autoComplete="off"
            autoFocus
            maxLength={PIN_MAX}
            aria-describedby={`${id}-hint`}
            value={pin}
            onChange={(e) => setPin(e.target.value.replace(/\D/g, '').slice(0, PIN_MAX))}
            className="w-full rounded-md border border-stone-300 bg-white px-3 py-3 text-center font-mono text-4xl tracking-[0.5em] shadow-sm"
          />
          <p id={`${id}-hint`} className="text-xs text-stone-600">
            {PIN_MIN} to {PIN_MAX} digits.
          </p>
        </div>
        <div className="grid grid-cols-3 gap-3" role="group" aria-label="PIN pad">
          {['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => (
            <Button key={d} tone="secondary" size="lg" className="h-16 text-3xl! sm:h-20" onMouseDown={keepFocus} onClick={() => press(d)}>
              {d}
            </Button>
          ))}
          <Button tone="secondary" size="lg" className="h-16 sm:h-20" onMouseDown={keepFocus} onClick={() => setPin('')}>
            Clear
          </Button>
          <Button tone="secondary" size="lg" className="h-16 text-3xl! sm:h-20" onMouseDown={keepFocus} onClick={() => press('0')}>
            0
          </Button>
          <Button tone="secondary" size="lg" className="h-16 text-3xl! sm:h-20" aria-label="Delete last digit" onMouseDown={keepFocus} onClick={backspace}>
            <span aria-hidden="true">⌫</span>
          </Button>
        </div>
        <Button type="submit" size="lg" className="h-16 text-2xl!" busy={signIn.isPending} disabled={pin.length < PIN_MIN}>
          Enter
        </Button>
      </form>
    </div>
  );
}

// ------------------------------------------------------------------ signed in

function SignedIn({ session }: { session: Session }) {
  // A PIN session sees only the kiosk's own location: its name and its clock.
  const { here, signOut, secondsLeft } = useSignedInKiosk();
  const actions = kioskActions.filter((a) => can(session, a.permission));

  return (
    <PublicFrame title={`Hello, ${session.user.name}`} wide>
      <div className="flex flex-col gap-8">
        {here && <p className="-mt-4 text-stone-600">{here.name}</p>}
        {signOut.isError && <Alert title="Signing out did not work">{errorMessage(signOut.error)}</Alert>}
        <section aria-labelledby="kiosk-actions" className="flex flex-col gap-3">
          <h2 id="kiosk-actions" className="text-lg font-semibold">
            Your kiosk actions
          </h2>
          {actions.length === 0 ? (
            <p className="text-stone-700">There is nothing to do on this kiosk yet beyond signing out. The time clock and the cash drawer will appear here.</p>
          ) : (
            <ul className="grid grid-cols-1 gap-3 sm:grid-cols-2">
              {actions.map((a) => (
                <li key={a.label}>
                  {a.to ? (
                    <Link to={a.to} className="flex min-h-20 flex-col justify-center rounded-md bg-brand px-5 py-3 text-xl font-medium text-brand-contrast hover:opacity-90">
                      {a.label}
                      {a.description && <span className="text-sm font-normal">{a.description}</span>}
                    </Link>
                  ) : (
                    <Button size="lg" className="min-h-20 w-full flex-col text-xl!" onClick={() => void a.onClick?.()}>
                      {a.label}
                      {a.description && <span className="text-sm font-normal">{a.description}</span>}
                    </Button>
                  )}
                </li>
              ))}
            </ul>
          )}
          <Button tone="danger" size="lg" className="min-h-16 w-full text-xl! sm:w-auto sm:self-start" busy={signOut.isPending} onClick={() => signOut.mutate()}>
            Sign out
          </Button>
        </section>
        <RecentActivity timeZone={here?.time_zone} />
      </div>
      <KioskIdleWarning secondsLeft={secondsLeft} name={session.user.name} />
    </PublicFrame>
  );
}

function RecentActivity({ timeZone }: { timeZone: string | undefined }) {
  return (
    <section aria-labelledby="recent-activity" className="flex flex-col gap-3">
      <h2 id="recent-activity" className="text-lg font-semibold">
        Your recent activity
      </h2>
      <MyActivity limit={10} timeZone={timeZone} />
    </section>
  );
}

