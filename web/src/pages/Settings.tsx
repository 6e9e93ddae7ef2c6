import { useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api';
import { useFormat } from '../lib/format';
import { can, useSession, type Role, type Session } from '../lib/session';
import { ROLES, roleNames } from '../lib/roles';
import { timeZoneChoices } from '../lib/time-zones';
import { Alert, Badge, Button, Card, CheckboxField, CopyField, errorMessage, Form, Modal, PageHeader, ProblemAlert, QueryView, SelectField, TextField } from '../ui';

interface Settings {
  name: string;
  time_zone: string;
  currency: string;
  locale: string;
  date_format: string;
  time_format: string;
  brand_color: string;
  logo_url: string | null;
  version: number;
}

const DATE_FORMATS = [
  ['locale', 'As the language writes it'],
  ['dmy', 'Day/month/year (21/11/2026)'],
  ['mdy', 'Month/day/year (11/21/2026)'],
  ['ymd', 'Year-month-day (2026-11-21)'],
] as const;
const TIME_FORMATS = [
  ['locale', 'As the language writes it'],
  ['24h', '24-hour (18:30)'],
  ['12h', '12-hour (6:30 PM)'],
] as const;

const sentence = (m: string | undefined) => (m ? m.charAt(0).toUpperCase() + m.slice(1) : undefined);

export function SettingsPage() {
  const session = useSession().data as Session;
  return (
    <>
      <PageHeader title="Settings" description="The business's name, time zone, money, formats and branding. The sign-in and guest pages show the colour and logo." />
      {can(session, 'tenant.settings.update') ? <SettingsView /> : <Alert title="Not available to you">Owners and admins change the business's settings.</Alert>}
    </>
  );
}

function SettingsView() {
  const session = useSession().data as Session;
  const settings = useQuery({ queryKey: ['settings'], queryFn: () => api.get<Settings>('/settings') });
  return (
    <QueryView query={settings} loading="Loading the settings…">
      {(s) => (
        <div className="flex flex-col gap-6">
          <SettingsForm current={s} />
          <LogoCard current={s} />
          <DomainCard />
          <RolesInUse session={session} />
        </div>
      )}
    </QueryView>
  );
}

/** Which roles the business works with: its template chose them; invitations offer only these. */
function RolesInUse({ session }: { session: Session }) {
  const client = useQueryClient();
  const [chosen, setChosen] = useState<Set<Role>>(() => new Set(session.tenant.roles_in_use));
  const save = useMutation({
    mutationFn: () => api.put<{ roles_in_use: Role[] }>('/settings/roles', { roles: ROLES.filter((r) => chosen.has(r)) }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['session'] }),
  });
  const toggle = (r: Role, on: boolean) => {
    save.reset();
    setChosen((prev) => {
      const next = new Set(prev);
      if (on) next.add(r);
      else next.delete(r);
      return next;
    });
  };
  return (
    <Card title="Roles this business uses">
      <Form onSubmit={() => save.mutate()} error={save.error}>
        <p className="text-sm text-stone-700">Invitations offer only these roles. Everyone keeps the roles they already have.</p>
        <fieldset className="grid gap-2 sm:grid-cols-2">
          <legend className="sr-only">In use at this business</legend>
          {ROLES.map((r) => (
            <CheckboxField
              key={r}
              label={roleNames[r]}
              checked={chosen.has(r)}
              disabled={r === 'owner'}
              hint={r === 'owner' ? 'Always in use.' : undefined}
              onChange={(e) => toggle(r, e.target.checked)}
            />
          ))}
        </fieldset>
        {save.isSuccess && <Alert tone="success">Saved: invitations now offer these roles.</Alert>}
        <div>
          <Button type="submit" busy={save.isPending}>
            Save roles
          </Button>
        </div>
      </Form>
    </Card>
  );
}

function SettingsForm({ current }: { current: Settings }) {
  const client = useQueryClient();
  const [form, setForm] = useState(current);
  const [saved, setSaved] = useState(false);
  const set = (k: keyof Settings, v: string) => {
    setSaved(false);
    setForm((f) => ({ ...f, [k]: v }));
  };
  const save = useMutation({
    mutationFn: () => {
      const { logo_url: _logo, ...body } = form;
      return api.put<Settings>('/settings', { ...body, name: body.name.trim() });
    },
    onSuccess: async (s) => {
      client.setQueryData(['settings'], s);
      setForm(s);
      setSaved(true);
      await client.invalidateQueries({ queryKey: ['business'] });
    },
    onError: async (err) => {
      // Someone else saved first: show what is stored now, to change again from there.
      if (err instanceof ApiError && err.code === 'stale_version') {
        await client.invalidateQueries({ queryKey: ['settings'] });
        const fresh = client.getQueryData<Settings>(['settings']);
        if (fresh) setForm(fresh);
      }
    },
  });
  const err = save.error instanceof ApiError ? save.error : null;
  return (
    <Card title="Business">
      <Form onSubmit={() => save.mutate()} error={err && !err.errors.length ? err : undefined}>
        {saved ? (
          <Alert tone="success" title="Saved">
            The settings are saved.
          </Alert>
        ) : null}
        <TextField label="Business name" value={form.name} onChange={(e) => set('name', e.target.value)} required error={sentence(err?.fieldError('name'))} />
        <SelectField label="Time zone" value={form.time_zone} onChange={(e) => set('time_zone', e.target.value)} error={sentence(err?.fieldError('time_zone'))}>
          {timeZoneChoices(form.time_zone).map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </SelectField>
        <TextField label="Currency" value={form.currency} onChange={(e) => set('currency', e.target.value.toUpperCase())} maxLength={3} hint="ISO 4217 code, e.g. USD, EUR, GBP" error={sentence(err?.fieldError('currency'))} />
        <TextField label="Language and region" value={form.locale} onChange={(e) => set('locale', e.target.value)} hint="e.g. en-US, en-GB, fr-FR" error={sentence(err?.fieldError('locale'))} />
        <SelectField label="Dates" value={form.date_format} onChange={(e) => set('date_format', e.target.value)}>
          {DATE_FORMATS.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </SelectField>
        <SelectField label="Times" value={form.time_format} onChange={(e) => set('time_format', e.target.value)}>
          {TIME_FORMATS.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </SelectField>
        <label className="flex flex-col gap-1 text-sm font-medium">
          Brand colour
          <span className="flex items-center gap-3">
            <input type="color" className="h-10 w-16 rounded border border-stone-300" value={form.brand_color} onChange={(e) => set('brand_color', e.target.value)} aria-describedby="brand-color-hint" />
            <span id="brand-color-hint" className="font-normal text-stone-600">
              {form.brand_color} — buttons, links and the sign-in page
            </span>
          </span>
        </label>
        <div>
          <Button type="submit" busy={save.isPending}>
            Save settings
          </Button>
        </div>
      </Form>
    </Card>
  );
}

function LogoCard({ current }: { current: Settings }) {
  const client = useQueryClient();
  const input = useRef<HTMLInputElement>(null);
  const [done, setDone] = useState<string | null>(null);
  const after = async (s: Settings, message: string) => {
    client.setQueryData(['settings'], s);
    await client.invalidateQueries({ queryKey: ['business'] });
    setDone(message);
    if (input.current) input.current.value = '';
  };
  const upload = useMutation({
    mutationFn: (file: File) => {
      setDone(null);
      return api.upload<Settings>('/settings/logo', file);
    },
    onSuccess: (s) => after(s, 'The new logo is saved.'),
  });
  const remove = useMutation({ mutationFn: () => api.delete<Settings>('/settings/logo'), onSuccess: (s) => after(s, 'The logo is removed.') });
  const error = upload.error ?? remove.error;
  return (
    <Card title="Logo">
      <div className="flex flex-col gap-4">
        {error ? <Alert title="The logo was not saved">{(error as Error).message}</Alert> : null}
        {done ? (
          <Alert tone="success" title="Done">
            {done}
          </Alert>
        ) : null}
        {current.logo_url ? (
          <img src={current.logo_url} alt="The business's logo" className="h-20 w-auto max-w-[16rem] object-contain" data-testid="settings-logo" />
        ) : (
          <p className="text-stone-600">No logo yet: the sign-in and guest pages show the name.</p>
        )}
        <label className="flex flex-col gap-1 text-sm font-medium">
          Upload a logo
          <input
            ref={input}
            type="file"
            accept="image/png,image/jpeg,image/webp"
            className="text-sm font-normal"
            aria-describedby="logo-hint"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) upload.mutate(file);
            }}
          />
          <span id="logo-hint" className="font-normal text-stone-600">
            PNG, JPEG or WebP, at most 512 KB. Custom branding is part of the professional and enterprise plans.
          </span>
        </label>
        {current.logo_url ? (
          <div>
            <Button tone="secondary" busy={remove.isPending} onClick={() => remove.mutate()}>
              Remove the logo
            </Button>
          </div>
        ) : null}
      </div>
    </Card>
  );
}

/** GET /settings/domain: the business's own domain once verified, and the one waiting for its token to be found. */
interface DomainState {
  domain: string | null;
  verified_at: string | null;
  pending: { domain: string; token: string; verify_url: string; instructions: string } | null;
}

/**
 * The business's own web address (www.harbourgrill.ie) instead of its Brigade address. The owner asks for a domain,
 * serves the token Brigade gives at the address shown, and asks Brigade to check; only then is the domain used.
 */
function DomainCard() {
  const domain = useQuery({ queryKey: ['settings', 'domain'], queryFn: () => api.get<DomainState>('/settings/domain') });
  return (
    <Card title="Custom domain">
      {/* Not in the business's plan: said once, with nothing to try again. */}
      {domain.error instanceof ApiError && domain.error.code === 'feature_disabled' ? (
        <ProblemAlert error={domain.error} />
      ) : (
        <QueryView query={domain} loading="Loading the custom domain…">
          {(d) => <DomainView state={d} />}
        </QueryView>
      )}
    </Card>
  );
}

function DomainView({ state }: { state: DomainState }) {
  const client = useQueryClient();
  const fmt = useFormat();
  const [removing, setRemoving] = useState(false);
  const stored = (d: DomainState) => client.setQueryData(['settings', 'domain'], d);
  const check = useMutation({ mutationFn: () => api.post<DomainState>('/settings/domain/verify'), onSuccess: stored });
  const remove = useMutation({
    mutationFn: () => api.delete<DomainState>('/settings/domain'),
    onSuccess: (d) => {
      check.reset();
      stored(d);
      setRemoving(false);
    },
  });
  const { pending } = state;
  return (
    <div className="flex flex-col gap-5">
      <p className="text-stone-700">
        Guests and staff can open the business at a web address of its own, such as www.harbourgrill.ie. The Brigade address keeps working either way.
      </p>
      {check.isSuccess && state.domain && !pending ? (
        <Alert tone="success" title="Verified">
          {state.domain} is now the business's address.
        </Alert>
      ) : null}
      {state.domain ? (
        <div className="flex flex-col gap-1" data-testid="domain-verified">
          <p className="text-sm font-medium text-stone-800">In use</p>
          <p className="flex flex-wrap items-center gap-2">
            <span className="font-mono text-base">{state.domain}</span>
            <Badge tone="good">Verified</Badge>
          </p>
          {state.verified_at ? (
            <p className="text-sm text-stone-600">
              Verified <time dateTime={state.verified_at}>{fmt.dateTime(state.verified_at)}</time>
            </p>
          ) : null}
        </div>
      ) : !pending ? (
        <p className="text-stone-600">No custom domain: the business is at its Brigade address only.</p>
      ) : null}

      {pending ? (
        <section aria-labelledby="domain-pending" className="flex flex-col gap-3 rounded-md border border-amber-300 bg-amber-50/50 p-4">
          <h3 id="domain-pending" className="flex flex-wrap items-center gap-2 font-semibold">
            <span className="font-mono">{pending.domain}</span>
            <Badge tone="warn">Waiting for verification</Badge>
          </h3>
          <ol className="flex list-decimal flex-col gap-2 pl-5 text-sm text-stone-700">
            <li>Point {pending.domain} at Brigade with your domain provider (your web person or the provider's help pages know how).</li>
            <li>
              On {pending.domain}, serve a plain text file at the address below that holds exactly the token below, nothing else. Brigade reads it to
              know the domain is yours.
            </li>
            <li>Press “Check now”. Until the check succeeds, {pending.domain} does not show the business.</li>
          </ol>
          <CopyField label="Address of the file" value={pending.verify_url} />
          <CopyField label="Token (the file's content)" value={pending.token} />
          {check.isError ? (
            <Alert title={`${pending.domain} is not verified yet`}>
              <p>{errorMessage(check.error)}</p>
              <p className="mt-1">Fix what is named above and check again.</p>
            </Alert>
          ) : null}
          <div>
            <Button busy={check.isPending} onClick={() => check.mutate()}>
              Check now
            </Button>
          </div>
        </section>
      ) : null}

      <RequestDomain current={state} onDone={() => check.reset()} />

      {state.domain || pending ? (
        <div>
          <Button tone="secondary" onClick={() => setRemoving(true)}>
            Remove the custom domain
          </Button>
        </div>
      ) : null}
      <Modal
        open={removing}
        onClose={() => !remove.isPending && setRemoving(false)}
        title="Remove the custom domain?"
        actions={
          <>
            <Button tone="secondary" disabled={remove.isPending} onClick={() => setRemoving(false)}>
              Cancel
            </Button>
            <Button tone="danger" busy={remove.isPending} onClick={() => remove.mutate()}>
              Remove the domain
            </Button>
          </>
        }
      >
        <p className="text-stone-700">
          {[state.domain, pending?.domain].filter(Boolean).join(' and ')} will no longer show the business. Its Brigade address keeps working, and you
          can add a domain again later (with a new token).
        </p>
        {remove.isError ? <Alert>{errorMessage(remove.error)}</Alert> : null}
      </Modal>
    </div>
  );
}

/** Asking for a domain (or another one): Brigade answers the token to serve on it. */
function RequestDomain({ current, onDone }: { current: DomainState; onDone: () => void }) {
  const client = useQueryClient();
  const [value, setValue] = useState('');
  const [missing, setMissing] = useState(false);
  const ask = useMutation({
    mutationFn: () => api.put<DomainState>('/settings/domain', { domain: value.trim() }),
    onSuccess: (d) => {
      client.setQueryData(['settings', 'domain'], d);
      setValue('');
      onDone();
    },
  });
  const err = ask.error instanceof ApiError ? ask.error : null;
  const fieldError = sentence(err?.fieldError('domain'));
  const label = current.domain || current.pending ? 'Use another domain' : 'Domain';
  return (
    <Form
      onSubmit={() => {
        if (value.trim()) ask.mutate();
        else setMissing(true);
      }}
      error={ask.isError && !fieldError ? ask.error : undefined}
      className="border-t border-stone-200 pt-4"
    >
      <TextField
        label={label}
        value={value}
        inputMode="url"
        autoCapitalize="none"
        spellCheck={false}
        placeholder="www.harbourgrill.ie"
        onChange={(e) => {
          setMissing(false);
          setValue(e.target.value);
        }}
        hint={current.pending ? `Replaces ${current.pending.domain}, which is waiting for verification.` : 'The full name, without http:// — e.g. www.harbourgrill.ie'}
        error={missing ? 'Enter a domain name.' : fieldError}
      />
      <div>
        <Button type="submit" busy={ask.isPending}>
          Get the verification token
        </Button>
      </div>
    </Form>
  );
}
