/**
 * The call-taker desk's lookups while the call taker types: duplicate candidates and caller /
 * location history (POST, so the number stays out of URLs and logs), the gazetteer's fuzzy
 * address search, and the ringing 110 lines of the CTI hand-off.
 */
import { useEffect, useRef, useState } from 'react';
import { api, post } from './api';
import type { PlaceHit } from './components/call-form-parts';
import type { Candidate, History, Ring } from './components/desk-panels';
import { useDebounced } from './use-api';

/**
 * Duplicate candidates and history for `lookup`, a JSON string `{n?: number, p?: {lat, lon}, s?: subtype}`
 * (debounced by the caller); both undefined when there is neither number nor point.
 */
export function useDuplicateLookup(lookup: string) {
  const [candidates, setCandidates] = useState<Candidate[]>();
  const [history, setHistory] = useState<History>();
  useEffect(() => {
    const q = JSON.parse(lookup) as { n?: string; p?: { lat: number; lon: number }; s?: string };
    if (!q.n && !q.p) {
      setCandidates(undefined);
      setHistory(undefined);
      return;
    }
    let stale = false;
    const body = { ...(q.n ? { callerNumber: q.n } : {}), ...(q.p ? { lat: q.p.lat, lon: q.p.lon } : {}) };
    post<{ candidates: Candidate[] }>('/api/intake/duplicates/search', { ...body, ...(q.s ? { subtype: q.s } : {}) })
      .then((r) => !stale && setCandidates(r.candidates))
      .catch(() => !stale && setCandidates(undefined));
    post<History>('/api/intake/history/search', body)
      .then((r) => !stale && setHistory(r))
      .catch(() => !stale && setHistory(undefined));
    return () => {
      stale = true;
    };
  }, [lookup]);

  return { candidates, setCandidates, history, setHistory };
}

/**
 * Gazetteer hits for the address being typed (200 ms debounce, ≥ 2 characters); `typed` is set
 * by the address field's edits so an address filled from a pick or a ring does not search again.
 */
export function useGazetteer(address: string) {
  const [places, setPlaces] = useState<PlaceHit[]>([]);
  const [placeHi, setPlaceHi] = useState(0);
  const [placeOpen, setPlaceOpen] = useState(false);
  const placeQuery = useDebounced(address.trim(), 200);
  const typed = useRef(false);
  useEffect(() => {
    if (!typed.current || placeQuery.length < 2) {
      setPlaces([]);
      return;
    }
    let stale = false;
    api<{ items: PlaceHit[] }>('GET', `/api/intake/gazetteer?q=${encodeURIComponent(placeQuery)}&limit=8`)
      .then((r) => {
        if (stale) return;
        setPlaces(r.items);
        setPlaceHi(0);
        setPlaceOpen(r.items.length > 0);
      })
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [placeQuery]);

  return { places, setPlaces, placeHi, setPlaceHi, placeOpen, setPlaceOpen, typed };
}

/** The ringing 110 lines (CTI hand-off), polled every 1.5 s while the desk is open. */
export function useRinging() {
  const [rings, setRings] = useState<Ring[]>([]);
  useEffect(() => {
    let alive = true;
    const poll = () =>
      api<{ items: Ring[] }>('GET', '/api/intake/telephony/ringing')
        .then((r) => alive && setRings(r.items))
        .catch(() => undefined);
    void poll();
    const h = setInterval(poll, 1500);
    return () => {
      alive = false;
      clearInterval(h);
    };
  }, []);

  return { rings, setRings };
}
