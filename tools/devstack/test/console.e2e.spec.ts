/**
 * The operator console end to end in Debian's Chromium (playwright-core): the five processes of
 * a Stack (console included, demo users seeded), the SPA's production build served by the
 * console. A call taker logs a call with the keyboard; a dispatcher who has the console open
 * sees it arrive in the pending queue without reloading (live events), with its recommendations,
 * and accepts the first one; an ops user sees the statistics change without reloading.
 * Screenshots go to test-artifacts/console/ (and to docs/screenshots/ with CAD110_UPDATE_SCREENSHOTS=1).
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dropDatabase } from '@cad110/db';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId } from '@cad110/testkit';
import { CHROMIUM, CHROMIUM_ARGS, ensureWebBuild, ROOT, SERVICES, Stack } from '../src';

jest.setTimeout(300_000);

const ARTIFACTS = join(ROOT, 'test-artifacts', 'console');
const DOCS = join(ROOT, 'docs', 'screenshots');
const UI_TIMEOUT = 60_000;

describe('operator console in the browser', () => {
  const password = randomBytes(12).toString('base64url');
  const stack = new Stack({
    brokers: kafkaBrokers().join(','),
    topicPrefix: `${uniqueId('ui')}.`,
    dbPrefix: uniqueId('cad110ui_'),
    fresh: true,
    console: true,
    demoPassword: password,
    timeZone: 'Asia/Shanghai',
    env: { LOG_LEVEL: 'warn' },
  });
  let browser: Browser;
  const pages: Page[] = [];
  let callTaker: Page;
  let dispatcher: Page;
  let ops: Page;
  let callId: string;
  const callerNumber = '13812345678';

  async function shot(page: Page, name: string): Promise<void> {
    const file = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    if (process.env.CAD110_UPDATE_SCREENSHOTS === '1') copyFileSync(file, join(DOCS, `${name}.png`));
  }

  async function signIn(username: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    const page = await context.newPage();
    pages.push(page);
    await page.goto(`${stack.url('console')}/`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.fill('input[name=workstation]', `ws-${username}`);
    await page.click('[data-testid=login-submit]');
    await page.waitForSelector('[data-testid=user]', { timeout: UI_TIMEOUT });
    await page.waitForSelector('[data-testid=live][data-state=open]', { timeout: UI_TIMEOUT });
    return page;
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    if (process.env.CAD110_UPDATE_SCREENSHOTS === '1') mkdirSync(DOCS, { recursive: true });
    ensureWebBuild();
    await stack.start();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
    await Promise.all([...SERVICES, 'console' as const].map((n) => dropDatabase(stack.databaseUrl(n))));
  });

  it('refuses a wrong password on the sign-in screen and shows the reason', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    pages.push(page);
    await page.goto(`${stack.url('console')}/`);
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await page.fill('input[name=username]', 'dispatcher');
    await page.fill('input[name=password]', `${password}-wrong`);
    await page.click('[data-testid=login-submit]');
    const problem = page.locator('[data-testid=problem]');
    await problem.waitFor({ timeout: UI_TIMEOUT });
    expect(await problem.getAttribute('data-status')).toBe('401');
    await page.fill('input[name=username]', '');
    await page.fill('input[name=password]', '');
    await shot(page, 'sign-in');
  });

  it('shows each role only its views', async () => {
    ops = await signIn('ops');
    dispatcher = await signIn('dispatcher');
    callTaker = await signIn('calltaker');
    const tabs = async (p: Page) => (await p.locator('[role=tab]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid'))));
    expect(await tabs(callTaker)).toEqual(['tab-intake']);
    expect(await tabs(dispatcher)).toEqual(['tab-dispatch']);
    expect(await tabs(ops)).toEqual(['tab-ops']);
    await dispatcher.waitForSelector('[data-testid=pending-total]:text-is("0")', { timeout: UI_TIMEOUT });
    await ops.waitForSelector('[data-testid=stats-total]:text-is("0")', { timeout: UI_TIMEOUT });
  });

  it('logs a call from the keyboard: number, location, category search in Chinese, SOP answer, narrative, Ctrl+Enter', async () => {
    const p = callTaker;
    await p.focus('input[name=callerNumber]');
    await p.keyboard.type(callerNumber);
    await p.keyboard.press('Tab');
    await p.keyboard.type('人民路88号 工商银行门口');
    await p.keyboard.press('Tab');
    await p.keyboard.type('44.9760');
    await p.keyboard.press('Tab');
    await p.keyboard.type('-93.2700');
    await p.keyboard.press('Tab');
    await p.keyboard.type('抢夺');
    await p.waitForSelector('[data-testid=category-list] [role=option]', { timeout: UI_TIMEOUT });
    await p.keyboard.press('Enter');
    await p.waitForSelector('[data-testid=sop] input[name=sop0]', { timeout: UI_TIMEOUT });
    await p.fill('[data-testid=sop] input[name=sop1]', '手机一部，约5000元');
    await p.fill('textarea[name=narrative]', '一男子骑电动车抢夺报警人手机后向北逃跑');
    await shot(p, 'call-taker-form');
    await p.keyboard.press('Control+Enter');
    const accepted = p.locator('[data-testid=accepted]');
    await accepted.waitFor({ timeout: UI_TIMEOUT });
    callId = (await accepted.getAttribute('data-call-id'))!;
    expect(callId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await p.inputValue('input[name=callerNumber]')).toBe(''); // ready for the next call
    await shot(p, 'call-taker');

    const res = await fetch(`${stack.url('intake')}/calls/${callId}?reveal=caller`, { headers: { authorization: `Bearer ${stack.token('supervisor')}` } });
    const call = (await res.json()) as { callerNumber: string; state: { status: string; classification: { subtype: string } }; events: { type: string; data: { text?: string }; metadata: { actor: { id: string }; workstation?: string } }[] };
    expect(call.callerNumber).toBe(callerNumber);
    expect(call.state).toMatchObject({ status: 'handed-to-dispatch', classification: { subtype: 'snatching' } });
    const narrative = call.events.find((e) => e.type === 'CallNarrativeAppended')!.data.text!;
    expect(narrative).toContain('一男子骑电动车');
    expect(narrative).toContain('手机一部，约5000元');
    expect(call.events[0]!.metadata).toMatchObject({ actor: { id: 'calltaker' }, workstation: 'ws-calltaker' });
  });

  it("shows the call in the dispatcher's queue without a reload, with recommendations, ETA and circle badges", async () => {
    const p = dispatcher;
    const row = p.locator(`[data-testid=incident-row][data-call-id="${callId}"]`);
    await row.waitFor({ timeout: UI_TIMEOUT });
    await row.click();
    const recs = p.locator('[data-testid=recommendation]');
    await recs.first().waitFor({ timeout: UI_TIMEOUT });
    expect(await recs.count()).toBeGreaterThan(0);
    const first = recs.first();
    expect(await first.textContent()).toMatch(/预计到达 \d+:\d{2}/);
    expect(await first.locator('[data-testid=circle-5]').count()).toBe(1);
    expect(await p.locator('[data-testid=timer]').first().getAttribute('data-level')).toMatch(/^(ok|amber|red)$/);
    expect(await p.content()).not.toContain(callerNumber);
    await p.waitForSelector('[data-testid=unit-chip]', { timeout: UI_TIMEOUT });
    await shot(p, 'dispatcher');
  });

  it('accepts the first recommendation with POST /incidents/{id}/assignments and shows what dispatch answered', async () => {
    const p = dispatcher;
    const first = p.locator('[data-testid=recommendation]').first();
    const unitId = await first.getAttribute('data-unit-id');
    const [request, response] = await Promise.all([
      p.waitForRequest((r) => r.method() === 'POST' && /\/api\/dispatch\/incidents\/[0-9a-f-]{36}\/assignments$/.test(r.url()), { timeout: UI_TIMEOUT }),
      p.waitForResponse((r) => r.request().method() === 'POST' && /\/assignments$/.test(r.url()), { timeout: UI_TIMEOUT }),
      first.locator('[data-testid=accept-recommendation]').click(),
    ]);
    expect(request.postDataJSON()).toEqual({ unitId });
    const result = p.locator('[data-testid=assign-result]');
    await result.waitFor({ timeout: UI_TIMEOUT });
    if (response.ok()) {
      expect(await result.getAttribute('data-state')).toBe('ok');
    } else {
      // until dispatch has the assignment API the console shows the service's answer in full
      expect(await result.getAttribute('data-state')).toBe('error');
      expect(await result.textContent()).toContain(`HTTP ${response.status()}`);
    }
    await shot(p, 'dispatcher-accept');
  });

  it('updates the statistics view without a reload, in both languages', async () => {
    const p = ops;
    await p.waitForSelector('[data-testid=stats-total]:text-is("1")', { timeout: UI_TIMEOUT });
    const criminal = p.locator('[data-testid=chart-categories] [data-key=criminal]');
    await criminal.waitFor({ timeout: UI_TIMEOUT });
    expect(await criminal.textContent()).toContain('刑事');
    await p.waitForSelector('[data-testid=pipeline-table] tr[data-service=dispatch] td:nth-child(2):not(:text("—"))', { timeout: UI_TIMEOUT });
    await shot(p, 'ops');
    await p.click('[data-testid=lang-toggle]');
    await p.waitForSelector('text=Calls received', { timeout: UI_TIMEOUT });
    expect(await p.getAttribute('html', 'lang')).toBe('en');
    expect(await criminal.textContent()).toContain('Criminal');
    await shot(p, 'ops-en');
  });
});
