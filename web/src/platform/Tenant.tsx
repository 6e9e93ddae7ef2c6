import { useState } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../lib/api';
import { FEATURES, featureName, limitName, limitValue, orderFeatures, orderLimits, planName } from '../lib/plans';
import { Alert, Badge, Button, Card, EmptyState, Form, Modal, PageHeader, ProblemAlert, QueryView, SelectField, Table, Td, TextField } from '../ui';
import { LimitsTable } from '../ui/limits';
import { tenantAddress } from './NewTenant';
import { mayManage, useOperator } from './session';
import { day, usePlans } from './Tenants';
import { statusName, statusNames, statusTone, type OverLimit, type Overrides, type Plan, type TenantDetail, type TenantStatus } from './types';

const tenantKey = (id: string) => ['platform', 'tenant', id] as const;

const dateTimeFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' });
const when = (iso: string | null | undefined) => (iso ? dateTimeFormat.format(new Date(iso)) : '—');

/**
 * The steps a business can take from where it is. The server keeps the same table and has the last word (a step
 * that no longer makes sense answers invalid_transition); the page offers only these.
 */
interface Step {
  to: TenantStatus;
  label: string;
  from: TenantStatus[];
  danger?: boolean;
  explain: string;
}

const STEPS: Step[] = [
  { to: 'active', label: 'Activate', from: ['trial', 'past_due'], explain: 'The business becomes active: its billing is in order.' },
  { to: 'past_due', label: 'Mark past due', from: ['active'], explain: 'A payment is overdue. The business keeps working meanwhile.' },
  {
    to: 'suspended',
    label: 'Suspend',
    from: ['trial', 'active', 'past_due'],
    danger: true,
    explain: 'Nobody can sign in, every request is refused and guests see “temporarily unavailable”. Nothing is deleted.',
  },
  {
    to: 'cancelled',
    label: 'Cancel business',
    from: ['trial', 'active', 'past_due', 'suspended'],
    danger: true,
    explain: 'Like a suspension, and the owners are emailed a link to export all their data. Everything is purged 30 days after cancelling unless the business is reactivated.',
  },
  { to: 'active', label: 'Reactivate', from: ['suspended', 'cancelled'], explain: 'Everyone can sign in again, and everything is where it was.' },
];

export function TenantPage() {
  const { id = '' } = useParams();
  const detail = useQuery({ queryKey: tenantKey(id), queryFn: () => api.get<TenantDetail>(`/platform/tenants/${id}`) });
  return (
    <QueryView query={detail} loading="Loading the business…">
      {(t) => <TenantView tenant={t} />}
    </QueryView>
  );
}

function TenantView({ tenant: t }: { tenant: TenantDetail }) {
  const operator = useOperator().data;
  const manage = mayManage(operator);
  const plans = usePlans();
  const created = (useLocation().state as { created?: { name: string; owner: string } } | null)?.created;
  const plan = plans.data?.find((p) => p.code === t.plan);
  const live = t.status !== 'purged';
  return (
    <>
      <p className="mb-2 text-sm">
        <Link to="/platform" className="text-brand underline">
          All businesses
        </Link>
      </p>
      <PageHeader
        title={t.name}
        description={
          <>
            <span className="font-mono">{t.slug}</span> ·{' '}
            <a href={tenantAddress(t.slug)} className="text-brand underline">
              {tenantAddress(t.slug)}
            </a>
          </>
        }
      />
      <div className="flex flex-col gap-6">
        {created && (
          <Alert tone="success" title={`${created.name} is open`}>
            The owner’s invitation is on its way to {created.owner}.
          </Alert>
        )}
        <div className="grid gap-6 lg:grid-cols-2">
          <Card title="Summary">
            <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm">
              <dt className="text-stone-600">Status</dt>
              <dd data-testid="tenant-status">
                <Badge tone={statusTone[t.status] ?? 'neutral'}>{statusName(t.status)}</Badge> <span className="text-stone-600">since {when(t.status_changed_at)}</span>
              </dd>
              <dt className="text-stone-600">Plan</dt>
              <dd data-testid="tenant-plan">{plan?.name ?? planName(t.plan)}</dd>
              {t.status === 'trial' && (
                <>
                  <dt className="text-stone-600">Trial ends</dt>
                  <dd>{day(t.trial_ends_at)}</dd>
                </>
              )}
              {t.cancelled_at && (
                <>
                  <dt className="text-stone-600">Cancelled</dt>
                  <dd>{when(t.cancelled_at)}</dd>
                </>
              )}
              <dt className="text-stone-600">Created</dt>
              <dd>{when(t.created_at)}</dd>
              <dt className="text-stone-600">Time zone</dt>
              <dd>{t.time_zone}</dd>
              <dt className="text-stone-600">Currency, language</dt>
              <dd>
                {t.currency}, {t.locale}
              </dd>
              {t.custom_domain && (
                <>
                  <dt className="text-stone-600">Own domain</dt>
                  <dd>{t.custom_domain}</dd>
                </>
              )}
            </dl>
          </Card>
          {manage && live && <Lifecycle tenant={t} />}
        </div>
        <Card title="Usage and limits">
          {live ? <LimitsTable caption="Usage against limits" limits={t.entitlements.limits} usage={t.usage} /> : <EmptyState>A purged business has no data left.</EmptyState>}
          <p className="mt-4 text-sm text-stone-700">
            Features on: {t.entitlements.features.length ? orderFeatures(t.entitlements.features).map(featureName).join(', ') : 'none'}.
          </p>
        </Card>
        {manage && live && <NameChange tenant={t} />}
        {manage && live && <PlanChange tenant={t} plans={plans.data ?? []} />}
        {manage && live && <OverridesForm tenant={t} plan={plan} />}
        <People tenant={t} manage={manage && live} />
        {manage && live && <SupportSession tenant={t} />}
        <Locations tenant={t} />
        <History tenant={t} />
        <RecentActivity tenant={t} />
      </div>
    </>
  );
}

