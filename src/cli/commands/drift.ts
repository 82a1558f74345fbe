// `promptune drift`: has a task's traffic moved away from what its prompt was tuned on? Compares a
// window of traces with a reference (the served version's training dataset, or an earlier window)
// feature by feature and prints each test with its statistic, p-value or distance, and what moved.
// Exit 0 either way: drift is a finding, not a failure (--fail-on-drift exits 3, for scripts).
import { defineCommand } from 'citty';
import { QualityGateError, ValidationError } from '../../errors/index.js';
import { loadModel, meanPooledEmbeddings, seededRandom } from '../../engine/index.js';
import {
  categoricalOutputs,
  datasetObservations,
  driftReport,
  parseWindow,
  parseTimeReference,
  referenceDataset,
  servedVersion,
  traceObservations,
  type DriftReport,
} from '../../observe/index.js';
import { versionSpec } from '../../registry/index.js';
import { numberOption, seedOption } from '../options.js';
import { withRegistry, registryOption } from '../registry-access.js';

/** A feature's summary as words and rounded numbers: `referenceMean 201, currentMean 197.8`. */
function summaryText(summary: Record<string, unknown>): string {
  return Object.entries(summary)
    .map(([name, value]) =>
      typeof value === 'number'
        ? `${name} ${Number(value.toPrecision(4))}`
        : `${name} ${JSON.stringify(value)}`,
    )
    .join(', ');
}

function render(report: DriftReport, reference: string, current: string): string {
  const lines = [
    `reference: ${reference} (${report.referenceCount} inputs)`,
    `current:   ${current} (${report.currentCount} inputs)`,
    report.features.length === 0
      ? 'drift:     not tested: no feature had enough observations on both sides (see below)'
      : `drift:     ${report.drifted ? `YES — ${report.moved.join(', ')}` : 'no'} (alpha ${report.alpha}, ${report.correctedAlpha.toPrecision(3)} per test)`,
    '',
  ];
  const rows = report.features.map((feature) => [
    feature.feature,
    feature.test,
    feature.statistic.toPrecision(4),
    feature.pValue === undefined
      ? `distance ${feature.distance?.toPrecision(4)}`
      : `p ${feature.pValue.toPrecision(3)}`,
    `threshold ${feature.threshold.toPrecision(3)}`,
    feature.drifted ? 'MOVED' : 'ok',
    summaryText(feature.summary),
  ]);
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column].length))) ?? [];
  for (const row of rows)
    lines.push(
      row.map((cell, column) => (column < row.length - 1 ? cell.padEnd(widths[column]) : cell)).join('  '),
    );
  for (const skipped of report.skipped) lines.push(`${skipped.feature}: not tested, ${skipped.reason}`);
  return `${lines.join('\n')}\n`;
}

export default defineCommand({
  meta: {
    name: 'drift',
    description: 'Compare a task’s recent traffic with the data its prompt was tuned on',
  },
  args: {
    task: { type: 'string', required: true, description: 'The task' },
    version: { type: 'string', description: 'The served version (default: --label)' },
    label: {
      type: 'string',
      description: 'The label whose version is checked (default: production, else the latest version)',
    },
    reference: {
      type: 'string',
      default: 'dataset',
      description:
        'dataset (the version’s training data) or a window: 14d..7d (from..until, durations ago or ISO times)',
    },
    window: { type: 'string', default: '24h', description: 'The current window: the last 24h, say' },
    model: {
      type: 'string',
      description: 'A local model to embed inputs with (adds the input_embedding test)',
    },
    alpha: { type: 'string', default: '0.05', description: 'False alarm rate for the report as a whole' },
    seed: { type: 'string', default: '0', description: 'Seed for sampling and permutations' },
    outputs: {
      type: 'boolean',
      description:
        'Also compare outputs with a dataset’s targets (with a window reference they are always compared)',
    },
    'fail-on-drift': { type: 'boolean', description: 'Exit 3 when drift is found' },
    json: { type: 'boolean', description: 'Print the report as JSON' },
    db: registryOption,
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const now = Date.now();
      const alpha = numberOption('alpha', args.alpha, { min: 1e-9, max: 0.5 }) ?? 0.05;
      const seed = seedOption(args.seed) ?? 0;
      const version = await servedVersion(registry, {
        task: args.task,
        version: args.version,
        label: args.label,
      });
      const spec = await versionSpec(registry, version);
      const current = { since: now - parseWindow(args.window, '--window'), until: now + 1 };
      let referenceName: string;
      let reference;
      if (args.reference === 'dataset') {
        const dataset = await referenceDataset(registry, version);
        reference = await datasetObservations(registry, spec, dataset.id);
        referenceName = `dataset ${dataset.name} (${dataset.id.slice(0, 12)}), the training data of ${spec.name}@${version.number}`;
      } else {
        const [from, until] = args.reference.split('..');
        if (!from || !until)
          throw new ValidationError(`--reference "${args.reference}" is neither dataset nor from..until`, {
            code: 'CLI_INVALID_OPTION',
            hint: 'Pass --reference dataset, or a window such as 14d..7d.',
          });
        const window = {
          since: parseTimeReference(from, now, '--reference'),
          until: parseTimeReference(until, now, '--reference'),
        };
        if (window.since >= window.until)
          throw new ValidationError(`--reference ${args.reference} starts after it ends`, {
            code: 'CLI_INVALID_OPTION',
            hint: 'Write the earlier end first: 14d..7d (from 14 days ago until 7 days ago).',
          });
        reference = await traceObservations(registry, spec, { version: version.id, ...window });
        referenceName = `traces of ${spec.name}@${version.number} from ${new Date(window.since).toISOString()} to ${new Date(window.until).toISOString()}`;
      }
      const observed = await traceObservations(registry, spec, { version: version.id, ...current });
      const rng = seededRandom(seed);
      let embed;
      if (args.model) {
        const loaded = await loadModel(args.model);
        embed = async (texts: string[]) => meanPooledEmbeddings(loaded.model, loaded.tokenizer, texts);
      }
      // against a dataset, outputs (answers) and targets differ by the model's error: only when asked
      const wanted = args.reference !== 'dataset' || args.outputs === true;
      const categories = categoricalOutputs(spec, reference);
      const report = await driftReport(reference, observed, {
        alpha,
        embed,
        rng,
        categoricalOutputs: wanted && categories,
      });
      if (!wanted)
        report.skipped.push({
          feature: 'output',
          reason: 'not compared with a dataset’s targets (pass --outputs)',
        });
      else if (!categories)
        report.skipped.push({
          feature: 'output',
          reason: 'outputs are free text here, not a few labels (more than 20 distinct values, or JSON)',
        });
      process.stdout.write(
        args.json
          ? `${JSON.stringify({ task: spec.name, version: version.id, reference: referenceName, ...report }, null, 2)}\n`
          : render(
              report,
              referenceName,
              `traces of ${spec.name}@${version.number} in the last ${args.window}`,
            ),
      );
      if (args['fail-on-drift'] && report.features.length === 0)
        throw new QualityGateError('drift was not tested: no feature had enough observations', {
          code: 'DRIFT_NOT_TESTED',
          hint: 'A gate with nothing tested does not pass: widen --window, or wait for more traffic (each feature needs 20 observations on both sides).',
        });
      if (args['fail-on-drift'] && report.drifted)
        throw new QualityGateError(`drift in ${report.moved.join(', ')}`, {
          code: 'DRIFT_FOUND',
          hint: 'See the report above; re-tune on recent data or check what changed upstream.',
        });
    }),
});
