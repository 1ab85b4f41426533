import { useEffect, useMemo, useRef, useState } from 'react';
import { currentRole, get } from '../api';
import { useConsoleConfig } from '../console-config';
import { splitSop } from '../dispatch-logic';
import { useI18n } from '../i18n';
import { allSubtypes, type TaxonomyFile } from '../taxonomy';
import { useAgeText } from '../timers';
import { useApi } from '../use-api';
import { useLiveRefresh } from '../live';
import { IncidentLinks } from './incident-links';
import { ProblemBox } from './problem';
import type { IncidentDetail } from '../desk-types';
import { bureauOffset, bureauTime } from '../bureau-time';

/** `GET /api/intake/calls/{id}` as the detail needs it (the caller number comes masked). */
export interface CallView {
  callId: string;
  callerNumber?: string;
  state: {
    status: string;
    location?: { address?: string; lat?: number; lon?: number; district?: string; beat?: string; source?: string };
    timings: { ringingAt?: string; answeredAt?: string; handedAt?: string };
    duplicateOf?: { callId?: string; incidentId?: string };
  };
  events: { type: string; occurredAt?: string; data: Record<string, unknown> }[];
}

/** One entry of `GET /api/records/cases/{id}/timeline`. */
interface TimelineEntry {
  eventId: string;
  type: string;
  source: string;
  occurredAt: string;
  data?: unknown;
  actor?: { id?: string; role?: string } | null;
  workstation?: string | null;
}

/** The stage times of an incident (UTC ISO), earliest first; absent = not reached yet. */
export interface StageTimes {
  answered?: string | null;
  received?: string | null;
  dispatched?: string | null;
  enRoute?: string | null;
  onScene?: string | null;
}

/** `HH:MM:SS ±HH:MM` in the bureau's zone (`withOffset: false`: `HH:MM:SS`, the offset shown once above). */
function clock(iso: string, timeZone: string, withOffset = true): string {
  return bureauTime(iso, timeZone, { withDate: false, withOffset });
}

/**
 * The selected incident's detail: where (address, location notes, district), the caller's
 * number (masked as intake serves it to dispatchers), what happened (narrative entries with the
 * SOP answers as question/answer pairs), the stage timers (answered → received → dispatched →
 * en route → on scene; the current stage runs), a linked duplicate, and the timeline of all
 * services' events from records (actor and workstation of each).
 */