/** After a change: this business and the list both show what is stored now. */
function useRefresh(id: string) {
  const client = useQueryClient();
  return async (fresh?: TenantDetail) => {
    if (fresh) client.setQueryData(tenantKey(id), fresh);
    await Promise.all([client.invalidateQueries({ queryKey: tenantKey(id) }), client.invalidateQueries({ queryKey: ['platform', 'tenants'] })]);
  };
}

function Lifecycle({ tenant: t }: { tenant: TenantDetail }) {
  const refresh = useRefresh(t.id);
  const [step, setStep] = useState<Step | null>(null);
  const [reason, setReason] = useState('');
  const [reasonMissing, setReasonMissing] = useState(false);
  const move = useMutation({
    mutationFn: (s: Step) => api.post<{ status: string }>(`/platform/tenants/${t.id}/status`, { status: s.to, reason: reason.trim(), version: t.version }),
    onSuccess: async () => {
      setStep(null);
      setReason('');
      await refresh();
    },
    onError: async (err) => {
      // The business changed meanwhile (another operator, a job ending the trial): show what it is now.
      if (err instanceof ApiError && err.status === 409) await refresh();
    },
  });
  const steps = STEPS.filter((s) => s.from.includes(t.status));
  const open = (s: Step) => {
    move.reset();
    setReasonMissing(false);
    setStep(s);
  };
  const confirm = () => {
    if (!step) return;
    if (!reason.trim()) {
      setReasonMissing(true);
      return;
    }
    move.mutate(step);
  };
  const err = move.error instanceof ApiError ? move.error : null;
  return (
    <Card title="Lifecycle">
      <p className="mb-4 text-sm text-stone-700">
        Now <strong>{statusName(t.status)}</strong>. Each step is written to the platform log and the business’s own audit log, with its reason.
      </p>
      {steps.length === 0 ? (
        <p className="text-sm text-stone-700">No step can be taken from here.</p>
      ) : (
        <div className="flex flex-wrap gap-2">
          {steps.map((s) => (
            <Button key={`${s.label}`} tone={s.danger ? 'danger' : 'secondary'} onClick={() => open(s)}>
              {s.label}
            </Button>
          ))}
        </div>
      )}
      <Modal
        open={step !== null}
        onClose={() => setStep(null)}
        title={step ? `${step.label}: ${t.name}` : ''}
        actions={
          <>
            <Button tone="secondary" onClick={() => setStep(null)}>
              Keep as is
            </Button>
            <Button tone={step?.danger ? 'danger' : 'primary'} busy={move.isPending} onClick={confirm}>
              {step?.label}
            </Button>
          </>
        }
      >
        {step && <p className="text-stone-700">{step.explain}</p>}
        {move.isError && <ProblemAlert error={move.error} title={err?.code === 'invalid_transition' ? 'This step is not possible now' : undefined} />}
        <Form onSubmit={confirm}>
          <TextField
            label="Reason"
            name="reason"
            required
            maxLength={500}
            value={reason}
            onChange={(e) => {
              setReason(e.target.value);
              setReasonMissing(false);
            }}
            error={reasonMissing ? 'Give a reason: it goes into both audit logs.' : err?.fieldError('reason')}
            hint="For example: payment failed three times."
          />
        </Form>
      </Modal>
    </Card>
  );
}

