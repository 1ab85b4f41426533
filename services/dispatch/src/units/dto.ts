/**
 * The unit as dispatch's API shows it: a shaped DTO of the `units` read model (camelCase, UTC
 * ISO-8601 strings, WGS84 degrees), never the database row.
 */
import { z } from 'zod';
import { DutyLevel, UnitGeometry, UnitStatus } from '@cad110/contracts';
import type { Unit as UnitRow } from '../generated/prisma/client';
import { isoOrNull, MaybeInstant } from '../api';

/** A patrol unit or post of the registry. */
export const UnitDto = z
  .object({
    id: z.string(),
    callSign: z.string(),
    type: z.string().describe('unit type, e.g. one-minute-point, armed-vehicle-patrol, station-car'),
    district: z.string(),
    homeStation: z.string(),
    status: UnitStatus,
    statusSince: MaybeInstant.describe('UTC ISO-8601: event time the current status began'),
    incidentId: z.uuid().nullable().describe('the incident it is on'),
    callId: z.uuid().nullable(),
    lat: z.number().nullable().describe('WGS84 latitude, degrees: the last AVL fix, else the post / patrol anchor'),
    lon: z.number().nullable().describe('WGS84 longitude, degrees'),
    anchorLat: z.number().nullable().describe('post / patrol-geometry anchor, WGS84 degrees'),
    anchorLon: z.number().nullable(),
    avlLat: z.number().nullable().describe('last AVL fix, WGS84 degrees'),
    avlLon: z.number().nullable(),
    avlAt: MaybeInstant.describe('UTC ISO-8601 time of the last AVL fix'),
    geometry: UnitGeometry.nullable().describe('GeoJSON post (Point), patrol line (LineString) or area (Polygon), WGS84 [lon, lat]'),
    onDuty: z.boolean().describe('rostered at the district\'s current duty level (the shift is checked at the time asked)'),
    capabilities: z.array(z.string()),
    crewSize: z.number().int().describe('officers'),
    shiftName: z.string(),
    shiftStart: z.string().describe('local HH:MM in the bureau zone'),
    shiftEnd: z.string().describe('local HH:MM (24:00 = end of day); end ≤ start crosses midnight'),
    minDutyLevel: DutyLevel.describe('lowest duty level at which it is rostered'),
    replay: z.boolean().describe('registered by a history replay: never recommended live'),
    inService: z.boolean().describe('on the roster (排班): false after a supervisor took it out of service (never recommended nor assignable)'),
    serviceReason: z.string().nullable().describe('reason code of UnitTakenOutOfService (vehicle-repair, training, special-duty, staff-shortage, rest-day, other); null in service'),
    version: z.number().int().nonnegative().describe('stream version; the If-Match of its commands'),
  })
  .meta({ id: 'Unit' });
export type UnitDto = z.infer<typeof UnitDto>;

/** Row → DTO. */
export function unitDto(u: UnitRow): UnitDto {
  return {
    id: u.id,
    callSign: u.callSign,
    type: u.type,
    district: u.district,
    homeStation: u.homeStation,
    status: u.status as UnitDto['status'],
    statusSince: isoOrNull(u.statusSince),
    incidentId: u.incidentId,
    callId: u.callId,
    lat: u.lat,
    lon: u.lon,
    anchorLat: u.anchorLat,
    anchorLon: u.anchorLon,
    avlLat: u.avlLat,
    avlLon: u.avlLon,
    avlAt: isoOrNull(u.avlAt),
    geometry: (u.geometry as UnitDto['geometry']) ?? null,
    onDuty: u.onDuty,
    capabilities: u.capabilities,
    crewSize: u.crewSize,
    shiftName: u.shiftName,
    shiftStart: u.shiftStart,
    shiftEnd: u.shiftEnd,
    minDutyLevel: u.minDutyLevel as UnitDto['minDutyLevel'],
    replay: u.replay,
    inService: u.inService,
    serviceReason: u.serviceReason,
    version: u.version,
  };
}
