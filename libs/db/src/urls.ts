/** Default PostgreSQL server when `POSTGRES_URL` is not set (trust auth on this machine kind). */
export const DEFAULT_POSTGRES_URL = 'postgresql://postgres@127.0.0.1:5432';

/**
 * Database URL of a service: `DATABASE_URL` if set, else `${POSTGRES_URL}/${CAD110_DB_PREFIX}_${service}`
 * (prefix default `cad110`, so `cad110_intake`, `cad110_dispatch`, ...).
 */
export function databaseUrlFor(service: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  return withDatabase(env.POSTGRES_URL ?? DEFAULT_POSTGRES_URL, databaseNameFor(service, env));
}

export function databaseNameFor(service: string, env: NodeJS.ProcessEnv = process.env): string {
  return `${env.CAD110_DB_PREFIX ?? 'cad110'}_${service}`;
}

/** Replaces the database (path) of a PostgreSQL URL, keeping credentials and query. */
export function withDatabase(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The database name in a PostgreSQL URL. */
export function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}