export function IncidentDetailPanel(props: { callId: string; subtype: string; taxonomy: TaxonomyFile | undefined; stages: StageTimes; now: number; districtName: (k: string | null | undefined) => string; district: string | null; closeReason?: string | null; replayed?: boolean; onSelectIncident?: (id: string) => void; detail?: IncidentDetail }) {
  const { callId, subtype, taxonomy, stages, now, districtName, district } = props;
  const { t, tx, lang } = useI18n();
  const ageText = useAgeText();
  const cfg = useConsoleConfig();
  const tz = cfg?.timeZone ?? 'Asia/Shanghai';
  const call = useApi<CallView>(`/api/intake/calls/${callId}`);
  const cases = useApi<{ items: { id: string }[] }>(`/api/records/cases?callId=${callId}&limit=1`);
  const caseId = cases.data?.items[0]?.id;
  const timeline = useApi<{ entries: TimelineEntry[] }>(caseId ? `/api/records/cases/${caseId}/timeline` : undefined);
  // a call linked to this one as a duplicate reaches the timeline once records has projected it:
  // re-read the call and the timeline shortly after each link (the live event has no link target)
  const reloadSoon = useRef({ call: call.reload, cases: cases.reload, timeline: timeline.reload });
  reloadSoon.current = { call: call.reload, cases: cases.reload, timeline: timeline.reload };
  useLiveRefresh(
    (e) => e.type === 'CallLinkedAsDuplicate',
    () => {
      for (const ms of [800, 2500, 6000]) setTimeout(() => (reloadSoon.current.call(), reloadSoon.current.cases(), reloadSoon.current.timeline()), ms);
    },
  );
  const sop = useMemo(() => (taxonomy ? (allSubtypes(taxonomy).find((s) => s.code === subtype)?.sop ?? []) : []), [taxonomy, subtype]);
  const entries = useMemo(() => (call.data?.events ?? []).filter((e) => e.type === 'CallNarrativeAppended'), [call.data]);
  const { text, answers } = useMemo(() => {
    // SOP answers kept as data (intake's `sopAnswers`, question by index in the UI's language);
    // narratives recorded before that carry them only as `<question> <answer>` lines
    const split = splitSop(entries.map((e) => String(e.data.text ?? '')), sop, lang);
    const fromDispatch = props.detail?.sopAnswers ?? [];
    const data = fromDispatch.length ? fromDispatch : entries.flatMap((e) => (Array.isArray(e.data.sopAnswers) ? (e.data.sopAnswers as { index: number; question: string; answer: string }[]) : []));
    if (!data.length) return split;
    return { text: split.text, answers: data.map((a) => ({ question: sop[a.index]?.[lang] ?? a.question, answer: a.answer })) };
  }, [entries, sop, lang, props.detail?.sopAnswers]);
  // the dispatchers' notes (IncidentNoteAdded) from dispatch's detail, after the call's narrative
  const notes = (props.detail?.narrative ?? []).filter((n) => n.source === 'dispatch');
  const loc = call.data?.state.location;
  const order: (keyof StageTimes)[] = ['answered', 'received', 'dispatched', 'enRoute', 'onScene'];
  const reached = order.filter((k) => stages[k]);
  const last = reached[reached.length - 1];
  return (
    <div className="detail-body" data-testid="incident-info">
      <div className="detail-where">
        <div className="detail-address" data-testid="incident-address">
          <span className="muted small">{t('location')}</span> <strong>{loc?.address ?? props.detail?.address ?? props.detail?.locationText ?? (call.data ? t('noAddress') : '…')}</strong>
        </div>
        <div className="muted small">
          {t('district')} {districtName(district ?? loc?.district)}
          {loc?.lat !== undefined && loc?.lon !== undefined && ` · ${loc.lat.toFixed(5)}, ${loc.lon.toFixed(5)}`}
          {loc?.source && ` · ${tx(`locSource.${loc.source}`)}`}
        </div>
        {call.data?.callerNumber && <CallerNumber callId={callId} masked={call.data.callerNumber} />}
      </div>
      <div className="stage-head muted small">
        {t('stageTimes')} <span data-testid="stage-offset">({props.replayed && stages.answered ? `${t('replayedOn')} ${bureauTime(stages.answered, tz).slice(0, 10)} · ` : ''}{bureauOffset(tz, stages.answered ?? now)})</span>
      </div>
      <div className="stage-timers" data-testid="stage-timers">
        {order.map((k, idx) => {
          const at = stages[k];
          const next = order.slice(idx + 1).map((n) => stages[n]).find(Boolean);
          // a replayed call's stages are the source's times (years ago): its current stage does not run
          const running = k === last && k !== 'onScene' && !props.replayed;
          let secs = at ? ((next ? Date.parse(next) : running ? now : Date.parse(at)) - Date.parse(at)) / 1000 : undefined;
          // from a replayed source time to a live action of today: no meaningful interval
          if (props.replayed && secs !== undefined && secs >= 86400) secs = undefined;
          return (
            <div key={k} className={`stage${at ? ' reached' : ''}${running ? ' running' : ''}`} data-stage={k}>
              <span className="muted small">{t(`stage.${k}` as never)}</span>
              <strong className="nowrap" data-testid="stage-clock">{at ? clock(at, tz, false) : '—'}</strong>
              {at && k !== 'onScene' && <span className="small nowrap">{(next || running) && secs !== undefined ? `+${ageText(secs)}` : '\u00a0'}</span>}
            </div>
          );
        })}
      </div>
      {props.closeReason && (
        <div className="small" data-testid="close-reason">
          {t('disposition')}: <strong>{tx(`disposition.${props.closeReason}`)}</strong>
        </div>
      )}
      {answers.length > 0 && (
        <div className="sop-answers" data-testid="sop-answers">
          <div className="muted small">{t('sopAnswers')}</div>
          <dl>
            {answers.map((a, i) => (
              <div key={i} className="qa" data-testid="sop-answer">
                <dt>{a.question}</dt>
                <dd>{a.answer}</dd>
              </div>
            ))}
          </dl>
        </div>
      )}
      {(text.length > 0 || notes.length > 0) && (
        <div className="narrative" data-testid="incident-narrative">
          <div className="muted small">{t('narrativeNotes')}</div>
          {text.map((l, i) => (
            <p key={i}>{l}</p>
          ))}
          {notes.map((n, i) => (
            <p key={`n${i}`} className="dispatch-note" data-testid="incident-note">
              <span className="muted small">
                {t('dispatcherNote')} {clock(n.at, tz, false)}
                {n.workstation ? ` · ${n.workstation}` : ''}
              </span>{' '}
              {n.text}
            </p>
          ))}
        </div>
      )}
      {(props.detail?.priorityChanges ?? []).length > 0 && (
        <div className="priority-changes" data-testid="priority-changes">
          <div className="muted small">{t('priorityChanges')}</div>
          {props.detail!.priorityChanges!.map((c, i) => (
            <p key={i} className="small" data-testid="priority-change" data-from={c.from} data-to={c.to}>
              <span className="muted">
                {clock(c.at, tz, false)}
                {c.workstation ? ` · ${c.workstation}` : ''}
              </span>{' '}
              P{c.from} → P{c.to} {c.reason}
            </p>
          ))}
        </div>
      )}
      <IncidentLinks callId={callId} entries={timeline.data?.entries} duplicateOf={call.data?.state.duplicateOf} dispatchLinks={props.detail?.duplicates} onSelectIncident={props.onSelectIncident} />
      {call.error && <ProblemBox error={call.error} />}
      <details className="timeline" data-testid="incident-timeline">
        <summary>
          {t('timeline')} <span className="count">{timeline.data?.entries.length ?? 0}</span>
        </summary>
        {!timeline.data?.entries.length && <div className="muted small">{t('noTimeline')}</div>}
        <ol>
          {(timeline.data?.entries ?? []).map((e) => (
            <li key={e.eventId} className="small">
              <code>{clock(e.occurredAt, tz)}</code> {tx(`event.${e.type}`)} <span className="muted">{[e.source, e.actor?.id, e.workstation].filter(Boolean).join(' · ')}</span>
            </li>
          ))}
        </ol>
      </details>
    </div>
  );
}

