// A model as code passes one to evaluate and the optimizers: promptune's named model (resolveModel's,
// or `{ name, provider, modelId, model }`), or an AI SDK model as the AI SDK's providers make it
// (`openai('gpt-4o-mini')`, the local engine's model), named as model strings are
// (`openai:gpt-4o-mini`). Anything else is refused before a call, naming the option.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { ValidationError } from '../errors/index.js';
import { bareModelName } from '../providers/index.js';
import type { EvaluatedModel } from './evaluated-model.js';

/** A named model, or a bare AI SDK (v3) language model. */
export type ModelInput = EvaluatedModel | LanguageModelV3;

/** Whether `value` has the shape of an AI SDK language model of any specification version. */
function isLanguageModel(value: unknown): value is { specificationVersion: unknown } & LanguageModelV3 {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { doGenerate?: unknown }).doGenerate === 'function' &&
    typeof (value as { modelId?: unknown }).modelId === 'string' &&
    typeof (value as { provider?: unknown }).provider === 'string'
  );
}

/** A model of the specification promptune calls (AI SDK 6's v3), or a coded refusal naming `option`. */
function checkedModel(model: unknown, option: string): LanguageModelV3 {
  if (!isLanguageModel(model))
    throw new ValidationError(`${option} is not a language model`, {
      code: 'EVAL_MODEL_INVALID',
      hint: `Pass an AI SDK model (e.g. openai('gpt-4o-mini')), a model from resolveModel, or { name, provider, modelId, model } as ${option}.`,
    });
  if (model.specificationVersion !== 'v3')
    throw new ValidationError(
      `${option} is an AI SDK model of specification ${String(model.specificationVersion)}; promptune calls v3 models`,
      {
        code: 'EVAL_MODEL_UNSUPPORTED',
        hint: "Use the provider package of AI SDK 6 (its models are specification v3), e.g. @ai-sdk/openai 3.x; or promptune's resolveModel.",
      },
    );
  return model;
}

/** `input` as the harness calls it: a named model as it is, a bare AI SDK model named by its ids. */
export function evaluatedModel(input: ModelInput, option: string): EvaluatedModel {
  if (typeof input === 'object' && input !== null && 'model' in input && !isLanguageModel(input)) {
    checkedModel(input.model, `${option}.model`);
    return input;
  }
  const model = checkedModel(input, option);
  return {
    name: bareModelName(model),
    provider: model.provider,
    modelId: model.modelId,
    model,
  };
}
