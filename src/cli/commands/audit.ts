// `promptune audit bias|sensitivity|variability|explain`: audits of a task's prompt (the spec's, an artifact, a soft
// adapter or a registry version) on a model, each with --json, --report out.html and --push (recorded
// as an audit run tied to the version, which the task's audit policy reads when a label moves).
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { defineCommand } from 'citty';
import {
  biasAudit,
  noiseKinds,
  readAttributeSet,
  renderBiasReportHtml,
  renderSensitivityReportHtml,
  sensitivityAudit,
  renderVariabilityReportHtml,
  variabilityAudit,
  explainHardPrompt,
  explainSoftPrompt,
  renderExplanationHtml,
  type BiasAudit,
  type NoiseKind,
} from '../../audit/index.js';
import { ValidationError } from '../../errors/index.js';
import { contentHash } from '../../registry/index.js';
import { resolveModel, SoftPromptLanguageModel } from '../../providers/index.js';
import { tokenizeExample } from '../../soft/index.js';
import { checkAuditOptions, runAudit, runArgs, type AuditRunArgs } from '../audit-run.js';
import { describeSubject, subjectArgs } from '../audit-subject.js';
import { biasText, explanationText, sensitivityText, variabilityText } from '../audit-text.js';
import { choice, givenOptions, numberOption, refuseIgnored, repeatedOption } from '../options.js';

/** The paraphrasing teacher and where it is served (its cache keys tell two servers apart). */
async function teacherOf(name: string): Promise<{ teacher: LanguageModelV3; teacherEndpoint?: string }> {
  const resolved = await resolveModel(name);
  return { teacher: resolved.model, ...(resolved.endpoint && { teacherEndpoint: resolved.endpoint }) };
}

/** The bias summary --json prints and a run stores: the audit without the flipped examples' texts. */
export function biasSummary(audit: BiasAudit) {
  const { flippedExamples, ...summary } = audit;
  return { ...summary, flippedLines: flippedExamples.map((example) => example.line) };
}

// Each audit's options checked for their values and how they combine, before anything is read, after
// the options every audit takes (`job submit` runs them on a job's command line too).

/** bias's options: the significance level of its gap test. */
export function checkBiasOptions(args: AuditRunArgs & { alpha: string }): number {
  checkAuditOptions(args);
  const alpha = numberOption('alpha', args.alpha)!;
  if (!(alpha > 0 && alpha < 1))
    throw new ValidationError(`--alpha is ${alpha}`, {
      code: 'CLI_INVALID_OPTION',
      hint: 'Use a significance level between 0 and 1, such as 0.05.',
    });
  return alpha;
}

/** sensitivity's options: the variants it tries, and paraphrases only with a teacher to write them. */
export function checkSensitivityOptions(
  args: AuditRunArgs & {
    formats: string;
    'demo-orders': string;
    paraphrases: string;
    teacher?: string;
    noise?: string;
  },
  rawArgs: string[],
) {
  checkAuditOptions(args);
  if (!args.teacher)
    refuseIgnored(
      givenOptions(rawArgs),
      ['paraphrases'],
      'paraphrases are written by --teacher, and none is given',
      () => 'Add --teacher <model>, or drop --paraphrases.',
    );
  const noise: NoiseKind[] =
    args.noise === undefined
      ? [...noiseKinds]
      : args.noise === 'none'
        ? []
        : args.noise.split(',').map((kind) => choice('noise', kind.trim(), noiseKinds));
  return {
    formats: numberOption('formats', args.formats, { integer: true, min: 0 }),
    demoOrders: numberOption('demo-orders', args['demo-orders'], { integer: true, min: 0 }),
    paraphrases: numberOption('paraphrases', args.paraphrases, { integer: true, min: 0 }),
    noise,
  };
}

