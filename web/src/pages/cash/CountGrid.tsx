import { useId, useMemo, useRef, type KeyboardEvent } from 'react';
import { useFormat } from '../../lib/format';
import { cx } from '../../ui';
import type { CountLine, Denomination } from './types';

/**
 * Counting a drawer by denomination on a tablet: one row per note and coin, largest first, with a quantity field
 * and big − / + buttons, and the running total read out as it changes. The grid holds no state of its own: the page
 * keeps the quantities (so a count survives a re-render, and the same grid serves the opening float and the close).
 */

/** How many of each denomination, keyed by its value in minor units. */
export type Quantities = Record<number, number>;

const MAX_QUANTITY = 100_000;

/** Notes before coins, each largest first: the order a drawer is counted in. */
export function sortDenominations(ds: readonly Denomination[]): Denomination[] {
  return [...ds].sort((a, b) => (a.kind === b.kind ? b.value - a.value : a.kind === 'note' ? -1 : 1));
}

/**
 * Quantities from a count's lines, kept to the denominations the location counts now: the server refuses any other
 * value, and a total that included a note the grid does not show would not add up on screen.
 */
export function quantitiesFrom(lines: readonly CountLine[], ds: readonly Denomination[]): Quantities {
  const known = new Set(ds.map((d) => d.value));
  const q: Quantities = {};
  for (const l of lines) if (known.has(l.value)) q[l.value] = l.quantity;
  return q;
}

/** Every denomination of the grid as a count line, zeros included: "no $100 notes" is part of the count too. */
export function linesFrom(ds: readonly Denomination[], q: Quantities): CountLine[] {
  return ds.map((d) => ({ value: d.value, quantity: q[d.value] ?? 0 }));
}

/** What the quantities come to, in minor units (integers only). */
export function quantitiesTotal(q: Quantities): number {
  let sum = 0;
  for (const [value, quantity] of Object.entries(q)) sum += Number(value) * quantity;
  return sum;
}

/** "$20", "$0.25", "¥500": the face of a note or coin, without decimals a whole value does not need. */
export function useDenominationName(currency: string, digits: number) {
  const { locale } = useFormat();
  return useMemo(() => {
    const whole = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: 0, maximumFractionDigits: 0 });
    const exact = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
    const unit = 10 ** digits;
    // The division only shapes the text shown; the value itself stays the integer it came as.
    return (value: number) => (value % unit === 0 ? whole.format(value / unit) : exact.format(value / unit));
  }, [locale, currency, digits]);
}

