import { useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api';
import { BarList, ColumnChart } from '../components/bar-chart';
import { HexMap } from '../components/hex-map';
import { ProblemBox } from '../components/problem';
import { ResponseChart } from '../components/response-chart';
import { useConsoleConfig } from '../console-config';
import { bureauTime } from '../bureau-time';
import { useI18n, type MessageKey } from '../i18n';
import { useLiveRefresh } from '../live';
import { parseMetrics, pipelineFigures, ratePerSecond, type PipelineFigures } from '../metrics-text';
import { labelOf, type TaxonomyFile } from '../taxonomy';
import { callsPerCell, localDay, PERIODS, periodOf, type CellHourRow, type PeriodName, type ResponseTimeRow } from '../stats-figures';
import { useApi } from '../use-api';

/** `GET /stats/compare` change (同比 or 环比): changePct null when the base is 0. */
interface Change {
  base: number;
  change: number;
  changePct: number | null;
  baseZero: boolean;
}
interface Compare {
  period: { from: string; to: string };
  yoyPeriod: { from: string; to: string };
  popPeriod: { from: string; to: string };
  rows: { key: string | null; current: number; yoy: Change; pop: Change }[];
}
interface DaysWithout {
  rows: { district: string | null; days: number; daysWithoutIncident: number; daysWithoutCriminalIncident: number }[];
}
const METRICS = ['incidents', 'calls', 'criminal', 'two-robberies-one-theft'] as const;
/** H3 resolution of the hex map (~0.7 km² cells; statistics stores 9 and aggregates to parents). */
const HEX_RESOLUTION = 8;

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
 * every 2 s); for a chosen period of local days (today, 7 or 30 days, year to date): the 同比 /
 * 环比 table by category, days without incidents, response-time distributions by priority and the
 * hexagon hot-spot map (see {@link useFigures}); and per service the consumed / published message counts with their rates, outbox
 * backlog, consumer lag and dead letters from each service's Prometheus `/metrics`.
 */
