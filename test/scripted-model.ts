// Scripted language models for logic that needs controlled model behaviour only (optimizer and guard
// policy tests, bench:optimize; never for anything else), with documented behaviour. ScriptedModel replies with a function of the prompt text and records its calls.
// ScriptedLanguageModel answers sums like "3 + 4" correctly only when the prompt satisfies a rule
// (default: at least two demonstrations, i.e. "Answer:" lines before the question's own), else "?".
// ScriptedTeacher answers instruction-proposal requests with fixed lines. serveScriptedChat puts a scripted
// reply behind a real OpenAI-compatible HTTP server, counting requests and holding chosen ones in flight.
import {
  APICallError,
  type LanguageModelV3,
  type LanguageModelV3CallOptions,
  type LanguageModelV3StreamPart,
  type LanguageModelV3StreamResult,
} from '@ai-sdk/provider';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

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

  async doStream(_options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    throw new Error('a scripted model does not stream');
  }
}

/**
 * A ScriptedModel that also streams: its reply in parts of four characters, pulled one at a time
 * (`pulled` counts the text parts a reader asked for, so a test sees a stream stopped early).
 */
export class ScriptedStreamingModel extends ScriptedModel {
  pulled = 0;

  override async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const result = await this.doGenerate(options);
    const text = result.content[0].text;
    const parts: LanguageModelV3StreamPart[] = [
      { type: 'stream-start', warnings: [] },
      { type: 'text-start', id: '0' },
      ...Array.from({ length: Math.ceil(text.length / 4) }, (_, index) => ({
        type: 'text-delta' as const,
        id: '0',
        delta: text.slice(index * 4, index * 4 + 4),
      })),
      { type: 'text-end', id: '0' },
      { type: 'finish', finishReason: result.finishReason, usage: result.usage },
    ];
    let next = 0;
    return {
      stream: new ReadableStream<LanguageModelV3StreamPart>({
        pull: (controller) => {
          if (next >= parts.length) return controller.close();
          if (parts[next].type === 'text-delta') this.pulled++;
          controller.enqueue(parts[next++]);
        },
      }),
    };
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

/**
 * `model` answering its first call with a provider's rate limit (HTTP 429, Retry-After 0) and every
 * later one as before: for retry logic.
 */
export function rateLimitedOnce<Model extends ScriptedModel>(model: Model): Model {
  const answer = model.doGenerate.bind(model);
  let refused = 0;
  model.doGenerate = async (options) => {
    if (refused++ === 0)
      throw new APICallError({
        message: 'Rate limit reached',
        url: 'x',
        requestBodyValues: {},
        statusCode: 429,
        responseHeaders: { 'retry-after': '0' },
      });
    return answer(options);
  };
  return model;
}

/** A teacher that answers every request with the same lines (e.g. "INSTRUCTION: ..."). */
export class ScriptedTeacher extends ScriptedModel {
  constructor(reply: string) {
    super('scripted-teacher', () => reply, [50, 20]);
  }
}

/** A scripted model behind a real HTTP server on 127.0.0.1 speaking OpenAI's chat completions API. */
export interface ScriptedChatServer {
  /** The base URL for `openai-compatible:<url>#<model>` (ends in /v1). */
  url: string;
  /** Chat completion requests received so far (each one counts, answered or not). */
  readonly requests: number;
  /** Each request's prompt text (the messages joined), in arrival order. */
  readonly prompts: string[];
  /**
   * Resolves when request number `n` (1-based, over the server's life) arrives; that request stays
   * unanswered, as if the model were still working on it, until `releaseHeld()`.
   */
  holdRequest(n: number): Promise<void>;
  /** Answers the held requests (their clients may be gone). */
  releaseHeld(): void;
  /**
   * Resolves when the connection of every held request has closed: its client process is gone (a
   * killed worker's command dies a moment after the worker, and would take an answer sent before).
   */
  heldClosed(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves `reply(prompt text)` for every chat completion, reporting `usage` [prompt, completion] tokens
 * per call. For budget and journal tests only: the answers are scripted, the HTTP and the client are real.
 */
export function serveScriptedChat(
  reply: (prompt: string) => string,
  usage: [number, number] = [10, 2],
): Promise<ScriptedChatServer> {
  let requests = 0;
  const prompts: string[] = [];
  const holds = new Map<number, () => void>();
  const held: (() => void)[] = [];
  const heldConnections: Promise<void>[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || !request.url?.endsWith('/chat/completions')) {
        response.writeHead(404).end();
        return;
      }
      const number = ++requests;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        model: string;
        messages: { content: string | { text?: string }[] }[];
      };
      const prompt = body.messages
        .map((message) =>
          typeof message.content === 'string'
            ? message.content
            : message.content.map((part) => part.text ?? '').join(''),
        )
        .join('\n');
      prompts.push(prompt);
      const answer = () => {
        if (response.destroyed || request.socket.destroyed) return;
        response.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: `chatcmpl-${number}`,
            object: 'chat.completion',
            created: 0,
            model: body.model,
            choices: [
              { index: 0, message: { role: 'assistant', content: reply(prompt) }, finish_reason: 'stop' },
            ],
            usage: {
              prompt_tokens: usage[0],
              completion_tokens: usage[1],
              total_tokens: usage[0] + usage[1],
            },
          }),
        );
      };
      const hold = holds.get(number);
      if (hold) {
        held.push(answer);
        const socket = request.socket;
        heldConnections.push(
          socket.destroyed
            ? Promise.resolve()
            : new Promise((closed) => socket.once('close', () => closed())),
        );
        hold();
      } else answer();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/v1`,
        get requests() {
          return requests;
        },
        prompts,
        holdRequest: (n) => new Promise<void>((arrived) => holds.set(n, arrived)),
        releaseHeld: () => held.splice(0).forEach((answer) => answer()),
        heldClosed: async () => {
          await Promise.all(heldConnections);
        },
        close: () =>
          new Promise<void>((closed) => {
            server.closeAllConnections();
            server.close(() => closed());
          }),
      });
    });
  });
}
