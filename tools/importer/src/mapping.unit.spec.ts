import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import { loadTaxonomy, TWO_ROBBERIES_ONE_THEFT } from '@cad110/contracts';
import { itWithShared, sharedPath } from '@cad110/testkit';
import { loadMapping } from './mapping';
import { mapRow, RowError } from './map-row';
import { readCalls } from './read-csv';

const taxonomy = loadTaxonomy();
const ROOT = join(__dirname, '..', '..', '..');
const SLICE = join(ROOT, 'data', 'calls', 'minneapolis-mpd-911-cad.slice-2000.csv');

async function distinct(file: string, columns: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const row of createReadStream(file).pipe(parse({ columns: true, bom: true })) as AsyncIterable<Record<string, string>>) {
    for (const c of columns) out.add(row[c] ?? '');
  }
  return out;
}

describe('source mappings onto the 110 taxonomy', () => {
  // the full source files live in ../shared: without it these are skipped by name (never passed silently)
  for (const [source, columns] of [
    ['minneapolis-mpd', ['Problem', 'initialProblem']],
    ['san-diego-pd', ['call_type']],
  ] as const) {
    const m = loadMapping(source, taxonomy);
    itWithShared(`${source} maps every call type of the shared dataset`, [`data/calls/${m.dataset}`], async () => {
      const types = await distinct(sharedPath(`data/calls/${m.dataset}`), [...columns]);
      const unmapped = [...types].filter((t) => !m.callTypes.values[t]);
      expect(unmapped).toEqual([]);
    });
  }

  it('flags exactly robbery, snatching and the theft subtypes as two robberies and one theft', () => {
    const flagged = taxonomy.allSubtypes().filter((s) => s.flags.includes(TWO_ROBBERIES_ONE_THEFT)).map((s) => s.code).sort();
    expect(flagged).toEqual(['burglary', 'pickpocketing', 'robbery', 'snatching', 'theft', 'vehicle-theft']);
    expect(taxonomy.categoryCodes()).toEqual(['criminal', 'public-order', 'traffic', 'fire', 'dispute', 'assistance', 'other']);
  });
});

describe('mapRow on real rows', () => {
  const mpls = loadMapping('minneapolis-mpd', taxonomy);
  const header = readFileSync(SLICE, 'utf8').split('\n')[0]!;

  async function sliceRows(): Promise<Record<string, string>[]> {
    const rows: Record<string, string>[] = [];
    for await (const r of createReadStream(SLICE).pipe(parse({ columns: true })) as AsyncIterable<Record<string, string>>) rows.push(r);
    return rows;
  }

  it('maps the newest Minneapolis call: Chicago time to UTC, coordinates, precinct, priority', async () => {
    const row = (await sliceRows())[0]!;
    expect(row.Master_Incident_Number).toBe('20-184134');
    const { body, category, subtype } = mapRow(row, mpls, taxonomy);
    expect(body.answeredAt).toBe('2020-07-14T04:55:47.000Z'); // 23:55:47 CDT
    expect(body.handedAt).toBe('2020-07-14T04:58:40.000Z');
    expect(body.location).toMatchObject({ lat: 45.014, lon: -93.262, district: 'Precinct 2', beat: 'P2 Sec 2', source: 'import' });
    expect(body.channel).toBe('110');
    expect(body.classification).toMatchObject({ subtype: 'suspicious-vehicle', priority: 2, sourceCode: 'Suspicious Vehicle (P)' });
    expect([category, subtype]).toEqual(['public-order', 'suspicious-vehicle']);
    expect(body.handToDispatch).toBe(true);
  });

  it('carries the source dispatch times (UTC) for the dispatch history replay', async () => {
    const row = (await sliceRows())[0]!;
    expect(mapRow(row, mpls, taxonomy).dispatchHistory).toEqual({
      assignedAt: '2020-07-14T05:01:57.000Z',
      enRouteAt: '2020-07-14T05:01:57.000Z',
      arrivedAt: '2020-07-14T05:06:10.000Z',
      clearedAt: '2020-07-14T05:12:01.000Z',
      closedAt: '2020-07-14T05:28:02.000Z',
    });
    const { Time_First_Unit_Assigned: _a, Time_First_Unit_Enroute: _e, Time_First_Unit_Arrived: _r, TimeFirstCallCleared: _c, Time_CallClosed: _x, ...rest } = row;
    expect(mapRow({ ...rest, Time_First_Unit_Arrived: 'not a time' }, mpls, taxonomy).dispatchHistory).toBeUndefined();
  });

  it('drops REDACTED coordinates and addresses but keeps the precinct', async () => {
    const row = (await sliceRows()).find((r) => r.Latitude === 'REDACTED');
    expect(row).toBeDefined();
    const { body } = mapRow(row!, mpls, taxonomy);
    expect(body.location?.lat).toBeUndefined();
    expect(body.location?.address).toBeUndefined();
    expect(body.location?.district).toMatch(/^Precinct/);
  });

  it('refuses a row with an unmapped call type or a bad time', () => {
    const cols = header.split(',');
    const row = Object.fromEntries(cols.map((c) => [c, ''])) as Record<string, string>;
    Object.assign(row, { Master_Incident_Number: 'X-1', Time_PhonePickUp: '2020-07-13 10:00:00', Problem: 'Martian Landing (P)' });
    expect(() => mapRow(row, mpls, taxonomy)).toThrow(RowError);
    expect(() => mapRow({ ...row, Problem: 'Theft (P)', Time_PhonePickUp: 'yesterday' }, mpls, taxonomy)).toThrow(/bad time/);
  });

  it('San Diego: division from the beat, intersections as "A & B", priority 9 not dispatched', () => {
    const sd = loadMapping('san-diego-pd', taxonomy);
    const base = {
      incident_num: 'E23010000001', date_time: '2023-01-01 00:00:05', day_of_week: '1', address_number_primary: '0', address_dir_primary: '',
      address_road_primary: '05TH', address_sfx_primary: 'AVE', address_dir_intersecting: '', address_road_intersecting: 'G', address_sfx_intersecting: '',
      call_type: 'FD', disposition: 'CAN', beat: '523', priority: '2',
    };
    const { body } = mapRow(base, sd, taxonomy);
    expect(body.answeredAt).toBe('2023-01-01T08:00:05.000Z');
    expect(body.location).toMatchObject({ address: '05TH AVE & G', district: 'Division 5', beat: '523' });
    expect(body.handToDispatch).toBe(true);
    expect(mapRow({ ...base, priority: '9', beat: '-1' }, sd, taxonomy).body).toMatchObject({ handToDispatch: false, location: { source: 'import' } });
  });

  it('reads the bundled slice in answer-time order with no rejected rows', async () => {
    const { calls, rejected } = await readCalls(SLICE, mpls, taxonomy);
    expect(rejected).toEqual([]);
    expect(calls).toHaveLength(2000);
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.body.answeredAt >= calls[i - 1]!.body.answeredAt).toBe(true);
  });
});
