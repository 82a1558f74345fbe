// A soft prompt on the local engine as an AI SDK language model, so the evaluation harness (and audits
// built on it) can score a soft version like any model. As a served soft version does, it continues the
// prompt's plain text (the task input, no template) after the soft prompt's KV prefix.
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamResult,
} from '@ai-sdk/provider';
import type { GenerationEvent, GenerationOptions, Tokenizer } from '../engine/index.js';
import { EngineError } from '../errors/index.js';
import type { SoftPromptSession } from '../soft/index.js';
import {
  engineGenerationOptions,
  languageModelFinishReason,
  languageModelUsage,
  promptText,
  textPartStream,
} from './local-language-model.js';

/** A LanguageModelV3 that continues each prompt's text after one soft prompt. */
export class SoftPromptLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3' as const;
  readonly provider = 'promptune.soft';
  readonly supportedUrls = {};

  /**
   * `modelId` names the base model and the adapter (for caches and reports); `session` holds the prompt;
   * `extraOptions` adds generation options to every call (see withGenerationOptions).
   */
  constructor(
    readonly modelId: string,
    readonly session: SoftPromptSession,
    private readonly extraOptions?: (engine: { tokenizer: Tokenizer }) => Partial<GenerationOptions>,
  ) {}

  /**
   * This model with options added to every call's generation (a decoding constraint, as the service
   * decodes a soft version's task), sharing the session and its prompt's cached keys and values.
   */
  withGenerationOptions(
    extra: (engine: { tokenizer: Tokenizer }) => Partial<GenerationOptions>,
  ): SoftPromptLanguageModel {
    return new SoftPromptLanguageModel(this.modelId, this.session, extra);
  }

  /** The events of one generation, and the prompt's length in tokens (its soft prompt included). */
  private start(options: LanguageModelV3CallOptions) {
    options.abortSignal?.throwIfAborted();
    const text = promptText(options.prompt);
    const inputTokens =
      this.session.tokenizer.encode(text, { addBos: false }).length + this.session.prompt.virtualTokens;
    const generation = { ...engineGenerationOptions(options), ...this.extraOptions?.(this.session) };
    return { events: this.session.stream([text], generation), inputTokens };
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const { events, inputTokens } = this.start(options);
    const done = await finished(events, options.abortSignal);
    return {
      content: [{ type: 'text', text: done.text }],
      finishReason: languageModelFinishReason(done.finishReason),
      usage: languageModelUsage(inputTokens, done.tokens.length),
      warnings: [],
    };
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const { events, inputTokens } = this.start(options);
    const signal = options.abortSignal;
    return {
      stream: textPartStream(async (onDelta) => {
        const done = await finished(events, signal, (delta, generated) =>
          onDelta(delta, { inputTokens, outputTokens: generated }),
        );
        return {
          finishReason: done.finishReason,
          inputTokens,
          outputTokens: done.tokens.length,
          margin: done.margin,
        };
      }),
    };
  }
}

/** The generation's result, telling `onDelta` of each piece of text; an aborted signal stops it between steps. */
async function finished(
  events: AsyncGenerator<GenerationEvent>,
  signal: AbortSignal | undefined,
  onDelta?: (delta: string, generated: number) => void,
) {
  for await (const event of events) {
    signal?.throwIfAborted();
    if ('delta' in event) onDelta?.(event.delta, event.generated);
    else return event.done;
  }
  throw new EngineError('the soft prompt generation ended without a result', {
    code: 'ENGINE_NO_RESULT',
    hint: 'This is a bug in promptune; please report it with the prompt and options.',
  });
}
