import { useEffect, useMemo, useState } from 'react';
import { api, ApiError, currentToken } from '../api';
import { useConsoleConfig } from '../console-config';
import { ProblemBox } from '../components/problem';
import { useI18n } from '../i18n';
import { labelOf, type TaxonomyFile } from '../taxonomy';
import { useApi } from '../use-api';

/** GA/T 2000.152-style outcome codes records accepts (libs/contracts DispositionCode). */
export const DISPOSITION_CODES = ['solved', 'suspects-caught', 'dispute-mediated', 'people-rescued', 'no-offence-found', 'advice-given', 'transferred', 'false-report', 'unresolved'] as const;

interface CaseRow {
  id: string;
  caseNumber: string;
  callId: string;
  incidentId: string;
  status: 'open' | 'closed';
  category: string;
  subtype: string;
  priority: number | null;
  district: string | null;
  beat: string | null;
  openedAt: string;
  closedAt: string | null;
  dispositionCodes: string[];
  suspectsCaught: number;
  peopleRescued: number;
  version: number;
  reopenCount: number;
}

interface CaseDetail extends CaseRow {
  parties: { partyId: string; role: string; addedAt: string; addedBy: string }[];
  narratives: { eventId: string; text: string; author: string; at: string }[];
  dispositions: { eventId: string; by: string; codes: string[]; suspectsCaught?: number; peopleRescued?: number; note?: string; recordedAt?: string }[];
}

interface TimelineEntry {
  eventId: string;
  type: string;
  source: string;
  occurredAt: string;
  actor: { id: string; role?: string | null };
  workstation: string | null;
  data: Record<string, unknown>;
}

const emptyFilters = { caseNumber: '', q: '', from: '', to: '', category: '', district: '', status: '', disposition: '' };

function qs(f: typeof emptyFilters): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v.trim()) p.set(k, v.trim());
  return p.toString();
}

