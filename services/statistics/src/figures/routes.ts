import type { Request } from 'express';
import { z } from 'zod';
import { IsoUtc, TWO_ROBBERIES_ONE_THEFT, localParts } from '@cad110/contracts';
import { parseQuery, ProblemError, type RouteSpec } from '@cad110/http';
import { DateTime } from 'luxon';
import type { Sql } from '@cad110/db';
import { DEFINITIONS as D } from './definitions';
import { BAND_NAMES, type BandName, type DutyLevelName } from './math';
import * as Q from './queries';
import { sendFigure, type Table } from './table';

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a local day YYYY-MM-DD').refine((d) => DateTime.fromISO(d).isValid, 'not a calendar day');
const From = Day.optional().describe('first local day of the period (YYYY-MM-DD, inclusive); default: no lower bound');
const To = Day.optional().describe('last local day of the period (YYYY-MM-DD, inclusive); default: no upper bound');
export const District = z.string().trim().min(1).max(64).optional().describe('only calls (cases) of this district / police-station area');
export const Category = z.string().trim().min(1).max(64).optional().describe('only calls (cases) of this taxonomy category, e.g. criminal');
const SourceCode = z.string().trim().min(1).max(64).optional().describe("only replayed calls with this call-type code of the source system, as the agency knows it (e.g. Minneapolis 'Domestic (P)', San Diego '415')");
const SourceGroup = z.string().trim().min(1).max(64).optional().describe("only replayed calls with this group of the source system's call types");
const Format = z.enum(['json', 'csv']).optional().describe('csv: the table as a CSV download (same as Accept: text/csv)');
const Priority = z.coerce.number().int().min(1).max(4).optional().describe('only calls of this priority (1 most urgent)');
const Resolution = (max: number) => z.coerce.number().int().min(0).max(max).default(Math.min(8, max)).describe(`H3 resolution of the cells, 0..${max} (the stored one); default 8`);
const K = z.coerce.number().int().min(1).max(5).default(1).describe('Gi* neighbourhood: cells within k grid steps (k-ring), 1..5');

