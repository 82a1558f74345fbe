// A scripted language model for optimizer tests only (never for anything else): it answers sums like
// "3 + 4" correctly only when the prompt holds at least `demosNeeded` demonstrations ("Answer:" lines
// before the question's own), and otherwise answers "?". It counts every call it receives.
import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';

export class ScriptedLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3' as const;
  readonly provider = 'scripted';
  readonly supportedUrls = {};
  calls = 0;

  constructor(
    readonly modelId = 'scripted-sums',
    private readonly demosNeeded = 2,
  ) {}

  private answer(options: LanguageModelV3CallOptions): string {
    const text = options.prompt
      .map((message) =>
        typeof message.content === 'string'
          ? message.content
          : message.content.map((part) => ('text' in part ? part.text : '')).join(''),
      )
      .join('\n');
    const demos = text.split('Answer:').length - 2;
    const question = /(\d+) \+ (\d+)\s*\nAnswer:\s*$/.exec(text);
    return demos >= this.demosNeeded && question ? ` ${Number(question[1]) + Number(question[2])}` : ' ?';
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