function PlanChange({ tenant: t, plans }: { tenant: TenantDetail; plans: Plan[] }) {
  const refresh = useRefresh(t.id);
  const [plan, setPlan] = useState(t.plan);
  // Another version of the business arrived (this change, or someone else's): start again from what is stored. The
  // form stays mounted, so what the last change said ("on Professional now") stays on screen.
  const [seen, setSeen] = useState(t.version);
  if (seen !== t.version) {
    setSeen(t.version);
    setPlan(t.plan);
  }
  const change = useMutation({
    mutationFn: () => api.put<TenantDetail>(`/platform/tenants/${t.id}/plan`, { plan, version: t.version }),
    onSuccess: (fresh) => refresh(fresh),
    onError: async (err) => {
      if (err instanceof ApiError && err.code === 'stale_version') await refresh();
    },
  });
  const err = change.error instanceof ApiError ? change.error : null;
  const over = err?.code === 'plan_limits_exceeded' ? ((err.extra.over as OverLimit[] | undefined) ?? []) : null;
  const target = plans.find((p) => p.code === plan);
  return (
    <Card title="Plan">
      <Form onSubmit={() => change.mutate()} error={change.isError && !over ? change.error : undefined}>
        {over && (
          <Alert title={`${target?.name ?? planName(plan)} is too small for ${t.name}`}>
            <p>The business uses more than that plan allows. Bring these down first (or raise them with an override below):</p>
            <ul className="mt-2 list-disc pl-5" aria-label="Limits over the new plan" data-testid="plan-over">
              {over.map((o) => (
                <li key={o.limit}>
                  {limitName(o.limit)}: {o.used} in use, {limitValue(o.limit, o.allowed)} allowed
                </li>
              ))}
            </ul>
          </Alert>
        )}
        {change.isSuccess && <Alert tone="success">The business is on {planName(change.data.plan)} now.</Alert>}
        <div className="flex flex-wrap items-end gap-3">
          <div className="min-w-48">
            <SelectField
              label="Plan"
              name="plan"
              value={plan}
              onChange={(e) => {
                setPlan(e.target.value);
                change.reset();
              }}
            >
              {(plans.length ? plans : [{ code: t.plan, name: planName(t.plan) }]).map((p) => (
                <option key={p.code} value={p.code}>
                  {p.name}
                  {p.code === t.plan ? ' (current)' : ''}
                </option>
              ))}
            </SelectField>
          </div>
          <Button type="submit" busy={change.isPending} disabled={plan === t.plan}>
            Change plan
          </Button>
        </div>
      </Form>
    </Card>
  );
}

type FeatureChoice = 'plan' | 'on' | 'off';
type LimitChoice = 'plan' | 'custom' | 'unlimited';

function featureChoices(t: TenantDetail, codes: string[]): Record<string, FeatureChoice> {
  return Object.fromEntries(codes.map((f) => [f, f in t.overrides.features ? (t.overrides.features[f] ? 'on' : 'off') : 'plan']));
}

function limitChoices(t: TenantDetail, codes: string[]): Record<string, { choice: LimitChoice; value: string }> {
  return Object.fromEntries(
    codes.map((l) => {
      if (!(l in t.overrides.limits)) return [l, { choice: 'plan', value: String(t.entitlements.limits[l] ?? '') }];
      const v = t.overrides.limits[l];
      return [l, v === null || v === undefined ? { choice: 'unlimited', value: '' } : { choice: 'custom', value: String(v) }];
    }),
  );
}