/** variability's options: how many answers per input, and at what temperature. */
export function checkVariabilityOptions(args: AuditRunArgs & { repeats: string; temperature?: string }) {
  checkAuditOptions(args);
  return {
    repeats: numberOption('repeats', args.repeats, { integer: true, min: 2 })!,
    temperature: numberOption('temperature', args.temperature, { min: 0 }),
  };
}

/** explain's options: the nearest tokens per vector, and the examples shown with their saliency. */
export function checkExplainOptions(args: AuditRunArgs & { nearest: string; saliency: string }) {
  checkAuditOptions(args);
  return {
    nearest: numberOption('nearest', args.nearest, { integer: true, min: 1, max: 50 }),
    saliencyExamples: numberOption('saliency', args.saliency, { integer: true, min: 0 }),
  };
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
        'Attribute sets to swap, aligned by group (repeat --set, or separate with commas): story-names, gendered-words, origin-names, age-words, nationalities, or a YAML/JSON file (default: story-names and gendered-words)',
    },
    alpha: { type: 'string', default: '0.05', description: 'Significance level of the gap test' },
  },
  async run({ args, rawArgs }) {
    const alpha = checkBiasOptions(args);
    const references = repeatedOption(rawArgs, 'set').flatMap((value) => value.split(','));
    const sets = (references.length ? references : ['story-names', 'gendered-words']).map(readAttributeSet);
    await runAudit(args, {
      name: 'bias',
      // each set by name and by content: a file may name itself as a built-in set does
      config: {
        sets: sets.map((set) => set.name),
        setContents: sets.map((set) => contentHash({ kind: set.kind, groups: set.groups })),
      },
      run: (input) => biasAudit({ ...input, sets, alpha }),
      summary: biasSummary,
      entries: (audit) =>
        audit.flippedExamples.map((example, position) => ({
          kind: 'example',
          position,
          score: null,
          passed: false,
          data: { ...example },
        })),
      html: renderBiasReportHtml,
      text: biasText,
    });
  },
});

const sensitivity = defineCommand({
  meta: {
    name: 'sensitivity',
    description:
      "Sensitivity audit: the score's spread over prompt formats, demo orders, paraphrases and input noise",
  },
  args: {
    ...subjectArgs,
    ...runArgs,
    formats: { type: 'string', default: '8', description: 'Formats sampled from the format grammar' },
    'demo-orders': { type: 'string', default: '3', description: 'Orders of the demos (with two or more)' },
    teacher: { type: 'string', description: 'A model that writes instruction paraphrases (none without it)' },
    paraphrases: { type: 'string', default: '3', description: 'Paraphrases to ask the teacher for' },
    noise: {
      type: 'string',
      description: `Kinds of input noise, comma-separated (default all: ${noiseKinds.join(', ')}); "none" for none`,
    },
  },
  async run({ args, rawArgs }) {
    const { formats, demoOrders, paraphrases, noise } = checkSensitivityOptions(args, rawArgs);
    await runAudit(args, {
      name: 'sensitivity',
      // an adapter has no template to vary: only its input noise is audited
      checkSubject: (subject) => {
        if (subject.kind === 'hard') return;
        refuseIgnored(
          givenOptions(rawArgs),
          ['formats', 'demo-orders', 'paraphrases', 'teacher'],
          `${describeSubject(subject)} has no template to vary; its sensitivity is to input noise (--noise)`,
          (option) => `Drop --${option} (and any other prompt variant), or audit a hard prompt.`,
        );
      },
      config: { formats, demoOrders, noise, ...(args.teacher && { teacher: args.teacher, paraphrases }) },
      run: async (input) =>
        sensitivityAudit({
          ...input,
          ...(args.teacher && (await teacherOf(args.teacher))),
          // a soft prompt has no template: its sensitivity is the input noise part
          promptVariants: input.subject.kind === 'hard',
          formats,
          demoOrders,
          noise,
          paraphrases,
        }),
      summary: (audit) => ({ ...audit }),
      html: renderSensitivityReportHtml,
      text: sensitivityText,
    });
  },
});

