// What guards and constrained decoding change in an evaluation: the model it calls (constrained when
// asked, then metered so re-asks count against budgets, then guarded by the task's validators), the
// parts of a request's cache key they add, the verdicts kept per call, and whether an output can be
// read as the task's typed value (its parse rate).
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { GuardError } from '../errors/index.js';
import {
  checkFields,
  checkRecords,
  constrain,
  createGuardSet,
  guard,
  taskConstraint,
  type CheckOutcome,
  type CheckRecord,
  type GuardSet,
} from '../guard/index.js';
import { LocalLanguageModel, SoftPromptLanguageModel } from '../providers/index.js';
import {
  compileJsonSchema,
  extractJsonFor,
  readLabel,
  type ConstraintSpec,
  type TaskSpec,
} from '../tasks/index.js';

/** The guards and constraint of one evaluation. */
export interface EvaluationGuards {
  guards: GuardSet | undefined;
  constraint: ConstraintSpec | undefined;
  /** Token counts in the local model's tokenizer, when the model is local. */
  countTokens: ((text: string) => number) | undefined;
}

/** Builds the task's guard set and constraint (`constrain`: derive one even if the spec does not ask). */
export async function evaluationGuards(
  spec: TaskSpec,
  model: LanguageModelV3,
  options: { constrain?: boolean; judge?: LanguageModelV3; baseDirectory: string },
): Promise<EvaluationGuards> {
  // the spec's constraint applies where the model can decode under one (the local engine, a soft
  // version's included, as the service decodes it; an optimizer constrains its student before metering
  // it); asked for explicitly, it must apply
  const local = model instanceof LocalLanguageModel || model instanceof SoftPromptLanguageModel;
  const wanted = taskConstraint(spec, options.constrain);
  const constraint = wanted && (options.constrain || local) ? wanted : undefined;
  const set = spec.guards
    ? await createGuardSet(spec.guards, {
        task: spec,
        baseDirectory: options.baseDirectory,
        judge: options.judge,
        countsInputTokens: local,
      })
    : undefined;
  const guards = set && set.input.length + set.output.length > 0 ? set : undefined;
  let countTokens: EvaluationGuards['countTokens'];
  if (local && guards) {
    const { tokenizer } = model instanceof SoftPromptLanguageModel ? model.session : await model.loaded();
    countTokens = (text) => tokenizer.encode(text, { addBos: false }).length;
  }
  return { guards, constraint, countTokens };
}

/** The model under its constraint (before metering). */
export function constrainedModel(model: LanguageModelV3, guards: EvaluationGuards): LanguageModelV3 {
  return guards.constraint ? constrain(model, guards.constraint) : model;
}

/** The (metered) model inside the task's output guards (inputs are checked on the fields: guardInput). */
export function guardedModel(model: LanguageModelV3, guards: EvaluationGuards): LanguageModelV3 {
  return guards.guards?.output.length
    ? guard(model, { ...guards.guards, input: [] }, { countTokens: guards.countTokens })
    : model;
}

/** An example's fields after the input guards; `answer` is set when the model must not be called. */
export interface GuardedInput {
  fields: Record<string, unknown>;
  checks: CheckRecord[];
  /** The refrain text, or '' for a refused input: what the example is scored on, without a call. */
  answer?: string;
}

/** Runs the task's input guards on an example's fields, before its template is filled. */
export async function guardInput(
  fields: Record<string, unknown>,
  guards: EvaluationGuards,
): Promise<GuardedInput> {
  if (!guards.guards?.input.length) return { fields, checks: [] };
  try {
    const checked = await checkFields(fields, guards.guards, { countTokens: guards.countTokens });
    return {
      fields: checked.fields,
      checks: checkRecords(checked.outcomes),
      ...(checked.refrained && { answer: guards.guards.refrain }),
    };
  } catch (error) {
    if (!GuardError.isInstance(error)) throw error;
    return { fields, checks: checkRecords(error.checks as CheckOutcome[]), answer: '' };
  }
}

/**
 * Whether an output reads as the task's typed value (a label it names; JSON matching the schema), as
 * `/run` would return it; undefined for text tasks.
 */
export function outputParser(spec: TaskSpec): (output: string) => boolean | undefined {
  const output = spec.output;
  if (output.kind === 'label') return (text) => readLabel(output.labels, text) !== undefined;
  if (output.kind === 'json') {
    const validate = compileJsonSchema(output.schema, { strict: false }); // the parse rate: the guards and metric judge the schema
    return (text) => {
      try {
        return validate(extractJsonFor(text, output.schema));
      } catch {
        return false;
      }
    };
  }
  return () => undefined;
}
