// Constrained decoding for a task: the constraint a task's outputs decode under (its spec's
// `decoding.constrain`, or one derived from its labels or JSON Schema), and a local model that decodes
// under it. Hosted models cannot be constrained from here (their providers have structured outputs of
// their own), so asking is a coded error rather than a silent no-op.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { ValidationError } from '../errors/index.js';
import { LocalLanguageModel, SoftPromptLanguageModel, bareModelName } from '../providers/index.js';
import type { ConstraintSpec, TaskSpec } from '../tasks/index.js';
import { compileConstraint } from './constrain/index.js';

/**
 * The constraint of a task: its `decoding.constrain` when that is a constraint, else (when the spec
 * says `true` or `requested` is set) the task's labels or JSON Schema; undefined when none is asked.
 */
export function taskConstraint(spec: TaskSpec, requested = false): ConstraintSpec | undefined {
  const declared = spec.decoding?.constrain;
  if (typeof declared === 'object') return declared;
  if (!declared && !requested) return undefined;
  if (spec.output.kind === 'label') return { kind: 'choice', choices: spec.output.labels };
  if (spec.output.kind === 'json') return { kind: 'json-schema', schema: spec.output.schema };
  throw new ValidationError(`task ${spec.name} has text outputs: there is nothing to constrain them to`, {
    code: 'CONSTRAINT_NOTHING',
    hint: 'Declare output labels or a JSON Schema, or give decoding.constrain: {kind: regex, pattern: ...}.',
  });
}

/** `model` decoding under `constraint`; only the local engine's models (a soft version's too) can. */
export function constrain(model: LanguageModelV3, constraint: ConstraintSpec): LanguageModelV3 {
  if (model instanceof SoftPromptLanguageModel)
    return model.withGenerationOptions(({ tokenizer }) => ({
      constraint: compileConstraint(constraint, tokenizer),
    }));
  if (!(model instanceof LocalLanguageModel))
    throw new ValidationError(`${bareModelName(model)} cannot decode under a constraint`, {
      code: 'CONSTRAINT_NEEDS_LOCAL_MODEL',
      hint: 'Constrained decoding runs on the local engine (local:<model>); for hosted models use guards with reask or fix.',
    });
  return model.withGenerationOptions(({ tokenizer }) => ({
    constraint: compileConstraint(constraint, tokenizer),
  }));
}
