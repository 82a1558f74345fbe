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
  /**
   * Instead of `settle`, after a call whose request never left (no connection was made): it reached no
   * provider, so a meter that counts requests need not count it. Without it such a call is settled at zero.
   */
  release?(ticket: Ticket): void;
}

/**
 * Network errors of a request that never reached the provider: no connection was made (refused, no such
 * host, no route), so nothing was sent and nothing can have been generated.
 */
const notConnectedCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Whether a call failed before the provider could have generated anything. */
function generatedNothing(error: unknown): boolean {
  // the provider answered with an error status, or the request never left
  return (APICallError.isInstance(error) && error.statusCode !== undefined) || neverSent(error);
}

/** Whether a call's request never left: the network's error is somewhere down the cause chain. */
function neverSent(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current instanceof Error && !seen.has(current); current = current.cause) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && notConnectedCodes.has(code)) return true;
  }
  return false;
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
      // an error answer or a connection never made generated nothing; a timeout or a dropped connection
      // may have cost everything
      if (meter.release && neverSent(error)) meter.release(ticket);
      else meter.settle(ticket, generatedNothing(error) ? { inputTokens: 0, outputTokens: 0 } : worst);
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
