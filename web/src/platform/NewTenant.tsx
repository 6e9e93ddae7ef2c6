import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, qs } from '../lib/api';
import { limitName, limitValue, orderLimits } from '../lib/plans';
import { timeZoneChoices } from '../lib/time-zones';
import { Alert, Button, Card, CheckboxField, Form, PageHeader, SelectField, TextField } from '../ui';
import { mayManage, useOperator } from './session';
import { usePlans } from './Tenants';
import type { TenantSummary } from './types';

/** What the server accepts as a business's address: lower-case letters, digits and dashes, 1 to 40. */
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/** "Harbour Grill & Bar" → "harbour-grill-bar": a first suggestion for the address, until the operator edits it. */
function slugFrom(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 40)
    .replace(/-+$/, '');
}

/** Where a business's pages live: `{slug}.{this host}`, the way Brigade's mail links to it. */
export function tenantAddress(slug: string): string {
  return `${window.location.protocol}//${slug}.${window.location.host}`;
}

/** The value after a pause in typing, so the availability check asks once per word, not once per key. */
function useSettled<T>(value: T, ms = 250): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export function NewTenantPage() {
  const operator = useOperator().data;
  return (
    <>
      <PageHeader title="New business" description="Opens the business on a plan and emails its owner an invitation to set a password." />
      {mayManage(operator) ? <NewTenantForm /> : <Alert title="Not available to you">Only platform admins open new businesses.</Alert>}
    </>
  );
}

function NewTenantForm() {
  const navigate = useNavigate();
  const client = useQueryClient();
  const plans = usePlans();
  const [name, setName] = useState('');
  const [slugEdited, setSlugEdited] = useState<string | null>(null);
  const slug = slugEdited ?? slugFrom(name);
  const [ownerEmail, setOwnerEmail] = useState('');
  const [plan, setPlan] = useState('professional');
  const [trial, setTrial] = useState(true);
  const [timeZone, setTimeZone] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const [zones] = useState(() => timeZoneChoices(timeZone));
  const [currency, setCurrency] = useState('USD');

  const settled = useSettled(slug);
  const wellFormed = SLUG.test(settled);
  const availability = useQuery({
    queryKey: ['platform', 'slug', settled],
    queryFn: () => api.get<{ slug: string; available: boolean }>(`/platform/slug-availability${qs({ slug: settled })}`),
    enabled: wellFormed,
    staleTime: 5_000,
  });

  const create = useMutation({
    mutationFn: () =>
      api.post<TenantSummary>('/platform/tenants', {
        slug,
        name: name.trim(),
        owner_email: ownerEmail.trim(),
        plan,
        trial,
        time_zone: timeZone,
        currency: currency.trim().toUpperCase(),
      }),
    onSuccess: async (t) => {
      await client.invalidateQueries({ queryKey: ['platform', 'tenants'] });
      navigate(`/platform/tenants/${t.id}`, { state: { created: { name: t.name, owner: ownerEmail.trim() } } });
    },
  });
  const err = create.error instanceof ApiError ? create.error : null;
  const fieldErr = (f: string) => err?.fieldError(f);
  const byField = Boolean(err && ['slug', 'name', 'owner_email', 'plan', 'time_zone', 'currency'].some((f) => fieldErr(f)));

  // What the address field says under itself, as it is typed: the format, then whether the address is free.
  let slugHint: string | undefined;
  let slugProblem = fieldErr('slug');
  if (!slugProblem) {
    if (!slug) slugHint = 'Lower-case letters, digits and dashes: the start of the business’s web address.';
    else if (!SLUG.test(slug)) slugProblem = 'Use lower-case letters, digits and dashes (1 to 40), not starting or ending with a dash.';
    else if (slug !== settled || availability.isPending) slugHint = `Checking ${slug}…`;
    else if (availability.isError) slugHint = 'The address could not be checked now; it is checked again when the business is created.';
    else if (availability.data.available) slugHint = `${slug} is free: ${tenantAddress(slug)}`;
    else slugProblem = `${slug} is taken (or reserved). Choose another address.`;
  }

  const chosen = plans.data?.find((p) => p.code === plan);
  return (
    <Card className="max-w-2xl">
      <Form onSubmit={() => create.mutate()} error={create.isError && !byField ? create.error : undefined}>
        <TextField label="Business name" name="name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} error={fieldErr('name')} />
        <TextField
          label="Address"
          name="slug"
          required
          maxLength={40}
          autoComplete="off"
          spellCheck={false}
          value={slug}
          onChange={(e) => {
            setSlugEdited(e.target.value.toLowerCase());
            // A refusal of the previous address ("taken") must not stay beside a new one.
            if (create.isError) create.reset();
          }}
          error={slugProblem}
          hint={
            <span role="status" data-testid="slug-availability">
              {slugHint}
            </span>
          }
        />
        <TextField
          label="Owner's email"
          type="email"
          name="owner_email"
          autoComplete="off"
          required
          value={ownerEmail}
          onChange={(e) => setOwnerEmail(e.target.value)}
          error={fieldErr('owner_email')}
          hint="The owner gets an email with a link to set their password."
        />
        <SelectField
          label="Plan"
          name="plan"
          value={plan}
          onChange={(e) => setPlan(e.target.value)}
          error={fieldErr('plan')}
          hint={chosen ? orderLimits(['locations', 'users', 'employees']).map((l) => `${limitName(l)}: ${limitValue(l, chosen.limits[l])}`).join(' · ') : undefined}
        >
          {(plans.data ?? [{ code: 'basic', name: 'Basic' }, { code: 'professional', name: 'Professional' }, { code: 'enterprise', name: 'Enterprise' }]).map((p) => (
            <option key={p.code} value={p.code}>
              {p.name}
            </option>
          ))}
        </SelectField>
        <CheckboxField label="Start with a 14-day trial" hint="Unticked, the business starts active." checked={trial} onChange={(e) => setTrial(e.target.checked)} />
        <div className="grid gap-4 sm:grid-cols-2">
          <SelectField label="Time zone" name="time_zone" value={timeZone} onChange={(e) => setTimeZone(e.target.value)} error={fieldErr('time_zone')} hint="Its first location can choose its own.">
            {zones.map((tz) => (
              <option key={tz} value={tz}>
                {tz.replaceAll('_', ' ')}
              </option>
            ))}
          </SelectField>
          <TextField label="Currency" name="currency" maxLength={3} value={currency} onChange={(e) => setCurrency(e.target.value)} error={fieldErr('currency')} hint="ISO 4217, such as USD or EUR." />
        </div>
        <div className="flex flex-wrap gap-2">
          <Button type="submit" busy={create.isPending}>
            Create the business
          </Button>
          <Button tone="secondary" onClick={() => navigate('/platform')}>
            Cancel
          </Button>
        </div>
      </Form>
    </Card>
  );
}
