/**
 * Validated configuration. Each service has one zod schema of its environment variables
 * (`RuntimeEnv` below, shared by all, extended with the service's own in `src/config.ts`), read
 * once at start-up by {@link configOrExit}: a malformed value stops the process with exit code 78
 * (EX_CONFIG) and one line naming the variable, the value and what is allowed, e.g.
 * `cad110 dispatch: invalid configuration: DB_POOL_SIZE="ten": allowed: an integer 1..200`.
 * The README's configuration table is checked against these schemas (libs/runtime/src/config.unit.spec.ts).
 */
import { z } from 'zod';
import { parseKeyring, SealError, type PersonalDataKeyring } from '@cad110/kafka';

function integerText(min: number, max: number, allowed: string) {
  return z
    .string()
    .trim()
    .regex(/^-?\d+$/, allowed)
    .transform(Number)
    .refine((n) => n >= min && n <= max, allowed);
}

/** An integer variable with a default (or optional without one), a range and a unit (the unit is part of the "allowed" text). */
export function integer(def: number, min: number, max: number, unit?: string): z.ZodDefault<ReturnType<typeof integerText>>;
export function integer(def: undefined, min: number, max: number, unit?: string): z.ZodOptional<ReturnType<typeof integerText>>;
export function integer(def: number | undefined, min: number, max: number, unit = '') {
  const allowed = `an integer ${min}..${max}${unit ? ` (${unit})` : ''}`;
  const s = integerText(min, max, allowed);
  return def === undefined ? s.optional() : s.default(def).describe(`${allowed}; default ${def}`);
}

/**
 * A decimal number variable with a default, a range (inclusive) and a unit, e.g. `1.5` or `0.0005`
 * (the unit is part of the "allowed" text).
 */
export function decimal(def: number, min: number, max: number, unit = '') {
  const allowed = `a number ${min}..${max}${unit ? ` (${unit})` : ''}`;
  return z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, allowed)
    .transform(Number)
    .refine((n) => n >= min && n <= max, allowed)
    .default(def)
    .describe(`${allowed}; default ${def}`);
}

/** `true` or `false` (default `def`). */
export function flag(def: boolean) {
  return z
    .enum(['true', 'false'], { error: 'true or false' })
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true');
}

/** One of `values` (default `def`). */
export function oneOf<const V extends readonly [string, ...string[]]>(values: V, def?: V[number]) {
  const e = z.enum(values, { error: `one of ${values.join(', ')}` });
  return def === undefined ? e.optional() : e.default(def as never);
}

/** A non-empty string (optional unless a default is given). */
export function text(def?: string) {
  const s = z.string().trim().min(1, 'a non-empty string');
  return def === undefined ? s.optional() : s.default(def);
}

/** An http(s) URL (optional unless a default is given). */
export function url(def?: string) {
  const s = z.string().trim().regex(/^https?:\/\/[^\s/]+/, 'an http(s) URL');
  return def === undefined ? s.optional() : s.default(def);
}

/** An IANA time zone name that this Node's Intl knows. */
export const timeZone = z
  .string()
  .trim()
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone, e.g. Asia/Shanghai')
  .optional();

/**
 * The personal-data key ring (`kid:base64key[,kid:base64key...]`, 32-byte keys; libs/kafka
 * sealing.ts), optional here; intake, dispatch and records require it ({@link personalDataKeysOrExit}).
 */
const keyringText = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    try {
      parseKeyring(v);
    } catch (e) {
      if (!(e instanceof SealError)) throw e;
      ctx.addIssue({ code: 'custom', message: `kid:base64key[,kid:base64key...] with 32-byte keys (${e.message})` });
    }
  });
export const personalDataKeys = keyringText.optional();

/** Variables whose values are secret: a validation error names them but never shows the value. */
const SECRET_VARIABLES = /^(CAD110_PERSONAL_DATA_KEYS|CAD110_AUTH_PRIVATE_KEY|CAD110_AUTH_SECRET|KAFKA_SASL_PASSWORD|CAD110_DEMO_PASSWORD)$/;

