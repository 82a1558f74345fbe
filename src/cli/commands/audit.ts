// `promptune audit bias`: counterfactual bias audits of a task's prompt (the spec's, an artifact, a
// soft adapter or a registry version) on a model: per-group scores with intervals, the largest gap with
// its test, the flip rate and the flipped examples; --json, --report out.html, and --push to record
// the audit as a run in the registry.
import { defineCommand } from 'citty';
import { biasAudit, readAttributeSet, renderBiasReportHtml, type BiasAudit } from '../../audit/index.js';
import { writeFileAtomically } from '../../engine/index.js';
import { ValidationError } from '../../errors/index.js';
import { ResponseCache } from '../../eval/index.js';
import { datasetFileIds } from '../../registry/index.js';
import { loadSplit, type SplitName } from '../../tasks/index.js';
import { auditSubject, subjectArgs, type SubjectDescription } from '../audit-subject.js';
import { choice, listOption, numberOption } from '../options.js';
import { progressBar } from '../progress.js';
import { registryOption } from '../registry-access.js';
import { recordRun } from '../run-recorder.js';

/** Options every audit takes besides what it audits. */
const runArgs = {
  split: { type: 'string', default: 'test', description: 'Split to audit: train, dev or test' },
  limit: { type: 'string', description: 'Audit only the first N examples' },
  concurrency: { type: 'string', default: '4', description: 'Model calls in flight at once' },
  seed: { type: 'string', default: '0', description: 'Seed of the bootstrap and permutation tests' },
  cache: {
    type: 'boolean',
    default: true,
    description: 'Reuse cached responses (--no-cache calls the model for every request)',
  },
  'cache-file': { type: 'string', default: '.promptune/cache.sqlite', description: 'Response cache file' },
  json: { type: 'boolean', default: false, description: 'Print the result as JSON' },
  report: { type: 'string', description: 'Write a self-contained HTML report here' },
  push: { type: 'boolean', description: 'Record the audit as a run in the registry (--db)' },
  db: registryOption,
} as const;

const describeSubject = (subject: SubjectDescription) =>
  subject.version
    ? `${subject.kind} version ${subject.version.task}@${subject.version.number}`
    : subject.adapter
      ? `soft prompt ${subject.adapter}`
      : subject.prompt
        ? `prompt ${subject.prompt}`
        : "the spec's prompt";

/** The bias summary --json prints and a run stores: the audit without the flipped examples' texts. */
export function biasSummary(audit: BiasAudit) {
  const { flippedExamples, ...summary } = audit;
  return { ...summary, flippedLines: flippedExamples.map((example) => example.line) };
}

function biasText(audit: BiasAudit, subject: SubjectDescription): string {
  const width = Math.max(...audit.groups.map((group) => group.name.length));
  const { gap } = audit;
  return [
    `bias audit of ${audit.task} (${describeSubject(subject)}) on ${audit.model}, ${audit.split} split: ${audit.audited} examples rewritten for each group, ${audit.skipped} left out`,
    ...audit.groups.map(
      (group) =>
        `  ${group.name.padEnd(width)}  ${group.score.toFixed(3)}  [${group.interval[0].toFixed(3)}, ${group.interval[1].toFixed(3)}]  n ${group.n}`,
    ),
    `largest gap: ${gap.between[0]} − ${gap.between[1]} = ${gap.difference.toFixed(3)}${gap.ratio === null ? '' : ` (ratio ${gap.ratio.toFixed(3)})`}, p = ${gap.pValue.toFixed(4)}: ${gap.significant ? 'SIGNIFICANT' : 'not significant'} at 0.05`,
    `flip rate: ${audit.flipRate.toFixed(3)} (${audit.flipped.length} of ${audit.audited} answered differently with the attribute swapped; right for one group and wrong for another: ${audit.scoreFlipRate.toFixed(3)})`,
    ...audit.flippedExamples
      .slice(0, 5)
      .map(
        (example) =>
          `  line ${example.line}: ${example.answers.map((answer) => `${answer.group} ${answer.score >= 1 ? '✓' : '✗'} ${JSON.stringify(answer.output.slice(0, 40))}`).join(' | ')}`,
      ),
    `calls ${audit.calls}, cache hits ${audit.cacheHits}`,
    '',
  ].join('\n');
}

const bias = defineCommand({
  meta: {
    name: 'bias',
    description: 'Counterfactual bias audit: the same inputs with names and gendered words swapped per group',
  },
  args: {
    ...subjectArgs,
    ...runArgs,
    set: {
      type: 'string',
      description:
        'Attribute sets to swap, aligned by group (repeatable): story-names, gendered-words, origin-names, or a YAML/JSON file (default: story-names and gendered-words)',
    },
    alpha: { type: 'string', default: '0.05', description: 'Significance level of the gap test' },
  },
  async run({ args }) {
    const split = choice('split', args.split, ['train', 'dev', 'test'] as const) as SplitName;
    const references = listOption(args.set);
    const sets = (references.length ? references : ['story-names', 'gendered-words']).map(readAttributeSet);
    const limit = numberOption('limit', args.limit, { integer: true, min: 1 });
    const alpha = numberOption('alpha', args.alpha, { min: 0, max: 1 })!;
    if (alpha <= 0 || alpha >= 1)
      throw new ValidationError(`--alpha is ${alpha}`, {
        code: 'CLI_INVALID_OPTION',
        hint: 'Use a significance level between 0 and 1, such as 0.05.',
      });
    const { task, model, subject } = await auditSubject(args);
    const examples = loadSplit(task, split).slice(0, limit);
    const cache = args.cache ? new ResponseCache(args['cache-file']) : undefined;
    const recording = args.push
      ? await recordRun(args.db, {
          kind: 'audit',
          task: task.spec.name,
          datasets: datasetFileIds(
            task.spec.name,
            task.files[split] ? { [split]: task.files[split] } : { file: task.files.file },
          ),
          config: {
            audit: 'bias',
            model: model.name,
            split,
            examples: examples.length,
            sets: sets.map((set) => set.name),
            subject,
            taskFile: args.task,
          },
        })
      : undefined;
    const bar = progressBar(`bias audit of ${task.spec.name} on ${model.name}`);
    try {
      const audit = await biasAudit({
        task,
        split,
        examples,
        model,
        sets,
        concurrency: numberOption('concurrency', args.concurrency, { integer: true, min: 1 }),
        cache,
        seed: numberOption('seed', args.seed, { integer: true }),
        alpha,
        onProgress: (done, total) => {
          bar.update(done, total);
          recording?.progress(done, total);
        },
      });
      bar.finish();
      if (recording) {
        recording.add(
          audit.flippedExamples.map((example, position) => ({
            kind: 'example',
            position,
            score: null,
            passed: false,
            data: { ...example },
          })),
        );
        // the subject's description too, so `runs report` renders the page --report writes
        await recording.complete(
          { ...biasSummary(audit), subject: describeSubject(subject) },
          subject.version?.id,
        );
        process.stderr.write(`recorded as run ${recording.id}\n`);
      }
      if (args.report)
        writeFileAtomically(args.report, renderBiasReportHtml(audit, describeSubject(subject)));
      process.stdout.write(
        args.json ? `${JSON.stringify(biasSummary(audit), null, 2)}\n` : biasText(audit, subject),
      );
    } catch (error) {
      await recording?.fail(error).catch(() => undefined);
      throw error;
    } finally {
      cache?.close();
    }
  },
});

export default defineCommand({
  meta: { name: 'audit', description: 'Audit a prompt: counterfactual bias' },
  subCommands: { bias },
});
