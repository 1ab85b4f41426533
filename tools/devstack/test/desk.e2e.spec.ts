/**
 * The call-taker desk and the records desk end to end (issue 16) in Debian's Chromium
 * (playwright-core) on a real stack (the four services and the console as processes, Kafka,
 * PostgreSQL), after replaying 150 of the bundled real calls (the demo's data):
 * - an address found by fuzzy gazetteer search (a typo) fills the location;
 * - a second call from the same number nearby shows the first as a duplicate (distance, age) and
 *   the caller history shows the earlier call; Alt+1 links it (CallLinkedAsDuplicate), and the
 *   link shows on the original's case timeline (what dispatchers read on the records desk);
 * - the simulated phone system (`npm run ring`) rings a line in GCJ-02: the desk offers it, F4
 *   pre-fills number and location, and intake measures the answer time from ringing;
 * - transfer to 120 (F6) and cancel as misdial (F9);
 * - on the records desk a narrative word finds the case; a disposition (1 dispute mediated,
 *   1 person rescued) changes statistics' outcomes by exactly that; the case closes; the 警情单
 *   print view renders (screenshot with print media).
 * Screenshots go to test-artifacts/desk/ (and docs/screenshots/ with CAD110_UPDATE_SCREENSHOTS=1).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadTaxonomy } from '@cad110/contracts';
import { loadMapping, postCalls, readCalls } from '@cad110/importer';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId } from '@cad110/testkit';
import { BUNDLED_SLICE, CHROMIUM, CHROMIUM_ARGS, ensureWebBuild, ROOT, Stack, waitForPipeline } from '../src';

jest.setTimeout(400_000);

const ARTIFACTS = join(ROOT, 'test-artifacts', 'desk');
const DOCS = join(ROOT, 'docs', 'screenshots');
const UI = 60_000;
const REPLAYED = 150;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('call-taker desk and records desk in the browser', () => {
  const password = randomBytes(12).toString('base64url');
  const authSecret = randomBytes(32).toString('base64url');
  const stack = new Stack({
    brokers: kafkaBrokers().join(','),
    topicPrefix: `${uniqueId('desk')}.`,
    dbPrefix: uniqueId('cad110desk_'),
    fresh: true,
    console: true,
    demoPassword: password,
    authSecret,
    timeZone: 'Asia/Shanghai',
    env: { LOG_LEVEL: 'warn' },
  });
  let browser: Browser;
  let callTaker: Page;
  let supervisor: Page;
  const number = '13912345678';
  const word = '蓝色雨伞';
  let firstCallId: string;
  let caseId: string;

  const api = async <T>(service: 'intake' | 'records' | 'statistics', path: string): Promise<T> => {
    const res = await fetch(`${stack.url(service)}${path}`, { headers: { authorization: `Bearer ${stack.token('supervisor')}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  type Call = { state: { status: string; timings: { answerSeconds?: number; ringingAt?: string; answeredAt?: string } }; callerNumber?: string; events: { type: string; data: Record<string, unknown> }[] };
  const call = (id: string) => api<Call>('intake', `/calls/${id}?reveal=caller`);

  async function shot(page: Page, name: string): Promise<void> {
    const file = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    if (process.env.CAD110_UPDATE_SCREENSHOTS === '1') copyFileSync(file, join(DOCS, `${name}.png`));
  }

  async function signIn(username: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 960 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    await page.goto(`${stack.url('console')}/`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.fill('input[name=workstation]', `ws-${username}`);
    await page.click('[data-testid=login-submit]');
    await page.waitForSelector('[data-testid=user]', { timeout: UI });
    return page;
  }

  async function accepted(p: Page, previous?: string): Promise<{ callId: string; status: string }> {
    const box = p.locator(previous ? `[data-testid=accepted]:not([data-call-id="${previous}"])` : '[data-testid=accepted]');
    await box.waitFor({ timeout: UI });
    return { callId: (await box.getAttribute('data-call-id'))!, status: (await box.getAttribute('data-status'))! };
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
    callTaker = await signIn('calltaker');
    supervisor = await signIn('supervisor');
  });

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
    await stack.dropDatabases();
  });

  it('fills the location from a fuzzy gazetteer search (a typo) and logs the call', async () => {
    const p = callTaker;
    await p.focus('input[name=callerNumber]');
    await p.keyboard.type(number);
    await p.keyboard.press('Tab');
    await p.keyboard.type('nicolet mal'); // Nicollet Mall, misspelt
    const first = p.locator('[data-testid=place-list] [role=option]').first();
    await first.waitFor({ timeout: UI });
    expect(await first.getAttribute('data-place-id')).toBe('square:nicollet-mall');
    await p.keyboard.press('Enter');
    expect(await p.inputValue('input[name=lat]')).toBe('44.976000');
    expect(await p.inputValue('input[name=lon]')).toBe('-93.272800');
    expect(await p.inputValue('input[name=address]')).toContain('中心步行街');
    await p.keyboard.press('Tab');
    await p.keyboard.press('Tab');
    await p.keyboard.press('Tab');
    await p.keyboard.type('打架');
    await p.waitForSelector('[data-testid=category-list] [role=option]', { timeout: UI });
    await p.keyboard.press('Enter');
    await p.fill('textarea[name=narrative]', `两名男子在步行街持${word}互殴，一人头部流血`);
    await p.keyboard.press('Control+Enter');
    const a = await accepted(p);
    firstCallId = a.callId;
    expect(a.status).toBe('handed-to-dispatch');
    const c = await call(firstCallId);
    const located = c.events.find((e) => e.type === 'CallLocated')!.data;
    expect(located).toMatchObject({ lat: 44.976, lon: -93.2728, source: 'manual' });
  });

  it('shows the first call as a duplicate and in the caller history of a second call from the same number nearby, and links it with Alt+1', async () => {
    const p = callTaker;
    await p.keyboard.press('F2');
    await p.fill('input[name=callerNumber]', number);
    await p.fill('input[name=lat]', '44.9762');
    await p.fill('input[name=lon]', '-93.2731');
    const dup = p.locator(`[data-testid=duplicate][data-call-id="${firstCallId}"]`);
    await dup.waitFor({ timeout: UI });
    // first found by the number alone (no distance yet), then with the typed point: 20–60 m apart
    const distance = dup.locator('[data-testid=dup-distance]', { hasText: '米' });
    await distance.waitFor({ timeout: UI });
    const metres = Number((await distance.textContent())!.replace(/[^0-9]/g, ''));
    expect(metres).toBeGreaterThan(20);
    expect(metres).toBeLessThan(60);
    expect(await dup.locator('[data-testid=dup-age]').textContent()).toMatch(/(秒|分钟)前/);
    const hist = p.locator(`[data-testid=history-number] [data-testid=history-call][data-call-id="${firstCallId}"]`);
    await hist.waitFor({ timeout: UI });
    expect(await p.locator('[data-testid=history-24h]').textContent()).toBe('1');
    expect(await p.locator(`[data-testid=history-nearby] [data-testid=history-call][data-call-id="${firstCallId}"]`).count()).toBe(1);
    await p.fill('textarea[name=narrative]', '又一名群众报警：步行街有人打架');
    await shot(p, 'call-taker-desk');
    await p.keyboard.press('Alt+1');
    const a = await accepted(p, firstCallId);
    expect(a.status).toBe('duplicate');
    const c = await call(a.callId);
    expect(c.events.find((e) => e.type === 'CallLinkedAsDuplicate')!.data).toMatchObject({ duplicateOfCallId: firstCallId });
    // visible to dispatchers: the link is on the original call's case timeline
    const deadline = Date.now() + UI;
    for (;;) {
      const cases = await api<{ items: { id: string }[] }>('records', `/cases?callId=${firstCallId}`);
      if (cases.items[0]) {
        caseId = cases.items[0].id;
        const tl = await api<{ entries: { type: string }[] }>('records', `/cases/${caseId}/timeline`);
        if (tl.entries.some((e) => e.type === 'CallLinkedAsDuplicate')) break;
      }
      if (Date.now() > deadline) throw new Error('the duplicate link never reached the case timeline');
      await sleep(500);
    }
  });

  it('pre-fills the form from a simulated phone ring (GCJ-02) and records the answer time from ringing', async () => {
    const p = callTaker;
    await p.keyboard.press('F2');
    const ringNumber = '13700001111';
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'services/intake/src/desk/ring-cli.ts', '--intake', stack.url('intake'), '--number', ringNumber, '--lat', '44.9480', '--lon', '-93.2620', '--crs', 'GCJ02', '--uncertainty', '35', '--line', 'T1-07'], {
      cwd: ROOT,
      env: { ...process.env, CAD110_AUTH_SECRET: authSecret },
    });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toMatchObject({ status: 201, number: '137****1111' });
    await p.waitForSelector('[data-testid=ringing] [data-testid=answer-ring]', { timeout: UI });
    await sleep(2000); // the call taker takes two seconds to pick up
    await p.keyboard.press('F4');
    await p.waitForSelector('[data-testid=ring-answered]', { timeout: UI });
    expect(await p.inputValue('input[name=callerNumber]')).toBe(ringNumber);
    // outside China GCJ-02 equals WGS84 (gcoord leaves it), so the carrier's point stays
    expect(await p.inputValue('input[name=lat]')).toBe('44.948000');
    await p.fill('input[name=categorySearch]', '噪音');
    await p.waitForSelector('[data-testid=category-list] [role=option]', { timeout: UI });
    await p.press('input[name=categorySearch]', 'Enter');
    await p.keyboard.press('Control+Enter');
    const a = await accepted(p, undefined);
    const c = await call(a.callId);
    expect(c.callerNumber).toBe(ringNumber);
    expect(c.state.timings.ringingAt).toBeDefined();
    expect(c.state.timings.answerSeconds).toBeGreaterThanOrEqual(2);
    expect(c.state.timings.answerSeconds).toBeLessThan(30);
    expect(await p.locator('[data-testid=answer-time]').textContent()).toMatch(/接听用时 \d/);
  });

  it('transfers a call to 120 (F6) and cancels one as a misdial (F9)', async () => {
    const p = callTaker;
    await p.keyboard.press('F2');
    await p.fill('input[name=callerNumber]', '13600002222');
    await p.fill('textarea[name=narrative]', '老人在家中晕倒，无治安情况');
    await p.keyboard.press('F6');
    await p.waitForSelector('[data-testid=outcome-transfer] [data-value="medical-120"][aria-pressed=true]', { timeout: UI });
    await p.fill('input[name=outcomeReason]', '医疗急救');
    await p.keyboard.press('Control+Enter');
    const tr = await accepted(p, undefined);
    await p.waitForSelector(`[data-testid=accepted][data-call-id="${tr.callId}"][data-status=transferred]`, { timeout: UI });
    expect((await call(tr.callId)).events.find((e) => e.type === 'CallTransferred')!.data).toMatchObject({ to: 'medical-120' });

    await p.keyboard.press('F2');
    await p.fill('input[name=callerNumber]', '13500003333');
    await p.keyboard.press('F9');
    await p.waitForSelector('[data-testid=outcome-cancel] [data-value=misdial][aria-pressed=true]', { timeout: UI });
    await p.keyboard.press('Control+Enter');
    const cx = p.locator(`[data-testid=accepted][data-status=cancelled]`);
    await cx.waitFor({ timeout: UI });
    const cancelledId = (await cx.getAttribute('data-call-id'))!;
    expect((await call(cancelledId)).events.find((e) => e.type === 'CallCancelled')!.data).toMatchObject({ reason: 'misdial' });
  });

  it('finds the case by a narrative word on the records desk; a disposition (1 dispute mediated, 1 person rescued) changes the outcomes by exactly that; closes; prints the 警情单', async () => {
    type Outcomes = { rows: { disputesMediated: number; peopleRescued: number; suspectsCaught: number }[] };
    const before = (await api<Outcomes>('statistics', '/stats/outcomes')).rows[0] ?? { disputesMediated: 0, peopleRescued: 0, suspectsCaught: 0 };
    const p = supervisor;
    await p.click('[data-testid=tab-records]');
    await p.fill('input[name=q]', word);
    await p.click('[data-testid=case-search]');
    await p.waitForSelector('[data-testid=case-total]:text-is("1 条结果")', { timeout: UI });
    const row = p.locator('[data-testid=case-row]');
    expect(await row.getAttribute('data-call-id')).toBe(firstCallId);
    await row.click();
    const view = p.locator(`[data-testid=case-view][data-case-id="${caseId}"]`);
    await view.waitFor({ timeout: UI });
    await p.waitForSelector('[data-testid=timeline] li[data-type=CallLinkedAsDuplicate]', { timeout: UI });
    const version = await view.getAttribute('data-version');
    await p.check('input[name="code-dispute-mediated"]');
    await p.check('input[name="code-people-rescued"]');
    await p.fill('input[name=peopleRescued]', '1');
    await p.fill('input[name=dispositionNote]', '双方达成和解，伤者送医');
    const [req, res] = await Promise.all([
      p.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/api/records/cases/${caseId}/disposition`)),
      p.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/disposition')),
      p.click('[data-testid=submit-disposition]'),
    ]);
    expect(req.postDataJSON()).toEqual({ codes: ['dispute-mediated', 'people-rescued'], suspectsCaught: 0, peopleRescued: 1, note: '双方达成和解，伤者送医' });
    expect(req.headers()['if-match']).toBe(`"${version}"`);
    expect(res.status()).toBe(200);
    const deadline = Date.now() + UI;
    let after = before;
    while (Date.now() < deadline) {
      after = (await api<Outcomes>('statistics', '/stats/outcomes')).rows[0] ?? after;
      if (after.disputesMediated !== before.disputesMediated) break;
      await sleep(500);
    }
    expect({ d: after.disputesMediated - before.disputesMediated, r: after.peopleRescued - before.peopleRescued, s: after.suspectsCaught - before.suspectsCaught }).toEqual({ d: 1, r: 1, s: 0 });
    await p.waitForSelector(`[data-testid=fig-disputes]:text-is("${after.disputesMediated}")`, { timeout: UI });
    await shot(p, 'records-desk');

    await p.fill('input[name=closeReason]', '纠纷已调解，伤者已送医');
    await p.click('[data-testid=close-case]');
    await p.waitForSelector(`[data-testid=case-view][data-status=closed]`, { timeout: UI });
    await p.click('[data-testid=print-case]');
    await p.waitForSelector('[data-testid=print-sheet][data-ready=true]', { timeout: UI });
    await p.emulateMedia({ media: 'print' });
    expect(await p.locator('.topbar').isVisible()).toBe(false);
    const sheet = await p.locator('[data-testid=print-sheet]').textContent();
    expect(sheet).toContain(word);
    expect(sheet).toContain('调解纠纷');
    await shot(p, 'print-view');
    const pdf = await p.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 4).toString()).toBe('%PDF');
    await p.emulateMedia({ media: 'screen' });
  });
});
