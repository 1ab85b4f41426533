import { z } from 'zod';

/** Where the location came from (issue: caller-reported / device / manual; `import` for replays). */
export const LocationSource = z.enum(['caller-reported', 'device', 'manual', 'import']);

/**
 * A code that reports and lists filter on (district, beat, category, subtype): trimmed when
 * written and when read, in every service, because source systems send `"Precinct 3 "` (issue 13
 * item 4). Events are parsed with this schema on append and on consume, so stored rows and
 * filters hold the same value.
 */
export const FilterCode = (max = 64) => z.string().trim().max(max);

/**
 * A place: address text and/or WGS84 coordinates (degrees), with the district (police station
 * area) and beat it falls in. Any part may be missing (e.g. redacted source records).
 */
export const Location = z.object({
  address: z.string().max(300).optional().describe('address text; personal data, never logged'),
  lat: z.number().min(-90).max(90).optional().describe('WGS84 latitude, degrees'),
  lon: z.number().min(-180).max(180).optional().describe('WGS84 longitude, degrees'),
  district: FilterCode().optional().describe('district / police-station area code (trimmed)'),
  beat: FilterCode().optional().describe('patrol beat code (trimmed)'),
  /** added (issue 13): the coordinates lie outside the service area (libs/geo service-area.ts) */
  outsideServiceArea: z.literal(true).optional().describe("the coordinates lie outside the service area (the county map's outline): shown to the desk; dispatch ranks units by district, not by ETA"),
});
export type Location = z.infer<typeof Location>;

/** Kind of a 110 call: 报警 report, 求助 request for help, 投诉 complaint about police. */
export const CallKind = z.enum(['report', 'help', 'complaint']);
export type CallKind = z.infer<typeof CallKind>;

/** Priority 1..4, 1 most urgent. */
export const Priority = z.number().int().min(1).max(4);

/** A classification under the 110 taxonomy (codes from libs/contracts/taxonomy). */
export const Classification = z.object({
  kind: CallKind,
  category: FilterCode().min(1),
  subtype: FilterCode().min(1),
  priority: Priority,
  /** flags from the taxonomy, e.g. `two-robberies-one-theft` */
  flags: z.array(z.string().max(64)).max(16).default([]),
  taxonomyVersion: z.string().max(32),
});
export type Classification = z.infer<typeof Classification>;
