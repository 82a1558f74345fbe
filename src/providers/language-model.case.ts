// The LanguageModelV3 contract as one suite that every implementation runs (hono's common.case.test.ts
// is the model): text content, finish reasons and usage totals; stream parts in order with one text id,
// joining to the same text as doGenerate at temperature 0; maxOutputTokens, stop sequences and abort
// signals honoured; the AI SDK's generateText/streamText on top. What a model cannot do by design (a
// scripted model does not stream) is a capability flag; a defect found here is a `knownDefects` entry.
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** What the implementation is built to do; every flag defaults to true. */
export interface LanguageModelCapabilities {
  /** doStream yields text parts. */
  streaming: boolean;
  /** maxOutputTokens caps the output, with finish reason `length`. */
  maxOutputTokens: boolean;
  /** stopSequences end the text before the first one. */
  stopSequences: boolean;
  /** An aborted abortSignal stops the call. */
  abort: boolean;
}

/** The cases of the suite, by name (for `knownDefects`). */
export type LanguageModelCase =
  | 'generate'
  | 'stream'
  | 'max-output-tokens'
  | 'stop-sequences'
  | 'abort-before-call'
  | 'abort-while-streaming'
  | 'ai-sdk';

/** A model under test, and how to release what it holds. */
export interface LanguageModelSubject {
  model: LanguageModelV3;
  close?: () => Promise<void>;
}

/** How to run the suite on one implementation. */
export interface LanguageModelConformanceOptions {
  /** Text of the one user message (default "Once upon a time"). */
  prompt?: string;
  capabilities?: Partial<LanguageModelCapabilities>;
  /** Cases the implementation fails today, with the defect: they run as `it.fails`, so a fix shows. */
  knownDefects?: Partial<Record<LanguageModelCase, string>>;
}

const finishReasons = ['stop', 'length', 'content-filter', 'tool-calls', 'error', 'other'];

