import { z } from 'zod';
import { configOrExit, flag, RuntimeEnv, text } from '@cad110/runtime';

/** Records' environment: the shared variables and its own (README "Configuration"). */
export const RecordsEnv = RuntimeEnv.extend({
  EIDO_VALIDATE: flag(false),
  EIDO_AGENCY_ID: text(),
  EIDO_SCHEMA_DIR: text(),
  CAD110_SHARED_DIR: text(),
  CASE_NUMBER_PREFIX: z.string().regex(/^[A-Z]{1,8}$/, '1 to 8 capital letters').default('JY'),
});

/** Validates records' environment once at start-up (exit 78 with one line on a bad value). */
export const recordsConfig = () => configOrExit('records', RecordsEnv);
