import { useMemo, useState, type ReactNode } from 'react';
// a recommendation as dispatch returns it: the contract's type (type-only, nothing of it is bundled)
import type { Recommendation } from '@cad110/contracts/src/events/dispatch';
import { ApiError, post } from '../api';
import { MapView } from '../components/map-view';
import { ProblemBox } from '../components/problem';
import { TraceLink } from '../components/trace-link';
import { useI18n, type Lang } from '../i18n';
import { useLiveRefresh } from '../live';
import { labelOf, type TaxonomyFile } from '../taxonomy';
import { formatAge, formatEta, timerLevel } from '../timers';
import { canReassign, nextStatuses, ON_INCIDENT } from '../unit-status';
import { useApi, useNow } from '../use-api';

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

/** A unit on an incident as `GET /incidents/{id}` lists it (`active` false once it cleared or was reassigned). */
export interface IncidentUnit {
  incidentId: string;
  unitId: string;
  callSign: string;
  unitType: string;
  status: string;
  active: boolean;
  dispatchedAt: string;
  enRouteAt: string | null;
  onSceneAt: string | null;
  transportingAt: string | null;
  clearedAt: string | null;
  reassignedAt: string | null;
}

export type IncidentDetail = Incident & { units: IncidentUnit[]; closedAt?: string | null };

type UnitUnitState = { unitId: string; state: 'busy' } | { unitId: string; state: 'ok'; status: string } | { unitId: string; state: 'error'; error: ApiError };

type AssignState = { incidentId: string; unitId: string; state: 'busy' } | { incidentId: string; unitId: string; state: 'ok' } | { incidentId: string; unitId: string; state: 'error'; error: ApiError };

/**
 * 调度 — pending incidents by priority then age with running timers (amber/red by priority),
 * incidents in progress (assigned), the selected incident's status, its units with one-click
 * status reports (`POST /api/dispatch/units/{unitId}/status {status, incidentId}`: en route, on
 * scene, transporting, cleared — dispatch closes the incident when its last unit clears) and a
 * link to the call's trace; its recommendations (ETA, distance, 1/3/5-minute circle badges,
 * reasons) with an accept button (`POST /api/dispatch/incidents/{id}/assignments {unitId}`); the
 * unit board grouped by type and district, where a click on a unit offers its status reports and
 * 改派 (reassign to the selected pending incident, `{unitId, reassign: true}`); and the situation
 * map. Live: re-reads incidents, the selected incident and units when dispatch or call events
 * arrive (at most once a second).
 */
/**
 * One incident in the pending queue or the in-progress list: priority, subtype, category and
 * district; `children` is the row's right-hand cell (its timer). Enter or a click selects it.
 */
function IncidentRow(props: {
  incident: { id: string; callId: string; priority: number; subtype: string; category: string; district: string | null };
  selected: boolean;
  onSelect: (id: string) => void;
  testId: string;
  taxonomy: TaxonomyFile | undefined;
  lang: Lang;
  children: ReactNode;
}) {
  const { incident: i, selected, onSelect, testId, taxonomy, lang } = props;
  return (
    <li
      className={`incident-row ${selected ? 'selected' : ''}`}
      onClick={() => onSelect(i.id)}
      data-testid={testId}
      data-incident-id={i.id}
      data-call-id={i.callId}
      tabIndex={0}
      onKeyDown={(e) => e.key === 'Enter' && onSelect(i.id)}
    >
      <span className={`prio p${i.priority}`}>P{i.priority}</span>
      <span className="incident-what">
        <strong>{labelOf(taxonomy, i.subtype, lang)}</strong>
        <span className="muted small">
          {labelOf(taxonomy, i.category, lang)} · {i.district ?? '—'}
        </span>
      </span>
      {props.children}
    </li>
  );
}

