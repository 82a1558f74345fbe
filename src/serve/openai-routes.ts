// OpenAI-compatible routes over AI SDK language models: POST /v1/chat/completions and /v1/completions
// (with SSE streaming), GET /v1/models and GET /v1/models/{id}; bodies read through the schemas of
// request-schemas.ts, errors in OpenAI's shape (errors.ts), logged with the request id when they are
// not the caller's. What a `model` name means is the caller's: a fixed table of models, or the
// service's resolver that turns `task@label` into a model rendering that task's prompt. Under the
// service, each request also fills its trace (request-trace.ts): input, output, tokens, first text.
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3Usage,
  SharedV3ProviderMetadata,
} from '@ai-sdk/provider';
import { Hono, type Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import pino, { type Logger } from 'pino';
import { NotFoundError } from '../errors/index.js';
import { describeError, errorResponse } from './errors.js';
import { readBody } from './request-body.js';
import { clientSignal, spentBy } from './client-signal.js';
import { requestContext } from './request-context.js';
import {
  chatCompletionRequest,
  textCompletionRequest,
  type ChatCompletionRequest,
  type TextCompletionRequest,
} from './request-schemas.js';
import type { ServiceEnv, TraceDraft } from './service-env.js';
import { answerText, engineMargin, streamedTokens, type StreamedTokens } from '../providers/index.js';

/** OpenAI's usage object for an AI SDK usage (cached prompt tokens included). */
function openAiUsage(usage: LanguageModelV3Usage) {
  const input = usage.inputTokens.total ?? 0;
  const output = usage.outputTokens.total ?? 0;
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
    prompt_tokens_details: { cached_tokens: usage.inputTokens.cacheRead ?? 0 },
  };
}

/** What a finished request reports to its source (metrics, sampled logs). */
export interface CompletionUsage {
  inputTokens: number;
  outputTokens: number;
  text: string;
  /** The request body as read (validated). */
  request: ChatCompletionRequest | TextCompletionRequest;
}

/** A model name a source knows but cannot run here, and why. */
export interface UnavailableModel {
  id: string;
  reason: string;
}

/** The models a source lists: the names it serves, and those it knows but cannot run here. */
export interface ListedModels {
  names: string[];
  unavailable?: UnavailableModel[];
}

/** Where models come from: their names, and the model for a name (undefined: not served). */
export interface ModelSource {
  /** The names served (an array), or with those that cannot run here too. */
  list(context: Context<ServiceEnv>): Promise<string[] | ListedModels> | string[] | ListedModels;
  resolve(
    name: string,
    context: Context<ServiceEnv>,
  ): Promise<LanguageModelV3 | undefined> | LanguageModelV3 | undefined;
  /**
   * Called with each finished request's usage (metrics, logs); for a stream that failed or whose client
   * left, with what it had spent by its last text, when the model said.
   */
  onUsage?(context: Context<ServiceEnv>, usage: CompletionUsage): void;
  /** Called when a streamed request's first text goes out (time to first token). */
  onFirstText?(context: Context<ServiceEnv>): void;
  /**
   * Its models take a chat's last user message as their whole input (tasks, whose version holds the
   * prompt): a chat's other messages (a client library's default system message, earlier turns) are
   * counted in a `promptune-unused-messages` header rather than dropped unsaid.
   */
  lastUserMessageOnly?: boolean;
  /**
   * The name an answer's `model` gives once `resolve` ran (as OpenAI names the snapshot an alias
   * resolved to); the name asked for without it.
   */
  answeredAs?(context: Context<ServiceEnv>): string | undefined;
}

/** How the routes are set up. */
export interface OpenAiRoutesOptions {
  /** The largest max_tokens a request may ask for (default 4096). */
  maxTokens?: number;
  /** Where requests and internal errors are logged (default: internal errors only, unless LOG_LEVEL is set). */
  logger?: Logger;
}

function tableSource(models: Record<string, LanguageModelV3>): ModelSource {
  return { list: () => Object.keys(models), resolve: (name) => models[name] };
}

const text = (value: string) => [{ type: 'text' as const, text: value }];

/** A chat message as it can be after reading: the schema refuses tool and function messages. */
type ChatMessage = Exclude<ChatCompletionRequest['messages'][number], { role: 'tool' | 'function' }>;

