import type { Request } from 'express';
import { z } from 'zod';
import { ProblemError } from '@cad110/http';

/** A path parameter that must be a UUID. @throws ProblemError 400 naming it */
export function uuidParam(req: Request, name = 'id'): string {
  const r = z.uuid().safeParse(req.params[name]);
  if (!r.success) throw ProblemError.validation([{ field: name, message: 'must be a UUID' }]);
  return r.data;
}

