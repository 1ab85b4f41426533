/**
 * Pure logic of the dispatcher desk (no React, no fetch), unit-tested in dispatch-logic.unit.spec.ts:
 * the command line, SOP answers out of a narrative, recommendation reasons as codes, unit
 * time-in-status levels and response-circle radii.
 */
import type { TimerLevel } from './timers';

/** A reason as a code with parameters, rendered by the UI's i18n (`reason.<code>`). */
export interface ReasonCode {
  code: string;
  params?: Record<string, string | number>;
}

/** What a recommended unit looks like here (the contract's Recommendation, the fields this uses). */
export interface RecLike {
  unitId: string;
  callSign: string;
  unitType: string;
  etaSeconds: number | null;
  distanceMetres: number | null;
  rank: number;
  role?: 'primary' | 'alternate';
  need?: number;
  scoreSeconds?: number | null;
  /** reason codes, when dispatch sends them (preferred over the derived ones) */
  reasonCodes?: ReasonCode[];
}

/**
 * The reasons of a recommendation as codes, derived from its structured fields and the unit and
 * incident as the desk has them (so no English sentence from the server reaches the Chinese UI):
 * district (same / from), ETA or why there is none, the unit's position source (GPS fix age or
 * post), the run card's role and preference bonus. Dispatch's own `reasonCodes` win when present.
 */
export function reasonCodes(
  r: RecLike,
  unit: { district: string; avlAt?: string | null } | undefined,
  incident: { district: string | null; lat: number | null; lon: number | null },
  now: number,
  avlFreshSeconds = 120,
): ReasonCode[] {
  if (r.reasonCodes?.length) return r.reasonCodes;
  const out: ReasonCode[] = [];
  if (r.role === 'primary') out.push({ code: 'run-card-primary', params: { need: (r.need ?? 0) + 1 } });
  else if (r.role === 'alternate') out.push({ code: 'alternate' });
  if (unit) out.push(incident.district && unit.district === incident.district ? { code: 'same-district' } : { code: 'from-district', params: { district: unit.district } });
  if (incident.lat === null || incident.lon === null) out.push({ code: 'no-incident-location' });
  else if (r.etaSeconds === null) out.push({ code: 'no-unit-position' });
  if (unit?.avlAt) {
    const age = Math.max(0, Math.round((now - Date.parse(unit.avlAt)) / 1000));
    out.push(age <= avlFreshSeconds ? { code: 'avl-fix', params: { age } } : { code: 'at-post' });
  } else if (unit) out.push({ code: 'at-post' });
  if (r.etaSeconds !== null && r.scoreSeconds !== null && r.scoreSeconds !== undefined && r.scoreSeconds < r.etaSeconds) out.push({ code: 'run-card-bonus', params: { seconds: Math.round(r.etaSeconds - r.scoreSeconds) } });
  return out;
}

/** Statuses as the command line accepts them (short forms a dispatcher types, and the full names). */
export const STATUS_ALIASES: Record<string, string> = {
  er: 'en-route',
  'en-route': 'en-route',
  os: 'on-scene',
  'on-scene': 'on-scene',
  tr: 'transporting',
  transporting: 'transporting',
  cl: 'cleared',
  cleared: 'cleared',
  oos: 'out-of-service',
  'out-of-service': 'out-of-service',
  av: 'available',
  available: 'available',
};

/** A parsed dispatcher command. Incident and unit references are as typed; the desk resolves them. */
export type Command =
  | { kind: 'dispatch'; unit: string; incident?: string }
  | { kind: 'status'; unit: string; status: string }
  | { kind: 'cancel'; incident?: string; reason: string }
  | { kind: 'close'; incident?: string; disposition: string }
  | { kind: 'select'; incident: string }
  | { kind: 'recompute' }
  | { kind: 'note'; text: string }
  | { kind: 'priority'; priority: number; reason: string }
  | { kind: 'link'; incident: string }
  | { kind: 'ack'; alert?: string }
  | { kind: 'send' }
  | { kind: 'mute' }
  | { kind: 'help' }
  | { kind: 'error'; message: 'commandUnknown' };

/**
 * Parses the command line: `D <unit> [incident]`, `S <unit> <status>`, `C [incident] [reason]`,
 * `X [incident] [disposition]`, `G <incident>`, `R`, `N <note text>`, `P <1-4> [reason]`,
 * `L <incident>` (the selected incident is a duplicate of it), `A [alert no.]` (acknowledge),
 * `F` (find and send any free unit), `M` (mute), `?`/`H`. Letters are case-insensitive.
 * An incident reference is a queue number (`#2` or `2`) or an id prefix; a unit is an id or call sign.
 */
