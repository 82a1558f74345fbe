// guard(model, guards): any AI SDK language model with validators around it: input validators before
// the model is called, output validators with their on-fail policies after it (guarded-generate.ts),
// and on streams as the text grows (guarded-stream.ts). Listeners hear every call's verdicts, refusals
// included.
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3StreamResult,
} from '@ai-sdk/provider';
import { GuardError, ValidationError } from '../errors/index.js';
import { onFailPolicy } from '../tasks/index.js';
import { refuseUnrepairable, type GuardedValidator, type GuardSet } from './create-validators.js';
import { checksOf, guardedGenerate } from './guarded-generate.js';
import { guardedStream } from './guarded-stream.js';
import type { CheckOutcome } from './run-checks.js';
import type { CheckContext } from './validator.js';

/** Options of a guarded model. */
export interface GuardOptions {
  /** Token counts for length validators (the model's tokenizer). */
  countTokens?: (text: string) => number;
  /** Told of every call's verdicts (metrics, traces), after the call. */
  onChecks?: (outcomes: CheckOutcome[]) => void;
}

/**
 * Refuses what a caller in code could pass that no spec file could (those go through the spec's schema):
 * an entry without a validator, an on-fail policy there is none of or one its validator cannot carry
 * out (a repair it lacks, a refrain with no text), a re-ask limit that is not a whole number.
 */
function checkGuardSet(set: GuardSet): void {
  const policies: readonly string[] = onFailPolicy.options;
  for (const [stage, entries] of [
    ['input', set.input],
    ['output', set.output],
  ] as const)
    for (const entry of entries) {
      if (typeof entry?.validator?.check !== 'function' || typeof entry.validator.name !== 'string')
        throw new ValidationError(`a ${stage} guard has no validator with a name and a check`, {
          code: 'GUARD_OPTIONS',
          hint: 'Give { validator, onFail } entries whose validator comes from a promptune/guard factory (regexValidator, …) or has name, kind and check.',
        });
      if (!policies.includes(entry.onFail))
        throw new ValidationError(
          `the ${stage} validator ${entry.validator.name} has onFail ${JSON.stringify(entry.onFail)}`,
          { code: 'GUARD_OPTIONS', hint: `Give onFail one of ${policies.join(', ')}.` },
        );
      refuseUnrepairable(entry.validator, entry.onFail);
      // the spec's schema asks for the text; a list of validators in code has none to answer with
      if (entry.onFail === 'refrain' && !set.refrain)
        throw new ValidationError(
          `the ${stage} validator ${entry.validator.name} refrains, and there is no refrain text to answer with`,
          {
            code: 'GUARD_OPTIONS',
            hint: "Pass a guard set with refrain: 'Sorry, I cannot answer that.' (or use exception).",
          },
        );
    }
  if (!Number.isInteger(set.maxReasks) || set.maxReasks < 0)
    throw new ValidationError(`maxReasks is ${set.maxReasks}`, {
      code: 'GUARD_OPTIONS',
      hint: 'Give maxReasks as a whole number of re-asks, 0 or more.',
    });
}

/** `model` with `guards` around it (a list of validators guards the output only). */
export function guard(
  model: LanguageModelV3,
  guards: GuardSet | GuardedValidator[],
  options: GuardOptions = {},
): LanguageModelV3 {
  const set: GuardSet = Array.isArray(guards)
    ? { input: [], output: guards, maxReasks: 1, refrain: '' }
    : guards;
  if (typeof model?.doGenerate !== 'function' || typeof model.doStream !== 'function')
    throw new ValidationError('guard() was given no AI SDK language model', {
      code: 'GUARD_OPTIONS',
      hint: 'Pass a LanguageModelV3 (resolveModel(...).model, an AI SDK provider model) as the first argument.',
    });
  checkGuardSet(set);
  const context = (call: LanguageModelV3CallOptions): CheckContext => ({
    countTokens: options.countTokens,
    signal: call.abortSignal,
  });
  return {
    specificationVersion: 'v3',
    provider: model.provider,
    modelId: model.modelId,
    supportedUrls: model.supportedUrls,
    async doGenerate(call) {
      try {
        const result = await guardedGenerate(model, call, set, context(call));
        options.onChecks?.(checksOf(result));
        return result;
      } catch (error) {
        if (GuardError.isInstance(error)) options.onChecks?.(error.checks as CheckOutcome[]);
        throw error;
      }
    },
    async doStream(call): Promise<LanguageModelV3StreamResult> {
      try {
        return await guardedStream(model, call, set, context(call), options.onChecks);
      } catch (error) {
        if (GuardError.isInstance(error)) options.onChecks?.(error.checks as CheckOutcome[]);
        throw error;
      }
    },
  };
}
