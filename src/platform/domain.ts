import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import type { TenantTx } from '../core/db/tx.ts';
import { AppError, errors } from '../core/errors.ts';
import { instant } from '../core/schemas.ts';

export const WELL_KNOWN_PATH = '/.well-known/brigade-domain-verification.txt';

export const domainBody = z.strictObject({
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .max(253)
    .regex(/^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { error: 'a domain name such as www.harbourgrill.ie' }),
});

export const domainState = z.object({
  domain: z.string().nullable(),
  verified_at: instant.nullable(),
  pending: z
    .object({ domain: z.string(), token: z.string(), verify_url: z.string(), instructions: z.string() })
    .nullable(),
});

/** Where the check looks; tests point it at a local peer (DOMAIN_VERIFY_URL, `{domain}` in it). */
export interface DomainDeps {
  verifyUrlTemplate: string | undefined;
  baseDomain: string;
}

function verifyUrl(deps: DomainDeps, domain: string): string {
  return deps.verifyUrlTemplate ? deps.verifyUrlTemplate.replace('{domain}', domain) : `http://${domain}${WELL_KNOWN_PATH}`;
}

export async function state(tx: TenantTx, deps: DomainDeps): Promise<z.output<typeof domainState>> {
  const [t] = await tx.query<{ custom_domain: string | null; custom_domain_verified_at: Date | null; custom_domain_pending: string | null; custom_domain_token: string | null }>(
    `SELECT custom_domain, custom_domain_verified_at, custom_domain_pending, custom_domain_token FROM tenants WHERE id = $1`,
    [tx.tenantId],
  );
  const pending =
    t!.custom_domain_pending && t!.custom_domain_token
      ? {
          domain: t!.custom_domain_pending,
          token: t!.custom_domain_token,
          verify_url: verifyUrl(deps, t!.custom_domain_pending),
          instructions: `Serve the token as plain text at http://${t!.custom_domain_pending}${WELL_KNOWN_PATH} and point the domain at Brigade, then ask Brigade to check it.`,
        }
      : null;
  return { domain: t!.custom_domain, verified_at: t!.custom_domain_verified_at, pending };
}

export async function request(tx: TenantTx, deps: DomainDeps, domain: string) {
  if (domain === deps.baseDomain || domain.endsWith(`.${deps.baseDomain}`)) {
    throw errors.validation([{ field: 'body.domain', code: 'domain_is_brigade', message: `${deps.baseDomain} addresses are Brigade's own` }]);
  }
  // A business sees only its own row of tenants (migration 018): the owner's function answers for the others.
  const [{ taken } = { taken: false }] = await tx.query<{ taken: boolean }>(`SELECT brigade_custom_domain_taken($1) AS taken`, [domain]);
  if (taken) throw errors.conflict('domain_taken', `${domain} is another business's address.`, 'body.domain');
  await tx.query(`SELECT brigade_request_custom_domain($1, $2)`, [domain, `brigade-domain=${randomBytes(18).toString('base64url')}`]);
  return state(tx, deps);
}

/** What the domain served when it was asked, fetched before the transaction that acts on it opens. */
export interface Observation {
  domain: string;
  token: string;
  served: string;
}

function isObservation(x: unknown): x is Observation {
  const o = x as Partial<Observation> | null;
  return typeof o?.domain === 'string' && typeof o.token === 'string' && typeof o.served === 'string';
}

/**
 * Fetches the token from the domain itself, outside any transaction (the fetch may wait up to 5 s and must not
 * hold a database connection meanwhile). It only reads a short text file; it follows no redirect and, outside
 * tests, refuses a domain that points into private or loopback networks (the check must not become a way to
 * probe them).
 */
export async function observe(read: <T>(fn: (tx: TenantTx) => Promise<T>) => Promise<T>, deps: DomainDeps): Promise<Observation> {
  const now = await read((tx) => state(tx, deps));
  if (!now.pending) throw errors.conflict('no_domain_requested', 'Ask for a domain first.', 'body');
  const { domain, token } = now.pending;
  if (!deps.verifyUrlTemplate) await refusePrivate(domain);
  try {
    const res = await fetch(verifyUrl(deps, domain), { redirect: 'manual', signal: AbortSignal.timeout(5_000), headers: { accept: 'text/plain' } });
    if (res.status !== 200) throw new Error(`the domain answered ${res.status}`);
    return { domain, token, served: (await res.text()).slice(0, 1024).trim() };
  } catch (err) {
    throw notVerified(domain, err instanceof Error ? err.message : String(err));
  }
}

/** When the domain served the token of the request still pending, the domain becomes the business's address. */
export async function verify(tx: TenantTx, deps: DomainDeps, seen: unknown) {
  if (!isObservation(seen)) throw new Error('domain verification needs the observation made before its transaction');
  if (seen.served !== seen.token) throw notVerified(seen.domain, 'the file does not hold the token');
  const now = await state(tx, deps);
  if (now.pending?.domain !== seen.domain || now.pending.token !== seen.token) {
    throw errors.conflict('no_domain_requested', 'The domain requested changed meanwhile: check again.', 'body');
  }
  const [r] = await tx.query<{ ok: boolean }>(`SELECT brigade_use_custom_domain($1) AS ok`, [seen.domain]).catch((err: { code?: string }) => {
    if (err.code === '23505') throw errors.conflict('domain_taken', `${seen.domain} became another business's address meanwhile.`, 'body.domain');
    throw err;
  });
  if (!r?.ok) throw errors.conflict('no_domain_requested', 'The domain requested changed meanwhile: check again.', 'body');
  return state(tx, deps);
}

export async function remove(tx: TenantTx, deps: DomainDeps) {
  await tx.query(`SELECT brigade_remove_custom_domain()`);
  return state(tx, deps);
}

function notVerified(domain: string, why: string) {
  return new AppError(422, 'domain_not_verified', `${domain} could not be verified: ${why}.`, [{ field: 'domain', code: 'domain_not_verified', message: why }]);
}

const PRIVATE = new BlockList();
for (const [net, bits] of [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['127.0.0.0', 8], ['169.254.0.0', 16], ['0.0.0.0', 8], ['100.64.0.0', 10]] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [['::1', 128], ['fc00::', 7], ['fe80::', 10], ['::', 128]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

async function refusePrivate(domain: string): Promise<void> {
  const addresses = await lookup(domain, { all: true }).catch(() => []);
  if (addresses.length === 0) throw notVerified(domain, 'the domain does not resolve');
  for (const a of addresses) {
    if (isIP(a.address) && PRIVATE.check(a.address, a.family === 6 ? 'ipv6' : 'ipv4')) throw notVerified(domain, 'the domain points into a private network');
  }
}
