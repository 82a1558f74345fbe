// OpenAI-compatible routes over AI SDK language models: POST /v1/chat/completions and
// /v1/completions (with SSE streaming) and GET /v1/models, errors in OpenAI's error shape. The
// production service (registry, auth, batching) builds on this; here `model` names a served model.
import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3Prompt } from '@ai-sdk/provider';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { PromptuneError } from '../errors/index.js';

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
}

function openAiError(context: Context, status: 400 | 404 | 500, message: string, code: string) {
  return context.json(
    {
      error: { message, type: status === 500 ? 'server_error' : 'invalid_request_error', param: null, code },
    },
    status,
  );
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

/** A Hono app serving `models` (name -> model) with OpenAI's request and response shapes. */
export function openAiRoutes(models: Record<string, LanguageModelV3>): Hono {
  const app = new Hono();
  app.get('/v1/models', (context) =>
    context.json({
      object: 'list',
      data: Object.keys(models).map((id) => ({ id, object: 'model', owned_by: 'promptune' })),
    }),
  );

  const complete = (kind: 'chat' | 'text') => async (context: Context) => {
    let body: CompletionRequest;
    try {
      body = await context.req.json();
    } catch {
      return openAiError(context, 400, 'the request body is not valid JSON', 'invalid_json');
    }
    const model = body.model ? models[body.model] : undefined;
    if (!model)
      return openAiError(
        context,
        404,
        `model "${body.model}" is not served here; see GET /v1/models`,
        'model_not_found',
      );
    if (kind === 'chat' && !Array.isArray(body.messages))
      return openAiError(context, 400, 'messages must be an array', 'invalid_messages');
    if (kind === 'text' && typeof body.prompt !== 'string')
      return openAiError(context, 400, 'prompt must be a string', 'invalid_prompt');
    const options: LanguageModelV3CallOptions = {
      prompt: toPrompt(body),
      maxOutputTokens: body.max_completion_tokens ?? body.max_tokens,
      temperature: body.temperature,
      topP: body.top_p,
      stopSequences: body.stop === undefined ? undefined : Array.isArray(body.stop) ? body.stop : [body.stop],
      seed: body.seed,
      providerOptions: kind === 'text' ? { promptune: { raw: true } } : undefined,
    };
    const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${crypto.randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const object = kind === 'chat' ? 'chat.completion' : 'text_completion';
    try {
      if (body.stream) {
        const { stream } = await model.doStream(options);
        return streamSSE(context, async (sse) => {
          const reader = stream.getReader();
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
              await chunk(
                kind === 'chat'
                  ? { index: 0, delta: { content: part.delta }, finish_reason: null }
                  : { index: 0, text: part.delta, finish_reason: null },
              );
            } else if (part.type === 'finish') {
              const reason = part.finishReason.unified === 'length' ? 'length' : 'stop';
              await chunk(
                kind === 'chat'
                  ? { index: 0, delta: {}, finish_reason: reason }
                  : { index: 0, text: '', finish_reason: reason },
              );
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
        usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
      });
    } catch (error) {
      if (PromptuneError.isInstance(error)) return openAiError(context, 400, error.message, error.code);
      return openAiError(context, 500, (error as Error).message, 'internal_error');
    }
  };
  app.post('/v1/chat/completions', complete('chat'));
  app.post('/v1/completions', complete('text'));
  return app;
}
