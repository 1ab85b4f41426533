/**
 * The dispatcher desk (调度台, issue 15) end to end in Debian's Chromium (playwright-core) on a real
 * stack (the four services and the console as processes, Kafka, PostgreSQL) at 1920×1080, after
 * replaying 150 of the bundled real calls (the demo's data):
 * - the desk fits one screen (no page scroll): queue, incident, unit board (23 units), map;
 * - a new P1 plays the tone (the Web Audio oscillators are recorded by an init script wrapping
 *   AudioContext) and raises a desktop notification (Notification wrapped the same way);
 * - the incident detail shows the address and the SOP answers of the call that was logged;
 * - a free unit that was not recommended is found by its call sign (F7) and sent;
 * - accepting a recommendation that went stale offers the next best unit, which is then sent;
 * - a run card is filled in one action (every unit that fills one of its needs is sent);
 * - the caller number is masked for the dispatcher and revealed to a supervisor, the reveal audited;
 * - an incident is closed without a unit with a disposition (F9), another cancelled with a reason (F10);
 * - a note is added (F2) and the priority changed with a reason (Alt+P), both shown by the detail;
 * - a pending incident is linked as the duplicate of another (Alt+L): it closes as 重复报警 and links to the original;
 * - a pending P1 answered 4 minutes ago shows a red timer (queue, map) with its tone and notification;
 * - replayed calls show their source date, not an age of years, and their timers never turn red;
 * - a call linked as a duplicate by the call taker shows on the dispatcher's incident (issue 16);
 * - the command line dispatches a unit (`D <call sign> <queue no.>`);
 * - an overdue-unit alert (dispatched, not en route after 60 s) appears with a tone and is acknowledged;
 * - an incident created while the console gateway is down appears within 5 s after it is back;
 * - the map zooms offline (no request leaves the console's origin), its labels do not overlap.
 * Screenshots go to test-artifacts/dispatcher-desk/ (and docs/screenshots/ with CAD110_UPDATE_SCREENSHOTS=1).
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page, type Request, type Response } from 'playwright-core';
import { loadTaxonomy } from '@cad110/contracts';
import { loadMapping, postCalls, readCalls } from '@cad110/importer';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId } from '@cad110/testkit';
import { BUNDLED_SLICE, CHROMIUM, CHROMIUM_ARGS, ensureWebBuild, ROOT, Stack, waitForPipeline } from '../src';

jest.setTimeout(600_000);

// page-side globals of the functions evaluated in the browser (this package compiles without the DOM lib)
declare const window: unknown;
declare const document: { documentElement: { scrollHeight: number; scrollWidth: number }; querySelector: (s: string) => { getAttribute: (a: string) => string | null } | null; activeElement: { getAttribute: (a: string) => string | null } | null };
declare const innerHeight: number;
declare const innerWidth: number;

const ARTIFACTS = join(ROOT, 'test-artifacts', 'dispatcher-desk');
const DOCS = join(ROOT, 'docs', 'screenshots');
const UI = 60_000;
const REPLAYED = 150;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Records every Web Audio oscillator started and every desktop notification, before the page's own scripts run. */
const RECORDER = `
  window.__tones = [];
  window.__notes = [];
  const AC = window.AudioContext;
  window.AudioContext = class extends AC {
    createOscillator() {
      const o = super.createOscillator();
      const start = o.start.bind(o);
      o.start = (...a) => { window.__tones.push({ hz: o.frequency.value, at: Date.now() }); return start(...a); };
      return o;
    }
  };
  const N = window.Notification;
  if (N) {
    const Rec = class extends N {
      constructor(title, opts) { window.__notes.push({ title, body: opts && opts.body, tag: opts && opts.tag }); super(title, opts); }
    };
    Object.defineProperty(Rec, 'permission', { get: () => N.permission });
    Rec.requestPermission = (...a) => N.requestPermission(...a);
    window.Notification = Rec;
  }
`;

type Rec = { unitId: string; callSign: string; rank: number; need?: number };
type UnitRow = { id: string; callSign: string; status: string; replay: boolean; district: string; dutyNow?: { onDuty: boolean } };

