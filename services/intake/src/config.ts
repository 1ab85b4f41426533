import { configOrExit, integer, RuntimeEnv, text } from '@cad110/runtime';

/** Intake's environment: the shared variables and its own (README "Configuration"). */
export const IntakeEnv = RuntimeEnv.extend({
  DUPLICATE_RADIUS_METRES: integer(200, 1, 50_000, 'metres'),
  DUPLICATE_WINDOW_SECONDS: integer(900, 1, 86_400, 'seconds'),
  CAD110_TAXONOMY_FILE: text(),
});

/** Validates intake's environment once at start-up (exit 78 with one line on a bad value). */
export const intakeConfig = () => configOrExit('intake', IntakeEnv);
