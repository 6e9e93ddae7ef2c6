import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, beforeEach, type TestContext } from 'vitest';
import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { PASSWORD, testApp, type TestApp } from '../harness.ts';
import { createPlatformUser } from '../../src/identity/service.ts';
import { startMailCatcher, type MailCatcher } from '../mail.ts';
import type { SeededTenant } from '../../src/platform/demo.ts';
import type { TenantRole } from '../../src/identity/permissions.ts';

/** Where a failed browser test leaves its screenshots (CI keeps the folder as an artefact). */
export const SCREENSHOTS = new URL('../../test-artifacts/screenshots/', import.meta.url);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps trying Google's hosts, which this network refuses.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  tablet: { width: 820, height: 1180 },
  desktop: { width: 1280, height: 800 },
} as const;

export interface BrowserApp {
  /** The API side of the same server, for arranging what a test needs (and checking what the pages did). */
  t: TestApp;
  /** The SMTP server the app sends its mail to. */
  mail: MailCatcher;
  browser: Browser;
  /** `http://{slug}.localhost:{port}{path}`: the business's own address, as a person would open it. */
  url(tenant: SeededTenant | string, path?: string): string;
  /**
   * A fresh browser (own cookies and storage) with one page; screenshotted if the test fails. `bypassCSP` lets a
   * test inject a checker script (axe) that the app's own Content-Security-Policy would rightly refuse.
   */
  page(opts?: { viewport?: keyof typeof VIEWPORTS; bypassCSP?: boolean }): Promise<Page>;
  /** Signs in through the sign-in page, as a person would, and waits for the signed-in layout. */
  signIn(page: Page, tenant: SeededTenant, role: TenantRole): Promise<void>;
  /** `http://localhost:{port}{path}`: Brigade's own address, where the back office lives. */
  platformUrl(path?: string): string;
  /** A new platform admin (password PASSWORD), with no authenticator yet. */
  newOperator(): Promise<string>;
  /**
   * Signs a new platform admin in to the back office through its pages: password, setting up the authenticator
   * (codes computed from the key the page shows), the recovery codes; waits for the list of businesses.
   */
  operatorSignIn(page: Page): Promise<{ email: string; secret: string; recoveryCodes: string[] }>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const slugOf = (tenant: SeededTenant | string) => (typeof tenant === 'string' ? tenant : tenant.slug);
const fileName = (s: string) => s.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').slice(0, 120);

/**
 * Call once at the top of a browser test file: starts the real server on a free port against the test's own
 * database (with its job runner, so mail is really sent to the local SMTP server) and one Chromium for the file.
 */
export function useBrowserApp(env: Record<string, string> = {}): BrowserApp {
  let t: TestApp;
  let mail: MailCatcher;
  let browser: Browser;
  let port = 0;
  let contexts: BrowserContext[] = [];
  let current: TestContext | null = null;

  beforeAll(async () => {
    mail = await startMailCatcher();
    port = await freePort();
    t = await testApp({ SMTP_URL: mail.url, PUBLIC_URL: `http://localhost:${port}`, PORT: String(port), ...env }, { startJobs: true });
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });

  beforeEach((ctx) => {
    current = ctx;
  });

  afterEach(async () => {
    const failed = current?.task.result?.state === 'fail';
    if (failed) {
      await mkdir(SCREENSHOTS, { recursive: true });
      const base = fileName(`${current!.task.file.name.split('/').pop()}--${current!.task.name}`);
      let i = 0;
      for (const c of contexts) {
        for (const p of c.pages()) {
          await p.screenshot({ path: new URL(`${base}${i++ ? `-${i}` : ''}.png`, SCREENSHOTS).pathname, fullPage: true }).catch(() => {});
        }
      }
    }
    await Promise.all(contexts.map((c) => c.close()));
    contexts = [];
    current = null;
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await mail?.close();
  });

  const app: BrowserApp = {
    get t() {
      return t;
    },
    get mail() {
      return mail;
    },
    get browser() {
      return browser;
    },
    url: (tenant, path = '/') => `http://${slugOf(tenant)}.localhost:${port}${path}`,
    async page(opts = {}) {
      const context = await browser.newContext({ viewport: VIEWPORTS[opts.viewport ?? 'desktop'], locale: 'en-US', bypassCSP: opts.bypassCSP ?? false });
      context.setDefaultTimeout(10_000);
      contexts.push(context);
      return context.newPage();
    },
    async signIn(page, tenant, role) {
      await page.goto(app.url(tenant, '/sign-in'));
      await page.getByLabel('Email').fill(`${role}@${tenant.slug}.brigade.test`);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      // The sign-out button is in the signed-in header at every width (the menu folds away on a phone).
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    },
    platformUrl: (path = '/platform') => `http://localhost:${port}${path}`,
    async newOperator() {
      const email = `operator-${randomBytes(3).toString('hex')}@brigade.test`;
      await t.app.brigade.db.withPlatform({ type: 'system', id: null, label: 'test' }, (tx) =>
        createPlatformUser(tx, { email, name: 'Operator', password: PASSWORD, role: 'platform_admin' }),
      );
      return email;
    },
    async operatorSignIn(page) {
      const email = await app.newOperator();
      await page.goto(app.platformUrl('/platform/sign-in'));
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Continue' }).click();
      const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
      await page.getByLabel('Code from the app').fill(await generate({ secret }));
      await page.getByRole('button', { name: 'Verify and sign in' }).click();
      const codes = page.getByRole('list', { name: 'Recovery codes' });
      await codes.waitFor();
      const recoveryCodes = await codes.getByRole('listitem').allTextContents();
      await page.getByRole('button', { name: 'I have saved them, continue' }).click();
      await page.getByRole('heading', { name: 'Businesses', level: 1 }).waitFor();
      return { email, secret, recoveryCodes };
    },
  };
  return app;
}
