import { bureauTimeZone, topicName } from '@cad110/contracts';
import { configOrExit, integer, RuntimeEnv } from '@cad110/runtime';
import { DEFAULT_H3_RESOLUTION, type ProjectionConfig } from './projections/fold';

/** Statistics' environment: the shared variables and its own (README "Configuration"). */
export const StatisticsEnv = RuntimeEnv.extend({ STATS_H3_RESOLUTION: integer(DEFAULT_H3_RESOLUTION, 0, 15) });

/** Validates statistics' environment once at start-up (exit 78 with one line on a bad value). */
export const statisticsConfig = () => configOrExit('statistics', StatisticsEnv);

/**
 * Statistics' projection settings from the environment:
 * - `BUREAU_TIME_ZONE` (IANA, default Asia/Shanghai): local days and hours;
 * - `STATS_H3_RESOLUTION` (0..15, default 9): H3 resolution stored per located call.
 * Changing either needs a rebuild.
 * @throws Error on an unknown zone or a resolution outside 0..15
 */
export function projectionConfig(env: NodeJS.ProcessEnv = process.env): ProjectionConfig {
  const raw = env.STATS_H3_RESOLUTION?.trim();
  const h3Resolution = raw ? Number(raw) : DEFAULT_H3_RESOLUTION;
  if (!Number.isInteger(h3Resolution) || h3Resolution < 0 || h3Resolution > 15) throw new Error(`STATS_H3_RESOLUTION must be an integer 0..15, got ${raw}`);
  return { timeZone: bureauTimeZone(env), h3Resolution };
}

/** Full names of the topics statistics consumes (and a rebuild replays). */
export function statisticsTopics(): string[] {
  return [topicName('calls'), topicName('dispatch'), topicName('cases')];
}
