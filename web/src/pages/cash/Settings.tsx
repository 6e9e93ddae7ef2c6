import { useId, useState, type ReactNode } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, qs } from '../../lib/api';
import { can, useCurrentLocation, useSession, type Location, type Session } from '../../lib/session';
import { useFormat } from '../../lib/format';
import { moneyInput, parseMoney } from '../../lib/money';
import { Alert, Badge, Button, Card, EmptyState, Form, Modal, PageHeader, QueryView, SelectField, Table, Td, TextField, cx, errorMessage } from '../../ui';
import { CashManagerNav, fieldProblem } from './Approvals';
import type { BusinessSettings, CashRules, Denomination, LocationSettings, Register } from './types';

/*
 * The owner's cash rules: the business's own (denominations, float, tolerance, approval, deadline, blind counts),
 * each location's exceptions, and the registers of each location.
 */

const PERMISSION = 'cash.settings.manage';

export function CashSettingsPage() {
  const session = useSession().data as Session;
  if (!can(session, PERMISSION)) {
    return (
      <>
        <PageHeader title="Cash settings" />
        <Alert title="Not available to you">The cash rules and registers are set by the owner and admins.</Alert>
      </>
    );
  }
  return (
    <>
      <CashManagerNav />
      <PageHeader title="Cash settings" description="The rules every drawer is counted by, each location's exceptions, and its registers." />
      <div className="flex flex-col gap-8">
        <BusinessRules />
        <LocationSection session={session} />
      </div>
    </>
  );
}

// ---------------------------------------------------------------- the form's model

interface DenominationDraft {
  key: number;
  value: string;
  kind: Denomination['kind'];
}

interface RulesDraft {
  denominations: DenominationDraft[];
  default_float: string;
  variance_tolerance: string;
  approval_required: boolean;
  deadline: string;
  blind_counts: boolean;
}

let nextKey = 1;
const draftDenominations = (ds: CashRules['denominations'], digits: number): DenominationDraft[] =>
  [...ds].sort((a, b) => b.value - a.value).map((d) => ({ key: nextKey++, value: moneyInput(d.value, digits), kind: d.kind }));

function toDraft(r: CashRules, digits: number): RulesDraft {
  return {
    denominations: draftDenominations(r.denominations, digits),
    default_float: moneyInput(r.default_float, digits),
    variance_tolerance: moneyInput(r.variance_tolerance, digits),
    approval_required: r.approval_required,
    deadline: r.deadline.slice(0, 5),
    blind_counts: r.blind_counts,
  };
}

type Problems = Record<string, string>;

const notAmount = (digits: number) => (digits === 0 ? 'Enter a whole amount, such as 150.' : `Enter an amount such as 150.00 (at most ${digits} digits after the point).`);

/** Typed text to minor units, or a problem named by the field's path (`denominations.2.value`). */
function readAmount(text: string, digits: number, path: string, problems: Problems, positive = false): number {
  const v = parseMoney(text, digits);
  if (v === null) problems[path] = notAmount(digits);
  else if (positive && v === 0) problems[path] = 'Must be more than zero.';
  return v ?? 0;
}

function readDenominations(rows: DenominationDraft[], digits: number, problems: Problems, prefix = 'denominations'): Denomination[] {
  if (rows.length === 0) problems[prefix] = 'List at least one coin or note.';
  const out = rows.map((row, i) => ({ value: readAmount(row.value, digits, `${prefix}.${i}.value`, problems, true), kind: row.kind }));
  const seen = new Map<number, number>();
  out.forEach((d, i) => {
    if (problems[`${prefix}.${i}.value`]) return;
    if (seen.has(d.value)) problems[`${prefix}.${i}.value`] = 'Listed twice.';
    seen.set(d.value, i);
  });
  return out;
}

/** The problem to show beside a field: the page's own check first, then the server's. */
function problemFor(local: Problems, err: unknown, path: string): string | undefined {
  return local[path] ?? fieldProblem(err, `body.${path}`);
}

