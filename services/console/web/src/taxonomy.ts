/** Shapes of libs/contracts/taxonomy/taxonomy.v1.json as served by GET /api/console/taxonomy. */
export interface Label {
  zh: string;
  en: string;
}
export interface Subtype extends Label {
  code: string;
  kind: 'report' | 'help' | 'complaint';
  defaultPriority: number;
  flags: string[];
  onSceneLimitMinutes: number;
  sop: Label[];
}
export interface Category extends Label {
  code: string;
  subtypes: Subtype[];
}
export interface TaxonomyFile {
  taxonomyVersion: string;
  kinds: (Label & { code: string })[];
  flags: (Label & { code: string })[];
  categories: Category[];
}

/** A subtype with its category, as the picker lists it. */
export interface SubtypeEntry extends Subtype {
  category: Category;
}

export function allSubtypes(t: TaxonomyFile): SubtypeEntry[] {
  return t.categories.flatMap((c) => c.subtypes.map((s) => ({ ...s, category: c })));
}

const norm = (s: string) => s.toLowerCase().normalize('NFKC').replace(/\s+/g, ' ').trim();

/**
 * Subtypes matching a search in either language: every space-separated term must occur in the
 * subtype's or its category's Chinese or English label or code. Ranked: a subtype label that
 * starts with the query first, then a subtype label containing it, then category matches; ties
 * keep taxonomy order. An empty query lists everything.
 */
export function searchSubtypes(entries: readonly SubtypeEntry[], query: string): SubtypeEntry[] {
  const q = norm(query);
  if (!q) return [...entries];
  const terms = q.split(' ');
  const scored: { e: SubtypeEntry; score: number; i: number }[] = [];
  entries.forEach((e, i) => {
    const own = [e.zh, e.en, e.code].map(norm);
    const cat = [e.category.zh, e.category.en, e.category.code].map(norm);
    const hay = [...own, ...cat].join(' | ');
    if (!terms.every((t) => hay.includes(t))) return;
    const score = own.some((s) => s.startsWith(q)) ? 0 : own.some((s) => s.includes(q)) ? 1 : 2;
    scored.push({ e, score, i });
  });
  return scored.sort((a, b) => a.score - b.score || a.i - b.i).map((s) => s.e);
}

/** The label of a category or subtype code in a language (the code itself when unknown). */
export function labelOf(t: TaxonomyFile | undefined, code: string | null | undefined, lang: 'zh' | 'en'): string {
  if (!code) return '—';
  if (!t) return code;
  for (const c of t.categories) {
    if (c.code === code) return c[lang];
    for (const s of c.subtypes) if (s.code === code) return s[lang];
  }
  return code;
}
