import { createContext, useContext, useEffect, useRef, useState } from 'react';
import type { PublicEvent } from '@cad110/contracts/src/public-event';

/** A public event as `GET /api/live` sends it (the contract in libs/contracts/src/public-event.ts). */
export type LiveEvent = PublicEvent;

export type LiveState = 'connecting' | 'open' | 'closed';

type Listener = (e: LiveEvent) => void;

/** Milliseconds between reconnect attempts of the live stream. */
const RETRY_MS = 1000;

/** One EventSource per signed-in session, shared by the views. */
export class LiveConnection {
  private es: EventSource | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly stateListeners = new Set<(s: LiveState, n: number) => void>();
  private readonly reopenListeners = new Set<() => void>();
  private retry: ReturnType<typeof setTimeout> | undefined;
  state: LiveState = 'connecting';
  count = 0;
  /** ms epoch until which the views are known to be in sync: while open, now; after a drop, the moment it dropped */
  syncedAt = Date.now();

  /** @param token the current access token at each (re)open: access tokens are renewed every few minutes and the server ends the stream when the one it was opened with expires */
  constructor(private readonly token: () => string | undefined) {}

  open(): void {
    this.close();
    this.setState('connecting');
    // EventSource cannot send headers: the token goes in the query (the console accepts it there)
    const es = new EventSource(`/api/live?access_token=${encodeURIComponent(this.token() ?? '')}`);
    this.es = es;
    es.addEventListener('ready', () => {
      // the feed starts at the end of the log: whatever happened while the stream was down (or
      // before it first opened, after the views' first read) is only in the APIs, so every view
      // re-reads (useLiveReconnect) each time the stream opens
      this.setState('open');
      for (const l of this.reopenListeners) l();
    });
    es.onmessage = (m) => {
      let e: LiveEvent;
      try {
        e = JSON.parse(m.data) as LiveEvent;
      } catch {
        return;
      }
      this.count++;
      this.setState('open');
      for (const l of this.listeners) l(e);
    };
    es.onerror = () => {
      // the browser's own retry waits the server's `retry` (3 s) per attempt; the desk must be back
      // within seconds of the gateway, so the source is closed and reopened here every second
      // until it opens (each attempt against a stopped gateway fails at once and costs nothing)
      es.close();
      if (this.es !== es) return;
      this.setState(this.state === 'open' ? 'connecting' : 'closed');
      this.retry = setTimeout(() => this.open(), RETRY_MS);
    };
  }

  close(): void {
    if (this.retry) clearTimeout(this.retry);
    this.es?.close();
    this.es = undefined;
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  onState(l: (s: LiveState, n: number) => void): () => void {
    this.stateListeners.add(l);
    return () => this.stateListeners.delete(l);
  }

  /** Called every time the stream opens (the first time and again after each drop). */
  onReopen(l: () => void): () => void {
    this.reopenListeners.add(l);
    return () => this.reopenListeners.delete(l);
  }

  private setState(s: LiveState) {
    if (this.state === 'open' || s === 'open') this.syncedAt = Date.now();
    this.state = s;
    for (const l of this.stateListeners) l(s, this.count);
  }
}

export const LiveContext = createContext<LiveConnection | undefined>(undefined);

/**
 * Calls `onChange` when live events matching `filter` arrive — at most once per `throttleMs`
 * (leading and trailing), so a burst of events (e.g. a replay) costs one refetch per interval.
 */
export function useLiveRefresh(filter: (e: LiveEvent) => boolean, onChange: () => void, throttleMs = 1000): void {
  const live = useContext(LiveContext);
  const cb = useRef(onChange);
  cb.current = onChange;
  const f = useRef(filter);
  f.current = filter;
  useEffect(() => {
    if (!live) return;
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = live.subscribe((e) => {
      if (!f.current(e)) return;
      const now = Date.now();
      if (now - last >= throttleMs && !timer) {
        last = now;
        cb.current();
      } else if (!timer) {
        timer = setTimeout(() => {
          timer = undefined;
          last = Date.now();
          cb.current();
        }, Math.max(0, throttleMs - (now - last)));
      }
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [live, throttleMs]);
}

/** Calls `onEvent` for every live event (no throttling: keep it cheap). */
export function useLiveEvent(onEvent: (e: LiveEvent) => void): void {
  const live = useContext(LiveContext);
  const cb = useRef(onEvent);
  cb.current = onEvent;
  useEffect(() => live?.subscribe((e) => cb.current(e)), [live]);
}

/** Calls `onReopen` whenever the live stream comes back after a drop (re-read everything then). */
export function useLiveReconnect(onReopen: () => void): void {
  const live = useContext(LiveContext);
  const cb = useRef(onReopen);
  cb.current = onReopen;
  useEffect(() => live?.onReopen(() => cb.current()), [live]);
}

/** The live connection's state and event count, for the header indicator. */
export function useLiveState(): { state: LiveState; count: number; syncedAt: number } {
  const live = useContext(LiveContext);
  const [s, setS] = useState<{ state: LiveState; count: number; syncedAt: number }>({ state: live?.state ?? 'connecting', count: live?.count ?? 0, syncedAt: live?.syncedAt ?? Date.now() });
  useEffect(() => {
    if (!live) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    return live.onState((state, count) => {
      // coalesce: a burst of events should not re-render the header per event
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        setS({ state: live.state, count: live.count, syncedAt: live.syncedAt });
      }, 250);
      if (state !== s.state) setS({ state, count, syncedAt: live.syncedAt });
    });
  }, [live]); // eslint-disable-line react-hooks/exhaustive-deps
  return s;
}
