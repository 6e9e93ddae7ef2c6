/**
 * The words for what a plan holds: its features (modules a business can have switched on) and its limits. The
 * server names them by code; the owner's usage page and the back office show them the same way.
 */

const featureNames: Record<string, string> = {
  waitlist: 'Waitlist',
  workforce: 'Time clock and timesheets',
  cash: 'Cash at close',
  foodsafety: 'Food safety',
  ordering: 'Ordering',
  analytics: 'Analytics',
  api_access: 'API access',
  custom_branding: 'Custom branding',
  custom_domain: 'Custom domain',
  sso: 'Single sign-on',
};

const limitNames: Record<string, string> = {
  employees: 'People',
  users: 'Back-office seats',
  locations: 'Locations',
  queues_per_location: 'Waitlist queues per location',
  storage_bytes: 'Storage',
  api_calls_per_day: 'API calls per day',
  requests_per_15_minutes: 'Requests per 15 minutes',
};

const limitHints: Record<string, string> = {
  employees: 'Everyone with an account, and invitations not yet accepted.',
  users: 'People with a role above staff: owners, admins, managers, compliance officers, auditors.',
  queues_per_location: 'Counted at the location with the most queues.',
};

const metricNames: Record<string, string> = {
  messages_sent: 'Messages sent to guests',
  'messages_sent.sms': 'Text messages (SMS)',
  'messages_sent.whatsapp': 'WhatsApp messages',
  'messages_sent.email': 'Emails to guests',
  api_calls: 'API calls',
};

/** `queues_per_location` → "Queues per location", for a name the pages were not told about yet. */
const humanize = (code: string) => {
  const s = code.replace(/[_.]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
};

/** Every feature a business can have (src/platform/plans.ts), so a page can say what a plan leaves out too. */
export const FEATURES = Object.keys(featureNames);

export const featureName = (code: unknown): string => (typeof code === 'string' ? (featureNames[code] ?? humanize(code)) : 'This feature');
export const limitName = (code: string): string => limitNames[code] ?? humanize(code);
export const limitHint = (code: string): string | undefined => limitHints[code];
export const metricName = (code: string): string => metricNames[code] ?? humanize(code);
export const planName = (code: string): string => humanize(code);

/** Features in the order the pages list them: the known ones first, in a restaurant's order of need. */
export function orderFeatures(codes: Iterable<string>): string[] {
  const known = Object.keys(featureNames);
  const all = new Set(codes);
  return [...known.filter((k) => all.has(k)), ...[...all].filter((k) => !known.includes(k)).sort()];
}

export function orderLimits(codes: Iterable<string>): string[] {
  const known = Object.keys(limitNames);
  const all = new Set(codes);
  return [...known.filter((k) => all.has(k)), ...[...all].filter((k) => !known.includes(k)).sort()];
}

const number = new Intl.NumberFormat('en-US');

/** A limit's value as a person reads it: "Unlimited" for null, bytes as GB. */
export function limitValue(code: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return 'Unlimited';
  if (code === 'storage_bytes') return bytes(value);
  return number.format(value);
}

export function bytes(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}