export function CountGrid({
  denominations,
  value,
  onChange,
  currency,
  minorDigits,
  label = 'Count by denomination',
  totalLabel = 'Total counted',
  large = false,
  disabled = false,
}: {
  denominations: readonly Denomination[];
  value: Quantities;
  onChange: (next: Quantities) => void;
  currency: string;
  minorDigits: number;
  /** The grid's name for assistive technology ("Opening float", "Closing count"). */
  label?: string;
  totalLabel?: string;
  /** Bigger rows and buttons, for the shared kiosk. */
  large?: boolean;
  disabled?: boolean;
}) {
  const id = useId();
  const fmt = useFormat();
  const face = useDenominationName(currency, minorDigits);
  const inputs = useRef(new Map<number, HTMLInputElement>());
  const sorted = useMemo(() => sortDenominations(denominations), [denominations]);
  const total = quantitiesTotal(Object.fromEntries(sorted.map((d) => [d.value, value[d.value] ?? 0])));

  const set = (v: number, quantity: number) => onChange({ ...value, [v]: Math.max(0, Math.min(MAX_QUANTITY, quantity)) });

  // Enter and the arrow keys work like a tally sheet: Enter goes to the next row, up and down change the quantity.
  const onKey = (e: KeyboardEvent<HTMLInputElement>, index: number, v: number) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      const next = sorted[index + 1];
      if (next) inputs.current.get(next.value)?.focus();
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      set(v, (value[v] ?? 0) + 1);
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      set(v, (value[v] ?? 0) - 1);
    }
  };

  const groups = (['note', 'coin'] as const)
    .map((kind) => ({ kind, items: sorted.filter((d) => d.kind === kind) }))
    .filter((g) => g.items.length > 0);
  const btn = cx(
    'flex shrink-0 items-center justify-center rounded-md bg-white font-semibold text-stone-900 ring-1 ring-inset ring-stone-300 hover:bg-stone-100 active:bg-stone-200 disabled:opacity-60',
    large ? 'size-11 text-2xl sm:size-14 sm:text-3xl' : 'size-11 text-2xl',
  );

  return (
    <div role="group" aria-label={label} className="flex flex-col gap-3">
      {groups.map((g) => (
        <fieldset key={g.kind} className="flex flex-col gap-1">
          <legend className="mb-1 text-sm font-semibold uppercase tracking-wide text-stone-600">{g.kind === 'note' ? 'Notes' : 'Coins'}</legend>
          {g.items.map((d) => {
            const index = sorted.indexOf(d);
            const q = value[d.value] ?? 0;
            const name = face(d.value);
            const inputId = `${id}-${d.value}`;
            return (
              // On a narrow screen the line total wraps under the row rather than squeezing the buttons.
              <div key={d.value} className={cx('flex flex-wrap items-center gap-x-3 gap-y-1 border-b border-stone-100 sm:gap-x-4', large ? 'py-2' : 'py-1')}>
                <label htmlFor={inputId} className={cx('min-w-20 flex-1 font-medium', large ? 'text-xl' : 'text-base')}>
                  {name} {g.kind === 'note' ? 'notes' : 'coins'}
                </label>
                <div className="flex items-center gap-2">
                  {/* Out of the Tab order: Tab goes straight down the quantities, as a person counting expects. */}
                  <button type="button" tabIndex={-1} className={btn} disabled={disabled || q === 0} aria-label={`One fewer ${name} ${d.kind}`} onClick={() => set(d.value, q - 1)}>
                    <span aria-hidden="true">−</span>
                  </button>
                  <input
                    id={inputId}
                    ref={(el) => {
                      if (el) inputs.current.set(d.value, el);
                      else inputs.current.delete(d.value);
                    }}
                    type="text"
                    inputMode="numeric"
                    pattern="[0-9]*"
                    autoComplete="off"
                    disabled={disabled}
                    placeholder="0"
                    // Zero shows as the empty field's placeholder, so typing a quantity never has to delete a 0 first.
                    value={q === 0 ? '' : String(q)}
                    onFocus={(e) => e.currentTarget.select()}
                    onChange={(e) => {
                      const digits = e.target.value.replace(/\D/g, '').slice(0, 6);
                      set(d.value, digits ? Number(digits) : 0);
                    }}
                    onKeyDown={(e) => onKey(e, index, d.value)}
                    className={cx(
                      'rounded-md border border-stone-300 bg-white text-center font-mono shadow-sm',
                      large ? 'h-11 w-20 text-xl sm:h-14 sm:w-24 sm:text-2xl' : 'h-11 w-20 text-xl',
                    )}
                  />
                  <button type="button" tabIndex={-1} className={btn} disabled={disabled || q >= MAX_QUANTITY} aria-label={`One more ${name} ${d.kind}`} onClick={() => set(d.value, q + 1)}>
                    <span aria-hidden="true">+</span>
                  </button>
                </div>
                <span className={cx('ml-auto min-w-24 text-right font-mono tabular-nums text-stone-700', large ? 'text-lg' : 'text-base')} data-testid={`line-total-${d.value}`}>
                  {fmt.money(d.value * q, currency)}
                </span>
              </div>
            );
          })}
        </fieldset>
      ))}
      <p aria-live="polite" aria-atomic="true" className={cx('flex items-baseline justify-between gap-4 rounded-md bg-stone-100 px-3 py-2 font-semibold', large ? 'text-2xl' : 'text-xl')}>
        <span>{totalLabel}</span>
        <span className="font-mono tabular-nums" data-testid="count-total">
          {fmt.money(total, currency)}
        </span>
      </p>
    </div>
  );
}
