// The local engine as an AI SDK language model (LanguageModelV3), so any AI SDK app — and our own
// evaluation harness — can call it like a hosted model. Messages become text through the model's chat
// template when it has one, else by joining their text (completion models such as stories260K).
// Concurrent requests interleave their decoding steps (each forward pass is self-contained);
// batching them into one forward pass is the server's job. A prompt that starts like an earlier one
// (an evaluation's shared instruction and demos) reuses the prefix computed for it (PrefixCache).
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3FinishReason,
  LanguageModelV3GenerateResult,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';
import {
  applyChatTemplate,
  generateStream,
  PrefixCache,
  type FinishReason,
  type GenerationOptions,
  type LoadedModel,
} from '../engine/index.js';
import { EngineError } from '../errors/index.js';
import { marginMetadata } from './engine-margin.js';
import { streamedTokensMetadata, type StreamedTokens } from './streamed-tokens.js';

/** The text of a model's answer: its text parts joined (reasoning, tool calls and files left out). */
export function answerText(content: readonly LanguageModelV3Content[]): string {
  return content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/** Plain text of a prompt's messages, for models without a chat template. */
export function promptText(prompt: LanguageModelV3Prompt): string {
  const parts: string[] = [];
  for (const message of prompt) {
    if (message.role === 'system') parts.push(message.content);
    else if (message.role === 'user' || message.role === 'assistant') {
      parts.push(message.content.map((part) => (part.type === 'text' ? part.text : '')).join(''));
    }
  }
  return parts.join('\n\n');
}

function isRaw(options: LanguageModelV3CallOptions): boolean {
  return options.providerOptions?.promptune?.raw === true;
}

/** AI SDK usage for a local generation's token counts (`cached`: input tokens read from a cache). */
export function languageModelUsage(input: number, output: number, cached = 0): LanguageModelV3Usage {
  return {
    inputTokens: { total: input, noCache: input - cached, cacheRead: cached, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  };
}

/** The AI SDK finish reason for an engine finish reason. */
export function languageModelFinishReason(reason: FinishReason): LanguageModelV3FinishReason {
  return { unified: reason === 'length' ? 'length' : 'stop', raw: reason };
}

/**
 * The engine's generation options for an AI SDK call (greedy and 256 tokens unless it says otherwise;
 * seed 0, so library code samples reproducibly: the service gives each request a fresh seed itself).
 */
export function engineGenerationOptions(options: LanguageModelV3CallOptions) {
  return {
    maxTokens: options.maxOutputTokens ?? 256,
    temperature: options.temperature ?? 0,
    topP: options.topP,
    topK: options.topK,
    stop: options.stopSequences,
    seed: options.seed ?? 0,
  };
}

/** A LanguageModelV3 backed by a loaded local model. */
export class LocalLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3' as const;
  readonly provider = 'promptune.local';
  readonly supportedUrls = {};

  private loading: Promise<LoadedModel> | undefined;
  /** Prompt prefixes computed before (an evaluation's or optimization's shared instruction and demos). */
  private prefixes: PrefixCache | undefined;

  /**
   * `source` is a loaded model, or a loader called on first use (providers hand out models
   * synchronously); `extraOptions` adds generation options to every call (see withGenerationOptions).
   */
  constructor(
    readonly modelId: string,
    private readonly source: LoadedModel | (() => Promise<LoadedModel>),
    private readonly extraOptions?: (loaded: LoadedModel) => Partial<GenerationOptions>,
    private readonly base?: LocalLanguageModel,
  ) {}

  /**
   * This model with options added to every call's generation (a decoding constraint, say), sharing
   * the loaded model and its prefix cache.
   */
  withGenerationOptions(extra: (loaded: LoadedModel) => Partial<GenerationOptions>): LocalLanguageModel {
    const root = this.base ?? this;
    return new LocalLanguageModel(this.modelId, () => root.loaded(), extra, root);
  }

  /** The loaded model (loading it on first use). */
  loaded(): Promise<LoadedModel> {
    if (!this.loading) {
      const loading = typeof this.source === 'function' ? this.source() : Promise.resolve(this.source);
      // a failed load is not remembered: the next call tries again (the file may have appeared)
      loading.catch(() => (this.loading = undefined));
      this.loading = loading;
    }
    return this.loading;
  }

  /**
   * Token ids of the prompt as the model will see it. `raw` (providerOptions.promptune.raw) skips the
   * chat template: the text is continued as is, as OpenAI's completions endpoint does.
   */
  async encodePrompt(prompt: LanguageModelV3Prompt, raw = false): Promise<number[]> {
    const { tokenizer } = await this.loaded();
    if (tokenizer.chatTemplate && !raw) {
      const messages = prompt
        .filter((message) => message.role !== 'tool')
        .map((message) => ({
          role: message.role,
          content: typeof message.content === 'string' ? message.content : promptText([message]),
        }));
      return tokenizer.encode(applyChatTemplate(tokenizer, messages), { addBos: false });
    }
    return tokenizer.encode(promptText(prompt));
  }

  /** The generation's events, and how many prompt tokens came from a kept prefix. */
  private async events(options: LanguageModelV3CallOptions, tokens: number[]) {
    const loaded = await this.loaded();
    const { model, tokenizer } = loaded;
    const owner = this.base ?? this;
    owner.prefixes ??= new PrefixCache(model);
    const hit = owner.prefixes.prefixFor(tokens);
    const prompt = hit ? { tokens: hit.rest, options: { prefix: hit.prefix } } : { tokens };
    const generation = { ...engineGenerationOptions(options), ...this.extraOptions?.(loaded) };
    return {
      iterator: generateStream(model, tokenizer, [prompt], generation),
      cached: hit?.reused ? hit.length : 0,
    };
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const signal = options.abortSignal;
    signal?.throwIfAborted();
    const tokens = await this.encodePrompt(options.prompt, isRaw(options));
    const { iterator, cached } = await this.events(options, tokens);
    for await (const event of iterator) {
      // an aborted call stops between decoding steps (leaving the loop closes the generation)
      signal?.throwIfAborted();
      if ('done' in event) {
        return {
          content: [{ type: 'text', text: event.done.text }],
          finishReason: languageModelFinishReason(event.done.finishReason),
          usage: languageModelUsage(tokens.length, event.done.tokens.length, cached),
          warnings: [],
        };
      }
    }
    throw noResult();
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const signal = options.abortSignal;
    signal?.throwIfAborted();
    const tokens = await this.encodePrompt(options.prompt, isRaw(options));
    const { iterator, cached } = await this.events(options, tokens);
    return {
      stream: textPartStream(async (onDelta) => {
        for await (const event of iterator) {
          signal?.throwIfAborted();
          if ('delta' in event)
            onDelta(event.delta, { inputTokens: tokens.length, outputTokens: event.generated });
          else
            return {
              finishReason: event.done.finishReason,
              inputTokens: tokens.length,
              outputTokens: event.done.tokens.length,
              cachedTokens: cached,
            };
        }
        throw noResult();
      }),
    };
  }
}

/** A generation that ended without its result: the engine's fault, never the request's. */
const noResult = () =>
  new EngineError('the local generation ended without a result', {
    code: 'ENGINE_NO_RESULT',
    hint: 'This is a bug in promptune; please report it with the prompt and options.',
  });

/**
 * The AI SDK stream parts of one text generation that reports its deltas through a callback and
 * resolves with its finish reason and token counts (in this process or on the engine worker).
 */
export function textPartStream(
  run: (onDelta: (delta: string, counts?: StreamedTokens) => void) => Promise<{
    finishReason: FinishReason;
    inputTokens: number;
    outputTokens: number;
    cachedTokens?: number;
    /** The first token's log-probability margin, carried as providerMetadata.promptune.margin. */
    margin?: number | null;
  }>,
): ReadableStream<LanguageModelV3StreamPart> {
  // a reader that cancels (a guard that stopped the stream, a client gone) closes it: parts of the
  // generation still arriving are dropped rather than written into a closed stream
  let closed = false;
  return new ReadableStream<LanguageModelV3StreamPart>({
    start(controller) {
      const enqueue = (part: LanguageModelV3StreamPart) => {
        if (!closed) controller.enqueue(part);
      };
      const close = () => {
        if (closed) return;
        closed = true;
        controller.close();
      };
      enqueue({ type: 'stream-start', warnings: [] });
      enqueue({ type: 'text-start', id: '0' });
      // counts given with a delta ride on its part: a reader that stops early still knows the spend
      const deltaPart = (delta: string, counts?: StreamedTokens): LanguageModelV3StreamPart =>
        counts
          ? { type: 'text-delta', id: '0', delta, providerMetadata: streamedTokensMetadata(counts) }
          : { type: 'text-delta', id: '0', delta };
      run((delta, counts) => enqueue(deltaPart(delta, counts))).then(
        (result) => {
          enqueue({ type: 'text-end', id: '0' });
          enqueue({
            type: 'finish',
            finishReason: languageModelFinishReason(result.finishReason),
            usage: languageModelUsage(result.inputTokens, result.outputTokens, result.cachedTokens),
            ...marginMetadata(result.margin),
          });
          close();
        },
        (error: unknown) => {
          enqueue({ type: 'error', error });
          close();
        },
      );
    },
    cancel() {
      closed = true;
    },
  });
}
