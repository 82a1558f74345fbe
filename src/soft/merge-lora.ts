// A LoRA adapter merged into its base model's weights, as PEFT's merge_and_unload does: each adapted
// projection's weight W (out, in) becomes W + scale · B A, so the merged model answers as the base model
// with the adapter does, with no adapter at all, and runs where adapters do not (llama.cpp, Ollama,
// transformers). The merge is into a float32 copy; the base model is untouched.
import { projectionShape, type LlamaModel, type LowRankAdapter, type Projection } from '../engine/index.js';
import { trainableCopy } from './full-training.js';

/**
 * A float32 copy of `model` (its weights views of `values`) with `adapter`'s low-rank products added to
 * the projections it adapts; `adapter` must fit the model, as loadLoraAdapter leaves it.
 */
export function mergeLora(
  model: LlamaModel,
  adapter: LowRankAdapter,
): { model: LlamaModel; values: Float32Array } {
  const copy = trainableCopy(model);
  const r = adapter.rank;
  adapter.layers.forEach((layer, l) => {
    const weights = copy.model.weights.layers[l] as unknown as Record<Projection, Float32Array>;
    for (const [projection, pair] of Object.entries(layer) as [
      Projection,
      { a: Float32Array; b: Float32Array },
    ][]) {
      const [inFeatures, outFeatures] = projectionShape(model.config, projection);
      const weight = weights[projection]; // (out, in)
      for (let o = 0; o < outFeatures; o++) {
        const row = weight.subarray(o * inFeatures, (o + 1) * inFeatures);
        for (let k = 0; k < r; k++) {
          const factor = adapter.scale * pair.b[o * r + k]; // B (out, r)
          if (factor === 0) continue;
          const a = pair.a.subarray(k * inFeatures, (k + 1) * inFeatures); // A (r, in)
          for (let i = 0; i < inFeatures; i++) row[i] += factor * a[i];
        }
      }
    }
  });
  return copy;
}
