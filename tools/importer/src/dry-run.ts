import { DateTime } from 'luxon';
import type { Taxonomy } from '@cad110/contracts';
import type { SourceMapping } from './mapping';
import type { MappedCall } from './map-row';
import { readCalls, rejectionSummary, type ReadResult } from './read-csv';

/** What `--dry-run` reports (also the JSON of `--report FILE`). Nothing is posted. */
export interface DryRunReport {
  file: string;
  source: string;
  timeZone: string;
  /** CSV records read (header not counted) */
  rowsRead: number;
  /** calls formed (after grouping unit-per-row sources), rejected ones not counted */
  callsFormed: number;
  /** unit-per-row sources: unit responses (rows with a unit and a dispatch time) over all calls */
  unitResponses?: number;
  handedToDispatch: number;
  rejected: { total: number; byReason: ReturnType<typeof rejectionSummary> };
  /** source call types that have no entry in callTypes.values: calls each, and what happened to them */
  unmappedCallTypes: { sourceCode: string; calls: number; outcome: 'default' | 'rejected'; subtype?: string }[];
  /** every source call type (and group) with the 110 subtype and category it became, calls each */
  callTypes: { sourceCode: string; sourceGroup: string | null; subtype: string; category: string; calls: number }[];
  /** category × 110 priority (1..4) the replay would produce */
  categoryPriority: { category: string; p1: number; p2: number; p3: number; p4: number; total: number }[];
  /** calls per local day of the answer time, in the source's zone */
  perDay: { day: string; calls: number }[];
  suspiciousLocations: { total: number; byFlag: Record<string, number>; first: { id: string; line: number; flag: string; lat: number | null; lon: number | null; text?: string }[] };
  /** calls with coordinates the replay would post */
  located: number;
  dispositions?: { outcome: number; none: number; unmapped: { sourceCode: string; calls: number }[] };
  /** values dropped without rejecting the call (bad optional times, unreadable locations), by reason */
  warnings: { reason: string; count: number }[];
  seconds: number;
}

const inc = <K>(m: Map<K, number>, k: K, n = 1) => m.set(k, (m.get(k) ?? 0) + n);

/** The dry-run report of mapped calls (see `DryRunReport`). */
export function buildReport(read: ReadResult, m: SourceMapping, file: string, seconds: number, taxonomy: Taxonomy): DryRunReport {
  const { calls, rejected } = read;
  const unmapped = new Map<string, number>();
  for (const r of rejected) if (r.code === 'unmapped-call-type') inc(unmapped, r.value ?? '');
  const defaulted = new Map<string, number>();
  const types = new Map<string, { sourceCode: string; sourceGroup: string | null; subtype: string; category: string; calls: number }>();
  const cp = new Map<string, number[]>();
  const days = new Map<string, number>();
  const flags = new Map<string, number>();
  const firstSuspect: DryRunReport['suspiciousLocations']['first'] = [];
  const warnings = new Map<string, number>();
  const disp = { outcome: 0, none: 0, unmapped: new Map<string, number>() };
  let units = 0;
  let located = 0;
  for (const c of calls) {
    const code = c.body.classification.sourceCode;
    if (c.defaulted) inc(defaulted, code);
    const key = `${code}\u0000${c.body.classification.sourceGroup ?? ''}`;
    const t = types.get(key) ?? types.set(key, { sourceCode: code, sourceGroup: c.body.classification.sourceGroup ?? null, subtype: c.subtype, category: c.category, calls: 0 }).get(key)!;
    t.calls++;
    const row = cp.get(c.category) ?? cp.set(c.category, [0, 0, 0, 0]).get(c.category)!;
    row[c.body.classification.priority - 1]!++;
    inc(days, DateTime.fromISO(c.body.answeredAt, { zone: 'utc' }).setZone(m.timeZone).toISODate()!);
    if (c.suspectLocation) {
      inc(flags, c.suspectLocation.flag);
      if (firstSuspect.length < 20) firstSuspect.push({ id: c.body.externalRef.id, line: c.lines[0]!, ...c.suspectLocation });
    }
    if (c.body.location?.lat !== undefined) located++;
    for (const w of c.warnings ?? []) inc(warnings, w.replace(/: .*$/, ''));
    units += c.units?.length ?? 0;
    if (c.disposition?.kind === 'outcome') disp.outcome++;
    else if (c.disposition?.kind === 'none') disp.none++;
    else if (c.disposition?.kind === 'unmapped') inc(disp.unmapped, c.disposition.sourceCode);
  }
  const order = taxonomy.categoryCodes();
  return {
    file,
    source: m.source,
    timeZone: m.timeZone,
    rowsRead: read.rowsRead,
    callsFormed: calls.length,
    ...(m.units ? { unitResponses: units } : {}),
    handedToDispatch: calls.filter((c) => c.body.handToDispatch).length,
    rejected: { total: rejected.length, byReason: rejectionSummary(rejected) },
    unmappedCallTypes: [
      ...[...defaulted].map(([sourceCode, n]) => ({ sourceCode, calls: n, outcome: 'default' as const, subtype: m.callTypes.default!.subtype })),
      ...[...unmapped].map(([sourceCode, n]) => ({ sourceCode, calls: n, outcome: 'rejected' as const })),
    ].sort((a, b) => b.calls - a.calls || (a.sourceCode < b.sourceCode ? -1 : 1)),
    callTypes: [...types.values()].sort((a, b) => b.calls - a.calls || (a.sourceCode < b.sourceCode ? -1 : 1)),
    categoryPriority: [...cp]
      .sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]))
      .map(([category, [p1, p2, p3, p4]]) => ({ category, p1: p1!, p2: p2!, p3: p3!, p4: p4!, total: p1! + p2! + p3! + p4! })),
    perDay: [...days].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([day, n]) => ({ day, calls: n })),
    suspiciousLocations: { total: [...flags.values()].reduce((a, b) => a + b, 0), byFlag: Object.fromEntries([...flags].sort()), first: firstSuspect },
    located,
    ...(m.dispositions && m.columns.disposition ? { dispositions: { outcome: disp.outcome, none: disp.none, unmapped: [...disp.unmapped].map(([sourceCode, n]) => ({ sourceCode, calls: n })).sort((a, b) => b.calls - a.calls) } } : {}),
    warnings: [...warnings].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
    seconds,
  };
}