// ---------------------------------------------------------------- small inputs

function Checkbox({ label, hint, checked, onChange, name }: { label: string; hint?: ReactNode; checked: boolean; onChange: (v: boolean) => void; name?: string }) {
  const id = useId();
  return (
    <div className="flex items-start gap-3">
      <input
        id={id}
        name={name}
        type="checkbox"
        className="mt-1 size-5 rounded border-stone-400"
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
        aria-describedby={hint ? `${id}-hint` : undefined}
      />
      <div>
        <label htmlFor={id} className="text-sm font-medium text-stone-800">
          {label}
        </label>
        {hint && (
          <p id={`${id}-hint`} className="text-xs text-stone-600">
            {hint}
          </p>
        )}
      </div>
    </div>
  );
}

function DenominationsEditor({
  rows,
  onChange,
  digits,
  currency,
  problem,
  legend,
}: {
  rows: DenominationDraft[];
  onChange: (rows: DenominationDraft[]) => void;
  digits: number;
  currency: string;
  problem: (path: string) => string | undefined;
  legend: string;
}) {
  const fmt = useFormat();
  const base = useId();
  const listProblem = problem('denominations');
  const update = (key: number, patch: Partial<DenominationDraft>) => onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const shown = (text: string) => {
    const v = parseMoney(text, digits);
    return v === null ? text : fmt.money(v, currency);
  };
  return (
    <fieldset className="flex flex-col gap-2" aria-describedby={listProblem ? `${base}-error` : `${base}-hint`}>
      <legend className="text-sm font-medium text-stone-800">{legend}</legend>
      <p id={`${base}-hint`} className="text-xs text-stone-600">
        The coins and notes of the count grid, in {currency}. Type values as money, for example {digits === 0 ? '1000' : '0.25 or 20.00'}.
      </p>
      <ul className="flex flex-col gap-2">
        {rows.map((row, i) => {
          const id = `${base}-${row.key}`;
          const err = problem(`denominations.${i}.value`) ?? problem(`denominations.${i}`);
          return (
            <li key={row.key} className="flex flex-col gap-1" data-testid="denomination-row">
              <div className="flex flex-wrap items-center gap-2">
                <label htmlFor={`${id}-value`} className="sr-only">
                  Value of denomination {i + 1}
                </label>
                <input
                  id={`${id}-value`}
                  inputMode="decimal"
                  autoComplete="off"
                  value={row.value}
                  onChange={(e) => update(row.key, { value: e.target.value })}
                  aria-invalid={err ? true : undefined}
                  aria-describedby={err ? `${id}-error` : undefined}
                  className={cx('w-32 rounded-md border bg-white px-3 py-2 text-base tabular-nums shadow-sm', err ? 'border-red-600' : 'border-stone-300')}
                />
                <label htmlFor={`${id}-kind`} className="sr-only">
                  Kind of denomination {i + 1}
                </label>
                <select
                  id={`${id}-kind`}
                  value={row.kind}
                  onChange={(e) => update(row.key, { kind: e.target.value as Denomination['kind'] })}
                  className="rounded-md border border-stone-300 bg-white px-3 py-2 text-base shadow-sm"
                >
                  <option value="coin">Coin</option>
                  <option value="note">Note</option>
                </select>
                <Button tone="ghost" onClick={() => onChange(rows.filter((r) => r.key !== row.key))} aria-label={`Remove denomination ${i + 1} (${shown(row.value)})`}>
                  Remove
                </Button>
              </div>
              {err && (
                <p id={`${id}-error`} className="text-sm text-red-700">
                  {err}
                </p>
              )}
            </li>
          );
        })}
      </ul>
      {listProblem && (
        <p id={`${base}-error`} className="text-sm text-red-700">
          {listProblem}
        </p>
      )}
      <div>
        <Button tone="secondary" onClick={() => onChange([...rows, { key: nextKey++, value: '', kind: 'note' }])}>
          Add denomination
        </Button>
      </div>
    </fieldset>
  );
}

