import { useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api';
import { BarList, ColumnChart } from '../components/bar-chart';
import { ProblemBox } from '../components/problem';
import { useI18n } from '../i18n';
import { useLiveRefresh } from '../live';
import { parseMetrics, pipelineFigures, ratePerSecond, type PipelineFigures } from '../metrics-text';
import { labelOf, type TaxonomyFile } from '../taxonomy';
import { useApi } from '../use-api';

interface Counts {
  timeZone: string;
  by: string;
  rows: { key: string | number | null; count: number }[];
  total: number;
}

/** Services whose /metrics the ops view reads: the four through the gateway, the console itself. */
const METRIC_SOURCES: { name: string; path: string }[] = [
  { name: 'intake', path: '/api/intake/metrics' },
  { name: 'dispatch', path: '/api/dispatch/metrics' },
  { name: 'records', path: '/api/records/metrics' },
  { name: 'statistics', path: '/api/statistics/metrics' },
  { name: 'console', path: '/metrics' },
];

/** Seconds between re-reads of the statistics when no event asks for one. */
const STATS_REFRESH_SECONDS = 10;

/** Seconds between metric scrapes. */
const SCRAPE_SECONDS = 5;

interface Row {
  name: string;
  figures?: PipelineFigures;
  consumedPerSecond?: number;
  producedPerSecond?: number;
  error?: ApiError;
}

/** Scrapes every service's metrics each {@link SCRAPE_SECONDS} s; rates are the counters' change between two scrapes. */
function usePipeline(): { rows: Row[]; at?: Date } {
  const [rows, setRows] = useState<Row[]>(METRIC_SOURCES.map((s) => ({ name: s.name })));
  const [at, setAt] = useState<Date>();
  const prev = useRef(new Map<string, { t: number; f: PipelineFigures }>());
  useEffect(() => {
    let alive = true;
    const scrape = async () => {
      const out = await Promise.all(
        METRIC_SOURCES.map(async (s): Promise<Row> => {
          try {
            const text = await api<string>('GET', s.path, undefined, { text: true });
            const f = pipelineFigures(parseMetrics(text));
            const t = Date.now();
            const p = prev.current.get(s.name);
            prev.current.set(s.name, { t, f });
            const secs = p ? (t - p.t) / 1000 : 0;
            return {
              name: s.name,
              figures: f,
              ...(p ? { consumedPerSecond: ratePerSecond(p.f.consumed, f.consumed, secs), producedPerSecond: ratePerSecond(p.f.produced, f.produced, secs) } : {}),
            };
          } catch (e) {
            return { name: s.name, error: e instanceof ApiError ? e : new ApiError(0, 'Error', String(e)) };
          }
        }),
      );
      if (!alive) return;
      setRows(out);
      setAt(new Date());
    };
    void scrape();
    const timer = setInterval(() => void scrape(), SCRAPE_SECONDS * 1000);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, []);
  return { rows, ...(at ? { at } : {}) };
}

/**
 * 统计与运行 — calls received (total), calls per local hour, the category mix (labels in the UI
 * language) from `GET /api/statistics/stats/counts`, re-read when new events arrive (at most
 * every 2 s); and per service the consumed / published message counts with their rates, outbox
 * backlog, consumer lag and dead letters from each service's Prometheus `/metrics`.
 */
export function OpsView({ taxonomy }: { taxonomy: TaxonomyFile | undefined }) {
  const { t, lang } = useI18n();
  const byHour = useApi<Counts>('/api/statistics/stats/counts?by=hour');
  const byCategory = useApi<Counts>('/api/statistics/stats/counts?by=category');
  useLiveRefresh(
    (e) => e.source === 'intake' || e.source === 'dispatch' || e.source === 'records',
    () => {
      byHour.reload();
      byCategory.reload();
    },
    2000,
  );
  // statistics publishes no events of its own: besides re-reading on the events that feed it,
  // re-read every STATS_REFRESH_SECONDS so the figures settle even if a re-read came too early
  useEffect(() => {
    const timer = setInterval(() => {
      byHour.reload();
      byCategory.reload();
    }, STATS_REFRESH_SECONDS * 1000);
    return () => clearInterval(timer);
  }, [byHour.reload, byCategory.reload]); // eslint-disable-line react-hooks/exhaustive-deps
  const pipeline = usePipeline();
  const hours = Array.from({ length: 24 }, (_, h) => ({ key: String(h), label: String(h), value: byHour.data?.rows.find((r) => Number(r.key) === h)?.count ?? 0 }));
  const categories = [...(byCategory.data?.rows ?? [])]
    .sort((a, b) => b.count - a.count)
    .map((r) => ({ key: String(r.key), label: r.key === null ? '—' : labelOf(taxonomy, String(r.key), lang), value: r.count }));
  const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '—' : n.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

  return (
    <div className="view ops" data-testid="view-ops">
      <section className="panel kpis">
        <div className="kpi">
          <span className="kpi-label">{t('statsTotal')}</span>
          <span className="kpi-value" data-testid="stats-total">{byCategory.data ? fmt(byCategory.data.total) : '…'}</span>
          <span className="muted small">{byCategory.data?.timeZone}</span>
        </div>
        {byCategory.error && <ProblemBox error={byCategory.error} />}
      </section>
      <section className="panel">
        <div className="panel-head">
          <h2>{t('callsPerHour')}</h2>
        </div>
        <ColumnChart bars={hours} testId="chart-hours" />
      </section>
      <section className="panel">
        <div className="panel-head">
          <h2>{t('categoryMix')}</h2>
        </div>
        <BarList bars={categories} testId="chart-categories" />
      </section>
      <section className="panel">
        <div className="panel-head">
          <h2>{t('pipeline')}</h2>
          <span className="muted small">
            {pipeline.at ? `${t('updated')} ${pipeline.at.toLocaleTimeString(lang === 'zh' ? 'zh-CN' : 'en')}` : t('loading')} · /metrics
          </span>
        </div>
        <table className="table" data-testid="pipeline-table">
          <thead>
            <tr>
              <th>{t('service')}</th>
              <th>{t('consumed')}</th>
              <th>{t('throughput')}</th>
              <th>{t('produced')}</th>
              <th>{t('outbox')}</th>
              <th>{t('lag')}</th>
              <th>{t('deadLettered')}</th>
              <th>{t('httpRequests')}</th>
            </tr>
          </thead>
          <tbody>
            {pipeline.rows.map((r) => (
              <tr key={r.name} data-service={r.name}>
                <td>{r.name}</td>
                {r.error ? (
                  <td colSpan={7} className="bad">
                    {t('unreachable')}: HTTP {r.error.status} {r.error.title}
                  </td>
                ) : (
                  <>
                    <td>{fmt(r.figures?.consumed)}</td>
                    <td>{fmt(r.consumedPerSecond, 1)}</td>
                    <td>
                      {fmt(r.figures?.produced)} {r.producedPerSecond !== undefined && <span className="muted small">({fmt(r.producedPerSecond, 1)}/s)</span>}
                    </td>
                    <td className={r.figures && r.figures.outboxBacklog > 0 ? 'warn' : ''}>{fmt(r.figures?.outboxBacklog)}</td>
                    <td className={r.figures && r.figures.consumerLag > 0 ? 'warn' : ''}>{fmt(r.figures?.consumerLag)}</td>
                    <td className={r.figures && r.figures.deadLettered > 0 ? 'bad' : ''}>{fmt(r.figures?.deadLettered)}</td>
                    <td>{fmt(r.figures?.httpRequests)}</td>
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
