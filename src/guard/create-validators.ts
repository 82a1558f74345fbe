// From a task spec's guards section to validators with their policies: each entry's options are
// filled from the task (a json-schema validator defaults to the output schema, labels to the task's
// labels) and checked here, so a spec that cannot run fails when it is loaded, not on the first request.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { parseInput, ValidationError } from '../errors/index.js';
import {
  guardsSpec,
  type GuardsSpec,
  type OnFailPolicy,
  type TaskSpec,
  type ValidatorSpec,
} from '../tasks/index.js';
import { detectPhrases, detectPii, detectRefusal } from './detectors/index.js';
import type { Validator } from './validator.js';
import { customValidator } from './validators/custom.js';
import { detectorValidator } from './validators/detected.js';
import { jsonSchemaValidator } from './validators/json-schema.js';
import { judgeValidator } from './validators/judge.js';
import { labelsValidator } from './validators/labels.js';
import { hasLengthBound, lengthValidator } from './validators/length.js';
import { regexValidator } from './validators/regex.js';

/** A validator and what happens when it fails. */
export interface GuardedValidator {
  validator: Validator;
  onFail: OnFailPolicy;
}

/** Validators on the input and on the output, with the re-ask limit and the refrain answer. */
export interface GuardSet {
  input: GuardedValidator[];
  output: GuardedValidator[];
  maxReasks: number;
  refrain: string;
}

/** What building validators from a spec may need. */
export interface GuardContext {
  task: TaskSpec;
  /** Where relative module paths (custom validators) are resolved. */
  baseDirectory: string;
  /** The model `judge` validators ask. */
  judge?: LanguageModelV3;
  /** How the caller gives a judge model, for the refusal without one (default "--judge <model>"). */
  judgeOption?: string;
  /**
   * Whether inputs' tokens can be counted (a local tokenizer; default true). Without, input length
   * bounds in tokens are refused here rather than failing every call.
   */
  countsInputTokens?: boolean;
  /**
   * The spec was stored by an earlier release, which took guards today's spec files may not say: a
   * length validator with no bound (it passes everything) and a repair its validator lacks (a failure
   * stands unrepaired). Such a version is served as it was, and each is told here, not refused.
   */
  stored?: { onLenient: (message: string) => void };
}

/** Whether a validator bounds a text's length in tokens (so needs the model's tokenizer to count them). */
export const boundsTokens = (entry: ValidatorSpec): boolean =>
  entry.validator === 'length' && (entry.minTokens ?? entry.maxTokens) !== undefined;

const guardOptions = (message: string, hint: string) =>
  new ValidationError(message, { code: 'GUARD_OPTIONS', hint });

/** Builds one validator from its spec entry. */
export async function createValidator(spec: ValidatorSpec, context: GuardContext): Promise<Validator> {
  const name = spec.name ?? spec.validator;
  const output = context.task.output;
  switch (spec.validator) {
    case 'json-schema': {
      const schema = spec.schema ?? (output.kind === 'json' ? output.schema : undefined);
      if (!schema)
        throw guardOptions(`${name}: no schema`, 'Give `schema`, or declare output: {kind: json, schema}.');
      return jsonSchemaValidator(name, schema);
    }
    case 'labels': {
      const labels = spec.labels ?? (output.kind === 'label' ? output.labels : undefined);
      if (!labels)
        throw guardOptions(`${name}: no labels`, 'Give `labels`, or declare output: {kind: label, labels}.');
      return labelsValidator(name, labels, spec.caseSensitive);
    }
    case 'regex':
      return regexValidator(name, spec.pattern, spec.flags, spec.mode);
    case 'length':
      if (context.stored && !hasLengthBound(spec)) {
        context.stored.onLenient(`${name}: a length validator with no bound, which passes every output`);
        return lengthValidator(name, { maxCharacters: Number.POSITIVE_INFINITY });
      }
      return lengthValidator(name, spec);
    case 'banned': {
      const options = { caseSensitive: spec.caseSensitive, wholeWords: spec.wholeWords };
      return detectorValidator(
        name,
        'banned',
        (text) => detectPhrases(text, spec.phrases, options),
        (span) => `contains the banned phrase "${span.text}"`,
      );
    }
    case 'pii':
      return detectorValidator(
        name,
        'pii',
        (text) => detectPii(text, spec.kinds),
        (span) =>
          `contains ${span.kind === 'email' || span.kind === 'ip' ? 'an' : 'a'} ${span.kind}${span.detail ? ` (${span.detail})` : ''}`,
      );
    case 'refusal':
      return detectorValidator(
        name,
        'refusal',
        detectRefusal,
        (span) => `is a refusal ("${span.text}")`,
        false,
      );
    case 'custom':
      return customValidator(name, spec.module, spec.export, context.baseDirectory);
    case 'judge':
      if (!context.judge)
        throw guardOptions(
          `${name}: a judge validator needs a judge model`,
          `Pass ${context.judgeOption ?? '--judge <model>'} (any provider).`,
        );
      return judgeValidator(name, context.judge, spec.rubric, spec.threshold);
  }
}

