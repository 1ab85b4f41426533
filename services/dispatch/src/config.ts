import { configOrExit, integer, RuntimeEnv, text } from '@cad110/runtime';

/** Dispatch's environment: the shared variables and its own (README "Configuration"). */
export const DispatchEnv = RuntimeEnv.extend({
  DISPATCH_TIMER_INTERVAL_MS: integer(5000, 100, 3_600_000, 'milliseconds'),
  DISPATCH_SEED_FILE: text(),
  DISPATCH_MAP_FILE: text(),
  DISPATCH_ETA_FILE: text(),
  DISPATCH_RUN_CARDS_FILE: text(),
});

/** Validates dispatch's environment once at start-up (exit 78 with one line on a bad value). */
export const dispatchConfig = () => configOrExit('dispatch', DispatchEnv);
