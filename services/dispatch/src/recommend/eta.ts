import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { inWindow } from '../duty/duty';

const Sourced = <T extends z.ZodType>(v: T) => z.object({ value: v, source: z.string().min(1) });
const HhMm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/);

export const EtaConfigSchema = z.object({
  description: z.string(),
  circuity: Sourced(z.number().min(1).max(3)),
  timeBands: z.object({ source: z.string(), bands: z.array(z.object({ name: z.string(), windows: z.array(z.tuple([HhMm, HhMm])).min(1) })).min(1) }),
  modes: z.record(z.string(), z.object({ metresPerSecond: z.record(z.string(), z.number().positive()), source: z.string().min(1) })),
  unitTypeModes: z.record(z.string(), z.string()),
  avlFreshSeconds: Sourced(z.number().int().positive()),
  circles: z.object({ oneMinuteSeconds: z.number().positive(), threeMinuteSeconds: z.number().positive(), fiveMinuteSeconds: z.number().positive(), source: z.string() }),
});
export type EtaConfigFile = z.infer<typeof EtaConfigSchema>;

/**
 * The ETA model: seconds = great-circle metres × circuity ÷ speed (m/s) of the unit type's
 * travel mode in the local time band. Defaults and their sources: services/dispatch/config/eta.json.
 */
export class EtaModel {
  private readonly bandByMinute: string[] = [];

  constructor(readonly config: EtaConfigFile) {
    for (let m = 0; m < 1440; m++) {
      const band = config.timeBands.bands.find((b) => b.windows.some(([s, e]) => inWindow(s, e, m)));
      if (!band) throw new Error(`eta config: no time band covers minute ${m}`);
      this.bandByMinute.push(band.name);
    }
    for (const [type, mode] of Object.entries(config.unitTypeModes)) {
      const speeds = config.modes[mode];
      if (!speeds) throw new Error(`eta config: unit type ${type} uses unknown mode ${mode}`);
      for (const b of config.timeBands.bands) if (!speeds.metresPerSecond[b.name]) throw new Error(`eta config: mode ${mode} has no speed for band ${b.name}`);
    }
  }

  get circuity(): number {
    return this.config.circuity.value;
  }

  /** Time band (`peak`, `day`, ...) of a local minute of day (0..1439). */
  band(minute: number): string {
    return this.bandByMinute[((minute % 1440) + 1440) % 1440]!;
  }

  /** Speed in m/s and its mode for a unit type in a band (unknown types travel as `car-urban`). */
  speed(unitType: string, band: string): { mode: string; metresPerSecond: number } {
    const mode = this.config.unitTypeModes[unitType] ?? 'car-urban';
    const mps = this.config.modes[mode]?.metresPerSecond[band] ?? this.config.modes['car-urban']?.metresPerSecond[band] ?? 8;
    return { mode, metresPerSecond: mps };
  }

  /** ETA seconds (rounded) for `metres` of straight-line distance. */
  etaSeconds(metres: number, unitType: string, band: string): number {
    return Math.round((metres * this.circuity) / this.speed(unitType, band).metresPerSecond);
  }

  /** The 1/3/5-minute response circle flags for an ETA. */
  circles(eta: number | null): { oneMinute: boolean; threeMinute: boolean; fiveMinute: boolean } {
    const c = this.config.circles;
    return { oneMinute: eta !== null && eta <= c.oneMinuteSeconds, threeMinute: eta !== null && eta <= c.threeMinuteSeconds, fiveMinute: eta !== null && eta <= c.fiveMinuteSeconds };
  }
}

/** Loads the ETA configuration (`DISPATCH_ETA_FILE`, default services/dispatch/config/eta.json). */
export function loadEtaModel(path = process.env.DISPATCH_ETA_FILE ?? join(__dirname, '..', '..', 'config', 'eta.json')): EtaModel {
  return new EtaModel(EtaConfigSchema.parse(JSON.parse(readFileSync(path, 'utf8'))));
}
