import { useEffect, useMemo, useState } from 'react';
import { ApiError, put } from '../api';
import { ProblemBox } from '../components/problem';
import { FlagsPanel } from '../components/flags-panel';
import { SessionsPanel } from '../components/sessions-panel';
import { AddUnitForm, RosterEditor, type RosterRow } from '../components/roster-panel';
import { useI18n } from '../i18n';
import { bureauTime } from '../bureau-time';
import { useConsoleConfig } from '../console-config';
import { useLiveRefresh } from '../live';
import { useApi } from '../use-api';
import { rosterOf, type RosterUnit } from '../roster';

/** Duty levels, lowest first: 常态 normal < 加强 reinforced < 战时 wartime. */
export const DUTY_LEVELS = ['normal', 'reinforced', 'wartime'] as const;
export type DutyLevel = (typeof DUTY_LEVELS)[number];

/** A district's duty level as `GET /api/dispatch/duty-levels` gives it (counts of units and officers on duty now). */
export interface DistrictDuty {
  district: string;
  nameZh: string | null;
  level: DutyLevel;
  /** the district's duty version, sent back as If-Match (0 = never set) */
  version: number;
  changedAt: string | null;
  reason: string | null;
  units: number;
  onDutyUnits: number;
  onDutyOfficers: number;
  onDutyUnitIds: string[];
}

/** Seconds between re-reads when no event asks for one (shifts start and end with the clock). */
const REFRESH_SECONDS = 60;

type Change = { district: string; state: 'busy' } | { district: string; state: 'ok'; level: DutyLevel } | { district: string; state: 'error'; error: ApiError };

/**
 * 值班长 Supervisor — the duty level of every district (常态 / 加强 / 战时) with one-click changes
 * (`PUT /api/dispatch/duty-levels/{district} {level, reason}` with If-Match: the district's
 * version, so a stale page gets 412 rather than overwriting), and the roster on duty now by unit
 * type × district (units and officers, from `GET /api/dispatch/units`' `dutyNow`). Live: both are
 * re-read on dispatch events (a DutyLevelChanged changes who is on duty at once), and every
 * {@link REFRESH_SECONDS} s for shift changes. Below, the roster editor (排班,
 * components/roster-panel.tsx): units in/out of service, shift windows, crews; the flags; and who
 * is signed in, with revocation of a user's sessions (components/sessions-panel.tsx).
 */