describe('dispatcher desk in the browser', () => {
  const password = randomBytes(12).toString('base64url');
  const stack = new Stack({
    brokers: kafkaBrokers().join(','),
    topicPrefix: `${uniqueId('dd')}.`,
    dbPrefix: uniqueId('cad110dd_'),
    fresh: true,
    console: true,
    demoPassword: password,
    timeZone: 'Asia/Shanghai',
    env: { LOG_LEVEL: 'warn' },
  });
  let browser: Browser;
  let p: Page;
  const foreign: string[] = [];
  /** what Chromium refused under the console's Content Security Policy (issue 19.5) */
  const cspViolations: string[] = [];
  let p1Incident: string;
  let p1Call: string;
  let sentUnit: string;
  let sentAt = 0;

  const api = async <T>(service: 'intake' | 'dispatch', method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${stack.url(service)}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.token('supervisor', 'e2e-supervisor')}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as T };
  };
  const units = async () => (await api<{ items: UnitRow[] }>('dispatch', 'GET', '/units')).body.items.filter((u) => !u.replay);
  const recs = async (incidentId: string, alternates = 3) => (await api<{ recommendations: Rec[] }>('dispatch', 'GET', `/incidents/${incidentId}/recommendations?alternates=${alternates}`)).body.recommendations;
  /** Logs a call through intake, handed to dispatch; waits for its incident and returns the incident id. */
  async function logCall(body: Record<string, unknown>): Promise<{ callId: string; incidentId: string }> {
    const res = await api<{ callId: string }>('intake', 'POST', '/calls', { channel: '110', handToDispatch: true, ...body });
    expect(res.status).toBe(201);
    const callId = res.body.callId;
    for (let i = 0; i < 200; i++) {
      const r = await api<{ items: { id: string }[] }>('dispatch', 'GET', `/incidents?callId=${callId}`);
      if (r.body.items[0]) return { callId, incidentId: r.body.items[0].id };
      await sleep(100);
    }
    throw new Error(`no incident for call ${callId}`);
  }

  async function shot(page: Page, name: string): Promise<void> {
    const file = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: file });
    if (process.env.CAD110_UPDATE_SCREENSHOTS === '1') copyFileSync(file, join(DOCS, `${name}.png`));
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    if (process.env.CAD110_UPDATE_SCREENSHOTS === '1') mkdirSync(DOCS, { recursive: true });
    ensureWebBuild();
    await stack.start();
    // the demo's state: bundled real calls replayed through intake
    const taxonomy = loadTaxonomy();
    const mapping = loadMapping('minneapolis-mpd', taxonomy);
    const { calls } = await readCalls(BUNDLED_SLICE, mapping, taxonomy, REPLAYED);
    const posted = await postCalls(calls, { intakeUrl: stack.url('intake'), concurrency: 8, progress: false, headers: { authorization: `Bearer ${stack.token('call_taker', 'importer')}` } });
    const handed = new Set(calls.filter((c) => c.body.handToDispatch).map((c) => c.body.externalRef.id));
    const n = posted.accepted.filter((a) => handed.has(a.externalId)).length;
    await waitForPipeline(stack, { incidents: n, cases: n, statsTotal: posted.accepted.length });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const origin = stack.url('console');
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    await context.grantPermissions(['notifications'], { origin });
    await context.addInitScript(RECORDER);
    p = await context.newPage();
    p.on('console', (m) => /Content Security Policy/i.test(m.text()) && cspViolations.push(m.text()));
    p.on('request', (r) => !r.url().startsWith(origin) && !r.url().startsWith('data:') && foreign.push(r.url()));
    await p.goto(`${origin}/`);
    await p.fill('input[name=username]', 'dispatcher');
    await p.fill('input[name=password]', password);
    await p.fill('input[name=workstation]', 'ws-dispatch-3');
    await p.click('[data-testid=login-submit]');
    await p.waitForSelector('[data-testid=view-dispatch]', { timeout: UI });
    await p.waitForSelector('[data-testid=live][data-state=open]', { timeout: UI });
  });

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
    await stack.dropDatabases();
  });

  it('shows queue, incident, unit board (23 units) and map on one 1920×1080 screen without page scroll', async () => {
    await p.waitForSelector('[data-testid=incident-row]', { timeout: UI });
    await p.waitForSelector('[data-testid=unit-chip]', { timeout: UI });
    await p.waitForSelector('[data-testid=recommendation]', { timeout: UI });
    expect(await p.locator('[data-testid=unit-chip]').count()).toBe(23);
    expect(Number(await p.textContent('[data-testid=pending-total]'))).toBeGreaterThan(0);
    const page = await p.evaluate(() => ({ sh: document.documentElement.scrollHeight, sw: document.documentElement.scrollWidth, h: innerHeight, w: innerWidth }));
    expect(page.sh).toBeLessThanOrEqual(page.h);
    expect(page.sw).toBeLessThanOrEqual(page.w);
    for (const id of ['queue-panel', 'incident-pane', 'unit-board', 'desk-map', 'alert-list']) {
      const box = (await p.locator(`[data-testid=${id}]`).boundingBox())!;
      expect(box.y + box.height).toBeLessThanOrEqual(1080);
      expect(box.x + box.width).toBeLessThanOrEqual(1920);
      expect(box.height).toBeGreaterThan(150);
    }
    // district names in Chinese, no raw district key anywhere on the desk
    const text = (await p.textContent('[data-testid=view-dispatch]'))!;
    expect(text).not.toMatch(/Precinct|Rural (South|West)/);
    // replayed (historic) calls: their source date, never an age of years nor a red timer
    const queue = (await p.textContent('[data-testid=queue-panel]'))!;
    expect(queue).not.toMatch(/\d{3,}\s?天/);
    expect(await p.locator('[data-testid=incident-row] [data-testid=timer][data-replay=true]').count()).toBeGreaterThan(0);
    expect(await p.locator('[data-testid=incident-row] [data-testid=timer][data-replay=true][data-level=red]').count()).toBe(0);
  });

  it('plays the tone and shows a desktop notification for a new P1, and its detail shows the address and SOP answers of the logged call', async () => {
    const before = await p.evaluate(() => (window as unknown as { __tones: unknown[] }).__tones.length);
    const call = await logCall({
      caller: { number: '13800138000' },
      location: { address: '中心步行街88号 工商银行门口', lat: 44.9772, lon: -93.2718, district: 'Precinct 1' },
      classification: { subtype: 'robbery' },
      narrative: '一男子持刀抢走报警人手提包后向北逃跑',
      sopAnswers: [
        { index: 1, question: '嫌疑人是否持有刀、枪等凶器？', answer: '持一把水果刀' },
        { index: 2, question: '有没有人受伤？伤情如何？是否需要120？', answer: '报警人手臂轻伤，不需要120' },
      ],
    });
    p1Incident = call.incidentId;
    p1Call = call.callId;
    const row = p.locator(`[data-testid=incident-row][data-incident-id="${p1Incident}"]`);
    await row.waitFor({ timeout: UI });
    expect(await row.getAttribute('data-priority')).toBe('1');
    // the tone: three 1046 Hz oscillators (attention.ts P1 pattern), the notification and the flash
    await p.waitForFunction((n) => (window as unknown as { __tones: { hz: number }[] }).__tones.slice(n).filter((t) => t.hz === 1046).length >= 3, before, { timeout: UI });
    await p.waitForFunction(() => (window as unknown as { __notes: { title: string }[] }).__notes.some((x) => x.title.includes('P1')), undefined, { timeout: UI });
    const note = await p.evaluate(() => (window as unknown as { __notes: { title: string; body: string }[] }).__notes.find((x) => x.title.includes('P1'))!);
    expect(note.title).toContain('新警情');
    expect(note.body).toContain('抢劫');
    expect(note.body).toContain('城中'); // the district in Chinese
    await p.waitForSelector(`[data-testid=attention-item][data-kind=p1][data-incident-id="${p1Incident}"]`, { timeout: UI });
    await p.click(`[data-testid=attention-item][data-incident-id="${p1Incident}"]`);
    const detail = p.locator(`[data-testid=incident-detail][data-incident-id="${p1Incident}"]`);
    await detail.waitFor({ timeout: UI });
    await detail.locator('[data-testid=incident-address]:has-text("中心步行街88号 工商银行门口")').waitFor({ timeout: UI });
    const answers = detail.locator('[data-testid=sop-answer]');
    await answers.first().waitFor({ timeout: UI });
    expect(await answers.allTextContents()).toEqual(['嫌疑人是否持有刀、枪等凶器？持一把水果刀', '有没有人受伤？伤情如何？是否需要120？报警人手臂轻伤，不需要120']);
    expect(await detail.textContent()).toContain('一男子持刀抢走报警人手提包');
    expect(await detail.textContent()).not.toContain('13800138000'); // masked for a dispatcher
    // stage clocks on one line each, the zone's offset once above them
    expect(await detail.locator('[data-testid=stage-offset]').textContent()).toContain('+08:00');
    for (const c of await detail.locator('[data-testid=stage-clock]').all()) {
      const text = (await c.textContent())!;
      if (text === '—') continue;
      expect(text).toMatch(/^\d{2}:\d{2}:\d{2}$/);
      expect((await c.boundingBox())!.height).toBeLessThan(24);
    }
    await detail.locator('[data-testid=recommendation]').first().waitFor({ timeout: UI });
    await shot(p, 'dispatcher-desk-p1');
  });

  it('sends a free unit that was not recommended, found by its call sign in the free-unit search (F7)', async () => {
    const recommended = new Set((await recs(p1Incident)).map((r) => r.unitId));
    const candidate = (await units()).find((u) => (u.status === 'available' || u.status === 'cleared') && u.dutyNow?.onDuty && !recommended.has(u.id))!;
    expect(candidate).toBeDefined();
    await p.keyboard.press('F7');
    const dialog = p.locator('[data-testid=send-unit-dialog]');
    await dialog.waitFor({ timeout: UI });
    await p.keyboard.type(candidate.callSign);
    const row = dialog.locator(`[data-testid=free-unit][data-unit-id="${candidate.id}"]`);
    await row.waitFor({ timeout: UI });
    await row.locator('[data-testid=free-unit-eta]:text-matches("\\\\d+:\\\\d{2}")').waitFor({ timeout: UI });
    expect(await row.locator('[data-testid=circle-5]').count()).toBe(1);
    await shot(p, 'dispatcher-desk-send-any');
    const [req, res] = await Promise.all([
      p.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/api/dispatch/incidents/${p1Incident}/assignments`), { timeout: UI }),
      p.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/assignments'), { timeout: UI }),
      row.locator('[data-testid=send-unit]').click(),
    ]);
    expect(req.postDataJSON()).toEqual({ unitId: candidate.id });
    expect(res.status()).toBe(201);
    sentUnit = candidate.id;
    sentAt = Date.now();
    await dialog.waitFor({ state: 'detached', timeout: UI });
    await p.waitForSelector(`[data-testid=incident-unit][data-unit-id="${candidate.id}"][data-status=dispatched]`, { timeout: UI });
    await p.waitForSelector(`[data-testid=unit-chip][data-unit-id="${candidate.id}"][data-status=dispatched]`, { timeout: UI });
  });

  it('accepting a recommendation that went stale offers the next best unit with the reason, and sends it', async () => {
    const { incidentId } = await logCall({ location: { address: '城东北 滨河路12号', lat: 44.99, lon: -93.245, district: 'Precinct 2' }, classification: { subtype: 'assault' }, narrative: '两人打架，一人头部流血' });
    await p.waitForSelector(`[data-testid=incident-row][data-incident-id="${incidentId}"]`, { timeout: UI });
    await p.fill('[data-testid=command-line]', `G ${incidentId.slice(0, 8)}`);
    await p.press('[data-testid=command-line]', 'Enter');
    const detail = p.locator(`[data-testid=incident-detail][data-incident-id="${incidentId}"]`);
    await detail.waitFor({ timeout: UI });
    const first = detail.locator('[data-testid=recommendation]').first();
    await first.waitFor({ timeout: UI });
    const staleUnit = (await first.getAttribute('data-unit-id'))!;
    // meanwhile another dispatcher takes that unit off the air
    expect((await api('dispatch', 'POST', `/units/${encodeURIComponent(staleUnit)}/status`, { status: 'out-of-service' })).status).toBe(200);
    await p.waitForSelector(`[data-testid=unit-chip][data-unit-id="${staleUnit}"][data-status=out-of-service]`, { timeout: UI });
    expect(await first.getAttribute('data-unit-id')).toBe(staleUnit); // the list did not move under the mouse
    const [res] = await Promise.all([p.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/incidents/${incidentId}/assignments`), { timeout: UI }), first.locator('[data-testid=accept-recommendation]').click()]);
    expect(res.status()).toBe(409);
    const stale = detail.locator(`[data-testid=stale-recommendation][data-unit-id="${staleUnit}"]`);
    await stale.waitFor({ timeout: UI });
    const staleText = (await stale.textContent())!;
    expect(staleText).toContain('推荐已过时');
    expect(staleText).toContain('已不空闲');
    expect(staleText).toContain('停勤');
    expect(staleText).not.toMatch(/[A-Za-z]{4,}/); // plain Chinese, no raw server sentence
    const next = (await stale.locator('[data-testid=next-best]').getAttribute('data-unit-id'))!;
    expect(next).not.toBe(staleUnit);
    await shot(p, 'dispatcher-desk-stale');
    const [ok] = await Promise.all([p.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/incidents/${incidentId}/assignments`), { timeout: UI }), stale.locator('[data-testid=accept-next]').click()]);
    expect(ok.status()).toBe(201);
    expect(ok.request().postDataJSON()).toEqual({ unitId: next });
    await p.waitForSelector(`[data-testid=incident-unit][data-unit-id="${next}"]`, { timeout: UI });
    await api('dispatch', 'POST', `/units/${encodeURIComponent(staleUnit)}/status`, { status: 'available' });
  });

  it('fills the run card in one action: a robbery in progress gets both armed units its card needs', async () => {
    const { incidentId } = await logCall({ location: { address: '城南 人民路66号 金店', lat: 44.948, lon: -93.262, district: 'Precinct 3' }, classification: { subtype: 'robbery' }, narrative: '金店正在被抢，两名嫌疑人持刀' });
    await p.waitForSelector(`[data-testid=incident-row][data-incident-id="${incidentId}"]`, { timeout: UI });
    await p.fill('[data-testid=command-line]', `G ${incidentId.slice(0, 8)}`);
    await p.press('[data-testid=command-line]', 'Enter');
    const detail = p.locator(`[data-testid=incident-detail][data-incident-id="${incidentId}"]`);
    const button = detail.locator('[data-testid=fill-run-card]');
    await button.waitFor({ timeout: UI });
    // the units dispatch says fill the card's needs (crime-in-progress: two armed units)
    const primaries = (await recs(incidentId)).filter((r) => r.need !== undefined);
    expect(primaries.length).toBe(2);
    expect(Number(await button.getAttribute('data-count'))).toBe(primaries.length);
    const posted: { unitId: string }[] = [];
    const onRequest = (r: { method(): string; url(): string; postDataJSON(): unknown }) => {
      if (r.method() === 'POST' && r.url().endsWith(`/api/dispatch/incidents/${incidentId}/assignments`)) posted.push(r.postDataJSON() as { unitId: string });
    };
    p.on('request', onRequest);
    await button.click();
    for (const r of primaries) await detail.locator(`[data-testid=incident-unit][data-unit-id="${r.unitId}"]`).waitFor({ timeout: UI });
    p.off('request', onRequest);
    expect(posted.map((b) => b.unitId).sort()).toEqual(primaries.map((r) => r.unitId).sort());
    const inc = await api<{ units: { unitId: string; active: boolean }[] }>('dispatch', 'GET', `/incidents/${incidentId}`);
    expect(inc.body.units.filter((u) => u.active).map((u) => u.unitId).sort()).toEqual(primaries.map((r) => r.unitId).sort());
    // back on the air for the tests that follow
    for (const r of primaries) expect((await api('dispatch', 'POST', `/units/${encodeURIComponent(r.unitId)}/status`, { status: 'cleared', incidentId })).status).toBe(200);
  });

  it('closes an incident without a unit with a disposition (F9, 电话处置)', async () => {
    const { incidentId } = await logCall({ location: { address: '城南 和平街5号', lat: 44.955, lon: -93.27, district: 'Precinct 3' }, classification: { subtype: 'noise' }, narrative: '楼上装修噪音，报警人经电话劝解后表示不需出警' });
    await p.click(`[data-testid=incident-row][data-incident-id="${incidentId}"]`);
    await p.waitForSelector(`[data-testid=incident-detail][data-incident-id="${incidentId}"] [data-testid=incident-status][data-status=pending]`, { timeout: UI });
    await p.keyboard.press('F9');
    const dialog = p.locator('[data-testid=action-dialog][data-kind=close]');
    await dialog.waitFor({ timeout: UI });
    expect(await dialog.locator('[data-testid=action-select]').inputValue()).toBe('resolved-by-phone');
    expect(await dialog.locator('[data-testid=action-select] option:checked').textContent()).toBe('电话处置');
    expect(await dialog.locator('[data-testid=action-select] option').allTextContents()).toEqual(['电话处置', '已告知求助途径', '移交其他部门', '非警务类', '虚假报警', '重复报警', '报警人撤销', '其他']);
    const [req, res] = await Promise.all([
      p.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/api/dispatch/incidents/${incidentId}/close`), { timeout: UI }),
      p.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/close'), { timeout: UI }),
      p.keyboard.press('Enter'),
    ]);
    expect(req.postDataJSON()).toEqual({ disposition: 'resolved-by-phone' });
    expect(res.status()).toBe(200);
    await p.waitForSelector(`[data-testid=incident-detail][data-incident-id="${incidentId}"] [data-testid=incident-status][data-status=closed]`, { timeout: UI });
    await p.waitForSelector(`[data-testid=incident-row][data-incident-id="${incidentId}"]`, { state: 'detached', timeout: UI });
    const inc = await api<{ status: string; closeReason: string; units: unknown[] }>('dispatch', 'GET', `/incidents/${incidentId}`);
    expect(inc.body).toMatchObject({ status: 'closed', closeReason: 'resolved-by-phone', disposition: 'resolved-by-phone', units: [] });
  });

  it('adds a note (F2) and changes the priority with a reason (Alt+P), both shown in the incident detail', async () => {
    const { incidentId } = await logCall({ location: { address: '城南 和平街9号', lat: 44.956, lon: -93.268, district: 'Precinct 3' }, classification: { subtype: 'noise' }, narrative: '邻居深夜喧哗' });
    await p.click(`[data-testid=incident-row][data-incident-id="${incidentId}"]`);
    await p.waitForSelector(`[data-testid=incident-detail][data-incident-id="${incidentId}"] [data-testid=incident-status][data-status=pending]`, { timeout: UI });
    await p.keyboard.press('F2');
    const note = p.locator('[data-testid=action-dialog][data-kind=note]');
    await note.waitFor({ timeout: UI });
    await note.locator('[data-testid=action-text]').fill('报警人回电：已有人员受伤');
    const [noteReq, noteRes] = await Promise.all([
      p.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/api/dispatch/incidents/${incidentId}/notes`), { timeout: UI }),
      p.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/notes'), { timeout: UI }),
      note.locator('[data-testid=action-confirm]').click(),
    ]);
    expect(noteReq.postDataJSON()).toEqual({ text: '报警人回电：已有人员受伤' });
    expect(noteRes.status()).toBe(200);
    await note.waitFor({ state: 'detached', timeout: UI });
    // Alt+P, or the pane's button when the key landed while the desk re-read its lists after the note
    const prio = p.locator('[data-testid=action-dialog][data-kind=priority]');
    await p.keyboard.press('Alt+p');
    for (let i = 0; i < 5 && !(await prio.isVisible()); i++) {
      await prio.waitFor({ timeout: 2_000 }).catch(() => undefined);
      if (!(await prio.isVisible())) await p.click(`[data-testid=incident-detail][data-incident-id="${incidentId}"] [data-testid=action-priority]`);
    }
    await prio.waitFor({ timeout: UI });
    await prio.locator('[data-testid=action-select]').selectOption('1');
    await prio.locator('[data-testid=action-text]').fill('有人受伤');
    const [prioReq, prioRes] = await Promise.all([
      p.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/api/dispatch/incidents/${incidentId}/priority`), { timeout: UI }),
      p.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/priority'), { timeout: UI }),
      prio.locator('[data-testid=action-confirm]').click(),
    ]);
    expect(prioReq.postDataJSON()).toEqual({ priority: 1, reason: '有人受伤' });
    expect(prioRes.status()).toBe(200);
    await p.waitForSelector(`[data-testid=incident-row][data-incident-id="${incidentId}"][data-priority="1"]`, { timeout: UI });
    const inc = await api<{ priority: number; narrative: { text: string; source: string }[]; priorityChanges: { to: number; reason: string }[] }>('dispatch', 'GET', `/incidents/${incidentId}`);
    expect(inc.body).toMatchObject({ priority: 1, narrative: [{ source: 'dispatch', text: '报警人回电：已有人员受伤' }], priorityChanges: [{ to: 1, reason: '有人受伤' }] });
    await p.waitForSelector(`[data-testid=incident-detail][data-incident-id="${incidentId}"] [data-testid=incident-note]:has-text("报警人回电：已有人员受伤")`, { timeout: UI });
    const change = p.locator(`[data-testid=incident-detail][data-incident-id="${incidentId}"] [data-testid=priority-change][data-to="1"]`);
    await change.waitFor({ timeout: UI });
    expect(await change.textContent()).toContain('有人受伤');
  });

  it('links a pending incident as the duplicate of another (Alt+L): it closes as a duplicate, its detail links to the original, which lists it', async () => {
    const orig = await logCall({ location: { address: '城南 和平街21号', lat: 44.957, lon: -93.266, district: 'Precinct 3' }, classification: { subtype: 'noise' }, narrative: '楼上装修噪音' });
    const dup = await logCall({ location: { address: '城南 和平街21号', lat: 44.957, lon: -93.266, district: 'Precinct 3' }, classification: { subtype: 'noise' }, narrative: '同一处装修噪音，另一位邻居' });
    await p.waitForSelector(`[data-testid=incident-row][data-incident-id="${orig.incidentId}"]`, { timeout: UI });
    await p.click(`[data-testid=incident-row][data-incident-id="${dup.incidentId}"]`);
    await p.waitForSelector(`[data-testid=incident-detail][data-incident-id="${dup.incidentId}"] [data-testid=incident-status][data-status=pending]`, { timeout: UI });
    const link = p.locator('[data-testid=action-dialog][data-kind=link]');
    await p.keyboard.press('Alt+l');
    // or the pane's button when the key landed while the desk re-read its lists
    for (let i = 0; i < 5 && !(await link.isVisible()); i++) {
      await link.waitFor({ timeout: 2_000 }).catch(() => undefined);
      if (!(await link.isVisible())) await p.click(`[data-testid=incident-detail][data-incident-id="${dup.incidentId}"] [data-testid=action-link]`);
    }
    await link.waitFor({ timeout: UI });
    await link.locator('[data-testid=action-select]').selectOption(orig.incidentId);
    const [req, res] = await Promise.all([
      p.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/api/dispatch/incidents/${dup.incidentId}/link`), { timeout: UI }),
      p.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/link'), { timeout: UI }),
      link.locator('[data-testid=action-confirm]').click(),
    ]);
    expect(req.postDataJSON()).toEqual({ duplicateOf: orig.incidentId });
    expect(res.status()).toBe(200);
    await p.waitForSelector(`[data-testid=incident-row][data-incident-id="${dup.incidentId}"]`, { state: 'detached', timeout: UI });
    await p.waitForSelector(`[data-testid=incident-detail][data-incident-id="${dup.incidentId}"] [data-testid=open-original][data-incident-id="${orig.incidentId}"]`, { timeout: UI });
    const inc = await api<{ status: string; disposition: string; duplicates: unknown[] }>('dispatch', 'GET', `/incidents/${orig.incidentId}`);
    expect(inc.body).toMatchObject({ status: 'pending', duplicates: [{ direction: 'duplicated-by', incidentId: dup.incidentId, callId: dup.callId, source: 'dispatcher' }] });
    expect((await api<{ status: string; disposition: string }>('dispatch', 'GET', `/incidents/${dup.incidentId}`)).body).toMatchObject({ status: 'closed', disposition: 'duplicate' });
  });

  it('cancels an incident with a reason (F10, 虚假报警)', async () => {
    const { incidentId } = await logCall({ location: { address: '城南 新华路3号', lat: 44.952, lon: -93.265, district: 'Precinct 3' }, classification: { subtype: 'theft' }, narrative: '报警人称自行车被盗，回拨核实为误报' });
    await p.click(`[data-testid=incident-row][data-incident-id="${incidentId}"]`);
    await p.waitForSelector(`[data-testid=incident-detail][data-incident-id="${incidentId}"] [data-testid=incident-status][data-status=pending]`, { timeout: UI });
    await p.keyboard.press('F10');
    const dialog = p.locator('[data-testid=action-dialog][data-kind=cancel]');
    await dialog.waitFor({ timeout: UI });
    await dialog.locator('[data-testid=action-select]').selectOption('false-report');
    expect(await dialog.locator('[data-testid=action-select] option:checked').textContent()).toBe('虚假报警');
    const [req, res] = await Promise.all([
      p.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/api/dispatch/incidents/${incidentId}/cancel`), { timeout: UI }),
      p.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/cancel'), { timeout: UI }),
      dialog.locator('[data-testid=action-select]').press('Enter'),
    ]);
    expect(req.postDataJSON()).toEqual({ reason: 'false-report' });
    expect(res.status()).toBe(200);
    await p.waitForSelector(`[data-testid=incident-detail][data-incident-id="${incidentId}"] [data-testid=incident-status][data-status=cancelled]`, { timeout: UI });
    await p.waitForSelector(`[data-testid=incident-row][data-incident-id="${incidentId}"]`, { state: 'detached', timeout: UI });
    const inc = await api<{ status: string; closeReason: string }>('dispatch', 'GET', `/incidents/${incidentId}`);
    expect(inc.body).toMatchObject({ status: 'cancelled', closeReason: 'false-report' });
  });

  it('a pending P1 answered 4 minutes ago shows a red timer, on the queue and the map, with its tone and notification', async () => {
    const before = await p.evaluate(() => (window as unknown as { __tones: unknown[] }).__tones.length);
    // 4 min 10 s ago: the desk's clock ticks once a second, so an answer exactly 240 s ago can read 3:59
    const answeredAt = new Date(Date.now() - 250_000).toISOString();
    const { incidentId } = await logCall({ answeredAt, location: { address: '城中 解放路9号', lat: 44.979, lon: -93.262, district: 'Precinct 1' }, classification: { subtype: 'robbery' }, narrative: '抢劫后嫌疑人逃离，报警人延迟报警' });
    const row = p.locator(`[data-testid=incident-row][data-incident-id="${incidentId}"]`);
    await row.waitFor({ timeout: UI });
    await row.locator('[data-testid=timer][data-level=red]').waitFor({ timeout: UI });
    expect(await row.locator('[data-testid=timer]').textContent()).toMatch(/^4:\d{2}$/);
    await p.waitForSelector(`[data-testid=attention-item][data-kind=red][data-incident-id="${incidentId}"]`, { timeout: UI });
    // the red-timer tone (attention.ts: two 659 Hz beeps) and a notification
    await p.waitForFunction((n) => (window as unknown as { __tones: { hz: number }[] }).__tones.slice(n).filter((t) => t.hz === 659).length >= 2, before, { timeout: UI });
    expect(await p.locator(`[data-testid=county-map] path.cm-incident.red[data-incident-id="${incidentId}"]`).count()).toBe(1);
    await shot(p, 'dispatcher-desk-red-timer');
  });

  it('shows a call the call taker linked as a duplicate on the dispatcher\'s incident (issue 16)', async () => {
    // a second caller reports the P1 robbery of the first test (it shows in the desk's screenshot)
    const first = { callId: p1Call, incidentId: p1Incident };
    const second = await api<{ callId: string }>('intake', 'POST', '/calls', { channel: '110', caller: { number: '13900139000' }, location: { address: '中心步行街90号 商场门口', lat: 44.9773, lon: -93.2717, district: 'Precinct 1' }, classification: { subtype: 'robbery' }, narrative: '看到有人抢包往北跑了' });
    expect(second.status).toBe(201);
    await p.click(`[data-testid=active-row][data-incident-id="${first.incidentId}"]`);
    const detail = p.locator(`[data-testid=incident-detail][data-incident-id="${first.incidentId}"]`);
    await detail.waitFor({ timeout: UI });
    // the call taker links the second call to the first (intake's command needs If-Match)
    const link = await fetch(`${stack.url('intake')}/calls/${second.body.callId}/duplicate-link`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token('call_taker', 'e2e-call-taker')}`, 'content-type': 'application/json', 'if-match': '*' },
      body: JSON.stringify({ duplicateOfCallId: first.callId, reason: '同一起抢包' }),
    });
    expect(link.status).toBe(200);
    const row = detail.locator(`[data-testid=linked-call][data-call-id="${second.body.callId}"]`);
    await row.waitFor({ timeout: UI });
    // the linked call's address and number come from intake after the row renders
    await row.filter({ hasText: '中心步行街90号 商场门口' }).waitFor({ timeout: UI });
    const text = (await row.textContent())!;
    expect(text).toContain('同一起抢包');
    expect(text).toContain('距离近');
    expect(text).toContain('中心步行街90号 商场门口');
    expect(text).not.toContain('13900139000'); // masked for a dispatcher
    expect(await detail.locator('[data-testid=linked-count]').textContent()).toBe('1');
  });

  it('dispatches a unit from the command line (D <call sign> <queue no.>)', async () => {
    const { incidentId } = await logCall({ location: { address: '城西 建设路20号', lat: 44.97, lon: -93.3, district: 'Precinct 5' }, classification: { subtype: 'theft' }, narrative: '电动车被盗' });
    const row = p.locator(`[data-testid=incident-row][data-incident-id="${incidentId}"]`);
    await row.waitFor({ timeout: UI });
    const queueNo = (await row.locator('.queue-no').textContent())!.trim();
    const unit = (await units()).find((u) => u.status === 'available' && u.dutyNow?.onDuty)!;
    await p.keyboard.press('F3');
    expect(await p.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('command-line');
    await p.keyboard.type(`D ${unit.callSign} ${queueNo}`);
    const [req, res] = await Promise.all([
      p.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/api/dispatch/incidents/${incidentId}/assignments`), { timeout: UI }),
      p.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/assignments'), { timeout: UI }),
      p.keyboard.press('Enter'),
    ]);
    expect(req.postDataJSON()).toEqual({ unitId: unit.id });
    expect(res.status()).toBe(201);
    await p.waitForSelector('[data-testid=command-result][data-state=ok]', { timeout: UI });
    await p.waitForSelector(`[data-testid=incident-detail][data-incident-id="${incidentId}"] [data-testid=incident-unit][data-unit-id="${unit.id}"]`, { timeout: UI });
    // an unknown verb is refused in Chinese
    await p.keyboard.press('F3');
    await p.keyboard.type('Q 1');
    await p.keyboard.press('Enter');
    await p.waitForSelector('[data-testid=command-result][data-state=error]:has-text("无法识别的命令")', { timeout: UI });
    await p.keyboard.press('Escape');
    // the help overlay lists the keys and commands
    await p.keyboard.press('F1');
    await p.waitForSelector('[data-testid=help-overlay]:has-text("D <警力> [警情]")', { timeout: UI });
    await shot(p, 'dispatcher-desk-help');
    await p.keyboard.press('Escape');
    await p.waitForSelector('[data-testid=help-overlay]', { state: 'detached', timeout: UI });
  });

  it('shows an overdue-unit alert with a tone and acknowledges it', async () => {
    // the unit sent from the free-unit search never reported en route: dispatch raises
    // UnitOverdueAlerted (not-en-route) 60 s after the dispatch
    const alert = p.locator(`[data-testid=alert][data-unit-id="${sentUnit}"][data-acked=false]`);
    await alert.waitFor({ timeout: Math.max(UI, 120_000 - (Date.now() - sentAt)) });
    await p.waitForFunction((since) => (window as unknown as { __tones: { hz: number; at: number }[] }).__tones.some((t) => t.hz === 523 && t.at > since), sentAt, { timeout: UI });
    expect(await alert.textContent()).toContain('派警后未出发');
    expect(await alert.locator('[data-testid=ack-alert]').count()).toBe(1);
    await p.waitForSelector('[data-testid=alerts-open]:not(:text-is("0"))', { timeout: UI });
    await shot(p, 'dispatcher-desk-alert');
  });

  it('acknowledges the overdue-unit alert (确认)', async () => {
    const alert = p.locator(`[data-testid=alert][data-unit-id="${sentUnit}"][data-acked=false]`).first();
    await alert.waitFor({ timeout: UI });
    const alertId = (await alert.getAttribute('data-alert-id'))!;
    const [ack] = await Promise.all([
      p.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/api/dispatch/alerts/${encodeURIComponent(alertId)}/acknowledge`), { timeout: UI }),
      alert.locator('[data-testid=ack-alert]').click(),
    ]);
    expect(ack.status()).toBeLessThan(300);
    await p.waitForSelector(`[data-testid=alert][data-alert-id="${alertId}"][data-acked=true]`, { timeout: UI });
    const alerts = await api<{ items: { id: string; acknowledgedAt?: string | null }[] }>('dispatch', 'GET', '/alerts?limit=50');
    expect(alerts.body.items.find((a) => String(a.id) === alertId)?.acknowledgedAt).toBeTruthy();
  });

  it('an incident created while the console gateway is down appears within 5 s after it is back', async () => {
    await stack.stopService('console');
    await p.waitForSelector('[data-testid=live]:not([data-state=open])', { timeout: UI });
    const { incidentId } = await logCall({ location: { address: '城北 北环路1号', lat: 45.0, lon: -93.28, district: 'Precinct 4' }, classification: { subtype: 'robbery' }, narrative: '网关中断期间的警情' });
    await p.waitForSelector('[data-testid=live][data-view=stale]', { timeout: UI });
    await shot(p, 'dispatcher-desk-stale-header');
    expect(await p.locator(`[data-testid=incident-row][data-incident-id="${incidentId}"]`).count()).toBe(0);
    // what the page asked of the gateway from here on, printed if the incident does not appear
    const seen: string[] = [];
    const t0 = Date.now();
    const note = (s: string): void => void seen.push(`${((Date.now() - t0) / 1000).toFixed(2)} s ${s}`);
    const onResponse = (r: Response): void => (r.url().includes('/api/') ? note(`${r.status()} ${r.request().method()} ${r.url().replace(/access_token=[^&]+/, 'access_token=…')}`) : undefined);
    const onFailed = (r: Request): void => note(`failed ${r.method()} ${r.url().replace(/access_token=[^&]+/, 'access_token=…')} ${r.failure()?.errorText ?? ''}`);
    const onConsole = (m: ConsoleMessage): void => note(`console.${m.type()} ${m.text().slice(0, 200)}`);
    p.on('response', onResponse);
    p.on('requestfailed', onFailed);
    p.on('console', onConsole);
    // the page itself notes when the live stream reopens and when the row appears (performance.now(),
    // milliseconds): what the dispatcher sees, not how long the test's own round trips to a busy
    // browser take (a CI run saw the row resolved visible and still timed out at 5 s)
    // (a string: this file is compiled without the DOM library)
    await p.evaluate(`(() => {
      const id = ${JSON.stringify(incidentId)};
      window.__reconnect = { open: null, row: null };
      const check = () => {
        const r = window.__reconnect;
        if (r.open === null && document.querySelector('[data-testid=live][data-state=open]')) r.open = performance.now();
        if (r.row === null && document.querySelector('[data-testid=incident-row][data-incident-id="' + id + '"]')) r.row = performance.now();
      };
      new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state', 'data-incident-id'] });
    })()`);
    try {
      await stack.startService('console');
      note('gateway ready');
      // "within 5 s of reconnect" (issue 15): from the moment the live stream is open again
      await p.waitForSelector('[data-testid=live][data-state=open]', { timeout: UI });
      note('live stream open');
      await p.waitForSelector(`[data-testid=incident-row][data-incident-id="${incidentId}"]`, { timeout: UI }).catch((e: unknown) => {
        process.stderr.write(`[dispatcher-desk] after the gateway restart:\n  ${seen.join('\n  ')}\n`);
        throw e;
      });
      const r = await p.evaluate(() => (window as unknown as { __reconnect: { open: number | null; row: number | null } }).__reconnect);
      expect(r.open).not.toBeNull();
      expect(r.row).not.toBeNull();
      // a row drawn before the stream reported open (the reload after reconnect can win) counts as 0 s
      const seconds = Math.max(0, (r.row! - r.open!) / 1000);
      process.stderr.write(`[dispatcher-desk] incident visible ${seconds.toFixed(2)} s after the live stream reopened (page clock)\n`);
      if (seconds > 5) process.stderr.write(`[dispatcher-desk] after the gateway restart:\n  ${seen.join('\n  ')}\n`);
      expect(seconds).toBeLessThanOrEqual(5);
    } finally {
      p.off('response', onResponse);
      p.off('requestfailed', onFailed);
      p.off('console', onConsole);
    }
    await p.waitForSelector('[data-testid=live][data-view=live]', { timeout: UI });
  });

  it('shows the caller number masked, revealed (显示号码) only to a role allowed, and the reveal is in the audit trail', async () => {
    // the dispatcher: masked, no reveal
    await p.click(`[data-testid=active-row][data-incident-id="${p1Incident}"]`);
    const mine = p.locator(`[data-testid=incident-detail][data-incident-id="${p1Incident}"] [data-testid=caller-number]`);
    await mine.waitFor({ timeout: UI });
    expect(await mine.textContent()).toContain('138****8000');
    expect(await mine.locator('[data-testid=reveal-caller]').count()).toBe(0);
    // a supervisor on the same desk may reveal it
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const sup = await context.newPage();
    try {
      await sup.goto(`${stack.url('console')}/`);
      await sup.fill('input[name=username]', 'supervisor');
      await sup.fill('input[name=password]', password);
      await sup.fill('input[name=workstation]', 'ws-sup-1');
      await sup.click('[data-testid=login-submit]');
      await sup.click('[data-testid=tab-dispatch]');
      await sup.click(`[data-testid=active-row][data-incident-id="${p1Incident}"]`);
      const theirs = sup.locator(`[data-testid=incident-detail][data-incident-id="${p1Incident}"] [data-testid=caller-number]`);
      await theirs.locator('[data-testid=reveal-caller]').waitFor({ timeout: UI });
      expect(await theirs.textContent()).not.toContain('13800138000');
      await theirs.locator('[data-testid=reveal-caller]').click();
      await sup.waitForSelector(`[data-testid=incident-detail][data-incident-id="${p1Incident}"] [data-testid=caller-number][data-revealed=true]`, { timeout: UI });
      expect(await theirs.textContent()).toContain('13800138000');
      // the console's audit trail has the reveal, by the supervisor, without the number
      const audit = await fetch(`${stack.url('console')}/api/audit?action=caller_reveal`, { headers: { authorization: `Bearer ${stack.token('supervisor', 'e2e-supervisor')}` } });
      expect(audit.status).toBe(200);
      const rows = ((await audit.json()) as { items: { actor: string; outcome: string; workstation?: string }[] }).items;
      expect(rows.some((r) => r.actor === 'supervisor' && r.outcome === 'ok' && r.workstation === 'ws-sup-1')).toBe(true);
      expect(JSON.stringify(rows)).not.toContain('13800138000');
    } finally {
      await context.close();
    }
  });

  it('takes the 1920×1080 screenshot of the desk in the demo state', async () => {
    await p.click(`[data-testid=active-row][data-incident-id="${p1Incident}"]`);
    await p.waitForSelector(`[data-testid=incident-detail][data-incident-id="${p1Incident}"] [data-testid=sop-answer]`, { timeout: UI });
    await p.waitForSelector(`[data-testid=incident-detail][data-incident-id="${p1Incident}"] [data-testid=linked-call]`, { timeout: UI });
    await sleep(800);
    const page = await p.evaluate(() => ({ sh: document.documentElement.scrollHeight, h: innerHeight }));
    expect(page.sh).toBeLessThanOrEqual(page.h);
    await shot(p, 'dispatcher-desk');
  });
  it('zooms the map offline: no tile server, no request leaves the console, labels do not overlap', async () => {
    const map = p.locator('[data-testid=county-map]');
    expect(await map.getAttribute('data-tiles')).toBe('off');
    const z0 = Number(await map.getAttribute('data-zoom'));
    await p.click('[data-testid=county-map] .leaflet-control-zoom-in');
    await p.waitForFunction((z) => Number(document.querySelector('[data-testid=county-map]')!.getAttribute('data-zoom')) > z, z0, { timeout: UI });
    const z1 = Number(await map.getAttribute('data-zoom'));
    await map.hover();
    await p.mouse.wheel(0, -120);
    await p.waitForFunction((z) => Number(document.querySelector('[data-testid=county-map]')!.getAttribute('data-zoom')) > z, z1, { timeout: UI });
    await sleep(600);
    expect(foreign).toEqual([]);
    // once the map has settled (zoom animation, redraws), the visible labels do not overlap
    const overlaps = () =>
      p.locator('[data-testid=county-map] .cm-label').evaluateAll((els) => {
        const box = els[0]?.closest('[data-testid=county-map]')?.getBoundingClientRect();
        const inBox = (b: { left: number; right: number; top: number; bottom: number }) => !box || (b.right > box.left && b.left < box.right && b.bottom > box.top && b.top < box.bottom);
        const r = els.filter((e) => !e.classList.contains('cm-hidden') && e.getBoundingClientRect().width > 0 && inBox(e.getBoundingClientRect())).map((e) => e.getBoundingClientRect());
        let n = 0;
        for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++) if (r[i]!.left < r[j]!.right && r[i]!.right > r[j]!.left && r[i]!.top < r[j]!.bottom && r[i]!.bottom > r[j]!.top) n++;
        return { visible: r.length, overlaps: n };
      });
    let seen = await overlaps();
    for (let k = 0; k < 20 && seen.overlaps > 0; k++) {
      await sleep(250);
      seen = await overlaps();
    }
    expect(seen.overlaps).toBe(0);
    expect(seen.visible).toBeGreaterThan(3); // labels inside the zoomed map's box
    // no map label (station, district, road) sits on an incident or unit dot
    const onDots = await p.locator('[data-testid=county-map]').evaluate((root) => {
      const dots = [...root.querySelectorAll('path.cm-incident, path.cm-unit')].map((e) => e.getBoundingClientRect());
      const labels = [...root.querySelectorAll('.cm-label-station, .cm-label-district, .cm-label-road, .cm-label-water')].filter((e) => !e.classList.contains('cm-hidden')).map((e) => e.getBoundingClientRect());
      return labels.filter((r) => dots.some((d) => r.left < d.right - 1 && r.right > d.left + 1 && r.top < d.bottom - 1 && r.bottom > d.top + 1)).length;
    });
    expect(onDots).toBe(0);
  });

  it('works under the console Content Security Policy: no violation in the whole session (issue 19.5)', () => {
    expect(cspViolations).toEqual([]);
  });
});
