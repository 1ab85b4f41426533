import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { assertTimeZone, DispositionCode, loadTaxonomy, type Taxonomy } from '@cad110/contracts';

/** One source disposition's outcome in cad110 terms (DispositionRecorded's codes and counts). */
export const DispositionOutcome = z
  .object({
    codes: z.array(DispositionCode).min(1),
    suspectsCaught: z.number().int().nonnegative().default(0),
    peopleRescued: z.number().int().nonnegative().default(0),
    note: z.string().optional(),
  })
  .strict();
export type DispositionOutcome = z.infer<typeof DispositionOutcome>;

/**
 * Source disposition codes → cad110 outcomes. `codeFrom`: `whole` = the cell is the code;
 * `before-dash` = the code is the text before the first `-` of each value (`RPT-Report`).
 * `separator` splits cells holding several values. A code mapped to `null` records nothing
 * (e.g. duplicates). `cancelReasons` (codes before the first `-` too) override the disposition.
 */
export const DispositionTable = z
  .object({
    notes: z.string(),
    codeFrom: z.enum(['whole', 'before-dash']),
    separator: z.string().optional(),
    codes: z.record(z.string(), DispositionOutcome.nullable()),
    cancelReasons: z.record(z.string(), DispositionOutcome).default({}),
  })
  .strict();
export type DispositionTable = z.infer<typeof DispositionTable>;

/**
 * A per-source mapping file (tools/importer/mappings/<source>.json): which CSV columns hold the
 * call fields, the source's time zone, how its priorities and channels translate, and the
 * source call type → 110 taxonomy subtype table. See the files' `notes`.
 */
export const SourceMappingSchema = z.object({
  source: z.string(),
  description: z.string(),
  taxonomyVersion: z.string(),
  dataset: z.string(),
  timeZone: z.string(),
  columns: z.object({
    id: z.string(),
    answeredAt: z.string(),
    createdAt: z.string().optional(),
    handedAt: z.string().optional(),
    callType: z.string(),
    initialCallType: z.string().optional(),
    priority: z.string(),
    channel: z.string().optional(),
    address: z.array(z.string()).default([]),
    intersection: z.array(z.string()).optional(),
    lat: z.string().optional(),
    lon: z.string().optional(),
    district: z.string().optional(),
    beat: z.string().optional(),
    /** final disposition / outcome of the call (see `dispositions`) */
    disposition: z.string().optional(),
    /** when the call was closed in the source CAD (local time): the disposition and closing time */
    closedAt: z.string().optional(),
    /** cancel reason code, may override the disposition (see `dispositions.cancelReasons`) */
    cancelReason: z.string().optional(),
    /** dispatch history (local times of the source) replayed by `replayDispatchHistory` */
    firstUnitAssignedAt: z.string().optional(),
    firstUnitEnRouteAt: z.string().optional(),
    firstUnitArrivedAt: z.string().optional(),
    firstUnitClearedAt: z.string().optional(),
    callClosedAt: z.string().optional(),
  }),
  redactedMarker: z.string().optional(),
  districtFromBeat: z.enum(['first-digit']).optional(),
  missingBeat: z.string().optional(),
  channels: z.record(z.string(), z.enum(['110', '911', 'non-emergency', 'alarm', 'officer-initiated', 'text', 'other'])).default({}),
  defaultChannel: z.enum(['110', '911', 'non-emergency', 'alarm', 'officer-initiated', 'text', 'other']).default('other'),
  priorities: z.record(z.string(), z.number().int().min(1).max(4)),
  noDispatchPriorities: z.array(z.string()).default([]),
  notes: z.string().optional(),
  dispositions: DispositionTable.optional(),
  callTypes: z.record(z.string(), z.object({ subtype: z.string(), priority: z.number().int().min(1).max(4).optional() })),
});
export type SourceMapping = z.infer<typeof SourceMappingSchema>;

export const MAPPINGS_DIR = join(__dirname, '..', 'mappings');

/**
 * Loads a mapping by source name (`minneapolis-mpd`, `san-diego-pd`) or path, and checks that
 * every subtype it names exists in the taxonomy and the time zone is valid.
 * @throws Error listing the problems
 */
export function loadMapping(nameOrPath: string, taxonomy: Taxonomy = loadTaxonomy()): SourceMapping {
  const path = nameOrPath.endsWith('.json') ? nameOrPath : join(MAPPINGS_DIR, `${nameOrPath}.json`);
  const m = SourceMappingSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  assertTimeZone(m.timeZone);
  const bad = Object.entries(m.callTypes).filter(([, v]) => !taxonomy.subtype(v.subtype));
  if (bad.length) throw new Error(`${path}: unknown subtypes ${bad.map(([k, v]) => `${k}→${v.subtype}`).join(', ')}`);
  return m;
}
