import { useState } from 'react';
import { ApiError, post } from '../api';
import { useI18n } from '../i18n';
import { useLocalTime } from '../records-model';
import { useApi } from '../use-api';
import { ProblemBox } from './problem';

/** One flag of `GET /api/intake/flags` (the number masked for roles that may not see numbers). */
export interface FlagRow {
  flagId: string;
  kind: 'location' | 'person';
  label: string;
  note: string | null;
  number: string | null;
  address: string | null;
  lat: number | null;
  lon: number | null;
  radiusMetres: number | null;
  active: boolean;
  raisedAt: string;
  raisedBy: string;
  retiredAt: string | null;
}

const emptyForm = { kind: 'person' as 'location' | 'person', label: '', note: '', number: '', address: '', lat: '', lon: '', radius: '100' };

/**
 * 重点地点 / 重点人员 — the supervisor manages the flags the call-taker desk shows: the list
 * (active first; retired ones greyed with their time), a form to raise one (`POST
 * /api/intake/flags`: a person by phone number, or a location by WGS84 point and radius in
 * metres) and retire with a reason (`POST /api/intake/flags/{id}/retire`). Each is an event in
 * intake (FlagRaised / FlagRetired) with the supervisor as actor.
 */
export function FlagsPanel() {
  const { t, tx } = useI18n();
  const local = useLocalTime();
  const flags = useApi<{ items: FlagRow[] }>('/api/intake/flags');
  const [form, setForm] = useState(emptyForm);
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [err, setErr] = useState<ApiError>();
  const [ok, setOk] = useState(false);
  const set = (k: keyof typeof emptyForm, v: string) => setForm((f) => ({ ...f, [k]: v }));
  const run = async (fn: () => Promise<unknown>) => {
    setErr(undefined);
    setOk(false);
    try {
      await fn();
      setOk(true);
      flags.reload();
    } catch (e) {
      setErr(e instanceof ApiError ? e : new ApiError(0, 'Error', String(e)));
    }
  };
  const raise = () =>
    run(async () => {
      const body =
        form.kind === 'person'
          ? { kind: 'person', label: form.label.trim(), number: form.number.trim(), ...(form.note.trim() ? { note: form.note.trim() } : {}) }
          : {
              kind: 'location',
              label: form.label.trim(),
              lat: Number(form.lat),
              lon: Number(form.lon),
              radiusMetres: Number(form.radius) || 100,
              ...(form.address.trim() ? { address: form.address.trim() } : {}),
              ...(form.note.trim() ? { note: form.note.trim() } : {}),
            };
      await post('/api/intake/flags', body);
      setForm({ ...emptyForm, kind: form.kind });
    });
  const retire = (f: FlagRow) => run(() => post(`/api/intake/flags/${f.flagId}/retire`, { reason: (reasons[f.flagId] ?? '').trim() }));
  return (
    <section className="panel" data-testid="flags-panel">
      <div className="panel-head">
        <h2>{t('flagsManage')}</h2>
      </div>
      <p className="muted small">{t('flagsNote')}</p>
      <form
        className="flag-form"
        onSubmit={(e) => {
          e.preventDefault();
          void raise();
        }}
      >
        <label>
          {t('flagKind')}
          <select name="flagKind" value={form.kind} onChange={(e) => set('kind', e.target.value)}>
            <option value="person">{t('flagKind.person')}</option>
            <option value="location">{t('flagKind.location')}</option>
          </select>
        </label>
        <label>
          {t('flagLabel')}
          <input name="flagLabel" value={form.label} onChange={(e) => set('label', e.target.value)} maxLength={120} required />
        </label>
        {form.kind === 'person' ? (
          <label>
            {t('flagNumber')}
            <input name="flagNumber" value={form.number} onChange={(e) => set('number', e.target.value)} inputMode="tel" required />
          </label>
        ) : (
          <>
            <label>
              {t('flagAddress')}
              <input name="flagAddress" value={form.address} onChange={(e) => set('address', e.target.value)} maxLength={300} />
            </label>
            <label>
              {t('lat')}
              <input name="flagLat" value={form.lat} onChange={(e) => set('lat', e.target.value)} required size={9} />
            </label>
            <label>
              {t('lon')}
              <input name="flagLon" value={form.lon} onChange={(e) => set('lon', e.target.value)} required size={10} />
            </label>
            <label>
              {t('flagRadius')}
              <input name="flagRadius" type="number" min={1} max={5000} value={form.radius} onChange={(e) => set('radius', e.target.value)} />
            </label>
          </>
        )}
        <label>
          {t('flagNote')}
          <input name="flagNote" value={form.note} onChange={(e) => set('note', e.target.value)} maxLength={1000} />
        </label>
        <button type="submit" className="primary" data-testid="raise-flag">
          {t('raiseFlag')}
        </button>
        {ok && (
          <span className="accepted small" role="status" data-testid="flag-result">
            ✔ {t('rosterSaved')}
          </span>
        )}
      </form>
      {err && <ProblemBox error={err} title={t('flagFailed')} />}
      {flags.error && <ProblemBox error={flags.error} />}
      <table className="table compact flags-table" data-testid="flags-table">
        <thead>
          <tr>
            <th>{t('flagKind')}</th>
            <th>{t('flagLabel')}</th>
            <th>
              {t('flagNumber')} / {t('flagAddress')}
            </th>
            <th>{t('flagNote')}</th>
            <th>{t('status')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(flags.data?.items ?? []).map((f) => (
            <tr key={f.flagId} data-testid="flag-row" data-flag-id={f.flagId} data-active={f.active} className={f.active ? '' : 'muted'}>
              <td>{tx(`flagKind.${f.kind}`)}</td>
              <td>
                <strong>{f.label}</strong>
              </td>
              <td className="small">
                {f.kind === 'person' ? <code>{f.number}</code> : `${f.address ?? ''} ${f.lat?.toFixed(5) ?? ''}, ${f.lon?.toFixed(5) ?? ''} · ${f.radiusMetres ?? 100} ${t('metres')}`}
              </td>
              <td className="small">{f.note ?? ''}</td>
              <td className="small">{f.active ? `${local(f.raisedAt)} · ${f.raisedBy}` : `${t('retireFlag')} ${local(f.retiredAt)}`}</td>
              <td>
                {f.active && (
                  <span className="flag-retire">
                    <input name="retireReason" placeholder={t('retireReason')} value={reasons[f.flagId] ?? ''} onChange={(e) => setReasons((r) => ({ ...r, [f.flagId]: e.target.value }))} maxLength={500} />
                    <button type="button" disabled={!(reasons[f.flagId] ?? '').trim()} onClick={() => void retire(f)} data-testid="retire-flag">
                      {t('retireFlag')}
                    </button>
                  </span>
                )}
              </td>
            </tr>
          ))}
          {flags.data && flags.data.items.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                {t('noFlags')}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
