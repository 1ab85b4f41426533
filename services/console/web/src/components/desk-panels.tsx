/**
 * Side panels of the call-taker desk (issue 16): the ringing 110 line, duplicate candidates,
 * caller / location history with flags. Data from intake through the gateway:
 * GET /telephony/ringing, POST /duplicates/search, POST /history/search (numbers stay out of URLs).
 */
import { useI18n } from '../i18n';
import { labelOf, type TaxonomyFile } from '../taxonomy';

export interface Ring {
  ringId: string;
  line: string | null;
  number: string | null;
  lat: number | null;
  lon: number | null;
  uncertaintyMetres: number | null;
  reportedCrs: string;
  ringingAt: string;
  answeredAt: string | null;
}

export interface Candidate {
  callId: string;
  status: string;
  answeredAt: string;
  category: string | null;
  subtype: string | null;
  priority: number | null;
  district: string | null;
  address: string | null;
  distanceMetres: number | null;
  secondsApart: number;
  score: number;
  reasons: string[];
}

export interface HistoryCall {
  callId: string;
  answeredAt: string;
  status: string;
  outcomeDetail: string | null;
  category: string | null;
  subtype: string | null;
  priority: number | null;
  address: string | null;
  distanceMetres: number | null;
}

export interface History {
  at: string;
  byNumber: { last24h: number; last30d: number; calls: HistoryCall[] } | null;
  nearby: { radiusMetres: number; last30d: number; calls: HistoryCall[] } | null;
  flags: { flagId: string; kind: 'location' | 'person'; label: string; note: string | null; distanceMetres: number | null }[];
}

/** "12 分钟前" / "3 h ago": the age of an instant at `now` (ms). */
export function useAge() {
  const { t } = useI18n();
  return (iso: string, now: number) => {
    const s = Math.max(0, (now - Date.parse(iso)) / 1000);
    if (s < 60) return `${Math.round(s)} ${t('secondsAgo')}`;
    if (s < 3600) return `${Math.round(s / 60)} ${t('minutesAgo')}`;
    if (s < 86_400) return `${Math.round(s / 3600)} ${t('hoursAgo')}`;
    return `${Math.round(s / 86_400)} ${t('daysAgo')}`;
  };
}

export function RingBanner({ rings, now, onAnswer }: { rings: Ring[]; now: number; onAnswer: (r: Ring) => void }) {
  const { t } = useI18n();
  if (!rings.length) return null;
  return (
    <div className="ring-banner" data-testid="ringing" role="alert">
      {rings.slice(0, 3).map((r, i) => (
        <div key={r.ringId} className="ring-row" data-ring-id={r.ringId}>
          <span className="ring-icon">☎</span>
          <strong>{t('ringing')}</strong> <span data-testid="ring-number">{r.number ?? '—'}</span>
          {r.line && <span className="muted small"> · {r.line}</span>}
          <span className="muted small">
            {' '}
            · {t('ringingFor')} {Math.max(0, Math.round((now - Date.parse(r.ringingAt)) / 1000))} {t('seconds')}
          </span>
          {i === 0 && (
            <button type="button" className="primary" data-testid="answer-ring" onClick={() => onAnswer(r)}>
              {t('answerRing')}
            </button>
          )}
        </div>
      ))}
    </div>
  );
}

function reasonsText(reasons: string[], tx: (k: string) => string): string {
  return reasons.map((r) => tx(`reason.${r}`)).join(' · ');
}

