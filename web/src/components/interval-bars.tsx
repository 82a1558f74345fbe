// Scores with their intervals as horizontal bars on a 0–1 axis, the interval drawn as a whisker over
// the bar: the audits' group scores, variants and pass^k rows read at a glance.

/** One row: a name, a score and its 95% interval. */
export interface IntervalRow {
  name: string;
  score: number;
  interval: [number, number];
  /** Drawn in the warning colour (the flagged group, the worst variant). */
  flagged?: boolean;
}

const percent = (value: number) => `${Math.max(0, Math.min(1, value)) * 100}%`;

/** The rows as bars with whiskers; `label` names the chart for screen readers. */
export function IntervalBars({ rows, label }: { rows: IntervalRow[]; label: string }) {
  return (
    <div className="interval-bars" role="img" aria-label={label}>
      {rows.map((row) => (
        <div
          className="interval-row"
          key={row.name}
          title={`${row.name}: ${row.score.toFixed(3)} [${row.interval[0].toFixed(3)}, ${row.interval[1].toFixed(3)}]`}
        >
          <span className="interval-name">{row.name}</span>
          <span className="interval-track">
            <span
              className={`interval-bar${row.flagged ? ' flagged' : ''}`}
              style={{ width: percent(row.score) }}
            />
            <span
              className="interval-whisker"
              style={{
                left: percent(row.interval[0]),
                width: `calc(${percent(row.interval[1])} - ${percent(row.interval[0])})`,
              }}
            />
          </span>
          <span className="interval-value">{row.score.toFixed(3)}</span>
        </div>
      ))}
      <div className="interval-row interval-axis" aria-hidden="true">
        <span />
        <span className="interval-track">
          {[0, 0.25, 0.5, 0.75, 1].map((tick) => (
            <span key={tick} className="interval-tick" style={{ left: percent(tick) }}>
              {tick}
            </span>
          ))}
        </span>
        <span />
      </div>
    </div>
  );
}
