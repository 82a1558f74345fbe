// Hidden states and embeddings of stories260K: the 'hidden' output of the forward pass is the
// classifier's input (multiplying it by the classifier gives the logits of the same pass), and a mean-
// pooled embedding is the mean of those rows.
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, stories } from '../../test/models.js';
import { meanPooledEmbeddings } from './embed.js';
import { loadModel } from './load-model.js';

describe('hidden states', () => {
  it('are what the classifier reads, and embeddings are their mean', async () => {
    const { model, tokenizer } = await loadModel(stories.gguf);
    const { hiddenSize: C, vocabularySize: V } = model.config;
    const tokens = Int32Array.from(tokenizer.encode('Once upon a time', { addBos: true }));
    const T = tokens.length;
    const hidden = model.forward({ tokens, batch: 1, time: T, logits: 'hidden' });
    const logits = model.forward({ tokens, batch: 1, time: T, logits: 'all' });
    expect(hidden).toHaveLength(T * C);
    const classifier = model.weights.classifier as Float32Array;
    const product = new Float32Array(T * V);
    for (let t = 0; t < T; t++)
      for (let v = 0; v < V; v++) {
        let sum = 0;
        for (let c = 0; c < C; c++) sum += hidden[t * C + c] * classifier[v * C + c];
        product[t * V + v] = sum;
      }
    const difference = maxAbsDiff(product, logits);
    expect(difference, `max abs diff ${difference}`).toBeLessThan(1e-4);
    const [embedding] = meanPooledEmbeddings(model, tokenizer, ['Once upon a time']);
    const mean = new Float32Array(C);
    for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) mean[c] += hidden[t * C + c] / T;
    expect(maxAbsDiff(embedding, mean)).toBeLessThan(1e-6);
  });
});