/** Downloads a GET answer as a file (the gateway needs the bearer token, so not a plain link). */
async function download(path: string, filename: string): Promise<void> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${currentToken()}` }, cache: 'no-store' });
  if (!res.ok) throw new ApiError(res.status, res.statusText, undefined, [], 'GET', path);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** One instant in the bureau's zone, `2026-12-05 17:03:09`. */
export function useLocalTime() {
  const zone = useConsoleConfig()?.timeZone ?? 'Asia/Shanghai';
  const fmt = useMemo(() => new Intl.DateTimeFormat('sv-SE', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }), [zone]);
  return (iso: string | null | undefined) => (iso ? fmt.format(new Date(iso)) : '—');
}

/** What an event on the timeline says, short (codes translated; no personal data is on the timeline). */
function summary(e: TimelineEntry, tx: (k: string) => string): string {
  const d = e.data;
  switch (e.type) {
    case 'CallNarrativeAppended':
    case 'CaseNarrativeAdded':
      return String(d.text ?? '');
    case 'CallClassified':
      return `${d.subtype ?? ''} P${d.priority ?? ''}${d.reason ? ` · ${d.reason}` : ''}`;
    case 'CallLocated':
      return String((d as { address?: string }).address ?? '');
    case 'UnitDispatched':
    case 'UnitStatusChanged':
      return `${d.unitId ?? ''} ${d.to ?? ''}`;
    case 'CallLinkedAsDuplicate':
      return `↩ ${String(d.callId ?? '').slice(0, 8)}`;
    case 'DispositionRecorded':
      return ((d.codes as string[]) ?? []).map((c) => tx(`disp.${c}`)).join('、');
    case 'CaseReopened':
      return String(d.reason ?? '');
    default:
      return '';
  }
}

/**
 * 案件档案 — the records desk: case search (number, narrative words, dates, category, district,
 * status, disposition), the case with its whole timeline across services, parties, narratives,
 * the 出警反馈 disposition form (outcome codes and counts, which statistics counts), close
 * (with a closing note) and reopen (with a reason), the printable 警情单, CSV and EIDO exports,
 * and the closed-incident history for dispatchers.
 */
export function RecordsView({ taxonomy, role }: { taxonomy: TaxonomyFile | undefined; role: string }) {
  const { t, tx, lang } = useI18n();
  const local = useLocalTime();
  const [form, setForm] = useState(emptyFilters);
  const [query, setQuery] = useState('');
  const list = useApi<{ items: CaseRow[]; total: number }>(`/api/records/cases?limit=50${query ? `&${query}` : ''}`);
  const [selected, setSelected] = useState<string>();
  const [printing, setPrinting] = useState(false);
  const [err, setErr] = useState<ApiError>();
  const stats = useApi<{ rows: { cases: number; disputesMediated: number; peopleRescued: number; suspectsCaught: number }[] }>(role === 'call_taker' ? undefined : '/api/statistics/stats/outcomes');
  const set = (k: keyof typeof emptyFilters, v: string) => setForm((f) => ({ ...f, [k]: v }));
  const search = (f = form) => setQuery(qs(f));
  const categories = taxonomy?.categories ?? [];

  if (printing && selected) return <PrintView caseId={selected} taxonomy={taxonomy} onBack={() => setPrinting(false)} />;
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
                <td>{c.district ?? '—'}</td>
                <td>{tx(`case.${c.status}`)}</td>
                <td>{c.dispositionCodes.length ? c.dispositionCodes.map((d) => tx(`disp.${d}`)).join('、') : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {err && <ProblemBox error={err} title={t('invalidFields')} />}
      </div>
      {selected ? (
        <CaseView key={selected} caseId={selected} taxonomy={taxonomy} role={role} onPrint={() => setPrinting(true)} onChanged={() => { list.reload(); stats.reload(); }} />
      ) : (
        <div className="panel muted">{t('selectCase')}</div>
      )}
    </div>
  );
}

function CaseView({ caseId, taxonomy, role, onPrint, onChanged }: { caseId: string; taxonomy: TaxonomyFile | undefined; role: string; onPrint: () => void; onChanged: () => void }) {
  const { t, tx, lang } = useI18n();
  const local = useLocalTime();
  const detail = useApi<CaseDetail>(`/api/records/cases/${caseId}`);
  const timeline = useApi<{ entries: TimelineEntry[] }>(`/api/records/cases/${caseId}/timeline`);
  const [codes, setCodes] = useState<string[]>([]);
  const [suspects, setSuspects] = useState('0');
  const [rescued, setRescued] = useState('0');
  const [note, setNote] = useState('');
  const [reason, setReason] = useState('');
  const [err, setErr] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const c = detail.data;
  useEffect(() => {
    if (!c) return;
    setCodes(c.dispositionCodes);
    setSuspects(String(c.suspectsCaught));
    setRescued(String(c.peopleRescued));
  }, [c?.version]); // eslint-disable-line react-hooks/exhaustive-deps
  const writer = role === 'dispatcher' || role === 'supervisor' || role === 'admin';
  const exec = async (steps: { path: string; body: unknown }[]) => {
    if (!c) return;
    setBusy(true);
    setErr(undefined);
    try {
      let version = c.version;
      for (const s of steps) {
        const r = await api<{ version: number }>('POST', `/api/records/cases/${caseId}/${s.path}`, s.body, { headers: { 'if-match': `"${version}"` } });
        version = r.version;
      }
      detail.reload();
      timeline.reload();
      onChanged();
    } catch (e) {
      setErr(e instanceof ApiError ? e : new ApiError(0, 'Error', String(e)));
    } finally {
      setBusy(false);
    }
  };
  if (!c) return <div className="panel">{detail.error ? <ProblemBox error={detail.error} title={t('invalidFields')} /> : t('loading')}</div>;
  const toggle = (code: string) => setCodes((cs) => (cs.includes(code) ? cs.filter((x) => x !== code) : [...cs, code]));
  return (
    <div className="panel case-view" data-testid="case-view" data-case-id={c.id} data-status={c.status} data-version={c.version}>
      <div className="case-head">
        <span className="cn" data-testid="case-number">
          {c.caseNumber}
        </span>
        <span>{tx(`case.${c.status}`)}</span>
        <span>
          {labelOf(taxonomy, c.category, lang)} · {labelOf(taxonomy, c.subtype, lang)}
        </span>
        {c.priority && <span className={`prio p${c.priority}`}>P{c.priority}</span>}
        <span className="muted small">
          {c.district ?? '—'} · {t('openedAt')} {local(c.openedAt)}
          {c.closedAt ? ` · ${t('closedAt')} ${local(c.closedAt)}` : ''}
        </span>
        <span className="spacer" />
        <button type="button" onClick={onPrint} data-testid="print-case">
          🖨 {t('print')}
        </button>
        <button type="button" data-testid="export-eido" onClick={() => download(`/api/records/cases/${caseId}/eido`, `${c.caseNumber}.eido.json`).catch((e: ApiError) => setErr(e))}>
          {t('exportEido')}
        </button>
      </div>
      <h3>{t('timeline')}</h3>
      <ol className="tl" data-testid="timeline">
        {(timeline.data?.entries ?? []).map((e) => (
          <li key={e.eventId} data-type={e.type}>
            <span>{local(e.occurredAt)}</span>
            <span className="src">{e.source}</span>
            <span>
              <strong>{e.type}</strong> <span className="muted">{e.actor.id}</span> {summary(e, tx)}
            </span>
          </li>
        ))}
      </ol>
      <h3>{t('parties')}</h3>
      <div className="small">{c.parties.length ? c.parties.map((p) => `${tx(`party.${p.role}`)}（${local(p.addedAt)}）`).join('；') : '—'}</div>
      {c.narratives.length > 0 && (
        <>
          <h3>{t('narratives')}</h3>
          <ul className="small">
            {c.narratives.map((n) => (
              <li key={n.eventId}>
                {local(n.at)} {n.author}: {n.text}
              </li>
            ))}
          </ul>
        </>
      )}
      {writer && c.status === 'open' && (
        <div className="disp-form" data-testid="disposition-form">
          <h3>{t('dispositionForm')}</h3>
          <div className="muted small">{t('dispositionCodes')}</div>
          <div className="disp-codes">
            {DISPOSITION_CODES.map((code) => (
              <label key={code}>
                <input type="checkbox" name={`code-${code}`} checked={codes.includes(code)} onChange={() => toggle(code)} /> {tx(`disp.${code}`)}
              </label>
            ))}
          </div>
          <div className="counts">
            <label>
              {t('suspectsCaught')}
              <input name="suspectsCaught" type="number" min={0} value={suspects} onChange={(e) => setSuspects(e.target.value)} />
            </label>
            <label>
              {t('peopleRescued')}
              <input name="peopleRescued" type="number" min={0} value={rescued} onChange={(e) => setRescued(e.target.value)} />
            </label>
            <label className="grow">
              {t('note')}
              <input name="dispositionNote" value={note} onChange={(e) => setNote(e.target.value)} />
            </label>
          </div>
          <div className="row">
            <button
              type="button"
              className="primary"
              disabled={busy || codes.length === 0}
              data-testid="submit-disposition"
              onClick={() => void exec([{ path: 'disposition', body: { codes, suspectsCaught: Number(suspects) || 0, peopleRescued: Number(rescued) || 0, ...(note.trim() ? { note: note.trim() } : {}) } }])}
            >
              {t('submitDisposition')}
            </button>
            <label className="grow">
              {t('closeReason')}
              <input name="closeReason" value={reason} onChange={(e) => setReason(e.target.value)} />
            </label>
            <button type="button" disabled={busy || c.dispositionCodes.length === 0} data-testid="close-case" onClick={() => void exec([...(reason.trim() ? [{ path: 'narratives', body: { text: `${t('closeReason')}：${reason.trim()}` } }] : []), { path: 'close', body: {} }])}>
              {t('closeCase')}
            </button>
          </div>
        </div>
      )}
      {(role === 'supervisor' || role === 'admin') && c.status === 'closed' && (
        <div className="row">
          <label className="grow">
            {t('reopenReason')}
            <input name="reopenReason" value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <button type="button" disabled={busy || !reason.trim()} data-testid="reopen-case" onClick={() => void exec([{ path: 'reopen', body: { reason: reason.trim() } }])}>
            {t('reopenCase')}
          </button>
        </div>
      )}
      {err && <ProblemBox error={err} title={t('invalidFields')} />}
    </div>
  );
}

/** 警情单 — the incident form for printing (A4, print stylesheet in desk.css); Ctrl+P or the button prints it. */
function PrintView({ caseId, taxonomy, onBack }: { caseId: string; taxonomy: TaxonomyFile | undefined; onBack: () => void }) {
  const { t, tx, lang } = useI18n();
  const local = useLocalTime();
  const detail = useApi<CaseDetail>(`/api/records/cases/${caseId}`);
  const timeline = useApi<{ entries: TimelineEntry[] }>(`/api/records/cases/${caseId}/timeline`);
  const c = detail.data;
  const entries = timeline.data?.entries ?? [];
  const first = (type: string) => entries.find((e) => e.type === type);
  const located = [...entries].reverse().find((e) => e.type === 'CallLocated')?.data as { address?: string; lat?: number; lon?: number } | undefined;
  const narrative = entries.filter((e) => e.type === 'CallNarrativeAppended' || e.type === 'CaseNarrativeAdded').map((e) => String(e.data.text ?? ''));
  const units = [...new Set(entries.filter((e) => e.type === 'UnitDispatched').map((e) => String(e.data.unitId ?? '')))];
  const received = first('CallReceived')?.data as { answeredAt?: string } | undefined;
  return (
    <div className="print-page" data-testid="print-view">
      <div className="print-toolbar no-print">
        <button type="button" className="primary" onClick={() => window.print()} data-testid="print-now">
          🖨 {t('print')}
        </button>
        <button type="button" onClick={onBack}>
          {t('backToCase')}
        </button>
      </div>
      {c && (
        <div className="print-sheet" data-testid="print-sheet" data-ready={timeline.data ? 'true' : 'false'}>
          <h1>{t('printTitle')}</h1>
          <div className="meta">
            <span>
              {t('caseNumber')}：{c.caseNumber}
            </span>
            <span>
              {t('printedAt')}：{local(new Date().toISOString())}
            </span>
          </div>
          <table>
            <tbody>
              <tr>
                <th>{t('callTime')}</th>
                <td>{local(received?.answeredAt ?? c.openedAt)}</td>
                <th>{t('category')}</th>
                <td>
                  {labelOf(taxonomy, c.category, lang)} / {labelOf(taxonomy, c.subtype, lang)} {c.priority ? `P${c.priority}` : ''}
                </td>
              </tr>
              <tr>
                <th>{t('location')}</th>
                <td colSpan={3}>
                  {located?.address ?? '—'}
                  {located?.lat !== undefined ? `（${located.lat.toFixed(5)}, ${located.lon?.toFixed(5)}）` : ''} · {c.district ?? ''}
                </td>
              </tr>
              <tr>
                <th>{t('narrative')}</th>
                <td colSpan={3} style={{ whiteSpace: 'pre-wrap', height: '30mm' }}>
                  {narrative.join('\n') || '—'}
                </td>
              </tr>
              <tr>
                <th>{t('handler')}</th>
                <td colSpan={3}>{units.join('、') || '—'}</td>
              </tr>
              <tr>
                <th>{t('dispositionForm')}</th>
                <td colSpan={3}>
                  {c.dispositionCodes.map((d) => tx(`disp.${d}`)).join('、') || '—'}
                  {c.suspectsCaught ? ` · ${t('suspectsCaught')} ${c.suspectsCaught}` : ''}
                  {c.peopleRescued ? ` · ${t('peopleRescued')} ${c.peopleRescued}` : ''}
                </td>
              </tr>
              <tr>
                <th>{t('status')}</th>
                <td>{tx(`case.${c.status}`)}</td>
                <th>{t('closedAt')}</th>
                <td>{local(c.closedAt)}</td>
              </tr>
              <tr>
                <th>{t('parties')}</th>
                <td colSpan={3}>{c.parties.map((p) => tx(`party.${p.role}`)).join('、') || '—'}</td>
              </tr>
            </tbody>
          </table>
          <div className="sign">
            <span>{t('handler')}{t('signature')}：__________</span>
            <span>{tx('role.supervisor')}{t('signature')}：__________</span>
          </div>
        </div>
      )}
    </div>
  );
}