// ---------------------------------------------------------------- the business's rules

function BusinessRules() {
  const settings = useQuery({ queryKey: ['cash', 'settings'], queryFn: () => api.get<BusinessSettings>('/cash/settings') });
  return (
    <Card title="Business rules">
      <QueryView query={settings} loading="Loading the cash rules…">
        {(s) => <BusinessRulesForm settings={s} />}
      </QueryView>
    </Card>
  );
}

function BusinessRulesForm({ settings }: { settings: BusinessSettings }) {
  const client = useQueryClient();
  const fmt = useFormat();
  const digits = settings.minor_digits;
  const [draft, setDraft] = useState(() => toDraft(settings, digits));
  const [local, setLocal] = useState<Problems>({});
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: (body: CashRules) => api.put<BusinessSettings>('/cash/settings', body),
    onSuccess: async (s) => {
      setSaved(true);
      client.setQueryData(['cash', 'settings'], s);
      // Locations that follow the business now follow the new rules.
      await client.invalidateQueries({ queryKey: ['cash'] });
    },
  });
  const change = (patch: Partial<RulesDraft>) => {
    setDraft({ ...draft, ...patch });
    setSaved(false);
  };
  const problem = (path: string) => problemFor(local, save.error, path);
  const submit = () => {
    const problems: Problems = {};
    const body: CashRules = {
      denominations: readDenominations(draft.denominations, digits, problems),
      default_float: readAmount(draft.default_float, digits, 'default_float', problems),
      variance_tolerance: readAmount(draft.variance_tolerance, digits, 'variance_tolerance', problems),
      approval_required: draft.approval_required,
      deadline: draft.deadline,
      blind_counts: draft.blind_counts,
    };
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(draft.deadline)) problems.deadline = 'Enter a time such as 23:30.';
    setLocal(problems);
    if (Object.keys(problems).length === 0) save.mutate(body);
  };
  const err = save.error instanceof ApiError ? save.error : null;
  const byField = err?.errors.some((e) => e.field.startsWith('body.'));
  const money = (hint: string) => `${hint} In ${settings.currency}.`;

  return (
    <Form onSubmit={submit} error={save.isError && !byField ? save.error : undefined}>
      {!settings.customised && (
        <p className="text-sm text-stone-600">The business runs on Brigade's defaults for {settings.currency} until you save rules of its own.</p>
      )}
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          label="Default opening float"
          name="default_float"
          inputMode="decimal"
          value={draft.default_float}
          onChange={(e) => change({ default_float: e.target.value })}
          error={problem('default_float')}
          hint={money('The cash a drawer starts with, when its last count cannot pre-fill it.')}
        />
        <TextField
          label="Variance tolerance"
          name="variance_tolerance"
          inputMode="decimal"
          value={draft.variance_tolerance}
          onChange={(e) => change({ variance_tolerance: e.target.value })}
          error={problem('variance_tolerance')}
          hint={money('A count short or over by more than this is flagged for a manager.')}
        />
        <TextField
          label="Daily deadline"
          name="deadline"
          type="time"
          value={draft.deadline}
          onChange={(e) => change({ deadline: e.target.value })}
          error={problem('deadline')}
          hint="Drawers not counted by then remind the location's managers. Each location's own clock."
        />
      </div>
      <Checkbox
        label="Every count needs a manager's approval"
        name="approval_required"
        checked={draft.approval_required}
        onChange={(v) => change({ approval_required: v })}
        hint="Otherwise only counts outside the tolerance wait for a manager."
      />
      <Checkbox
        label="Blind counts"
        name="blind_counts"
        checked={draft.blind_counts}
        onChange={(v) => change({ blind_counts: v })}
        hint="The person counting does not see the expected amount or the cash sales before submitting."
      />
      <DenominationsEditor
        legend="Denominations"
        rows={draft.denominations}
        onChange={(rows) => change({ denominations: rows })}
        digits={digits}
        currency={settings.currency}
        problem={problem}
      />
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" busy={save.isPending}>
          Save business rules
        </Button>
        <span role="status" className="text-sm text-emerald-800">
          {saved ? `Saved. Tolerance ${fmt.money(parseMoney(draft.variance_tolerance, digits) ?? 0, settings.currency)}.` : ''}
        </span>
      </div>
    </Form>
  );
}

