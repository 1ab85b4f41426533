/**
 * The operator console end to end in Debian's Chromium (playwright-core): the five processes of
 * a Stack (console included, demo users seeded), the SPA's production build served by the
 * console. A call taker logs a call with the keyboard; a dispatcher who has the console open
 * sees it arrive in the pending queue without reloading (live events), with its recommendations,
 * accepts the first one and moves that unit en route (from the incident), on scene (from the
 * unit board) and cleared, and sees the incident close; a supervisor raises a district's duty
 * level and the roster on duty changes, also on another console open before; an ops user sees
 * the statistics change without reloading: totals, category mix, 同比 table, days without
 * incidents, response times, and the hexagon hot-spot map with the call's H3 cell.
 * Screenshots go to test-artifacts/console/ (and to docs/screenshots/ with CAD110_UPDATE_SCREENSHOTS=1).
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { latLngToCell } from 'h3-js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId } from '@cad110/testkit';
import { CHROMIUM, CHROMIUM_ARGS, ensureWebBuild, ROOT, Stack } from '../src';

jest.setTimeout(300_000);

const ARTIFACTS = join(ROOT, 'test-artifacts', 'console');
const DOCS = join(ROOT, 'docs', 'screenshots');
const UI_TIMEOUT = 60_000;
/** how long a page open elsewhere may take to show a change from the live stream */
const LIVE_TIMEOUT = 20_000;
const TRACE_VIEWER = 'http://traces.example.test/trace/{traceId}';
const CALL_LAT = 44.976;
const CALL_LON = -93.27;

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
    env: { LOG_LEVEL: 'warn', CAD110_TRACE_VIEWER_URL: TRACE_VIEWER },
  });
  let browser: Browser;
  const pages: Page[] = [];
  /** what Chromium refused under the console's Content Security Policy (issue 19.5), on any page */
  const cspViolations: string[] = [];
  const watchCsp = (page: Page) => page.on('console', (m) => /Content Security Policy/i.test(m.text()) && cspViolations.push(m.text()));
  let callTaker: Page;
  let dispatcher: Page;
  let ops: Page;
  let supervisor: Page;
  let callId: string;
  let traceId: string;
  let incidentId: string;
  let unitId: string;
  const auth = () => ({ headers: { authorization: `Bearer ${stack.token('supervisor')}` } });
  const callerNumber = '13812345678';

  async function shot(page: Page, name: string): Promise<void> {
    const file = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    if (process.env.CAD110_UPDATE_SCREENSHOTS === '1') copyFileSync(file, join(DOCS, `${name}.png`));
  }

  async function signIn(username: string, timezoneId?: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', ...(timezoneId ? { timezoneId } : {}) });
    const page = await context.newPage();
    pages.push(page);
    watchCsp(page);
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
    await stack.dropDatabases();
  });

  it('refuses a wrong password on the sign-in screen and shows the reason', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    pages.push(page);
    watchCsp(page);
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
    supervisor = await signIn('supervisor');
    const tabs = async (p: Page) => (await p.locator('[role=tab]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid'))));
    expect(await tabs(callTaker)).toEqual(['tab-intake']);
    expect(await tabs(dispatcher)).toEqual(['tab-dispatch', 'tab-records']);
    expect(await tabs(ops)).toEqual(['tab-ops']);
    expect(await tabs(supervisor)).toEqual(['tab-intake', 'tab-dispatch', 'tab-supervisor', 'tab-ops', 'tab-records']);
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
    await p.keyboard.type(CALL_LAT.toFixed(4));
    await p.keyboard.press('Tab');
    await p.keyboard.type(CALL_LON.toFixed(4));
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
    const call = (await res.json()) as { callerNumber: string; state: { status: string; classification: { subtype: string } }; events: { type: string; data: { text?: string }; metadata: { actor: { id: string }; workstation?: string; traceparent?: string } }[] };
    expect(call.callerNumber).toBe(callerNumber);
    expect(call.state).toMatchObject({ status: 'handed-to-dispatch', classification: { subtype: 'snatching' } });
    const narrative = call.events.find((e) => e.type === 'CallNarrativeAppended')!.data.text!;
    expect(narrative).toContain('一男子骑电动车');
    expect(narrative).toContain('手机一部，约5000元');
    expect(call.events[0]!.metadata).toMatchObject({ actor: { id: 'calltaker' }, workstation: 'ws-calltaker' });

    // the trace link of the accepted call: the trace of the intake request that opened it
    traceId = call.events[0]!.metadata.traceparent!.split('-')[1]!;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const link = p.locator('[data-testid=accepted] [data-testid=trace-link]');
    await link.waitFor({ timeout: UI_TIMEOUT });
    expect(await link.getAttribute('href')).toBe(TRACE_VIEWER.replace('{traceId}', traceId));
  });

  it("shows the call in the dispatcher's queue without a reload, with recommendations, ETA and circle badges", async () => {
    const p = dispatcher;
    const row = p.locator(`[data-testid=incident-row][data-call-id="${callId}"]`);
    await row.waitFor({ timeout: UI_TIMEOUT });
    incidentId = (await row.getAttribute('data-incident-id'))!;
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
    await p.waitForSelector(`[data-testid=incident-detail][data-incident-id="${incidentId}"] [data-testid=incident-status][data-status=pending]`, { timeout: UI_TIMEOUT });
    const trace = p.locator('[data-testid=incident-detail] [data-testid=trace-link]');
    await trace.waitFor({ timeout: UI_TIMEOUT });
    expect(await trace.getAttribute('href')).toBe(TRACE_VIEWER.replace('{traceId}', traceId));
    await shot(p, 'dispatcher');
  });

  it('accepts the first recommendation with POST /incidents/{id}/assignments and shows what dispatch answered', async () => {
    const p = dispatcher;
    const first = p.locator('[data-testid=recommendation]').first();
    unitId = (await first.getAttribute('data-unit-id'))!;
    const [request, response] = await Promise.all([
      p.waitForRequest((r) => r.method() === 'POST' && /\/api\/dispatch\/incidents\/[0-9a-f-]{36}\/assignments$/.test(r.url()), { timeout: UI_TIMEOUT }),
      p.waitForResponse((r) => r.request().method() === 'POST' && /\/assignments$/.test(r.url()), { timeout: UI_TIMEOUT }),
      first.locator('[data-testid=accept-recommendation]').click(),
    ]);
    expect(request.postDataJSON()).toEqual({ unitId });
    expect(response.status()).toBe(201);
    const result = p.locator('[data-testid=assign-result]');
    await result.waitFor({ timeout: UI_TIMEOUT });
    expect(await result.getAttribute('data-state')).toBe('ok');
    // the incident leaves the pending queue for the in-progress list and stays selected
    await p.waitForSelector(`[data-testid=active-row][data-incident-id="${incidentId}"]`, { timeout: UI_TIMEOUT });
    await p.waitForSelector(`[data-testid=incident-row][data-incident-id="${incidentId}"]`, { state: 'detached', timeout: UI_TIMEOUT });
    await p.waitForSelector(`[data-testid=incident-status][data-status=assigned]`, { timeout: UI_TIMEOUT });
    await p.waitForSelector(`[data-testid=incident-unit][data-unit-id="${unitId}"][data-status=dispatched]`, { timeout: UI_TIMEOUT });
    await shot(p, 'dispatcher-accept');
  });

  it('moves the unit en route (from the incident), on scene (from the unit board) and cleared, and the incident closes', async () => {
    const p = dispatcher;
    const unitRow = p.locator(`[data-testid=incident-unit][data-unit-id="${unitId}"]`);
    const statusPost = (to: string, click: () => Promise<void>) =>
      Promise.all([
        p.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/api/dispatch/units/${encodeURIComponent(unitId)}/status`), { timeout: UI_TIMEOUT }),
        p.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/status'), { timeout: UI_TIMEOUT }),
        click(),
      ]).then(([req, res]) => {
        expect(req.postDataJSON().status).toBe(to);
        return { req, res };
      });

    // one click on the incident's unit row
    const enRoute = await statusPost('en-route', () => unitRow.locator('[data-testid=set-status-en-route]').click());
    expect(enRoute.req.postDataJSON()).toEqual({ status: 'en-route', incidentId });
    expect(enRoute.res.status()).toBe(200);
    await p.waitForSelector(`[data-testid=incident-unit][data-unit-id="${unitId}"][data-status=en-route]`, { timeout: UI_TIMEOUT });
    expect(await unitRow.locator('[data-testid^=set-status-]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).toEqual(['set-status-on-scene', 'set-status-cleared']);

    // two clicks on the unit board: the unit, then its next status
    await p.click(`[data-testid=unit-chip][data-unit-id="${unitId}"]`);
    const actions = p.locator(`[data-testid=unit-actions][data-unit-id="${unitId}"]`);
    await actions.waitFor({ timeout: UI_TIMEOUT });
    const onScene = await statusPost('on-scene', () => actions.locator('[data-testid=unit-set-status-on-scene]').click());
    expect(onScene.res.status()).toBe(200);
    await p.waitForSelector(`[data-testid=incident-unit][data-unit-id="${unitId}"][data-status=on-scene]`, { timeout: UI_TIMEOUT });
    await p.waitForSelector(`[data-testid=unit-chip][data-unit-id="${unitId}"][data-status=on-scene]`, { timeout: UI_TIMEOUT });
    await shot(p, 'dispatcher-on-scene');

    // cleared: the last unit on the incident clears, so dispatch closes the incident
    const cleared = await statusPost('cleared', () => unitRow.locator('[data-testid=set-status-cleared]').click());
    expect(cleared.res.status()).toBe(200);
    await p.waitForSelector(`[data-testid=incident-detail][data-incident-id="${incidentId}"] [data-testid=incident-status][data-status=closed]`, { timeout: UI_TIMEOUT });
    await p.waitForSelector(`[data-testid=active-row][data-incident-id="${incidentId}"]`, { state: 'detached', timeout: UI_TIMEOUT });
    await p.waitForSelector(`[data-testid=unit-chip][data-unit-id="${unitId}"][data-status=cleared]`, { timeout: UI_TIMEOUT });
    expect(await p.locator('[data-testid=status-result][data-state=error]').count()).toBe(0);

    const incident = (await (await fetch(`${stack.url('dispatch')}/incidents/${incidentId}`, auth())).json()) as { status: string; units: { unitId: string; status: string; enRouteAt: string | null; onSceneAt: string | null; clearedAt: string | null }[] };
    expect(incident.status).toBe('closed');
    expect(incident.units.find((u) => u.unitId === unitId)).toMatchObject({ status: 'cleared', enRouteAt: expect.any(String), onSceneAt: expect.any(String), clearedAt: expect.any(String) });
    await shot(p, 'dispatcher-closed');
  });

  it("lets a supervisor raise a district's duty level and shows the roster on duty change, live on another console too", async () => {
    const district = 'Precinct 4'; // NAT-5 (night assistance, rostered from wartime) is off duty below wartime, on duty at any hour at wartime
    const watcher = await signIn('admin', 'America/New_York'); // a browser in another zone than the bureau's
    await watcher.click('[data-testid=tab-supervisor]');
    const p = supervisor;
    await p.click('[data-testid=tab-supervisor]');
    const rowSel = `[data-testid=duty-row][data-district="${district}"]`;
    const cellSel = `[data-testid=roster-cell][data-type=night-assistance][data-district="${district}"]`;
    await p.waitForSelector(`${rowSel}[data-level=normal]`, { timeout: UI_TIMEOUT });
    await p.waitForSelector(`${cellSel}[data-units="0"]`, { timeout: UI_TIMEOUT });
    await watcher.waitForSelector(`${cellSel}[data-units="0"]`, { timeout: UI_TIMEOUT });
    const row = p.locator(rowSel);
    const before = Number(await row.getAttribute('data-on-duty'));
    const totalBefore = await p.textContent('[data-testid=roster-total]');

    await p.fill('[data-testid=duty-reason]', '重大活动安保');
    const [req, res] = await Promise.all([
      p.waitForRequest((r) => r.method() === 'PUT' && r.url().endsWith(`/api/dispatch/duty-levels/${encodeURIComponent(district)}`), { timeout: UI_TIMEOUT }),
      p.waitForResponse((r) => r.request().method() === 'PUT' && /\/duty-levels\//.test(r.url()), { timeout: UI_TIMEOUT }),
      row.locator('[data-testid=set-duty-wartime]').click(),
    ]);
    expect(req.postDataJSON()).toEqual({ level: 'wartime', reason: '重大活动安保' });
    expect(req.headers()['if-match']).toBe('"0"');
    expect(res.status()).toBe(200);
    await p.waitForSelector(`${rowSel}[data-level=wartime]`, { timeout: UI_TIMEOUT });
    await p.waitForSelector(`${cellSel}[data-units="1"]`, { timeout: UI_TIMEOUT });
    expect(Number(await row.getAttribute('data-on-duty'))).toBe(before + 1);
    expect(await p.textContent('[data-testid=roster-total]')).not.toBe(totalBefore);
    expect(await row.locator('[data-testid=duty-level]').textContent()).toBe('战时');
    // the other console, open before the change, follows from the live stream — well before its
    // own periodic re-read (every 60 s), so this wait is shorter than that
    await watcher.waitForSelector(`${rowSel}[data-level=wartime]`, { timeout: LIVE_TIMEOUT });
    await watcher.waitForSelector(`${cellSel}[data-units="1"]`, { timeout: LIVE_TIMEOUT });
    // the change time in the bureau's zone with its offset (issue 13 item 7), whatever the browser's zone
    const changedAt = (await res.json()) as { changedAt?: string };
    const shown = (await watcher.locator(`${rowSel} [data-testid=duty-changed-at]`).textContent())!;
    expect(shown).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00$/);
    expect(await row.locator('[data-testid=duty-changed-at]').textContent()).toBe(shown);
    if (changedAt.changedAt) {
      const sh = new Date(Date.parse(changedAt.changedAt) + 8 * 3600_000).toISOString();
      expect(shown).toBe(`${sh.slice(0, 10)} ${sh.slice(11, 19)} +08:00`);
    }
    await shot(p, 'supervisor');
  });

  it('updates the statistics view without a reload, in both languages', async () => {
    const p = ops;
    await p.waitForSelector('[data-testid=stats-total]:text-is("1")', { timeout: UI_TIMEOUT });
    const criminal = p.locator('[data-testid=chart-categories] [data-key=criminal]');
    await criminal.waitFor({ timeout: UI_TIMEOUT });
    expect(await criminal.textContent()).toContain('刑事');
    await p.waitForSelector('[data-testid=pipeline-table] tr[data-service=dispatch] td:nth-child(2):not(:text("—"))', { timeout: UI_TIMEOUT });

    // the period figures (last 30 local days): 同比 table, days without, response times, hex map
    await p.waitForSelector('[data-testid=yoy-table] tr[data-key=criminal][data-current="1"]', { timeout: UI_TIMEOUT });
    expect(await p.textContent('[data-testid=yoy-table] tr[data-key=criminal]')).toContain('刑事');
    await p.waitForSelector('[data-testid=days-without-incident]:text-is("29")', { timeout: UI_TIMEOUT });
    await p.waitForSelector('[data-testid=days-without-criminal]:text-is("29")', { timeout: UI_TIMEOUT });
    // the unit went on scene: total response (answered → on scene) and travel time are measured once
    await p.waitForSelector('[data-testid=response-times] [data-testid=response-row][data-measure=total][data-n="1"]', { timeout: UI_TIMEOUT });
    await p.waitForSelector('[data-testid=response-times] [data-testid=response-row][data-measure=travel][data-n="1"]', { timeout: UI_TIMEOUT });
    const cell = p.locator('[data-testid=hex-map] [data-testid=hex-cell]');
    await cell.first().waitFor({ timeout: UI_TIMEOUT });
    expect(await cell.count()).toBeGreaterThanOrEqual(1);
    expect(await cell.first().getAttribute('data-cell')).toBe(latLngToCell(CALL_LAT, CALL_LON, 8));
    expect(await cell.first().getAttribute('data-calls')).toBe('1');
    expect((await cell.first().getAttribute('d'))!.match(/L/g)!.length).toBeGreaterThanOrEqual(5); // a hexagon (or pentagon) drawn from cellToBoundary
    await shot(p, 'ops');
    await p.click('[data-testid=lang-toggle]');
    await p.waitForSelector('text=Calls received', { timeout: UI_TIMEOUT });
    expect(await p.getAttribute('html', 'lang')).toBe('en');
    expect(await criminal.textContent()).toContain('Criminal');
    await shot(p, 'ops-en');
  });

  it('ran every page above under the CSP without a violation (security headers, issue 19.5)', async () => {
    const res = await fetch(`${stack.url('console')}/`, { headers: { accept: 'text/html' } });
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(cspViolations).toEqual([]);
  });
});