/** The operator's exceptions for this one business: a feature switched on or off, a limit raised, lowered or lifted. */
function OverridesForm({ tenant: t, plan }: { tenant: TenantDetail; plan: Plan | undefined }) {
  const refresh = useRefresh(t.id);
  const featureCodes = orderFeatures([...(plan?.features ?? []), ...t.entitlements.features, ...Object.keys(t.overrides.features), ...FEATURES]);
  const limitCodes = orderLimits([...Object.keys(t.entitlements.limits), ...Object.keys(t.overrides.limits)]);
  const [features, setFeatures] = useState(() => featureChoices(t, featureCodes));
  const [limits, setLimits] = useState(() => limitChoices(t, limitCodes));
  // A new version of the business (this save, or someone else's change): the form shows what is stored now, and
  // stays mounted so its "saved" notice stays on screen.
  const [seen, setSeen] = useState(t.version);
  if (seen !== t.version) {
    setSeen(t.version);
    setFeatures(featureChoices(t, featureCodes));
    setLimits(limitChoices(t, limitCodes));
  }
  const [problems, setProblems] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: (body: Overrides) => api.put<TenantDetail>(`/platform/tenants/${t.id}/overrides`, { ...body, version: t.version }),
    onSuccess: (fresh) => refresh(fresh),
    onError: async (err) => {
      if (err instanceof ApiError && err.code === 'stale_version') await refresh();
    },
  });
  const err = save.error instanceof ApiError ? save.error : null;
  const byField = Boolean(err && err.code === 'validation_failed' && err.errors.length > 0);

  const submit = () => {
    const body: Overrides = { features: {}, limits: {} };
    const found: Record<string, string> = {};
    for (const f of featureCodes) if (features[f] !== 'plan') body.features[f] = features[f] === 'on';
    for (const l of limitCodes) {
      const c = limits[l]!;
      if (c.choice === 'unlimited') body.limits[l] = null;
      else if (c.choice === 'custom') {
        const n = Number(c.value.trim());
        if (!/^\d+$/.test(c.value.trim()) || !Number.isSafeInteger(n)) found[l] = 'Give a whole number, 0 or more.';
        else body.limits[l] = n;
      }
    }
    setProblems(found);
    if (Object.keys(found).length === 0) save.mutate(body);
  };
  const planHas = (f: string) => (plan ? plan.features.includes(f) : undefined);
  return (
    <Card title="Features and limits for this business">
      <Form onSubmit={submit} error={save.isError && !byField ? save.error : undefined}>
        {save.isSuccess && <Alert tone="success">The exceptions are saved; they apply to the business’s next request.</Alert>}
        <fieldset className="flex flex-col gap-3">
          <legend className="mb-2 font-semibold">Features</legend>
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
            {featureCodes.map((f) => (
              <SelectField
                key={f}
                label={featureName(f)}
                name={`feature-${f}`}
                value={features[f]}
                onChange={(e) => setFeatures({ ...features, [f]: e.target.value as FeatureChoice })}
                hint={t.entitlements.features.includes(f) ? 'On now.' : 'Off now.'}
              >
                <option value="plan">{planHas(f) === undefined ? 'As the plan says' : planHas(f) ? 'As the plan says (on)' : 'As the plan says (off)'}</option>
                <option value="on">Switched on</option>
                <option value="off">Switched off</option>
              </SelectField>
            ))}
          </div>
        </fieldset>
        <fieldset className="flex flex-col gap-3">
          <legend className="mb-2 font-semibold">Limits</legend>
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
            {limitCodes.map((l) => {
              const c = limits[l]!;
              const problem = problems[l] ?? (byField ? err?.fieldError(l) : undefined);
              const planValue = plan ? limitValue(l, plan.limits[l]) : null;
              return (
                <div key={l} className="flex flex-col gap-2">
                  <SelectField
                    label={limitName(l)}
                    name={`limit-${l}`}
                    value={c.choice}
                    onChange={(e) => setLimits({ ...limits, [l]: { ...c, choice: e.target.value as LimitChoice } })}
                    error={c.choice === 'custom' ? undefined : problem}
                    hint={`Now: ${limitValue(l, t.entitlements.limits[l])}.`}
                  >
                    <option value="plan">{planValue === null ? 'As the plan says' : `As the plan says (${planValue})`}</option>
                    <option value="custom">A different number</option>
                    <option value="unlimited">Unlimited</option>
                  </SelectField>
                  {c.choice === 'custom' && (
                    <TextField
                      label={`${limitName(l)}: the number`}
                      name={`limit-${l}-value`}
                      inputMode="numeric"
                      value={c.value}
                      onChange={(e) => setLimits({ ...limits, [l]: { ...c, value: e.target.value } })}
                      error={problem}
                    />
                  )}
                </div>
              );
            })}
          </div>
        </fieldset>
        <div>
          <Button type="submit" busy={save.isPending}>
            Save the exceptions
          </Button>
        </div>
      </Form>
    </Card>
  );
}