export function OpsView({ taxonomy, geojson }: { taxonomy: TaxonomyFile | undefined; geojson?: unknown }) {
  const { t, lang } = useI18n();
  const bureauZone = useConsoleConfig()?.timeZone ?? 'Asia/Shanghai';
  const byHour = useApi<Counts>('/api/statistics/stats/counts?by=hour');
  const byCategory = useApi<Counts>('/api/statistics/stats/counts?by=category');
  const figures = useFigures();
  useLiveRefresh(
    (e) => e.source === 'intake' || e.source === 'dispatch' || e.source === 'records',
    () => {
      byHour.reload();
      byCategory.reload();
      figures.reload();
    },
    2000,
  );
  // statistics publishes no events of its own: besides re-reading on the events that feed it,
  // re-read every STATS_REFRESH_SECONDS so the figures settle even if a re-read came too early
  useEffect(() => {
    const timer = setInterval(() => {
      byHour.reload();
      byCategory.reload();
      figures.reload();
    }, STATS_REFRESH_SECONDS * 1000);
    return () => clearInterval(timer);
  }, [byHour.reload, byCategory.reload, figures.reload]); // eslint-disable-line react-hooks/exhaustive-deps
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
      <FigurePanels figures={figures} taxonomy={taxonomy} geojson={geojson} fmt={fmt} />
      <section className="panel">
        <div className="panel-head">
          <h2>{t('pipeline')}</h2>
          <span className="muted small">
            {pipeline.at ? `${t('updated')} ${bureauTime(pipeline.at, bureauZone, { withDate: false })}` : t('loading')} · /metrics
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

type Figures = ReturnType<typeof useFigures>;

/**
 * The period figures of the ops view, for the chosen period (local days in the bureau's zone from
 * `/api/console/config`) and metric: `GET /api/statistics/stats/compare?by=category`,
 * `/stats/days-without`, `/stats/response-times?by=priority` (seconds), `/stats/hotspots/cells`
 * and `/stats/hotspots` (Gi* top cells) at resolution {@link HEX_RESOLUTION}. Nothing is asked
 * before the zone is known.
 */
function useFigures() {
  const config = useConsoleConfig();
  const [periodName, setPeriodName] = useState<PeriodName>('30d');
  const [metric, setMetric] = useState<(typeof METRICS)[number]>('incidents');
  const period = config ? periodOf(periodName, localDay(new Date(), config.timeZone)) : undefined;
  const q = period ? `from=${period.from}&to=${period.to}` : undefined;
  const compare = useApi<Compare>(q && `/api/statistics/stats/compare?metric=${metric}&by=category&${q}`);
  const daysWithout = useApi<DaysWithout>(q && `/api/statistics/stats/days-without?${q}`);
  const response = useApi<{ rows: ResponseTimeRow[] }>(q && `/api/statistics/stats/response-times?by=priority&${q}`);
  const cells = useApi<{ rows: CellHourRow[] }>(q && `/api/statistics/stats/hotspots/cells?resolution=${HEX_RESOLUTION}&${q}`);
  const hot = useApi<{ rows: { cell: string; z: number | null }[] }>(q && `/api/statistics/stats/hotspots?resolution=${HEX_RESOLUTION}&k=1&top=20&${q}`);
  const all = [compare, daysWithout, response, cells, hot];
  const reload = useRef(() => undefined as void);
  reload.current = () => all.forEach((a) => a.reload());
  const stableReload = useRef(() => reload.current()).current;
  return { period, periodName, setPeriodName, metric, setMetric, compare, daysWithout, response, cells, hot, reload: stableReload };
}

function FigurePanels({ figures: f, taxonomy, geojson, fmt }: { figures: Figures; taxonomy: TaxonomyFile | undefined; geojson: unknown; fmt: (n: number | undefined, digits?: number) => string }) {
  const { t, lang } = useI18n();
  const pct = (c: Change) => (c.baseZero || c.changePct === null ? '—' : `${c.changePct > 0 ? '+' : ''}${fmt(c.changePct, 2)}%`);
  const signed = (n: number) => `${n > 0 ? '+' : ''}${fmt(n)}`;
  const cellRows = callsPerCell(f.cells.data?.rows ?? []);
  const hotCells = [...new Set((f.hot.data?.rows ?? []).filter((r) => r.z !== null && r.z >= 1.96).map((r) => r.cell))];
  const overall = f.daysWithout.data?.rows.find((r) => r.district === null);
  const errors = [f.compare, f.daysWithout, f.response, f.cells, f.hot].map((x) => x.error).filter((e) => e !== undefined);
  return (
    <>
      <section className="panel figures-head">
        <div className="panel-head">
          <h2>{t('periodFigures')}</h2>
          <label className="inline">
            {t('period')}{' '}
            <select value={f.periodName} onChange={(e) => f.setPeriodName(e.target.value as PeriodName)} data-testid="period-select">
              {PERIODS.map((p) => (
                <option key={p} value={p}>
                  {t(`period.${p}` as MessageKey)}
                </option>
              ))}
            </select>
          </label>
          <span className="muted small" data-testid="period">
            {f.period ? `${f.period.from} – ${f.period.to}` : t('loading')}
          </span>
        </div>
        {errors[0] && <ProblemBox error={errors[0]} />}
        <div className="kpis">
          <div className="kpi">
            <span className="kpi-label">{t('daysWithoutIncident')}</span>
            <span className="kpi-value" data-testid="days-without-incident">{overall ? fmt(overall.daysWithoutIncident) : '…'}</span>
            <span className="muted small">/ {overall ? fmt(overall.days) : '…'} {t('days')}</span>
          </div>
          <div className="kpi">
            <span className="kpi-label">{t('daysWithoutCriminal')}</span>
            <span className="kpi-value" data-testid="days-without-criminal">{overall ? fmt(overall.daysWithoutCriminalIncident) : '…'}</span>
            <span className="muted small">/ {overall ? fmt(overall.days) : '…'} {t('days')}</span>
          </div>
        </div>
        {f.daysWithout.data && f.daysWithout.data.rows.length > 1 && (
          <table className="table compact" data-testid="days-without-table">
            <thead>
              <tr>
                <th>{t('district')}</th>
                <th>{t('daysWithoutIncident')}</th>
                <th>{t('daysWithoutCriminal')}</th>
              </tr>
            </thead>
            <tbody>
              {f.daysWithout.data.rows
                .filter((r) => r.district !== null)
                .map((r) => (
                  <tr key={r.district} data-district={r.district}>
                    <td>{r.district}</td>
                    <td>{fmt(r.daysWithoutIncident)}</td>
                    <td>{fmt(r.daysWithoutCriminalIncident)}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="panel yoy">
        <div className="panel-head">
          <h2>{t('yoyTable')}</h2>
          <select value={f.metric} onChange={(e) => f.setMetric(e.target.value as (typeof METRICS)[number])} data-testid="metric-select">
            {METRICS.map((m) => (
              <option key={m} value={m}>
                {t(`metric.${m}` as MessageKey)}
              </option>
            ))}
          </select>
          {f.compare.data && (
            <span className="muted small">
              {t('yoyBase')} {f.compare.data.yoyPeriod.from} – {f.compare.data.yoyPeriod.to} · {t('popBase')} {f.compare.data.popPeriod.from} – {f.compare.data.popPeriod.to}
            </span>
          )}
        </div>
        <table className="table" data-testid="yoy-table">
          <thead>
            <tr>
              <th>{t('category')}</th>
              <th>{t('current')}</th>
              <th>{t('yoyBase')}</th>
              <th>{t('yoy')}</th>
              <th>{t('popBase')}</th>
              <th>{t('pop')}</th>
            </tr>
          </thead>
          <tbody>
            {(f.compare.data?.rows ?? []).map((r) => (
              <tr key={r.key ?? '—'} data-key={r.key ?? ''} data-current={r.current}>
                <td>{r.key === null ? '—' : labelOf(taxonomy, r.key, lang)}</td>
                <td>{fmt(r.current)}</td>
                <td>{fmt(r.yoy.base)}</td>
                <td className={r.yoy.change > 0 ? 'up' : r.yoy.change < 0 ? 'down' : ''}>
                  {signed(r.yoy.change)} <span className="muted small">({pct(r.yoy)})</span>
                </td>
                <td>{fmt(r.pop.base)}</td>
                <td className={r.pop.change > 0 ? 'up' : r.pop.change < 0 ? 'down' : ''}>
                  {signed(r.pop.change)} <span className="muted small">({pct(r.pop)})</span>
                </td>
              </tr>
            ))}
            {f.compare.data && f.compare.data.rows.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">{t('noData')}</td>
              </tr>
            )}
          </tbody>
        </table>
      </section>
      <section className="panel">
        <div className="panel-head">
          <h2>{t('responseTimes')}</h2>
          <span className="muted small">{t('responseLegend')}</span>
        </div>
        <ResponseChart rows={f.response.data?.rows ?? []} keyLabel={(k) => (k === null ? '—' : `P${k}`)} testId="response-times" />
      </section>
      <section className="panel">
        <div className="panel-head">
          <h2>{t('hotspotMap')}</h2>
          <span className="muted small" data-testid="hex-count">
            {cellRows.length} {t('cells')} · H3 r{HEX_RESOLUTION} · {t('hotspotLegend')}
          </span>
        </div>
        <HexMap cells={cellRows} hot={hotCells} geojson={geojson} testId="hex-map" />
      </section>
    </>
  );
}
