// A soft prompt on stories260K as an AI SDK model passes the shared LanguageModelV3 suite, and answers
// what the soft prompt session itself generates after the same text.
import { expect, it } from 'vitest';
import { loadModel, seededRandom } from '../engine/index.js';
import { initSoftPrompt, SoftPromptSession } from '../soft/index.js';
import { stories } from '../../test/models.js';
import { languageModelConformance } from './language-model.case.js';
import { SoftPromptLanguageModel } from './soft-prompt-model.js';

async function softModel() {
  const { model, tokenizer } = await loadModel(stories.gguf);
  const prompt = initSoftPrompt(model, tokenizer, 4, { kind: 'sample-vocab' }, seededRandom(3));
  const session = new SoftPromptSession(model, tokenizer, prompt);
  return { session, model: new SoftPromptLanguageModel('stories260K+soft', session) };
}

languageModelConformance('soft prompt (stories260K)', async () => ({ model: (await softModel()).model }));

it('continues the prompt text after the soft prompt, as the session does', async () => {
  const { session, model } = await softModel();
  const text = 'Once upon a time, there was a little girl named';
  const [expected] = await session.generate([text], { maxTokens: 6, temperature: 0 });
  const result = await model.doGenerate({
    prompt: [{ role: 'user', content: [{ type: 'text', text }] }],
    maxOutputTokens: 6,
  });
  expect(result.content).toEqual([{ type: 'text', text: expected.text }]);
  expect(result.usage.inputTokens.total).toBe(session.tokenizer.encode(text, { addBos: false }).length + 4);
});
