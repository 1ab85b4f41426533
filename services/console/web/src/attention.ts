import { useCallback, useEffect, useState } from 'react';

/**
 * Attention for the dispatcher: an audible tone (Web Audio), a desktop notification and a visual
 * flash. Muting is per console (this browser, `localStorage` `cad110.mute`) and silences the tone
 * only: notifications and the flash stay, so a muted console still shows what needs attention.
 */

const MUTE_KEY = 'cad110.mute';
let ctx: AudioContext | undefined;

/** The page's AudioContext (created on first use, resumed on the first user gesture: browsers start it suspended). */
function audio(): AudioContext | undefined {
  if (typeof window === 'undefined' || !('AudioContext' in window)) return undefined;
  ctx ??= new AudioContext();
  if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
  return ctx;
}

if (typeof window !== 'undefined') {
  const unlock = () => {
    audio();
    window.removeEventListener('pointerdown', unlock);
    window.removeEventListener('keydown', unlock);
  };
  window.addEventListener('pointerdown', unlock);
  window.addEventListener('keydown', unlock);
}

/** Tone patterns: P1 three high beeps, P2 two, an overdue unit / red timer one low long beep. */
export type ToneKind = 'p1' | 'p2' | 'overdue' | 'red';
const PATTERNS: Record<ToneKind, { hz: number; ms: number; count: number }> = {
  p1: { hz: 1046, ms: 180, count: 3 },
  p2: { hz: 880, ms: 180, count: 2 },
  overdue: { hz: 523, ms: 450, count: 1 },
  red: { hz: 659, ms: 300, count: 2 },
};

export function isMuted(): boolean {
  return localStorage.getItem(MUTE_KEY) === '1';
}

/** Plays a tone (sine oscillator with a short envelope) unless this console is muted. @returns whether it played */
export function playTone(kind: ToneKind): boolean {
  if (isMuted()) return false;
  const a = audio();
  if (!a) return false;
  const p = PATTERNS[kind];
  const t0 = a.currentTime + 0.01;
  for (let i = 0; i < p.count; i++) {
    const start = t0 + (i * p.ms * 1.6) / 1000;
    const osc = a.createOscillator();
    const gain = a.createGain();
    osc.type = 'sine';
    osc.frequency.value = p.hz;
    gain.gain.setValueAtTime(0, start);
    gain.gain.linearRampToValueAtTime(0.25, start + 0.01);
    gain.gain.setValueAtTime(0.25, start + p.ms / 1000 - 0.03);
    gain.gain.linearRampToValueAtTime(0, start + p.ms / 1000);
    osc.connect(gain).connect(a.destination);
    osc.start(start);
    osc.stop(start + p.ms / 1000 + 0.02);
  }
  return true;
}

/** Asks for the desktop notification permission (once, when the desk opens). */
export function askNotificationPermission(): void {
  if (typeof Notification !== 'undefined' && Notification.permission === 'default') void Notification.requestPermission().catch(() => undefined);
}

/** A desktop notification (when permitted); `tag` replaces an earlier one of the same tag. */
export function notify(title: string, body: string, tag: string): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  try {
    const n = new Notification(title, { body, tag, requireInteraction: false });
    n.onclick = () => window.focus();
  } catch {
    // some browsers only allow notifications from a service worker
  }
}

/** The per-console mute switch: `[muted, toggle]`. */
export function useMute(): [boolean, () => void] {
  const [muted, setMuted] = useState(isMuted);
  useEffect(() => {
    const on = (e: StorageEvent) => e.key === MUTE_KEY && setMuted(isMuted());
    window.addEventListener('storage', on);
    return () => window.removeEventListener('storage', on);
  }, []);
  const toggle = useCallback(() => {
    const next = !isMuted();
    localStorage.setItem(MUTE_KEY, next ? '1' : '0');
    setMuted(next);
  }, []);
  return [muted, toggle];
}