// ---------------------------------------------------------------- a location: its rules and its registers

function LocationSection({ session }: { session: Session }) {
  const { locations, current } = useCurrentLocation();
  const allowed = locations.filter((l) => can(session, PERMISSION, l.id));
  const [chosen, setChosen] = useState<string | null>(null);
  const location = allowed.find((l) => l.id === chosen) ?? allowed.find((l) => l.id === current?.id) ?? allowed[0];
  if (!location) return <EmptyState>There is no location whose cash you can set up.</EmptyState>;
  return (
    <section aria-labelledby="location-rules-heading" className="flex flex-col gap-4">
      <h2 id="location-rules-heading" className="text-xl font-semibold">
        At one location
      </h2>
      {allowed.length > 1 && (
        <div className="max-w-sm">
          <SelectField label="Location to set up" value={location.id} onChange={(e) => setChosen(e.target.value)}>
            {allowed.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </SelectField>
        </div>
      )}
      <LocationRules key={`rules-${location.id}`} location={location} />
      <Registers key={`registers-${location.id}`} location={location} />
    </section>
  );
}

function LocationRules({ location }: { location: Location }) {
  const settings = useQuery({
    queryKey: ['cash', 'location-settings', location.id],
    queryFn: () => api.get<LocationSettings>(`/cash/locations/${location.id}/settings`),
  });
  const business = useQuery({ queryKey: ['cash', 'settings'], queryFn: () => api.get<BusinessSettings>('/cash/settings') });
  return (
    <Card title={`Rules at ${location.name}`}>
      <QueryView query={settings} loading="Loading this location's rules…">
        {(s) =>
          business.data ? (
            <LocationRulesForm settings={s} business={business.data} location={location} />
          ) : (
            <QueryView query={business}>{() => null}</QueryView>
          )
        }
      </QueryView>
    </Card>
  );
}

type OverrideKey = 'default_float' | 'variance_tolerance' | 'deadline' | 'approval_required' | 'blind_counts' | 'denominations';

interface OverrideDraft {
  own: Record<OverrideKey, boolean>;
  values: RulesDraft;
}

function LocationRulesForm({ settings, business, location }: { settings: LocationSettings; business: BusinessSettings; location: Location }) {
  const client = useQueryClient();
  const fmt = useFormat();
  const digits = settings.minor_digits;
  const o = settings.overrides;
  const [draft, setDraft] = useState<OverrideDraft>(() => ({
    own: {
      default_float: o.default_float !== null,
      variance_tolerance: o.variance_tolerance !== null,
      deadline: o.deadline !== null,
      approval_required: o.approval_required !== null,
      blind_counts: o.blind_counts !== null,
      denominations: o.denominations !== null,
    },
    // An own value starts from what applies now, so switching a field to "own" changes nothing until edited.
    values: toDraft(settings.effective, digits),
  }));
  const [local, setLocal] = useState<Problems>({});
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: (body: Record<OverrideKey, unknown>) => api.put<LocationSettings>(`/cash/locations/${location.id}/settings`, body),
    onSuccess: async (s) => {
      setSaved(true);
      client.setQueryData(['cash', 'location-settings', location.id], s);
      await client.invalidateQueries({ queryKey: ['cash', 'registers'] });
    },
  });
  const setOwn = (k: OverrideKey, own: boolean) => {
    setDraft({ ...draft, own: { ...draft.own, [k]: own } });
    setSaved(false);
  };
  const setValue = (patch: Partial<RulesDraft>) => {
    setDraft({ ...draft, values: { ...draft.values, ...patch } });
    setSaved(false);
  };
  const problem = (path: string) => problemFor(local, save.error, path);
  const submit = () => {
    const problems: Problems = {};
    const v = draft.values;
    const body: Record<OverrideKey, unknown> = {
      denominations: draft.own.denominations ? readDenominations(v.denominations, digits, problems) : null,
      default_float: draft.own.default_float ? readAmount(v.default_float, digits, 'default_float', problems) : null,
      variance_tolerance: draft.own.variance_tolerance ? readAmount(v.variance_tolerance, digits, 'variance_tolerance', problems) : null,
      approval_required: draft.own.approval_required ? v.approval_required : null,
      deadline: draft.own.deadline ? v.deadline : null,
      blind_counts: draft.own.blind_counts ? v.blind_counts : null,
    };
    if (draft.own.deadline && !/^([01]\d|2[0-3]):[0-5]\d$/.test(v.deadline)) problems.deadline = 'Enter a time such as 23:30.';
    setLocal(problems);
    if (Object.keys(problems).length === 0) save.mutate(body);
  };
  const err = save.error instanceof ApiError ? save.error : null;
  const byField = err?.errors.some((e) => e.field.startsWith('body.'));
  const b = business;
  const yesNo = (x: boolean) => (x ? 'yes' : 'no');
  const asBusiness = {
    default_float: fmt.money(b.default_float, b.currency),
    variance_tolerance: fmt.money(b.variance_tolerance, b.currency),
    deadline: b.deadline.slice(0, 5),
    approval_required: yesNo(b.approval_required),
    blind_counts: yesNo(b.blind_counts),
    denominations: `${b.denominations.length} coins and notes`,
  };
  const mode = (k: OverrideKey, label: string) => (
    <SelectField label={label} name={`${k}_mode`} value={draft.own[k] ? 'own' : 'business'} onChange={(e) => setOwn(k, e.target.value === 'own')}>
      <option value="business">As the business ({asBusiness[k]})</option>
      <option value="own">Own value for {location.name}</option>
    </SelectField>
  );

  return (
    <Form onSubmit={submit} error={save.isError && !byField ? save.error : undefined}>
      <p className="text-sm text-stone-600">Each rule follows the business unless this location has its own.</p>
      <div className="grid gap-6 md:grid-cols-2">
        <div className="flex flex-col gap-2">
          {mode('default_float', 'Opening float')}
          {draft.own.default_float && (
            <TextField
              label={`Opening float at ${location.name}`}
              inputMode="decimal"
              value={draft.values.default_float}
              onChange={(e) => setValue({ default_float: e.target.value })}
              error={problem('default_float')}
              hint={`In ${settings.currency}.`}
            />
          )}
        </div>
        <div className="flex flex-col gap-2">
          {mode('variance_tolerance', 'Tolerance')}
          {draft.own.variance_tolerance && (
            <TextField
              label={`Variance tolerance at ${location.name}`}
              inputMode="decimal"
              value={draft.values.variance_tolerance}
              onChange={(e) => setValue({ variance_tolerance: e.target.value })}
              error={problem('variance_tolerance')}
              hint={`In ${settings.currency}.`}
            />
          )}
        </div>
        <div className="flex flex-col gap-2">
          {mode('deadline', 'Deadline')}
          {draft.own.deadline && (
            <TextField
              label={`Daily deadline at ${location.name}`}
              type="time"
              value={draft.values.deadline}
              onChange={(e) => setValue({ deadline: e.target.value })}
              error={problem('deadline')}
              hint={`${location.name}'s clock (${location.time_zone}).`}
            />
          )}
        </div>
        <div className="flex flex-col gap-2">
          {mode('approval_required', 'Approval of every count')}
          {draft.own.approval_required && (
            <Checkbox
              label={`Every count at ${location.name} needs approval`}
              checked={draft.values.approval_required}
              onChange={(v) => setValue({ approval_required: v })}
            />
          )}
        </div>
        <div className="flex flex-col gap-2">
          {mode('blind_counts', 'Blind counts')}
          {draft.own.blind_counts && (
            <Checkbox label={`Blind counts at ${location.name}`} checked={draft.values.blind_counts} onChange={(v) => setValue({ blind_counts: v })} />
          )}
        </div>
        <div className="flex flex-col gap-2 md:col-span-2">
          {mode('denominations', 'Denominations')}
          {draft.own.denominations && (
            <DenominationsEditor
              legend={`Denominations at ${location.name}`}
              rows={draft.values.denominations}
              onChange={(rows) => setValue({ denominations: rows })}
              digits={digits}
              currency={settings.currency}
              problem={problem}
            />
          )}
        </div>
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" busy={save.isPending}>
          Save rules for {location.name}
        </Button>
        <span role="status" className="text-sm text-emerald-800">
          {saved ? 'Saved.' : ''}
        </span>
      </div>
    </Form>
  );
}

