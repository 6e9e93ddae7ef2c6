import { useId, useState, type ButtonHTMLAttributes, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TdHTMLAttributes } from 'react';
import type { UseQueryResult } from '@tanstack/react-query';
import { Dialog, DialogBackdrop, DialogPanel, DialogTitle } from '@headlessui/react';
import { ApiError } from '../lib/api';
import { featureName } from '../lib/plans';

/**
 * The few building blocks every page is made of. Pages compose these instead of styling elements themselves,
 * so focus rings, error colours and spacing are the same everywhere.
 */

const cx = (...parts: (string | false | null | undefined)[]) => parts.filter(Boolean).join(' ');

type Tone = 'primary' | 'secondary' | 'danger' | 'ghost';
const tones: Record<Tone, string> = {
  primary: 'bg-brand text-brand-contrast hover:opacity-90',
  secondary: 'bg-white text-stone-900 ring-1 ring-inset ring-stone-300 hover:bg-stone-100',
  danger: 'bg-red-700 text-white hover:bg-red-800',
  ghost: 'text-stone-700 hover:bg-stone-200',
};

export function Button({
  tone = 'primary',
  busy = false,
  size = 'md',
  className,
  children,
  disabled,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { tone?: Tone; busy?: boolean; size?: 'md' | 'lg' }) {
  return (
    <button
      type="button"
      {...rest}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      className={cx(
        'inline-flex items-center justify-center gap-2 rounded-md font-medium disabled:cursor-not-allowed disabled:opacity-60',
        size === 'lg' ? 'px-5 py-3 text-lg' : 'px-3.5 py-2 text-sm',
        tones[tone],
        className,
      )}
    >
      {busy && <Spinner small />}
      {children}
    </button>
  );
}

interface FieldProps {
  label: string;
  error?: string;
  hint?: ReactNode;
}

function FieldShell({ id, label, error, hint, children }: FieldProps & { id: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium text-stone-800">
        {label}
      </label>
      {children}
      {hint && !error && (
        <p id={`${id}-hint`} className="text-xs text-stone-600">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="text-sm text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

const inputClass = (error?: string) =>
  cx(
    'w-full rounded-md border bg-white px-3 py-2 text-base text-stone-900 shadow-sm',
    error ? 'border-red-600' : 'border-stone-300',
  );

export function TextField({ label, error, hint, className, ...input }: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <FieldShell id={id} label={label} error={error} hint={hint}>
      <input
        id={id}
        {...input}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : hint ? `${id}-hint` : undefined}
        className={cx(inputClass(error), className)}
      />
    </FieldShell>
  );
}

export function SelectField({ label, error, hint, children, ...select }: FieldProps & SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useId();
  return (
    <FieldShell id={id} label={label} error={error} hint={hint}>
      <select id={id} {...select} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} className={inputClass(error)}>
        {children}
      </select>
    </FieldShell>
  );
}

/** A checkbox with its label beside it, and a hint under the label. */
export function CheckboxField({ label, hint, ...input }: { label: string; hint?: ReactNode } & Omit<InputHTMLAttributes<HTMLInputElement>, 'type'>) {
  const id = useId();
  return (
    <div className="flex items-start gap-3">
      <input id={id} type="checkbox" {...input} className="mt-0.5 size-5 rounded border-stone-400" aria-describedby={hint ? `${id}-hint` : undefined} />
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

export function Alert({ tone = 'error', title, children }: { tone?: 'error' | 'success' | 'info' | 'warning'; title?: string; children: ReactNode }) {
  const styles = {
    error: 'border-red-300 bg-red-50 text-red-900',
    success: 'border-emerald-300 bg-emerald-50 text-emerald-900',
    info: 'border-sky-300 bg-sky-50 text-sky-900',
    warning: 'border-amber-300 bg-amber-50 text-amber-900',
  }[tone];
  return (
    <div role={tone === 'error' || tone === 'warning' ? 'alert' : 'status'} className={cx('rounded-md border px-4 py-3 text-sm', styles)}>
      {title && <p className="font-semibold">{title}</p>}
      <div>{children}</div>
    </div>
  );
}

export function Spinner({ small = false }: { small?: boolean }) {
  return <span aria-hidden="true" className={cx('inline-block animate-spin rounded-full border-2 border-current border-r-transparent', small ? 'size-4' : 'size-6')} />;
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div role="status" className="flex items-center gap-3 py-8 text-stone-600">
      <Spinner />
      <span>{label}</span>
    </div>
  );
}

/** The message to show for a failed request: the server's own words where it gave them. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    // The server says what is off; only the business's owners can have Brigade switch it back on.
    if (err.code === 'feature_disabled') return `${err.message} An owner of the business can ask Brigade to switch it on.`;
    return err.message;
  }
  return 'Something went wrong. Try again.';
}

/**
 * A heading for the refusals any page can meet, so a plan's limit, a module switched off or a suspended account
 * reads the same on every form: the one place forms learn about them.
 */
export function problemTitle(err: unknown): string | undefined {
  if (!(err instanceof ApiError)) return undefined;
  if (err.code === 'limit_exceeded') return 'Plan limit reached';
  if (err.code === 'feature_disabled') return `${featureName(err.extra.feature)} is not available`;
  if (err.code === 'tenant_suspended') return 'Account suspended';
  return undefined;
}

/** A failed request as an alert: its heading when it has one (see problemTitle), the server's words below. */
export function ProblemAlert({ error, title }: { error: unknown; title?: string }) {
  return <Alert title={problemTitle(error) ?? title}>{errorMessage(error)}</Alert>;
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <Alert title={problemTitle(error) ?? 'This could not be loaded'}>
      <p>{errorMessage(error)}</p>
      {retry && (
        <Button tone="secondary" className="mt-2" onClick={retry}>
          Try again
        </Button>
      )}
    </Alert>
  );
}

/** Loading, error and data states of a query, so no page forgets one. */
export function QueryView<T>({ query, children, loading }: { query: UseQueryResult<T>; children: (data: T) => ReactNode; loading?: string }) {
  if (query.isPending) return <Loading label={loading} />;
  if (query.isError) return <ErrorState error={query.error} retry={() => void query.refetch()} />;
  return <>{children(query.data)}</>;
}

export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="mb-6 flex flex-wrap items-end justify-between gap-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
        {description && <p className="mt-1 text-stone-600">{description}</p>}
      </div>
      {actions && <div className="flex flex-wrap gap-2">{actions}</div>}
    </header>
  );
}

