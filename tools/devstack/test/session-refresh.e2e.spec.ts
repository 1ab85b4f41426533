/**
 * The console SPA with short access tokens (issue 19.5): the console runs with
 * CONSOLE_ACCESS_TOKEN_SECONDS=20, so within 45 s the browser must renew its token twice with
 * POST /auth/refresh and stay signed in with its live stream open (the server ends the stream
 * at each token's expiry; it reopens with the current token). Signing out revokes the session:
 * its refresh token is refused at once, and its last access token is refused by a service once
 * it has expired.
 */
import { randomBytes } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId } from '@cad110/testkit';
import { CHROMIUM, CHROMIUM_ARGS, ensureWebBuild, Stack } from '../src';

jest.setTimeout(300_000);

const UI = 60_000;
const LIFETIME = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// page-side globals of the functions evaluated in the browser (this package compiles without the DOM lib)
declare const sessionStorage: { getItem: (k: string) => string | null };

describe('console sessions in the browser: 20-second access tokens', () => {
  const password = randomBytes(12).toString('base64url');
  const stack = new Stack({
    brokers: kafkaBrokers().join(','),
    topicPrefix: `${uniqueId('sess')}.`,
    dbPrefix: uniqueId('cad110sess_'),
    fresh: true,
    console: true,
    demoPassword: password,
    env: { LOG_LEVEL: 'warn', CONSOLE_ACCESS_TOKEN_SECONDS: String(LIFETIME) },
  });
  let browser: Browser;
  let page: Page;
  const session = async () => JSON.parse((await page.evaluate(() => sessionStorage.getItem('cad110.session'))) ?? 'null') as { accessToken: string; refreshToken: string } | null;

  beforeAll(async () => {
    ensureWebBuild();
    await stack.start();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
    await stack.dropDatabases();
  });

  it('stays signed in past two token lifetimes, renewing the token and reopening the live stream', async () => {
    page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    await page.goto(`${stack.url('console')}/`);
    await page.fill('input[name=username]', 'dispatcher');
    await page.fill('input[name=password]', password);
    await page.click('[data-testid=login-submit]');
    await page.waitForSelector('[data-testid=live][data-state=open]', { timeout: UI });
    const first = (await session())!;
    await sleep((2 * LIFETIME + 5) * 1000);
    const later = (await session())!;
    expect(later.refreshToken).toBe(first.refreshToken);
    expect(later.accessToken).not.toBe(first.accessToken);
    expect(await page.locator('[data-testid=user]').count()).toBe(1);
    await page.waitForSelector('[data-testid=live][data-state=open]', { timeout: 10_000 });
    // the renewed token is good at a service
    const me = await fetch(`${stack.url('dispatch')}/units`, { headers: { authorization: `Bearer ${later.accessToken}` } });
    expect(me.status).toBe(200);
  });

  it('signing out revokes the session: its refresh is refused at once, its last access token once expired', async () => {
    const last = (await session())!;
    await page.click('[data-testid=sign-out]');
    await page.waitForSelector('[data-testid=login-form]', { timeout: UI });
    const refresh = await fetch(`${stack.url('console')}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: last.refreshToken }) });
    expect(refresh.status).toBe(401);
    await sleep((LIFETIME + 2) * 1000);
    const res = await fetch(`${stack.url('dispatch')}/units`, { headers: { authorization: `Bearer ${last.accessToken}` } });
    expect(res.status).toBe(401);
  });
});
