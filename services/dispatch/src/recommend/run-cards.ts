import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { RunCardNeed } from '@cad110/contracts';
import { inWindow } from '../duty/duty';

const HhMm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/);

export const RunCardSchema = z.object({
  id: z.string().min(1).max(64),
  name: z.string().min(1).max(200),
  match: z
    .object({
      categories: z.array(z.string()).optional(),
      subtypes: z.array(z.string()).optional(),
      flags: z.array(z.string()).optional(),
      priorities: z.array(z.number().int().min(1).max(4)).optional(),
      /** district names, or area kinds `urban` / `rural` of the county map */
      districts: z.array(z.string()).optional(),
      areas: z.array(z.enum(['urban', 'rural'])).optional(),
      /** local [start, end) `HH:MM`; end ≤ start crosses midnight */
      timeWindow: z.tuple([HhMm, HhMm]).optional(),
    })
    .strict(),
  needs: z.array(RunCardNeed).min(1),
  excludeTypes: z.array(z.string()).default([]),
  preferTypes: z.record(z.string(), z.number()).default({}),
});
export type RunCard = z.infer<typeof RunCardSchema>;

export const RunCardFileSchema = z.object({ description: z.string(), cards: z.array(RunCardSchema).min(1) }).superRefine((f, ctx) => {
  const ids = new Set<string>();
  for (const c of f.cards) {
    if (ids.has(c.id)) ctx.addIssue({ code: 'custom', message: `duplicate run card id ${c.id}` });
    ids.add(c.id);
  }
  if (!f.cards.some((c) => Object.keys(c.match).length === 0)) ctx.addIssue({ code: 'custom', message: 'a default card with an empty match is required' });
});

/** What a run card is matched on. */
export interface RunCardQuery {
  category: string;
  subtype: string;
  flags: readonly string[];
  priority: number;
  district?: string | null;
  area?: 'urban' | 'rural';
  /** local minute of day 0..1439 */
  minute: number;
}

/**
 * Run cards as configuration (`DISPATCH_RUN_CARDS_FILE`, default services/dispatch/config/run-cards.json):
 * category × area × time window → number, type and capabilities of units.
 */
export class RunCards {
  constructor(readonly cards: readonly RunCard[]) {}

  /**
   * The most specific card matching the incident: specificity = 8 for a subtype match, 4 for a
   * flag, 2 for a category, +1 each for a priority, district/area or time window condition;
   * ties go to the card listed first. The empty-match default card always matches.
   */
  select(q: RunCardQuery): RunCard {
    let best: RunCard | undefined;
    let bestScore = -1;
    for (const c of this.cards) {
      const s = matchScore(c, q);
      if (s > bestScore) {
        best = c;
        bestScore = s;
      }
    }
    return best!;
  }
}

/** Specificity of a card for the query, or -1 when it does not match. */
export function matchScore(c: RunCard, q: RunCardQuery): number {
  const m = c.match;
  let score = 0;
  if (m.subtypes) {
    if (!m.subtypes.includes(q.subtype)) return -1;
    score += 8;
  }
  if (m.flags) {
    if (!m.flags.some((f) => q.flags.includes(f))) return -1;
    score += 4;
  }
  if (m.categories) {
    if (!m.categories.includes(q.category)) return -1;
    score += 2;
  }
  if (m.priorities) {
    if (!m.priorities.includes(q.priority)) return -1;
    score += 1;
  }
  if (m.districts) {
    if (!q.district || !m.districts.includes(q.district)) return -1;
    score += 1;
  }
  if (m.areas) {
    if (!q.area || !m.areas.includes(q.area)) return -1;
    score += 1;
  }
  if (m.timeWindow) {
    if (!inWindow(m.timeWindow[0], m.timeWindow[1], q.minute)) return -1;
    score += 1;
  }
  return score;
}

/** Loads and validates the run cards. */
export function loadRunCards(path = process.env.DISPATCH_RUN_CARDS_FILE ?? join(__dirname, '..', '..', 'config', 'run-cards.json')): RunCards {
  return new RunCards(RunCardFileSchema.parse(JSON.parse(readFileSync(path, 'utf8'))).cards);
}