/** The text of a doGenerate result's text parts. */
function contentText(result: LanguageModelV3GenerateResult): string {
  return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/** Whether `error` is what an aborted call rejects with (a DOMException or Error named AbortError, or the signal's reason). */
function isAbortLike(error: unknown, signal: AbortSignal): boolean {
  if (error === signal.reason) return true;
  const named = (value: unknown) => (value as { name?: unknown } | null)?.name === 'AbortError';
  return named(error) || named((error as { cause?: unknown } | null)?.cause);
}

/** Reads every part of a stream. */
async function readAll(
  stream: ReadableStream<LanguageModelV3StreamPart>,
): Promise<LanguageModelV3StreamPart[]> {
  const parts: LanguageModelV3StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

/** Runs the LanguageModelV3 conformance suite on the model `setup` gives. */
export function languageModelConformance(
  name: string,
  setup: () => Promise<LanguageModelSubject>,
  options: LanguageModelConformanceOptions = {},
): void {
  const can: LanguageModelCapabilities = {
    streaming: true,
    maxOutputTokens: true,
    stopSequences: true,
    abort: true,
    ...options.capabilities,
  };
  const text = options.prompt ?? 'Once upon a time';
  const call = (extra: Partial<LanguageModelV3CallOptions> = {}): LanguageModelV3CallOptions => ({
    prompt: [{ role: 'user', content: [{ type: 'text', text }] }],
    temperature: 0,
    maxOutputTokens: 24,
    ...extra,
  });
  /** A case, skipped without its capability, expected to fail when it is a known defect. */
  const contractCase = (
    id: LanguageModelCase,
    title: string,
    capable: boolean,
    body: () => Promise<void>,
  ) => {
    const defect = options.knownDefects?.[id];
    if (!capable) it.skip(`${title} (not a capability of ${name})`, body);
    else if (defect) it.fails(`${title} [known defect: ${defect}]`, body);
    else it(title, body);
  };

  describe(`LanguageModelV3 conformance: ${name}`, () => {
    let subject: LanguageModelSubject;
    let model: LanguageModelV3;
    beforeAll(async () => {
      subject = await setup();
      model = subject.model;
    }, 60_000);
    afterAll(async () => {
      await subject?.close?.();
    });

    contractCase(
      'generate',
      'doGenerate returns text, a finish reason {unified, raw} and usage totals',
      true,
      async () => {
        const result = await model.doGenerate(call());
        expect(result.content.length).toBeGreaterThan(0);
        expect(contentText(result)).not.toBe('');
        expect(finishReasons).toContain(result.finishReason.unified);
        expect(result.finishReason).toHaveProperty('raw');
        expect(['string', 'undefined']).toContain(typeof result.finishReason.raw);
        expect(result.usage.inputTokens.total).toBeGreaterThan(0);
        expect(result.usage.outputTokens.total).toBeGreaterThan(0);
        expect(Array.isArray(result.warnings)).toBe(true);
      },
    );

    contractCase(
      'stream',
      'doStream yields stream-start, text parts under one id and a finish with usage, joining to doGenerate’s text',
      can.streaming,
      async () => {
        const generated = await model.doGenerate(call());
        const { stream } = await model.doStream(call());
        const parts = await readAll(stream);
        expect(parts[0].type).toBe('stream-start');
        expect(parts.filter((part) => part.type === 'error')).toEqual([]);
        const open = new Set<string>();
        const ended = new Set<string>();
        let deltas = '';
        for (const part of parts) {
          if (part.type === 'text-start') {
            expect(open.has(part.id) || ended.has(part.id)).toBe(false);
            open.add(part.id);
          } else if (part.type === 'text-delta') {
            expect(open.has(part.id)).toBe(true); // a delta belongs to a started, unfinished text
            deltas += part.delta;
          } else if (part.type === 'text-end') {
            expect(open.delete(part.id)).toBe(true);
            ended.add(part.id);
          }
        }
        expect(open.size).toBe(0);
        expect(ended.size).toBeGreaterThan(0);
        expect(deltas).toBe(contentText(generated));
        const finish = parts.at(-1);
        expect(finish?.type).toBe('finish');
        if (finish?.type !== 'finish') return;
        expect(finish.finishReason.unified).toBe(generated.finishReason.unified);
        expect(finish.usage.inputTokens.total).toBe(generated.usage.inputTokens.total);
        expect(finish.usage.outputTokens.total).toBe(generated.usage.outputTokens.total);
      },
    );

    contractCase(
      'max-output-tokens',
      'maxOutputTokens caps the output, finishing with `length`',
      can.maxOutputTokens,
      async () => {
        const longer = contentText(await model.doGenerate(call()));
        const result = await model.doGenerate(call({ maxOutputTokens: 3 }));
        expect(result.finishReason.unified).toBe('length');
        expect(result.usage.outputTokens.total).toBe(3);
        expect(longer.startsWith(contentText(result))).toBe(true);
        expect(contentText(result).length).toBeLessThan(longer.length);
      },
    );

    contractCase(
      'stop-sequences',
      'a stop sequence ends the text before it, finishing with `stop`',
      can.stopSequences,
      async () => {
        const full = contentText(await model.doGenerate(call()));
        // a word of the model's own output that first occurs after the start: the text must end before it
        const stop = (full.match(/ \S+/g) ?? []).find((word) => full.indexOf(word) > 0);
        expect(stop, `a word to stop at in ${JSON.stringify(full)}`).toBeDefined();
        const result = await model.doGenerate(call({ stopSequences: [stop!] }));
        expect(contentText(result)).toBe(full.slice(0, full.indexOf(stop!)));
        expect(result.finishReason.unified).toBe('stop');
      },
    );

    contractCase(
      'abort-before-call',
      'an already aborted signal rejects doGenerate with an AbortError-like error',
      can.abort,
      async () => {
        const controller = new AbortController();
        controller.abort();
        const outcome = await model.doGenerate(call({ abortSignal: controller.signal })).then(
          (result) => `resolved with ${JSON.stringify(contentText(result))}`,
          (error: unknown) => error,
        );
        expect(isAbortLike(outcome, controller.signal), String(outcome)).toBe(true);
      },
    );

    contractCase(
      'abort-while-streaming',
      'aborting after the first delta ends the stream without a finish, with an AbortError-like error if any',
      can.abort && can.streaming,
      async () => {
        const controller = new AbortController();
        const { stream } = await model.doStream(
          call({ maxOutputTokens: 100, abortSignal: controller.signal }),
        );
        const reader = stream.getReader();
        const after: LanguageModelV3StreamPart[] = [];
        let deltas = 0;
        let failure: unknown;
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            if (controller.signal.aborted) after.push(value);
            if (value.type === 'text-delta' && ++deltas === 1) controller.abort();
          }
        } catch (error) {
          failure = error;
        }
        expect(deltas).toBeGreaterThan(0);
        expect(after.map((part) => part.type)).not.toContain('finish');
        const errors = [
          ...(failure === undefined ? [] : [failure]),
          ...after.flatMap((part) => (part.type === 'error' ? [part.error] : [])),
        ];
        for (const error of errors) expect(isAbortLike(error, controller.signal), String(error)).toBe(true);
      },
    );

    contractCase('ai-sdk', 'works through the AI SDK’s generateText and streamText', true, async () => {
      const reference = await model.doGenerate(call());
      const settings = { model, prompt: text, temperature: 0, maxOutputTokens: 24, maxRetries: 0 };
      const generated = await generateText(settings);
      expect(generated.text).toBe(contentText(reference));
      expect(generated.finishReason).toBe(reference.finishReason.unified);
      expect(generated.usage.inputTokens).toBe(reference.usage.inputTokens.total);
      expect(generated.usage.outputTokens).toBe(reference.usage.outputTokens.total);
      if (!can.streaming) return;
      const streamed = streamText(settings);
      let joined = '';
      for await (const delta of streamed.textStream) joined += delta;
      expect(joined).toBe(contentText(reference));
      expect(await streamed.finishReason).toBe(reference.finishReason.unified);
      expect((await streamed.usage).outputTokens).toBe(reference.usage.outputTokens.total);
    });
  });
}
