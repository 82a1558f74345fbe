// Scores with intervals as an inline SVG for the audit reports: one horizontal bar per row on a 0–1
// axis, its 95% interval drawn as a whisker, its name on the left.
import { escapeHtml as escape } from '../eval/index.js';

/** The rows as bars with whiskers; `label` is the chart's accessible name. */
export function intervalChart(
  rows: { name: string; score: number; interval: [number, number] }[],
  label: string,
): string {
  const width = 640;
  const left = 300; // names are cut to fit: 42 characters at 13px
  const row = 30;
  const scale = (value: number) => left + Math.min(1, Math.max(0, value)) * (width - left - 50);
  const bars = rows
    .map((entry, index) => {
      const y = 14 + index * row;
      const [low, high] = entry.interval;
      return `<text x="${left - 8}" y="${y + 15}" text-anchor="end"><title>${escape(entry.name)}</title>${escape(entry.name, 42)}</text>
<rect x="${left}" y="${y + 4}" width="${scale(entry.score) - left}" height="16" fill="#8ab4f8"/>
<line x1="${scale(low)}" x2="${scale(high)}" y1="${y + 12}" y2="${y + 12}" stroke="#222" stroke-width="2"/>
<line x1="${scale(low)}" x2="${scale(low)}" y1="${y + 6}" y2="${y + 18}" stroke="#222"/>
<line x1="${scale(high)}" x2="${scale(high)}" y1="${y + 6}" y2="${y + 18}" stroke="#222"/>
<text x="${scale(high) + 6}" y="${y + 16}" font-size="12">${entry.score.toFixed(3)}</text>`;
    })
    .join('\n');
  const height = 24 + rows.length * row;
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (tick) =>
        `<line x1="${scale(tick)}" x2="${scale(tick)}" y1="8" y2="${height - 12}" stroke="#ddd"/><text x="${scale(tick)}" y="${height}" font-size="11" text-anchor="middle">${tick}</text>`,
    )
    .join('');
  return `<svg role="img" aria-label="${escape(label)}" width="${width}" height="${height + 4}" font-family="system-ui,sans-serif" font-size="13">${ticks}${bars}</svg>`;
}
