import { useEffect, useState } from 'react';
import { api, ApiError } from '../api';
import { ProblemBox } from './problem';
import { useI18n } from '../i18n';
import { DISPOSITION_CODES, download, summary, useLocalTime, type CaseDetail, type TimelineEntry } from '../records-model';
import { labelOf, type TaxonomyFile } from '../taxonomy';
import { useApi } from '../use-api';

/**
 * One case on the records desk: its fields, parties, narratives, the whole timeline across
 * services (records' `GET /cases/{id}/timeline`), the 出警反馈 disposition form (outcome codes
 * and counts), close with a note and reopen with a reason, print and CSV / EIDO export.
 */
export function CaseView({ caseId, taxonomy, districtName, role, onPrint, onChanged }: { caseId: string; taxonomy: TaxonomyFile | undefined; districtName: (k: string | null | undefined) => string; role: string; onPrint: () => void; onChanged: () => void }) {
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
          {districtName(c.district)} · {t('openedAt')} {local(c.openedAt)}
          {c.closedAt ? ` · ${t('closedAt')} ${local(c.closedAt)}` : ''}
        </span>
        <span className="spacer" />
        <button type="button" onClick={onPrint} data-testid="print-case">
          {t('print')}
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
            <span className="src">{tx(`src.${e.source}`)}</span>
            <span>
              <strong title={e.type}>{tx(`ev.${e.type}`)}</strong> <span className="muted">{e.actor.id}</span> {summary(e, tx, (code) => labelOf(taxonomy, code, lang))}
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
