// The sampler under a constraint (a hand-written one here; compiled constraints are the guard layer's):
// only allowed tokens are drawn, a finished constraint ends the row with 'stop', EOS comes only where
// the output may end, and a constrained row leaves the other rows of its batch as they are alone.
import { describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { generate } from './generate.js';
import { loadModel } from './load-model.js';
import type { ConstraintState, TokenConstraint } from './token-constraint.js';

/** Allows exactly the tokens of `sequence`, in order; it may end (EOS) once `canEndAfter` of them are out. */
function sequenceConstraint(
  sequence: number[],
  eos: number[],
  canEndAfter = sequence.length,
): TokenConstraint {
  return {
    start(): ConstraintState {
      let position = 0;
      return {
        mask(logits) {
          for (let id = 0; id < logits.length; id++) {
            const allowed =
              (position < sequence.length && id === sequence[position]) ||
              (position >= canEndAfter && eos.includes(id));
            if (!allowed) logits[id] = -Infinity;
          }
        },
        advance(token) {
          if (token !== sequence[position]) throw new Error(`token ${token} was not allowed`);
          position++;
        },
        get complete() {
          return position >= canEndAfter;
        },
        get finished() {
          return position === sequence.length;
        },
      };
    },
  };
}

describe('constrained sampling', async () => {
  const { model, tokenizer } = await loadModel(stories.gguf);
  const prompt = tokenizer.encode('Once upon a time');
  const forced = tokenizer.encode('the cat sat on a dog', { addBos: false });

  it('draws only allowed tokens and stops with "stop" when the constraint is finished', async () => {
    for (const temperature of [0, 1.5]) {
      const [result] = await generate(model, tokenizer, [{ tokens: prompt }], {
        maxTokens: 40,
        temperature,
        seed: 3,
        constraint: sequenceConstraint(forced, tokenizer.eosTokenIds),
      });
      expect(result.tokens).toEqual(forced);
      expect(result.text).toBe(' the cat sat on a dog');
      expect(result.finishReason).toBe('stop');
    }
  });

  it('allows EOS only once the output may end', async () => {
    const [result] = await generate(model, tokenizer, [{ tokens: prompt }], {
      maxTokens: 40,
      constraint: sequenceConstraint(forced, tokenizer.eosTokenIds, 0),
    });
    // EOS was allowed from the start, so the output is a prefix of the sequence ending at EOS or its end
    expect(forced.slice(0, result.tokens.length)).toEqual(result.tokens);
    expect(['eos', 'stop']).toContain(result.finishReason);
  });

  it('leaves the unconstrained rows of a batch as they are alone', async () => {
    const other = tokenizer.encode('The little bird');
    const [alone] = await generate(model, tokenizer, [{ tokens: other }], { maxTokens: 16 });
    const [constrained, free] = await generate(
      model,
      tokenizer,
      [
        { tokens: prompt, options: { constraint: sequenceConstraint(forced, tokenizer.eosTokenIds) } },
        { tokens: other },
      ],
      { maxTokens: 16 },
    );
    expect(constrained.tokens).toEqual(forced);
    // the same tokens; the margin agrees to float precision (a batch's products may run other kernels)
    const { margin, ...rest } = free;
    const { margin: marginAlone, ...restAlone } = alone;
    expect(rest).toEqual(restAlone);
    expect(margin).toBeCloseTo(marginAlone!, 4);
  });
});
