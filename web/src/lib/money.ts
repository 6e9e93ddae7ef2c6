/**
 * Money typed by a person, turned into integer minor units without ever passing through a float: "12.3" in USD is
 * 1230, "1,000" in JPY is 1000. Returns null when the text is not an amount in that currency.
 */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

export function parseMoney(text: string, digits: number): number | null {
  const t = text.trim().replace(/[\s,']/g, '');
  const m = /^(\d{1,12})(?:\.(\d*))?$/.exec(t) ?? /^()\.(\d+)$/.exec(t);
  if (!m) return null;
  const whole = m[1] || '0';
  const frac = m[2] ?? '';
  if (frac.length > digits) return null;
  const minor = BigInt(whole) * 10n ** BigInt(digits) + BigInt((frac + '0'.repeat(digits)).slice(0, digits) || '0');
  return minor <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(minor) : null;
}

/** Minor units back to the plain text a person would type (no currency sign, no grouping): 1230 → "12.30". */
export function moneyInput(minor: number, digits: number): string {
  if (digits === 0) return String(minor);
  const sign = minor < 0 ? '-' : '';
  const s = String(Math.abs(minor)).padStart(digits + 1, '0');
  return `${sign}${s.slice(0, -digits)}.${s.slice(-digits)}`;
}
