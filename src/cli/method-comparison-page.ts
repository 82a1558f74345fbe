// compare-methods --report: the comparison as one standalone HTML page: the settings every method shared,
// a chart per task of test accuracy against training-set size (one line per method), then the table the
// command prints. No script and nothing fetched: the page is a file to keep beside a decision.
import { comparisonBudget } from './comparison-budget.js';
import {
  comparisonStandings,
  pickLines,
  formatInterval,
  formatP,
  signedInterval,
  untestedNotes,
  type TaskStanding,
} from './comparison-significance.js';
import type { MethodMeasurement } from './method-measurement.js';
import { METHOD_NAMES } from './soft-methods.js';

/** What every method of the comparison shared, as the page states it. */
export interface ComparisonSettings {
  model: string;
  epochs: number;
  batchSize: number;
  seed: number;
  virtualTokens: string;
  rank: string;
  /** --held-out's file name: the text forgetting is measured on (absent: each task's test inputs). */
  heldOut?: string;
  /** Each task's folder and the examples of its splits (absent: the page names the tasks alone). */
  tasks?: { name: string; directory: string; train: number; dev: number; test: number }[];
  /** When the page was written (ISO 8601); the measurements say when each was made. */
  writtenAt: string;
}

const escape = (text: string) => text.replace(/[&<>"]/g, (character) => `&#${character.charCodeAt(0)};`);
// a colour per method, distinguishable in print and for the common colour-vision deficiencies (Okabe–Ito)
const colours = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#000000'];
const dashes = ['', ' stroke-dasharray="6 3"', ' stroke-dasharray="2 3"', ' stroke-dasharray="8 3 2 3"'];

// a load per core above this while training: other work shared the cores (alone, a training read 1.3-1.5
// on two cores: its threads, the event loop and the system)
const BUSY_LOAD_PER_CORE = 2;

/**
 * One task's chart: test accuracy (0–1) by training-set size, sizes evenly spaced, a line per method, and
 * the frozen model's (no tuning) as a grey level; the size that is the whole training split (`all`, when
 * known) says so. A label task's accuracy is among its labels, as it is served; others' exact match.
 */
function accuracyChart(task: string, measurements: MethodMeasurement[], all?: number): string {
  const labelled = measurements.some((item) => item.testLabelAccuracy !== undefined);
  const accuracyOf = (item: Pick<MethodMeasurement, 'testAccuracy' | 'testLabelAccuracy'>) =>
    (labelled ? item.testLabelAccuracy : item.testAccuracy) ?? NaN;
  const frozen = measurements.find((item) => item.frozen)?.frozen;
  const sizes = [...new Set(measurements.map((item) => item.trainExamples))].sort((a, b) => a - b);
  const methods = [...new Set(measurements.map((item) => item.method))];
  // the legend's column fits the longest method name (multitask prompt tuning) at 11px
  const [width, height, left, top, right, bottom] = [470, 240, 44, 24, 200, 36];
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const x = (size: number) =>
    left + (sizes.length === 1 ? plotWidth / 2 : (sizes.indexOf(size) / (sizes.length - 1)) * plotWidth);
  const y = (accuracy: number) => top + (1 - accuracy) * plotHeight;
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (value) =>
        `<line x1="${left}" x2="${left + plotWidth}" y1="${y(value)}" y2="${y(value)}" stroke="#e5e5e5"/><text x="${left - 6}" y="${y(value) + 4}" text-anchor="end">${value.toFixed(2)}</text>`,
    )
    .join('');
  const ticks = sizes
    .map(
      (size) =>
        `<text x="${x(size)}" y="${top + plotHeight + 16}" text-anchor="middle">${size}${size === all ? ' (all)' : ''}</text>`,
    )
    .join('');
  const lines = methods
    .map((method, index) => {
      const colour = colours[index % colours.length];
      // a dash pattern per method as well, and each line narrower than the one drawn before it, so a line
      // with the same values as another (LoRA and full fine-tuning at 1.000) still shows around it
      const dash = dashes[index % dashes.length];
      const width = 2 + 1.5 * (methods.length - 1 - index);
      const radius = 3 + 1.2 * (methods.length - 1 - index);
      const points = measurements
        .filter((item) => item.method === method)
        .sort((a, b) => a.trainExamples - b.trainExamples)
        // a size with no accuracy (none measured) is left out of the line, not drawn at NaN
        .filter((item) => Number.isFinite(accuracyOf(item)))
        .map((item) => [x(item.trainExamples), y(accuracyOf(item)), accuracyOf(item)] as const);
      const path = points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
      const dots = points
        .map(
          ([px, py, accuracy]) =>
            `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="${radius.toFixed(1)}" fill="${colour}"><title>${escape(METHOD_NAMES[method])}: ${accuracy.toFixed(3)}</title></circle>`,
        )
        .join('');
      const legendY = top + 6 + index * 18;
      return `<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="${width.toFixed(1)}"${dash}/>${dots}<line x1="${left + plotWidth + 16}" x2="${left + plotWidth + 36}" y1="${legendY}" y2="${legendY}" stroke="${colour}" stroke-width="3"${dash}/><text x="${left + plotWidth + 42}" y="${legendY + 4}">${escape(METHOD_NAMES[method])}</text>`;
    })
    .join('');
  const level = frozen && accuracyOf(frozen);
  const none =
    level === undefined || Number.isNaN(level)
      ? ''
      : `<line x1="${left}" x2="${left + plotWidth}" y1="${y(level).toFixed(1)}" y2="${y(level).toFixed(1)}" stroke="#999" stroke-dasharray="4 4"><title>no tuning: ${level.toFixed(3)}</title></line><text x="${left + plotWidth - 4}" y="${(y(level) - 4).toFixed(1)}" text-anchor="end" fill="#777" stroke="#fff" stroke-width="3" paint-order="stroke">no tuning</text>`;
  return `<figure><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escape(task)}: test accuracy by training examples">${grid}${ticks}${none}${lines}<text x="${left + plotWidth / 2}" y="${height - 4}" text-anchor="middle">training examples</text></svg><figcaption>${escape(task)}: ${labelled ? 'test label accuracy' : 'test exact match'} by training-set size</figcaption></figure>`;
}

/** Each task by name, with its folder and its splits' sizes when the settings know them. */
function taskList(names: string[], settings: ComparisonSettings): string {
  return names
    .map((name) => {
      const task = settings.tasks?.find((item) => item.name === name);
      return task
        ? `${name}: ${task.directory} (train ${task.train}, dev ${task.dev}, test ${task.test} examples)`
        : name;
    })
    .join('; ');
}

/**
 * How busy the machine was while the measurements trained: the range of load per core, and how many ran
 * beside other work (their s/step is the contended machine's, kept in the journal and reused on reruns).
 */
function loadSpan(measurements: MethodMeasurement[]): string | undefined {
  const loads = measurements.flatMap((item) => (item.loadPerCore === undefined ? [] : [item.loadPerCore]));
  if (loads.length === 0) return undefined;
  const busy = loads.filter((load) => load > BUSY_LOAD_PER_CORE).length;
  const range = `${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} (alone, a training reads about 1 to 1.5)`;
  return busy
    ? `${range}; ${busy} measurement${busy === 1 ? '' : 's'} above ${BUSY_LOAD_PER_CORE}: other work shared the cores, so ${busy === 1 ? 'its' : 'their'} s/step reads slow (--no-resume measures again)`
    : range;
}

/**
 * When the measurements were made: the first and last time (a rerun takes measurements from its journal,
 * so they can be older than the page), and how many a journal written before kept no time for.
 */
function measuredSpan(measurements: MethodMeasurement[]): string {
  const times = measurements.flatMap((item) => (item.measuredAt ? [item.measuredAt] : [])).sort();
  const untimed = measurements.length - times.length;
  const span =
    times.length === 0 ? '' : times[0] === times.at(-1) ? times[0]! : `${times[0]} to ${times.at(-1)}`;
  const without = untimed
    ? `${untimed} measurement${untimed === 1 ? '' : 's'} from a journal that kept no time`
    : '';
  return [span, without].filter(Boolean).join('; ');
}

/** A task's standing at its largest size as a table: each row's accuracy, and its difference from the best. */
function standingTable(standing: TaskStanding): string {
  const caption = `${standing.task}: ${standing.measure} on ${standing.testExamples} test examples, ${standing.trainExamples} training examples`;
  const rows = standing.methods.map(({ name, accuracy, interval: range, difference }) => {
    const cells = difference
      ? [
          signedInterval(difference.value, difference.interval),
          formatP(difference.pValue),
          difference.clearlyWorse ? 'clearly below' : 'not clearly below',
        ]
      : ['the best', '', ''];
    return `<tr${difference?.clearlyWorse ? '' : ' class="close"'}><td>${escape(name)}</td><td>${accuracy.toFixed(3)} ${formatInterval(range)}</td>${cells.map((cell) => `<td>${escape(cell)}</td>`).join('')}</tr>`;
  });
  const untested = [
    ...pickLines(standing).map((line) => `<p>${escape(line)}</p>`),
    ...untestedNotes(standing).map((note) => `<p>Not tested ${escape(note)}</p>`),
  ].join('');
  if (standing.methods.length === 0) return untested && `<h3>${escape(standing.task)}</h3>${untested}`;
  return `<table><caption>${escape(caption)}</caption><tr><th>method</th><th>accuracy [95%]</th><th>difference from the best [95%]</th><th>p (Holm)</th><th></th></tr>${rows.join('')}</table>${untested}`;
}

/** The comparison as a standalone HTML page: settings, a chart per task, and `rows` (header first). */
export function comparisonPage(
  measurements: MethodMeasurement[],
  rows: string[][],
  settings: ComparisonSettings,
): string {
  const [header, ...body] = rows;
  const cells = (tag: string, values: string[]) =>
    values.map((value) => `<${tag}>${escape(value)}</${tag}>`).join('');
  const tasks = [...new Set(measurements.map((item) => item.task))];
  const load = loadSpan(measurements);
  const standings = comparisonStandings(measurements);
  const shared = [
    ['model', settings.model],
    ['tasks', taskList(tasks, settings)],
    ...comparisonBudget(measurements, settings),
    ['measured', measuredSpan(measurements)],
    ...(load ? [['load per core while training', load]] : []),
    ['page written', settings.writtenAt],
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>promptune: methods compared</title>
<style>body{font:14px system-ui;margin:2em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{color:#666}dd{margin:0}
.charts{display:flex;flex-wrap:wrap;gap:16px}.standings{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}caption{text-align:left;color:#444;padding:4px 0}tr.close td{background:#eef6ee}figure{margin:0}svg{font:11px system-ui}figcaption{color:#444}p{max-width:60em;color:#444}</style>
</head><body><h1>Methods compared on ${escape(settings.model)}</h1>
<dl>${shared.map(([term, value]) => `<dt>${escape(term)}</dt><dd>${escape(value)}</dd>`).join('')}</dl>
<h2>Test accuracy by training-set size</h2><div class="charts">${tasks
    .map((task) =>
      accuracyChart(
        task,
        measurements.filter((item) => item.task === task),
        settings.tasks?.find((item) => item.name === task)?.train,
      ),
    )
    .join('')}</div>
<h2>The comparison</h2><table><tr>${cells('th', header)}</tr>
${body.map((row) => `<tr>${cells('td', row)}</tr>`).join('\n')}</table>
<p>A row's trainable parameters, s/step, training seconds, peak RSS, perplexity and serving cost are its largest size's. s/step
is the median step's own time (its forward, backward and update; dev evaluations left out), so a moment's
load moves it less than a mean would; peak RSS is the largest resident set of the process sampled at each step, the model included (memory an
earlier row freed may still be held, so a later row can read more or less than it alone would need).
Exact match is the model's greedy answer being the target; on a label task, label accuracy is the label
of the highest log-likelihood being the target, as the task is served (constrained to its labels), and the
charts draw it. The frozen model's row (no tuning) is the input alone. A training set smaller than the
split is the first examples of one seeded order in which a label task's labels take turns.
Held-out perplexity is of ${settings.heldOut ? `the passages of ${escape(settings.heldOut)}` : "each task's test inputs (the base model's own kind of text only where a task's inputs are, as the shared story tasks' are; --held-out gives other text)"}, without the method and with it applied. A served
task keeps its adapter's bytes on the shared model; a fully fine-tuned task is a model of its own.</p>
${
  standings.length
    ? `<h2>Which differences are real</h2><div class="standings">${standings.map(standingTable).join('')}</div>
<p>At each task's largest training set, the best row against every other on the same test examples: the
difference with its 95% paired bootstrap interval, and McNemar's exact p-value adjusted by Holm's method across the
task's rows, so "clearly below" holds for all of them at once at 5%. Rows not clearly below the best may be
as good. Each method trained once (one seed): the test examples are the only chance these intervals count;
and the best is picked after looking, which makes its lead read a little surer than it is.</p>`
    : ''
}</body></html>
`;
}