type PersonStep = 'sign-out' | 'disable' | 'enable';
type Person = TenantDetail['users'][number];

const personSteps: Record<PersonStep, { label: string; danger: boolean; explain: string; hint: string }> = {
  'sign-out': {
    label: 'Sign out',
    danger: false,
    explain: 'Every session of this person ends now, on every device. They can sign in again.',
    hint: 'For example: phone stolen.',
  },
  disable: {
    label: 'Sign out and disable',
    danger: true,
    explain: 'Every session ends now and the account is disabled: this person cannot sign in until the account is enabled again.',
    hint: 'For example: account compromised.',
  },
  enable: {
    label: 'Enable',
    danger: false,
    explain: 'This person can sign in again (with a fresh sign-in: the sessions ended earlier stay ended).',
    hint: 'For example: phone recovered.',
  },
};

function People({ tenant: t, manage }: { tenant: TenantDetail; manage: boolean }) {
  const refresh = useRefresh(t.id);
  const [open, setOpen] = useState<{ person: Person; step: PersonStep } | null>(null);
  const [reason, setReason] = useState('');
  const [reasonMissing, setReasonMissing] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const act = useMutation({
    mutationFn: async ({ person, step }: { person: Person; step: PersonStep }): Promise<string> => {
      if (step === 'enable') {
        await api.post<{ enabled: true }>(`/platform/tenants/${t.id}/people/enable`, { user_id: person.id, reason: reason.trim() });
        return `${person.name} can sign in again.`;
      }
      const r = await api.post<{ sessions_ended: number; disabled: boolean }>(`/platform/tenants/${t.id}/people/sign-out`, {
        user_id: person.id,
        reason: reason.trim(),
        disable: step === 'disable',
      });
      const ended = `${r.sessions_ended} ${r.sessions_ended === 1 ? 'session' : 'sessions'} ended`;
      return r.disabled ? `${person.name} is signed out (${ended}) and disabled.` : `${person.name} is signed out (${ended}).`;
    },
    onSuccess: async (message) => {
      setOpen(null);
      setReason('');
      setDone(message);
      await refresh();
    },
  });
  const start = (person: Person, step: PersonStep) => {
    act.reset();
    setDone(null);
    setReason('');
    setReasonMissing(false);
    setOpen({ person, step });
  };
  const confirm = () => {
    if (!open) return;
    if (!reason.trim()) {
      setReasonMissing(true);
      return;
    }
    act.mutate(open);
  };
  const step = open ? personSteps[open.step] : null;
  const err = act.error instanceof ApiError ? act.error : null;
  return (
    <Card title="People">
      {done && (
        <div className="mb-4">
          <Alert tone="success">{done}</Alert>
        </div>
      )}
      {t.users.length === 0 ? (
        <EmptyState>Nobody has an account yet.</EmptyState>
      ) : (
        <Table caption="People" head={manage ? ['Name', 'Email', 'Status', 'Roles', 'Actions'] : ['Name', 'Email', 'Status', 'Roles']}>
          {t.users.map((u) => (
            <tr key={u.id} data-testid="person-row">
              <Td className="font-medium">{u.name}</Td>
              <Td className="whitespace-nowrap">{u.email}</Td>
              <Td>
                <Badge tone={u.status === 'active' ? 'good' : 'warn'}>{u.status}</Badge>
              </Td>
              <Td>{u.roles.map((r) => r.replace(/_/g, ' ')).join(', ') || '—'}</Td>
              {manage && (
                <Td>
                  <div className="flex flex-wrap gap-2">
                    {u.status === 'disabled' ? (
                      <Button tone="secondary" className="whitespace-nowrap" onClick={() => start(u, 'enable')}>
                        Enable<span className="sr-only"> {u.name}</span>
                      </Button>
                    ) : (
                      <>
                        <Button tone="secondary" className="whitespace-nowrap" onClick={() => start(u, 'sign-out')}>
                          Sign out<span className="sr-only"> {u.name}</span>
                        </Button>
                        <Button tone="danger" className="whitespace-nowrap" onClick={() => start(u, 'disable')}>
                          Sign out and disable<span className="sr-only"> {u.name}</span>
                        </Button>
                      </>
                    )}
                  </div>
                </Td>
              )}
            </tr>
          ))}
        </Table>
      )}
      <Modal
        open={open !== null}
        onClose={() => setOpen(null)}
        title={open && step ? `${step.label}: ${open.person.name}` : ''}
        actions={
          <>
            <Button tone="secondary" onClick={() => setOpen(null)}>
              Keep as is
            </Button>
            <Button tone={step?.danger ? 'danger' : 'primary'} busy={act.isPending} onClick={confirm}>
              {step?.label}
            </Button>
          </>
        }
      >
        {open && step && (
          <p className="text-stone-700">
            {open.person.email}: {step.explain}
          </p>
        )}
        {act.isError && <ProblemAlert error={act.error} />}
        <Form onSubmit={confirm}>
          <TextField
            label="Reason"
            name="reason"
            required
            maxLength={500}
            value={reason}
            onChange={(e) => {
              setReason(e.target.value);
              setReasonMissing(false);
            }}
            error={reasonMissing ? 'Give a reason: it goes into both audit logs.' : err?.fieldError('reason')}
            hint={step?.hint}
          />
        </Form>
      </Modal>
    </Card>
  );
}

