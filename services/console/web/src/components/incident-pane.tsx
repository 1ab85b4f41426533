import { useState } from 'react';
import type { ApiError } from '../api';
import { asApiError, assignUnit, setUnitStatus } from '../desk-actions';
import { useI18n } from '../i18n';
import { labelOf, type TaxonomyFile } from '../taxonomy';
import { formatAge, isReplayed } from '../timers';
import { canReassign, nextStatuses, ON_INCIDENT } from '../unit-status';
import type { ActionKind, Incident, IncidentDetail, Unit } from '../desk-types';
import { RecsPanel } from './desk-recs';
import { IncidentDetailPanel } from './incident-detail';
import { ProblemBox } from './problem';
import { TraceLink } from './trace-link';

type Change = { unitId: string; state: 'busy' } | { unitId: string; state: 'ok'; status: string } | { unitId: string; state: 'error'; error: ApiError };

/** Status report buttons of a unit (`POST /units/{id}/status`) and the answer of the last one. */
function useStatusButtons(onChanged: () => void) {
  const { t, tx } = useI18n();
  const [change, setChange] = useState<Change>();
  const report = async (unitId: string, status: string, incidentId?: string) => {
    setChange({ unitId, state: 'busy' });
    try {
      await setUnitStatus(unitId, status, incidentId);
      setChange({ unitId, state: 'ok', status });
      onChanged();
    } catch (e) {
      setChange({ unitId, state: 'error', error: asApiError(e) });
    }
  };
  const buttons = (unitId: string, status: string, incidentId: string | undefined, prefix = 'set-status') =>
    nextStatuses(status).map((to) => (
      <button key={to} type="button" className={`status-button to-${to}`} disabled={change?.state === 'busy'} onClick={() => void report(unitId, to, ON_INCIDENT.includes(status as never) ? incidentId : undefined)} data-testid={`${prefix}-${to}`}>
        {tx(`unit.${to}`)}
      </button>
    ));
  const result = (unitId: string) =>
    change && change.unitId === unitId && change.state !== 'busy' ? (
      change.state === 'ok' ? (
        <span className="accepted small" role="status" data-testid="status-result" data-state="ok">
          ✔ {tx(`unit.${change.status}`)}
        </span>
      ) : (
        <div data-testid="status-result" data-state="error">
          <ProblemBox error={change.error} title={t('statusFailed')} />
        </div>
      )
    ) : null;
  return { buttons, result, setChange };
}

/**
 * The selected incident (centre column): priority, subtype, status and trace link; the action
 * buttons with their keys (send any free unit F7, close without a unit F9, cancel F10, note F2,
 * priority Alt+P, link duplicate Alt+L); where and what (address, SOP answers, narrative, stage
 * timers, timeline: incident-detail.tsx); its units with one-click status reports; and the live
 * recommendations (desk-recs.tsx).
 */
