import { useEffect, useState } from 'react';
import { ApiError, post, put } from '../api';
import { useI18n } from '../i18n';
import { ProblemBox } from './problem';

/** Reason codes of UnitTakenOutOfService (libs/contracts/src/events/roster.ts). */
export const OUT_OF_SERVICE_REASONS = ['vehicle-repair', 'training', 'special-duty', 'staff-shortage', 'rest-day', 'other'] as const;

/** One unit of `GET /api/dispatch/roster`. */
export interface RosterRow {
  unitId: string;
  callSign: string;
  type: string;
  district: string;
  status: string;
  inService: boolean;
  serviceReason: string | null;
  shift: { name: string; start: string; end: string };
  crewSize: number;
  /** officers' names (personal data; supervisors and dispatchers only) */
  officers: string[];
  /** the unit's stream version (moves with status reports and AVL fixes too) */
  version: number;
  dutyNow: { onDuty: boolean; reason: string };
}

type Result = { unitId: string; state: 'busy' } | { unitId: string; state: 'ok' } | { unitId: string; state: 'error'; error: ApiError };

/** Splits the names field on 、，, ; and new lines (the separators a Chinese keyboard gives). */
export function splitNames(text: string): string[] {
  return text
    .split(/[、，,;；\n]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * 排班 — the supervisor's roster editor: per unit (grouped by district) take it out of service
 * with a reason code or return it (`PUT /api/dispatch/units/{id}/service`), edit its shift window
 * (`…/shift`, local HH:MM) and its crew (`…/crew`: size and officers' names). Each change is an
 * event in dispatch; a refusal (e.g. 409 already out of service) is shown in full.
 * `onChanged` re-reads the roster (the caller also re-reads on dispatch's live events).
 */
export function RosterEditor({ rows, onChanged, districtName }: { rows: RosterRow[]; onChanged: () => void; districtName: (d: string) => string }) {
  const { t } = useI18n();
  const [result, setResult] = useState<Result>();
  const change = async (u: RosterRow, path: 'service' | 'shift' | 'crew', body: unknown) => {
    setResult({ unitId: u.unitId, state: 'busy' });
    try {
      // no If-Match: the unit's version also moves with every status report and AVL fix, which
      // do not touch the roster; the roster's own conflicts are refused by dispatch (409)
      await put(`/api/dispatch/units/${encodeURIComponent(u.unitId)}/${path}`, body);
      setResult({ unitId: u.unitId, state: 'ok' });
      onChanged();
    } catch (err) {
      setResult({ unitId: u.unitId, state: 'error', error: err instanceof ApiError ? err : new ApiError(0, 'Error', String(err)) });
    }
  };
  return (
    <table className="table compact roster-edit" data-testid="roster-editor">
      <thead>
        <tr>
          <th>{t('callSign')}</th>
          <th>{t('district')}</th>
          <th>{t('status')}</th>
          <th>{t('inService')}</th>
          <th>{t('shift')}</th>
          <th>{t('crew')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((u) => (
          <RosterLine key={u.unitId} u={u} busy={result?.unitId === u.unitId && result.state === 'busy'} districtName={districtName} onChange={(path, body) => void change(u, path, body)}>
            {result && result.unitId === u.unitId && result.state === 'ok' && (
              <span className="accepted small" role="status" data-testid="roster-result" data-state="ok">
                ✔ {t('rosterSaved')}
              </span>
            )}
            {result && result.unitId === u.unitId && result.state === 'error' && (
              <div data-testid="roster-result" data-state="error">
                <ProblemBox error={result.error} title={t('rosterFailed')} />
              </div>
            )}
          </RosterLine>
        ))}
        {rows.length === 0 && (
          <tr>
            <td colSpan={6} className="muted">
              —
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

function RosterLine(props: { u: RosterRow; busy: boolean; districtName: (d: string) => string; onChange: (path: 'service' | 'shift' | 'crew', body: unknown) => void; children: React.ReactNode }) {
  const { u, busy, onChange } = props;
  const { t, tx } = useI18n();
  const [reason, setReason] = useState<string>('vehicle-repair');
  const [start, setStart] = useState(u.shift.start);
  const [end, setEnd] = useState(u.shift.end);
  const [size, setSize] = useState(String(u.crewSize));
  const [names, setNames] = useState(u.officers.join('、'));
  // a roster change (this or another supervisor's) resets the fields to the stored roster; status
  // reports and AVL fixes (which also move the unit's version) leave what is being typed alone
  // (each group only when its own stored values change)
  const storedShift = `${u.shift.start}|${u.shift.end}`;
  const storedCrew = `${u.crewSize}|${u.officers.join('、')}`;
  useEffect(() => {
    setStart(u.shift.start);
    setEnd(u.shift.end);
  }, [storedShift]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    setSize(String(u.crewSize));
    setNames(u.officers.join('、'));
  }, [storedCrew]); // eslint-disable-line react-hooks/exhaustive-deps
  const shiftChanged = start !== u.shift.start || end !== u.shift.end;
  const crewChanged = size !== String(u.crewSize) || names !== u.officers.join('、');
  return (
    <tr data-testid="roster-unit" data-unit-id={u.unitId} data-in-service={u.inService} data-version={u.version} data-on-duty={u.dutyNow.onDuty} className={u.inService ? '' : 'out-of-service'}>
      <td>
        <strong>{u.callSign}</strong> <span className="muted small">{tx(`unitType.${u.type}`)}</span>
      </td>
      <td className="small">{props.districtName(u.district)}</td>
      <td className="small">
        {tx(`unit.${u.status}`)}
        <div className={u.dutyNow.onDuty ? 'ok small' : 'muted small'}>{u.dutyNow.onDuty ? t('onDutyNow') : t('offDutyNow')}</div>
      </td>
      <td className="roster-service">
        {u.inService ? (
          <>
            <span className="badge ok">{t('inService')}</span>{' '}
            <select value={reason} onChange={(e) => setReason(e.target.value)} name="serviceReason" aria-label={t('takeOutOfService')} data-testid="oos-reason">
              {OUT_OF_SERVICE_REASONS.map((r) => (
                <option key={r} value={r}>
                  {tx(`oos.${r}`)}
                </option>
              ))}
            </select>{' '}
            <button disabled={busy} onClick={() => onChange('service', { inService: false, reason })} data-testid="take-out-of-service">
              {t('takeOutOfService')}
            </button>
          </>
        ) : (
          <>
            <span className="badge bad" data-testid="oos-badge">
              {t('outOfService')} · {tx(`oos.${u.serviceReason ?? 'other'}`)}
            </span>{' '}
            <button disabled={busy} onClick={() => onChange('service', { inService: true })} data-testid="return-to-service">
              {t('returnToService')}
            </button>
          </>
        )}
        {props.children}
      </td>
      <td className="roster-shift">
        <input type="text" value={start} onChange={(e) => setStart(e.target.value)} aria-label={t('shiftStart')} name="shiftStart" size={5} pattern="([01]\d|2[0-3]):[0-5]\d" />–
        <input type="text" value={end} onChange={(e) => setEnd(e.target.value)} aria-label={t('shiftEnd')} name="shiftEnd" size={5} pattern="([01]\d|2[0-3]):[0-5]\d|24:00" />
        {shiftChanged && (
          <button disabled={busy} onClick={() => onChange('shift', { name: u.shift.name, start, end })} data-testid="save-shift">
            {t('saveShift')}
          </button>
        )}
      </td>
      <td className="roster-crew">
        <input type="number" min={1} max={200} value={size} onChange={(e) => setSize(e.target.value)} aria-label={t('crewSize')} name="crewSize" />
        <input type="text" value={names} onChange={(e) => setNames(e.target.value)} placeholder={t('officerNames')} aria-label={t('officerNames')} name="officers" />
        {crewChanged && (
          <button disabled={busy} onClick={() => onChange('crew', { crewSize: Number(size), officers: splitNames(names) })} data-testid="save-crew">
            {t('saveCrew')}
          </button>
        )}
      </td>
    </tr>
  );
}

/** Unit types a supervisor can register (libs/contracts UnitType, without replay-only mutual aid). */
const UNIT_TYPES = ['one-minute-point', 'armed-vehicle-patrol', 'foot-patrol', 'station-car', 'rural-auxiliary', 'village-volunteer', 'night-assistance'] as const;

/**
 * 新增警力 — registers a unit (`POST /api/dispatch/units`: UnitRegistered, supervisors): id, call
 * sign, type, district, home station, crew size and shift window. It joins the roster in service.
 */
export function AddUnitForm({ districts, onAdded }: { districts: { key: string; name: string }[]; onAdded: () => void }) {
  const { t, tx } = useI18n();
  const empty = { id: '', callSign: '', type: 'station-car', district: '', homeStation: '', crewSize: '2', start: '00:00', end: '24:00' };
  const [f, setF] = useState(empty);
  const [err, setErr] = useState<ApiError>();
  const [ok, setOk] = useState<string>();
  const set = (k: keyof typeof empty, v: string) => setF((x) => ({ ...x, [k]: v }));
  const submit = async () => {
    setErr(undefined);
    setOk(undefined);
    try {
      const district = f.district || districts[0]?.key || '';
      await post('/api/dispatch/units', {
        id: f.id.trim(),
        callSign: f.callSign.trim(),
        type: f.type,
        district,
        homeStation: f.homeStation.trim() || district,
        crewSize: Number(f.crewSize),
        shift: { name: `${f.start}-${f.end}`, start: f.start, end: f.end },
      });
      setOk(f.callSign.trim());
      setF(empty);
      onAdded();
    } catch (e) {
      setErr(e instanceof ApiError ? e : new ApiError(0, 'Error', String(e)));
    }
  };
  return (
    <form
      className="flag-form add-unit"
      data-testid="add-unit"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label>
        {t('unitId')}
        <input name="unitId" value={f.id} onChange={(e) => set('id', e.target.value)} required pattern="[A-Za-z0-9][A-Za-z0-9._\-]{0,63}" size={10} />
      </label>
      <label>
        {t('callSign')}
        <input name="unitCallSign" value={f.callSign} onChange={(e) => set('callSign', e.target.value)} required maxLength={64} size={10} />
      </label>
      <label>
        {t('unitType')}
        <select name="unitType" value={f.type} onChange={(e) => set('type', e.target.value)}>
          {UNIT_TYPES.map((u) => (
            <option key={u} value={u}>
              {tx(`unitType.${u}`)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('district')}
        <select name="unitDistrict" value={f.district || districts[0]?.key || ''} onChange={(e) => set('district', e.target.value)}>
          {districts.map((d) => (
            <option key={d.key} value={d.key}>
              {d.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('homeStation')}
        <input name="homeStation" value={f.homeStation} onChange={(e) => set('homeStation', e.target.value)} maxLength={120} size={12} />
      </label>
      <label>
        {t('crewSize')}
        <input name="newCrewSize" type="number" min={1} max={200} value={f.crewSize} onChange={(e) => set('crewSize', e.target.value)} />
      </label>
      <label>
        {t('shift')}
        <span>
          <input name="newShiftStart" value={f.start} onChange={(e) => set('start', e.target.value)} size={5} />–<input name="newShiftEnd" value={f.end} onChange={(e) => set('end', e.target.value)} size={5} />
        </span>
      </label>
      <button type="submit" className="primary" data-testid="register-unit">
        {t('addUnit')}
      </button>
      {ok && (
        <span className="accepted small" role="status" data-testid="add-unit-result">
          ✔ {ok}
        </span>
      )}
      {err && <ProblemBox error={err} title={t('rosterFailed')} />}
    </form>
  );
}