function Registers({ location }: { location: Location }) {
  const registers = useQuery({
    queryKey: ['cash', 'registers', location.id, 'all'],
    queryFn: () => api.get<{ items: Register[] }>(`/cash/registers${qs({ location_id: location.id, include_inactive: 'true' })}`),
  });
  return (
    <Card title={`Registers at ${location.name}`}>
      <div className="flex flex-col gap-4">
        <QueryView query={registers} loading="Loading registers…">
          {(data) => <RegisterList registers={data.items} onReload={() => void registers.refetch()} />}
        </QueryView>
        <AddRegister location={location} />
      </div>
    </Card>
  );
}

function RegisterList({ registers, onReload }: { registers: Register[]; onReload: () => void }) {
  const fmt = useFormat();
  const client = useQueryClient();
  const [renaming, setRenaming] = useState<Register | null>(null);
  const toggle = useMutation({
    mutationFn: (r: Register) => api.patch<Register>(`/cash/registers/${r.id}`, { version: r.version, active: !r.active }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['cash', 'registers'] }),
  });
  const stale = toggle.error instanceof ApiError && toggle.error.code === 'stale_version';
  if (registers.length === 0) return <EmptyState>No registers yet. Add the first one below.</EmptyState>;
  const sorted = [...registers].sort((a, b) => Number(b.active) - Number(a.active) || a.name.localeCompare(b.name));
  return (
    <>
      {toggle.isError &&
        (stale ? (
          <Alert tone="warning" title="Someone else changed this register">
            <p>Nothing was changed. Reload to see the register as it is now.</p>
            <Button
              tone="secondary"
              className="mt-2"
              onClick={() => {
                toggle.reset();
                onReload();
              }}
            >
              Reload
            </Button>
          </Alert>
        ) : (
          <Alert>{errorMessage(toggle.error)}</Alert>
        ))}
      <Table caption="Registers" head={['Name', 'Status', 'Drawer now', <span className="sr-only">Actions</span>]}>
        {sorted.map((r) => (
          <tr key={r.id} data-testid="register-row">
            <Td className="font-medium">{r.name}</Td>
            <Td>{r.active ? <Badge tone="good">Active</Badge> : <Badge>Inactive</Badge>}</Td>
            <Td>
              {r.current_drawer ? (
                <>
                  {r.current_drawer.status === 'recount' ? 'Waiting for a recount' : 'Open'}, {r.current_drawer.opened_by.name}
                  <time dateTime={r.current_drawer.opened_at} className="block text-xs text-stone-600">
                    {fmt.dateTime(r.current_drawer.opened_at)}
                  </time>
                </>
              ) : (
                <span className="text-stone-600">None</span>
              )}
            </Td>
            <Td>
              <div className="flex flex-wrap justify-end gap-2">
                <Button tone="secondary" onClick={() => setRenaming(r)} aria-label={`Rename ${r.name}`}>
                  Rename
                </Button>
                <Button
                  tone="secondary"
                  busy={toggle.isPending && toggle.variables?.id === r.id}
                  disabled={toggle.isPending}
                  onClick={() => toggle.mutate(r)}
                  aria-label={`${r.active ? 'Deactivate' : 'Reactivate'} ${r.name}`}
                >
                  {r.active ? 'Deactivate' : 'Reactivate'}
                </Button>
              </div>
            </Td>
          </tr>
        ))}
      </Table>
      <RenameDialog register={renaming} onClose={() => setRenaming(null)} onReload={onReload} />
    </>
  );
}