export function SupervisorView() {
  const { t, tx, lang } = useI18n();
  const zone = useConsoleConfig()?.timeZone ?? 'Asia/Shanghai';
  const duty = useApi<{ items: DistrictDuty[] }>('/api/dispatch/duty-levels');
  const units = useApi<{ items: RosterUnit[]; asOf: string }>('/api/dispatch/units');
  const rosterRows = useApi<{ items: RosterRow[]; asOf: string }>('/api/dispatch/roster');
  const [change, setChange] = useState<Change>();
  const [reason, setReason] = useState('');
  const reloadRoster = () => {
    duty.reload();
    units.reload();
    rosterRows.reload();
  };
  useLiveRefresh((e) => e.source === 'dispatch', reloadRoster);
  useEffect(() => {
    const timer = setInterval(reloadRoster, REFRESH_SECONDS * 1000);
    return () => clearInterval(timer);
  }, [duty.reload, units.reload, rosterRows.reload]); // eslint-disable-line react-hooks/exhaustive-deps

  const setLevel = async (d: DistrictDuty, level: DutyLevel) => {
    setChange({ district: d.district, state: 'busy' });
    try {
      await put(`/api/dispatch/duty-levels/${encodeURIComponent(d.district)}`, { level, ...(reason.trim() ? { reason: reason.trim() } : {}) }, d.version);
      setChange({ district: d.district, state: 'ok', level });
      duty.reload();
      units.reload();
    } catch (err) {
      setChange({ district: d.district, state: 'error', error: err instanceof ApiError ? err : new ApiError(0, 'Error', String(err)) });
    }
  };

  const roster = useMemo(() => rosterOf(units.data?.items ?? []), [units.data]);
  const districtName = (d: DistrictDuty) => (lang === 'zh' && d.nameZh ? `${d.nameZh} (${d.district})` : d.district);
  const districts = [...(duty.data?.items ?? [])].sort((a, b) => a.district.localeCompare(b.district));

  return (
    <div className="view supervisor" data-testid="view-supervisor">
      <section className="panel">
        <div className="panel-head">
          <h2>{t('dutyLevels')}</h2>
          <label className="inline small">
            {t('dutyReason')}{' '}
            <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} name="dutyReason" data-testid="duty-reason" />
          </label>
        </div>
        {duty.error && <ProblemBox error={duty.error} />}
        <table className="table" data-testid="duty-table">
          <thead>
            <tr>
              <th>{t('district')}</th>
              <th>{t('dutyLevel')}</th>
              <th>{t('changeLevel')}</th>
              <th>{t('onDutyUnits')}</th>
              <th>{t('onDutyOfficers')}</th>
              <th>{t('changedAt')}</th>
            </tr>
          </thead>
          <tbody>
            {districts.map((d) => (
              <tr key={d.district} data-testid="duty-row" data-district={d.district} data-level={d.level} data-version={d.version} data-on-duty={d.onDutyUnits}>
                <td>{districtName(d)}</td>
                <td>
                  <span className={`duty duty-${d.level}`} data-testid="duty-level">{t(`duty.${d.level}`)}</span>
                </td>
                <td className="duty-buttons">
                  {DUTY_LEVELS.map((l) => (
                    <button
                      key={l}
                      className={l === d.level ? 'active' : ''}
                      disabled={l === d.level || (change?.state === 'busy' && change.district === d.district)}
                      onClick={() => void setLevel(d, l)}
                      data-testid={`set-duty-${l}`}
                    >
                      {t(`duty.${l}`)}
                    </button>
                  ))}
                  {change && change.district === d.district && change.state === 'error' && (
                    <div data-testid="duty-result" data-state="error">
                      <ProblemBox error={change.error} title={t('dutyChangeFailed')} />
                    </div>
                  )}
                  {change && change.district === d.district && change.state === 'ok' && (
                    <span className="accepted small" role="status" data-testid="duty-result" data-state="ok">
                      ✔ {t(`duty.${change.level}`)}
                    </span>
                  )}
                </td>
                <td data-testid="duty-on-duty-units">
                  {d.onDutyUnits} <span className="muted small">/ {d.units}</span>
                </td>
                <td>{d.onDutyOfficers}</td>
                <td className="muted small">
                  <span data-testid="duty-changed-at">{bureauTime(d.changedAt, zone)}</span>
                  {d.reason ? ` · ${d.reason}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="panel">
        <div className="panel-head">
          <h2>{t('roster')}</h2>
          <span className="muted small" data-testid="roster-total">
            {t('onDutyUnits')} {roster.total.units} · {t('onDutyOfficers')} {roster.total.officers}
          </span>
        </div>
        {units.error && <ProblemBox error={units.error} />}
        <table className="table roster" data-testid="roster">
          <thead>
            <tr>
              <th>{t('unitType')}</th>
              {roster.districts.map((d) => (
                <th key={d}>{(lang === 'zh' && districts.find((x) => x.district === d)?.nameZh) || d}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {roster.types.map((type) => (
              <tr key={type} data-type={type}>
                <td>{tx(`unitType.${type}`)}</td>
                {roster.districts.map((d) => {
                  const c = roster.cell(type, d);
                  return (
                    <td key={d} data-testid="roster-cell" data-type={type} data-district={d} data-units={c.units} className={c.units ? '' : 'muted'}>
                      {c.units ? (
                        <>
                          {c.units} <span className="muted small">({c.officers} {t('officers')})</span>
                        </>
                      ) : (
                        '·'
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted small">{t('rosterNote')}</p>
      </section>
      <section className="panel" data-testid="roster-panel">
        <div className="panel-head">
          <h2>{t('rosterEdit')}</h2>
        </div>
        <p className="muted small">{t('rosterEditNote')}</p>
        <AddUnitForm districts={districts.map((d) => ({ key: d.district, name: (lang === 'zh' && d.nameZh) || d.district }))} onAdded={reloadRoster} />
        {rosterRows.error && <ProblemBox error={rosterRows.error} />}
        <RosterEditor rows={rosterRows.data?.items ?? []} onChanged={reloadRoster} districtName={(k) => (lang === 'zh' && districts.find((x) => x.district === k)?.nameZh) || k} />
      </section>
      <FlagsPanel />
      <SessionsPanel />
    </div>
  );
}
