import { bureauTimeZone, loadTaxonomy, resolveAt, type EventRegistry, type Taxonomy } from '@cad110/contracts';
import type { RunInTransaction, Sql } from '@cad110/db';
import type { ServiceRuntime } from '@cad110/runtime';
import { loadCountyMap, type CountyMap } from './map/county-map';
import { loadEtaModel, type EtaModel } from './recommend/eta';
import { loadRunCards, type RunCards } from './recommend/run-cards';

export type DispatchRuntime = ServiceRuntime;

/**
 * What dispatch's slices need, built once at start-up and passed to each command handler,
 * projection and route (a plain record, not a service class).
 */
export interface DispatchContext {
  /**
   * One database transaction for every read and write of a command (the runtime's plain `pg`
   * transaction, `rt.db.transaction`: `@cad110/db` Sql, the one way cad110 runs SQL).
   */
  transaction: RunInTransaction<Sql>;
  registry: EventRegistry;
  taxonomy: Taxonomy;
  eta: EtaModel;
  runCards: RunCards;
  map: CountyMap;
  /** the bureau's IANA zone, for shifts, time bands and run-card windows */
  timeZone: string;
  /** injectable clock (tests pass a fake one) */
  clock: () => Date;
  /** called after a commit that wrote outbox rows (nudges the relay) */
  published: () => void;
}

/** Builds dispatch's context from the runtime and the configuration files (map, ETA model, run cards, taxonomy). */
export function createDispatchContext(rt: DispatchRuntime, overrides: Partial<DispatchContext> = {}): DispatchContext {
  return {
    transaction: rt.db.transaction,
    registry: rt.registry,
    taxonomy: loadTaxonomy(),
    eta: loadEtaModel(),
    runCards: loadRunCards(),
    map: loadCountyMap(),
    timeZone: bureauTimeZone(),
    clock: () => new Date(),
    published: () => rt.relay.nudge(),
    ...overrides,
  };
}

/** The context's clock now, UTC ISO-8601. */
export const nowOf = (ctx: Pick<DispatchContext, 'clock'>): string => ctx.clock().toISOString();

/**
 * An optional client `at` (UTC ISO-8601) against the context's clock with the one clock-skew
 * tolerance (libs/contracts `resolveAt`). @throws FutureTimeError (400 on `at`)
 */
export const atOf = (ctx: Pick<DispatchContext, 'clock'>, at?: string): string => resolveAt(at, ctx.clock());

const MINUTE_FORMATS = new Map<string, Intl.DateTimeFormat>();

/**
 * Local minute of day (0..1439) of a UTC instant (ISO-8601 with `Z`) in the IANA `zone`: the
 * same value as `localParts` (libs/contracts, luxon) gives, read from one cached
 * `Intl.DateTimeFormat` per zone (hour and minute only, about a tenth of the CPU: it runs for
 * every recommendation).
 * @throws Error when `atIso` is not an instant; RangeError when `zone` is unknown
 */
export function localMinute(atIso: string, zone: string): number {
  const t = Date.parse(atIso);
  if (Number.isNaN(t)) throw new Error(`invalid instant: ${atIso}`);
  let f = MINUTE_FORMATS.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
    MINUTE_FORMATS.set(zone, f);
  }
  let hour = 0;
  let minute = 0;
  for (const p of f.formatToParts(t)) {
    if (p.type === 'hour') hour = Number(p.value) % 24;
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return hour * 60 + minute;
}
