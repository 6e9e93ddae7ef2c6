import type { Client } from '../../test/harness.ts';
import type { SeededTenant } from './demo.ts';

/**
 * For the cross-tenant sweep (test/sweep.test.ts). The operator's routes name a business by :id; the business
 * itself is the resource (these routes are refused to every tenant credential: src/platform/platform.test.ts).
 */
export const sweepFixtures: Record<string, (ctx: { client: Client; tenant: SeededTenant }) => Promise<string>> = {
  tenant: ({ tenant }) => Promise.resolve(tenant.id),
};