function chatPrompt(messages: ChatMessage[]): LanguageModelV3Prompt {
  return messages.map((message) => {
    const content = message.content ?? '';
    const joined = typeof content === 'string' ? content : content.map((part) => part.text ?? '').join('');
    if (message.role === 'system' || message.role === 'developer') return { role: 'system', content: joined };
    if (message.role === 'assistant') return { role: 'assistant', content: text(joined) };
    return { role: 'user', content: text(joined) };
  });
}

/** The AI SDK call options of a request (nulls are absent fields; empty stop strings stop nothing). */
function callOptions(
  body: ChatCompletionRequest | TextCompletionRequest,
  prompt: LanguageModelV3Prompt,
  raw: boolean,
  abortSignal: AbortSignal,
): LanguageModelV3CallOptions {
  const stop = (typeof body.stop === 'string' ? [body.stop] : (body.stop ?? [])).filter(Boolean);
  return {
    prompt,
    maxOutputTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    topK: body.top_k ?? undefined,
    stopSequences: stop.length ? stop : undefined,
    seed: body.seed ?? undefined,
    providerOptions: raw ? { promptune: { raw: true } } : undefined,
    // a client that disconnects stops its generation (an engine row, an upstream call)
    abortSignal,
  };
}

const hints = {
  chat: 'Send { "model": "<task>", "messages": [{ "role": "user", "content": "..." }] }; see GET /openapi.json.',
  text: 'Send { "model": "<task>", "prompt": "..." }; see GET /openapi.json.',
};

/**
 * OpenAI's finish_reason for the AI SDK's: `length`, `content_filter` (a guard stopped or withheld the
 * answer: a client must tell a cut answer from a whole one), else `stop`.
 */
function openAiFinish(reason: string): 'length' | 'content_filter' | 'stop' {
  if (reason === 'length') return 'length';
  return reason === 'content-filter' ? 'content_filter' : 'stop';
}
/**
 * A Hono app serving OpenAI's chat and text completion routes over `models`: a table (name -> model)
 * or a ModelSource.
 */
