import type { Request, Response } from 'express';
import { stringify } from 'csv-stringify/sync';

/** A table of a figure: column names in order and one object per row. */
export interface Table {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** True when the client asked for CSV (`?format=csv`, or `Accept` preferring text/csv over JSON). */
export function wantsCsv(req: Request, format?: string): boolean {
  if (format) return format === 'csv';
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

/**
 * RFC 4180 CSV of a table (header row, CRLF line ends); null → empty cell, booleans → true/false,
 * arrays → values joined by spaces, objects → JSON.
 */
export function toCsv(t: Table): string {
  return stringify(
    t.rows.map((r) =>
      t.columns.map((c) => {
        const v = r[c];
        if (v === null || v === undefined) return '';
        if (typeof v === 'boolean') return v ? 'true' : 'false';
        if (Array.isArray(v)) return v.join(' ');
        if (typeof v === 'object') return JSON.stringify(v);
        return String(v);
      }),
    ),
    { header: true, columns: t.columns, record_delimiter: 'windows' },
  );
}

/** Sends the JSON body, or the table as a CSV download `<name>.csv`. */
export function sendFigure(req: Request, res: Response, format: string | undefined, name: string, json: unknown, table: () => Table): void {
  if (wantsCsv(req, format)) {
    res.type('text/csv; charset=utf-8').attachment(`${name}.csv`).send(toCsv(table()));
    return;
  }
  res.json(json);
}
