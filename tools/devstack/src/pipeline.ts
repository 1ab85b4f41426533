import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { Taxonomy } from '@cad110/contracts';
import type { ColumnSpec, SourceMapping } from '@cad110/importer';
import type { Stack } from './stack';
import type { TraceTap } from './trace-tap';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function getJson<T>(url: string, token: string): Promise<T> {
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`GET ${url} → ${r.status}`);
  return (await r.json()) as T;
}

export interface PipelineCounts {
  incidents: number;
  cases: number;
  statsTotal: number;
  byCategory: Record<string, number>;
}

/** Current totals read from the services' own APIs. */
export async function readCounts(stack: Stack): Promise<PipelineCounts> {
  const token = stack.token('analyst');
  const [inc, cases, stats] = await Promise.all([
    getJson<{ total: number }>(`${stack.url('dispatch')}/incidents?limit=1`, token),
    getJson<{ total: number }>(`${stack.url('records')}/cases?limit=1`, token),
    getJson<{ total: number; rows: { key: string | null; count: number }[] }>(`${stack.url('statistics')}/stats/counts?by=category`, token),
  ]);
  return {
    incidents: inc.total,
    cases: cases.total,
    statsTotal: stats.total,
    byCategory: Object.fromEntries(stats.rows.map((r) => [String(r.key), r.count])),
  };
}

/**
 * Polls until dispatch, records and statistics have caught up with the expected totals
 * (or `timeoutMs` passes).
 * @returns the last counts and whether they reached the targets
 */
export async function waitForPipeline(
  stack: Stack,
  expected: { incidents: number; cases: number; statsTotal: number },
  timeoutMs = 180_000,
  onTick?: (c: PipelineCounts) => void,
): Promise<{ counts: PipelineCounts; reached: boolean }> {
  const deadline = Date.now() + timeoutMs;
  let counts = await readCounts(stack);
  while (Date.now() < deadline) {
    onTick?.(counts);
    if (counts.incidents >= expected.incidents && counts.cases >= expected.cases && counts.statsTotal >= expected.statsTotal) {
      return { counts, reached: true };
    }
    await sleep(250);
    counts = await readCounts(stack);
  }
  return { counts, reached: false };
}

/**
 * Calls per taxonomy category computed straight from the CSV: each row's call-type column is
 * looked up in the mapping's table (its default for unlisted types) and the subtype's category
 * taken from the taxonomy. This is deliberately separate from the importer's row mapping and from
 * the services. With `limit`, the earliest `limit` rows by the answer column's text (the importer
 * replays the earliest calls of the whole file; the shared files' times are all `YYYY-MM-DD HH:MM:SS`).
 * Call-per-row mappings only.
 */
export async function categoryCountsFromCsv(file: string, mapping: SourceMapping, taxonomy: Taxonomy, limit = Infinity): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const col = (s: ColumnSpec) => (typeof s === 'string' ? s : s.column);
  const rows: Record<string, string>[] = [];
  const parser = createReadStream(file).pipe(parse({ columns: true, bom: true, skip_empty_lines: true }));
  for await (const row of parser as AsyncIterable<Record<string, string>>) rows.push(row);
  const answered = col(mapping.columns.answeredAt);
  const id = col(mapping.columns.id);
  if (Number.isFinite(limit)) rows.sort((a, b) => (a[answered]! < b[answered]! ? -1 : a[answered]! > b[answered]! ? 1 : a[id]! < b[id]! ? -1 : 1)).splice(limit);
  for (const row of rows) {
    const subtype = (mapping.callTypes.values[row[col(mapping.columns.callType)] ?? ''] ?? mapping.callTypes.default)?.subtype;
    const category = subtype ? taxonomy.subtype(subtype)?.category : undefined;
    const key = category ?? 'unmapped';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Categories whose count differs between the two tables (union of keys). */
export function categoryMismatches(expected: Record<string, number>, actual: Record<string, number>): { category: string; expected: number; actual: number }[] {
  const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  return [...keys].filter((k) => (expected[k] ?? 0) !== (actual[k] ?? 0)).map((k) => ({ category: k, expected: expected[k] ?? 0, actual: actual[k] ?? 0 }));
}

/** Trace id of a call: from the traceparent stored with its first event in intake. */
export async function traceIdOfCall(stack: Stack, callId: string): Promise<string | undefined> {
  const call = await getJson<{ events: { metadata: { traceparent?: string } }[] }>(`${stack.url('intake')}/calls/${callId}`, stack.token('analyst'));
  return call.events[0]?.metadata.traceparent?.split('-')[1];
}

/**
 * Checks the traces of sampled calls: each must be ONE tree (one root: intake's HTTP request)
 * with spans from all four services. Waits up to `timeoutMs` for the exporters' batches.
 * @returns how many of the sampled calls have a complete trace, with per-call details
 */
export async function checkTraces(stack: Stack, tap: TraceTap, callIds: string[], timeoutMs = 20_000) {
  const services = ['intake', 'dispatch', 'records', 'statistics'];
  const traceIds = await Promise.all(callIds.map((id) => traceIdOfCall(stack, id)));
  const deadline = Date.now() + timeoutMs;
  let results = traceIds.map((t) => (t ? tap.checkTrace(t, services) : undefined));
  while (Date.now() < deadline && results.some((r) => !r?.complete)) {
    await sleep(500);
    results = traceIds.map((t) => (t ? tap.checkTrace(t, services) : undefined));
  }
  return { complete: results.filter((r) => r?.complete).length, details: results.map((r, i) => ({ callId: callIds[i]!, traceId: traceIds[i], ...r })) };
}

/** Evenly spaced sample of `n` items. */
export function sample<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  const step = items.length / n;
  return Array.from({ length: n }, (_, i) => items[Math.floor(i * step)]!);
}
