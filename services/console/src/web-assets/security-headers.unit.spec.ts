import express from 'express';
import request from 'supertest';
import { securityHeaders, tileOrigin } from './security-headers';

function app(tiles?: string) {
  const a = express();
  a.use(securityHeaders(tiles));
  a.get('/', (_req, res) => res.type('html').send('<!doctype html><title>x</title>'));
  return a;
}

/** The policy as {directive: sources}. */
function csp(header: string | undefined): Record<string, string[]> {
  return Object.fromEntries((header ?? '').split(';').map((d) => d.trim().split(/\s+/)).filter((p) => p[0]).map(([k, ...v]) => [k!, v]));
}

describe('console security headers (issue 19.5)', () => {
  it('sends a CSP that allows only the console origin for scripts, styles and fetches, and no framing', async () => {
    const res = await request(app()).get('/');
    const p = csp(res.headers['content-security-policy']);
    expect(p).toEqual({
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      'style-src': ["'self'"],
      'img-src': ["'self'", 'data:', 'blob:'],
      'font-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
      'media-src': ["'self'"],
      'worker-src': ["'self'"],
      'object-src': ["'none'"],
      'base-uri': ["'self'"],
      'form-action': ["'self'"],
      'frame-ancestors': ["'none'"],
      'script-src-attr': ["'none'"],
    });
    expect(JSON.stringify(p)).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('sends the other protective headers and no X-Powered-By', async () => {
    const res = await request(app()).get('/');
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
    });
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('lets the map load tiles from the configured tile server only', async () => {
    const res = await request(app('https://{s}.tiles.bureau.example/{z}/{x}/{y}.png')).get('/');
    expect(csp(res.headers['content-security-policy'])['img-src']).toEqual(["'self'", 'data:', 'blob:', 'https://*.tiles.bureau.example']);
    expect(tileOrigin('http://gis.bureau.local:8080/tiles/{z}/{x}/{y}.png')).toBe('http://gis.bureau.local:8080');
    expect(tileOrigin('http://a{s}b.example/{z}')).toBeUndefined();
    expect(tileOrigin(undefined)).toBeUndefined();
  });
});
