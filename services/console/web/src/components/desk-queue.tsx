import type { ReactNode } from 'react';
import { useI18n } from '../i18n';
import { labelOf, type TaxonomyFile } from '../taxonomy';
import { useConsoleConfig } from '../console-config';
import { bureauTime } from '../bureau-time';
import { liveAgeSeconds, timerLevel, useAgeText } from '../timers';
import type { Incident } from '../desk-types';

/**
 * One incident of the pending queue or the in-progress list: queue number (what `G n` / `D unit n`
 * take), priority, subtype, district (zh-CN name) and address when dispatch has it; `children`
 * is the right-hand cell (its timer). Enter or a click selects it.
 */
function IncidentRow(props: { incident: Incident; no?: number; selected: boolean; flash: boolean; onSelect: (id: string) => void; testId: string; taxonomy: TaxonomyFile | undefined; districtName: (k: string | null) => string; children: ReactNode }) {
  const { incident: i, selected, onSelect, testId, taxonomy } = props;
  const { lang } = useI18n();
  return (
    <li
      className={`incident-row${selected ? ' selected' : ''}${props.flash ? ' flash' : ''}`}
      onClick={() => onSelect(i.id)}
      data-testid={testId}
      data-incident-id={i.id}
      data-call-id={i.callId}
      data-priority={i.priority}
      tabIndex={0}
      onKeyDown={(e) => e.key === 'Enter' && onSelect(i.id)}
    >
      {props.no !== undefined && <span className="queue-no">{props.no}</span>}
      <span className={`prio p${i.priority}`}>P{i.priority}</span>
      <span className="incident-what">
        <strong>{labelOf(taxonomy, i.subtype, lang)}</strong>
        <span className="muted small ellipsis">
          {props.districtName(i.district)}
          {i.address ? ` · ${i.address}` : ''}
        </span>
      </span>
      {props.children}
    </li>
  );
}

/**
 * The desk's left column: the pending queue (priority, then age; running timers amber/red by
 * priority) and the incidents in progress, both filtered by the desk's district filter.
 * `flashIds` rows blink (new P1/P2, timer just turned red).
 */
export function QueuePanel(props: {
  pending: Incident[];
  pendingTotal: number | undefined;
  active: Incident[];
  activeTotal: number | undefined;
  selectedId: string | undefined;
  onSelect: (id: string) => void;
  now: number;
  taxonomy: TaxonomyFile | undefined;
  districtName: (k: string | null) => string;
  flashIds: Set<string>;
  loaded: boolean;
  errors: ReactNode;
}) {
  const { t } = useI18n();
  const formatAge = useAgeText();
  const tz = useConsoleConfig()?.timeZone ?? 'Asia/Shanghai';
  const { pending, active, now } = props;
  // a replayed call (the demo's bundled calls) shows its source date, not an age of years
  const replayTag = (at: string) => (
    <span className="timer replay" data-testid="timer" data-level="ok" data-replay="true" title={`${t('replayedHint')} · ${bureauTime(at, tz)}`}>
      {t('replayed')} {bureauTime(at, tz).slice(2, 10)}
    </span>
  );
  return (
    <section className="panel queue" data-testid="queue-panel">
      <div className="panel-head">
        <h2>
          {t('pending')} <span className="count" data-testid="pending-total">{props.pendingTotal ?? '…'}</span>
        </h2>
        <span className="muted small">{t('queueHint')}</span>
      </div>
      {props.errors}
      <div className="panel-scroll grow">
        {pending.length === 0 && <div className="muted empty">{props.loaded ? t('noPending') : t('loading')}</div>}
        <ol className="incident-list" data-testid="incident-list">
          {pending.map((i, k) => {
            const age = liveAgeSeconds(i, i.answeredAt, now);
            const level = age === undefined ? 'ok' : timerLevel(age, i.priority);
            return (
              <IncidentRow key={i.id} incident={i} no={k + 1} selected={i.id === props.selectedId} flash={props.flashIds.has(i.id)} onSelect={props.onSelect} testId="incident-row" taxonomy={props.taxonomy} districtName={props.districtName}>
                {age === undefined ? (
                  replayTag(i.answeredAt)
                ) : (
                  <span className={`timer ${level}`} data-testid="timer" data-level={level} title={t('age')}>
                    {formatAge(age)}
                  </span>
                )}
              </IncidentRow>
            );
          })}
        </ol>
      </div>
      <div className="panel-head sub">
        <h2>
          {t('inProgress')} <span className="count" data-testid="active-total">{props.activeTotal ?? '…'}</span>
        </h2>
      </div>
      <div className="panel-scroll shrink">
        <ol className="incident-list" data-testid="active-list">
          {active.map((i) => (
            <IncidentRow key={i.id} incident={i} selected={i.id === props.selectedId} flash={false} onSelect={props.onSelect} testId="active-row" taxonomy={props.taxonomy} districtName={props.districtName}>
              {liveAgeSeconds(i, i.openedAt, now) === undefined ? replayTag(i.openedAt) : <span className="muted small tabular">{formatAge((now - Date.parse(i.openedAt)) / 1000)}</span>}
            </IncidentRow>
          ))}
        </ol>
      </div>
    </section>
  );
}
