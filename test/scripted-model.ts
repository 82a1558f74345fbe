// Scripted language models for optimizer tests only (never for anything else), with documented
// behaviour: ScriptedLanguageModel answers sums like "3 + 4" correctly only when the prompt satisfies a
// rule (default: at least two demonstrations, i.e. "Answer:" lines before the question's own), else "?".
// ScriptedTeacher answers instruction-proposal requests with fixed lines. Both count their calls.
import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';

export class ScriptedLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3' as const;
  readonly provider = 'scripted';
  readonly supportedUrls = {};
  calls = 0;

  constructor(
    readonly modelId = 'scripted-sums',
    /** Whether the whole prompt text lets the model answer. */
    private readonly solvable: (text: string) => boolean = (text) => text.split('Answer:').length - 2 >= 2,
  ) {}

  private answer(options: LanguageModelV3CallOptions): string {
    const text = options.prompt
      .map((message) =>
        typeof message.content === 'string'
          ? message.content
          : message.content.map((part) => ('text' in part ? part.text : '')).join(''),
      )
      .join('\n');
    const question = /(\d+) \+ (\d+)\s*\nAnswer:\s*$/.exec(text);
    return this.solvable(text) && question ? ` ${Number(question[1]) + Number(question[2])}` : ' ?';
  }

  async doGenerate(options: LanguageModelV3CallOptions) {
    this.calls++;
    const text = this.answer(options);
    return {
      content: [{ type: 'text' as const, text }],
      finishReason: { unified: 'stop' as const, raw: 'stop' },
      usage: {
        inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 1, text: 1, reasoning: 0 },
      },
      warnings: [],
    };
  }

  async doStream(): Promise<never> {
    throw new Error('the scripted model does not stream');
  }
}

/** A teacher that answers every request with the same lines (e.g. "INSTRUCTION: ..."). */
export class ScriptedTeacher implements LanguageModelV3 {
  readonly specificationVersion = 'v3' as const;
  readonly provider = 'scripted';
  readonly modelId = 'scripted-teacher';
  readonly supportedUrls = {};
  calls = 0;
  prompts: string[] = [];

  constructor(private readonly reply: string) {}

  async doGenerate(options: LanguageModelV3CallOptions) {
    this.calls++;
    this.prompts.push(
      options.prompt
        .map((message) =>
          typeof message.content === 'string'
            ? message.content
            : message.content.map((part) => ('text' in part ? part.text : '')).join(''),
        )
        .join('\n'),
    );
    return {
      content: [{ type: 'text' as const, text: this.reply }],
      finishReason: { unified: 'stop' as const, raw: 'stop' },
      usage: {
        inputTokens: { total: 50, noCache: 50, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 20, text: 20, reasoning: 0 },
      },
      warnings: [],
    };
  }

  async doStream(): Promise<never> {
    throw new Error('the scripted teacher does not stream');
  }
}
