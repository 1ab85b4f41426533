import type { TableSpec } from '@cad110/db';

/** One summary change: add (+1) or subtract (−1) `values` at `key` of the table `spec` (applied by store.ts `applySummaryChanges`). */
export interface SummaryChange {
  spec: TableSpec<any>;
  key: Record<string, unknown>;
  values: Record<string, number>;
  sign: 1 | -1;
}