/** A conflict: the business changed since the page loaded it (another operator, a job). */
const isStale = (err: unknown) => err instanceof ApiError && err.status === 409 && (err.code === 'stale_version' || err.code === 'version_conflict');

/** Corrects the business's name, as the operator sees it and as its pages show it. */
function NameChange({ tenant: t }: { tenant: TenantDetail }) {
  const refresh = useRefresh(t.id);
  const [name, setName] = useState(t.name);
  // A new version of the business (this change or someone else's): start from what is stored now.
  const [seen, setSeen] = useState(t.version);
  if (seen !== t.version) {
    setSeen(t.version);
    setName(t.name);
  }
  const [stale, setStale] = useState(false);
  const [missing, setMissing] = useState(false);
  const rename = useMutation({
    mutationFn: () => api.patch<TenantDetail>(`/platform/tenants/${t.id}`, { name: name.trim(), version: t.version }),
    onSuccess: (fresh) => refresh(fresh),
    onError: async (err) => {
      if (isStale(err)) {
        setStale(true);
        await refresh();
      }
    },
  });
  const err = rename.error instanceof ApiError ? rename.error : null;
  const submit = () => {
    setStale(false);
    if (!name.trim()) {
      setMissing(true);
      return;
    }
    rename.mutate();
  };
  const nameError = missing ? 'Give the business a name.' : err?.fieldError('name');
  return (
    <Card title="Name">
      <Form onSubmit={submit} error={rename.isError && !stale && !nameError ? rename.error : undefined}>
        {stale && (
          <Alert tone="warning" title="Someone else changed this business first">
            The page now shows what is stored. Check the name and save again.
          </Alert>
        )}
        {rename.isSuccess && !stale && <Alert tone="success">The business is called {rename.data.name} now.</Alert>}
        <div className="flex flex-wrap items-end gap-3">
          <div className="min-w-64 flex-1">
            <TextField
              label="Business name"
              name="name"
              required
              maxLength={200}
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                setMissing(false);
                if (rename.isSuccess) rename.reset();
              }}
              error={nameError}
            />
          </div>
          <Button type="submit" busy={rename.isPending} disabled={name.trim() === t.name}>
            Save name
          </Button>
        </div>
      </Form>
    </Card>
  );
}

/**
 * A read-only look into the business, for a limited time, while its owner allows it (the owner grants it in the
 * business's own settings). Written to both audit logs; the business sees who looked and why.
 */
