// The judge metric's text generator over an evaluated model: one deterministic, short chat call per
// verdict. Caching and budgets are the caller's (wrap the model first).
import type { TextGenerator } from '../tasks/index.js';
import type { EvaluatedModel } from './harness.js';
import { answerText } from '../providers/index.js';

/** A TextGenerator asking `model` at temperature 0 for at most 200 tokens. */
export function judgeGenerator(model: EvaluatedModel): TextGenerator {
  return async (prompt: string) => {
    const result = await model.model.doGenerate({
      prompt: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
      temperature: 0,
      maxOutputTokens: 200,
    });
    return answerText(result.content);
  };
}