export function DispatcherView({ taxonomy, geojson }: { taxonomy: TaxonomyFile | undefined; geojson: unknown }) {
  const { t, tx, lang } = useI18n();
  const now = useNow(1000);
  const incidents = useApi<{ items: Incident[]; total: number }>('/api/dispatch/incidents?status=pending&limit=200');
  const active = useApi<{ items: Incident[]; total: number }>('/api/dispatch/incidents?status=assigned&limit=200');
  const units = useApi<{ items: Unit[] }>('/api/dispatch/units');
  const [selectedId, setSelectedId] = useState<string>();
  const [selectedUnitId, setSelectedUnitId] = useState<string>();
  const [assign, setAssign] = useState<AssignState>();
  const [unitChange, setUnitChange] = useState<UnitUnitState>();

  const items = incidents.data?.items ?? [];
  const activeItems = active.data?.items ?? [];
  const detailId = selectedId ?? items[0]?.id;
  const detail = useApi<IncidentDetail>(detailId ? `/api/dispatch/incidents/${detailId}` : undefined);
  const reloadAll = () => {
    incidents.reload();
    active.reload();
    units.reload();
    detail.reload();
  };
  useLiveRefresh((e) => e.source === 'dispatch' || e.type === 'CallHandedToDispatch', reloadAll);

  // the selected incident stays selected when it leaves the pending queue (assigned) or closes
  const selected: Incident | undefined = items.find((i) => i.id === detailId) ?? activeItems.find((i) => i.id === detailId) ?? (detail.data?.id === detailId ? detail.data : undefined);
  const selectedDetail = detail.data?.id === selected?.id ? detail.data : undefined;
  const recs = selected?.recommendations ?? [];
  const selectedUnit = units.data?.items.find((u) => u.id === selectedUnitId);

  /** POST /api/dispatch/units/{unitId}/status {status, incidentId?}: a status report of a unit. */
  const setStatus = async (unitId: string, status: string, incidentId?: string) => {
    setUnitChange({ unitId, state: 'busy' });
    try {
      await post(`/api/dispatch/units/${encodeURIComponent(unitId)}/status`, { status, ...(incidentId ? { incidentId } : {}) });
      setUnitChange({ unitId, state: 'ok', status });
      reloadAll();
    } catch (err) {
      setUnitChange({ unitId, state: 'error', error: err instanceof ApiError ? err : new ApiError(0, 'Error', String(err)) });
    }
  };

  /** 改派: POST /api/dispatch/incidents/{id}/assignments {unitId, reassign: true} — takes a busy unit to the selected incident. */
  const reassign = async (incident: Incident, unitId: string) => {
    setUnitChange({ unitId, state: 'busy' });
    try {
      await post(`/api/dispatch/incidents/${incident.id}/assignments`, { unitId, reassign: true });
      setUnitChange({ unitId, state: 'ok', status: 'dispatched' });
      reloadAll();
    } catch (err) {
      setUnitChange({ unitId, state: 'error', error: err instanceof ApiError ? err : new ApiError(0, 'Error', String(err)) });
    }
  };

  const statusButtons = (unitId: string, status: string, incidentId: string | undefined, testPrefix = 'set-status') =>
    nextStatuses(status).map((to) => (
      <button key={to} className={`status-button to-${to}`} disabled={unitChange?.state === 'busy'} onClick={() => void setStatus(unitId, to, ON_INCIDENT.includes(status as never) ? incidentId : undefined)} data-testid={`${testPrefix}-${to}`}>
        {tx(`unit.${to}`)}
      </button>
    ));
  const unitChangeResult = (unitId: string) =>
    unitChange && unitChange.unitId === unitId && unitChange.state !== 'busy' ? (
      unitChange.state === 'ok' ? (
        <span className="accepted small" role="status" data-testid="status-result" data-state="ok">
          ✔ {tx(`unit.${unitChange.status}`)}
        </span>
      ) : (
        <div data-testid="status-result" data-state="error">
          <ProblemBox error={unitChange.error} title={t('statusFailed')} />
        </div>
      )
    ) : null;

  const accept = async (incident: Incident, r: Recommendation) => {
    setAssign({ incidentId: incident.id, unitId: r.unitId, state: 'busy' });
    try {
      await post(`/api/dispatch/incidents/${incident.id}/assignments`, { unitId: r.unitId });
      setAssign({ incidentId: incident.id, unitId: r.unitId, state: 'ok' });
      reloadAll();
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
              <IncidentRow key={i.id} incident={i} selected={i.id === selected?.id} onSelect={setSelectedId} testId="incident-row" taxonomy={taxonomy} lang={lang}>
                <span className={`timer ${level}`} data-testid="timer" data-level={level} title={t('age')}>
                  {formatAge(age)}
                </span>
              </IncidentRow>
            );
          })}
        </ol>
        <div className="panel-head">
          <h2>
            {t('inProgress')} <span className="count" data-testid="active-total">{active.data?.total ?? '…'}</span>
          </h2>
        </div>
        {active.error && <ProblemBox error={active.error} />}
        <ol className="incident-list" data-testid="active-list">
          {activeItems.map((i) => (
            <IncidentRow key={i.id} incident={i} selected={i.id === selected?.id} onSelect={setSelectedId} testId="active-row" taxonomy={taxonomy} lang={lang}>
              <span className="muted small">{formatAge((now - Date.parse(i.openedAt)) / 1000)}</span>
            </IncidentRow>
          ))}
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
        {selected && (
          <div className="incident-detail" data-testid="incident-detail" data-incident-id={selected.id}>
            <div className="rec-head">
              <span className="muted small">{t('incidentStatus')}</span>
              <span className={`incident-status st-${(selectedDetail ?? selected).status}`} data-testid="incident-status" data-status={(selectedDetail ?? selected).status}>
                {tx(`incident.${(selectedDetail ?? selected).status}`)}
              </span>
              <TraceLink callId={selected.callId} />
            </div>
            {(selectedDetail?.units ?? []).length > 0 && (
              <table className="table compact" data-testid="incident-units">
                <thead>
                  <tr>
                    <th>{t('unit')}</th>
                    <th>{t('status')}</th>
                    <th>{t('statusSince')}</th>
                    <th>{t('nextStatus')}</th>
                  </tr>
                </thead>
                <tbody>
                  {selectedDetail!.units.map((u) => {
                    const since = u.clearedAt ?? u.transportingAt ?? u.onSceneAt ?? u.enRouteAt ?? u.dispatchedAt;
                    return (
                      <tr key={`${u.unitId}-${u.dispatchedAt}`} data-testid="incident-unit" data-unit-id={u.unitId} data-status={u.status} className={u.active ? '' : 'muted'}>
                        <td>
                          <strong>{u.callSign}</strong> <span className="muted small">{tx(`unitType.${u.unitType}`)}</span>
                        </td>
                        <td>
                          <span className={`chip status-${u.status}`}>{tx(`unit.${u.status}`)}</span>
                        </td>
                        <td className="muted small">{formatAge((now - Date.parse(since)) / 1000)}</td>
                        <td>
                          {u.active && statusButtons(u.unitId, u.status, selected.id)}
                          {unitChangeResult(u.unitId)}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </div>
        )}
        {selected && selected.status === 'pending' && recs.length === 0 && <div className="muted empty">{t('noRecommendations')}</div>}
        {selected &&
          (selected.status === 'pending' || selected.status === 'assigned') &&
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
        {selectedUnit && (
          <div className="unit-actions" data-testid="unit-actions" data-unit-id={selectedUnit.id} data-status={selectedUnit.status}>
            <strong>{selectedUnit.callSign}</strong>
            <span className={`chip status-${selectedUnit.status}`}>{tx(`unit.${selectedUnit.status}`)}</span>
            {statusButtons(selectedUnit.id, selectedUnit.status, undefined, 'unit-set-status')}
            {canReassign(selectedUnit.status) && selected && selected.status === 'pending' && (
              <button className="primary" disabled={unitChange?.state === 'busy'} onClick={() => void reassign(selected, selectedUnit.id)} data-testid="reassign">
                {t('reassignTo')} {labelOf(taxonomy, selected.subtype, lang)}
              </button>
            )}
            <button className="link-button" onClick={() => setSelectedUnitId(undefined)} aria-label={t('close')}>
              ✕
            </button>
            {unitChangeResult(selectedUnit.id)}
          </div>
        )}
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
                      <button
                        key={u.id}
                        type="button"
                        className={`chip status-${u.status}${u.onDuty ? '' : ' off'}${u.id === selectedUnitId ? ' selected' : ''}`}
                        title={`${u.id} · ${tx(`unit.${u.status}`)}`}
                        onClick={() => setSelectedUnitId(u.id === selectedUnitId ? undefined : u.id)}
                        data-testid="unit-chip"
                        data-unit-id={u.id}
                        data-status={u.status}
                      >
                        {u.callSign} <em>{tx(`unit.${u.status}`)}</em>
                      </button>
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
