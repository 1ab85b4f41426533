import { configOrExit, integer, RuntimeEnv, text } from '@cad110/runtime';

/** Intake's environment: the shared variables and its own (README "Configuration"). */
export const IntakeEnv = RuntimeEnv.extend({
  DUPLICATE_RADIUS_METRES: integer(200, 1, 50_000, 'metres'),
  DUPLICATE_WINDOW_SECONDS: integer(900, 1, 86_400, 'seconds'),
  CAD110_TAXONOMY_FILE: text(),
  GAZETTEER_FILE: text(),
  DUPLICATE_FLAG_PERCENT: integer(80, 1, 100, 'percent'),
  DOUBLE_SUBMIT_SECONDS: integer(10, 0, 600, 'seconds'),
});

/** Validates intake's environment once at start-up (exit 78 with one line on a bad value). */
export const intakeConfig = () => configOrExit('intake', IntakeEnv);