export function openAiRoutes(
  models: Record<string, LanguageModelV3> | ModelSource,
  options: OpenAiRoutesOptions = {},
): Hono<ServiceEnv> {
  const source: ModelSource =
    typeof models.resolve === 'function'
      ? (models as ModelSource)
      : tableSource(models as Record<string, LanguageModelV3>);
  const limits = { maxTokens: options.maxTokens ?? 4096 };
  const schemas = { chat: chatCompletionRequest(limits), text: textCompletionRequest(limits) };
  const app = new Hono<ServiceEnv>();
  // standalone, these routes give requests their ids themselves; under the service this is a no-op
  const setup = requestContext(options.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'error' }));
  // '/v1/models/*' is the list and one model (Hono's /* matches the bare path too)
  for (const path of ['/v1/models/*', '/v1/chat/completions', '/v1/completions']) app.use(path, setup);
  app.onError((error, context) => errorResponse(context, error));

  // OpenAI's model object; `created` is when these routes started (a task's versions change under its name)
  const started = Math.floor(Date.now() / 1000);
  const modelObject = (id: string) => ({ id, object: 'model', created: started, owned_by: 'promptune' });
  const listModels = async (context: Context<ServiceEnv>): Promise<ListedModels> => {
    const listed = await source.list(context);
    return Array.isArray(listed) ? { names: listed } : listed;
  };
  app.get('/v1/models', async (context) => {
    const { names, unavailable } = await listModels(context);
    // OpenAI's list holds only what can be called; the names that would answer 404 are listed apart,
    // with why, for a person looking for a missing task
    return context.json({
      object: 'list',
      data: names.map(modelObject),
      ...(unavailable?.length && { unavailable }),
    });
  });
  app.get('/v1/models/:id', async (context) => {
    const id = context.req.param('id');
    const { names, unavailable } = await listModels(context);
    if (names.includes(id)) return context.json(modelObject(id));
    const why = unavailable?.find((each) => each.id === id)?.reason;
    // a name the completions take though the list leaves it out (task@3, task@latest, a version id):
    // retrieved as it would be called, with the error a call would get (unknown, or not servable here)
    if (why === undefined && (await source.resolve(id, context))) return context.json(modelObject(id));
    throw new NotFoundError(`model "${id}" is not served here${why ? `: ${why}` : ''}`, {
      code: 'MODEL_NOT_FOUND',
      hint: 'See GET /v1/models.',
    });
  });

  const respond = async (kind: 'chat' | 'text', context: Context<ServiceEnv>) => {
    const body =
      kind === 'chat'
        ? await readBody(context, schemas.chat, hints.chat)
        : await readBody(context, schemas.text, hints.text);
    const trace = context.get('trace');
    if (trace) {
      trace.model = body.model;
      const user = (body as { user?: unknown }).user;
      trace.user = typeof user === 'string' ? user.slice(0, 256) : null;
      trace.input =
        kind === 'chat'
          ? { messages: (body as ChatCompletionRequest).messages }
          : { prompt: (body as TextCompletionRequest).prompt };
    }
    const model = await source.resolve(body.model, context);
    if (!model)
      throw new NotFoundError(`model "${body.model}" is not served here`, {
        code: 'MODEL_NOT_FOUND',
        hint: 'See GET /v1/models.',
      });
    if (kind === 'chat' && source.lastUserMessageOnly) {
      const unused = (body as ChatCompletionRequest).messages.length - 1;
      if (unused > 0) context.header('promptune-unused-messages', String(unused));
    }
    const prompt =
      kind === 'chat'
        ? chatPrompt((body as ChatCompletionRequest).messages as ChatMessage[])
        : [{ role: 'user' as const, content: text((body as TextCompletionRequest).prompt) }];
    const options = callOptions(body, prompt, kind === 'text', clientSignal(context));
    const answeredAs = source.answeredAs?.(context) ?? body.model;
    // a refused answer, or one its client left, was still generated: the metrics count its tokens, as
    // its trace does
    const countSpent = (error: unknown): never => {
      const spent = spentBy(error);
      if (spent) source.onUsage?.(context, { ...spent, text: '', request: body });
      throw error;
    };
    const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${crypto.randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const object = kind === 'chat' ? 'chat.completion' : 'text_completion';
    if (body.stream) {
      // a request that fails before its first token (a prompt over the context, say) is answered with
      // its own status, as it would be unstreamed, rather than a 200 carrying an error event
      const stream = await untilFirstOutput((await model.doStream(options)).stream).catch(countSpent);
      const chunk = (choices: object[], extra: object = {}) =>
        JSON.stringify({ id, object: `${object}.chunk`, created, model: answeredAs, choices, ...extra });
      if (trace) {
        trace.id = id;
        trace.streaming = true;
      }
      return streamSSE(context, async (sse) => {
        // the text sent and what the generation had spent by its last delta, and whether its finish
        // reported usage: a stream that fails or whose client leaves is still counted, in its trace and
        // in the metrics
        let spent: StreamedTokens | undefined;
        let sent = '';
        let reported = false;
        // every failure is answered here: hono's own handler would send the raw message as an event
        try {
          await relay(stream, sse, {
            onDelta: (delta, first, counts) => {
              if (first) {
                trace?.firstText();
                source.onFirstText?.(context);
              }
              sent += delta;
              spent = counts ?? spent;
              if (trace) {
                trace.output = sent;
                if (spent) ({ inputTokens: trace.inputTokens, outputTokens: trace.outputTokens } = spent);
              }
              // the first delta names the speaker, as OpenAI's first chunk does (clients read the role there)
              return chunk([
                kind === 'chat'
                  ? {
                      index: 0,
                      delta: first ? { role: 'assistant', content: delta } : { content: delta },
                      finish_reason: null,
                    }
                  : { index: 0, text: delta, finish_reason: null },
              ]);
            },
            onFinish: (part, deltas) => {
              if (trace)
                finishTrace(trace, part.usage, sent, part.finishReason.unified, part.providerMetadata);
              reported = true;
              source.onUsage?.(context, {
                inputTokens: part.usage.inputTokens.total ?? 0,
                outputTokens: part.usage.outputTokens.total ?? 0,
                text: sent,
                request: body,
              });
              const reason = openAiFinish(part.finishReason.unified);
              const last = chunk([
                kind === 'chat'
                  ? { index: 0, delta: deltas > 0 ? {} : { role: 'assistant' }, finish_reason: reason }
                  : { index: 0, text: '', finish_reason: reason },
              ]);
              // as OpenAI does with stream_options.include_usage: a last chunk with no choices
              return body.stream_options?.include_usage
                ? [last, chunk([], { usage: openAiUsage(part.usage) })]
                : [last];
            },
          });
        } catch (error) {
          // a guard that refused the text counted up to the delta it refused, which was not sent
          spent = spentBy(error) ?? spent;
          const described = describeError(context, error);
          if (trace) trace.streamError = { status: described.status, code: described.body.error.code };
          await sse.writeSSE({ data: JSON.stringify(described.body) });
        } finally {
          if (!reported && spent) source.onUsage?.(context, { ...spent, text: sent, request: body });
          trace?.end(); // a client that left ends here too (its write failed)
        }
        await sse.writeSSE({ data: '[DONE]' });
      });
    }
    const result = await Promise.resolve(model.doGenerate(options)).catch(countSpent);
    const answer = answerText(result.content);
    const reason = openAiFinish(result.finishReason.unified);
    const input = result.usage.inputTokens.total ?? 0;
    const output = result.usage.outputTokens.total ?? 0;
    if (trace) {
      trace.id = id;
      finishTrace(trace, result.usage, answer, result.finishReason.unified, result.providerMetadata);
    }
    source.onUsage?.(context, { inputTokens: input, outputTokens: output, text: answer, request: body });
    const choice =
      kind === 'chat'
        ? {
            index: 0,
            message: { role: 'assistant', content: answer, refusal: null },
            logprobs: null,
            finish_reason: reason,
          }
        : { index: 0, text: answer, logprobs: null, finish_reason: reason };
    return context.json({
      id,
      object,
      created,
      model: answeredAs,
      choices: [choice],
      usage: openAiUsage(result.usage),
    });
  };
  app.post('/v1/chat/completions', (context) => respond('chat', context));
  app.post('/v1/completions', (context) => respond('text', context));
  return app;
}

