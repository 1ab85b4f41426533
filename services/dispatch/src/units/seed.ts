import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DutyLevel, ShiftWindow, UnitGeometry, UnitType } from '@cad110/contracts';
import type { UnitDefinition } from './register';

export const SeedUnit = z
  .object({
    id: z.string().min(1).max(64),
    callSign: z.string().min(1).max(64),
    type: UnitType,
    district: z.string().min(1).max(64),
    homeStation: z.string().min(1).max(120),
    geometry: UnitGeometry.optional(),
    capabilities: z.array(z.string().max(64)).default([]),
    crewSize: z.number().int().positive(),
    shift: ShiftWindow,
    minDutyLevel: DutyLevel.default('normal'),
  })
  .strict();

export const SeedFile = z.object({ description: z.string(), units: z.array(SeedUnit).min(1) });

/**
 * The roster seed (`DISPATCH_SEED_FILE`, default services/dispatch/seed/units.json) as unit
 * definitions for registration.
 * @throws ZodError when the file is invalid
 */
export function loadSeed(path = process.env.DISPATCH_SEED_FILE ?? join(__dirname, '..', '..', 'seed', 'units.json')): UnitDefinition[] {
  return SeedFile.parse(JSON.parse(readFileSync(path, 'utf8'))).units.map(({ id, ...u }) => ({ unitId: id, ...u, replay: false }));
}
