import type { ReactNode } from 'react';
import { unitTimeLevel } from '../dispatch-logic';
import { useI18n } from '../i18n';
import { formatAge } from '../timers';
import type { Unit } from '../desk-types';

/** An overdue-unit alert as `GET /api/dispatch/alerts` lists it (`acknowledgedAt` once a dispatcher acknowledged it). */
export interface UnitAlert {
  id: string;
  unitId: string;
  incidentId: string | null;
  kind: string;
  status: string;
  sequence: number;
  since: string;
  dueAt: string;
  alertedAt: string;
  acknowledgedAt?: string | null;
  acknowledgedBy?: string | null;
}

/**
 * The unit board: every unit of the roster (replayed units left out) grouped by unit type, each
 * chip with call sign, status and time in status, coloured by status and ringed amber / red when
 * the time in status passes the bureau's thresholds (`unitStatusThresholds` of the console
 * config). A click (or Enter) selects the unit; `actions` (the selected unit's buttons) sit on top.
 */
export function UnitBoard(props: { units: Unit[]; total: number; now: number; thresholds: Record<string, { amber: number; red: number }> | undefined; selectedUnitId: string | undefined; onSelect: (id: string | undefined) => void; districtName: (k: string | null) => string; actions: ReactNode; filters: ReactNode }) {
  const { t, tx } = useI18n();
  const groups = new Map<string, Unit[]>();
  for (const u of props.units) groups.set(u.type, [...(groups.get(u.type) ?? []), u]);
  const counts = new Map<string, number>();
  for (const u of props.units) counts.set(u.status, (counts.get(u.status) ?? 0) + 1);
  return (
    <section className="panel board" data-testid="unit-board">
      <div className="panel-head">
        <h2>
          {t('units')} <span className="count" data-testid="unit-count">{props.units.length === props.total ? props.total : `${props.units.length}/${props.total}`}</span>
        </h2>
        <span className="board-counts small">
          {[...counts.entries()].map(([s, n]) => (
            <span key={s} className={`chip mini status-${s}`}>
              {tx(`unit.${s}`)} {n}
            </span>
          ))}
        </span>
        {props.filters}
      </div>
      {props.actions}
      <div className="panel-scroll grow board-grid">
        {[...groups.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([type, us]) => (
            <div key={type} className="board-group">
              <h3>{tx(`unitType.${type}`)}</h3>
              <div className="chips">
                {us
                  .sort((a, b) => a.district.localeCompare(b.district) || a.callSign.localeCompare(b.callSign))
                  .map((u) => {
                    const secs = u.statusSince ? (props.now - Date.parse(u.statusSince)) / 1000 : undefined;
                    const level = secs === undefined ? 'ok' : unitTimeLevel(u.status, secs, props.thresholds);
                    const off = !(u.dutyNow?.onDuty ?? u.onDuty);
                    return (
                      <button
                        key={u.id}
                        type="button"
                        className={`chip unit-chip status-${u.status} level-${level}${off ? ' off' : ''}${u.id === props.selectedUnitId ? ' selected' : ''}`}
                        title={`${u.id} · ${props.districtName(u.district)} · ${tx(`unit.${u.status}`)}${level !== 'ok' ? ` · ${t(`unitTime.${level}` as 'unitTime.red')}` : ''}${off ? ` · ${t('offDuty')}` : ''}`}
                        onClick={() => props.onSelect(u.id === props.selectedUnitId ? undefined : u.id)}
                        data-testid="unit-chip"
                        data-unit-id={u.id}
                        data-status={u.status}
                        data-level={level}
                      >
                        <b>{u.callSign}</b>
                        <em>{off ? t('offDuty') : tx(`unit.${u.status}`)}</em>
                        {secs !== undefined && u.status !== 'available' && !off && <span className="since">{formatAge(secs)}</span>}
                      </button>
                    );
                  })}
              </div>
            </div>
          ))}
      </div>
    </section>
  );
}

/**
 * Overdue-unit alerts (dispatch's UnitOverdueAlerted: dispatched but not en route, on scene past
 * the check-in limit), newest first, open ones highlighted, each with 确认 (acknowledge, recorded
 * by dispatch as an event). A click on an alert selects its incident.
 */
export function AlertList(props: { alerts: UnitAlert[] | undefined; units: Unit[]; now: number; onAck: (a: UnitAlert) => void; ackBusy: string | undefined; onSelectIncident: (id: string) => void; canAck: boolean; error: ReactNode }) {
  const { t, tx } = useI18n();
  const alerts = props.alerts ?? [];
  const open = alerts.filter((a) => !a.acknowledgedAt);
  return (
    <section className={`panel alerts${open.length ? ' has-open' : ''}`} data-testid="alert-list" data-open={open.length}>
      <div className="panel-head">
        <h2>
          {t('alerts')} <span className={`count${open.length ? ' hot' : ''}`} data-testid="alerts-open">{open.length}</span>
        </h2>
      </div>
      {props.error}
      <div className="panel-scroll grow">
        {alerts.length === 0 && <div className="muted empty">{t('noAlerts')}</div>}
        <ol className="alert-items">
          {[...open, ...alerts.filter((a) => a.acknowledgedAt)].slice(0, 30).map((a) => {
            const unit = props.units.find((u) => u.id === a.unitId);
            return (
              <li key={a.id} className={a.acknowledgedAt ? 'acked' : 'open'} data-testid="alert" data-alert-id={a.id} data-unit-id={a.unitId} data-acked={a.acknowledgedAt ? 'true' : 'false'} onClick={() => a.incidentId && props.onSelectIncident(a.incidentId)}>
                <span className="alert-what">
                  <strong>{unit?.callSign ?? a.unitId}</strong> {tx(`alert.${a.kind}`)}
                  {a.sequence > 1 ? ` ×${a.sequence}` : ''}
                </span>
                <span className="muted small tabular">{formatAge((props.now - Date.parse(a.alertedAt)) / 1000)}</span>
                {a.acknowledgedAt ? (
                  <span className="small ok-text">✔ {t('acknowledged')}</span>
                ) : props.canAck ? (
                  <button type="button" className="small-button" disabled={props.ackBusy === a.id} onClick={(e) => (e.stopPropagation(), props.onAck(a))} data-testid="ack-alert">
                    {t('acknowledge')}
                  </button>
                ) : null}
              </li>
            );
          })}
        </ol>
      </div>
    </section>
  );
}