/** Fills a trace from a finished generation (the engine's confidence from its provider metadata). */
function finishTrace(
  trace: TraceDraft,
  usage: LanguageModelV3Usage,
  output: string,
  reason: string,
  metadata: SharedV3ProviderMetadata | undefined,
): void {
  trace.output = output;
  trace.inputTokens = usage.inputTokens.total ?? 0;
  trace.outputTokens = usage.outputTokens.total ?? 0;
  trace.finishReason = reason;
  trace.confidence = engineMargin(metadata);
}

/**
 * Reads `stream` up to its first text, finish or error; throws that error if it comes first, else
 * returns a stream of every part, those read included.
 */
async function untilFirstOutput(
  stream: ReadableStream<LanguageModelV3StreamPart>,
): Promise<ReadableStream<LanguageModelV3StreamPart>> {
  const reader = stream.getReader();
  const read: LanguageModelV3StreamPart[] = [];
  for (;;) {
    const { value: part, done } = await reader.read();
    if (done) break;
    if (part.type === 'error') {
      // a stream that has failed may refuse the cancel at once (Node 20 throws, not rejects): the
      // failure to answer with is the part's
      try {
        void reader.cancel().catch(() => undefined);
      } catch {
        // already errored: nothing to cancel
      }
      throw part.error;
    }
    read.push(part);
    if (part.type === 'text-delta' || part.type === 'finish') break;
  }
  return new ReadableStream<LanguageModelV3StreamPart>({
    start(controller) {
      for (const part of read) controller.enqueue(part);
    },
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/**
 * Relays a model's stream parts as SSE events: each text delta as the chunk `onDelta` makes, the
 * finish as the chunks `onFinish` makes. An error part is thrown, for the caller to answer.
 */
async function relay(
  stream: ReadableStream<LanguageModelV3StreamPart>,
  sse: SSEStreamingApi,
  handlers: {
    /** `counts`: the tokens the generation had used by this delta, when the model says. */
    onDelta(delta: string, first: boolean, counts: StreamedTokens | undefined): string;
    /** `deltas`: how many delta chunks were sent before it (the first of them named the role). */
    onFinish(part: Extract<LanguageModelV3StreamPart, { type: 'finish' }>, deltas: number): string[];
  },
): Promise<void> {
  const reader = stream.getReader();
  let deltas = 0;
  for (;;) {
    const { value: part, done } = await reader.read();
    if (done) return;
    if (part.type === 'text-delta') {
      await sse.writeSSE({
        data: handlers.onDelta(part.delta, deltas++ === 0, streamedTokens(part.providerMetadata)),
      });
    } else if (part.type === 'error') {
      void reader.cancel().catch(() => undefined);
      throw part.error;
    } else if (part.type === 'finish') {
      for (const data of handlers.onFinish(part, deltas)) await sse.writeSSE({ data });
    }
  }
}
