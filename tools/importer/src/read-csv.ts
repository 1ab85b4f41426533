import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { Taxonomy } from '@cad110/contracts';
import type { SourceMapping } from './mapping';
import { mapRow, RowError, type MappedCall } from './map-row';

export interface ReadResult {
  calls: MappedCall[];
  rejected: { line: number; reason: string }[];
}

/**
 * Reads a calls-for-service CSV (header row, UTF-8, optional BOM) and maps every row; rows that
 * cannot be mapped are listed in `rejected` with their line and reason. The calls come back in
 * answer-time order (the Minneapolis file is newest first), at most `limit` of them: the first
 * `limit` rows of the file, then sorted.
 */
export async function readCalls(file: string, m: SourceMapping, taxonomy: Taxonomy, limit = Infinity): Promise<ReadResult> {
  const calls: MappedCall[] = [];
  const rejected: ReadResult['rejected'] = [];
  const parser = createReadStream(file).pipe(parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: false }));
  let line = 1;
  for await (const row of parser as AsyncIterable<Record<string, string>>) {
    line++;
    if (calls.length + rejected.length >= limit) {
      parser.destroy();
      break;
    }
    try {
      calls.push(mapRow(row, m, taxonomy));
    } catch (e) {
      if (!(e instanceof RowError)) throw e;
      rejected.push({ line, reason: e.message });
    }
  }
  calls.sort((a, b) => (a.body.answeredAt < b.body.answeredAt ? -1 : a.body.answeredAt > b.body.answeredAt ? 1 : a.body.externalRef.id.localeCompare(b.body.externalRef.id)));
  return { calls, rejected };
}
