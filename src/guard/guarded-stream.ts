// Streaming under guards. Validators that can judge a prefix (PII, banned words, forbidden patterns)
// run as the text grows: `exception` and `refrain` stop the stream at the first failure, `fix` and
// `filter` repair the text before it is sent, holding back its last characters (a PII span may still
// be growing there). When a validator that needs the whole answer could change it (re-ask, a JSON
// repair, a refrain on a label check), the answer is generated whole, checked, then sent as one part.
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
} from '@ai-sdk/provider';
import { GuardError } from '../errors/index.js';
import { languageModelUsage, streamedTokens, type StreamedTokens } from '../providers/index.js';
import type { GuardSet } from './create-validators.js';
import { checkInput, checksOf, guardedGenerate, guardRefusal } from './guarded-generate.js';
import { checksMetadata, refrainStream, wholeTextStream } from './refrain-answer.js';
import { runChecks, type CheckOutcome } from './run-checks.js';
import type { CheckContext } from './validator.js';

/** Characters held back from the stream while a detected span may still be growing into them. */
const HOLD_BACK = 64;

/** Characters that keys, tokens, addresses and numbers are made of: a run of them may still be growing. */
const spanCharacter = /[A-Za-z0-9._\-+/=~%@]/;

/**
 * How much of `text` can be sent: all but the held-back tail, never into the run of span characters the
 * tail starts in (a JWT or key longer than the tail), nor into an open private-key block; cut at
 * whitespace when there is some.
 */
function settledLength(text: string): number {
  let end = Math.max(0, text.length - HOLD_BACK);
  while (end > 0 && end < text.length && spanCharacter.test(text[end - 1]) && spanCharacter.test(text[end]))
    end--;
  const block = text.lastIndexOf('-----BEGIN');
  if (block >= 0 && text.indexOf('-----END', block) < 0) end = Math.min(end, block);
  const space = text.lastIndexOf(' ', end);
  return space > 0 ? space : end;
}

/** The guarded stream of one call. */
export async function guardedStream(
  model: LanguageModelV3,
  call: LanguageModelV3CallOptions,
  guards: GuardSet,
  context: CheckContext,
  onChecks?: (outcomes: CheckOutcome[]) => void,
): Promise<LanguageModelV3StreamResult> {
  const input = await checkInput(call.prompt, guards, context);
  const unknownUsage = {
    inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: undefined, text: undefined, reasoning: undefined },
  };
  if (input.refrained) {
    onChecks?.(input.outcomes);
    return refrainStream(guards.refrain, input.outcomes);
  }
  const wholeAnswer = guards.output.some(
    ({ validator, onFail }) =>
      onFail === 'reask' || onFail === 'fix_reask' || (!validator.prefixFailures && onFail !== 'noop'),
  );
  if (wholeAnswer) {
    const result = await guardedGenerate(
      model,
      { ...call, prompt: input.prompt },
      { ...guards, input: [] },
      context,
    );
    const outcomes = [...input.outcomes, ...checksOf(result)];
    onChecks?.(outcomes);
    const text = result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
    return {
      stream: wholeTextStream(text, {
        type: 'finish',
        finishReason: result.finishReason,
        usage: result.usage,
        providerMetadata: checksMetadata(outcomes),
      }),
    };
  }
  // a stream the guards stop also stops its generation (an engine row, an upstream call)
  const stopper = new AbortController();
  call.abortSignal?.addEventListener('abort', () => stopper.abort(call.abortSignal?.reason), { once: true });
  const inner = await model.doStream({ ...call, prompt: input.prompt, abortSignal: stopper.signal });
  const watched = guards.output.filter(
    ({ validator, onFail }) => validator.prefixFailures && onFail !== 'noop',
  );
  const repairing = watched.filter(({ onFail }) => onFail === 'fix' || onFail === 'filter');
  const stopping = watched.filter(({ onFail }) => onFail === 'exception' || onFail === 'refrain');
  let raw = '';
  let sent = '';
  let stopped = false;
  // the tokens spent by the last delta, when the model says (the local engine does): a stream the
  // guards stop reports them, since its finish part never comes
  let spent: StreamedTokens | undefined;
  // text-end waits for the finish part: its usage gives the answer's token count to length checks
  let textEnd: Extract<LanguageModelV3StreamPart, { type: 'text-end' }> | undefined;
  const transform = new TransformStream<LanguageModelV3StreamPart, LanguageModelV3StreamPart>({
    async transform(part, controller) {
      if (stopped) return;
      if (part.type === 'text-delta') {
        raw += part.delta;
        spent = streamedTokens(part.providerMetadata) ?? spent;
        const stop = await runChecks(raw, stopping, { stage: 'output', refrain: guards.refrain, context });
        if (stop.refused || stop.refrained) {
          stopped = true;
          stopper.abort(new Error('a guard stopped the stream'));
          const outcomes = [...input.outcomes, ...stop.outcomes];
          onChecks?.(outcomes);
          if (stop.refused)
            controller.enqueue({
              type: 'error',
              error: guardRefusal('output', outcomes, stop.refused, spent),
            });
          controller.enqueue({ type: 'text-end', id: part.id });
          controller.enqueue({
            type: 'finish',
            finishReason: { unified: 'content-filter', raw: stop.refused ? 'guard' : 'refrain' },
            // the generation was stopped before it reported its tokens
            usage: spent ? languageModelUsage(spent.inputTokens, spent.outputTokens) : unknownUsage,
            providerMetadata: checksMetadata(outcomes),
          });
          controller.terminate();
          return;
        }
        const view = (await runChecks(raw, repairing, { stage: 'output', refrain: guards.refrain, context }))
          .text;
        const settled = settledLength(view);
        // a repair that reached into text already sent cannot be taken back: send nothing more of it
        if (settled > sent.length && view.startsWith(sent)) {
          controller.enqueue({ ...part, delta: view.slice(sent.length, settled) });
          sent = view.slice(0, settled);
        }
        return;
      }
      if (part.type === 'text-end') {
        textEnd = part;
        return;
      }
      if (part.type === 'finish') {
        const tokens = part.usage.outputTokens.total;
        const final = await runChecks(raw, guards.output, {
          stage: 'output',
          refrain: guards.refrain,
          context: tokens === undefined ? context : { ...context, knownTokens: { text: raw, tokens } },
        });
        const id = textEnd?.id ?? '0';
        if (!final.text.startsWith(sent))
          controller.enqueue({
            type: 'error',
            error: new GuardError('a guard repaired text that had already been sent', {
              code: 'GUARD_STREAM_REPAIRED_LATE',
              hint: 'The streamed text differs from the checked answer; ask without streaming for this task.',
              stage: 'output',
            }),
          });
        else if (final.text.length > sent.length)
          controller.enqueue({ type: 'text-delta', id, delta: final.text.slice(sent.length) });
        const outcomes = [...input.outcomes, ...final.outcomes];
        onChecks?.(outcomes);
        controller.enqueue(textEnd ?? { type: 'text-end', id });
        controller.enqueue({
          ...part,
          providerMetadata: { ...part.providerMetadata, ...checksMetadata(outcomes) },
        });
        return;
      }
      if (part.type === 'error' && textEnd) {
        controller.enqueue(textEnd); // the text ended before the failure
        textEnd = undefined;
      }
      controller.enqueue(part);
    },
    flush(controller) {
      // a stream that ended without its finish part still closes its text
      if (textEnd && !stopped) controller.enqueue(textEnd);
    },
  });
  return { ...inner, stream: inner.stream.pipeThrough(transform) };
}
