/**
 * Personal data past retention (issue 19 item 6, README "Personal data"), through the running
 * services (intake → dispatch → records, statistics; real broker and PostgreSQL).
 *
 * The stack runs with a retention period of 90 s (`CAD110_PERSONAL_DATA_RETENTION_DAYS` as a
 * fraction of a day): the topics are created with `retention.ms` = 90 000 (and `segment.ms` the same) and the services' sweeps
 * run every 9 s. Three calls carry a caller number, a caller name, an address and a narrative, each
 * with a token unique to this run. Once the pipeline has settled the test checks that those strings
 * ARE found in the services' tables (so the search itself works) and NOT on the topics (sealed
 * there, libs/kafka sealing.ts; sealed values are present instead), reads every
 * statistics figure, then waits until the calls are past retention and asserts:
 * - no row of any table of any service's database contains any of the strings (each row is
 *   searched as text, JSON columns included);
 * - no message still readable on any of the stack's topics (read from the beginning) contains them;
 * - every statistics figure is exactly what it was.
 * The local broker checks retention every 5 s (infra/kafka/kafka.sh); against another broker
 * (`KAFKA_BROKERS`) its `log.retention.check.interval.ms` bounds how long this test waits.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { topicSpecs } from '@cad110/contracts';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId, waitFor } from '@cad110/testkit';
import { readTopicValues, Stack } from '../src';

jest.setTimeout(420_000);

const ZONE = 'Asia/Shanghai';
const RETENTION_SECONDS = 90;
const SERVICES = ['intake', 'dispatch', 'records', 'statistics'] as const;
type Service = (typeof SERVICES)[number];

const localDay = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(d);

describe('a call past the retention period can no longer be read in clear anywhere, and every statistic stays the same', () => {
  let stack: Stack;
  let taker: string;
  let analyst: string;
  const prefix = `${uniqueId('e2pd')}.`;
  const token = uniqueId('pd');
  // the strings that must disappear: per call a number, a name, an address and a narrative
  const personal: Record<string, string> = {};
  const pools = new Map<Service, Pool>();
  const kafka = new Kafka({ clientId: 'personal-data-e2e', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const today = localDay(new Date());
  const yesterday = localDay(new Date(Date.now() - 86_400_000));
  const at = new Date().toISOString();

  async function http<T>(method: string, url: string, auth: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(url, { method, headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json', ...headers }, ...(body ? { body: JSON.stringify(body) } : {}) });
    if (!res.ok) throw new Error(`${method} ${url} → ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** Where (service.table) each personal string occurs in the stack's databases. */
  async function foundInDatabases(): Promise<Record<string, string[]>> {
    const patterns = Object.values(personal).map((v) => `%${v}%`);
    const found: Record<string, string[]> = {};
    for (const service of SERVICES) {
      const pool = pools.get(service)!;
      const tables = await pool.query<{ t: string }>(`SELECT quote_ident(table_name) AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'`);
      for (const { t } of tables.rows) {
        const rows = await pool.query<{ row: string }>(`SELECT x::text AS row FROM ${t} x WHERE x::text ILIKE ANY($1::text[])`, [patterns]);
        for (const { row } of rows.rows) {
          for (const [name, v] of Object.entries(personal)) {
            if (!row.toLowerCase().includes(v.toLowerCase())) continue;
            const where = (found[name] ??= []);
            if (!where.includes(`${service}.${t}`)) where.push(`${service}.${t}`);
          }
        }
      }
    }
    return found;
  }

  /** Every message still readable on the stack's topics (offset low → high of each partition), as text. */
  async function readableMessages(): Promise<string[]> {
    const topics = topicSpecs(prefix).map((t) => t.topic);
    return readTopicValues(kafka, topics, { groupPrefix: `${prefix}pd-read-` });
  }

  /** Which personal strings occur in readable Kafka messages. */
  async function foundInKafka(): Promise<string[]> {
    const messages = (await readableMessages()).join('\n').toLowerCase();
    return Object.entries(personal).filter(([, v]) => messages.includes(v.toLowerCase())).map(([name]) => name);
  }

  /** Every statistics figure over yesterday and today (and the ones without a period), by URL. */
  async function figures(): Promise<Record<string, unknown>> {
    const period = { from: yesterday, to: today };
    const urls: [string, Record<string, string>][] = [
      ...(['category', 'subtype', 'kind', 'district', 'beat', 'day', 'hour', 'weekday', 'hour-of-week'] as const).flatMap((by) => [
        ['/stats/counts', { by, scope: 'calls', ...period }] as [string, Record<string, string>],
        ['/stats/counts', { by, scope: 'incidents', ...period }] as [string, Record<string, string>],
      ]),
      ['/stats/totals', period],
      ['/stats/compare', { metric: 'calls', by: 'category', ...period }],
      ['/stats/compare', { metric: 'incidents', by: 'district', ...period }],
      ['/stats/days-without', period],
      ['/stats/outcomes', { by: 'district', ...period }],
      ['/stats/response-times', { by: 'priority', ...period }],
      ['/stats/compliance', period],
      ['/stats/hotspots/cells', period],
      ['/stats/hotspots', period],
      ['/stats/deployment', { at, ...period }],
      ['/stats/throughput', period],
    ];
    const out: Record<string, unknown> = {};
    for (const [path, q] of urls) {
      const key = `${path}?${new URLSearchParams(q)}`;
      out[key] = await http('GET', `${stack.url('statistics')}${key}`, analyst);
    }
    return out;
  }

  beforeAll(async () => {
    stack = new Stack({
      brokers: kafkaBrokers().join(','),
      topicPrefix: prefix,
      dbPrefix: uniqueId('cad110e2pd_'),
      fresh: true,
      timeZone: ZONE,
      env: { LOG_LEVEL: 'warn', CAD110_PERSONAL_DATA_RETENTION_DAYS: (RETENTION_SECONDS / 86_400).toFixed(8) },
    });
    await stack.start();
    for (const s of SERVICES) pools.set(s, new Pool({ connectionString: stack.databaseUrl(s), max: 2 }));
    taker = stack.token('call_taker', 'taker-pd');
    analyst = stack.token('analyst', 'analyst-pd');

    const calls = [
      { subtype: 'theft', district: 'dongcheng', lat: 39.91, lon: 116.41 },
      { subtype: 'robbery', district: 'xicheng', lat: 39.92, lon: 116.36 },
      { subtype: 'disturbance', district: 'dongcheng', lat: 39.93, lon: 116.42 },
    ];
    for (const [i, c] of calls.entries()) {
      const p = {
        [`number${i}`]: `139${String(randomInt(10_000_000, 99_999_999))}`,
        [`name${i}`]: `Caller${i}${token}`,
        [`address${i}`]: `${i + 1} ${token} Hongqi Road`,
        [`narrative${i}`]: `the caller ${token}n${i} reports a person at the door`,
      };
      Object.assign(personal, p);
      await http(
        'POST',
        `${stack.url('intake')}/calls`,
        taker,
        {
          channel: '110',
          caller: { number: p[`number${i}`], name: p[`name${i}`] },
          location: { address: p[`address${i}`], lat: c.lat, lon: c.lon, district: c.district },
          classification: { subtype: c.subtype },
          narrative: p[`narrative${i}`],
          handToDispatch: true,
        },
        { 'idempotency-key': randomUUID() },
      );
    }

    // settled: three cases in records, three calls and three incidents in statistics
    await waitFor(async () => (await http<{ total: number }>('GET', `${stack.url('records')}/cases?limit=50`, analyst)).total === 3, { timeoutMs: 40_000, message: 'records opened the three cases' });
    const total = async (scope: string) =>
      (await http<{ rows: { count: number }[] }>('GET', `${stack.url('statistics')}/stats/counts?${new URLSearchParams({ by: 'category', scope, from: yesterday, to: today })}`, analyst)).rows.reduce((n, r) => n + r.count, 0);
    await waitFor(async () => (await total('calls')) === 3 && (await total('incidents')) === 3, { timeoutMs: 40_000, message: 'statistics counted the three calls and incidents' });
    // and the three cases records opened: CaseOpened reaches statistics after records' own fetch
    // and statistics' (both gather bytes for up to 500 ms, libs/kafka BACKGROUND_FETCH_MIN_BYTES)
    const casesCounted = async () =>
      (await http<{ topics: { topic: string; events: number }[] }>('GET', `${stack.url('statistics')}/stats/throughput?${new URLSearchParams({ from: yesterday, to: today })}`, analyst)).topics.find((t) => t.topic === 'cases')?.events ?? 0;
    await waitFor(async () => (await casesCounted()) === 3, { timeoutMs: 40_000, message: 'statistics counted the three cases' });
  });

  afterAll(async () => {
    await Promise.all([...pools.values()].map((p) => p.end()));
    await stack?.stop();
    await stack?.dropDatabases();
  });

  it('finds the personal data in clear before the retention period has passed, and none of it afterwards; every figure is unchanged', async () => {
    // before: the search works (each string is where the data flow puts it)
    const before = await foundInDatabases();
    for (let i = 0; i < 3; i++) {
      expect({ i, number: before[`number${i}`], name: before[`name${i}`] }).toEqual({ i, number: expect.arrayContaining(['intake.events', 'intake.calls']), name: expect.arrayContaining(['intake.events']) });
      expect(before[`address${i}`]).toEqual(expect.arrayContaining(['intake.events', 'intake.calls', 'dispatch.events', 'dispatch.incidents', 'records.timeline_entries']));
      expect(before[`narrative${i}`]).toEqual(expect.arrayContaining(['intake.events', 'records.timeline_entries']));
    }
    // on Kafka the personal fields are sealed from the start (libs/kafka sealing.ts): no clear
    // value on any topic, but the messages are there and carry sealed values
    const kafkaBefore = await foundInKafka();
    expect(kafkaBefore).toEqual([]);
    expect((await readableMessages()).filter((m) => m.includes('"sealed:v1:')).length).toBeGreaterThanOrEqual(3 * 4);
    const figuresBefore = await figures();

    // after: past retention, nothing of it is readable in any database or on any topic
    let last: { databases: Record<string, string[]>; kafka: string[] } = { databases: before, kafka: kafkaBefore };
    await waitFor(
      async () => {
        const databases = await foundInDatabases();
        last = { databases, kafka: await foundInKafka() };
        return Object.keys(databases).length === 0 && last.kafka.length === 0;
      },
      { timeoutMs: 300_000, intervalMs: 3000, message: 'personal data still readable' },
    ).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(last)}`);
    });
    expect(last).toEqual({ databases: {}, kafka: [] });
    // the calls topic really lost its messages (not merely some strings)
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topicSpecs(prefix)[0]!.topic);
    await admin.disconnect();
    expect(offsets.every((o) => o.low === o.high) && offsets.some((o) => Number(o.high) > 0)).toBe(true);

    // every statistics figure is exactly the same
    expect(await figures()).toEqual(figuresBefore);
    // and the calls are still there for the services, only without their personal fields
    const cases = await http<{ items: { callId: string }[] }>('GET', `${stack.url('records')}/cases?limit=50`, analyst);
    expect(cases.items).toHaveLength(3);
  });
});
