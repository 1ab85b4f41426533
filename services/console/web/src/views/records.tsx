import { useEffect, useState } from 'react';
import { ApiError } from '../api';
import { PrintView } from '../components/case-print';
import { CaseView } from '../components/case-view';
import { ProblemBox } from '../components/problem';
import { useI18n } from '../i18n';
import { labelOf, type TaxonomyFile } from '../taxonomy';
import { useApi } from '../use-api';
import { useDistrictName } from '../districts';
import { DISPOSITION_CODES, download, useLocalTime, type CaseRow } from '../records-model';

const emptyFilters = { caseNumber: '', q: '', from: '', to: '', category: '', district: '', status: '', disposition: '' };

function qs(f: typeof emptyFilters): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v.trim()) p.set(k, v.trim());
  return p.toString();
}

/**
 * 案件档案 — the records desk: case search (number, narrative words, dates, category, district,
 * status, disposition), the case with its whole timeline across services, parties, narratives,
 * the 出警反馈 disposition form (outcome codes and counts, which statistics counts), close
 * (with a closing note) and reopen (with a reason), the printable 警情单, CSV and EIDO exports,
 * and the closed-incident history for dispatchers.
 */
export function RecordsView({ taxonomy, role, geojson }: { taxonomy: TaxonomyFile | undefined; role: string; geojson?: unknown }) {
  const { t, tx, lang } = useI18n();
  const districtName = useDistrictName(geojson, lang);
  const local = useLocalTime();
  const [form, setForm] = useState(emptyFilters);
  const [query, setQuery] = useState('');
  const list = useApi<{ items: CaseRow[]; total: number }>(`/api/records/cases?limit=50${query ? `&${query}` : ''}`);
  const [selected, setSelected] = useState<string>();
  const [printing, setPrinting] = useState(false);
  const [err, setErr] = useState<ApiError>();
  const stats = useApi<{ rows: { cases: number; disputesMediated: number; peopleRescued: number; suspectsCaught: number }[] }>(role === 'call_taker' ? undefined : '/api/statistics/stats/outcomes');
  // statistics applies a disposition when its consumer reaches it (usually within a second, later
  // under load): re-read the outcome figures a few times after a change, and every 30 s
  const settleStats = () => [0, 2000, 5000, 10_000, 20_000].forEach((ms) => setTimeout(() => stats.reload(), ms));
  useEffect(() => {
    const timer = setInterval(() => stats.reload(), 30_000);
    return () => clearInterval(timer);
  }, [stats.reload]); // eslint-disable-line react-hooks/exhaustive-deps
  const set = (k: keyof typeof emptyFilters, v: string) => setForm((f) => ({ ...f, [k]: v }));
  const search = (f = form) => setQuery(qs(f));
  const categories = taxonomy?.categories ?? [];

  if (printing && selected) return <PrintView caseId={selected} taxonomy={taxonomy} districtName={districtName} onBack={() => setPrinting(false)} />;
  const o = stats.data?.rows[0];
  return (
    <div className="view records" data-testid="view-records">
      <div className="panel">
        <div className="panel-head">
          <h2>{t('recordsSearch')}</h2>
          {o && (
            <div className="outcome-figures" data-testid="outcome-figures">
              <span>
                {t('disputesMediated')} <strong data-testid="fig-disputes">{o.disputesMediated}</strong>
              </span>
              <span>
                {t('peopleRescued')} <strong data-testid="fig-rescued">{o.peopleRescued}</strong>
              </span>
              <span>
                {t('suspectsCaught')} <strong data-testid="fig-suspects">{o.suspectsCaught}</strong>
              </span>
            </div>
          )}
        </div>
        <form
          className="search-grid"
          onSubmit={(e) => {
            e.preventDefault();
            search();
          }}
        >
          <label>
            {t('caseNumber')}
            <input name="caseNumber" value={form.caseNumber} onChange={(e) => set('caseNumber', e.target.value)} placeholder="JY-2026-000001" />
          </label>
          <label>
            {t('freeText')}
            <input name="q" value={form.q} onChange={(e) => set('q', e.target.value)} />
          </label>
          <label>
            {t('fromDay')}
            <input name="from" type="date" value={form.from} onChange={(e) => set('from', e.target.value)} />
          </label>
          <label>
            {t('toDay')}
            <input name="to" type="date" value={form.to} onChange={(e) => set('to', e.target.value)} />
          </label>
          <label>
            {t('category')}
            <select name="category" value={form.category} onChange={(e) => set('category', e.target.value)}>
              <option value="">{t('any')}</option>
              {categories.map((c) => (
                <option key={c.code} value={c.code}>
                  {c[lang]}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('district')}
            <input name="district" value={form.district} onChange={(e) => set('district', e.target.value)} placeholder="Precinct 1" />
          </label>
          <label>
            {t('status')}
            <select name="status" value={form.status} onChange={(e) => set('status', e.target.value)}>
              <option value="">{t('any')}</option>
              <option value="open">{t('case.open')}</option>
              <option value="closed">{t('case.closed')}</option>
            </select>
          </label>
          <label>
            {t('disposition')}
            <select name="disposition" value={form.disposition} onChange={(e) => set('disposition', e.target.value)}>
              <option value="">{t('any')}</option>
              <option value="none">{t('disp.none')}</option>
              {DISPOSITION_CODES.map((c) => (
                <option key={c} value={c}>
                  {tx(`disp.${c}`)}
                </option>
              ))}
            </select>
          </label>
          <div className="row">
            <button type="submit" className="primary" data-testid="case-search">
              {t('search')}
            </button>
            <button
              type="button"
              data-testid="closed-history"
              onClick={() => {
                const f = { ...emptyFilters, status: 'closed' };
                setForm(f);
                search(f);
              }}
            >
              {t('closedHistory')}
            </button>
            <button type="button" data-testid="export-csv" onClick={() => download(`/api/records/cases/export.csv${query ? `?${query}` : ''}`, 'cases.csv').catch((e: ApiError) => setErr(e))}>
              {t('exportCsv')}
            </button>
          </div>
        </form>
        <div className="muted small" data-testid="case-total">
          {list.data?.total ?? 0} {t('results')}
        </div>
        <table className="case-table">
          <thead>
            <tr>
              <th>{t('caseNumber')}</th>
              <th>{t('openedAt')}</th>
              <th>{t('category')}</th>
              <th>{t('district')}</th>
              <th>{t('status')}</th>
              <th>{t('disposition')}</th>
            </tr>
          </thead>
          <tbody>
            {(list.data?.items ?? []).map((c) => (
              <tr key={c.id} className={selected === c.id ? 'selected' : ''} onClick={() => setSelected(c.id)} data-testid="case-row" data-case-id={c.id} data-call-id={c.callId}>
                <td>
                  <code>{c.caseNumber}</code>
                </td>
                <td>{local(c.openedAt)}</td>
                <td>{labelOf(taxonomy, c.subtype, lang)}</td>
                <td>{districtName(c.district)}</td>
                <td>{tx(`case.${c.status}`)}</td>
                <td>{c.dispositionCodes.length ? c.dispositionCodes.map((d) => tx(`disp.${d}`)).join('、') : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {err && <ProblemBox error={err} title={t('invalidFields')} />}
      </div>
      {selected ? (
        <CaseView key={selected} caseId={selected} taxonomy={taxonomy} districtName={districtName} role={role} onPrint={() => setPrinting(true)} onChanged={() => { list.reload(); settleStats(); }} />
      ) : (
        <div className="panel muted">{t('selectCase')}</div>
      )}
    </div>
  );
}
