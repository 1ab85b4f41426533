import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { Taxonomy } from '@cad110/contracts';

/**
 * Duplicate-detection settings: radius and window from the environment, category compatibility
 * from the 110 taxonomy file (`duplicateRules`).
 */
export interface DuplicateConfig {
  /** `DUPLICATE_RADIUS_METRES`, default 200 */
  radiusMetres: number;
  /** `DUPLICATE_WINDOW_SECONDS`, default 900 (15 min) */
  windowSeconds: number;
  /** statuses a candidate may have: the call or its incident is still being handled */
  candidateStatuses: readonly string[];
}

export const DEFAULT_RADIUS_METRES = 200;
export const DEFAULT_WINDOW_SECONDS = 900;
export const CANDIDATE_STATUSES = ['open', 'handed-to-dispatch', 'transferred'] as const;

/**
 * Reads `DUPLICATE_RADIUS_METRES` (1..50,000 m) and `DUPLICATE_WINDOW_SECONDS` (1..86,400 s).
 * @throws Error when a value is set but not a number in range
 */
export function duplicateConfig(env: NodeJS.ProcessEnv = process.env): DuplicateConfig {
  const num = (name: string, dflt: number, max: number) => {
    const v = env[name];
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || n > max) throw new Error(`${name} must be a number in (0, ${max}], got ${v}`);
    return n;
  };
  return {
    radiusMetres: num('DUPLICATE_RADIUS_METRES', DEFAULT_RADIUS_METRES, 50_000),
    windowSeconds: num('DUPLICATE_WINDOW_SECONDS', DEFAULT_WINDOW_SECONDS, 86_400),
    candidateStatuses: CANDIDATE_STATUSES,
  };
}

const RulesSchema = z.object({
  duplicateRules: z
    .object({
      compatibleCategories: z.array(z.tuple([z.string(), z.string()])),
      anyCategorySubtypes: z.array(z.string()).default([]),
    })
    .optional(),
});

/** Which categories may describe the same event (symmetric), plus wildcard subtypes. */
export class CategoryCompatibility {
  private readonly pairs = new Set<string>();
  private readonly wildcard: Set<string>;

  constructor(pairs: readonly (readonly [string, string])[], anyCategorySubtypes: readonly string[]) {
    for (const [a, b] of pairs) {
      this.pairs.add(`${a}|${b}`);
      this.pairs.add(`${b}|${a}`);
    }
    this.wildcard = new Set(anyCategorySubtypes);
  }

  /**
   * How two classifications relate: `same-subtype`, `same-category`, `compatible-category`,
   * `unclassified` (either side unknown: compatible), or `incompatible`.
   */
  relate(a: { category?: string | null; subtype?: string | null }, b: { category?: string | null; subtype?: string | null }): CategoryRelation {
    if (!a.category || !b.category) return 'unclassified';
    if (a.subtype && a.subtype === b.subtype) return 'same-subtype';
    if (a.category === b.category) return 'same-category';
    if ((a.subtype && this.wildcard.has(a.subtype)) || (b.subtype && this.wildcard.has(b.subtype))) return 'compatible-category';
    return this.pairs.has(`${a.category}|${b.category}`) ? 'compatible-category' : 'incompatible';
  }
}

export type CategoryRelation = 'same-subtype' | 'same-category' | 'compatible-category' | 'unclassified' | 'incompatible';

/**
 * Loads `duplicateRules` from the taxonomy file (`CAD110_TAXONOMY_FILE` or the bundled
 * taxonomy.v1.json) and checks every category and subtype it names exists in `taxonomy`.
 * @throws Error on unknown codes
 */
export function loadCategoryCompatibility(taxonomy: Taxonomy, path = process.env.CAD110_TAXONOMY_FILE ?? join(dirname(require.resolve('@cad110/contracts/package.json')), 'taxonomy', 'taxonomy.v1.json')): CategoryCompatibility {
  const raw = RulesSchema.parse(JSON.parse(readFileSync(path, 'utf8'))).duplicateRules ?? { compatibleCategories: [], anyCategorySubtypes: [] };
  const cats = new Set(taxonomy.categoryCodes());
  for (const pair of raw.compatibleCategories) for (const c of pair) if (!cats.has(c)) throw new Error(`taxonomy duplicateRules: unknown category ${c}`);
  for (const s of raw.anyCategorySubtypes) if (!taxonomy.subtype(s)) throw new Error(`taxonomy duplicateRules: unknown subtype ${s}`);
  return new CategoryCompatibility(raw.compatibleCategories, raw.anyCategorySubtypes);
}
