import { DEFAULT_BUREAU_TIME_ZONE, topicName } from '@cad110/contracts';
import { configOrExit, integer, loadConfig, RuntimeEnv } from '@cad110/runtime';
import { DEFAULT_H3_RESOLUTION, type ProjectionConfig } from './projections/fold';

/** Statistics' environment: the shared variables and its own (README "Configuration"). */
export const StatisticsEnv = RuntimeEnv.extend({ STATS_H3_RESOLUTION: integer(DEFAULT_H3_RESOLUTION, 0, 15) });

/** Validates statistics' environment once at start-up (exit 78 with one line on a bad value). */
export const statisticsConfig = () => configOrExit('statistics', StatisticsEnv);

/**
 * Statistics' projection settings from the validated environment ({@link StatisticsEnv}):
 * - `BUREAU_TIME_ZONE` (IANA, default Asia/Shanghai): local days and hours;
 * - `STATS_H3_RESOLUTION` (0..15, default 9): H3 resolution stored per located call.
 * Changing either needs a rebuild.
 * @throws ConfigError naming the variable on an unknown zone or a resolution outside 0..15
 */
export function projectionConfig(env: NodeJS.ProcessEnv = process.env): ProjectionConfig {
  const c = loadConfig(StatisticsEnv.pick({ BUREAU_TIME_ZONE: true, STATS_H3_RESOLUTION: true }), env);
  return { timeZone: c.BUREAU_TIME_ZONE ?? DEFAULT_BUREAU_TIME_ZONE, h3Resolution: c.STATS_H3_RESOLUTION };
}

/** Full names of the topics statistics consumes (and a rebuild replays). */
export function statisticsTopics(): string[] {
  return [topicName('calls'), topicName('dispatch'), topicName('cases')];
}
