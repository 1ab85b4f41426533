import { haversineMetres, isLatLon } from '@cad110/geo';
import type { CategoryCompatibility, CategoryRelation } from './rules';

/** What is known about the call being checked (an existing call, or the form being typed). */
export interface DuplicateSubject {
  /** the call itself, never its own candidate */
  callId?: string;
  /** reference instant (UTC ISO-8601): the call's answer time, or now while typing */
  at: string;
  lat?: number | null;
  lon?: number | null;
  /** normalised caller number (see {@link normaliseNumber}) */
  callerNumber?: string | null;
  category?: string | null;
  subtype?: string | null;
}

/** A stored call the lookup found in the window (one row of the read model). */
export interface CandidateRow {
  id: string;
  status: string;
  answeredAt: Date;
  category: string | null;
  subtype: string | null;
  priority: number | null;
  lat: number | null;
  lon: number | null;
  district: string | null;
  beat: string | null;
  address: string | null;
  sameCaller: boolean;
}

export type MatchReason = 'near' | 'same-caller-number' | 'close-in-time' | Exclude<CategoryRelation, 'incompatible'>;

/** A proposed duplicate. The call taker links it or confirms the call as new. */
export interface DuplicateCandidate {
  callId: string;
  status: string;
  answeredAt: string;
  category: string | null;
  subtype: string | null;
  priority: number | null;
  district: string | null;
  beat: string | null;
  address: string | null;
  /** great-circle distance, metres (rounded to 1 m); null when either call has no coordinates */
  distanceMetres: number | null;
  /** |answer time difference|, seconds */
  secondsApart: number;
  /** 0..1, higher = more likely the same event; see README "Duplicate detection" */
  score: number;
  reasons: MatchReason[];
}

/** Weights of the score (sum 1). */
export const WEIGHTS = { distance: 0.4, time: 0.25, category: 0.15, caller: 0.2 } as const;

const CATEGORY_POINTS: Record<Exclude<CategoryRelation, 'incompatible'>, number> = {
  'same-subtype': 1,
  'same-category': 0.7,
  unclassified: 0.5,
  'compatible-category': 0.4,
};

/** Digits of a phone number with an optional leading `+` (spaces, dashes and brackets removed). */
export function normaliseNumber(n: string | null | undefined): string | null {
  if (!n) return null;
  const t = n.trim();
  const digits = t.replace(/[^0-9]/g, '');
  if (!digits) return null;
  return t.startsWith('+') ? `+${digits}` : digits;
}

/**
 * Scores one row against the subject, or returns null when it is not a candidate:
 * a row is a candidate when it is within the window AND (it is within `radiusMetres` with a
 * compatible category, OR it has the same caller number).
 *
 * score = 0.40·(1 − d/R) [when within R] + 0.25·(1 − Δt/W) + 0.15·c + 0.20·[same caller]
 * with c = 1 same subtype, 0.7 same category, 0.5 either unclassified, 0.4 compatible category.
 */
export function scoreCandidate(subject: DuplicateSubject, row: CandidateRow, radiusMetres: number, windowSeconds: number, compat: CategoryCompatibility): DuplicateCandidate | null {
  if (subject.callId && row.id === subject.callId) return null;
  const secondsApart = Math.abs(row.answeredAt.getTime() - Date.parse(subject.at)) / 1000;
  if (secondsApart > windowSeconds) return null;
  const here = { lat: subject.lat ?? undefined, lon: subject.lon ?? undefined };
  const there = { lat: row.lat ?? undefined, lon: row.lon ?? undefined };
  const distance = isLatLon(here) && isLatLon(there) ? haversineMetres(here, there) : null;
  const relation = compat.relate(subject, row);
  const near = distance !== null && distance <= radiusMetres && relation !== 'incompatible';
  if (!near && !row.sameCaller) return null;

  const reasons: MatchReason[] = [];
  if (near) reasons.push('near');
  if (row.sameCaller) reasons.push('same-caller-number');
  reasons.push('close-in-time');
  if (relation !== 'incompatible') reasons.push(relation);
  const score =
    (near ? WEIGHTS.distance * (1 - distance! / radiusMetres) : 0) +
    WEIGHTS.time * (1 - secondsApart / windowSeconds) +
    (relation === 'incompatible' ? 0 : WEIGHTS.category * CATEGORY_POINTS[relation]) +
    (row.sameCaller ? WEIGHTS.caller : 0);
  return {
    callId: row.id,
    status: row.status,
    answeredAt: row.answeredAt.toISOString(),
    category: row.category,
    subtype: row.subtype,
    priority: row.priority,
    district: row.district,
    beat: row.beat,
    address: row.address,
    distanceMetres: distance === null ? null : Math.round(distance),
    secondsApart: Math.round(secondsApart),
    score: Math.round(score * 1000) / 1000,
    reasons,
  };
}