const base = { from: From, to: To, district: District, category: Category, format: Format };
const periodOrder = (q: { from?: string; to?: string }, ctx: z.RefinementCtx) => {
  if (q.from && q.to && q.from > q.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must not be before from' });
};

const ROLES = ['analyst', 'supervisor', 'ops', 'dispatcher'];

/** Every figure's JSON: the bureau zone, the period and its rows (fields per figure, see the description). */
const FigureBody = z
  .object({ timeZone: z.string().describe('IANA zone of local days and hours') })
  .loose()
  .meta({ id: 'Figure', description: "A figure: timeZone, the period asked (from/to, null when open) and the figure's rows; each route's description defines them" });

export interface StatsRouteOptions {
  timeZone: string;
  /** stored H3 resolution */
  h3Resolution: number;
}

/**
 * The figures' HTTP API as a route table (GET, roles analyst / supervisor / ops / dispatcher /
 * admin). Every route answers JSON, or CSV with `?format=csv` / `Accept: text/csv`; bad
 * parameters → 400 problem+json listing every field.
 */
export function statsRoutes(sql: Sql, opts: StatsRouteOptions): RouteSpec[] {
  const routes: RouteSpec[] = [];
  const { timeZone } = opts;

  /** A figure route: its query schema validates the request and documents the parameters. */
  function figure<S extends z.ZodType>(path: string, summary: string, description: string, query: S, handler: (q: z.infer<S>, req: Request) => Promise<{ json: unknown; table: () => Table; name: string }>) {
    routes.push({
      method: 'get',
      path,
      operationId: `get${path.replace(/^\/stats\//, '').replace(/(^|[/-])([a-z])/g, (_m, _s, c: string) => c.toUpperCase())}`,
      summary,
      description,
      tags: ['figures'],
      roles: ROLES,
      query,
      responses: { 200: { description: 'The figure as JSON, or its table as CSV (header row, RFC 4180) with ?format=csv or Accept: text/csv.', schema: FigureBody, contentType: ['application/json', 'text/csv'] } },
      handler: async (req, res) => {
        const q = parseQuery(query, req);
        const out = await handler(q, req);
        sendFigure(req, res, (q as { format?: string }).format, out.name, out.json, out.table);
      },
    });
  }

  const CountsQuery = z
    .object({
      by: z.enum(Q.COUNT_BY).default('category').describe("dimension: local day, local hour 0..23, ISO weekday 1..7, hour of week 0..167 (Monday 00:00 = 0), source-code / source-group: the source system's call type and its group (replayed calls), ..."),
      ...base,
      sourceCode: SourceCode,
      sourceGroup: SourceGroup,
      flag: z.literal(TWO_ROBBERIES_ONE_THEFT).optional().describe('only two-robberies-one-theft incidents'),
      scope: z.enum(['calls', 'incidents']).default('calls').describe('count every call, or incidents only'),
    })
    .strict()
    .superRefine(periodOrder)
    .superRefine((q, ctx) => {
      if ((q.sourceCode || q.sourceGroup) && Q.COUNT_BY_WITHOUT_SOURCE.includes(q.by)) ctx.addIssue({ code: 'custom', path: ['by'], message: `by=${q.by} cannot be filtered by sourceCode or sourceGroup` });
    });
  figure('/stats/counts', 'Calls or incidents grouped by one dimension', `${D.call} ${D.incident} ${D.day} Unknown values group under key null.`, CountsQuery, async (q) => {
    const c = await Q.counts(sql, q.by, q);
    return {
      name: `counts-by-${q.by}`,
      json: { timeZone, unit: 'call', scope: q.scope, by: q.by, from: q.from ?? null, to: q.to ?? null, rows: c.rows, total: c.total },
      table: () => ({ columns: ['key', 'count'], rows: c.rows }),
    };
  });

  const TotalsQuery = z.object({ ...base, sourceCode: SourceCode, sourceGroup: SourceGroup }).strict().superRefine(periodOrder);
  figure('/stats/totals', '110 total, incidents, criminal total, two robberies and one theft', `${D.total110} ${D.incident} ${D.criminal} ${D.twoRob} ${D.day}`, TotalsQuery, async (q) => {
    const t = await Q.totals(sql, q);
    return {
      name: 'totals',
      json: { timeZone, from: q.from ?? null, to: q.to ?? null, ...t },
      table: () => ({ columns: ['metric', 'value'], rows: Object.entries(t).map(([metric, value]) => ({ metric, value })) }),
    };
  });

  const CompareQuery = z
    .object({
      metric: z.enum(['calls', 'incidents', 'criminal', 'two-robberies-one-theft']).default('incidents').describe('calls = 110 total; incidents; criminal total; two robberies and one theft'),
      by: z.enum(['none', 'category', 'district']).default('none'),
      ...base,
      from: Day.describe('first local day of the period (required)'),
      to: Day.describe('last local day of the period (required)'),
    })
    .strict()
    .superRefine(periodOrder);
  figure('/stats/compare', '同比 year-on-year and 环比 period-on-period', `${D.change} ${D.total110} ${D.incident} ${D.criminal} ${D.twoRob} ${D.day}`, CompareQuery, async (q) => {
    const c = await Q.compare(sql, q.metric, q.by, { from: q.from, to: q.to }, q);
    return {
      name: `compare-${q.metric}`,
      json: { timeZone, metric: q.metric, by: q.by, ...c },
      table: () => ({
        columns: ['key', 'current', 'yoyBase', 'yoyChange', 'yoyChangePct', 'yoyBaseZero', 'popBase', 'popChange', 'popChangePct', 'popBaseZero'],
        rows: c.rows.map((x) => ({
          key: x.key,
          current: x.current,
          yoyBase: x.yoy.base,
          yoyChange: x.yoy.change,
          yoyChangePct: x.yoy.changePct,
          yoyBaseZero: x.yoy.baseZero,
          popBase: x.pop.base,
          popChange: x.pop.change,
          popChangePct: x.pop.changePct,
          popBaseZero: x.pop.baseZero,
        })),
      }),
    };
  });

  const DaysQuery = z
    .object({ ...base, from: Day.describe('first local day (required)'), to: Day.describe('last local day (required)') })
    .strict()
    .superRefine(periodOrder)
    .superRefine((q, ctx) => {
      if (q.from && q.to && DateTime.fromISO(q.to).diff(DateTime.fromISO(q.from), 'days').days > 3660) ctx.addIssue({ code: 'custom', path: ['to'], message: 'period longer than 10 years' });
    });
  figure('/stats/days-without', 'Days without any incident and without a criminal incident', `${D.daysWithout} ${D.incident} ${D.criminal} ${D.day}`, DaysQuery, async (q) => {
    const rows = await Q.daysWithout(sql, { from: q.from, to: q.to }, q);
    return {
      name: 'days-without',
      json: { timeZone, from: q.from, to: q.to, rows },
      table: () => ({ columns: ['district', 'days', 'daysWithoutIncident', 'daysWithoutCriminalIncident', 'withoutIncident', 'withoutCriminalIncident'], rows: rows as never }),
    };
  });

  const OutcomesQuery = z.object({ by: z.enum(['none', 'district', 'category']).default('none'), ...base }).strict().superRefine(periodOrder);
  figure('/stats/outcomes', 'Disputes mediated, people rescued, suspects caught', `${D.outcomes} ${D.day}`, OutcomesQuery, async (q) => {
    const rows = await Q.outcomes(sql, q.by, q);
    return {
      name: 'outcomes',
      json: { timeZone, unit: 'case', by: q.by, from: q.from ?? null, to: q.to ?? null, rows },
      table: () => ({ columns: ['key', 'cases', 'disputesMediated', 'peopleRescued', 'suspectsCaught'], rows: rows as never }),
    };
  });

  const ResponseQuery = z.object({ by: z.enum(['none', 'priority', 'district']).default('none'), ...base, priority: Priority }).strict().superRefine(periodOrder);
  figure('/stats/response-times', 'Response-time percentiles p50 / p90 / p95', `${D.responseTimes} ${D.day}`, ResponseQuery, async (q) => {
    const rows = await Q.responseTimes(sql, q.by, q);
    return {
      name: 'response-times',
      json: { timeZone, unit: 'incident', seconds: true, percentile: 'nearest-rank', by: q.by, from: q.from ?? null, to: q.to ?? null, rows },
      table: () => ({ columns: ['key', 'measure', 'n', 'p50', 'p90', 'p95'], rows: rows as never }),
    };
  });

  figure('/stats/compliance', 'NFPA 1225 processing and 1/3/5-minute circle compliance', `${D.compliance} ${D.responseTimes} ${D.day}`, ResponseQuery, async (q) => {
    const rows = await Q.compliance(sql, q.by, q);
    return {
      name: 'compliance',
      json: { timeZone, unit: 'incident', by: q.by, from: q.from ?? null, to: q.to ?? null, rows },
      table: () => ({
        columns: ['key', 'processingN', 'processingWithin60', 'nfpa1225Share', 'nfpa1225Target', 'nfpa1225Met', 'travelN', 'within1min', 'within3min', 'within5min', 'circle1Share', 'circle3Share', 'circle5Share'],
        rows: rows as never,
      }),
    };
  });

  const CellsQuery = z.object({ resolution: Resolution(opts.h3Resolution), ...base }).strict().superRefine(periodOrder);
  figure('/stats/hotspots/cells', 'Calls per H3 cell × hour of week', `${D.hotspots} ${D.call} ${D.day}`, CellsQuery, async (q) => {
    const rows = await Q.hotspotCells(sql, q.resolution, q);
    return { name: 'hotspot-cells', json: { timeZone, resolution: q.resolution, from: q.from ?? null, to: q.to ?? null, rows }, table: () => ({ columns: ['cell', 'hourOfWeek', 'calls'], rows: rows as never }) };
  });

  const Weekdays = z
    .string()
    .regex(/^[1-7](,[1-7])*$/, 'ISO weekdays 1..7 separated by commas')
    .optional()
    .describe('only these ISO weekdays (1 = Monday), e.g. 5,6');
  const HotQuery = z
    .object({
      resolution: Resolution(opts.h3Resolution),
      k: K,
      top: z.coerce.number().int().min(1).max(500).default(10).describe('cells per band'),
      band: z.enum(['night', 'day', 'evening', 'all-bands']).default('all-bands').describe('shift band, or all three'),
      weekdays: Weekdays,
      ...base,
    })
    .strict()
    .superRefine(periodOrder);
  figure('/stats/hotspots', 'Top hot-spot cells per shift band (Getis-Ord Gi*)', `${D.hotspots} ${D.day}`, HotQuery, async (q) => {
    const bands: BandName[] = q.band === 'all-bands' ? BAND_NAMES : [q.band];
    const rows = await Q.hotspots(sql, { resolution: q.resolution, k: q.k, top: q.top, bands, weekdays: q.weekdays?.split(',').map(Number) }, q);
    return {
      name: 'hotspots',
      json: { timeZone, resolution: q.resolution, k: q.k, from: q.from ?? null, to: q.to ?? null, rows },
      table: () => ({ columns: ['band', 'rank', 'cell', 'lat', 'lon', 'calls', 'neighbourhoodCalls', 'z'], rows: rows as never }),
    };
  });

  const Units = z
    .string()
    .regex(/^[a-z0-9-]+:\d{1,4}(,[a-z0-9-]+:\d{1,4})*$/, 'type:count pairs separated by commas, e.g. armed-vehicle-patrol:2,station-car:6')
    .optional()
    .describe('on-duty patrol units to post, in posting order: type:count,…');
  const DeployQuery = z
    .object({
      at: IsoUtc.optional().describe('UTC instant; the suggestion is for the next shift after it (default now)'),
      historyDays: z.coerce.number().int().min(7).max(3660).default(56).describe('history window: this many local days ending the day before `at` (when from/to are not given)'),
      resolution: Resolution(opts.h3Resolution),
      k: K,
      units: Units,
      dutyLevel: z.enum(['normal', 'reinforced', 'wartime']).optional().describe('override the duty level from DutyLevelChanged'),
      ...base,
    })
    .strict()
    .superRefine(periodOrder);
  figure('/stats/deployment', 'Deployment suggestion for the next shift', `${D.deployment} ${D.hotspots}`, DeployQuery, async (q) => {
    const at = q.at ? new Date(q.at) : new Date();
    const atDay = DateTime.fromISO(localParts(at, timeZone).day, { zone: 'utc' });
    const from = q.from ?? atDay.minus({ days: q.historyDays }).toISODate()!;
    const to = q.to ?? atDay.minus({ days: 1 }).toISODate()!;
    if (from > to) throw ProblemError.validation([{ field: 'to', message: 'to must not be before from' }]);
    const units = q.units?.split(',').map((p) => {
      const [type, count] = p.split(':');
      return { type: type!, count: Number(count) };
    });
    const plan = await Q.deployment(sql, { at, timeZone, resolution: q.resolution, k: q.k, units, dutyLevel: q.dutyLevel as DutyLevelName | undefined }, { ...q, from, to });
    return {
      name: 'deployment',
      json: { timeZone, resolution: q.resolution, k: q.k, from, to, ...plan },
      table: () => ({ columns: ['post', 'cell', 'lat', 'lon', 'z', 'expectedCalls', 'unitType'], rows: plan.posts as never }),
    };
  });

  const ThroughputQuery = z
    .object({ from: From, to: To, format: Format, table: z.enum(['topics', 'calls-per-hour']).default('topics').describe('which table a CSV download holds') })
    .strict()
    .superRefine(periodOrder)
    .superRefine((q, ctx) => {
      if (!!q.from !== !!q.to) ctx.addIssue({ code: 'custom', path: [q.from ? 'to' : 'from'], message: 'give both from and to, or neither' });
    });
  figure('/stats/throughput', 'Events per second per topic, calls per hour', `${D.throughput} ${D.day}`, ThroughputQuery, async (q) => {
    const t = await Q.throughput(sql, timeZone, q.from && q.to ? { from: q.from, to: q.to } : undefined);
    return {
      name: `throughput-${q.table}`,
      json: { timeZone, ...t },
      table: () =>
        q.table === 'topics'
          ? { columns: ['topic', 'events', 'minutesWithEvents', 'meanPerSecond', 'peakPerSecond'], rows: t.topics }
          : { columns: ['calls', 'hours', 'meanPerHour', 'peakDay', 'peakHour', 'peakCalls'], rows: [{ ...t.callsPerHour, peakDay: t.callsPerHour.peak?.day, peakHour: t.callsPerHour.peak?.hour, peakCalls: t.callsPerHour.peak?.calls }] },
    };
  });

  return routes;
}
