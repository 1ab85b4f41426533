/** One bar. */
export interface Bar {
  key: string;
  label: string;
  value: number;
}

/** Vertical bars (e.g. calls per hour), hand-drawn SVG with value labels on hover. */
export function ColumnChart({ bars, height = 180, testId }: { bars: Bar[]; height?: number; testId?: string }) {
  const W = 720;
  const pad = { l: 36, r: 8, t: 10, b: 22 };
  const top = Math.max(1, ...bars.map((b) => b.value));
  // a round axis maximum (1, 2 or 5 × 10^n, or a multiple of it) at or above the highest bar
  const p = 10 ** Math.floor(Math.log10(top));
  const max = [1, 2, 5, 10].map((m) => m * p).find((m) => m >= top) ?? top;
  const bw = (W - pad.l - pad.r) / Math.max(1, bars.length);
  const ticks = [0, 0.5, 1].map((f) => Math.round(max * f));
  const y = (v: number) => pad.t + (height - pad.t - pad.b) * (1 - v / max);
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${height}`} data-testid={testId}>
      {ticks.map((v) => (
        <g key={v}>
          <line x1={pad.l} x2={W - pad.r} y1={y(v)} y2={y(v)} className="axis" />
          <text x={pad.l - 4} y={y(v) + 4} textAnchor="end" className="tick">{v}</text>
        </g>
      ))}
      {bars.map((b, i) => (
        <g key={b.key}>
          <rect x={pad.l + i * bw + 1} y={y(b.value)} width={Math.max(1, bw - 2)} height={height - pad.b - y(b.value)} className="bar" />
          <title>{`${b.label}: ${b.value}`}</title>
          {(bars.length <= 24 || i % 2 === 0) && (
            <text x={pad.l + i * bw + bw / 2} y={height - 6} textAnchor="middle" className="tick">{b.label}</text>
          )}
        </g>
      ))}
    </svg>
  );
}

/** Horizontal bars with labels, counts and shares (e.g. the category mix). */
export function BarList({ bars, testId }: { bars: Bar[]; testId?: string }) {
  const total = bars.reduce((a, b) => a + b.value, 0) || 1;
  const max = Math.max(1, ...bars.map((b) => b.value));
  return (
    <div className="barlist" data-testid={testId}>
      {bars.map((b) => (
        <div key={b.key} className="barlist-row" data-key={b.key}>
          <span className="barlist-label">{b.label}</span>
          <span className="barlist-track">
            <span className="barlist-fill" style={{ width: `${(b.value / max) * 100}%` }} />
          </span>
          <span className="barlist-value">
            {b.value} <span className="muted">({((b.value / total) * 100).toFixed(1)}%)</span>
          </span>
        </div>
      ))}
    </div>
  );
}
