// Scripted language models for optimizer tests and bench:optimize only (never for anything else), with
// documented behaviour. ScriptedModel replies with a function of the prompt text and records its calls.
// ScriptedLanguageModel answers sums like "3 + 4" correctly only when the prompt satisfies a rule
// (default: at least two demonstrations, i.e. "Answer:" lines before the question's own), else "?".
// ScriptedTeacher answers instruction-proposal requests with fixed lines.
import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';

/** The prompt's messages as one text, joined by newlines. */
function promptText(options: LanguageModelV3CallOptions): string {
  return options.prompt
    .map((message) =>
      typeof message.content === 'string'
        ? message.content
        : message.content.map((part) => ('text' in part ? part.text : '')).join(''),
    )
    .join('\n');
}

/** A model whose reply is `reply(prompt text)`; it reports `tokens` [input, output] per call. */
export class ScriptedModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3' as const;
  readonly provider = 'scripted';
  readonly supportedUrls = {};
  calls = 0;
  prompts: string[] = [];

  constructor(
    readonly modelId: string,
    private readonly reply: (prompt: string) => string,
    private readonly tokens: [number, number] = [10, 1],
  ) {}

  async doGenerate(options: LanguageModelV3CallOptions) {
    this.calls++;
    const prompt = promptText(options);
    this.prompts.push(prompt);
    const [input, output] = this.tokens;
    return {
      content: [{ type: 'text' as const, text: this.reply(prompt) }],
      finishReason: { unified: 'stop' as const, raw: 'stop' },
      usage: {
        inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: output, text: output, reasoning: 0 },
      },
      warnings: [],
    };
  }

  async doStream(): Promise<never> {
    throw new Error('a scripted model does not stream');
  }
}

/** Answers "a + b" questions right only when the whole prompt text satisfies `solvable`. */
export class ScriptedLanguageModel extends ScriptedModel {
  constructor(
    modelId = 'scripted-sums',
    /** Whether the whole prompt text lets the model answer. */
    solvable: (text: string) => boolean = (text) => text.split('Answer:').length - 2 >= 2,
  ) {
    super(modelId, (text) => {
      const question = /(\d+) \+ (\d+)\s*\nAnswer:\s*$/.exec(text);
      return solvable(text) && question ? ` ${Number(question[1]) + Number(question[2])}` : ' ?';
    });
  }
}

/** A teacher that answers every request with the same lines (e.g. "INSTRUCTION: ..."). */
export class ScriptedTeacher extends ScriptedModel {
  constructor(reply: string) {
    super('scripted-teacher', () => reply, [50, 20]);
  }
}
