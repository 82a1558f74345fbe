// Each on-fail policy against a scripted model that answers malformed outputs in known ways (a guard's
// logic needs controlled model behaviour; the validators themselves are tested on real text in
// validators.test.ts): exception, reask within its limit, fix, fix_reask, filter, refrain and noop on
// outputs, and the input policies before the model is called.
import { describe, expect, it } from 'vitest';
import { ScriptedModel } from '../../test/scripted-model.js';
import { GuardError } from '../errors/index.js';
import { taskSpec, type TaskSpec } from '../tasks/index.js';
import { checksOf, createGuardSet, guard, labelsValidator, type CheckOutcome } from './index.js';

const contactSchema = {
  type: 'object',
  required: ['name', 'email'],
  properties: { name: { type: 'string' }, email: { type: 'string' } },
  additionalProperties: false,
};

function spec(guards: unknown, output: unknown = { kind: 'json', schema: contactSchema }): TaskSpec {
  return taskSpec.parse({ name: 'contact', output, prompt: { template: '{{input}}' }, guards });
}

async function guarded(guards: unknown, reply: (prompt: string) => string, output?: unknown) {
  const task = spec(guards, output);
  const model = new ScriptedModel('scripted-guard', reply, [10, 5]);
  const set = await createGuardSet(task.guards, { task, baseDirectory: process.cwd() });
  return { model, guarded: guard(model, set) };
}

const ask = (text: string) => ({
  prompt: [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }],
});

async function answer(model: ReturnType<typeof guard>, text = 'Contact: Ada, ada@example.com') {
  const result = await model.doGenerate(ask(text));
  const output = result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
  return { output, checks: checksOf(result), usage: result.usage, metadata: result.providerMetadata };
}

const brief = (checks: CheckOutcome[]) =>
  checks.map((c) => `${c.stage}:${c.validator}@${c.attempt}:${c.action}`);

describe('guard() from code', () => {
  it('refuses an on-fail policy there is none of, and a re-ask limit that is not a count', async () => {
    const task = spec({ output: [{ validator: 'json-schema', onFail: 'exception' }] });
    const set = await createGuardSet(task.guards, { task, baseDirectory: process.cwd() });
    const model = new ScriptedModel('scripted-guard', () => '{}');
    const boom = set.output.map((entry) => ({ ...entry, onFail: 'boom' as 'noop' }));
    expect(() => guard(model, boom)).toThrow(
      expect.objectContaining({
        code: 'GUARD_OPTIONS',
        message: 'the output validator json-schema has onFail "boom"',
      }) as Error,
    );
    expect(() => guard(model, { ...set, maxReasks: -1 })).toThrow(
      expect.objectContaining({ code: 'GUARD_OPTIONS' }) as Error,
    );
  });
});

describe('guards that could never act are refused where they are built', () => {
  const refused = async (guards: unknown) =>
    createGuardSet(guards as TaskSpec['guards'], {
      task: spec(undefined, { kind: 'label', labels: ['yes', 'no'] }),
      baseDirectory: process.cwd(),
    }).then(
      () => undefined,
      (error: unknown) => error as { code: string; message: string },
    );

  it('a repair its validator does not have, a length with no bound, a validator there is none of', async () => {
    expect(await refused({ output: [{ validator: 'regex', pattern: 'dog', onFail: 'fix' }] })).toMatchObject({
      code: 'GUARD_OPTIONS',
      message: 'regex: onFail fix, and a regex validator has no fix: every failure would stand unrepaired',
    });
    expect(
      await refused({ output: [{ validator: 'regex', pattern: 'dog', onFail: 'filter' }] }),
    ).toMatchObject({
      message: expect.stringContaining('a regex validator in match mode has no filter') as string,
    });
    expect(await refused({ output: [{ validator: 'labels', onFail: 'filter' }] })).toMatchObject({
      code: 'GUARD_OPTIONS',
    });
    // (it loaded, and checked nothing)
    expect(await refused({ input: [{ validator: 'length', onFail: 'exception' }] })).toMatchObject({
      code: 'GUARD_OPTIONS',
      message: 'length: a length validator needs a bound',
    });
    // from code, past the spec's schema (a TypeError before)
    expect(await refused({ output: [{ validator: 'toxicity', onFail: 'exception' }] })).toMatchObject({
      code: 'GUARD_OPTIONS',
    });
    // what they can do is accepted
    expect(
      await refused({ output: [{ validator: 'regex', pattern: 'dog', mode: 'forbid', onFail: 'filter' }] }),
    ).toBeUndefined();
    expect(await refused({ output: [{ validator: 'labels', onFail: 'fix_reask' }] })).toBeUndefined();
  });

  it('guard() in code: a refrain with no text, a model that is not one, labels that are none', async () => {
    const model = new ScriptedModel('scripted-guard', () => "I'm sorry, but I can't help with that.");
    const task = spec({ output: [{ validator: 'refusal' }] });
    const [{ validator: refusal }] = (await createGuardSet(task.guards, { task, baseDirectory: '.' })).output;
    // (it answered "" with a content-filter finish)
    expect(() => guard(model, [{ validator: refusal, onFail: 'refrain' }])).toThrow(
      expect.objectContaining({
        code: 'GUARD_OPTIONS',
        message: expect.stringContaining('no refrain text'),
      }) as Error,
    );
    expect(() => guard({} as ScriptedModel, [])).toThrow(
      expect.objectContaining({ code: 'GUARD_OPTIONS' }) as Error,
    );
    expect(() => labelsValidator('l', [], false)).toThrow(
      expect.objectContaining({ code: 'GUARD_OPTIONS' }) as Error,
    );
  });
});