/**
 * A repairing policy on a validator with no such repair would leave every failure `unrepaired`: a
 * `fix` on a regex, a `filter` on a label set (`fix_reask` without a fix is a plain `reask`, allowed).
 */
export function refuseUnrepairable(validator: Validator, onFail: OnFailPolicy): void {
  const repair = onFail === 'fix' ? 'fix' : onFail === 'filter' ? 'filter' : undefined;
  if (!repair || validator[repair]) return;
  const others = (['fix', 'filter'] as const).filter((other) => other !== repair && validator[other]);
  throw guardOptions(
    `${validator.name}: onFail ${repair}, and a ${validator.kind} validator${validator.kind === 'regex' && repair === 'filter' ? ' in match mode' : ''} has no ${repair}: every failure would stand unrepaired`,
    `Use ${[...others, 'exception', 'reask (outputs)', 'refrain', 'noop'].join(', ')}.`,
  );
}

/** Policies that make no sense before the model is called. */
const outputOnly: OnFailPolicy[] = ['reask', 'fix_reask'];

/** Builds a guard set from a spec's guards section (an empty set without one). */
export async function createGuardSet(
  given: GuardsSpec | undefined,
  context: GuardContext,
): Promise<GuardSet> {
  // a spec's guards were read through the schema; a caller in code passes anything (a validator named
  // `toxicity` was a TypeError)
  const spec =
    given === undefined
      ? undefined
      : parseInput(guardsSpec, given, {
          where: 'guards',
          code: 'GUARD_OPTIONS',
          hint: "Write the guards as a spec's `guards:` section (docs/guards.md).",
        });
  // names are unique across both stages: reports, trace scores and metrics key verdicts by name
  const names = new Set<string>();
  const build = async (entries: ValidatorSpec[], stage: 'input' | 'output') => {
    const built: GuardedValidator[] = [];
    for (const entry of entries) {
      if (stage === 'input' && context.countsInputTokens === false && boundsTokens(entry))
        throw new ValidationError(
          `input validator ${entry.name ?? entry.validator} bounds the length in tokens, and no tokenizer counts them here`,
          {
            code: 'GUARD_NO_TOKENIZER',
            hint: 'Bound inputs with minCharacters/maxCharacters, or evaluate on a local model.',
          },
        );
      if (stage === 'input' && outputOnly.includes(entry.onFail))
        throw guardOptions(
          `input validator ${entry.name ?? entry.validator}: onFail ${entry.onFail} applies to outputs only`,
          'Use exception, fix, filter, refrain or noop on inputs.',
        );
      const validator = await createValidator(entry, context);
      try {
        refuseUnrepairable(validator, entry.onFail);
      } catch (error) {
        if (!context.stored || !ValidationError.isInstance(error)) throw error;
        context.stored.onLenient(error.message);
      }
      if (names.has(validator.name))
        throw guardOptions(
          `two validators are named "${validator.name}" (names are shared by inputs and outputs)`,
          'Give each a distinct `name` (e.g. input-pii, output-pii); reports and scores use it.',
        );
      names.add(validator.name);
      built.push({ validator, onFail: entry.onFail });
    }
    return built;
  };
  const refrains = [...(spec?.input ?? []), ...(spec?.output ?? [])].some(
    (entry) => entry.onFail === 'refrain',
  );
  if (refrains && !spec?.refrain)
    throw guardOptions(
      'a validator refrains, and the guards have no refrain text to answer with',
      "Set guards.refrain to the answer given instead (e.g. 'Sorry, I cannot answer that.').",
    );
  return {
    input: await build(spec?.input ?? [], 'input'),
    output: await build(spec?.output ?? [], 'output'),
    maxReasks: spec?.maxReasks ?? 1,
    refrain: spec?.refrain ?? '',
  };
}