function RenameDialog({ register, onClose, onReload }: { register: Register | null; onClose: () => void; onReload: () => void }) {
  return (
    <Modal open={register !== null} onClose={onClose} title={register ? `Rename ${register.name}` : 'Rename register'}>
      {register && <RenameForm key={`${register.id}-${register.version}`} register={register} onDone={onClose} onReload={onReload} />}
    </Modal>
  );
}

function RenameForm({ register, onDone, onReload }: { register: Register; onDone: () => void; onReload: () => void }) {
  const client = useQueryClient();
  const [name, setName] = useState(register.name);
  const [missing, setMissing] = useState(false);
  const rename = useMutation({
    mutationFn: () => api.patch<Register>(`/cash/registers/${register.id}`, { version: register.version, name: name.trim() }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['cash', 'registers'] });
      onDone();
    },
  });
  const err = rename.error instanceof ApiError ? rename.error : null;
  const stale = err?.code === 'stale_version';
  const nameError = missing ? 'Give the register a name.' : fieldProblem(err, 'body.name');
  return (
    <Form
      onSubmit={() => {
        if (!name.trim()) {
          setMissing(true);
          return;
        }
        rename.mutate();
      }}
      error={rename.isError && !stale && !nameError ? rename.error : undefined}
    >
      {stale && (
        <Alert tone="warning" title="Someone else changed this register">
          <p>The name was not saved. Reload, then rename it again.</p>
          <Button
            tone="secondary"
            className="mt-2"
            onClick={() => {
              onReload();
              onDone();
            }}
          >
            Reload
          </Button>
        </Alert>
      )}
      <TextField
        label="Register name"
        value={name}
        maxLength={80}
        required
        onChange={(e) => {
          setName(e.target.value);
          setMissing(false);
        }}
        error={nameError}
      />
      <div className="flex flex-wrap justify-end gap-2">
        <Button tone="secondary" onClick={onDone} disabled={rename.isPending}>
          Cancel
        </Button>
        <Button type="submit" busy={rename.isPending}>
          Save name
        </Button>
      </div>
    </Form>
  );
}