const variability = defineCommand({
  meta: {
    name: 'variability',
    description: 'Variability audit: repeated answers per input, their agreement, pass^k and pass@k',
  },
  args: {
    ...subjectArgs,
    ...runArgs,
    repeats: { type: 'string', default: '5', description: 'Answers per input (2 or more)' },
    temperature: { type: 'string', description: "Sampling temperature (default: the task's, as served)" },
  },
  async run({ args }) {
    const { repeats, temperature } = checkVariabilityOptions(args);
    await runAudit(args, {
      name: 'variability',
      config: { repeats, ...(temperature !== undefined && { temperature }) },
      run: (input) => {
        // greedy decoding repeats itself: the calls measure nothing a single answer would not show
        if ((temperature ?? input.task.spec.generation.temperature) === 0)
          process.stderr.write(
            `warning: ${input.task.spec.name} is sampled at temperature 0, so each of the ${repeats} answers per input is the same greedy one (every repeat is still a call); give --temperature (e.g. 0.7) to measure how answers vary when sampled.\n`,
          );
        return variabilityAudit({ ...input, repeats, temperature });
      },
      summary: (audit) => ({ ...audit }),
      html: renderVariabilityReportHtml,
      text: variabilityText,
    });
  },
});

const explain = defineCommand({
  meta: {
    name: 'explain',
    description:
      'Explain a prompt: a soft prompt’s nearest tokens, ablations and input saliency; a hard prompt’s sentences and demos',
  },
  args: {
    ...subjectArgs,
    ...runArgs,
    nearest: { type: 'string', default: '5', description: 'Nearest vocabulary tokens per virtual token' },
    saliency: { type: 'string', default: '8', description: 'Examples to show input saliency for (soft)' },
  },
  async run({ args }) {
    const { nearest, saliencyExamples } = checkExplainOptions(args);
    await runAudit(args, {
      name: 'explain',
      run: async (input) => {
        const header = { task: input.task.spec.name, split: input.split, model: input.model.name };
        const soft = input.model.model;
        if (!(soft instanceof SoftPromptLanguageModel))
          return { ...header, ...(await explainHardPrompt({ ...input })) };
        const { model, tokenizer, prompt } = soft.session;
        if (soft.session.adapter)
          throw new ValidationError(
            `explain reads a soft prompt’s vectors; ${describeSubject(input.subject)} has none`,
            {
              code: 'AUDIT_EXPLAIN_UNSUPPORTED',
              hint: 'Explain soft-prompt or hard versions; bias, sensitivity and variability audits run on LoRA and prefix versions too.',
            },
          );
        const field = input.task.spec.input.fields[0];
        const examples = input.examples.map((example) => {
          if (typeof example.fields[field] !== 'string' || typeof example.target !== 'string')
            throw new ValidationError(
              `line ${example.line}: a soft prompt is explained on text inputs and targets; ${field} or the target is not text`,
              {
                code: 'AUDIT_SOFT_FIELDS',
                hint: 'Explain a soft prompt on a task whose input field and target are strings.',
              },
            );
          return tokenizeExample(
            tokenizer,
            String(example.fields[field]),
            String(example.target),
            `${input.task.files[input.split] ?? input.split}:${example.line}`,
          );
        });
        return {
          ...header,
          ...explainSoftPrompt(model, tokenizer, prompt, examples, {
            nearest,
            saliencyExamples,
            seed: input.seed,
            onProgress: input.onProgress,
          }),
        };
      },
      summary: (explanation) => ({ ...explanation }),
      html: (explanation, subject) => renderExplanationHtml(explanation, explanation, subject),
      text: explanationText,
    });
  },
});

export default defineCommand({
  meta: {
    name: 'audit',
    description: 'Audit a prompt: counterfactual bias, sensitivity to phrasing and inputs',
  },
  subCommands: { bias, sensitivity, variability, explain },
});
