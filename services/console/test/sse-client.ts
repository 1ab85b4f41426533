import { createServer } from 'node:net';

/** A server-sent-events stream read with fetch (test helper). */
export interface SseReader {
  status: number;
  contentType: string;
  /** everything received so far */
  raw: string;
  /** parsed `data:` of the default (`message`) events so far */
  data: unknown[];
  /** true once the server has ended the stream */
  ended: boolean;
  waitForData(pred: (data: unknown[]) => boolean, timeoutMs: number): Promise<unknown[]>;
  close(): void;
}

/** Opens an SSE stream and keeps reading it until `close()`. */
export async function readSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ctrl.signal });
  const reader: SseReader = {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    raw: '',
    data: [],
    ended: false,
    async waitForData(pred, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (pred(reader.data)) return reader.data;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`SSE condition not met after ${timeoutMs} ms; received ${reader.data.length} events`);
    },
    close: () => ctrl.abort(),
  };
  if (!res.body) return reader;
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const text = decoder.decode(chunk, { stream: true });
        reader.raw += text;
        buffer += text;
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const lines = block.split('\n');
          if (lines.some((l) => l.startsWith('event:'))) continue;
          const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (data) reader.data.push(JSON.parse(data));
        }
      }
    } catch {
      // aborted
    }
    reader.ended = true;
  })();
  return reader;
}

/** A port nothing listens on (bound, then released). */
export function freePortForTest(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
