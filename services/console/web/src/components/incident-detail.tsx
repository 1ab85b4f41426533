import { useMemo } from 'react';
import { useConsoleConfig } from '../console-config';
import { splitSop } from '../dispatch-logic';
import { useI18n } from '../i18n';
import { allSubtypes, type TaxonomyFile } from '../taxonomy';
import { formatAge } from '../timers';
import { useApi } from '../use-api';
import { ProblemBox } from './problem';

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

/** `HH:MM:SS` in the bureau's zone. */
function clock(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

/**
 * The selected incident's detail: where (address, location notes, district), the caller's
 * number (masked as intake serves it to dispatchers), what happened (narrative entries with the
 * SOP answers as question/answer pairs), the stage timers (answered → received → dispatched →
 * en route → on scene; the current stage runs), a linked duplicate, and the timeline of all
 * services' events from records (actor and workstation of each).
 */
export function IncidentDetailPanel(props: { callId: string; subtype: string; taxonomy: TaxonomyFile | undefined; stages: StageTimes; now: number; districtName: (k: string | null | undefined) => string; district: string | null; closeReason?: string | null }) {
  const { callId, subtype, taxonomy, stages, now, districtName, district } = props;
  const { t, tx, lang } = useI18n();
  const cfg = useConsoleConfig();
  const tz = cfg?.timeZone ?? 'Asia/Shanghai';
  const call = useApi<CallView>(`/api/intake/calls/${callId}`);
  const cases = useApi<{ items: { id: string }[] }>(`/api/records/cases?callId=${callId}&limit=1`);
  const caseId = cases.data?.items[0]?.id;
  const timeline = useApi<{ entries: TimelineEntry[] }>(caseId ? `/api/records/cases/${caseId}/timeline` : undefined);
  const sop = useMemo(() => (taxonomy ? (allSubtypes(taxonomy).find((s) => s.code === subtype)?.sop ?? []) : []), [taxonomy, subtype]);
  const narrative = useMemo(() => (call.data?.events ?? []).filter((e) => e.type === 'CallNarrativeAppended').map((e) => String(e.data.text ?? '')), [call.data]);
  const { text, answers } = useMemo(() => splitSop(narrative, sop, lang), [narrative, sop, lang]);
  const loc = call.data?.state.location;
  const order: (keyof StageTimes)[] = ['answered', 'received', 'dispatched', 'enRoute', 'onScene'];
  const reached = order.filter((k) => stages[k]);
  const last = reached[reached.length - 1];
  return (
    <div className="detail-body" data-testid="incident-info">
      <div className="detail-where">
        <div className="detail-address" data-testid="incident-address">
          <span className="muted small">{t('location')}</span> <strong>{loc?.address ?? (call.data ? t('noAddress') : '…')}</strong>
        </div>
        <div className="muted small">
          {t('district')} {districtName(district ?? loc?.district)}
          {loc?.lat !== undefined && loc?.lon !== undefined && ` · ${loc.lat.toFixed(5)}, ${loc.lon.toFixed(5)}`}
          {loc?.source && ` · ${loc.source}`}
        </div>
        {call.data?.callerNumber && (
          <div className="small" data-testid="caller-number">
            <span className="muted">{t('caller')}</span> <code>{call.data.callerNumber}</code>
          </div>
        )}
      </div>
      <div className="stage-timers" data-testid="stage-timers">
        {order.map((k, idx) => {
          const at = stages[k];
          const next = order.slice(idx + 1).map((n) => stages[n]).find(Boolean);
          const running = k === last && k !== 'onScene';
          const secs = at ? ((next ? Date.parse(next) : running ? now : Date.parse(at)) - Date.parse(at)) / 1000 : undefined;
          return (
            <div key={k} className={`stage${at ? ' reached' : ''}${running ? ' running' : ''}`} data-stage={k}>
              <span className="muted small">{t(`stage.${k}` as never)}</span>
              <strong>{at ? clock(at, tz) : '—'}</strong>
              {at && k !== 'onScene' && <span className="small">{next || running ? `+${formatAge(secs ?? 0)}` : ''}</span>}
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
      {text.length > 0 && (
        <div className="narrative" data-testid="incident-narrative">
          <div className="muted small">{t('narrativeNotes')}</div>
          {text.map((l, i) => (
            <p key={i}>{l}</p>
          ))}
        </div>
      )}
      {call.data?.state.duplicateOf && (
        <div className="small" data-testid="incident-duplicate">
          {t('duplicates')}: <code>{(call.data.state.duplicateOf.incidentId ?? call.data.state.duplicateOf.callId ?? '').slice(0, 8)}</code>
        </div>
      )}
      {call.error && <ProblemBox error={call.error} />}
      <details className="timeline" data-testid="incident-timeline">
        <summary>
          {t('timeline')} <span className="count">{timeline.data?.entries.length ?? 0}</span>
        </summary>
        {!timeline.data?.entries.length && <div className="muted small">{t('noTimeline')}</div>}
        <ol>
          {(timeline.data?.entries ?? []).map((e) => (
            <li key={e.eventId} className="small">
              <code>{clock(e.occurredAt, tz)}</code> {e.type} <span className="muted">{[e.source, e.actor?.id, e.workstation].filter(Boolean).join(' · ')}</span>
            </li>
          ))}
        </ol>
      </details>
    </div>
  );
}
