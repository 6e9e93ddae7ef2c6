import { useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api';
import { can, useSession, type Session } from '../lib/session';
import { timeZoneChoices } from '../lib/time-zones';
import { Alert, Button, Card, Form, PageHeader, QueryView, SelectField, TextField } from '../ui';

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
  const settings = useQuery({ queryKey: ['settings'], queryFn: () => api.get<Settings>('/settings') });
  return (
    <QueryView query={settings} loading="Loading the settings…">
      {(s) => (
        <div className="flex flex-col gap-6">
          <SettingsForm current={s} />
          <LogoCard current={s} />
        </div>
      )}
    </QueryView>
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
