import { createContext, useContext, useEffect, useRef, useState } from 'react';
import type { PublicEvent } from '@cad110/contracts/src/public-event';

/** A public event as `GET /api/live` sends it (the contract in libs/contracts/src/public-event.ts). */
export type LiveEvent = PublicEvent;

export type LiveState = 'connecting' | 'open' | 'closed';

type Listener = (e: LiveEvent) => void;

/** One EventSource per signed-in session, shared by the views. */
export class LiveConnection {
  private es: EventSource | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly stateListeners = new Set<(s: LiveState, n: number) => void>();
  private readonly reopenListeners = new Set<() => void>();
  private retry: ReturnType<typeof setTimeout> | undefined;
  private everOpen = false;
  state: LiveState = 'connecting';
  count = 0;
  /** ms epoch until which the views are known to be in sync: while open, now; after a drop, the moment it dropped */
  syncedAt = Date.now();

  constructor(private readonly token: string) {}

  open(): void {
    this.close();
    this.setState('connecting');
    // EventSource cannot send headers: the token goes in the query (the console accepts it there)
    const es = new EventSource(`/api/live?access_token=${encodeURIComponent(this.token)}`);
    this.es = es;
    es.addEventListener('ready', () => {
      // the feed starts at the end of the log: whatever happened while the stream was down is
      // only in the APIs, so every view re-reads (useLiveReconnect) once the stream is back
      const again = this.everOpen;
      this.everOpen = true;
      this.setState('open');
      if (again) for (const l of this.reopenListeners) l();
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
      // the browser retries by itself while CONNECTING; a CLOSED source (e.g. HTTP 401/502) is retried here
      if (es.readyState === EventSource.CLOSED) {
        this.setState('closed');
        this.retry = setTimeout(() => this.open(), 2000);
      } else this.setState('connecting');
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

  /** Called every time the stream opens again after a drop (not on the first open). */
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
