import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { CommandRejected, ConcurrencyError, DependencyFailedError, FutureTimeError, NotFoundError, StaleVersionError } from '@cad110/contracts';

/** One bad field of a request: its JSON path (dot-separated) and what is wrong with it. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * An RFC 9457 problem detail (`application/problem+json`). Thrown anywhere in a route, it is
 * rendered by {@link problemHandler}.
 */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
    this.name = 'ProblemError';
  }

  /** 400 with every bad field listed in `errors`. */
  static validation(errors: FieldError[], detail = 'The request has invalid fields.'): ProblemError {
    return new ProblemError(400, 'Invalid request', detail, { errors });
  }

  static notFound(what: string): ProblemError {
    return new ProblemError(404, 'Not found', `${what} does not exist`);
  }

  /** 409: the command is not allowed in the aggregate's current state. */
  static conflict(detail: string, extra: Record<string, unknown> = {}): ProblemError {
    return new ProblemError(409, 'Command rejected', detail, extra);
  }

  /** 412: `If-Match` named a version other than the current one. */
  static preconditionFailed(detail: string, currentVersion?: number): ProblemError {
    return new ProblemError(412, 'Precondition failed', detail, currentVersion === undefined ? {} : { currentVersion });
  }
}

const TYPE_BASE = 'https://cad110.example/problems/';

function slug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/(^-|-$)/g, '');
}

/** Writes a problem+json response. */
export function sendProblem(res: Response, p: ProblemError, instance?: string): void {
  res
    .status(p.status)
    .type('application/problem+json')
    .json({ type: TYPE_BASE + slug(p.title), title: p.title, status: p.status, ...(p.detail ? { detail: p.detail } : {}), ...(instance ? { instance } : {}), ...p.extra });
}

/** Zod issues as field errors (`location.lat: Number must be less than or equal to 90`). */
export function fieldErrors(err: z.ZodError): FieldError[] {
  return err.issues.map((i) => ({ field: i.path.map(String).join('.') || '(body)', message: i.message }));
}

/**
 * Parses `value` with `schema`.
 * @throws ProblemError 400 listing every bad field
 */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw ProblemError.validation(fieldErrors(r.error));
  return r.data;
}

/** Rejects bodies that are not JSON with 415 before express.json runs. */
export function requireJson(req: Request, _res: Response, next: NextFunction): void {
  if (['POST', 'PUT', 'PATCH'].includes(req.method) && req.headers['content-length'] !== '0' && (req.headers['content-type'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0)) {
    if (!req.is('application/json') && !req.is('application/*+json')) {
      next(new ProblemError(415, 'Unsupported media type', 'Send the body as application/json.'));
      return;
    }
  }
  next();
}

/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first character of `s` that is NUL, or a lone UTF-16 surrogate (not Unicode text). */
function badCharacter(s: string): 'NUL' | 'lone surrogate' | undefined {
  if (s.includes('\u0000')) return 'NUL';
  if (LONE_SURROGATE.test(s)) return 'lone surrogate';
  return undefined;
}

/**
 * Every string (values and keys, any depth) of a parsed JSON body that holds a NUL byte or a
 * lone UTF-16 surrogate: PostgreSQL stores neither (text and jsonb refuse them), and neither is
 * text a person typed.
 * @returns the field errors (JSON path dot-separated, `(body)` for the root), at most `max`
 */
export function badTextFields(value: unknown, max = 20): FieldError[] {
  const out: FieldError[] = [];
  const walk = (v: unknown, path: string[]) => {
    if (out.length >= max) return;
    if (typeof v === 'string') {
      const bad = badCharacter(v);
      if (bad) out.push({ field: path.join('.') || '(body)', message: bad === 'NUL' ? 'must not contain a NUL character (U+0000)' : 'must be well-formed Unicode text (no lone surrogate)' });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, String(i)]));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (badCharacter(k)) out.push({ field: [...path, '(key)'].join('.'), message: 'a field name must be well-formed text without NUL' });
        else walk(x, [...path, k]);
      }
    }
  };
  walk(value, []);
  return out;
}

/**
 * Refuses a request whose URL cannot be text before any route sees it: a malformed `%` escape
 * in the path or query (or one that decodes to invalid UTF-8) → 400; a NUL byte anywhere in the
 * path or the query string (raw or `%00`) → 400; a lone surrogate → 400.
 */
export function rejectMalformedUrl(req: Request, _res: Response, next: NextFunction): void {
  const url = req.originalUrl ?? req.url;
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const problem = (field: string, message: string) => next(ProblemError.validation([{ field, message }], 'The request URL is malformed.'));
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return problem('(path)', 'a malformed percent-escape (% must be followed by two hex digits of UTF-8)');
  }
  if (badCharacter(path)) return problem('(path)', 'must not contain NUL or a lone surrogate');
  let query: string;
  try {
    query = decodeURIComponent(rawQuery.replace(/\+/g, ' '));
  } catch {
    return problem('(query)', 'a malformed percent-escape (% must be followed by two hex digits of UTF-8; send % as %25)');
  }
  if (badCharacter(query)) return problem('(query)', 'must not contain NUL or a lone surrogate');
  next();
}

