/** SQL building blocks shared by the figure queries. */

/** Builds a parameterised WHERE clause. */
export class Where {
  readonly parts: string[] = [];
  readonly params: unknown[] = [];
  constructor(first: unknown[] = []) {
    this.params.push(...first);
  }
  /** adds `sql` with every `?` replaced by the next parameter (one value) */
  add(sql: string, value?: unknown): this {
    if (value === undefined && sql.includes('?')) return this;
    if (sql.includes('?')) {
      this.params.push(value);
      sql = sql.replace('?', `$${this.params.length}`);
    }
    this.parts.push(sql);
    return this;
  }
  get sql(): string {
    return this.parts.length ? this.parts.join(' AND ') : 'TRUE';
  }
}

export interface Filters {
  from?: string;
  to?: string;
  district?: string;
  category?: string;
  /** the source system's call type / its group (replayed calls); summary tables call_counts_day/month only */
  sourceCode?: string;
  sourceGroup?: string;
}


export const num = (v: unknown) => Number(v ?? 0);


/**
 * Order of table rows: by key, numbers numerically, text by UTF-16 code units (not the database's
 * collation), the unknown key (null) last.
 */
export function byKey(a: { key?: unknown }, b: { key?: unknown }): number {
  if (a.key === b.key) return 0;
  if (a.key === null || a.key === undefined) return 1;
  if (b.key === null || b.key === undefined) return -1;
  return (a.key as never) < (b.key as never) ? -1 : 1;
}


/** Filters of the call facts (received calls only). */
export function factWhere(f: Filters & { priority?: number }): Where {
  return new Where()
    .add('local_day >= ?', f.from ?? '0000')
    .add('local_day <= ?', f.to ?? '9999')
    .add('received')
    .add('district = ?', f.district)
    .add('category = ?', f.category)
    .add('priority = ?', f.priority);
}

