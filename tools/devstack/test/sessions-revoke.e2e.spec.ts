/**
 * The signed-in 两步验证 enrolment and the supervisor's 在线用户 panel in the browser (issue 19.5),
 * on a console with 20-second access tokens (CONSOLE_ACCESS_TOKEN_SECONDS=20, TOTP optional):
 * - a dispatcher signs in with a password, opens 两步验证 in the header and is shown the QR code
 *   of the `otpauth://` link that POST /auth/totp/enrolment returned (drawn in the browser) and
 *   the secret as text; a code computed from that text (as an authenticator app would, with
 *   otpauth) confirms the enrolment and 10 recovery codes are shown;
 * - a supervisor, in another browser context, sees the dispatcher's session in 在线用户, clicks
 *   强制下线 and confirms: the row goes, the audit trail has `sessions_revoked`, the dispatcher's
 *   refresh token is refused (401) at once, and the dispatcher's console ends at the sign-in view
 *   when it next renews its access token (within one lifetime).
 * Screenshots go to test-artifacts/sessions/ (and docs/screenshots/ with CAD110_UPDATE_SCREENSHOTS=1).
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
const LIFETIME = 20;
const ARTIFACTS = join(ROOT, 'test-artifacts', 'sessions');
const DOCS = join(ROOT, 'docs', 'screenshots');

// the console's TOTP module, loaded by path as the role matrix loads services (otpauth underneath)
const { totpCodeAt } = require(join(ROOT, 'services', 'console', 'src', 'auth', 'totp.ts')) as { totpCodeAt: (secret: string, nowMs: number) => string };

// page-side globals of the functions evaluated in the browser (this package compiles without the DOM lib)
declare const sessionStorage: { getItem: (k: string) => string | null };

/** A full-page screenshot to test-artifacts/sessions/ (and docs/screenshots/ with CAD110_UPDATE_SCREENSHOTS=1). */
async function shot(page: Page, name: string): Promise<void> {
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.CAD110_UPDATE_SCREENSHOTS === '1') copyFileSync(file, join(DOCS, `${name}.png`));
}

