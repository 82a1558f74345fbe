// Guards on a stream, against a scripted model that streams a known text in small deltas (controlled
// model behaviour; the validators are tested on real text elsewhere): PII is masked before it is sent,
// an exception or refrain stops the stream at the first failing prefix, and policies that need the
// whole answer (re-ask) send it checked, in one part.
import type { LanguageModelV3StreamPart, SharedV3ProviderMetadata } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { ScriptedStreamingModel } from '../../test/scripted-model.js';
import { taskSpec } from '../tasks/index.js';
import { checksOf, createGuardSet, guard, type CheckOutcome } from './index.js';

async function guardedStream(guards: unknown, reply: (prompt: string) => string, prompt = 'go') {
  const task = taskSpec.parse({ name: 'stream', prompt: { template: '{{input}}' }, guards });
  const model = new ScriptedStreamingModel('scripted-stream', reply, [3, 7]);
  const seen: CheckOutcome[][] = [];
  const set = await createGuardSet(task.guards, { task, baseDirectory: '.' });
  const result = await guard(model, set, { onChecks: (outcomes) => seen.push(outcomes) }).doStream({
    prompt: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
  });
  const deltas: string[] = [];
  const parts: LanguageModelV3StreamPart[] = [];
  const reader = result.stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    if (value.type === 'text-delta') deltas.push(value.delta);
  }
  const finish = parts.find((part) => part.type === 'finish');
  return { deltas, text: deltas.join(''), parts, finish, model, seen };
}

const long = 'Thanks for asking. '.repeat(6);

describe('guarded streams', () => {
  it('mask PII before it is sent, while still streaming in several parts', async () => {
    const reply = `${long}You can reach Ada at ada.lovelace@example.com or +44 20 7946 0958 any day. ${long}`;
    const { deltas, text, finish, seen } = await guardedStream(
      { output: [{ validator: 'pii', onFail: 'fix' }] },
      () => reply,
    );
    expect(text).toBe(`${long}You can reach Ada at [EMAIL] or [PHONE] any day. ${long}`);
    expect(deltas.length).toBeGreaterThan(5);
    for (const delta of deltas) expect(delta).not.toMatch(/lovelace|7946/);
    const checks = checksOf(finish as { providerMetadata?: SharedV3ProviderMetadata });
    expect(checks[0]).toMatchObject({ validator: 'pii', passed: false, action: 'fixed' });
    expect(seen).toHaveLength(1);
  });

  it('mask PII written with look-alike or invisible characters before it is sent, in the original text', async () => {
    // a card with no-break spaces, an e-mail with a zero-width space, a lowercase IBAN, full-width digits
    const reply = `${long}Card 4111\u00a01111\u00a01111\u00a01111, mail bob\u200b@example.com, iban gb82west12345698765432, call +４４ ２０ ７９４６ ０９５８. ${long}`;
    const { deltas, text } = await guardedStream(
      { output: [{ validator: 'pii', onFail: 'fix' }] },
      () => reply,
    );
    expect(text).toBe(`${long}Card [CARD], mail [EMAIL], iban [IBAN], call [PHONE]. ${long}`);
    for (const delta of deltas) expect(delta).not.toMatch(/1111|bob|west|７９４６/);
  });

  it('never send part of a long secret that only becomes detectable late (a JWT in minified JSON)', async () => {
    // jwt.io's example token: its shape is detectable only once its second dot has arrived
    const jwt =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
    const reply = `{"token":"${jwt}","note":"${'x'.repeat(120)}"}`;
    const { deltas, text } = await guardedStream(
      { output: [{ validator: 'pii', kinds: ['secret'], onFail: 'fix' }] },
      () => reply,
    );
    expect(text).toBe(`{"token":"[SECRET]","note":"${'x'.repeat(120)}"}`);
    for (const delta of deltas) expect(delta).not.toMatch(/eyJ|SflK/);
  });

  it('stop at the first failing prefix on exception, with an error part and fewer deltas read', async () => {
    const reply = `${long}The secret word is forbidden and then much more text follows. ${long}${long}`;
    const { text, parts, model, finish } = await guardedStream(
      { output: [{ validator: 'banned', phrases: ['forbidden'], onFail: 'exception' }] },
      () => reply,
    );
    expect(text).not.toContain('forbidden');
    const error = parts.find((part) => part.type === 'error') as { error: { code: string } } | undefined;
    expect(error?.error.code).toBe('GUARD_OUTPUT_REFUSED');
    expect(finish).toMatchObject({ finishReason: { unified: 'content-filter' } });
    expect(model.pulled).toBeLessThan(Math.ceil(reply.length / 4));
  });

  it('abort the generation of a stream they stop', async () => {
    const model = new ScriptedStreamingModel('scripted-stream', () => `${long}forbidden ${long}`);
    let signal: AbortSignal | undefined;
    const watching = {
      ...model,
      doGenerate: model.doGenerate.bind(model),
      doStream: (options: Parameters<typeof model.doStream>[0]) => {
        signal = options.abortSignal;
        return model.doStream(options);
      },
    };
    const task = taskSpec.parse({
      name: 'stream',
      prompt: { template: '{{input}}' },
      guards: { output: [{ validator: 'banned', phrases: ['forbidden'], onFail: 'exception' }] },
    });
    const result = await guard(
      watching,
      await createGuardSet(task.guards, { task, baseDirectory: '.' }),
    ).doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'go' }] }],
    });
    const reader = result.stream.getReader();
    while (!(await reader.read()).done);
    expect(signal?.aborted).toBe(true);
  });

  it("count an answer's tokens with the model's own report, without a tokenizer", async () => {
    const { finish } = await guardedStream(
      { output: [{ validator: 'length', maxTokens: 3 }] },
      () => 'a long enough answer here',
    );
    const checks = checksOf(finish as { providerMetadata?: SharedV3ProviderMetadata });
    expect(checks[0].issues).toEqual([{ reason: 'has 7 tokens, more than 3' }]);
  });

  it('stop quietly on refrain', async () => {
    const { text, parts, finish } = await guardedStream(
      { output: [{ validator: 'refusal', onFail: 'refrain' }], refrain: 'unused mid-stream' },
      () => "I'm sorry, but I can't help with that. " + long,
    );
    expect(text).toBe('');
    expect(parts.some((part) => part.type === 'error')).toBe(false);
    expect(finish).toMatchObject({ finishReason: { unified: 'content-filter', raw: 'refrain' } });
  });

  it('check the whole answer before sending it when a policy may re-ask', async () => {
    const { deltas, model, finish } = await guardedStream(
      { output: [{ validator: 'regex', pattern: '[A-Z]{3}-\\d{4}', onFail: 'reask' }] },
      (prompt) => (prompt.includes('not accepted') ? 'ABC-1234' : 'abc-12'),
    );
    expect(deltas).toEqual(['ABC-1234']);
    expect(model.calls).toBe(2);
    expect(finish).toMatchObject({ usage: { inputTokens: { total: 6 }, outputTokens: { total: 14 } } });
  });

  it('answer the refrain text for a refused input without calling the model', async () => {
    const { text, model } = await guardedStream(
      {
        input: [{ validator: 'pii', kinds: ['card'], onFail: 'refrain' }],
        refrain: 'Please do not send card numbers.',
      },
      () => 'never',
      'my card is 4242 4242 4242 4242',
    );
    expect(text).toBe('Please do not send card numbers.');
    expect(model.calls).toBe(0);
  });
});
