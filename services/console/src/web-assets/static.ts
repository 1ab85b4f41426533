import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';
import { ProblemError } from '@cad110/http';

/**
 * Serves the SPA's production build from `dist`: hashed files under `/assets/` with a one-year
 * immutable cache, every other GET that asks for HTML (not `/api/*`, `/auth/*`) gets `index.html`
 * uncached (client-side routes). 503 problem+json when the build is missing.
 */
export function staticRoutes(dist: string): Router {
  const r = Router();
  r.use('/assets', express.static(join(dist, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false }));
  r.use(express.static(dist, { index: false, maxAge: '1h' }));
  r.get(/^\/(?!api\/|auth\/|healthz$|readyz$|metrics$).*/, (req, res, next) => {
    if (!req.accepts('html')) return next();
    const index = join(dist, 'index.html');
    if (!existsSync(index)) {
      throw new ProblemError(503, 'Console not built', 'The console web build is missing: run `npm run build -w @cad110/console-web` (npm run demo does it).');
    }
    res.set('cache-control', 'no-cache').sendFile(index);
  });
  return r;
}

