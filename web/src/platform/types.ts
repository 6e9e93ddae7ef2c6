/** The back office's view of Brigade's API (src/platform/routes.ts): what the operator reads and changes. */

export type TenantStatus = 'trial' | 'active' | 'past_due' | 'suspended' | 'cancelled' | 'purged';

export interface OperatorSession {
  user_id: string;
  email: string;
  role: string;
  permissions: string[];
  csrf_token: string;
}

export interface Plan {
  code: string;
  name: string;
  features: string[];
  limits: Record<string, number | null>;
}

export interface TenantSummary {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
  plan: string;
  trial_ends_at: string | null;
  created_at: string;
  users: number;
  locations: number;
}

export interface TenantPage {
  items: TenantSummary[];
  next_cursor: string | null;
}

export interface Overrides {
  features: Record<string, boolean>;
  limits: Record<string, number | null>;
}

export interface TenantDetail {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
  plan: string;
  trial_ends_at: string | null;
  cancelled_at: string | null;
  status_changed_at: string;
  custom_domain: string | null;
  time_zone: string;
  currency: string;
  locale: string;
  version: number;
  created_at: string;
  overrides: Overrides;
  entitlements: { plan: string; features: string[]; limits: Record<string, number | null> };
  usage: Record<string, number>;
  daily_usage: { day: string; metric: string; value: number }[];
  users: { id: string; email: string; name: string; status: string; roles: string[] }[];
  locations: { id: string; name: string; time_zone: string }[];
  history: { from_status: string; to_status: string; reason: string; actor_label: string; at: string }[];
  recent_audit: { at: string; actor_label: string; action: string; resource_type: string; risk: string }[];
}

/** What `plan_limits_exceeded` lists: each limit the business uses more of than the new plan allows. */
export interface OverLimit {
  limit: string;
  used: number;
  allowed: number;
}

export const STATUSES: TenantStatus[] = ['trial', 'active', 'past_due', 'suspended', 'cancelled', 'purged'];

export const statusNames: Record<TenantStatus, string> = {
  trial: 'Trial',
  active: 'Active',
  past_due: 'Past due',
  suspended: 'Suspended',
  cancelled: 'Cancelled',
  purged: 'Purged',
};

export const statusTone: Record<TenantStatus, 'neutral' | 'good' | 'warn' | 'bad'> = {
  trial: 'neutral',
  active: 'good',
  past_due: 'warn',
  suspended: 'bad',
  cancelled: 'bad',
  purged: 'bad',
};

export const statusName = (s: string) => statusNames[s as TenantStatus] ?? s;
