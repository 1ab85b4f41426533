import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Security headers of every console answer (helmet, issue 19.5), with a Content Security Policy
 * the built SPA runs under: scripts, styles, fonts and fetches from the console's own origin only
 * (the SPA's hashed bundles, the gateway `/api/*`, `/auth/*` and the EventSource `/api/live`);
 * images also as `data:`/`blob:` (Leaflet's icons) and from the bureau's map tile server when
 * `CONSOLE_MAP_TILE_URL` is set (its origin; a `{s}` subdomain placeholder becomes `*`); no
 * plugins, no framing (`frame-ancestors 'none'`, also `X-Frame-Options: DENY`), no `<base>`, forms
 * post to the console only. Web Audio (the desk's attention tones) needs no source.
 * `upgrade-insecure-requests` is left out: a bureau's intranet may serve the console over plain HTTP,
 * where it would break every asset. Plus helmet's defaults: `nosniff`, `Referrer-Policy: no-referrer`,
 * HSTS (honoured on HTTPS only), `Cross-Origin-Opener-Policy` and `-Resource-Policy: same-origin`,
 * no `X-Powered-By`.
 */
export function securityHeaders(tileUrl?: string | null): RequestHandler {
  const tiles = tileOrigin(tileUrl);
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:', ...(tiles ? [tiles] : [])],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        mediaSrc: ["'self'"],
        workerSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        scriptSrcAttr: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/** The CSP source of an XYZ tile URL template (`https://{s}.tile.example/{z}/{x}/{y}.png` → `https://*.tile.example`). */
export function tileOrigin(template?: string | null): string | undefined {
  const m = template ? /^(https?:\/\/[^/?#]+)/i.exec(template.trim()) : null;
  if (!m) return undefined;
  const origin = m[1]!.replace(/\{[a-z]\}/gi, '*');
  // a CSP source allows `*` only as the leftmost label
  return /^https?:\/\/(\*\.)?[^*{}\s]+$/i.test(origin) ? origin : undefined;
}