/** Reads and maps the whole file without posting anything; see `DryRunReport`. */
export async function dryRun(file: string, m: SourceMapping, taxonomy: Taxonomy): Promise<DryRunReport> {
  const started = performance.now();
  const read = await readCalls(file, m, taxonomy);
  return buildReport(read, m, file, Number(((performance.now() - started) / 1000).toFixed(2)), taxonomy);
}

/** The report as text for a person (what `--dry-run` prints). */
export function formatReport(r: DryRunReport): string {
  const L: string[] = [];
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  L.push(`dry run of ${r.file} with mapping ${r.source} (zone ${r.timeZone}) — nothing was posted`);
  L.push(`  rows read              ${r.rowsRead}`);
  L.push(`  calls formed           ${r.callsFormed}${r.unitResponses !== undefined ? ` (${r.unitResponses} unit responses)` : ''}`);
  L.push(`  handed to dispatch     ${r.handedToDispatch}`);
  L.push(`  with coordinates       ${r.located}`);
  L.push(`  rejected               ${r.rejected.total}`);
  for (const x of r.rejected.byReason) L.push(`    ${pad(x.count, 7)}  ${x.reason}   (first lines ${x.firstLines.join(', ')}; e.g. ${x.example})`);
  L.push(`  call types without a taxonomy entry: ${r.unmappedCallTypes.length}`);
  for (const x of r.unmappedCallTypes.slice(0, 40)) L.push(`    ${pad(x.calls, 7)}  ${JSON.stringify(x.sourceCode)} → ${x.outcome === 'default' ? `default ${x.subtype}` : 'rejected'}`);
  if (r.unmappedCallTypes.length > 40) L.push(`    … ${r.unmappedCallTypes.length - 40} more in the JSON report`);
  L.push('  category × priority');
  L.push(`    ${'category'.padEnd(14)}${pad('P1', 8)}${pad('P2', 8)}${pad('P3', 8)}${pad('P4', 8)}${pad('total', 8)}`);
  for (const x of r.categoryPriority) L.push(`    ${x.category.padEnd(14)}${pad(x.p1, 8)}${pad(x.p2, 8)}${pad(x.p3, 8)}${pad(x.p4, 8)}${pad(x.total, 8)}`);
  L.push(`  calls per local day (${r.timeZone})`);
  for (const x of r.perDay) L.push(`    ${x.day}  ${pad(x.calls, 7)}`);
  L.push(`  suspicious locations   ${r.suspiciousLocations.total} ${JSON.stringify(r.suspiciousLocations.byFlag)}`);
  for (const x of r.suspiciousLocations.first.slice(0, 10)) L.push(`    line ${x.line} call ${x.id}: ${x.flag} (${x.lat}, ${x.lon})${x.text ? ` ${JSON.stringify(x.text)}` : ''}`);
  if (r.dispositions) {
    L.push(`  dispositions           ${r.dispositions.outcome} with an outcome, ${r.dispositions.none} with none, ${r.dispositions.unmapped.reduce((s, x) => s + x.calls, 0)} unmapped`);
    for (const x of r.dispositions.unmapped.slice(0, 10)) L.push(`    ${pad(x.calls, 7)}  ${JSON.stringify(x.sourceCode)} unmapped`);
  }
  if (r.warnings.length) {
    L.push('  values dropped (call kept)');
    for (const x of r.warnings) L.push(`    ${pad(x.count, 7)}  ${x.reason}`);
  }
  L.push(`  top source call types → 110 subtype`);
  for (const x of r.callTypes.slice(0, 15)) L.push(`    ${pad(x.calls, 7)}  ${JSON.stringify(x.sourceCode)}${x.sourceGroup ? ` [${x.sourceGroup}]` : ''} → ${x.category}/${x.subtype}`);
  L.push(`  read in ${r.seconds} s`);
  return L.join('\n');
}

/** Calls of a mapped file as the JSON report's call-type table (exported for tests). */
export const countCallTypes = (calls: readonly MappedCall[]) => {
  const m = new Map<string, number>();
  for (const c of calls) inc(m, c.body.classification.sourceCode);
  return m;
};
