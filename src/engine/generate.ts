// Text generation on a LlamaModel: prefill with a KV cache, then one token per step for every row
// of a right-padded batch, with sampling, stop tokens and strings, and streaming of text deltas.
// Every row may bring its own options (sampling, length, stop strings, seed and a cached prefix such
// as its own soft prompt), so requests for different tasks share one forward pass per step.
// Prompts are token ids or input embeddings; tokenizing text is the caller's (see session.ts).
import { DecodingBatch, type RowEvent } from './decoding-batch.js';
import type { Generation, GenerationEvent, GenerationOptions, PromptInput } from './generation-types.js';
import type { LlamaModel } from './llama.js';
import type { Tokenizer } from './tokenizers/types.js';

export type {
  FinishReason,
  Generation,
  GenerationEvent,
  GenerationOptions,
  PromptInput,
} from './generation-types.js';

/**
 * Generates continuations for a batch of prompts at once, yielding text deltas as they become safe
 * to show. Rows are right-padded; every row's result equals generating it alone. Refuses the whole
 * batch (before yielding anything) when any prompt cannot run.
 */
export async function* generateStream(
  model: LlamaModel,
  tokenizer: Tokenizer,
  prompts: PromptInput[],
  options: GenerationOptions = {},
): AsyncGenerator<GenerationEvent> {
  if (prompts.length === 0) return;
  options.signal?.throwIfAborted();
  const batch = new DecodingBatch(model, tokenizer, prompts.length);
  const requests = prompts.map((prompt, row) => ({
    id: row,
    prompt: { ...prompt, options: { ...options, ...prompt.options } },
  }));
  requests.forEach((request) => batch.check(request.prompt, request.id));
  // a row that could not go on ends the whole call: its caller asked for every row
  const each = function* (events: RowEvent[]): Generator<GenerationEvent> {
    for (const event of events) {
      if ('error' in event) throw event.error;
      yield event;
    }
  };
  yield* each(batch.admit(requests));
  while (batch.size > 0) {
    yield* each(batch.sample());
    if (batch.size === 0) break;
    // let other work (I/O, other requests) run between steps
    await new Promise((resolve) => setImmediate(resolve));
    // a caller gone (a closed request, a timeout) stops here, before the next forward pass
    options.signal?.throwIfAborted();
    batch.advance();
  }
}

/** Generates and collects every row's result. */
export async function generate(
  model: LlamaModel,
  tokenizer: Tokenizer,
  prompts: PromptInput[],
  options: GenerationOptions = {},
): Promise<Generation[]> {
  const results: Generation[] = new Array(prompts.length);
  for await (const event of generateStream(model, tokenizer, prompts, options))
    if ('done' in event) results[event.row] = event.done;
  return results;
}
