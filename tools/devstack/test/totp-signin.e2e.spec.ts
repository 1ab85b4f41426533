/**
 * Sign-in with a TOTP second factor in the browser (issue 19.5): the console runs with
 * CONSOLE_REQUIRE_TOTP=true. A supervisor without an authenticator is shown a secret at sign-in,
 * as a QR code of the `otpauth://` link the API returned (drawn in the browser) and as text, and
 * signs in with a code of it (computed here as an authenticator app would, with otpauth), is
 * shown 10 recovery codes once, and is in. Signed out, the next sign-in asks for a code: a wrong
 * one is refused with a Chinese message (no English server sentence), the right one signs in.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId } from '@cad110/testkit';
import { CHROMIUM, CHROMIUM_ARGS, ensureWebBuild, Stack } from '../src';
import { ROOT } from '../src/paths';

jest.setTimeout(300_000);

const UI = 60_000;
const ARTIFACTS = join(ROOT, 'test-artifacts', 'totp');
const DOCS = join(ROOT, 'docs', 'screenshots');

/** A full-page screenshot to test-artifacts/totp/ (and docs/screenshots/ with CAD110_UPDATE_SCREENSHOTS=1). */
async function shot(page: Page, name: string): Promise<void> {
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.CAD110_UPDATE_SCREENSHOTS === '1') copyFileSync(file, join(DOCS, `${name}.png`));
}

// the console's TOTP module, loaded by path as the role matrix loads services (otpauth underneath)
const { totpCodeAt } = require(join(ROOT, 'services', 'console', 'src', 'auth', 'totp.ts')) as { totpCodeAt: (secret: string, nowMs: number) => string };

describe('sign-in with a TOTP second factor in the browser (CONSOLE_REQUIRE_TOTP=true)', () => {
  const password = randomBytes(12).toString('base64url');
  const stack = new Stack({
    brokers: kafkaBrokers().join(','),
    topicPrefix: `${uniqueId('totp')}.`,
    dbPrefix: uniqueId('cad110totp_'),
    fresh: true,
    console: true,
    demoPassword: password,
    env: { LOG_LEVEL: 'warn', CONSOLE_REQUIRE_TOTP: 'true' },
  });
  let browser: Browser;
  let page: Page;
  let secret = '';

  beforeAll(async () => {
    ensureWebBuild();
    mkdirSync(ARTIFACTS, { recursive: true });
    if (process.env.CAD110_UPDATE_SCREENSHOTS === '1') mkdirSync(DOCS, { recursive: true });
    await stack.start();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
    await stack.dropDatabases();
  });

  const password1 = async () => {
    await page.fill('input[name=username]', 'supervisor');
    await page.fill('input[name=password]', password);
    await page.click('[data-testid=login-submit]');
  };

  it('enrols at the first sign-in: secret shown, code of the app accepted, 10 recovery codes shown once', async () => {
    await page.goto(`${stack.url('console')}/`);
    // the 403 totp-enrolment-required answer of the sign-in, to compare with what the screen shows
    const answer = page.waitForResponse((r) => r.url().endsWith('/auth/login') && r.status() === 403, { timeout: UI });
    await password1();
    const params = ((await (await answer).json()) as { code: string; params: { secret: string; otpauthUri: string } }).params;
    await page.waitForSelector('[data-testid=totp-enrol]', { timeout: UI });
    secret = ((await page.textContent('[data-testid=totp-secret]')) ?? '').replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(secret).toBe(params.secret);
    expect(await page.getAttribute('[data-testid=totp-uri]', 'href')).toMatch(/^otpauth:\/\/totp\/cad110(:|%3A)supervisor\?/);
    // the QR code to scan: an image drawn in the browser from the link the API returned
    const qr = page.locator('[data-testid=totp-qr]');
    await qr.waitFor({ timeout: UI });
    expect(await qr.getAttribute('data-otpauth-uri')).toBe(params.otpauthUri);
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/gif;base64,/);
    expect(await qr.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(100);
    await shot(page, 'totp-enrol');
    await page.fill('[data-testid=totp-code]', totpCodeAt(secret, Date.now()));
    await page.click('[data-testid=login-submit]');
    await page.waitForSelector('[data-testid=recovery-codes]', { timeout: UI });
    expect(await page.locator('[data-testid=recovery-code]').count()).toBe(10);
    await page.click('[data-testid=recovery-codes-done]');
    await page.waitForSelector('[data-testid=user]', { timeout: UI });
  });

  it('asks for a code at the next sign-in: a wrong one is refused in Chinese, the right one signs in', async () => {
    await page.click('[data-testid=sign-out]');
    await page.waitForSelector('[data-testid=login-form]', { timeout: UI });
    await password1();
    await page.waitForSelector('[data-testid=login-form][data-step=totp]', { timeout: UI });
    await page.fill('[data-testid=totp-code]', '000000');
    await page.click('[data-testid=login-submit]');
    const problem = page.locator('[data-testid=problem][data-code=totp-invalid]');
    await problem.waitFor({ timeout: UI });
    expect(await problem.locator('strong').textContent()).toBe('登录失败：动态码或恢复码错误');
    // the next step's code (the enrolment used the current one)
    await page.fill('[data-testid=totp-code]', totpCodeAt(secret, Date.now() + 30_000));
    await page.click('[data-testid=login-submit]');
    await page.waitForSelector('[data-testid=user]', { timeout: UI });
    // the sign-ins are in the audit trail with their factor
    const token = JSON.parse((await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem: (k: string) => string | null } }).sessionStorage.getItem('cad110.session'))) ?? 'null') as { accessToken: string };
    const audit = await fetch(`${stack.url('console')}/api/audit?actor=supervisor&action=sign_in`, { headers: { authorization: `Bearer ${token.accessToken}` } });
    expect(audit.status).toBe(200);
    const items = ((await audit.json()) as { items: { detail: { factor?: string } | null }[] }).items;
    expect(items.map((e) => e.detail?.factor)).toEqual(['totp', 'totp']);
  });
});