/** Refuses a parsed JSON body with NUL bytes or lone surrogates in any string ({@link badTextFields}) with 400. */
export function rejectBadText(req: Request, _res: Response, next: NextFunction): void {
  if (req.body !== undefined && req.body !== null && typeof req.body === 'object') {
    const errors = badTextFields(req.body);
    if (errors.length) return next(ProblemError.validation(errors, 'The body holds characters that are not text.'));
  }
  next();
}

/**
 * The one mapping of a command's errors (libs/contracts/src/commands.ts) to problem+json:
 * NotFoundError → 404; CommandRejected → 409 with `code` (and `params`); StaleVersionError →
 * 412 with `currentVersion`; ConcurrencyError (retries spent) → 409 `concurrent-change`;
 * FutureTimeError → 400 naming the field; DependencyFailedError (a batch item whose earlier item
 * failed) → 424 `dependency-failed`. @returns undefined for any other error
 */
export function problemOf(err: unknown): ProblemError | undefined {
  if (err instanceof ProblemError) return err;
  if (err instanceof NotFoundError) return ProblemError.notFound(err.what);
  if (err instanceof CommandRejected) return ProblemError.conflict(err.message, { code: err.code, ...(err.params ? { params: err.params } : {}) });
  if (err instanceof StaleVersionError) return ProblemError.preconditionFailed(err.message, err.currentVersion);
  if (err instanceof ConcurrencyError) return ProblemError.conflict('changed concurrently; read it again and retry', { code: 'concurrent-change' });
  if (err instanceof DependencyFailedError) return new ProblemError(424, 'Failed dependency', err.message, { code: 'dependency-failed', after: err.after });
  if (err instanceof FutureTimeError) return ProblemError.validation([{ field: err.field, message: 'must not be in the future' }]);
  return undefined;
}

/**
 * One item of a batch request as it would have been answered alone: `{status, body}` with the
 * item's success status and value, or the problem+json body its error maps to
 * ({@link problemOf}; anything else is 500 "Internal error" without internals, logged).
 * @param outcome `{ok: true, value}` or `{ok: false, error}` (libs/eventstore `BatchItemOutcome`)
 */
export function batchItemResponse<R>(outcome: { ok: true; value: R } | { ok: false; error: unknown }, okStatus: number, logger?: { error: (o: object, m: string) => void }): { status: number; body: unknown } {
  if (outcome.ok) return { status: okStatus, body: outcome.value };
  let p = problemOf(outcome.error);
  if (!p) {
    logger?.error({ err: outcome.error }, 'unhandled error in a batch item');
    p = new ProblemError(500, 'Internal error', 'The command could not be completed.');
  }
  return { status: p.status, body: { type: TYPE_BASE + slug(p.title), title: p.title, status: p.status, ...(p.detail ? { detail: p.detail } : {}), ...p.extra } };
}

/**
 * The version of `If-Match: "3"` (also `3` or `W/"3"`), the expected version of a command.
 * @returns undefined when the header is absent or `*` (no precondition)
 * @throws ProblemError 400 when it is not a version
 */
export function ifMatchVersion(req: Request): number | undefined {
  const h = req.header('if-match');
  if (!h || h.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(h);
  if (!m) throw ProblemError.validation([{ field: 'If-Match', message: 'must be a version in quotes, e.g. "3"' }]);
  return Number(m[1]);
}

/**
 * Final error middleware: ProblemError and the command errors ({@link problemOf}) as
 * problem+json; malformed JSON → 400; oversized body → 413; a body in an encoding other than
 * identity → 415; other client errors raised by express or body-parser (`status` 4xx, `expose`)
 * → that status; anything else → 500 without internals (logged through the logger's `err`
 * serializer, which withholds database error text).
 */
export function problemHandler(logger?: { error: (o: object, m: string) => void }) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const known = problemOf(err);
    if (known) return sendProblem(res, known, req.originalUrl);
    const e = err as { type?: string; status?: number; message?: string };
    if (e?.type === 'entity.parse.failed') return sendProblem(res, new ProblemError(400, 'Malformed JSON', 'The body is not valid JSON.'), req.originalUrl);
    if (e?.type === 'entity.too.large') return sendProblem(res, new ProblemError(413, 'Payload too large', 'The body exceeds the size limit.'), req.originalUrl);
    if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') return sendProblem(res, new ProblemError(415, 'Unsupported media type', e.message), req.originalUrl);
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && (e as { expose?: boolean }).expose) {
      return sendProblem(res, new ProblemError(e.status, e.status === 400 ? 'Bad request' : 'Client error', 'The request is malformed.'), req.originalUrl);
    }
    logger?.error({ err }, 'unhandled error');
    sendProblem(res, new ProblemError(500, 'Internal error', 'The request could not be completed.'), req.originalUrl);
  };
}