export function parseCommand(line: string): Command {
  const parts = line.trim().split(/\s+/).filter(Boolean);
  const verb = (parts[0] ?? '').toUpperCase();
  const a = parts.slice(1);
  switch (verb) {
    case 'D':
      return a[0] ? { kind: 'dispatch', unit: a[0], ...(a[1] ? { incident: a[1] } : {}) } : { kind: 'error', message: 'commandUnknown' };
    case 'S': {
      const status = STATUS_ALIASES[(a[1] ?? '').toLowerCase()];
      return a[0] && status ? { kind: 'status', unit: a[0], status } : { kind: 'error', message: 'commandUnknown' };
    }
    case 'C':
      return { kind: 'cancel', ...(a[0] && !isDispositionLike(a[0]) ? { incident: a[0] } : {}), reason: (a[0] && isDispositionLike(a[0]) ? a[0] : a[1]) ?? 'other' };
    case 'X':
      return { kind: 'close', ...(a[0] && !isDispositionLike(a[0]) ? { incident: a[0] } : {}), disposition: (a[0] && isDispositionLike(a[0]) ? a[0] : a[1]) ?? 'resolved-by-phone' };
    case 'G':
      return a[0] ? { kind: 'select', incident: a[0] } : { kind: 'error', message: 'commandUnknown' };
    case 'R':
      return { kind: 'recompute' };
    case 'N': {
      const text = line.trim().slice(1).trim();
      return text ? { kind: 'note', text } : { kind: 'error', message: 'commandUnknown' };
    }
    case 'P': {
      const p = Number(a[0]);
      return Number.isInteger(p) && p >= 1 && p <= 4 ? { kind: 'priority', priority: p, reason: a.slice(1).join(' ') || 'dispatcher' } : { kind: 'error', message: 'commandUnknown' };
    }
    case 'L':
      return a[0] ? { kind: 'link', incident: a[0] } : { kind: 'error', message: 'commandUnknown' };
    case 'A':
      return { kind: 'ack', ...(a[0] ? { alert: a[0] } : {}) };
    case 'F':
      return { kind: 'send' };
    case 'M':
      return { kind: 'mute' };
    case '?':
    case 'H':
      return { kind: 'help' };
    default:
      return { kind: 'error', message: 'commandUnknown' };
  }
}

/** Dispositions and cancel reasons a dispatcher picks (codes, translated as `disposition.<code>`). */
export const DISPOSITIONS = ['resolved-by-phone', 'advice-given', 'referred', 'no-police-matter', 'false-report', 'duplicate', 'caller-cancelled', 'other'] as const;

function isDispositionLike(s: string): boolean {
  return (DISPOSITIONS as readonly string[]).includes(s);
}

/** Resolves an incident reference: `#n`/`n` = n-th of `queue` (1-based), else the incident whose id starts with it. */
export function resolveIncident<T extends { id: string }>(ref: string | undefined, queue: T[], all: T[]): T | undefined {
  if (!ref) return undefined;
  const n = /^#?(\d{1,3})$/.exec(ref);
  if (n) return queue[Number(n[1]) - 1];
  const p = ref.toLowerCase();
  const hits = all.filter((i) => i.id.toLowerCase().startsWith(p));
  return hits.length === 1 ? hits[0] : undefined;
}

/** Resolves a unit reference by id or call sign (case-insensitive, exact). */
export function resolveUnit<T extends { id: string; callSign: string }>(ref: string, units: T[]): T | undefined {
  const r = ref.toLowerCase();
  return units.find((u) => u.id.toLowerCase() === r) ?? units.find((u) => u.callSign.toLowerCase() === r);
}

/** One SOP question and its answer. */
export interface SopAnswer {
  question: string;
  answer: string;
}

/**
 * Splits a call's narrative into free text and SOP answers: the call-taker desk appends each
 * answered SOP question as a line `<question> <answer>` (in the language of the call taker's UI),
 * so a line that starts with one of the subtype's questions (either language) is a Q/A pair.
 * The question is returned in `lang`.
 */
export function splitSop(narrative: string[], sop: { zh: string; en: string }[], lang: 'zh' | 'en'): { text: string[]; answers: SopAnswer[] } {
  const text: string[] = [];
  const answers: SopAnswer[] = [];
  for (const entry of narrative) {
    for (const line of entry.split('\n')) {
      const l = line.trim();
      if (!l) continue;
      const q = sop.find((s) => l.startsWith(`${s.zh} `) || l.startsWith(`${s.en} `));
      if (q) answers.push({ question: q[lang], answer: l.slice((l.startsWith(`${q.zh} `) ? q.zh : q.en).length + 1).trim() });
      else text.push(l);
    }
  }
  return { text, answers };
}

/** The unit board level of a unit `seconds` in `status` under `thresholds` (statuses without one stay ok). */
export function unitTimeLevel(status: string, seconds: number, thresholds: Record<string, { amber: number; red: number }> | undefined): TimerLevel {
  const t = thresholds?.[status];
  if (!t) return 'ok';
  return seconds >= t.red ? 'red' : seconds >= t.amber ? 'amber' : 'ok';
}

/** What the ETA model (`GET /dispatch/eta-model`) says the circles need: seconds, speed by mode and band, circuity. */
export interface EtaModelLike {
  circuity: { value: number };
  timeBands: { bands: { name: string; windows: [string, string][] }[] };
  modes: Record<string, { metresPerSecond: Record<string, number> }>;
  circles: { oneMinuteSeconds: number; threeMinuteSeconds: number; fiveMinuteSeconds: number };
}

const minuteOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Radii (metres) of the 1/3/5-minute response circles for a car in the local `minute` of day,
 * with dispatch's ETA model inverted: metres = seconds × speed(car-urban, band) ÷ circuity
 * (the same straight-line model dispatch ranks units with: services/dispatch/config/eta.json).
 */
export function circleRadii(model: EtaModelLike | undefined, minute: number, mode = 'car-urban'): number[] {
  if (!model) return [];
  const band = model.timeBands.bands.find((b) => b.windows.some(([s, e]) => (minuteOf(s) <= minuteOf(e) ? minute >= minuteOf(s) && minute < minuteOf(e) : minute >= minuteOf(s) || minute < minuteOf(e))));
  const mps = band ? model.modes[mode]?.metresPerSecond[band.name] : undefined;
  if (!mps) return [];
  const c = model.circles;
  return [c.oneMinuteSeconds, c.threeMinuteSeconds, c.fiveMinuteSeconds].map((s) => Math.round((s * mps) / model.circuity.value));
}

/** The local minute of day (0..1439) of `at` in an IANA zone. */
export function localMinute(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(at));
  const h = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const m = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  return h * 60 + m;
}