export function DuplicatePanel({ candidates, taxonomy, now, busy, onLink }: { candidates: Candidate[] | undefined; taxonomy: TaxonomyFile | undefined; now: number; busy: boolean; onLink: (c: Candidate) => void }) {
  const { t, tx, lang } = useI18n();
  const age = useAge();
  return (
    <div className={`panel dup-panel${candidates?.length ? ' has-dups' : ''}`} data-testid="duplicates" data-count={candidates?.length ?? 0}>
      <div className="panel-head">
        <h2>
          {t('duplicates')} {candidates?.length ? <span className="count-badge">{candidates.length}</span> : null}
        </h2>
        {candidates?.length ? <span className="muted small">{t('linkHint')}</span> : null}
      </div>
      {!candidates?.length && <div className="muted small">{t('noDuplicates')}</div>}
      <ol className="dup-list">
        {(candidates ?? []).slice(0, 9).map((c, i) => (
          <li key={c.callId} data-testid="duplicate" data-call-id={c.callId}>
            <div className="dup-main">
              <span className="key-hint">Alt+{i + 1}</span>
              {c.priority ? <span className={`prio p${c.priority}`}>P{c.priority}</span> : null} <strong>{labelOf(taxonomy, c.subtype ?? c.category, lang)}</strong>{' '}
              <span className="muted">{tx(`status.${c.status}`)}</span>
            </div>
            <div className="dup-facts">
              <span data-testid="dup-distance">{c.distanceMetres === null ? '—' : `${Math.round(c.distanceMetres)} ${t('metres')}`}</span>
              <span data-testid="dup-age">{age(c.answeredAt, now)}</span>
              <span>
                {t('score')} {c.score.toFixed(2)}
              </span>
              <span className="muted">{reasonsText(c.reasons, tx)}</span>
            </div>
            {c.address && <div className="muted small">{c.address}</div>}
            <button type="button" disabled={busy} onClick={() => onLink(c)} data-testid="link-duplicate">
              {t('linkDuplicate')}
            </button>
          </li>
        ))}
      </ol>
    </div>
  );
}

function HistoryList({ calls, taxonomy, now, showDistance }: { calls: HistoryCall[]; taxonomy: TaxonomyFile | undefined; now: number; showDistance: boolean }) {
  const { t, tx, lang } = useI18n();
  const age = useAge();
  return (
    <ul className="hist-list">
      {calls.slice(0, 8).map((c) => (
        <li key={c.callId} data-testid="history-call" data-call-id={c.callId}>
          <span className="muted small">{age(c.answeredAt, now)}</span> <strong>{labelOf(taxonomy, c.subtype ?? c.category, lang)}</strong>{' '}
          <span className={`outcome outcome-${c.status}`}>
            {tx(`status.${c.status}`)}
            {c.outcomeDetail ? ` · ${c.status === 'cancelled' ? tx(`cancel.${c.outcomeDetail}`) : tx(`transfer.${c.outcomeDetail}`)}` : ''}
          </span>
          {showDistance && c.distanceMetres !== null && (
            <span className="muted small">
              {' '}
              · {c.distanceMetres} {t('metres')}
            </span>
          )}
          {c.address && <span className="muted small"> · {c.address}</span>}
        </li>
      ))}
    </ul>
  );
}

export function HistoryPanel({ history, taxonomy, now }: { history: History | undefined; taxonomy: TaxonomyFile | undefined; now: number }) {
  const { t, tx } = useI18n();
  const empty = !history || ((history.byNumber?.last30d ?? 0) === 0 && (history.nearby?.last30d ?? 0) === 0 && history.flags.length === 0);
  return (
    <div className="panel hist-panel" data-testid="history">
      <div className="panel-head">
        <h2>{t('history')}</h2>
      </div>
      {history?.flags.length ? (
        <div className="flags" data-testid="flags">
          {history.flags.map((f) => (
            <div key={f.flagId} className={`flag flag-${f.kind}`} data-testid="flag">
              ⚠ <strong>{tx(`flag.${f.kind}`)}</strong> {f.label}
              {f.note ? <span className="small"> · {f.note}</span> : null}
              {f.distanceMetres !== null ? <span className="small"> · {f.distanceMetres} {t('metres')}</span> : null}
            </div>
          ))}
        </div>
      ) : null}
      {empty && <div className="muted small">{t('noHistory')}</div>}
      {history?.byNumber && history.byNumber.last30d > 0 && (
        <div className="hist-block" data-testid="history-number">
          <div className="hist-head">
            {t('byNumber')}: {t('last24h')} <strong data-testid="history-24h">{history.byNumber.last24h}</strong> · {t('last30d')} <strong data-testid="history-30d">{history.byNumber.last30d}</strong>
          </div>
          <HistoryList calls={history.byNumber.calls} taxonomy={taxonomy} now={now} showDistance={false} />
        </div>
      )}
      {history?.nearby && history.nearby.last30d > 0 && (
        <div className="hist-block" data-testid="history-nearby">
          <div className="hist-head">
            {t('nearby')}: <strong data-testid="history-nearby-count">{history.nearby.last30d}</strong>
          </div>
          <HistoryList calls={history.nearby.calls} taxonomy={taxonomy} now={now} showDistance />
        </div>
      )}
    </div>
  );
}
