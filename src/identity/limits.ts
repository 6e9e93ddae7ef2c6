import type { LimitCounters } from '../core/entitlements.ts';
import type { TenantTx } from '../core/db/tx.ts';

/**
 * `employees` counts everyone in the business; `users` the back-office seats (anyone holding a role above staff).
 * A pending invitation holds its place, so inviting ten people at once cannot overshoot the plan.
 */
async function employees(tx: TenantTx): Promise<number> {
  const [r] = await tx.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM users WHERE tenant_id = $1 AND status = 'active')
          + (SELECT count(*) FROM invitations WHERE tenant_id = $1 AND accepted_at IS NULL AND expires_at > now()
               AND lower(email) NOT IN (SELECT email FROM users WHERE tenant_id = $1)) AS n`,
    [tx.tenantId],
  );
  return Number(r!.n);
}

async function seats(tx: TenantTx): Promise<number> {
  const [r] = await tx.query<{ n: number }>(
    `SELECT (SELECT count(DISTINCT u.id) FROM users u JOIN role_assignments ra ON ra.tenant_id = u.tenant_id AND ra.user_id = u.id
              WHERE u.tenant_id = $1 AND u.status = 'active' AND ra.role <> 'staff')
          + (SELECT count(*) FROM invitations WHERE tenant_id = $1 AND accepted_at IS NULL AND expires_at > now() AND role <> 'staff'
               AND lower(email) NOT IN (SELECT email FROM users WHERE tenant_id = $1)) AS n`,
    [tx.tenantId],
  );
  return Number(r!.n);
}

export function defineIdentityLimits(limits: LimitCounters): void {
  limits.define('employees', { count: (tx) => employees(tx), usage: employees });
  limits.define('users', {
    count: (tx, { body }) => ((body as { role?: string } | null)?.role === 'staff' ? Promise.resolve(null) : seats(tx)),
    usage: seats,
  });
}
