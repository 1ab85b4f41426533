import type { Request } from 'express';
import type { RouteSpec } from '@cad110/http';
import { SIGNED_IN } from '../auth/routes';
import type { LiveFeed } from './live-feed';

/** Seconds between SSE comment lines that keep proxies and the browser from timing out. */
export const HEARTBEAT_SECONDS = 15;
/** A client whose unsent output exceeds this many bytes is dropped (it reconnects and re-reads the APIs). */
export const MAX_BUFFERED_BYTES = 1 << 20;

/** Expiry (ms since epoch) of the request's already verified token, from its `exp` claim. */
function tokenExpiry(req: Request): number {
  const header = req.header('authorization');
  const token = header?.startsWith('Bearer ') ? header.slice(7) : String(req.query.access_token ?? '');
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp?: number };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : Date.now() + 12 * 3600_000;
  } catch {
    return Date.now();
  }
}

/**
 * `GET /api/live` — server-sent events (`text/event-stream`) for any signed-in role. The token
 * comes as `Authorization: Bearer` or as `?access_token=` (EventSource cannot send headers).
 * First an `event: ready` with `{groupJoined}`, then one default (`message`) event per Kafka
 * event, `id:` = event id, `data:` = its {@link PublicEvent} JSON; a comment line every
 * {@link HEARTBEAT_SECONDS} s. The stream ends when the token expires. 401 problem+json without
 * a valid token.
 */
export function liveRoutes(feed: LiveFeed): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/api/live',
      operationId: 'liveEvents',
      summary: 'Server-sent events: every Kafka event as its public form',
      description:
        'text/event-stream. First `event: ready` with `{groupJoined, role}`, then one `message` event per Kafka event (`id:` event id, `data:` PublicEvent JSON); a comment line every 15 s; the stream ends when the token expires.',
      tags: ['live'],
      roles: SIGNED_IN,
      tokenInQuery: true,
      responses: { 200: { description: 'The event stream', contentType: 'text/event-stream' } },
      handler: (req, res) => {
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write(`retry: 3000\nevent: ready\ndata: ${JSON.stringify({ groupJoined: feed.ready, role: req.user!.role })}\n\n`);
        let closed = false;
        const close = () => {
          if (closed) return;
          closed = true;
          clearInterval(heartbeat);
          unsubscribe();
          res.end();
        };
        const unsubscribe = feed.subscribe((e) => {
          if (res.writableLength > MAX_BUFFERED_BYTES) return close();
          res.write(`id: ${e.eventId}\ndata: ${JSON.stringify(e)}\n\n`);
        });
        const heartbeat = setInterval(() => res.write(`: ${new Date().toISOString()}\n\n`), HEARTBEAT_SECONDS * 1000);
        // the stream ends when the token expires: the browser reconnects with its new token or signs out
        const expiresInMs = tokenExpiry(req) - Date.now();
        const expiry = setTimeout(close, Math.max(0, Math.min(expiresInMs, 2 ** 31 - 1)));
        req.on('close', () => {
          clearTimeout(expiry);
          close();
        });
      },
    },
  ];
}
