import { useEffect, useRef, useState } from 'react';
import { askNotificationPermission, notify, playTone, type ToneKind } from './attention';
import { liveAgeSeconds, timerLevel } from './timers';

/** One thing that asked for the dispatcher's attention (shown in the desk's attention strip). */
export interface AttentionItem {
  key: string;
  kind: ToneKind;
  title: string;
  body: string;
  /** the incident to select when the item is clicked */
  incidentId?: string;
  at: number;
}

interface PendingLike {
  id: string;
  priority: number;
  answeredAt: string;
  externalSource?: string | null;
}
interface AlertLike {
  id: string;
  unitId: string;
  kind: string;
  acknowledgedAt?: string | null;
}

/**
 * Attention of the dispatcher desk: a tone (Web Audio), a desktop notification and a visual flash
 * (the returned `flashUntil` and the strip of `items`) for
 * - a new P1/P2 incident in the pending queue (P1 three high beeps, P2 two),
 * - a pending incident whose timer turns red (timers.ts thresholds by priority),
 * - each new overdue-unit alert that is not acknowledged.
 * What the desk already showed when it loaded raises nothing (no burst of tones on sign-in);
 * each incident / alert raises once. The tone respects the console's mute (attention.ts).
 * `describe` gives the notification text of an incident or an alert in the UI's language.
 */
export function useDeskAttention(opts: {
  pending: PendingLike[] | undefined;
  alerts: AlertLike[] | undefined;
  now: number;
  describeIncident: (id: string) => { title: string; body: string };
  describeAlert: (a: AlertLike) => { title: string; body: string; incidentId?: string };
}): { items: AttentionItem[]; flashUntil: number; dismiss: (key: string) => void } {
  const seen = useRef<Set<string> | undefined>(undefined);
  const red = useRef<Set<string> | undefined>(undefined);
  const seenAlerts = useRef<Set<string> | undefined>(undefined);
  const [items, setItems] = useState<AttentionItem[]>([]);
  const [flashUntil, setFlashUntil] = useState(0);
  const d = useRef(opts);
  d.current = opts;

  useEffect(() => askNotificationPermission(), []);

  const raise = (item: Omit<AttentionItem, 'at'>) => {
    playTone(item.kind);
    notify(item.title, item.body, item.key);
    const at = Date.now();
    setItems((xs) => [{ ...item, at }, ...xs.filter((x) => x.key !== item.key)].slice(0, 6));
    setFlashUntil(at + 4000);
  };

  // new P1/P2 incidents
  useEffect(() => {
    const pending = opts.pending;
    if (!pending) return;
    if (!seen.current) {
      seen.current = new Set(pending.map((i) => i.id));
      return;
    }
    for (const i of pending) {
      if (seen.current.has(i.id)) continue;
      seen.current.add(i.id);
      if (i.priority <= 2) raise({ key: `new-${i.id}`, kind: i.priority === 1 ? 'p1' : 'p2', ...d.current.describeIncident(i.id), incidentId: i.id });
    }
  }, [opts.pending]); // eslint-disable-line react-hooks/exhaustive-deps

  // pending timers turning red
  useEffect(() => {
    const pending = opts.pending;
    if (!pending) return;
    // a replayed call's age is the source's (years): it never turns red here
    const isRed = (i: PendingLike) => {
      const age = liveAgeSeconds(i, i.answeredAt, opts.now);
      return age !== undefined && timerLevel(age, i.priority) === 'red';
    };
    if (!red.current) {
      red.current = new Set(pending.filter(isRed).map((i) => i.id));
      return;
    }
    for (const i of pending) {
      if (red.current.has(i.id) || !isRed(i)) continue;
      red.current.add(i.id);
      raise({ key: `red-${i.id}`, kind: 'red', ...d.current.describeIncident(i.id), incidentId: i.id });
    }
  }, [opts.pending, opts.now]); // eslint-disable-line react-hooks/exhaustive-deps

  // overdue-unit alerts
  useEffect(() => {
    const alerts = opts.alerts;
    if (!alerts) return;
    if (!seenAlerts.current) {
      seenAlerts.current = new Set(alerts.map((a) => a.id));
      return;
    }
    for (const a of alerts) {
      if (seenAlerts.current.has(a.id)) continue;
      seenAlerts.current.add(a.id);
      if (!a.acknowledgedAt) raise({ key: `alert-${a.id}`, kind: 'overdue', ...d.current.describeAlert(a) });
    }
  }, [opts.alerts]); // eslint-disable-line react-hooks/exhaustive-deps

  return { items, flashUntil, dismiss: (key) => setItems((xs) => xs.filter((x) => x.key !== key)) };
}