function SupportSession({ tenant: t }: { tenant: TenantDetail }) {
  const [reason, setReason] = useState('');
  const [minutes, setMinutes] = useState('30');
  const [problems, setProblems] = useState<{ reason?: string; minutes?: string }>({});
  const open = useMutation({
    mutationFn: (body: { reason: string; minutes: number }) =>
      api.post<{ id: string; token: string; expires_at: string; url: string }>(`/platform/tenants/${t.id}/support-sessions`, body),
  });
  const err = open.error instanceof ApiError ? open.error : null;
  const notGranted = err?.code === 'support_access_not_granted';
  const submit = () => {
    const found: typeof problems = {};
    const m = Number(minutes.trim());
    if (!reason.trim()) found.reason = 'Give a reason: the business sees it in its audit log.';
    if (!/^\d+$/.test(minutes.trim()) || m < 5 || m > 60) found.minutes = 'From 5 to 60 minutes.';
    setProblems(found);
    if (Object.keys(found).length === 0) open.mutate({ reason: reason.trim(), minutes: m });
  };
  const byField = Boolean(err?.fieldError('reason') || err?.fieldError('minutes'));
  return (
    <Card title="Support session">
      <p className="mb-4 text-sm text-stone-700">
        Look into the business read-only, for up to an hour, while its owner allows support access. The business sees who opened it and why.
      </p>
      <Form onSubmit={submit} error={open.isError && !notGranted && !byField ? open.error : undefined}>
        {notGranted && <Alert title="Support access is not allowed">The owner has not allowed support access.</Alert>}
        {open.isSuccess && (
          <Alert tone="success" title={`Support session open until ${when(open.data.expires_at)}`}>
            <a href={open.data.url} target="_blank" rel="noopener noreferrer" className="font-medium underline">
              Open the business (read-only)
            </a>
          </Alert>
        )}
        <div className="grid gap-4 sm:grid-cols-[2fr_1fr]">
          <TextField
            label="Reason"
            name="support-reason"
            required
            maxLength={500}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            error={problems.reason ?? err?.fieldError('reason')}
            hint="For example: the owner asked why a count is flagged."
          />
          <TextField
            label="Minutes"
            name="minutes"
            type="number"
            inputMode="numeric"
            min={5}
            max={60}
            value={minutes}
            onChange={(e) => setMinutes(e.target.value)}
            error={problems.minutes ?? err?.fieldError('minutes')}
            hint="5 to 60."
          />
        </div>
        <div>
          <Button type="submit" busy={open.isPending}>
            Open support session
          </Button>
        </div>
      </Form>
    </Card>
  );
}

function Locations({ tenant: t }: { tenant: TenantDetail }) {
  return (
    <Card title="Locations">
      {t.locations.length === 0 ? (
        <EmptyState>No location yet.</EmptyState>
      ) : (
        <Table caption="Locations" head={['Name', 'Time zone']}>
          {t.locations.map((l) => (
            <tr key={l.id}>
              <Td className="font-medium">{l.name}</Td>
              <Td>{l.time_zone}</Td>
            </tr>
          ))}
        </Table>
      )}
    </Card>
  );
}

function History({ tenant: t }: { tenant: TenantDetail }) {
  return (
    <Card title="History">
      {t.history.length === 0 ? (
        <EmptyState>No change of status yet.</EmptyState>
      ) : (
        <Table caption="History" head={['When', 'From', 'To', 'Reason', 'By']}>
          {t.history.map((h, i) => (
            <tr key={i} data-testid="history-row">
              <Td className="whitespace-nowrap">{when(h.at)}</Td>
              <Td>{statusNames[h.from_status as TenantStatus] ?? h.from_status}</Td>
              <Td>{statusNames[h.to_status as TenantStatus] ?? h.to_status}</Td>
              <Td>{h.reason}</Td>
              <Td>{h.actor_label}</Td>
            </tr>
          ))}
        </Table>
      )}
    </Card>
  );
}

const riskTone = { low: 'neutral', medium: 'warn', high: 'bad', critical: 'bad' } as const;

function RecentActivity({ tenant: t }: { tenant: TenantDetail }) {
  return (
    <Card title="Recent activity">
      {t.recent_audit.length === 0 ? (
        <EmptyState>Nothing recorded yet.</EmptyState>
      ) : (
        <Table caption="Recent activity in the business's audit log" head={['When', 'Who', 'Action', 'Resource', 'Risk']}>
          {t.recent_audit.map((a, i) => (
            <tr key={i}>
              <Td className="whitespace-nowrap">{when(a.at)}</Td>
              <Td>{a.actor_label}</Td>
              <Td className="font-mono">{a.action}</Td>
              <Td>{a.resource_type}</Td>
              <Td>
                <Badge tone={riskTone[a.risk as keyof typeof riskTone] ?? 'neutral'}>{a.risk}</Badge>
              </Td>
            </tr>
          ))}
        </Table>
      )}
    </Card>
  );
}
