import { describe, expect, it } from 'vitest';
import { useBrowserApp } from './harness.ts';

const b = useBrowserApp();
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
});
