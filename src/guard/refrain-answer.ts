// The answer a guard gives instead of the model's: the configured refrain text, as a generate result
// or as a stream, with the verdicts that led to it and no tokens spent. Also the one-part stream that
// sends a text checked whole.
import type {
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
} from '@ai-sdk/provider';
import type { CheckOutcome } from './run-checks.js';

/** Usage of an answer no model call produced. */
export const noUsage = {
  inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 0, text: 0, reasoning: 0 },
};

/** The verdicts as providerMetadata carries them. */
export const checksMetadata = (outcomes: readonly CheckOutcome[]) => ({
  promptune: { checks: JSON.parse(JSON.stringify(outcomes)) },
});

/** A stream that sends `text` in one part and finishes like `finish`. */
export function wholeTextStream(
  text: string,
  finish: Extract<LanguageModelV3StreamPart, { type: 'finish' }>,
): ReadableStream<LanguageModelV3StreamPart> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue({ type: 'stream-start', warnings: [] });
      controller.enqueue({ type: 'text-start', id: '0' });
      if (text) controller.enqueue({ type: 'text-delta', id: '0', delta: text });
      controller.enqueue({ type: 'text-end', id: '0' });
      controller.enqueue(finish);
      controller.close();
    },
  });
}

/** The refrain text as a generate result. */
export function refrainResult(
  text: string,
  outcomes: readonly CheckOutcome[],
): LanguageModelV3GenerateResult {
  return {
    content: [{ type: 'text', text }],
    finishReason: { unified: 'content-filter', raw: 'refrain' },
    usage: noUsage,
    warnings: [],
    providerMetadata: { promptune: { ...checksMetadata(outcomes).promptune, attempts: 0 } },
  };
}

/** The refrain text as a stream. */
export function refrainStream(text: string, outcomes: readonly CheckOutcome[]): LanguageModelV3StreamResult {
  return {
    stream: wholeTextStream(text, {
      type: 'finish',
      finishReason: { unified: 'content-filter', raw: 'refrain' },
      usage: noUsage,
      providerMetadata: checksMetadata(outcomes),
    }),
  };
}
