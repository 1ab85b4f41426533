import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { Taxonomy } from '@cad110/contracts';
import { checkHeader, type SourceMapping } from './mapping';
import { mapGroup, RowError, type MappedCall, type RejectCode, type SourceRow } from './map-row';

/** A source call that could not be mapped: its CSV line(s), the reason (no row value in it) and the full message. */
export interface Rejected {
  /** first CSV line of the call (1 = the header) */
  line: number;
  /** every line of the call (unit-per-row sources) */
  lines?: number[];
  code: RejectCode;
  /** groups rejections: `bad time in Received DtTm (format MM/dd/yyyy hh:mm:ss a)` */
  reason: string;
  /** the message with the call id and value, e.g. `F1: bad time in Received DtTm: 13/31/2016 ...` */
  message: string;
  /** the offending value (a time's text, an unmapped call type) */
  value?: string;
}

export interface ReadResult {
  calls: MappedCall[];
  rejected: Rejected[];
  /** CSV records read (not counting the header) */
  rowsRead: number;
  header: string[];
}

/** Reads every record of a CSV (header row, UTF-8, optional BOM) with its line number. */
export async function readSourceRows(file: string): Promise<{ header: string[]; rows: SourceRow[] }> {
  let header: string[] = [];
  const rows: SourceRow[] = [];
  const parser = createReadStream(file).pipe(
    parse({
      columns: (h: string[]) => (header = h),
      bom: true,
      skip_empty_lines: true,
      relax_column_count: false,
      info: true,
    }),
  );
  for await (const rec of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    rows.push({ line: rec.info.lines, values: rec.record });
  }
  return { header, rows };
}

/** Source rows grouped into calls: by the `groupBy` column (file order of first appearance), else one row each. */
export function groupRows(rows: readonly SourceRow[], m: SourceMapping): SourceRow[][] {
  if (!m.groupBy) return rows.map((r) => [r]);
  const col = m.groupBy.column;
  const groups = new Map<string, SourceRow[]>();
  const lone: SourceRow[][] = [];
  for (const r of rows) {
    const k = (r.values[col] ?? '').trim();
    if (!k) {
      lone.push([r]); // rejected as missing id by mapGroup when id is the group column
      continue;
    }
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.values(), ...lone];
}

/** Answer-time order, then external id. */
export const byAnswerTime = (a: MappedCall, b: MappedCall) =>
  a.body.answeredAt < b.body.answeredAt ? -1 : a.body.answeredAt > b.body.answeredAt ? 1 : a.body.externalRef.id < b.body.externalRef.id ? -1 : a.body.externalRef.id > b.body.externalRef.id ? 1 : 0;

/**
 * Reads a calls-for-service CSV and maps it: checks the mapping's columns against the header
 * (MappingError naming the field), groups unit-per-row sources into calls, maps every call; calls
 * that cannot be mapped are listed in `rejected` with their line(s) and reason. The calls come
 * back in answer-time order (the Minneapolis file is newest first); `limit` keeps the earliest
 * `limit` calls of the WHOLE file (files need not be in time order), rejected calls not counted.
 */
export async function readCalls(file: string, m: SourceMapping, taxonomy: Taxonomy, limit = Infinity): Promise<ReadResult> {
  const { header, rows } = await readSourceRows(file);
  checkHeader(m, header, file);
  const calls: MappedCall[] = [];
  const rejected: Rejected[] = [];
  for (const g of groupRows(rows, m)) {
    try {
      calls.push(mapGroup(g, m, taxonomy));
    } catch (e) {
      if (!(e instanceof RowError)) throw e;
      rejected.push({ line: g[0]!.line, ...(g.length > 1 ? { lines: g.map((r) => r.line) } : {}), code: e.code, reason: e.reason, message: e.message, ...(e.value !== undefined ? { value: e.value } : {}) });
    }
  }
  calls.sort(byAnswerTime);
  if (calls.length > limit) calls.length = limit;
  return { calls, rejected, rowsRead: rows.length, header };
}

/** Rejections grouped by reason: count and the first few lines, most frequent first. */
export function rejectionSummary(rejected: readonly Rejected[], firstN = 5): { reason: string; code: RejectCode; count: number; firstLines: number[]; example: string }[] {
  const by = new Map<string, { reason: string; code: RejectCode; count: number; firstLines: number[]; example: string }>();
  for (const r of rejected) {
    const e = by.get(r.reason) ?? by.set(r.reason, { reason: r.reason, code: r.code, count: 0, firstLines: [], example: r.message }).get(r.reason)!;
    e.count++;
    if (e.firstLines.length < firstN) e.firstLines.push(r.line);
  }
  return [...by.values()].sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1));
}
