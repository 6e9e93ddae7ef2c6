import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { useBrowserApp } from './harness.ts';

// A local web server standing in for the business's own site: it serves whatever token it is given, per domain,
// at the path Brigade checks (DOMAIN_VERIFY_URL points the server's check here instead of at the domain itself).
const WELL_KNOWN = '/.well-known/brigade-domain-verification.txt';
const served = new Map<string, string>();
const site = createServer((req, res) => {
  const [, domainName, ...rest] = (req.url ?? '').split('/');
  const body = `/${rest.join('/')}` === WELL_KNOWN ? served.get(domainName!) : undefined;
  res.writeHead(body ? 200 : 404, { 'content-type': 'text/plain' }).end(body ?? 'not found');
});
await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
const sitePort = (site.address() as AddressInfo).port;
afterAll(() => new Promise<void>((r) => site.close(() => r())));

const b = useBrowserApp({ DOMAIN_VERIFY_URL: `http://127.0.0.1:${sitePort}/{domain}${WELL_KNOWN}` });
/** A real 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

describe('business settings in the browser', () => {
  it('the owner renames the business, picks formats and uploads a logo; the sign-in page shows them', async () => {
    const biz = await b.t.tenant();
    const page = await b.page();
    await b.signIn(page, biz, 'owner');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    await page.getByLabel('Business name').fill('Harbour Grill');
    await page.getByLabel('Time zone').selectOption('Europe/Dublin');
    await page.getByLabel('Dates').selectOption('dmy');
    await page.getByLabel('Times').selectOption('24h');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('The settings are saved.').waitFor();

    // A file that is not an image is refused with the reason; a PNG is taken.
    await page.getByLabel('Upload a logo').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not an image at all') });
    await page.getByText('A logo is a PNG, JPEG or WebP image.').waitFor();
    await page.getByLabel('Upload a logo').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: PNG });
    await page.getByText('The new logo is saved.').waitFor();
    await page.getByTestId('settings-logo').waitFor();

    const s = (await (await b.t.as(biz, 'owner')).get('/api/v1/settings')).json();
    expect(s).toMatchObject({ name: 'Harbour Grill', time_zone: 'Europe/Dublin', date_format: 'dmy', time_format: '24h', logo_url: expect.stringContaining('/branding/logo') });

    // A guest of the business, signed out, sees the new name and the logo.
    const guest = await b.page({ viewport: 'phone' });
    await guest.goto(b.url(biz, '/sign-in'));
    await guest.getByRole('heading', { name: 'Sign in to Harbour Grill' }).waitFor();
    const logo = guest.getByTestId('business-logo');
    await logo.waitFor();
    expect(await logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
  });

  it('the owner adds a custom domain, serves the token shown, and Brigade checks it: a failed check says why, a good one verifies it', async () => {
    const biz = await b.t.tenant();
    const page = await b.page();
    await b.signIn(page, biz, 'owner');
    await page.goto(b.url(biz, '/settings'));
    const card = page.getByRole('region', { name: 'Custom domain' });
    await card.getByText('No custom domain').waitFor();

    // Not a domain name: said beside the field.
    await card.getByLabel('Domain', { exact: true }).fill('harbour grill');
    await card.getByRole('button', { name: 'Get the verification token' }).click();
    await card.getByText('A domain name such as www.harbourgrill.ie').waitFor();

    await card.getByLabel('Domain', { exact: true }).fill('WWW.Harbour-Grill.example');
    await card.getByRole('button', { name: 'Get the verification token' }).click();
    const domain = 'www.harbour-grill.example';
    const pending = card.getByRole('region', { name: `${domain} Waiting for verification` });
    await pending.waitFor();
    // The exact address and token to serve, as the server stored them.
    const stored = (await (await b.t.as(biz, 'owner')).get('/api/v1/settings/domain')).json();
    expect(stored.pending).toMatchObject({ domain, token: expect.stringMatching(/^brigade-domain=/) });
    const tokenField = pending.getByRole('textbox', { name: "Token (the file's content)" });
    expect(await tokenField.inputValue()).toBe(stored.pending.token);
    expect(await pending.getByRole('textbox', { name: 'Address of the file' }).inputValue()).toBe(`http://127.0.0.1:${sitePort}/${domain}${WELL_KNOWN}`);
    await pending.getByRole('button', { name: "Copy token (the file's content)" }).waitFor();

    // Nothing served yet: the check fails and says why, and the domain stays pending.
    await pending.getByRole('button', { name: 'Check now' }).click();
    const refusal = pending.getByRole('alert');
    await refusal.getByText(`${domain} is not verified yet`).waitFor();
    await refusal.getByText('the domain answered 404').waitFor();
    // A wrong token: the other reason.
    served.set(domain, 'brigade-domain=someone-elses');
    await pending.getByRole('button', { name: 'Check now' }).click();
    await refusal.getByText('the file does not hold the token').waitFor();

    // The token the page showed, served on the domain: verified, and the domain is the business's address.
    served.set(domain, `${await tokenField.inputValue()}\n`);
    await pending.getByRole('button', { name: 'Check now' }).click();
    await card.getByText(`${domain} is now the business's address.`).waitFor();
    const verified = card.getByTestId('domain-verified');
    await verified.getByText(domain, { exact: true }).waitFor();
    await verified.getByText('Verified', { exact: true }).waitFor();
    expect(await pending.count()).toBe(0);
    const after = (await (await b.t.as(biz, 'owner')).get('/api/v1/settings/domain')).json();
    expect(after).toMatchObject({ domain, pending: null, verified_at: expect.any(String) });

    // Removed after confirming: the business is at its Brigade address only again.
    await card.getByRole('button', { name: 'Remove the custom domain' }).click();
    await page.getByRole('dialog', { name: 'Remove the custom domain?' }).getByRole('button', { name: 'Remove the domain' }).click();
    await card.getByText('No custom domain').waitFor();
    expect((await (await b.t.as(biz, 'owner')).get('/api/v1/settings/domain')).json()).toMatchObject({ domain: null, pending: null });
  });

  it('a plan without custom domains says so instead of offering one', async () => {
    const biz = await b.t.tenant();
    const operator = await b.t.platformAdmin();
    const off = await operator.put(`/api/v1/platform/tenants/${biz.id}/overrides`, { features: { custom_domain: false } });
    expect(off.statusCode, off.body).toBe(200);
    const page = await b.page();
    await b.signIn(page, biz, 'owner');
    await page.goto(b.url(biz, '/settings'));
    const card = page.getByRole('region', { name: 'Custom domain' });
    await card.getByText('Custom domain is not available').waitFor();
    expect(await card.getByRole('button').count()).toBe(0);
    expect(await card.getByRole('textbox').count()).toBe(0);
  });
});
