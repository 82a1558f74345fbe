// What guards and constrained decoding change in an evaluation: the model it calls (constrained when
// asked, then metered so re-asks count against budgets, then guarded by the task's validators), the
// parts of a request's cache key they add, the verdicts kept per call, and whether an output can be
// read as the task's typed value (its parse rate).
import type { LanguageModelV3 } from '@ai-sdk/provider';
import Ajv from 'ajv';
import { constrain, createGuardSet, guard, taskConstraint, type GuardSet } from '../guard/index.js';
import { LocalLanguageModel } from '../providers/index.js';
import { extractJson, readLabel, type ConstraintSpec, type TaskSpec } from '../tasks/index.js';

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
  const constraint = taskConstraint(spec, options.constrain);
  const set = spec.guards
    ? await createGuardSet(spec.guards, {
        task: spec,
        baseDirectory: options.baseDirectory,
        judge: options.judge,
      })
    : undefined;
  const guards = set && set.input.length + set.output.length > 0 ? set : undefined;
  let countTokens: EvaluationGuards['countTokens'];
  if (model instanceof LocalLanguageModel && guards) {
    const { tokenizer } = await model.loaded();
    countTokens = (text) => tokenizer.encode(text, { addBos: false }).length;
  }
  return { guards, constraint, countTokens };
}

/** The model under its constraint (before metering). */
export function constrainedModel(model: LanguageModelV3, guards: EvaluationGuards): LanguageModelV3 {
  return guards.constraint ? constrain(model, guards.constraint) : model;
}

/** The (metered) model inside the task's guards. */
export function guardedModel(model: LanguageModelV3, guards: EvaluationGuards): LanguageModelV3 {
  return guards.guards ? guard(model, guards.guards, { countTokens: guards.countTokens }) : model;
}

/**
 * Whether an output reads as the task's typed value (a label it names; JSON matching the schema), as
 * `/run` would return it; undefined for text tasks.
 */
export function outputParser(spec: TaskSpec): (output: string) => boolean | undefined {
  const output = spec.output;
  if (output.kind === 'label') return (text) => readLabel(output.labels, text) !== undefined;
  if (output.kind === 'json') {
    const validate = new Ajv.default({ strict: false }).compile(output.schema);
    return (text) => {
      try {
        return validate(extractJson(text));
      } catch {
        return false;
      }
    };
  }
  return () => undefined;
}
