import { useCallback, useEffect, useRef, useState } from 'react';
import type { Recommendation } from '@cad110/contracts/src/events/dispatch';
import type { ApiError } from '../api';
import { asApiError, assignUnit, fetchRecs, isStaleRefusal, type LiveRecs } from '../desk-actions';
import { reasonCodes, type ReasonCode } from '../dispatch-logic';
import { MESSAGES, useI18n } from '../i18n';
import { fill } from '../i18n-dispatch';
import { formatAge, formatEta } from '../timers';
import type { Incident, Unit } from '../desk-types';
import { ProblemBox, useProblemText } from './problem';

type Rec = Recommendation & { reasonCodes?: ReasonCode[] };

type AssignState =
  | { unitId: string; state: 'busy' | 'ok' }
  | { unitId: string; state: 'error'; error: ApiError }
  /** the accepted unit was no longer free: `reason` says why, `next` is the best unit now */
  | { unitId: string; state: 'stale'; error: ApiError; reason: ReasonCode; next: Rec | undefined };

/** The 1/3/5-minute circle badges of a unit (lit when its ETA is inside the circle). */
export function CircleBadges({ circles }: { circles: Recommendation['circles'] }) {
  const { t } = useI18n();
  return (
    <span className="circles">
      <span className={`circle ${circles.oneMinute ? 'on' : ''}`} data-testid="circle-1">{t('circle1')}</span>
      <span className={`circle ${circles.threeMinute ? 'on' : ''}`} data-testid="circle-3">{t('circle3')}</span>
      <span className={`circle ${circles.fiveMinute ? 'on' : ''}`} data-testid="circle-5">{t('circle5')}</span>
    </span>
  );
}

/** Renders reason codes in the UI's language (district keys as their zh-CN / English names). */
export function useReasonText(districtName: (k: string | null) => string): (c: ReasonCode) => string {
  const { tx, t, lang } = useI18n();
  return (c) => {
    const p = { ...(c.params ?? {}) };
    if (typeof p.district === 'string') p.district = districtName(p.district);
    if (typeof p.age === 'number') p.age = `${formatAge(p.age)}`;
    if (typeof p.status === 'string') p.status = tx(`unit.${p.status}`);
    if (typeof p.eta === 'number') p.eta = formatEta(p.eta);
    const key = `reason.${c.code}`;
    return key in MESSAGES[lang] ? fill(tx(key), p) : t('reasonUnknown');
  };
}

/**
 * Recommendations of the selected incident, recomputed (`GET .../recommendations`) when the
 * incident is opened on screen, on demand (button / F8: `recomputeNonce`) and after each accept —
 * not on every live event, so what the dispatcher reads does not move under the mouse; its age is
 * shown. Accepting (`POST .../assignments`) a unit that is no longer free (409) re-reads the
 * ranking and offers the next best unit with a plain-language reason instead of the raw refusal.
 * `acceptNonce` (F4) accepts the first one. Reasons are codes rendered by the UI's i18n.
 */