export function IncidentPane(props: {
  incident: Incident | undefined;
  detail: IncidentDetail | undefined;
  units: Unit[];
  now: number;
  taxonomy: TaxonomyFile | undefined;
  districtName: (k: string | null) => string;
  recomputeNonce: number;
  acceptNonce: number;
  onChanged: () => void;
  onAction: (a: ActionKind | 'send') => void;
  onSelectIncident?: (id: string) => void;
}) {
  const { t, tx, lang } = useI18n();
  const { incident: i, detail, now } = props;
  const status = useStatusButtons(props.onChanged);
  if (!i) {
    return (
      <section className="panel detail" data-testid="incident-pane">
        <div className="muted empty">{t('selectIncident')}</div>
      </section>
    );
  }
  const open = i.status === 'pending' || i.status === 'assigned';
  const units = detail?.units ?? [];
  const enRoute = units.map((u) => u.enRouteAt).filter(Boolean).sort()[0];
  const actions: [ActionKind | 'send', string, string][] = [
    ['send', t('sendAnyUnit'), 'F7'],
    ['close', t('closeNoUnit'), 'F9'],
    ['cancel', t('cancelIncident'), 'F10'],
    ['note', t('addNote'), 'F2'],
    ['priority', t('changePriority'), 'Alt+P'],
    ['link', t('linkAsDuplicate'), 'Alt+L'],
  ];
  return (
    <section className="panel detail" data-testid="incident-pane">
      <div className="incident-detail" data-testid="incident-detail" data-incident-id={i.id}>
        <div className="detail-title">
          <span className={`prio p${i.priority}`} data-testid="incident-priority">
            P{i.priority}
          </span>
          <strong className="detail-subtype">{labelOf(props.taxonomy, i.subtype, lang)}</strong>
          <span className="muted small">{labelOf(props.taxonomy, i.category, lang)}</span>
          <span className={`incident-status st-${i.status}`} data-testid="incident-status" data-status={i.status}>
            {tx(`incident.${i.status}`)}
          </span>
          <code className="muted small">{i.id.slice(0, 8)}</code>
          <TraceLink callId={i.callId} />
        </div>
        {open && (
          <div className="action-row" data-testid="incident-actions">
            {actions.map(([a, label, key]) => (
              <button key={a} type="button" className={a === 'send' ? 'primary' : ''} onClick={() => props.onAction(a)} data-testid={`action-${a}`} title={key}>
                {label} <kbd>{key}</kbd>
              </button>
            ))}
          </div>
        )}
        <div className="panel-scroll grow detail-scroll">
          <IncidentDetailPanel
            key={`${i.id}-${i.version}`}
            callId={i.callId}
            subtype={i.subtype}
            taxonomy={props.taxonomy}
            now={now}
            district={i.district}
            districtName={(k) => props.districtName(k ?? null)}
            closeReason={i.closeReason}
            replayed={isReplayed(i)}
            detail={detail}
            onSelectIncident={props.onSelectIncident}
            stages={{ answered: i.answeredAt, received: i.openedAt, dispatched: i.firstDispatchedAt, enRoute, onScene: i.firstOnSceneAt }}
          />
          {units.length > 0 && (
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
                {units.map((u) => {
                  const since = u.clearedAt ?? u.transportingAt ?? u.onSceneAt ?? u.enRouteAt ?? u.dispatchedAt;
                  return (
                    <tr key={`${u.unitId}-${u.dispatchedAt}`} data-testid="incident-unit" data-unit-id={u.unitId} data-status={u.status} className={u.active ? '' : 'muted'}>
                      <td>
                        <strong>{u.callSign}</strong> <span className="muted small">{tx(`unitType.${u.unitType}`)}</span>
                      </td>
                      <td>
                        <span className={`chip status-${u.status}`}>{tx(`unit.${u.status}`)}</span>
                      </td>
                      <td className="muted small tabular">{formatAge((now - Date.parse(since)) / 1000)}</td>
                      <td>
                        {u.active && status.buttons(u.unitId, u.status, i.id)}
                        {status.result(u.unitId)}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          {open && <RecsPanel incident={i} units={props.units} now={now} districtName={props.districtName} recomputeNonce={props.recomputeNonce} acceptNonce={props.acceptNonce} onAssigned={props.onChanged} />}
        </div>
      </div>
    </section>
  );
}

/**
 * The selected unit's buttons on top of the unit board: its status reports, 派往 (dispatch a free
 * unit to the selected open incident) and 改派 (take a busy unit to the selected pending incident).
 */
export function UnitActions(props: { unit: Unit | undefined; incident: Incident | undefined; onChanged: () => void; onClose: () => void }) {
  const { t, tx, lang } = useI18n();
  const status = useStatusButtons(props.onChanged);
  const [busy, setBusy] = useState(false);
  const u = props.unit;
  if (!u) return null;
  const inc = props.incident;
  const open = inc && (inc.status === 'pending' || inc.status === 'assigned');
  const free = u.status === 'available' || u.status === 'cleared';
  const send = async (reassign: boolean) => {
    if (!inc) return;
    setBusy(true);
    status.setChange({ unitId: u.id, state: 'busy' });
    try {
      await assignUnit(inc.id, u.id, reassign);
      status.setChange({ unitId: u.id, state: 'ok', status: 'dispatched' });
      props.onChanged();
    } catch (e) {
      status.setChange({ unitId: u.id, state: 'error', error: asApiError(e) });
    } finally {
      setBusy(false);
    }
  };
  void lang;
  return (
    <div className="unit-actions" data-testid="unit-actions" data-unit-id={u.id} data-status={u.status}>
      <strong>{u.callSign}</strong>
      <span className={`chip status-${u.status}`}>{tx(`unit.${u.status}`)}</span>
      {status.buttons(u.id, u.status, u.incidentId ?? undefined, 'unit-set-status')}
      {free && open && (
        <button type="button" className="primary" disabled={busy} onClick={() => void send(false)} data-testid="unit-dispatch">
          {t('dispatchTo')} #{inc!.id.slice(0, 4)}
        </button>
      )}
      {canReassign(u.status) && inc && inc.status === 'pending' && (
        <button type="button" className="primary" disabled={busy} onClick={() => void send(true)} data-testid="reassign">
          {t('reassignTo')} #{inc.id.slice(0, 4)}
        </button>
      )}
      <button type="button" className="link-button" onClick={props.onClose} aria-label={t('close')}>
        ✕
      </button>
      {status.result(u.id)}
    </div>
  );
}
