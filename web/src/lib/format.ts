import { useMemo } from 'react';
import { useBusiness, useCurrentLocation } from './session';

/**
 * Dates and money in the business's locale; times in the time zone of the location being worked at (a manager in
 * Lisbon reading a Boston location's log sees Boston's clock), falling back to the business's own time zone.
 */
export function useFormat(timeZoneOverride?: string) {
  const { data: business } = useBusiness();
  const { current } = useCurrentLocation();
  const locale = business?.locale ?? 'en-US';
  const timeZone = timeZoneOverride ?? current?.time_zone ?? business?.time_zone ?? 'UTC';
  const currency = business?.currency ?? 'USD';
  return useMemo(() => {
    const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone });
    const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone });
    const moneyFormats = new Map<string, Intl.NumberFormat>();
    const moneyFormat = (c: string) => {
      let f = moneyFormats.get(c);
      if (!f) moneyFormats.set(c, (f = new Intl.NumberFormat(locale, { style: 'currency', currency: c })));
      return f;
    };
    return {
      locale,
      timeZone,
      currency,
      dateTime: (iso: string | null | undefined) => (iso ? dateTime.format(new Date(iso)) : '—'),
      date: (iso: string | null | undefined) => (iso ? date.format(new Date(iso)) : '—'),
      /** Integer minor units to text; the digits after the point come from the currency, never from a float. */
      money: (minor: number, c: string = currency) => {
        const f = moneyFormat(c);
        const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
        return f.format(minor / 10 ** digits);
      },
    };
  }, [locale, timeZone, currency]);
}
