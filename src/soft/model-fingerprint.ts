// A fingerprint of a model's weights, which an adapter records as the model it was trained on. A model
// and its conversion hash alike: llama.cpp stores a llama's query rows in interleaved RoPE order where a
// Hugging Face checkpoint stores them rotate-half (the same weights, rows reordered per head), so a
// rotate-half model's query is hashed in interleaved order. Adapters written before that hashed a
// rotate-half model's rows as loaded; matchesFingerprint accepts those too, from either copy.
import { createHash, type Hash } from 'node:crypto';
import {
  interleaveHeads,
  matrixChunks,
  matrixFloat32,
  rotateHalfHeads,
  type LlamaModel,
  type Matrix,
} from '../engine/index.js';

type Order = 'interleaved' | 'as-loaded' | 'rotate-half';

/**
 * The hashes of a few tensors and the shape, one per order of the query's rows: interleaved (a rotate-half
 * query reordered as GGUF stores it), as loaded, or rotate-half (an interleaved one as Hugging Face stores
 * it). The tensors before the query are hashed once and the hash copied for each order.
 */
function fingerprints(model: LlamaModel, orders: readonly Order[]): string[] {
  const hash = createHash('sha256');
  const { config, weights } = model;
  hash.update(
    JSON.stringify([config.hiddenSize, config.layers, config.heads, config.kvHeads, config.vocabularySize]),
  );
  // quantized matrices hash as their values, so one file hashes alike whichever kernels loaded it;
  // decoded a slice of rows at a time, so a large vocabulary is never expanded whole
  const add = (target: Hash, tensor: Matrix) => {
    for (const values of matrixChunks(tensor))
      target.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  };
  add(hash, weights.embedding);
  add(hash, weights.finalNorm);
  const query = weights.layers[0].query;
  return orders.map((order) => {
    const copy = hash.copy();
    if (order === 'interleaved' && config.ropeStyle === 'half')
      add(copy, interleaveHeads(matrixFloat32(query), config.heads, config.hiddenSize));
    else if (order === 'rotate-half' && config.ropeStyle === 'interleaved')
      add(copy, rotateHalfHeads(matrixFloat32(query), config.heads, config.hiddenSize));
    else add(copy, query);
    add(copy, weights.layers.at(-1)!.down);
    return copy.digest('hex');
  });
}

/**
 * A fingerprint of a model's weights (the embedding table, final norm, a query and a down projection and
 * the shape): equal weights, equal hashes, in whichever format the model was stored.
 */
export function modelFingerprint(model: LlamaModel): string {
  return fingerprints(model, ['interleaved'])[0];
}

/**
 * Every fingerprint an adapter trained on `model`'s weights may record: `model`'s, and the one promptune
 * recorded before a model and its conversion hashed alike (a rotate-half, Hugging Face, copy's rows as
 * loaded, which a GGUF copy's rows reordered rotate-half also give).
 */
export function recordedFingerprints(model: LlamaModel): string[] {
  const known = recorded.get(model);
  if (known) return known;
  const { ropeStyle } = model.config;
  const hashes =
    ropeStyle === 'half'
      ? fingerprints(model, ['interleaved', 'as-loaded'])
      : ropeStyle === 'interleaved'
        ? fingerprints(model, ['interleaved', 'rotate-half'])
        : fingerprints(model, ['interleaved']);
  recorded.set(model, hashes);
  return hashes;
}

// a model's hashes once: each adapter loaded on it (a service loads many) is checked against them. A
// model's weights are not changed in place (training works on copies), so its hashes hold
const recorded = new WeakMap<LlamaModel, string[]>();

/** Whether `sha256` is one of `model`'s recorded fingerprints (recordedFingerprints). */
export function matchesFingerprint(model: LlamaModel, sha256: string): boolean {
  return recordedFingerprints(model).includes(sha256);
}
