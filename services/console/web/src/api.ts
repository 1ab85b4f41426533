/** A field error of a problem+json 400. */
export interface FieldError {
  field: string;
  message: string;
}

/** An HTTP error answer of the console or a service (RFC 9457 problem+json when available). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly errors: FieldError[] = [],
    readonly method = 'GET',
    readonly path = '',
    /** the problem's machine-readable `code` (e.g. dispatch's 409 `not-free`), translated by the UI */
    readonly code?: string,
    /** the problem's `params` (e.g. dispatch's 409 `recommendation-stale`: the unit, why, the next best) */
    readonly params?: Record<string, unknown>,
  ) {
    super(`${status} ${title}${detail ? `: ${detail}` : ''}`);
    this.name = 'ApiError';
  }
}

let token: string | undefined;
let onUnauthorized: (() => void) | undefined;

/** Sets the bearer token sent with every request, and what to do when a request answers 401. */
export function setAuth(t: string | undefined, unauthorized?: () => void): void {
  token = t;
  onUnauthorized = unauthorized;
}

export function currentToken(): string | undefined {
  return token;
}

/**
 * The signed-in user's role, read from the access token's claims (for what the screen offers;
 * every service checks the token itself). Undefined when signed out or unreadable.
 */
export function currentRole(): string | undefined {
  try {
    const part = token?.split('.')[1];
    if (!part) return undefined;
    const claims = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as { role?: unknown };
    return typeof claims.role === 'string' ? claims.role : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Calls the console (same origin): JSON in and out, the bearer token attached.
 * @throws ApiError with the problem's status, title, detail and field errors
 */
export async function api<T>(method: string, path: string, body?: unknown, opts: { text?: boolean; headers?: Record<string, string> } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: opts.text ? 'text/plain' : 'application/json', ...opts.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    // no-store: the console always wants the current state. Services answer with `ETag`s; a
    // cached copy revalidated with If-None-Match could come back 304 with a stale body when the
    // answer holds more than the versioned stream (e.g. an incident's units, whose status changes
    // do not bump the incident's version)
    res = await fetch(path, { method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'Network error', (e as Error).message, [], method, path);
  }
  if (!res.ok) {
    let p: { title?: string; detail?: string; errors?: FieldError[]; code?: string; params?: unknown } = {};
    try {
      p = await res.json();
    } catch {
      // not JSON
    }
    if (res.status === 401 && token && onUnauthorized && !path.startsWith('/auth/login')) onUnauthorized();
    throw new ApiError(res.status, p.title ?? res.statusText, p.detail, p.errors ?? [], method, path, typeof p.code === 'string' ? p.code : undefined, p.params && typeof p.params === 'object' ? (p.params as Record<string, unknown>) : undefined);
  }
  if (opts.text) return (await res.text()) as T;
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown) => api<T>('POST', path, body);
/** PUT; `ifMatch` sends `If-Match: "<version>"` so a stale page gets 412 instead of overwriting a newer change. */
export const put = <T>(path: string, body: unknown, ifMatch?: number) => api<T>('PUT', path, body, ifMatch === undefined ? {} : { headers: { 'if-match': `"${ifMatch}"` } });