function AddRegister({ location }: { location: Location }) {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [missing, setMissing] = useState(false);
  const [added, setAdded] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: () => api.post<Register>('/cash/registers', { location_id: location.id, name: name.trim() }),
    onSuccess: async (r) => {
      setAdded(r.name);
      setName('');
      await client.invalidateQueries({ queryKey: ['cash', 'registers'] });
    },
  });
  const err = add.error instanceof ApiError ? add.error : null;
  const nameError = missing ? 'Give the register a name.' : fieldProblem(err, 'body.name');
  return (
    <Form
      className="border-t border-stone-200 pt-4"
      onSubmit={() => {
        setAdded(null);
        if (!name.trim()) {
          setMissing(true);
          return;
        }
        add.mutate();
      }}
      error={add.isError && !nameError ? add.error : undefined}
    >
      <div className="flex flex-col gap-2 sm:flex-row sm:items-start">
        <div className="sm:w-80">
          <TextField
            label="New register name"
            name="register_name"
            value={name}
            maxLength={80}
            onChange={(e) => {
              setName(e.target.value);
              setMissing(false);
            }}
            error={nameError}
            hint="For example “Bar till” or “Patio register”."
          />
        </div>
        <Button type="submit" busy={add.isPending} className="sm:mt-7">
          Add register
        </Button>
      </div>
      <p role="status" className="text-sm text-emerald-800">
        {added ? `${added} added.` : ''}
      </p>
    </Form>
  );
}