export function RecsPanel(props: {
  incident: Incident;
  units: Unit[];
  now: number;
  districtName: (k: string | null) => string;
  recomputeNonce: number;
  acceptNonce: number;
  onAssigned: () => void;
}) {
  const { incident, units, now } = props;
  const { t, tx } = useI18n();
  const reasonText = useReasonText(props.districtName);
  const problemText = useProblemText();
  const [recs, setRecs] = useState<LiveRecs<Rec>>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(false);
  const [assign, setAssignState] = useState<AssignState>();
  // the latest assign state, for a sequence of accepts (fillRunCard) that reads it between awaits
  const assignRef = useRef<AssignState | undefined>(undefined);
  const setAssign = (a: AssignState | undefined) => {
    assignRef.current = a;
    setAssignState(a);
  };
  // answers are applied in the order asked and never dropped for a newer ask (a recompute on every
  // live event would otherwise starve under load); an answer for another incident is dropped
  const seq = useRef(0);
  const applied = useRef(0);
  const shownIncident = useRef(incident.id);
  shownIncident.current = incident.id;

  const recompute = useCallback(async (): Promise<LiveRecs<Rec> | undefined> => {
    const n = ++seq.current;
    const id = incident.id;
    const current = () => n > applied.current && id === shownIncident.current;
    setLoading(true);
    try {
      const r = await fetchRecs<Rec>(id);
      if (current()) {
        applied.current = n;
        setRecs(r);
        setError(undefined);
      }
      return r;
    } catch (e) {
      if (current()) {
        applied.current = n;
        setError(asApiError(e));
      }
      return undefined;
    } finally {
      if (n === seq.current) setLoading(false);
    }
  }, [incident.id]);

  // another incident: nothing of the last one's answers stays; a recompute keeps what the last accept said
  useEffect(() => {
    setRecs(undefined);
    setAssign(undefined);
  }, [incident.id]);
  useEffect(() => {
    void recompute();
  }, [incident.id, props.recomputeNonce, recompute]);

  const accept = async (r: Rec) => {
    setAssign({ unitId: r.unitId, state: 'busy' });
    try {
      await assignUnit(incident.id, r.unitId);
      setAssign({ unitId: r.unitId, state: 'ok' });
      props.onAssigned();
      void recompute();
    } catch (err) {
      const e = asApiError(err);
      if (!isStaleRefusal(e)) return setAssign({ unitId: r.unitId, state: 'error', error: e });
      // the recommendation went stale: re-read the ranking and offer the best unit now
      const fresh = await recompute();
      const unit = units.find((u) => u.id === r.unitId);
      const status = fresh?.recommendations.some((x) => x.unitId === r.unitId) ? undefined : unit?.status;
      // dispatch's 409 `recommendation-stale` says why and names the next best itself (params
      // `{unitId, callSign, why, next}`); other refusals are read from their code
      const p = e.code === 'recommendation-stale' ? (e.params as { why?: unknown; next?: Rec | null } | undefined) : undefined;
      const why = p?.why && typeof p.why === 'object' && 'code' in p.why ? (p.why as ReasonCode) : undefined;
      const code = typeof p?.why === 'string' ? p.why : e.code;
      const reason: ReasonCode =
        why ?? (code === 'off-duty' || code === 'unit-off-duty' ? { code: 'unit-off-duty', params: { unit: r.callSign } } : code === 'already-assigned' ? { code: 'already-assigned', params: { unit: r.callSign } } : { code: 'unit-not-free', params: { unit: r.callSign, status: status ?? 'busy' } });
      if (why && !why.params?.unit) reason.params = { ...(why.params ?? {}), unit: r.callSign };
      const next = p?.next && p.next.unitId !== r.unitId ? p.next : fresh?.recommendations.find((x) => x.unitId !== r.unitId);
      setAssign({ unitId: r.unitId, state: 'stale', error: e, reason, next });
      props.onAssigned();
    }
  };

  /**
   * Fills the run card in one action: sends, one after the other, every recommended unit that
   * fills one of its needs (`need` set: the primaries). Stops at
   * the first refusal and says which unit and why (a stale one re-reads the ranking, as accept does).
   */
  const fillRunCard = async (primaries: Rec[]) => {
    for (const r of primaries) {
      await accept(r);
      if (assignRef.current?.unitId === r.unitId && assignRef.current.state !== 'ok') return;
    }
  };

  const acceptRef = useRef(accept);
  acceptRef.current = accept;
  useEffect(() => {
    if (props.acceptNonce > 0 && recs?.recommendations[0]) void acceptRef.current(recs.recommendations[0]);
  }, [props.acceptNonce]); // eslint-disable-line react-hooks/exhaustive-deps

  const open = incident.status === 'pending' || incident.status === 'assigned';
  const list = recs?.recommendations ?? [];
  const unmet = recs?.runCard?.unmet ?? [];
  // the units that fill a need of the run card (recommendations are of free units only, so none is on the incident yet)
  const primaries = list.filter((r) => r.need !== undefined);
  return (
    <div className="recs-block" data-testid="recommendations" data-as-of={recs?.asOf ?? ''}>
      <div className="panel-head sub">
        <h2>{t('recommendations')}</h2>
        <span className="muted small" data-testid="recs-age">
          {recs ? `${t('recsAsOf')} ${formatAge((now - Date.parse(recs.asOf)) / 1000)} ${t('ago')}` : loading ? t('loading') : ''}
        </span>
        <button type="button" className="small-button" onClick={() => void recompute()} disabled={loading} data-testid="recompute">
          {t('refreshRecs')}
        </button>
      </div>
      {error && <ProblemBox error={error} />}
      {recs?.locationReason && (
        <div className="small warn-text" data-testid="location-reason" data-code={recs.locationReason.code}>
          {reasonText(recs.locationReason)}
        </div>
      )}
      {assign?.state === 'stale' && (
        <div className="stale-rec" role="alert" data-testid="stale-recommendation" data-unit-id={assign.unitId} data-code={assign.error.code ?? ''}>
          <strong>{t('staleRec')}</strong>：{reasonText(assign.reason)}。
          {assign.next ? (
            <>
              {t('nextBestIs')} <strong data-testid="next-best" data-unit-id={assign.next.unitId}>{assign.next.callSign}</strong> {tx(`unitType.${assign.next.unitType}`)} · {t('eta')} {formatEta(assign.next.etaSeconds)}{' '}
              <button type="button" className="primary" onClick={() => void accept(assign.next!)} data-testid="accept-next">
                {t('nextBest')}
              </button>
            </>
          ) : (
            <span>{t('noRecommendations')}</span>
          )}
        </div>
      )}
      {assign?.state === 'ok' && (
        <div className="accepted" role="status" data-testid="assign-result" data-state="ok" data-unit-id={assign.unitId}>
          ✔ {t('assigned')} {units.find((u) => u.id === assign.unitId)?.callSign ?? assign.unitId}
        </div>
      )}
      {assign?.state === 'error' && (
        <div data-testid="assign-result" data-state="error" data-unit-id={assign.unitId}>
          <ProblemBox error={assign.error} title={t('assignFailed')} />
        </div>
      )}
      {open && recs && list.length === 0 && <div className="muted empty">{t('noRecommendations')}</div>}
      {open && recs?.runCard && primaries.length > 0 && (
        <div className="fill-run-card">
          <button type="button" className="primary" disabled={assign?.state === 'busy'} onClick={() => void fillRunCard(primaries)} data-testid="fill-run-card" data-count={primaries.length}>
            {t('fillRunCard')} ({primaries.map((r) => r.callSign).join('、')})
          </button>
        </div>
      )}
      {unmet.length > 0 && (
        <div className="small warn-text" data-testid="run-card-unmet">
          {t('runCardUnmet')} {unmet.reduce((s, u) => s + u.missing, 0)}
        </div>
      )}
      {open &&
        list.map((r) => {
          const unit = units.find((u) => u.id === r.unitId);
          const codes = reasonCodes(r, unit, incident, now);
          const mine = assign && assign.unitId === r.unitId ? assign : undefined;
          const stale = mine?.state === 'stale' ? problemText(mine.error) : undefined;
          return (
            <div key={r.unitId} className={`rec${r.rank === 1 ? ' first' : ''}`} data-testid="recommendation" data-unit-id={r.unitId} title={stale}>
              <div className="rec-head">
                <span className="rank">#{r.rank}</span>
                <strong className="nowrap">{r.callSign}</strong>
                <span className="muted small ellipsis">{tx(`unitType.${r.unitType}`)}</span>
                <span className="eta nowrap" title={t('eta')}>
                  {t('eta')} {formatEta(r.etaSeconds)}
                </span>
                <span className="muted small nowrap">{r.distanceMetres === null ? '' : `${(r.distanceMetres / 1000).toFixed(1)} km`}</span>
                <CircleBadges circles={r.circles} />
                <button type="button" className={`accept ${r.rank === 1 ? 'primary' : ''}`} disabled={assign?.state === 'busy'} onClick={() => void accept(r)} data-testid="accept-recommendation">
                  {mine?.state === 'busy' ? t('assigning') : t('accept')}
                </button>
              </div>
              <div className="reasons small muted" data-testid="reasons">
                {codes.map((c) => reasonText(c)).join(' · ')}
              </div>
            </div>
          );
        })}
    </div>
  );
}
