import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const Label = { zh: z.string().min(1), en: z.string().min(1) };

const SubtypeSchema = z.object({
  code: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  ...Label,
  kind: z.enum(['report', 'help', 'complaint']),
  defaultPriority: z.number().int().min(1).max(4),
  flags: z.array(z.string()).default([]),
  onSceneLimitMinutes: z.number().int().positive(),
  sop: z.array(z.object(Label)).default([]),
});

export const TaxonomySchema = z.object({
  taxonomyVersion: z.string(),
  kinds: z.array(z.object({ code: z.string(), ...Label })),
  flags: z.array(z.object({ code: z.string(), ...Label })),
  categories: z.array(z.object({ code: z.string(), ...Label, subtypes: z.array(SubtypeSchema) })),
});
export type TaxonomyFile = z.infer<typeof TaxonomySchema>;
export type TaxonomySubtype = z.infer<typeof SubtypeSchema> & { category: string };

/** The flag that marks "two robberies and one theft" (两抢一盗: robbery, snatching, theft). */
export const TWO_ROBBERIES_ONE_THEFT = 'two-robberies-one-theft';

/** The 110 taxonomy (kinds, categories, subtypes with default priority, SOP questions, flags). */
export class Taxonomy {
  readonly version: string;
  private readonly subtypes = new Map<string, TaxonomySubtype>();
  private readonly categories = new Map<string, TaxonomyFile['categories'][number]>();

  constructor(readonly file: TaxonomyFile) {
    this.version = file.taxonomyVersion;
    const flagCodes = new Set(file.flags.map((f) => f.code));
    for (const c of file.categories) {
      this.categories.set(c.code, c);
      for (const s of c.subtypes) {
        if (this.subtypes.has(s.code)) throw new Error(`taxonomy: duplicate subtype ${s.code}`);
        for (const f of s.flags) if (!flagCodes.has(f)) throw new Error(`taxonomy: subtype ${s.code} has unknown flag ${f}`);
        this.subtypes.set(s.code, { ...s, category: c.code });
      }
    }
  }

  /** The subtype with its category, or undefined. */
  subtype(code: string): TaxonomySubtype | undefined {
    return this.subtypes.get(code);
  }

  category(code: string) {
    return this.categories.get(code);
  }

  categoryCodes(): string[] {
    return [...this.categories.keys()];
  }

  allSubtypes(): TaxonomySubtype[] {
    return [...this.subtypes.values()];
  }
}

let cached: Taxonomy | undefined;

/**
 * Loads and validates the versioned taxonomy file `libs/contracts/taxonomy/taxonomy.v1.json`
 * (or the file named by `CAD110_TAXONOMY_FILE`).
 * @throws Error when the file is missing or invalid.
 */
export function loadTaxonomy(path = process.env.CAD110_TAXONOMY_FILE ?? join(__dirname, '..', 'taxonomy', 'taxonomy.v1.json')): Taxonomy {
  if (cached && !process.env.CAD110_TAXONOMY_FILE) return cached;
  const t = new Taxonomy(TaxonomySchema.parse(JSON.parse(readFileSync(path, 'utf8'))));
  if (!process.env.CAD110_TAXONOMY_FILE) cached = t;
  return t;
}