export function Card({ title, children, className }: { title?: string; children: ReactNode; className?: string }) {
  return (
    <section className={cx('rounded-lg border border-stone-200 bg-white p-4 shadow-sm sm:p-6', className)} aria-label={title}>
      {title && <h2 className="mb-4 text-lg font-semibold">{title}</h2>}
      {children}
    </section>
  );
}

/** A table that scrolls sideways on a phone instead of squeezing its columns. */
export function Table({ caption, head, children }: { caption: string; head: ReactNode[]; children: ReactNode }) {
  return (
    // Focusable and named, so a keyboard user can scroll the table sideways on a phone too.
    <div tabIndex={0} role="region" aria-label={caption} className="overflow-x-auto rounded-lg border border-stone-200 bg-white">
      <table className="min-w-full divide-y divide-stone-200 text-sm">
        <caption className="sr-only">{caption}</caption>
        <thead className="bg-stone-100 text-left text-xs font-semibold uppercase tracking-wide text-stone-600">
          <tr>
            {head.map((h, i) => (
              <th key={i} scope="col" className="px-3 py-2">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-stone-100">{children}</tbody>
      </table>
    </div>
  );
}

export function Td({ children, className, ...rest }: TdHTMLAttributes<HTMLTableCellElement> & { children: ReactNode }) {
  return (
    <td {...rest} className={cx('px-3 py-2 align-top', className)}>
      {children}
    </td>
  );
}

export function Badge({ tone = 'neutral', children }: { tone?: 'neutral' | 'good' | 'warn' | 'bad'; children: ReactNode }) {
  const styles = { neutral: 'bg-stone-100 text-stone-800', good: 'bg-emerald-100 text-emerald-900', warn: 'bg-amber-100 text-amber-900', bad: 'bg-red-100 text-red-900' }[tone];
  return <span className={cx('inline-block rounded px-2 py-0.5 text-xs font-medium', styles)}>{children}</span>;
}

export function EmptyState({ children }: { children: ReactNode }) {
  return <p className="rounded-lg border border-dashed border-stone-300 p-6 text-center text-stone-600">{children}</p>;
}

/** A form that lays its fields out in one column and shows the server's refusal above the button. */
export function Form({ onSubmit, children, error, className }: { onSubmit: () => void; children: ReactNode; error?: unknown; className?: string }) {
  return (
    <form
      noValidate
      className={cx('flex flex-col gap-4', className)}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {error ? <ProblemAlert error={error} /> : null}
      {children}
    </form>
  );
}

/**
 * A dialog over the page (Headless UI: focus kept inside, Escape and a click outside close it, focus returns to
 * what opened it). `actions` sit at the bottom right, the way confirmations read.
 */
export function Modal({
  open,
  onClose,
  title,
  children,
  actions,
  wide = false,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  actions?: ReactNode;
  wide?: boolean;
}) {
  return (
    <Dialog open={open} onClose={onClose} className="relative z-50">
      <DialogBackdrop className="fixed inset-0 bg-black/40" />
      <div className="fixed inset-0 flex w-screen items-center justify-center p-2 sm:p-4">
        <DialogPanel className={cx('flex max-h-[90vh] w-full flex-col gap-4 overflow-y-auto rounded-lg bg-white p-4 shadow-xl sm:p-6', wide ? 'max-w-2xl' : 'max-w-md')}>
          <DialogTitle className="text-lg font-semibold">{title}</DialogTitle>
          <div className="flex flex-col gap-4">{children}</div>
          {actions && <div className="flex flex-wrap justify-end gap-2">{actions}</div>}
        </DialogPanel>
      </div>
    </Dialog>
  );
}

export { cx };

/** A secret or link to hand over (a kiosk's set-up link, a domain's token): readable, selectable, one tap to copy. */
export function CopyField({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <div className="flex flex-col gap-2 sm:flex-row sm:items-end">
      <div className="min-w-0 flex-1">
        <TextField label={label} value={value} readOnly className="font-mono text-sm" onFocus={(e) => e.currentTarget.select()} />
      </div>
      <Button tone="secondary" onClick={() => void copy()} aria-label={`Copy ${label.toLowerCase()}`}>
        Copy
      </Button>
      <span role="status" className="text-sm text-stone-600 sm:self-center">
        {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Select the text and copy it' : ''}
      </span>
    </div>
  );
}