/** Roles that may see a caller's number in clear (as intake's `maySeeCallerNumbers`, libs/auth). */
const REVEAL_ROLES = ['call_taker', 'supervisor', 'admin'];

/**
 * The caller's number as intake serves it (masked, `138****8000`), with 显示号码 (reveal) for the
 * roles allowed: `GET /api/intake/calls/{id}?reveal=caller`, which the console gateway records in
 * its audit trail (caller_reveal, issue 19.5) before intake answers. The number is kept in this
 * component only, never stored or logged by the desk.
 */
function CallerNumber(props: { callId: string; masked: string }) {
  const { t } = useI18n();
  const [clear, setClear] = useState<string>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    setClear(undefined);
    setFailed(false);
  }, [props.callId]);
  const mayReveal = REVEAL_ROLES.includes(currentRole() ?? '') && props.masked.includes('*');
  const reveal = () =>
    get<{ callerNumber?: string }>(`/api/intake/calls/${encodeURIComponent(props.callId)}?reveal=caller`).then(
      (c) => setClear(c.callerNumber),
      () => setFailed(true),
    );
  return (
    <div className="small" data-testid="caller-number" data-revealed={clear ? 'true' : 'false'}>
      <span className="muted">{t('caller')}</span> <code>{clear ?? props.masked}</code>
      {mayReveal && !clear && (
        <button type="button" className="small-button" onClick={() => void reveal()} data-testid="reveal-caller">
          {t('revealCaller')}
        </button>
      )}
      {failed && <span className="warn-text"> {t('revealFailed')}</span>}
    </div>
  );
}
