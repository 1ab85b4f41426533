/**
 * Mapping format v2 on the committed fixtures (tools/importer/test/fixtures, built from the shape
 * of two exports cad110 had not seen: a fire/EMS CAD with one row per responding unit, times as
 * `MM/dd/yyyy hh:mm:ss AM/PM` and WKT points; a police call log with abbreviated call types, no
 * priority, a `"(lat, lon)"` column, ISO / epoch / US times and noisy geocodes).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTaxonomy } from '@cad110/contracts';
import { generateAuthKeys } from '@cad110/auth';
import { importerKeys } from '../src/cli';
import { dryRun } from '../src/dry-run';
import { inferMapping } from '../src/infer';
import { inArea, locationFlag, parseLocationText } from '../src/location';
import { checkHeader, loadMapping, MAPPING_SCHEMA_FILE, mappingJsonSchema, MappingError, validateMapping } from '../src/mapping';
import { readCalls } from '../src/read-csv';
import { unitSteps } from '../src/replay-planned';
import { guessTimeFormat, timeParser } from '../src/times';

const taxonomy = loadTaxonomy();
const FIX = join(__dirname, 'fixtures');
const FIRE = join(FIX, 'fire-ems-units.csv');
const POLICE = join(FIX, 'police-log.csv');
const fireMapping = () => loadMapping(join(FIX, 'fire-ems-units.mapping.jsonc'), taxonomy);
const policeMapping = () => loadMapping(join(FIX, 'police-log.mapping.json'), taxonomy);
const ROOT = join(__dirname, '..', '..', '..');

describe('time formats (Luxon, zone per source)', () => {
  it.each([
    ['MM/dd/yyyy hh:mm:ss a', 'America/Los_Angeles', '12/31/2016 11:57:56 PM', '2017-01-01T07:57:56.000Z'],
    ['MM/dd/yyyy hh:mm:ss a', 'America/Los_Angeles', '01/01/2017 12:03:05 AM', '2017-01-01T08:03:05.000Z'],
    ['iso', 'America/Chicago', '2023-03-04T22:15:03-06:00', '2023-03-05T04:15:03.000Z'],
    ['iso', 'America/Chicago', '2023-03-05T01:00:00Z', '2023-03-05T01:00:00.000Z'],
    ['iso', 'America/Chicago', '2023-07-04T10:00:00', '2023-07-04T15:00:00.000Z'],
    ['epoch-seconds', 'America/Chicago', '1677989820', '2023-03-05T04:17:00.000Z'],
    ['epoch-millis', 'UTC', '1677989820500', '2023-03-05T04:17:00.500Z'],
    ['MM/dd/yyyy HH:mm', 'America/Chicago', '03/04/2023 22:40', '2023-03-05T04:40:00.000Z'],
    ['sql', 'America/Chicago', '2020-07-13 23:55:47', '2020-07-14T04:55:47.000Z'],
  ])('%s in %s: %s → %s', (format, zone, text, utc) => {
    expect(timeParser(format, zone)(text)).toBe(utc);
  });

  it('refuses text that does not match its format', () => {
    expect(timeParser('MM/dd/yyyy hh:mm:ss a', 'UTC')('13/45/2016 10:00:00 PM')).toBeUndefined();
    expect(timeParser('iso', 'UTC')('yesterday')).toBeUndefined();
    expect(timeParser('epoch-seconds', 'UTC')('12:00')).toBeUndefined();
  });

  it('guesses a column format from sample values, not taking ids for epochs', () => {
    expect(guessTimeFormat(['12/31/2016 11:57:56 PM', '01/01/2017 12:03:05 AM'], 'UTC')).toBe('MM/dd/yyyy hh:mm:ss a');
    expect(guessTimeFormat(['2020-07-13 23:55:47'], 'UTC')).toBe('sql');
    expect(guessTimeFormat(['2023-03-04T22:15:03-06:00'], 'UTC')).toBe('iso');
    expect(guessTimeFormat(['1677989820', '1677996420'], 'UTC')).toBe('epoch-seconds');
    expect(guessTimeFormat(['163660001'], 'UTC')).toBeUndefined();
  });
});

describe('locations: one-column formats and sanity flags', () => {
  it('reads "(lat, lon)" and POINT(lon lat)', () => {
    expect(parseLocationText('(29.9511, -90.0715)', 'lat-lon')).toEqual({ lat: 29.9511, lon: -90.0715 });
    expect(parseLocationText('29.9511,-90.0715', 'lat-lon')).toEqual({ lat: 29.9511, lon: -90.0715 });
    expect(parseLocationText('POINT (-122.4194 37.7749)', 'point-wkt')).toEqual({ lat: 37.7749, lon: -122.4194 });
    expect(parseLocationText('REDACTED', 'lat-lon')).toBeUndefined();
  });

  it('flags 0/0, swapped and out-of-area coordinates against a box or a polygon', () => {
    const box = { bbox: [-90.14, 29.89, -89.9, 30.07] as [number, number, number, number] };
    expect(locationFlag(29.95, -90.07, box)).toBeUndefined();
    expect(locationFlag(0, 0, box)).toBe('zero');
    expect(locationFlag(-90.08, 29.96, box)).toBe('swapped');
    expect(locationFlag(30.5, -91.2, box)).toBe('out-of-area');
    const poly = { polygon: [[-90.14, 29.89], [-89.9, 29.89], [-89.9, 30.07], [-90.14, 30.07]] as [number, number][] };
    expect(inArea(poly, -90.07, 29.95)).toBe(true);
    expect(inArea(poly, -91.2, 30.5)).toBe(false);
    expect(locationFlag(30.5, -91.2, poly)).toBe('out-of-area');
    expect(locationFlag(-90.08, 29.96)).toBe('swapped'); // no area: latitude out of range, fine when exchanged
  });
});

describe('validation on load: errors name the field', () => {
  const base = () => JSON.parse(readFileSync(join(FIX, 'police-log.mapping.json'), 'utf8'));
  const problems = (raw: unknown) => {
    try {
      validateMapping(raw, 'm.json', taxonomy);
    } catch (e) {
      expect(e).toBeInstanceOf(MappingError);
      return (e as MappingError).problems;
    }
    throw new Error('the mapping was accepted');
  };

  it('rejects an unknown key (a typo) with its path and the key it probably meant', () => {
    const m = base();
    m.columns.answerdAt = m.columns.answeredAt;
    delete m.columns.answeredAt;
    expect(problems(m)).toEqual(expect.arrayContaining(['columns.answerdAt: unknown key (did you mean "answeredAt"?)', expect.stringMatching(/^columns\.answeredAt: /)]));
    expect(problems({ ...base(), timeFromat: 'iso' })).toEqual(['timeFromat: unknown key (did you mean "timeFormat"?)']);
  });

  it('rejects a wrong value with its path: aggregation, subtype, zone, a v1 file', () => {
    const m = base();
    m.columns.callType = { column: 'CallType', agg: 'firts' };
    m.callTypes.values.DIST.subtype = 'disturbence';
    m.timeZone = 'Mars/Olympus';
    expect(problems(m)).toEqual([expect.stringMatching(/^columns\.callType\.agg: /)]);
    m.columns.callType = 'CallType';
    expect(problems(m)).toEqual(['timeZone: unknown IANA time zone: Mars/Olympus', 'callTypes.values."DIST".subtype: unknown taxonomy subtype "disturbence" (did you mean "disturbance"?)']);
    const { version: _v, ...v1 } = base();
    expect(problems(v1)[0]).toMatch(/^version: missing/);
  });

  it('rejects a column name that is not in the header, naming the field and the closest column', async () => {
    const m = policeMapping();
    m.columns.callType = 'CallTyp';
    expect(() => checkHeader(m, ['EventNumber', 'Received', 'Dispatched', 'Cleared', 'CallType', 'Disposition', 'Beat', 'Location', 'Block'], 'police-log.csv')).toThrow(
      'columns.callType: column "CallTyp" is not in the header of police-log.csv (did you mean "CallType"?)',
    );
    await expect(readCalls(POLICE, m, taxonomy)).rejects.toThrow(/columns\.callType: column "CallTyp"/);
  });

  it('keeps the committed JSON Schema in step with the zod schema', () => {
    expect(JSON.parse(readFileSync(MAPPING_SCHEMA_FILE, 'utf8'))).toEqual(mappingJsonSchema());
  });
});

describe('a police call log: three time formats, "(lat, lon)", no priority, unmapped types rejected', () => {
  it('maps the rows it can and rejects the others with reasons', async () => {
    const { calls, rejected, rowsRead } = await readCalls(POLICE, policeMapping(), taxonomy);
    expect(rowsRead).toBe(6);
    expect(rejected.map((r) => [r.line, r.reason])).toEqual([
      [5, 'call type "XYZ" has no mapping and callTypes has no default'],
      [6, 'bad time in Received (format iso)'],
    ]);
    const byId = Object.fromEntries(calls.map((c) => [c.body.externalRef.id, c]));
    expect(calls.map((c) => c.body.externalRef.id)).toEqual(['A0304-006', 'A0304-001', 'A0304-002', 'A0305-003']); // answer-time order
    const c1 = byId['A0304-001']!;
    expect(c1.body).toMatchObject({ answeredAt: '2023-03-05T04:15:03.000Z', location: { lat: 29.9511, lon: -90.0715, beat: 'B1' }, classification: { subtype: 'disturbance', sourceCode: 'DIST', sourceGroup: 'public order', priority: taxonomy.subtype('disturbance')!.defaultPriority } });
    expect(c1.dispatchHistory).toEqual({ assignedAt: '2023-03-05T04:17:00.000Z' }); // epoch seconds
    expect(c1.disposition).toMatchObject({ kind: 'outcome', at: '2023-03-05T04:40:00.000Z' }); // MM/dd/yyyy HH:mm Chicago
    expect(byId['A0304-002']!.suspectLocation).toEqual({ flag: 'swapped', lat: -90.08, lon: 29.96 });
    expect(byId['A0304-002']!.body.location).not.toHaveProperty('lat');
    expect(byId['A0305-003']!.suspectLocation).toMatchObject({ flag: 'out-of-area' });
    expect(byId['A0304-006']!.suspectLocation).toMatchObject({ flag: 'zero' });
    // no close time: the disposition is dated at the call's last known time, not the replay day
    expect(byId['A0304-002']!.disposition).toMatchObject({ kind: 'outcome', at: '2023-03-05T05:01:10.000Z' });
  });
});

describe('a fire/EMS export with one row per unit: grouped into calls, every unit kept', () => {
  it('forms one call per call number, aggregates fields and keeps each unit history by dispatch time', async () => {
    const { calls, rejected, rowsRead } = await readCalls(FIRE, fireMapping(), taxonomy);
    expect(rowsRead).toBe(15);
    expect(calls).toHaveLength(6);
    expect(rejected).toEqual([{ line: 13, lines: [13, 14], code: 'bad-time', reason: 'bad time in Received DtTm (format MM/dd/yyyy hh:mm:ss a)', message: '163660005: bad time in Received DtTm: 13/45/2016 10:00:00 PM', value: '13/45/2016 10:00:00 PM' }]);
    const fire = calls.find((c) => c.body.externalRef.id === '163660001')!;
    expect(fire.lines).toEqual([5, 6, 7, 8, 9]);
    expect(fire.body).toMatchObject({
      answeredAt: '2017-01-01T07:57:56.000Z', // 12/31/2016 11:57:56 PM PST
      channel: '911',
      location: { lat: 37.7749, lon: -122.4194, district: 'B02', beat: '01', address: '1000 Block of MARKET ST' },
      classification: { subtype: 'building-fire', priority: 2, sourceCode: 'Structure Fire', sourceGroup: 'Fire' },
    });
    expect(fire.units!.map((u) => [u.unitId, u.unitType, u.dispatchedAt, u.onSceneAt ?? null, u.availableAt])).toEqual([
      ['E01', 'ENGINE', '2017-01-01T07:59:10.000Z', '2017-01-01T08:03:05.000Z', '2017-01-01T08:40:00.000Z'],
      ['T01', 'TRUCK', '2017-01-01T07:59:10.000Z', '2017-01-01T08:04:30.000Z', '2017-01-01T08:35:00.000Z'],
      ['B01', 'CHIEF', '2017-01-01T07:59:12.000Z', '2017-01-01T08:06:00.000Z', '2017-01-01T08:45:00.000Z'],
      ['M55', 'MEDIC', '2017-01-01T08:01:00.000Z', null, '2017-01-01T08:08:00.000Z'],
      ['E03', 'ENGINE', '2017-01-01T08:02:00.000Z', '2017-01-01T08:07:00.000Z', '2017-01-01T08:30:00.000Z'],
    ]);
    // the call's first-unit times by definition: earliest dispatch and earliest arrival of any unit
    expect(fire.dispatchHistory).toMatchObject({ assignedAt: '2017-01-01T07:59:10.000Z', arrivedAt: '2017-01-01T08:03:05.000Z' });
    const medical = calls.find((c) => c.body.externalRef.id === '163660002')!;
    expect(medical.dispatchHistory).toMatchObject({ assignedAt: '2017-01-01T08:07:00.000Z', arrivedAt: '2017-01-01T08:15:00.000Z' }); // M12 sent first, M55 there first
    // the disposition of a source without close times: the last unit available
    expect(fire.disposition).toMatchObject({ kind: 'outcome', sourceCode: 'Fire', at: '2017-01-01T08:45:00.000Z' });
    // priority from the row of unit sequence 1 (where), call type not listed → default with a flag
    const gas = calls.find((c) => c.body.externalRef.id === '163660007')!;
    expect(gas).toMatchObject({ defaulted: true, subtype: 'unknown' });
    expect(calls.find((c) => c.body.externalRef.id === '163660006')!.body.classification.priority).toBe(1);
  });

  it('--limit takes the earliest calls of a file that is not in time order', async () => {
    const { calls } = await readCalls(FIRE, fireMapping(), taxonomy, 2);
    expect(calls.map((c) => c.body.externalRef.id)).toEqual(['163660001', '163660002']); // the file starts with 163660002
  });

  it('plans each unit from its own times (a unit without arrival clears at its available time)', () => {
    expect(unitSteps({ unitId: 'M55', line: 8, dispatchedAt: 'T1', enRouteAt: 'T2', availableAt: 'T3' }).map((s) => `${s.kind}@${s.at}`)).toEqual(['dispatched@T1', 'en-route@T2', 'cleared@T3']);
  });
});

describe('--dry-run', () => {
  it('reports rows, calls, rejections by reason with lines, unmapped types, category × priority, days and suspicious locations', async () => {
    const r = await dryRun(FIRE, fireMapping(), taxonomy);
    expect(r).toMatchObject({
      rowsRead: 15,
      callsFormed: 6,
      unitResponses: 13,
      rejected: { total: 1, byReason: [{ reason: 'bad time in Received DtTm (format MM/dd/yyyy hh:mm:ss a)', count: 1, firstLines: [13] }] },
      unmappedCallTypes: [{ sourceCode: 'Gas Leak (Natural and LP Gases)', calls: 1, outcome: 'default', subtype: 'unknown' }],
      perDay: [
        { day: '2016-12-31', calls: 1 },
        { day: '2017-01-01', calls: 5 },
      ],
      suspiciousLocations: { total: 3, byFlag: { 'out-of-area': 1, swapped: 1, zero: 1 } },
      located: 3,
    });
    expect(r.categoryPriority).toEqual([
      { category: 'public-order', p1: 0, p2: 0, p3: 1, p4: 0, total: 1 },
      { category: 'fire', p1: 0, p2: 2, p3: 0, p4: 0, total: 2 },
      { category: 'assistance', p1: 1, p2: 1, p3: 0, p4: 0, total: 2 },
      { category: 'other', p1: 0, p2: 1, p3: 0, p4: 0, total: 1 },
    ]);
  });

  it('runs from the CLI: prints the report, writes --report JSON, exits 0 and posts nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dry-'));
    const out = spawnSync('npx', ['tsx', join(ROOT, 'tools/importer/src/cli.ts'), '--mapping', join(FIX, 'police-log.mapping.json'), '--file', POLICE, '--dry-run', '--report', join(dir, 'r.json')], { encoding: 'utf8', env: { ...process.env, INTAKE_URL: 'http://127.0.0.1:9' } });
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/rows read\s+6/);
    expect(out.stdout).toMatch(/1\s+call type "XYZ" has no mapping/);
    expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'))).toMatchObject({ rowsRead: 6, callsFormed: 4, rejected: { total: 2 } });
  });

  it('a replay never exits 0 with rejected rows: every reason is printed with its count', () => {
    const out = spawnSync('npx', ['tsx', join(ROOT, 'tools/importer/src/cli.ts'), '--mapping', join(FIX, 'police-log.mapping.json'), '--file', POLICE], { encoding: 'utf8', env: { ...process.env, INTAKE_URL: 'http://127.0.0.1:9', ...generateAuthKeys().env } });
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('[import] rejected 1× bad time in Received (format iso) (first lines 6; e.g. A0305-005: bad time in Received: yesterday)');
    expect(out.stderr).toContain('[import] rejected 1× call type "XYZ" has no mapping and callTypes has no default');
    expect(JSON.parse(out.stdout.trim().split('\n').at(-1)!)).toMatchObject({ rows: 6, calls: 4, rejected: 2, accepted: 0, failed: 4 });
  });
});

describe('--infer', () => {
  it('writes a commented starting mapping that loads and dry-runs: groupBy, unit times, formats, location, area', async () => {
    const { text } = await inferMapping(FIRE, taxonomy, { timeZone: 'America/Los_Angeles', source: 'inferred-fire' });
    expect(text).toContain('"groupBy": { "column": "Call Number" }, // GUESS');
    expect(text).toContain('"answeredAt": {"column":"Received DtTm","format":"MM/dd/yyyy hh:mm:ss a","agg":"min"}');
    expect(text).toContain('"location": { "column": "case_location", "format": "point-wkt" }');
    expect(text).toMatch(/"id": "Unit ID"/);
    expect(text).toMatch(/"dispatchedAt": \{"column":"Dispatch DtTm","format":"MM\/dd\/yyyy hh:mm:ss a"\}/);
    expect(text).toMatch(/"area": \{ "bbox": \[/);
    const dir = mkdtempSync(join(tmpdir(), 'infer-'));
    const file = join(dir, 'fire.mapping.jsonc');
    writeFileSync(file, text);
    const m = loadMapping(file, taxonomy);
    const r = await dryRun(FIRE, m, taxonomy);
    expect(r).toMatchObject({ callsFormed: 6, unitResponses: 13, rejected: { total: 1 } });
  });
});

describe('--infer on coordinates with a redaction marker (Minneapolis shape)', () => {
  const MPLS = join(FIX, 'mpls-redacted.csv');
  it('finds Latitude/Longitude although some rows say REDACTED, guesses the marker and the area, and picks the close time by name', async () => {
    const { text, profiles } = await inferMapping(MPLS, taxonomy, { timeZone: 'America/Chicago', source: 'mpls' });
    expect(profiles.find((p) => p.name === 'Latitude')).toMatchObject({ numeric: { min: 44.938, max: 45.032 }, markers: ['REDACTED'] });
    expect(text).toMatch(/^ {4}"lat": "Latitude", \/\/ GUESS/m);
    expect(text).toMatch(/^ {4}"lon": "Longitude", \/\/ GUESS/m);
    expect(text).toContain('"redactedMarker": "REDACTED", // GUESS: 3 rows have "REDACTED" instead of coordinates');
    expect(text).toMatch(/"area": \{ "bbox": \[-93\.\d+,44\.\d+,-93\.\d+,45\.\d+\] \}/);
    expect(text).toMatch(/^ {4}"closedAt": "Time_CallClosed"/m);
    const dir = mkdtempSync(join(tmpdir(), 'infer-'));
    const file = join(dir, 'mpls.mapping.jsonc');
    writeFileSync(file, text);
    const r = await dryRun(MPLS, loadMapping(file, taxonomy), taxonomy);
    // the eleven rows with coordinates are located, the three REDACTED ones are not and are not suspect
    expect(r).toMatchObject({ callsFormed: 14, rejected: { total: 0 } });
    expect(r.located).toBe(11);
    expect(r.suspiciousLocations.total).toBe(0);
  });
});

describe('the demo\'s signing key for a separate import', () => {
  it('reads CAD110_AUTH_PRIVATE_KEY + CAD110_AUTH_PUBLIC_KEYS, else .cad110/demo-auth.env', () => {
    const repo = mkdtempSync(join(tmpdir(), 'repo-'));
    expect(importerKeys({}, repo)).toBeUndefined();
    mkdirSync(join(repo, '.cad110'));
    writeFileSync(join(repo, '.cad110', 'demo-auth.env'), `CAD110_AUTH_PRIVATE_KEY=-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----\nCAD110_AUTH_PUBLIC_KEYS={"k":"pem"}\n`);
    expect(importerKeys({}, repo)).toEqual({ CAD110_AUTH_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----', CAD110_AUTH_PUBLIC_KEYS: '{"k":"pem"}' });
    expect(importerKeys({ CAD110_AUTH_PRIVATE_KEY: 'p', CAD110_AUTH_PUBLIC_KEYS: 'k' }, repo)).toEqual({ CAD110_AUTH_PRIVATE_KEY: 'p', CAD110_AUTH_PUBLIC_KEYS: 'k' });
  });
});
