// The monitor's report as a terminal reads it: one compact row per task, version and label, with
// sparklines of requests and p95 latency across the windows, then each score's mean and interval.
// Text only; the command decides between this and --json.
import type { MonitorGroup, MonitorReport } from '../observe/index.js';
import { versionText, type VersionNumbers } from './version-numbers.js';

const bars = '▁▂▃▄▅▆▇█';

/** A sparkline of `values` (null: a gap), scaled to their own maximum. */
export function sparkline(values: readonly (number | null)[]): string {
  const present = values.filter((value): value is number => value !== null);
  const maximum = Math.max(0, ...present);
  return values
    .map((value) =>
      value === null ? ' ' : bars[maximum === 0 ? 0 : Math.min(7, Math.floor((value / maximum) * 7.999))],
    )
    .join('');
}

const milliseconds = (value: number | undefined) =>
  value === undefined
    ? '-'
    : value >= 1000
      ? `${(value / 1000).toFixed(2)}s`
      : `${value.toFixed(value < 10 ? 1 : 0)}ms`;

/** Every window start of the report, so each group's sparkline lines up with the others. */
function windowStarts(report: MonitorReport, length: number): number[] {
  const first = Math.floor(report.since / length) * length;
  const starts: number[] = [];
  for (let start = first; start < report.until && starts.length < 60; start += length) starts.push(start);
  // more than 60 windows: the latest 60
  return starts.length < 60 ? starts : starts.slice(-60);
}

function row(group: MonitorGroup, starts: number[], numbers: VersionNumbers): string[] {
  const byStart = new Map(group.series.map((point) => [point.start, point]));
  return [
    group.task ?? '(none)',
    versionText(group.version, numbers),
    group.label ?? '-',
    String(group.requests),
    `${(group.errorRate * 100).toFixed(1)}%`,
    milliseconds(group.latencyMs?.p50),
    milliseconds(group.latencyMs?.p95),
    milliseconds(group.latencyMs?.p99),
    milliseconds(group.firstTokenMs?.p95),
    `${group.tokens.input}/${group.tokens.output}`,
    group.cost === null ? '-' : `$${group.cost.toFixed(4)}`,
    sparkline(starts.map((start) => byStart.get(start)?.requests ?? 0)),
    sparkline(starts.map((start) => byStart.get(start)?.latencyP95 ?? null)),
  ];
}

/**
 * The report as text lines; `numbers` names versions as people do (@5), where the registry knows them:
 * after a few canaries, four id prefixes of one task's production say little.
 */
export function renderMonitor(
  report: MonitorReport,
  lengthMs: number,
  numbers: VersionNumbers = new Map(),
): string {
  if (report.groups.length === 0)
    return `no traces between ${new Date(report.since).toISOString()} and ${new Date(report.until).toISOString()}\n`;
  const starts = windowStarts(report, lengthMs);
  const header = [
    'task',
    'version',
    'label',
    'requests',
    'errors',
    'p50',
    'p95',
    'p99',
    'ttft p95',
    'tokens in/out',
    'cost',
    `requests per ${report.window}`,
    'p95 latency',
  ];
  const rows = [header, ...report.groups.map((group) => row(group, starts, numbers))];
  const widths = header.map((_, column) => Math.max(...rows.map((cells) => [...cells[column]].length)));
  const lines = rows.map((cells) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd(),
  );
  for (const group of report.groups) {
    const scores = Object.entries(group.scores);
    if (scores.length === 0) continue;
    lines.push(
      '',
      `scores of ${group.task ?? '(none)'} ${versionText(group.version, numbers)} ${group.label ?? '-'}:`,
    );
    for (const [name, summary] of scores)
      lines.push(
        summary.kind === 'categorical'
          ? `  ${name}  ${Object.entries(summary.categories)
              .map(([category, count]) => `${category} ${count}`)
              .join(', ')}  (n=${summary.count})`
          : `  ${name}  ${summary.mean.toFixed(3)}  [${summary.low.toFixed(3)}, ${summary.high.toFixed(3)}]  (n=${summary.count})`,
      );
  }
  const errors = report.groups.flatMap((group) =>
    Object.entries(group.errors).map(([code, count]) => `${group.task ?? '(none)'} ${code} ${count}`),
  );
  if (errors.length) lines.push('', `errors: ${errors.join('; ')}`);
  return `${lines.join('\n')}\n`;
}
