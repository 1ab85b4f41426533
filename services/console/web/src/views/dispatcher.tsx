import { useMemo, useState } from 'react';
import { ApiError, post } from '../api';
import { MapView } from '../components/map-view';
import { ProblemBox } from '../components/problem';
import { useI18n } from '../i18n';
import { useLiveRefresh } from '../live';
import { labelOf, type TaxonomyFile } from '../taxonomy';
import { formatAge, formatEta, timerLevel } from '../timers';
import { useApi, useNow } from '../use-api';

/** A recommendation as dispatch returns it (libs/contracts Recommendation). */
export interface Recommendation {
  unitId: string;
  callSign: string;
  unitType: string;
  etaSeconds: number | null;
  distanceMetres: number | null;
  circles: { oneMinute: boolean; threeMinute: boolean; fiveMinute: boolean };
  rank: number;
  reasons: string[];
}

export interface Incident {
  id: string;
  callId: string;
  status: string;
  priority: number;
  kind: string;
  category: string;
  subtype: string;
  district: string | null;
  lat: number | null;
  lon: number | null;
  answeredAt: string;
  openedAt: string;
  recommendations: Recommendation[] | null;
  version: number;
}

export interface Unit {
  id: string;
  callSign: string;
  type: string;
  district: string;
  homeStation: string;
  lat: number | null;
  lon: number | null;
  status: string;
  onDuty: boolean;
  crewSize: number;
}

type AssignState = { incidentId: string; unitId: string; state: 'busy' } | { incidentId: string; unitId: string; state: 'ok' } | { incidentId: string; unitId: string; state: 'error'; error: ApiError };

/**
 * 调度 — pending incidents by priority then age with running timers (amber/red by priority),
 * the selected incident's recommendations (ETA, distance, 1/3/5-minute circle badges, reasons)
 * with an accept button (`POST /api/dispatch/incidents/{id}/assignments {unitId}`), the unit
 * board grouped by type and district, and the situation map. Live: re-reads incidents and units
 * when dispatch or call events arrive (at most once a second).
 */
