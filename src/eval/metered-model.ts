// A model whose every call goes through a meter: the meter sees the call's worst case before it is
// sent (and refuses it by throwing) and its usage after, so budgets and spend journals count every call
// that may reach the provider, retries included. Answers replayed from a cache or a journal never reach
// it; the harness reports those through the model's `replayed` hook instead.
import {
  APICallError,
  type LanguageModelV3,
  type LanguageModelV3CallOptions,
  type LanguageModelV3Usage,
} from '@ai-sdk/provider';
import type { EvaluatedModel, TokenUsage } from './evaluated-model.js';

export type { TokenUsage } from './evaluated-model.js';

/** Output tokens assumed for a call that sets no maximum. */
const unboundedOutputTokens = 4096;

/**
 * The most tokens a call can use: no tokenizer makes more tokens than UTF-8 bytes, plus framing per
 * message; and its maximum output.
 */
export function worstCase(options: LanguageModelV3CallOptions): TokenUsage {
  let inputTokens = 0;
  for (const message of options.prompt) {
    inputTokens += 16;
    const parts = typeof message.content === 'string' ? [message.content] : message.content;
    for (const part of parts)
      inputTokens += Buffer.byteLength(
        typeof part === 'string' ? part : 'text' in part ? part.text : '',
        'utf8',
      );
  }
  return { inputTokens, outputTokens: options.maxOutputTokens ?? unboundedOutputTokens };
}

/** What a meter sees of each call. */
export interface Meter<Ticket> {
  /** Before the call is sent, with its worst case; throws to refuse it. */
  reserve(worst: TokenUsage): Ticket;
  /** After the call, with what it used. */
  settle(ticket: Ticket, used: TokenUsage): void;
}

/** Whether the provider answered with an error (so generated nothing), as opposed to a lost answer. */
function answeredWithError(error: unknown): boolean {
  return APICallError.isInstance(error) && error.statusCode !== undefined;
}

/** Reported usage, each side at its worst case where the provider reported nothing. */
function reportedUsage(usage: LanguageModelV3Usage, worst: TokenUsage): TokenUsage {
  return {
    inputTokens: usage.inputTokens.total ?? worst.inputTokens,
    outputTokens: usage.outputTokens.total ?? worst.outputTokens,
  };
}

/** The model with every call metered (its `replayed` hook is kept). */
export function meteredModel<Ticket>(model: EvaluatedModel, meter: Meter<Ticket>): EvaluatedModel {
  const inner = model.model;
  const call = async <T>(
    options: LanguageModelV3CallOptions,
    send: () => PromiseLike<T>,
    usage: (result: T, worst: TokenUsage) => TokenUsage,
  ) => {
    const worst = worstCase(options);
    const ticket = meter.reserve(worst);
    let result: T;
    try {
      result = await send();
    } catch (error) {
      // an error answer generated nothing; a timeout or a dropped connection may have cost everything
      meter.settle(ticket, answeredWithError(error) ? { inputTokens: 0, outputTokens: 0 } : worst);
      throw error;
    }
    meter.settle(ticket, usage(result, worst));
    return result;
  };
  const metered: LanguageModelV3 = {
    specificationVersion: 'v3',
    provider: inner.provider,
    modelId: inner.modelId,
    supportedUrls: inner.supportedUrls,
    doGenerate: (options) =>
      call(
        options,
        () => inner.doGenerate(options),
        (result, worst) => reportedUsage(result.usage, worst),
      ),
    // a stream's usage arrives at its end; it is charged at its worst case
    doStream: (options) =>
      call(
        options,
        () => inner.doStream(options),
        (_, worst) => worst,
      ),
  };
  return { ...model, model: metered };
}