/** Variables every service reads (libs/runtime, libs/kafka, libs/db, libs/logging, libs/contracts). */
export const RuntimeEnv = z.object({
  KAFKA_BROKERS: z.string().trim().regex(/^[^\s,]+(,[^\s,]+)*$/, 'host:port[,host:port...]').optional(),
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, dots, underscores and dashes').default('cad110.'),
  KAFKA_PARTITIONS: integer(3, 1, 1000),
  KAFKA_REPLICATION_FACTOR: integer(undefined, 1, 10),
  KAFKA_GROUP_SUFFIX: z.string().regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, dots, underscores and dashes').default(''),
  KAFKA_SESSION_TIMEOUT_MS: integer(10_000, 1000, 300_000, 'milliseconds'),
  // how often /metrics' event-loop delay histogram samples (libs/telemetry createMetrics); README "Configuration"
  METRICS_EVENT_LOOP_RESOLUTION_MS: integer(100, 1, 10_000, 'milliseconds'),
  // how often an outbox relay that nobody nudged looks for rows anyway (libs/kafka OutboxRelay); README "Configuration"
  OUTBOX_IDLE_INTERVAL_MS: integer(1000, 10, 60_000, 'milliseconds'),
  // how long personal fields stay readable (Kafka retention.ms of every topic; the services' redaction jobs): README "Personal data"
  CAD110_PERSONAL_DATA_RETENTION_DAYS: decimal(180, 0.0001, 3650, 'days; fractions for tests'),
  // the key ring sealing personal fields on Kafka (intake, dispatch, records only): README "Personal data"
  CAD110_PERSONAL_DATA_KEYS: personalDataKeys,
  CONSUMER_CHUNK_SIZE: integer(100, 1, 10_000),
  CONSUMER_RESTART_WINDOW_MS: integer(300_000, 1000, 86_400_000, 'milliseconds'),
  DEAD_LETTER_MAX_VALUE_BYTES: integer(65_536, 1024, 10_485_760, 'bytes'),
  POSTGRES_URL: z.string().trim().regex(/^postgres(ql)?:\/\//, 'a postgresql:// URL').optional(),
  DATABASE_URL: z.string().trim().regex(/^postgres(ql)?:\/\//, 'a postgresql:// URL').optional(),
  CAD110_DB_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, underscores and dashes').default('cad110'),
  DB_POOL_SIZE: integer(10, 1, 200),
  DB_MIGRATE: flag(true),
  // read by libs/db (sql.ts preparedName): off for a connection pooler that cannot keep named prepared statements
  DB_PREPARED_STATEMENTS: oneOf(['on', 'off'], 'on'),
  PORT: integer(undefined, 0, 65_535, '0 = any free port'),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  BUREAU_TIME_ZONE: timeZone,
  CAD110_TAXONOMY_FILE: text(),
  OTEL_EXPORTER_OTLP_ENDPOINT: url(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url(),
  // checked in full by libs/auth authKeysOrExit() at start-up (JSON, PEM, EC P-256)
  CAD110_AUTH_PUBLIC_KEYS: text(),
  CAD110_TRUSTED_PROXIES: text(),
  // Kafka TLS and SASL (libs/kafka kafkaSecurity)
  KAFKA_SSL: flag(false),
  KAFKA_SSL_CA_FILE: text(),
  KAFKA_SSL_CERT_FILE: text(),
  KAFKA_SSL_KEY_FILE: text(),
  KAFKA_SSL_REJECT_UNAUTHORIZED: flag(true),
  KAFKA_SASL_MECHANISM: z
    .string()
    .trim()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(['scram-sha-512', 'scram-sha-256', 'plain'], { error: 'one of scram-sha-512, scram-sha-256, plain' }))
    .optional(),
  KAFKA_SASL_USERNAME: text(),
  KAFKA_SASL_PASSWORD: text(),
  KAFKA_SASL_PASSWORD_FILE: text(),
});
export type RuntimeEnv = z.infer<typeof RuntimeEnv>;

/** A configuration that does not parse: `message` is one line naming every bad variable, its value and what is allowed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Parses `env` with `schema`.
 * @throws ConfigError listing every bad variable as `NAME="value": allowed: ...` on one line
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const r = schema.safeParse(env);
  if (r.success) return r.data;
  const bad = r.error.issues.map((i) => {
    const name = String(i.path[0] ?? '(environment)');
    const value = env[name];
    if (SECRET_VARIABLES.test(name)) return `${name}=(${value === undefined ? 'unset' : 'hidden'}): allowed: ${i.message}`;
    return `${name}=${JSON.stringify(value ?? null)}: allowed: ${i.message}`;
  });
  throw new ConfigError(`invalid configuration: ${bad.join('; ')}`);
}

/**
 * {@link loadConfig}, or, on a bad value, one line on stderr (`cad110 <service>: invalid
 * configuration: NAME="value": allowed: ...`) and exit code 78 (EX_CONFIG, sysexits.h).
 */
export function configOrExit<S extends z.ZodType>(service: string, schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  try {
    return loadConfig(schema, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`cad110 ${service}: ${e.message}\n`);
    process.exit(78);
  }
}

/**
 * The personal-data key ring of a service that seals or opens personal fields (intake, dispatch,
 * records): `CAD110_PERSONAL_DATA_KEYS` is required; unset or malformed, the process stops with
 * one line on stderr (the value is never shown) and exit code 78 (EX_CONFIG).
 */
export function personalDataKeysOrExit(service: string, env: NodeJS.ProcessEnv = process.env): PersonalDataKeyring {
  const required = z.string({ error: 'a key ring kid:base64key[,...] (required)' }).pipe(keyringText);
  const c = configOrExit(service, z.object({ CAD110_PERSONAL_DATA_KEYS: required }), env);
  return parseKeyring(c.CAD110_PERSONAL_DATA_KEYS);
}
