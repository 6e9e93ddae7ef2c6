import { useEffect, useState, type ReactNode } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api';
import { timeZoneChoices } from '../lib/time-zones';
import { Alert, Button, Form, SelectField, TextField } from '../ui';
import { NewPasswordFields, useNewPassword } from '../ui/NewPassword';

/** The kinds of business a new one can start as (the server's templates). */
const TEMPLATES = [
  { code: 'restaurant', label: 'Restaurant', gives: 'a waitlist queue for the dining room and a register' },
  { code: 'cafe', label: 'Café', gives: 'a counter register (no waitlist)' },
  { code: 'bar', label: 'Bar', gives: 'a waitlist for tables and a bar till' },
  { code: 'hotel_restaurant', label: 'Hotel restaurant', gives: 'a restaurant waitlist and a register' },
  { code: 'retail', label: 'Retail', gives: 'a store line and a checkout register' },
] as const;

const linkClass = 'text-brand underline';

/** Brigade's own address: no business yet, so the frame names Brigade. */
function Frame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="flex min-h-screen flex-col items-center bg-stone-100 px-4 py-10">
      <p className="mb-6 text-xl font-bold text-brand">Brigade</p>
      <main className="w-full max-w-md rounded-xl border border-stone-200 bg-white p-6 shadow-sm sm:p-8">
        <h1 className="mb-6 text-2xl font-semibold tracking-tight">{title}</h1>
        {children}
      </main>
    </div>
  );
}

const sentence = (m: string | undefined) => (m ? m.charAt(0).toUpperCase() + m.slice(1) : undefined);

/** A name becomes an address: "Corner Bar" → corner-bar. */
function slugOf(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
}

export function SignUpApp() {
  useEffect(() => {
    document.title = 'Sign up · Brigade';
  }, []);
  return window.location.pathname.startsWith('/sign-up/verify') ? <VerifyPage /> : <StartPage />;
}

function StartPage() {
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugTouched, setSlugTouched] = useState(false);
  const [email, setEmail] = useState('');
  const [template, setTemplate] = useState<string>('restaurant');
  const [timeZone, setTimeZone] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const address = slugTouched ? slug : slugOf(name);

  const availability = useQuery({
    queryKey: ['sign-up', 'slug', address],
    queryFn: () => api.get<{ slug: string; available: boolean }>(`/sign-up/slug-availability?slug=${encodeURIComponent(address)}`),
    enabled: /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/.test(address),
    retry: false,
  });
  const start = useMutation({
    mutationFn: () => api.post<{ email: string }>('/sign-up', { business_name: name.trim(), slug: address, email: email.trim(), template, time_zone: timeZone }),
  });

  if (start.isSuccess) {
    return (
      <Frame title="Check your email">
        <Alert tone="success" title="One more step">
          We sent a link to <strong>{start.data.email}</strong>. Open it to confirm the address and choose your password; {name.trim()} opens right after.
        </Alert>
        <p className="mt-4 text-sm text-stone-600">The link works for 24 hours.</p>
      </Frame>
    );
  }
  const err = start.error instanceof ApiError ? start.error : null;
  const host = window.location.host;
  return (
    <Frame title="Open your business on Brigade">
      <p className="mb-4 text-sm text-stone-600">Free for 14 days. No card needed.</p>
      <Form onSubmit={() => start.mutate()} error={err && !err.errors.length ? err : undefined}>
        <TextField label="Business name" value={name} onChange={(e) => setName(e.target.value)} required autoComplete="organization" error={sentence(err?.fieldError('business_name'))} />
        <TextField
          label="Address"
          value={address}
          onChange={(e) => {
            setSlugTouched(true);
            setSlug(e.target.value.toLowerCase());
          }}
          required
          hint={address ? `${address}.${host}` : 'Lower-case letters, digits and dashes'}
          error={
            sentence(err?.fieldError('slug')) ??
            (availability.data && !availability.data.available ? `${address} is taken. Try another.` : undefined)
          }
        />
        {availability.data?.available ? <p className="-mt-2 text-sm text-green-800" role="status">{`${address} is free.`}</p> : null}
        <TextField label="Your email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="email" error={sentence(err?.fieldError('email'))} />
        <SelectField label="Kind of business" value={template} onChange={(e) => setTemplate(e.target.value)} hint={`Starts with ${TEMPLATES.find((t) => t.code === template)?.gives}.`}>
          {TEMPLATES.map((t) => (
            <option key={t.code} value={t.code}>
              {t.label}
            </option>
          ))}
        </SelectField>
        <SelectField label="Time zone" value={timeZone} onChange={(e) => setTimeZone(e.target.value)} error={sentence(err?.fieldError('time_zone'))}>
          {timeZoneChoices(timeZone).map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </SelectField>
        <Button type="submit" busy={start.isPending}>
          Send me the link
        </Button>
      </Form>
    </Frame>
  );
}

interface Opened {
  slug: string;
  sign_in_url: string;
  starter_data: string[];
}

function VerifyPage() {
  // The token rides in the fragment, which the browser never sends to a server.
  const [token] = useState(() => window.location.hash.slice(1));
  const [name, setName] = useState('');
  const newPassword = useNewPassword();
  const verify = useMutation({
    mutationFn: () => api.post<Opened>('/sign-up/verify', { token, name: name.trim(), password: newPassword.password }),
  });

  if (verify.isSuccess) {
    return (
      <Frame title="Your business is open">
        <Alert tone="success" title="Welcome to Brigade">
          Your business lives at <strong>{new URL(verify.data.sign_in_url).host}</strong>. It starts with{' '}
          {verify.data.starter_data.length ? verify.data.starter_data.join(' and ') : 'its first location'} set up.
        </Alert>
        <p className="mt-6">
          <a className={linkClass} href={verify.data.sign_in_url}>
            Sign in to your business
          </a>
        </p>
      </Frame>
    );
  }
  const err = verify.error instanceof ApiError ? verify.error : null;
  if (!token || err?.code === 'sign_up_link_invalid' || err?.code === 'slug_taken') {
    return (
      <Frame title="This link cannot be used">
        <Alert title="Sign up again">{err?.message ?? 'The link is missing its code. Open the link from the email again.'}</Alert>
        <p className="mt-6 text-sm">
          <a className={linkClass} href="/sign-up">
            Start again
          </a>
        </p>
      </Frame>
    );
  }
  return (
    <Frame title="Choose your password">
      <Form
        onSubmit={() => {
          if (newPassword.confirm()) verify.mutate();
        }}
        error={err && !err.errors.length ? err : undefined}
      >
        <TextField label="Your name" value={name} onChange={(e) => setName(e.target.value)} required autoComplete="name" error={sentence(err?.fieldError('name'))} />
        <NewPasswordFields state={newPassword} label="Password" repeatLabel="Password again" error={sentence(err?.fieldError('password'))} />
        <Button type="submit" busy={verify.isPending}>
          Open my business
        </Button>
      </Form>
    </Frame>
  );
}
