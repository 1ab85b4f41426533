import { useI18n } from '../i18n';
import { useLocalTime, type CaseDetail, type TimelineEntry } from '../records-model';
import { labelOf, type TaxonomyFile } from '../taxonomy';
import { useApi } from '../use-api';

/** 警情单 — the incident form for printing (A4, print stylesheet in desk.css); Ctrl+P or the button prints it. */
export function PrintView({ caseId, taxonomy, districtName, onBack }: { caseId: string; taxonomy: TaxonomyFile | undefined; districtName: (k: string | null | undefined) => string; onBack: () => void }) {
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
          {t('print')}
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
                  {located?.lat !== undefined ? `（${located.lat.toFixed(5)}, ${located.lon?.toFixed(5)}）` : ''} · {c.district ? districtName(c.district) : ''}
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
