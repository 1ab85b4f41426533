import { useI18n, type MessageKey } from '../i18n';
import { formatSeconds, groupResponseTimes, type ResponseTimeRow } from '../stats-figures';

/**
 * Response-time distributions as an SVG bar figure, one block per key (priority): per measure
 * (answer, processing, travel, total) a solid bar to p50, a lighter bar on to p90 and a tick at
 * p95, on one seconds axis for the whole figure; n and the three percentiles (m:ss) as labels.
 */
export function ResponseChart({ rows, keyLabel, testId }: { rows: ResponseTimeRow[]; keyLabel: (k: string | number | null) => string; testId?: string }) {
  const { t } = useI18n();
  const groups = groupResponseTimes(rows);
  const W = 720;
  const pad = { l: 150, r: 190, t: 8, b: 22 };
  const rowH = 18;
  const groupGap = 10;
  const top = Math.max(60, ...groups.flatMap((g) => g.rows.map((r) => r.p95 ?? r.p90 ?? r.p50 ?? 0)));
  // a round axis maximum (1, 2 or 5 × 10^n seconds) at or above the longest p95
  const p = 10 ** Math.floor(Math.log10(top));
  const max = [1, 2, 5, 10].map((m) => m * p).find((m) => m >= top) ?? top;
  const x = (s: number) => pad.l + ((W - pad.l - pad.r) * Math.min(s, max)) / max;
  let y = pad.t;
  const blocks = groups.map((g) => {
    const y0 = y;
    y += g.rows.length * rowH + groupGap;
    return { ...g, y0 };
  });
  const H = Math.max(y, 40) + pad.b;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => max * f);
  return (
    <svg className="chart response-chart" viewBox={`0 0 ${W} ${H}`} data-testid={testId} role="img" aria-label={t('responseTimes')}>
      {ticks.map((v) => (
        <g key={v}>
          <line x1={x(v)} x2={x(v)} y1={pad.t} y2={H - pad.b} className="axis" />
          <text x={x(v)} y={H - 6} textAnchor="middle" className="tick">{formatSeconds(v)}</text>
        </g>
      ))}
      {blocks.map((g) => (
        <g key={String(g.key)} data-testid="response-group" data-key={String(g.key)}>
          <text x={4} y={g.y0 + 13} className="group-label">{keyLabel(g.key)}</text>
          {g.rows.map((r, i) => {
            const ry = g.y0 + i * rowH;
            return (
              <g key={r.measure} data-testid="response-row" data-measure={r.measure} data-n={r.n} data-p50={r.p50 ?? ''} data-p90={r.p90 ?? ''} data-p95={r.p95 ?? ''}>
                <text x={pad.l - 6} y={ry + 13} textAnchor="end" className="tick">{t(`measure.${r.measure}` as MessageKey)}</text>
                {r.p90 !== null && <rect x={x(0)} y={ry + 3} width={Math.max(1, x(r.p90) - x(0))} height={rowH - 6} className="bar-p90" />}
                {r.p50 !== null && <rect x={x(0)} y={ry + 3} width={Math.max(1, x(r.p50) - x(0))} height={rowH - 6} className="bar" />}
                {r.p95 !== null && <line x1={x(r.p95)} x2={x(r.p95)} y1={ry + 1} y2={ry + rowH - 1} className="tick-p95" />}
                <text x={W - pad.r + 6} y={ry + 13} className="tick">
                  n={r.n} · {formatSeconds(r.p50)} / {formatSeconds(r.p90)} / {formatSeconds(r.p95)}
                </text>
                <title>{`${t(`measure.${r.measure}` as MessageKey)}: n ${r.n}, p50 ${formatSeconds(r.p50)}, p90 ${formatSeconds(r.p90)}, p95 ${formatSeconds(r.p95)}`}</title>
              </g>
            );
          })}
        </g>
      ))}
      {blocks.length === 0 && (
        <text x={W / 2} y={H / 2} textAnchor="middle" className="tick">{t('noData')}</text>
      )}
    </svg>
  );
}
