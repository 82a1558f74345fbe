// Budget-aware masks: random walks told their remaining budget always end complete within it, on both
// tokenizer families, even when the budget barely covers the shortest valid output; without the
// budget the same walks mostly run out.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedModels, stories } from '../../../test/models.js';
import {
  loadModel,
  loadTokenizerJson,
  seededRandom,
  tokenTexts,
  type Tokenizer,
} from '../../engine/index.js';
import { constraintAutomaton } from './compile-constraint.js';
import { contactSchema } from './automaton-walks.case.js';
import { compileTokenConstraint } from './token-masks.js';

const contact = contactSchema;

/** Walks picking random allowed tokens; returns how many ended complete within `maxTokens`. */
function walks(tokenizer: Tokenizer, maxTokens: number, budgeted: boolean, count: number): number {
  const texts = tokenTexts(tokenizer);
  const eos = tokenizer.eosTokenIds;
  const constraint = compileTokenConstraint(
    constraintAutomaton({ kind: 'json-schema', schema: contact }),
    texts,
    eos,
  );
  const random = seededRandom(7);
  let complete = 0;
  for (let walk = 0; walk < count; walk++) {
    const state = constraint.start();
    for (let step = 0; step < maxTokens && !state.finished; step++) {
      const logits = Float32Array.from({ length: tokenizer.vocabularySize }, () => random());
      state.mask(logits, budgeted ? maxTokens - step : undefined);
      let best = -1;
      for (let id = 0; id < logits.length; id++)
        if (logits[id] > -Infinity && (best < 0 || logits[id] > logits[best])) best = id;
      if (eos.includes(best)) break;
      state.advance(best);
    }
    if (state.complete) complete++;
  }
  return complete;
}

describe('budget-aware masks', async () => {
  const { tokenizer } = await loadModel(stories.gguf);
  const gpt2 = await loadTokenizerJson(join(sharedModels, 'gpt2-tokenizer'));
  // the shortest valid output, {"name":"","email":"","phone":""}, is 34 characters
  it.each([
    ['stories260K', 40],
    ['GPT-2', 36],
  ])('%s: every walk told its budget of %i tokens ends complete', (name, maxTokens) => {
    const vocabulary = name === 'GPT-2' ? gpt2 : tokenizer;
    expect(walks(vocabulary, maxTokens, true, 30)).toBe(30);
    expect(walks(vocabulary, maxTokens, false, 30)).toBeLessThan(30);
  });
});
