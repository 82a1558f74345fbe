// What a request's input can and cannot do: it is only ever a value in the task's template (placeholders
// and version-like text in it stay literal), and typed input must have exactly the task's fields.
import { describe, expect, it } from 'vitest';
import { PromptuneError } from '../errors/index.js';
import { taskSpec } from '../tasks/spec.js';
import { checkFields, hardPrompt, inputFields } from './task-model.js';

const spec = taskSpec.parse({
  name: 'qa',
  prompt: {
    system: 'Answer briefly.',
    template: 'Context: {{context}}\nQ: {{question}}\nA:',
    demos: [{ context: 'sky', question: 'colour?', target: 'blue' }],
  },
  input: { fields: ['context', 'question'] },
});
const code = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return PromptuneError.isInstance(error) ? error.code : String(error);
  }
  return undefined;
};

describe('task inputs', () => {
  it('stay literal values in the template', () => {
    const prompt = hardPrompt(spec, { context: '{{question}} qa@production', question: '{{context}}?' });
    expect(prompt[0]).toEqual({ role: 'system', content: 'Answer briefly.' });
    const text = (prompt[1].content as { text: string }[])[0].text;
    expect(text).toBe(
      'Context: sky\nQ: colour?\nA:blue\n\nContext: {{question}} qa@production\nQ: {{context}}?\nA:',
    );
  });

  it('must be exactly the task fields', () => {
    expect(inputFields(spec, '{"context":"c","question":"q"}')).toEqual({ context: 'c', question: 'q' });
    expect(code(() => inputFields(spec, 'plain text'))).toBe('TASK_INPUT_INVALID');
    // nested past the reader's limit inside the message text: refused, not a stack overflow later
    const deep = `{"context": ${'['.repeat(200_000)}${']'.repeat(200_000)}, "question": "q"}`;
    expect(code(() => inputFields(spec, deep))).toBe('TASK_INPUT_INVALID');
    expect(code(() => checkFields(spec, { context: 'c' }))).toBe('TASK_INPUT_INVALID');
    expect(code(() => checkFields(spec, { context: 'c', question: 'q', system: 'x' }))).toBe(
      'TASK_INPUT_INVALID',
    );
    expect(code(() => checkFields(spec, ['c', 'q']))).toBe('TASK_INPUT_INVALID');
  });
});
