/**
 * The records desk's shapes (cases and their timeline as records' API answers them) and the
 * helpers its views share: times in the bureau's zone, file downloads with the bearer token,
 * the one-line summary of a timeline event.
 */
import { ApiError, currentToken } from './api';
import { bureauTime } from './bureau-time';
import { useConsoleConfig } from './console-config';

/** GA/T 2000.152-style outcome codes records accepts (libs/contracts DispositionCode). */
export const DISPOSITION_CODES = ['solved', 'suspects-caught', 'dispute-mediated', 'people-rescued', 'no-offence-found', 'advice-given', 'transferred', 'false-report', 'unresolved'] as const;

export interface CaseRow {
  id: string;
  caseNumber: string;
  callId: string;
  incidentId: string;
  status: 'open' | 'closed';
  category: string;
  subtype: string;
  priority: number | null;
  district: string | null;
  beat: string | null;
  openedAt: string;
  closedAt: string | null;
  dispositionCodes: string[];
  suspectsCaught: number;
  peopleRescued: number;
  version: number;
  reopenCount: number;
}

export interface CaseDetail extends CaseRow {
  parties: { partyId: string; role: string; addedAt: string; addedBy: string }[];
  narratives: { eventId: string; text: string; author: string; at: string }[];
  dispositions: { eventId: string; by: string; codes: string[]; suspectsCaught?: number; peopleRescued?: number; note?: string; recordedAt?: string }[];
}

export interface TimelineEntry {
  eventId: string;
  type: string;
  source: string;
  occurredAt: string;
  actor: { id: string; role?: string | null };
  workstation: string | null;
  data: Record<string, unknown>;
}

/** Downloads a GET answer as a file (the gateway needs the bearer token, so not a plain link). */
export async function download(path: string, filename: string): Promise<void> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${currentToken()}` }, cache: 'no-store' });
  if (!res.ok) throw new ApiError(res.status, res.statusText, undefined, [], 'GET', path);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** One instant in the bureau's zone with its offset, `2026-12-05 17:03:09 +08:00`. */
export function useLocalTime() {
  const zone = useConsoleConfig()?.timeZone ?? 'Asia/Shanghai';
  return (iso: string | null | undefined) => bureauTime(iso, zone);
}

/** What an event on the timeline says, short (codes translated; no personal data is on the timeline). */
export function summary(e: TimelineEntry, tx: (k: string) => string, label: (code: string) => string): string {
  const d = e.data;
  switch (e.type) {
    case 'CallNarrativeAppended':
    case 'CaseNarrativeAdded':
      return String(d.text ?? '');
    case 'CallClassified':
      return `${d.subtype ? label(String(d.subtype)) : ''} P${d.priority ?? ''}${d.reason ? ` · ${String(d.reason)}` : ''}`;
    case 'CallLocated':
      return String((d as { address?: string }).address ?? '');
    case 'UnitDispatched':
    case 'UnitStatusChanged':
      return `${d.unitId ?? ''} ${d.to ? tx(`unit.${String(d.to)}`) : ''}`;
    case 'CallLinkedAsDuplicate':
      return `↩ ${String(d.callId ?? '').slice(0, 8)}`;
    case 'DispositionRecorded':
      return ((d.codes as string[]) ?? []).map((c) => tx(`disp.${c}`)).join('、');
    case 'CaseReopened':
      return String(d.reason ?? '');
    default:
      return '';
  }
}