describe('output policies', () => {
  it('exception refuses with a coded GuardError naming the validator and reason', async () => {
    const { guarded: model } = await guarded(
      { output: [{ validator: 'json-schema', onFail: 'exception' }] },
      () => 'Sure! Here it is: name Ada',
    );
    const error = await Promise.resolve(model.doGenerate(ask('x'))).catch((caught: unknown) => caught);
    expect(GuardError.isInstance(error)).toBe(true);
    const refusal = error as GuardError;
    expect(refusal.code).toBe('GUARD_OUTPUT_REFUSED');
    expect(refusal.stage).toBe('output');
    expect(refusal.failures).toEqual([
      { validator: 'json-schema', reason: expect.stringContaining('is not JSON') },
    ]);
    expect(refusal.checks).toHaveLength(1);
  });

  it('reask sends the answer back with the reasons and keeps the corrected answer, usage summed', async () => {
    const { model, guarded: wrapped } = await guarded(
      { output: [{ validator: 'json-schema', onFail: 'reask' }], maxReasks: 2 },
      (prompt) =>
        prompt.includes('not accepted') ? '{"name": "Ada", "email": "ada@example.com"}' : '{"name": "Ada"}',
    );
    const { output, checks, usage, metadata } = await answer(wrapped);
    expect(output).toBe('{"name": "Ada", "email": "ada@example.com"}');
    expect(model.calls).toBe(2);
    expect(model.prompts[1]).toContain('{"name": "Ada"}'); // its own answer, sent back
    expect(model.prompts[1]).toContain("must have required property 'email'");
    expect(brief(checks)).toEqual(['output:json-schema@0:reask', 'output:json-schema@1:none']);
    expect(usage.inputTokens.total).toBe(20);
    expect(usage.outputTokens.total).toBe(10);
    expect(metadata?.promptune?.attempts).toBe(2);
  });

  it('reask stops at maxReasks: 1 + maxReasks calls, and the failing answer stands as exhausted', async () => {
    // none allowed: the failing answer stands unrepaired, not "exhausted" with no re-ask made
    const none = await guarded(
      { output: [{ validator: 'json-schema', onFail: 'reask' }], maxReasks: 0 },
      () => 'never JSON',
    );
    const unasked = await answer(none.guarded);
    expect(none.model.calls).toBe(1);
    expect(unasked.checks.map((check) => check.action)).toEqual(['unrepaired']);
    for (const maxReasks of [1, 3]) {
      const { model, guarded: wrapped } = await guarded(
        { output: [{ validator: 'json-schema', onFail: 'reask' }], maxReasks },
        () => 'never JSON',
      );
      const { output, checks } = await answer(wrapped);
      expect(model.calls).toBe(1 + maxReasks);
      expect(output).toBe('never JSON');
      expect(checks.map((check) => check.action)).toEqual([...Array(maxReasks).fill('reask'), 'exhausted']);
    }
  });

  it('fix repairs broken JSON, a chatty or misspelt label, PII, and an over-long text', async () => {
    const cases: [unknown, unknown, string, string][] = [
      [
        undefined,
        [{ validator: 'json-schema', onFail: 'fix' }],
        "{name: 'Ada', email: 'ada@example.com',",
        '{"name":"Ada","email":"ada@example.com"}',
      ],
      [
        { kind: 'label', labels: ['dog', 'cat', 'bird'] },
        [{ validator: 'labels', onFail: 'fix' }],
        'It is about a cat.',
        'cat',
      ],
      [
        { kind: 'label', labels: ['dog', 'cat', 'bird'] },
        [{ validator: 'labels', onFail: 'fix' }],
        'brid',
        'bird',
      ],
      [
        { kind: 'text' },
        [{ validator: 'pii', onFail: 'fix' }],
        'Write to ada@example.com today',
        'Write to [EMAIL] today',
      ],
      [
        { kind: 'text' },
        [{ validator: 'length', maxCharacters: 12, onFail: 'fix' }],
        'one two three four',
        'one two',
      ],
    ];
    for (const [output, validators, reply, expected] of cases) {
      const { model, guarded: wrapped } = await guarded({ output: validators }, () => reply, output);
      const result = await answer(wrapped);
      expect(result.output).toBe(expected);
      expect(result.checks[0]).toMatchObject({ passed: false, action: 'fixed' });
      expect(model.calls).toBe(1);
    }
  });

  it('a label fix finishes as a whole answer, though the model ran out of tokens; other fixes keep length', async () => {
    const finish = async (validators: unknown, output: unknown, reply: string) => {
      const task = spec({ output: validators }, output);
      const scripted = new ScriptedModel('scripted-guard', () => reply, [10, 5]);
      // the model stopped at its token budget
      const cut: typeof scripted = Object.assign(Object.create(scripted) as typeof scripted, {
        doGenerate: async (call: Parameters<typeof scripted.doGenerate>[0]) => ({
          ...(await scripted.doGenerate(call)),
          finishReason: { unified: 'length' as const, raw: 'length' },
        }),
      });
      const set = await createGuardSet(task.guards, { task, baseDirectory: process.cwd() });
      const result = await guard(cut, set).doGenerate(ask('go'));
      return result.finishReason.unified;
    };
    const labels = { kind: 'label', labels: ['dog', 'cat', 'bird'] };
    // " cat" after "It is about a cat and the" was answered with finish_reason length
    expect(await finish([{ validator: 'labels', onFail: 'fix' }], labels, 'It is about a cat and the')).toBe(
      'stop',
    );
    expect(
      await finish([{ validator: 'pii', onFail: 'fix' }], { kind: 'text' }, 'Write to ada@example.com and'),
    ).toBe('length');
  });

  it('fix that cannot repair leaves the failure recorded as unrepaired', async () => {
    const { guarded: wrapped } = await guarded(
      { output: [{ validator: 'labels', onFail: 'fix' }] },
      () => 'zebra crossing',
      { kind: 'label', labels: ['dog', 'cat', 'bird'] },
    );
    const { output, checks } = await answer(wrapped);
    expect(output).toBe('zebra crossing');
    expect(checks[0]).toMatchObject({ passed: false, action: 'unrepaired' });
  });

  it('fix_reask fixes what it can without a call, and re-asks what it cannot', async () => {
    const fixable = await guarded(
      { output: [{ validator: 'json-schema', onFail: 'fix_reask' }] },
      () => '{"name": "Ada", "email": "a@example.com",',
    );
    expect((await answer(fixable.guarded)).output).toBe('{"name":"Ada","email":"a@example.com"}');
    expect(fixable.model.calls).toBe(1);
    const unfixable = await guarded(
      { output: [{ validator: 'json-schema', onFail: 'fix_reask' }] },
      (prompt) => (prompt.includes('not accepted') ? '{"name": "Ada", "email": "a@example.com"}' : 'no idea'),
    );
    const result = await answer(unfixable.guarded);
    expect(result.output).toBe('{"name": "Ada", "email": "a@example.com"}');
    expect(unfixable.model.calls).toBe(2);
    expect(brief(result.checks)).toEqual(['output:json-schema@0:reask', 'output:json-schema@1:none']);
  });

  it('filter drops the fields the schema refuses, and the spans a detector finds', async () => {
    const json = await guarded(
      { output: [{ validator: 'json-schema', onFail: 'filter' }] },
      () => '{"name": "Ada", "email": "a@example.com", "age": 36}',
    );
    expect((await answer(json.guarded)).output).toBe('{"name":"Ada","email":"a@example.com"}');
    const banned = await guarded(
      { output: [{ validator: 'banned', phrases: ['guaranteed'], onFail: 'filter' }] },
      () => 'Returns are guaranteed within 30 days',
      { kind: 'text' },
    );
    const result = await answer(banned.guarded);
    expect(result.output).toBe('Returns are  within 30 days');
    expect(result.checks[0]).toMatchObject({ action: 'filtered', issues: [{ start: 12, end: 22 }] });
  });

  it('refrain answers the configured fallback and checks nothing after it', async () => {
    const { guarded: wrapped } = await guarded(
      {
        output: [
          { validator: 'refusal', onFail: 'refrain' },
          { validator: 'length', maxCharacters: 5, onFail: 'exception' },
        ],
        refrain: 'Please contact support.',
      },
      () => "I'm sorry, but I can't help with that request.",
      { kind: 'text' },
    );
    const { output, checks } = await answer(wrapped);
    expect(output).toBe('Please contact support.');
    expect(brief(checks)).toEqual(['output:refusal@0:refrained']);
  });

  it('noop records the failure and changes nothing', async () => {
    const { guarded: wrapped } = await guarded(
      { output: [{ validator: 'regex', pattern: '[A-Z]{3}-\\d{4}', onFail: 'noop' }] },
      () => 'ticket abc-12',
      { kind: 'text' },
    );
    const { output, checks } = await answer(wrapped);
    expect(output).toBe('ticket abc-12');
    expect(checks[0]).toMatchObject({ passed: false, action: 'recorded', policy: 'noop' });
    expect(checks[0].latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('validators run in order, each on the text the ones before left', async () => {
    const { guarded: wrapped } = await guarded(
      {
        output: [
          { validator: 'pii', onFail: 'fix' },
          { validator: 'banned', phrases: ['[EMAIL]'], wholeWords: false, onFail: 'noop' },
        ],
      },
      () => 'mail ada@example.com',
      { kind: 'text' },
    );
    const { output, checks } = await answer(wrapped);
    expect(output).toBe('mail [EMAIL]');
    expect(checks[1]).toMatchObject({ validator: 'banned', passed: false });
  });
});

describe('input policies', () => {
  it('fix masks PII before the model sees it', async () => {
    const { model, guarded: wrapped } = await guarded(
      { input: [{ validator: 'pii', kinds: ['email', 'card'], onFail: 'fix' }] },
      () => '{"name": "Ada", "email": "[EMAIL]"}',
    );
    const { checks } = await answer(wrapped, 'Ada, ada@example.com, card 4242 4242 4242 4242');
    expect(model.prompts[0]).toBe('Ada, [EMAIL], card [CARD]');
    expect(checks[0]).toMatchObject({ stage: 'input', action: 'fixed' });
  });

  it('exception refuses an over-long input without calling the model', async () => {
    const { model, guarded: wrapped } = await guarded(
      { input: [{ validator: 'length', maxCharacters: 10, onFail: 'exception' }] },
      () => '{}',
    );
    const error = await Promise.resolve(wrapped.doGenerate(ask('far too long for this guard'))).catch(
      (caught: unknown) => caught,
    );
    expect((error as GuardError).code).toBe('GUARD_INPUT_REFUSED');
    expect(model.calls).toBe(0);
  });

  it('refrain answers the fallback without calling the model', async () => {
    const { model, guarded: wrapped } = await guarded(
      {
        input: [{ validator: 'banned', phrases: ['password'], onFail: 'refrain' }],
        refrain: 'I cannot discuss that.',
      },
      () => '{}',
    );
    const result = await answer(wrapped, 'what is the admin password?');
    expect(result.output).toBe('I cannot discuss that.');
    expect(model.calls).toBe(0);
  });

  it('refuses output-only policies on inputs when the guards are built', async () => {
    const task = spec({ input: [{ validator: 'pii', onFail: 'reask' }] });
    await expect(createGuardSet(task.guards, { task, baseDirectory: '.' })).rejects.toMatchObject({
      code: 'GUARD_OPTIONS',
    });
  });
});
