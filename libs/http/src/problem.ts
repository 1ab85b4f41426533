import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';

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

/**
 * Final error middleware: ProblemError as is; malformed JSON → 400; oversized body → 413;
 * anything else → 500 without internals.
 */
export function problemHandler(logger?: { error: (o: object, m: string) => void }) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (err instanceof ProblemError) return sendProblem(res, err, req.originalUrl);
    const e = err as { type?: string; status?: number; message?: string };
    if (e?.type === 'entity.parse.failed') return sendProblem(res, new ProblemError(400, 'Malformed JSON', 'The body is not valid JSON.'), req.originalUrl);
    if (e?.type === 'entity.too.large') return sendProblem(res, new ProblemError(413, 'Payload too large', 'The body exceeds the size limit.'), req.originalUrl);
    if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') return sendProblem(res, new ProblemError(415, 'Unsupported media type', e.message), req.originalUrl);
    logger?.error({ err }, 'unhandled error');
    sendProblem(res, new ProblemError(500, 'Internal error', 'The request could not be completed.'), req.originalUrl);
  };
}
