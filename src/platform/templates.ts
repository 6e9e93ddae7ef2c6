import { FEATURES, type Feature } from './plans.ts';
import type { TenantRole } from '../identity/permissions.ts';

/**
 * What kind of business a new tenant is: which modules it starts with switched on, its default settings, and
 * the names its starter data gets. Modules read `names` for their own starter rows (see src/core/starter.ts).
 */
export interface Template {
  label: string;
  features: readonly Feature[];
  /** The roles the business starts with: what its invitations offer until the owner changes them. */
  roles: readonly TenantRole[];
  currency: string;
  locale: string;
  /** Names of starter rows, by what they are: the modules look up theirs. */
  names: { queue?: string; register: string };
}

const CORE: Feature[] = ['workforce', 'cash', 'foodsafety'];
const ALL_ROLES: TenantRole[] = ['owner', 'admin', 'location_manager', 'compliance_officer', 'manager', 'staff', 'auditor'];
// A small counter business: the owner, someone who runs the shift, the team.
const SMALL_ROLES: TenantRole[] = ['owner', 'admin', 'manager', 'staff'];

export const TEMPLATES = {
  restaurant: { label: 'Restaurant', features: [...CORE, 'waitlist', 'ordering'], roles: ALL_ROLES, currency: 'USD', locale: 'en-US', names: { queue: 'Dining room', register: 'Front of house' } },
  cafe: { label: 'Café', features: [...CORE, 'ordering'], roles: SMALL_ROLES, currency: 'USD', locale: 'en-US', names: { register: 'Counter' } },
  bar: { label: 'Bar', features: [...CORE, 'waitlist'], roles: [...SMALL_ROLES, 'auditor'], currency: 'USD', locale: 'en-US', names: { queue: 'Tables', register: 'Bar till' } },
  hotel_restaurant: {
    label: 'Hotel restaurant',
    features: [...CORE, 'waitlist', 'ordering'],
    // A hotel's outlets answer to its compliance and audit functions.
    roles: ALL_ROLES,
    currency: 'USD',
    locale: 'en-US',
    names: { queue: 'Restaurant', register: 'Restaurant desk' },
  },
  retail: { label: 'Retail', features: ['workforce', 'cash', 'waitlist'], roles: ['owner', 'admin', 'location_manager', 'manager', 'staff', 'auditor'], currency: 'USD', locale: 'en-US', names: { queue: 'Store line', register: 'Checkout' } },
} as const satisfies Record<string, Template>;

export type TemplateCode = keyof typeof TEMPLATES;
export const TEMPLATE_CODES = Object.keys(TEMPLATES) as [TemplateCode, ...TemplateCode[]];

export function templateOf(code: string): Template {
  return (TEMPLATES as Record<string, Template>)[code] ?? TEMPLATES.restaurant;
}

/** The modules a template leaves off become per-tenant overrides, so the plan still decides the extras. */
export function featureOverridesOf(t: Template): Record<string, boolean> {
  const modules: Feature[] = ['waitlist', 'workforce', 'cash', 'foodsafety', 'ordering'];
  return Object.fromEntries(modules.filter((m) => FEATURES.includes(m) && !t.features.includes(m)).map((m) => [m, false]));
}
