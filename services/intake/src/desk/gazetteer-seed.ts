import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RunInTransaction, Sql } from '@cad110/db';
import { importGazetteer, readGazetteerFile } from './gazetteer';

/** The demo gazetteer, built from the bundled calls and the county map (`npm run gazetteer -w @cad110/intake -- build`). */
export const DEFAULT_GAZETTEER_FILE = resolve(__dirname, '../../../../data/gazetteer/county-gazetteer.csv');

/**
 * At start-up: when the gazetteer table is empty, imports `GAZETTEER_FILE` (default the demo's
 * {@link DEFAULT_GAZETTEER_FILE}; `none` = import nothing). A real bureau imports its own
 * file with the CLI instead.
 */
export async function seedGazetteer(sql: RunInTransaction<Sql>, logger: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void }): Promise<void> {
  const file = process.env.GAZETTEER_FILE ?? DEFAULT_GAZETTEER_FILE;
  if (file === 'none' || !existsSync(file)) return;
  const n = await sql(async (tx) => {
    const [row] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM gazetteer');
    if ((row?.n ?? 0) > 0) return 0;
    return importGazetteer(tx, readGazetteerFile(file), file.split('/').pop()!);
  });
  if (n) logger.info({ entries: n }, 'gazetteer imported');
}
