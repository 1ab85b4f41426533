import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { PrismaClient } from '../prisma';

const SeedUnit = z.object({
  id: z.string(),
  callSign: z.string(),
  type: z.string(),
  district: z.string(),
  homeStation: z.string(),
  lat: z.number().min(-90).max(90).nullable().optional(),
  lon: z.number().min(-180).max(180).nullable().optional(),
  capabilities: z.array(z.string()).default([]),
  crewSize: z.number().int().positive(),
});

/** The roster seed file (`DISPATCH_SEED_FILE`, default services/dispatch/seed/units.json). */
export function loadSeed(path = process.env.DISPATCH_SEED_FILE ?? join(__dirname, '..', '..', 'seed', 'units.json')) {
  return z.object({ units: z.array(SeedUnit) }).parse(JSON.parse(readFileSync(path, 'utf8'))).units;
}

/** Inserts seed units that are not registered yet (existing units keep their state). */
export async function seedUnits(prisma: PrismaClient): Promise<number> {
  const units = loadSeed();
  const res = await prisma.unit.createMany({
    data: units.map((u) => ({ ...u, lat: u.lat ?? null, lon: u.lon ?? null, status: 'available', onDuty: true })),
    skipDuplicates: true,
  });
  return res.count;
}
