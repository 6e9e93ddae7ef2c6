import type { Entitlements } from '../core/entitlements.ts';

/** The features a plan can include; a module's routes belong to one of them. */
export const FEATURES = [
  'waitlist',
  'workforce',
  'cash',
  'foodsafety',
  'ordering',
  'analytics',
  'api_access',
  'custom_branding',
  'custom_domain',
  'sso',
] as const;
export type Feature = (typeof FEATURES)[number];

/** What a plan limits. Counted ones are enforced when something is created; rates by the request path. */
export const LIMITS = [
  'employees',
  'users',
  'locations',
  'queues_per_location',
  'storage_bytes',
  'api_calls_per_day',
  'requests_per_15_minutes',
] as const;
export type Limit = (typeof LIMITS)[number];

export const PLAN_CODES = ['basic', 'professional', 'enterprise'] as const;
export type PlanCode = (typeof PLAN_CODES)[number];

export interface PlanRow {
  code: string;
  features: string[];
  limits: Record<string, number | null>;
}

export interface Overrides {
  features: Record<string, boolean>;
  limits: Record<string, number | null>;
}

/** The plan with the operator's exceptions for one tenant: an override wins over the plan, feature by feature. */
export function entitlementsOf(plan: PlanRow, overrides: Overrides): Entitlements {
  const features = new Set(plan.features);
  for (const [f, on] of Object.entries(overrides.features)) {
    if (on) features.add(f);
    else features.delete(f);
  }
  return { plan: plan.code, features: [...features].sort(), limits: { ...plan.limits, ...overrides.limits } };
}
