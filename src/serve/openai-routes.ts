// OpenAI-compatible routes over AI SDK language models: POST /v1/chat/completions and
// /v1/completions (with SSE streaming) and GET /v1/models, errors in OpenAI's error shape. What a
// `model` name means is the caller's: a fixed table of models, or the service's resolver that turns
// `task@label` into a model rendering that task's prompt.
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Prompt,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { NotFoundError } from '../errors/index.js';
import { errorResponse, ServiceError } from './errors.js';

interface CompletionRequest {
  model?: string;
  messages?: { role: string; content: string | { type: string; text?: string }[] }[];
  prompt?: string;
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[];
  seed?: number;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

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

const invalid = (message: string, code: string, hint: string) => new ServiceError(400, message, code, hint);

/** Where models come from: their names, and the model for a name (undefined: not served). */
export interface ModelSource {
  list(context: Context): Promise<string[]> | string[];
  resolve(name: string, context: Context): Promise<LanguageModelV3 | undefined> | LanguageModelV3 | undefined;
  /** Called with each finished request's usage (metrics, logs). */
  onUsage?(context: Context, usage: { inputTokens: number; outputTokens: number; text: string }): void;
  /** Called when a streamed request's first text goes out (time to first token). */
  onFirstText?(context: Context): void;
}

function tableSource(models: Record<string, LanguageModelV3>): ModelSource {
  return { list: () => Object.keys(models), resolve: (name) => models[name] };
}

function toPrompt(body: CompletionRequest): LanguageModelV3Prompt {
  if (body.messages) {
    return body.messages.map((message) => {
      const text =
        typeof message.content === 'string'
          ? message.content
          : message.content.map((part) => part.text ?? '').join('');
      if (message.role === 'system' || message.role === 'developer') return { role: 'system', content: text };
      if (message.role === 'assistant') return { role: 'assistant', content: [{ type: 'text', text }] };
      return { role: 'user', content: [{ type: 'text', text }] };
    });
  }
  return [{ role: 'user', content: [{ type: 'text', text: body.prompt ?? '' }] }];
}

/** Reads a JSON request body, or fails with a 400 in OpenAI's shape. */
export async function jsonBody<T>(context: Context): Promise<T> {
  try {
    return (await context.req.json()) as T;
  } catch {
    throw invalid('the request body is not valid JSON', 'invalid_json', 'Send a JSON object.');
  }
}

/**
 * A Hono app serving OpenAI's chat and text completion routes over `models`: a table (name -> model)
 * or a ModelSource. `maxTokens` caps max_tokens per request.
 */
export function openAiRoutes(
  models: Record<string, LanguageModelV3> | ModelSource,
  limits: { maxTokens?: number } = {},
): Hono {
  const source: ModelSource =
    typeof models.resolve === 'function'
      ? (models as ModelSource)
      : tableSource(models as Record<string, LanguageModelV3>);
  const app = new Hono();
  app.get('/v1/models', async (context) => {
    try {
      const names = await source.list(context);
      return context.json({
        object: 'list',
        data: names.map((id) => ({ id, object: 'model', owned_by: 'promptune' })),
      });
    } catch (error) {
      return errorResponse(context, error);
    }
  });

  const complete = (kind: 'chat' | 'text') => async (context: Context) => {
    try {
      return await respond(kind, context);
    } catch (error) {
      return errorResponse(context, error);
    }
  };

  const respond = async (kind: 'chat' | 'text', context: Context) => {
    const body = await jsonBody<CompletionRequest>(context);
    if (typeof body.model !== 'string')
      throw invalid('model is missing', 'invalid_model', 'Name a model from GET /v1/models.');
    if (kind === 'chat' && !Array.isArray(body.messages))
      throw invalid('messages must be an array', 'invalid_messages', 'Send messages: [{ role, content }].');
    if (kind === 'text' && typeof body.prompt !== 'string')
      throw invalid('prompt must be a string', 'invalid_prompt', 'Send prompt: "<text>".');
    const maxTokens = body.max_completion_tokens ?? body.max_tokens;
    if (
      maxTokens !== undefined &&
      (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > (limits.maxTokens ?? Infinity))
    )
      throw invalid(
        `max_tokens is ${maxTokens}, expected a whole number from 1 to ${limits.maxTokens ?? 'any'}`,
        'max_tokens_out_of_range',
        'Lower max_tokens.',
      );
    const model = await source.resolve(body.model, context);
    if (!model)
      throw new NotFoundError(`model "${body.model}" is not served here`, {
        code: 'model_not_found',
        hint: 'See GET /v1/models.',
      });
    const options: LanguageModelV3CallOptions = {
      prompt: toPrompt(body),
      maxOutputTokens: maxTokens,
      temperature: body.temperature,
      topP: body.top_p,
      stopSequences: body.stop === undefined ? undefined : Array.isArray(body.stop) ? body.stop : [body.stop],
      seed: body.seed,
      providerOptions: kind === 'text' ? { promptune: { raw: true } } : undefined,
      // a client that disconnects stops its generation (an engine row, an upstream call)
      abortSignal: context.req.raw.signal,
    };
    const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${crypto.randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const object = kind === 'chat' ? 'chat.completion' : 'text_completion';
    if (body.stream) {
      const { stream } = await model.doStream(options);
      return streamSSE(context, async (sse) => {
        const reader = stream.getReader();
        let streamed = '';
        for (;;) {
          const { value: part, done } = await reader.read();
          if (done) break;
          const chunk = (choice: object) =>
            sse.writeSSE({
              data: JSON.stringify({
                id,
                object: `${object}.chunk`,
                created,
                model: body.model,
                choices: [choice],
              }),
            });
          if (part.type === 'text-delta') {
            if (!streamed) source.onFirstText?.(context);
            streamed += part.delta;
            await chunk(
              kind === 'chat'
                ? { index: 0, delta: { content: part.delta }, finish_reason: null }
                : { index: 0, text: part.delta, finish_reason: null },
            );
          } else if (part.type === 'error') {
            const error = errorResponse(context, part.error);
            await sse.writeSSE({ data: await error.text() });
            break;
          } else if (part.type === 'finish') {
            source.onUsage?.(context, {
              inputTokens: part.usage.inputTokens.total ?? 0,
              outputTokens: part.usage.outputTokens.total ?? 0,
              text: streamed,
            });
            const reason = part.finishReason.unified === 'length' ? 'length' : 'stop';
            await chunk(
              kind === 'chat'
                ? { index: 0, delta: {}, finish_reason: reason }
                : { index: 0, text: '', finish_reason: reason },
            );
            // as OpenAI does with stream_options.include_usage: a last chunk with no choices
            if (body.stream_options?.include_usage)
              await sse.writeSSE({
                data: JSON.stringify({
                  id,
                  object: `${object}.chunk`,
                  created,
                  model: body.model,
                  choices: [],
                  usage: openAiUsage(part.usage),
                }),
              });
          }
        }
        await sse.writeSSE({ data: '[DONE]' });
      });
    }
    const result = await model.doGenerate(options);
    const text = result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
    const reason = result.finishReason.unified === 'length' ? 'length' : 'stop';
    const input = result.usage.inputTokens.total ?? 0;
    const output = result.usage.outputTokens.total ?? 0;
    source.onUsage?.(context, { inputTokens: input, outputTokens: output, text });
    const choice =
      kind === 'chat'
        ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: reason }
        : { index: 0, text, finish_reason: reason };
    return context.json({
      id,
      object,
      created,
      model: body.model,
      choices: [choice],
      usage: openAiUsage(result.usage),
    });
  };
  app.post('/v1/chat/completions', complete('chat'));
  app.post('/v1/completions', complete('text'));
  return app;
}