export function DispatcherView({ taxonomy, geojson }: { taxonomy: TaxonomyFile | undefined; geojson: unknown }) {
  const { t, tx, lang } = useI18n();
  const now = useNow(1000);
  const incidents = useApi<{ items: Incident[]; total: number }>('/api/dispatch/incidents?status=pending&limit=200');
  const units = useApi<{ items: Unit[] }>('/api/dispatch/units');
  const [selectedId, setSelectedId] = useState<string>();
  const [assign, setAssign] = useState<AssignState>();
  useLiveRefresh((e) => e.source === 'dispatch' || e.type === 'CallHandedToDispatch', () => {
    incidents.reload();
    units.reload();
  });

  const items = incidents.data?.items ?? [];
  const selected = items.find((i) => i.id === selectedId) ?? items[0];
  const recs = selected?.recommendations ?? [];

  const accept = async (incident: Incident, r: Recommendation) => {
    setAssign({ incidentId: incident.id, unitId: r.unitId, state: 'busy' });
    try {
      await post(`/api/dispatch/incidents/${incident.id}/assignments`, { unitId: r.unitId });
      setAssign({ incidentId: incident.id, unitId: r.unitId, state: 'ok' });
      incidents.reload();
      units.reload();
    } catch (err) {
      setAssign({ incidentId: incident.id, unitId: r.unitId, state: 'error', error: err instanceof ApiError ? err : new ApiError(0, 'Error', String(err)) });
    }
  };

  const board = useMemo(() => {
    const groups = new Map<string, Map<string, Unit[]>>();
    for (const u of units.data?.items ?? []) {
      const byDistrict = groups.get(u.type) ?? new Map<string, Unit[]>();
      groups.set(u.type, byDistrict);
      byDistrict.set(u.district, [...(byDistrict.get(u.district) ?? []), u]);
    }
    return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [units.data]);

  const mapIncidents = items
    .filter((i) => i.lat !== null && i.lon !== null)
    .map((i) => ({ id: i.id, lat: i.lat!, lon: i.lon!, priority: i.priority, label: labelOf(taxonomy, i.subtype, lang), level: timerLevel((now - Date.parse(i.answeredAt)) / 1000, i.priority) }));
  const mapUnits = (units.data?.items ?? []).filter((u) => u.lat !== null && u.lon !== null).map((u) => ({ id: u.id, callSign: u.callSign, status: u.status, lat: u.lat!, lon: u.lon! }));

  return (
    <div className="view dispatcher" data-testid="view-dispatch">
      <section className="panel queue">
        <div className="panel-head">
          <h2>
            {t('pending')} <span className="count" data-testid="pending-total">{incidents.data?.total ?? '…'}</span>
          </h2>
        </div>
        {incidents.error && <ProblemBox error={incidents.error} />}
        {items.length === 0 && !incidents.error && <div className="muted empty">{incidents.data ? t('noPending') : t('loading')}</div>}
        <ol className="incident-list" data-testid="incident-list">
          {items.map((i) => {
            const age = (now - Date.parse(i.answeredAt)) / 1000;
            const level = timerLevel(age, i.priority);
            return (
              <li
                key={i.id}
                className={`incident-row ${i.id === selected?.id ? 'selected' : ''}`}
                onClick={() => setSelectedId(i.id)}
                data-testid="incident-row"
                data-incident-id={i.id}
                data-call-id={i.callId}
                tabIndex={0}
                onKeyDown={(e) => e.key === 'Enter' && setSelectedId(i.id)}
              >
                <span className={`prio p${i.priority}`}>P{i.priority}</span>
                <span className="incident-what">
                  <strong>{labelOf(taxonomy, i.subtype, lang)}</strong>
                  <span className="muted small">
                    {labelOf(taxonomy, i.category, lang)} · {i.district ?? '—'}
                  </span>
                </span>
                <span className={`timer ${level}`} data-testid="timer" data-level={level} title={t('age')}>
                  {formatAge(age)}
                </span>
              </li>
            );
          })}
        </ol>
      </section>
      <section className="panel recs" data-testid="recommendations">
        <div className="panel-head">
          <h2>{t('recommendations')}</h2>
          {selected && (
            <span className="muted small">
              {labelOf(taxonomy, selected.subtype, lang)} · P{selected.priority} · {selected.id.slice(0, 8)}
            </span>
          )}
        </div>
        {!selected && <div className="muted empty">{t('selectIncident')}</div>}
        {selected && recs.length === 0 && <div className="muted empty">{t('noRecommendations')}</div>}
        {selected &&
          recs.map((r) => (
            <div key={r.unitId} className="rec" data-testid="recommendation" data-unit-id={r.unitId}>
              <div className="rec-head">
                <span className="rank">#{r.rank}</span>
                <strong>{r.callSign}</strong>
                <span className="muted small">{tx(`unitType.${r.unitType}`)}</span>
                <span className="eta" title={t('eta')}>
                  {t('eta')} {formatEta(r.etaSeconds)}
                </span>
                <span className="muted small">{r.distanceMetres === null ? '' : `${(r.distanceMetres / 1000).toFixed(2)} km`}</span>
              </div>
              <div className="circles">
                <span className={`circle ${r.circles.oneMinute ? 'on' : ''}`} data-testid="circle-1">{t('circle1')}</span>
                <span className={`circle ${r.circles.threeMinute ? 'on' : ''}`} data-testid="circle-3">{t('circle3')}</span>
                <span className={`circle ${r.circles.fiveMinute ? 'on' : ''}`} data-testid="circle-5">{t('circle5')}</span>
              </div>
              <ul className="reasons">
                {r.reasons.map((x, k) => (
                  <li key={k}>{x}</li>
                ))}
              </ul>
              <button className={r.rank === 1 ? 'primary' : ''} disabled={assign?.state === 'busy'} onClick={() => void accept(selected, r)} data-testid="accept-recommendation">
                {assign?.state === 'busy' && assign.unitId === r.unitId ? t('assigning') : t('accept')}
              </button>
              {assign && assign.incidentId === selected.id && assign.unitId === r.unitId && assign.state === 'ok' && (
                <div className="accepted" role="status" data-testid="assign-result" data-state="ok">✔ {t('assigned')}</div>
              )}
              {assign && assign.incidentId === selected.id && assign.unitId === r.unitId && assign.state === 'error' && (
                <div data-testid="assign-result" data-state="error">
                  <ProblemBox error={assign.error} title={t('assignFailed')} />
                </div>
              )}
            </div>
          ))}
      </section>
      <section className="panel map-panel">
        <div className="panel-head">
          <h2>{t('map')}</h2>
        </div>
        <MapView geojson={geojson} incidents={mapIncidents} units={mapUnits} selectedIncidentId={selected?.id} linkedUnitIds={recs.map((r) => r.unitId)} onSelectIncident={setSelectedId} height={560} />
      </section>
      <section className="panel board" data-testid="unit-board">
        <div className="panel-head">
          <h2>{t('units')}</h2>
        </div>
        {units.error && <ProblemBox error={units.error} />}
        {board.map(([type, byDistrict]) => (
          <div key={type} className="board-group">
            <h3>{tx(`unitType.${type}`)}</h3>
            {[...byDistrict.entries()]
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([district, us]) => (
                <div key={district} className="board-district">
                  <span className="muted small">{district}</span>
                  <div className="chips">
                    {us.map((u) => (
                      <span key={u.id} className={`chip status-${u.status}${u.onDuty ? '' : ' off'}`} title={`${u.id} · ${tx(`unit.${u.status}`)}`} data-testid="unit-chip" data-unit-id={u.id} data-status={u.status}>
                        {u.callSign} <em>{tx(`unit.${u.status}`)}</em>
                      </span>
                    ))}
                  </div>
                </div>
              ))}
          </div>
        ))}
      </section>
    </div>
  );
}
