import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api';
import { planName } from '../lib/plans';
import { Alert, Button, Card, CheckboxField, Form, PageHeader, QueryView, SelectField, TextField } from '../ui';
import { useOperator } from './session';
import { usePlans } from './Tenants';

/** The service's own settings (`GET/PUT /platform/settings`). */
export interface PlatformSettings {
  trial_days: number;
  sign_up_open: boolean;
  sign_up_plan: string;
  support_email: string | null;
  version: number;
  updated_at: string;
  updated_by?: string | null;
}

const settingsKey = ['platform', 'settings'] as const;
const dateTimeFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' });
const sentence = (m: string | undefined) => (m ? m.charAt(0).toUpperCase() + m.slice(1) : undefined);

/** What the form holds while it is edited: the inputs as typed. */
interface Draft {
  trial_days: string;
  sign_up_open: boolean;
  sign_up_plan: string;
  support_email: string;
}

const draftOf = (s: PlatformSettings): Draft => ({
  trial_days: String(s.trial_days),
  sign_up_open: s.sign_up_open,
  sign_up_plan: s.sign_up_plan,
  support_email: s.support_email ?? '',
});

export function PlatformSettingsPage() {
  const operator = useOperator().data;
  const mayChange = Boolean(operator?.permissions.includes('platform.settings.manage'));
  const settings = useQuery({ queryKey: settingsKey, queryFn: () => api.get<PlatformSettings>('/platform/settings') });
  return (
    <>
      <PageHeader title="Settings" description="How Brigade treats new businesses: the length of a trial, self-service sign-up, and where a suspended business is told to write." />
      <QueryView query={settings} loading="Loading the settings…">
        {(s) => <SettingsForm current={s} mayChange={mayChange} />}
      </QueryView>
    </>
  );
}

function SettingsForm({ current, mayChange }: { current: PlatformSettings; mayChange: boolean }) {
  const client = useQueryClient();
  const plans = usePlans();
  const [draft, setDraft] = useState(() => draftOf(current));
  // A new version arrived (this save, or another operator's after a conflict): the form shows what is stored.
  const [seen, setSeen] = useState(current.version);
  if (seen !== current.version) {
    setSeen(current.version);
    setDraft(draftOf(current));
  }
  const [problems, setProblems] = useState<Partial<Record<keyof Draft, string>>>({});
  const [stale, setStale] = useState(false);
  const save = useMutation({
    mutationFn: (body: Omit<PlatformSettings, 'updated_at' | 'updated_by'>) => api.put<PlatformSettings>('/platform/settings', body),
    onSuccess: (fresh) => {
      client.setQueryData(settingsKey, fresh);
    },
    onError: async (err) => {
      if (err instanceof ApiError && err.status === 409) {
        setStale(true);
        await client.invalidateQueries({ queryKey: settingsKey });
      }
    },
  });
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => {
    setDraft((d) => ({ ...d, [k]: v }));
    setProblems((p) => ({ ...p, [k]: undefined }));
    if (save.isSuccess) save.reset();
  };
  const submit = () => {
    setStale(false);
    const found: typeof problems = {};
    const days = draft.trial_days.trim();
    // Only what cannot be sent at all is checked here; the range is the server's to say.
    if (!/^-?\d+$/.test(days)) found.trial_days = 'Give a whole number of days, from 1 to 90.';
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    save.mutate({
      trial_days: Number(days),
      sign_up_open: draft.sign_up_open,
      sign_up_plan: draft.sign_up_plan,
      support_email: draft.support_email.trim() || null,
      version: current.version,
    });
  };
  const err = save.error instanceof ApiError ? save.error : null;
  const fieldError = (k: keyof Draft) => problems[k] ?? sentence(err?.fieldError(k));
  const byField = Boolean(err && (['trial_days', 'sign_up_open', 'sign_up_plan', 'support_email'] as const).some((k) => err.fieldError(k)));
  const planChoices = plans.data ?? [{ code: 'basic', name: 'Basic' }, { code: 'professional', name: 'Professional' }, { code: 'enterprise', name: 'Enterprise' }];
  return (
    <Card className="max-w-2xl">
      {!mayChange && (
        <div className="mb-4">
          <Alert tone="info" title="Read only">
            Only platform admins change these settings.
          </Alert>
        </div>
      )}
      <Form onSubmit={submit} error={save.isError && !byField && !stale ? save.error : undefined}>
        {stale && (
          <Alert tone="warning" title="Someone else saved the settings first">
            The form now shows what is stored. Make the change again and save.
          </Alert>
        )}
        {save.isSuccess && (
          <Alert tone="success" title="Saved">
            New trials and sign-ups use these settings from now on; running trials keep theirs.
          </Alert>
        )}
        <fieldset disabled={!mayChange} className="flex flex-col gap-4">
          <legend className="sr-only">Platform settings</legend>
          <TextField
            label="Trial days"
            name="trial_days"
            type="number"
            inputMode="numeric"
            min={1}
            max={90}
            required
            value={draft.trial_days}
            onChange={(e) => set('trial_days', e.target.value)}
            error={fieldError('trial_days')}
            hint="How long a new business tries Brigade before it has to pay: 1 to 90 days."
          />
          <CheckboxField
            label="Anyone may sign up on their own"
            name="sign_up_open"
            checked={draft.sign_up_open}
            onChange={(e) => set('sign_up_open', e.target.checked)}
            hint="Unticked, only platform admins open new businesses."
          />
          <SelectField
            label="Plan for new sign-ups"
            name="sign_up_plan"
            value={draft.sign_up_plan}
            onChange={(e) => set('sign_up_plan', e.target.value)}
            error={fieldError('sign_up_plan')}
          >
            {planChoices.some((p) => p.code === draft.sign_up_plan) ? null : <option value={draft.sign_up_plan}>{planName(draft.sign_up_plan)}</option>}
            {planChoices.map((p) => (
              <option key={p.code} value={p.code}>
                {p.name}
              </option>
            ))}
          </SelectField>
          <TextField
            label="Support email"
            name="support_email"
            type="email"
            autoComplete="off"
            maxLength={254}
            value={draft.support_email}
            onChange={(e) => set('support_email', e.target.value)}
            error={fieldError('support_email')}
            hint="Shown to a suspended business as where to write. Leave empty for none."
          />
        </fieldset>
        {mayChange && (
          <div>
            <Button type="submit" busy={save.isPending}>
              Save settings
            </Button>
          </div>
        )}
        <p className="text-xs text-stone-600">
          Last changed {dateTimeFormat.format(new Date(current.updated_at))}
          {current.updated_by ? ` by ${current.updated_by}` : ''}.
        </p>
      </Form>
    </Card>
  );
}