describe('两步验证 enrolment and 在线用户 revocation in the browser (20-second access tokens)', () => {
  const password = randomBytes(12).toString('base64url');
  const stack = new Stack({
    brokers: kafkaBrokers().join(','),
    topicPrefix: `${uniqueId('revoke')}.`,
    dbPrefix: uniqueId('cad110revoke_'),
    fresh: true,
    console: true,
    demoPassword: password,
    env: { LOG_LEVEL: 'warn', CONSOLE_ACCESS_TOKEN_SECONDS: String(LIFETIME) },
  });
  let browser: Browser;
  let dispatcher: Page;
  let supervisor: Page;
  /** what Chromium refused under the console's Content Security Policy (a data: image must pass) */
  const cspViolations: string[] = [];
  const session = async (page: Page) =>
    JSON.parse((await page.evaluate(() => sessionStorage.getItem('cad110.session'))) ?? 'null') as { accessToken: string; refreshToken: string } | null;

  /** A new browser context signed in as `username` with the password (no second factor yet). */
  async function signIn(username: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' })).newPage();
    page.on('console', (m) => /Content Security Policy/i.test(m.text()) && cspViolations.push(m.text()));
    await page.goto(`${stack.url('console')}/`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.fill('input[name=workstation]', `ws-${username}`);
    await page.click('[data-testid=login-submit]');
    await page.waitForSelector('[data-testid=user]', { timeout: UI });
    return page;
  }

  beforeAll(async () => {
    ensureWebBuild();
    mkdirSync(ARTIFACTS, { recursive: true });
    if (process.env.CAD110_UPDATE_SCREENSHOTS === '1') mkdirSync(DOCS, { recursive: true });
    await stack.start();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
    await stack.dropDatabases();
  });

  it('两步验证: shows the QR code of the link the API returned and the secret; a code of that secret confirms', async () => {
    dispatcher = await signIn('dispatcher');
    await dispatcher.click('[data-testid=totp-setup-open]');
    await dispatcher.waitForSelector('[data-testid=totp-setup-start]', { timeout: UI });
    const answer = dispatcher.waitForResponse((r) => r.url().endsWith('/auth/totp/enrolment') && r.request().method() === 'POST', { timeout: UI });
    await dispatcher.click('[data-testid=totp-setup-start]');
    const started = (await (await answer).json()) as { secret: string; otpauthUri: string };
    expect(started.otpauthUri).toMatch(/^otpauth:\/\/totp\/cad110(:|%3A)dispatcher\?/);
    const qr = dispatcher.locator('[data-testid=totp-setup-qr]');
    await qr.waitFor({ timeout: UI });
    expect(await qr.getAttribute('data-otpauth-uri')).toBe(started.otpauthUri);
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/gif;base64,/);
    expect(await qr.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(100);
    // the fallback: the secret as text, grouped by four, is the one of the link
    const secret = ((await dispatcher.textContent('[data-testid=totp-setup-secret]')) ?? '').replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(new URL(started.otpauthUri).searchParams.get('secret')).toBe(secret);
    await shot(dispatcher, 'totp-setup');
    await dispatcher.fill('[data-testid=totp-setup-code]', totpCodeAt(secret, Date.now()));
    await dispatcher.click('[data-testid=totp-setup-confirm]');
    await dispatcher.waitForSelector('[data-testid=totp-setup-done]', { timeout: UI });
    expect(await dispatcher.locator('[data-testid=totp-setup-done] li').count()).toBe(10);
    expect(cspViolations).toEqual([]);
  });

  it('在线用户: 强制下线 removes the row, is audited, refuses the refresh and sends the console to the sign-in view', async () => {
    const victim = (await session(dispatcher))!;
    supervisor = await signIn('supervisor');
    await supervisor.click('[data-testid=tab-supervisor]');
    const panel = supervisor.locator('[data-testid=sessions-panel]');
    await panel.waitFor({ timeout: UI });
    const row = panel.locator('[data-testid=session-row][data-username=dispatcher]');
    // the list is read when the panel opens; reload until the dispatcher's session is there
    await expectEventually(async () => {
      await supervisor.click('[data-testid=sessions-reload]');
      return (await row.count()) > 0;
    });
    expect(await row.first().textContent()).toContain('ws-dispatcher');
    await row.first().locator('[data-testid=revoke-sessions]').click();
    await row.first().locator('[data-testid=revoke-confirm]').click();
    const result = panel.locator('[data-testid=revoke-result][data-username=dispatcher]');
    await result.waitFor({ timeout: UI });
    expect(Number(await result.getAttribute('data-revoked'))).toBeGreaterThanOrEqual(1);
    await expectEventually(async () => (await row.count()) === 0);
    // the supervisor's own session is still listed
    expect(await panel.locator('[data-testid=session-row][data-username=supervisor]').count()).toBeGreaterThanOrEqual(1);
    await shot(supervisor, 'sessions-revoked');

    const refresh = await fetch(`${stack.url('console')}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: victim.refreshToken }) });
    expect(refresh.status).toBe(401);
    const boss = (await session(supervisor))!;
    const audit = await fetch(`${stack.url('console')}/api/audit?action=sessions_revoked`, { headers: { authorization: `Bearer ${boss.accessToken}` } });
    expect(audit.status).toBe(200);
    const items = ((await audit.json()) as { items: { actor: string; subject: string; detail: { revoked?: number } | null }[] }).items;
    expect(items).toEqual([expect.objectContaining({ actor: 'supervisor', subject: 'dispatcher', detail: expect.objectContaining({ revoked: expect.any(Number) }) })]);

    // the dispatcher's console renews its token before each expiry (every ≤ 20 s here): refused, it signs out
    await dispatcher.waitForSelector('[data-testid=login-form]', { timeout: LIFETIME * 1000 + UI });
    expect(await dispatcher.locator('[data-testid=user]').count()).toBe(0);
    expect(await session(dispatcher)).toBeNull();
    // the supervisor, not revoked, is still signed in
    expect(await supervisor.locator('[data-testid=user]').count()).toBe(1);
    expect(cspViolations).toEqual([]);
  });

  /** Polls `check` every 2 s until it holds, for up to the UI timeout. */
  async function expectEventually(check: () => Promise<boolean>): Promise<void> {
    const until = Date.now() + UI;
    for (;;) {
      if (await check()) return;
      if (Date.now() > until) throw new Error('condition not met within the UI timeout');
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
});
