// A forward pass whose scores are not numbers: a weight or an adapter value that overflowed float32 (an
// adapter scaled far past its range, corrupt weights) makes every answer empty or garbage, so whoever
// reads the scores refuses them with one error rather than serving what they would pick.
import { EngineError } from '../errors/index.js';

/** The error for next-token scores (or a loss) that are not finite: `what` says which and where. */
export function outputNotFinite(what: string): EngineError {
  return new EngineError(`the model's ${what}: its forward pass overflowed`, {
    code: 'MODEL_OUTPUT_NOT_FINITE',
    hint: "A value in the adapter or the weights is far past float32's range (a lora_alpha or adapter values far too large, or corrupt weights): check the adapter's files, or fetch the model again.",
  });
}

/** Refuses next-token scores holding NaN or +Infinity (-Infinity is a token masked out). */
export function checkScores(logits: Float32Array): void {
  for (let id = 0; id < logits.length; id++) {
    const value = logits[id];
    if (value !== value || value === Infinity)
      throw outputNotFinite(`next-token score of token ${id} is ${value}`);
  }
}
