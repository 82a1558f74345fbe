// A fingerprint of a model's weights, which an adapter records as the model it was trained on. A model
// and its conversion hash alike: llama.cpp stores a llama's query rows in interleaved RoPE order where a
// Hugging Face checkpoint stores them rotate-half (the same weights, rows reordered per head), so a
// rotate-half model's query is hashed in interleaved order. Adapters written before that hashed a
// rotate-half model's rows as loaded; matchesFingerprint accepts those too, from either copy.
import { createHash } from 'node:crypto';
import {
  interleaveHeads,
  matrixChunks,
  matrixFloat32,
  rotateHalfHeads,
  type LlamaModel,
} from '../engine/index.js';

/**
 * The hash of a few tensors and the shape, the query's rows in `order`: interleaved (a rotate-half query
 * reordered as GGUF stores it), as loaded, or rotate-half (an interleaved one as Hugging Face stores it).
 */
function fingerprint(model: LlamaModel, order: 'interleaved' | 'as-loaded' | 'rotate-half'): string {
  const hash = createHash('sha256');
  const { config, weights } = model;
  hash.update(
    JSON.stringify([config.hiddenSize, config.layers, config.heads, config.kvHeads, config.vocabularySize]),
  );
  const add = (values: Float32Array) =>
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  const query = weights.layers[0].query;
  for (const tensor of [weights.embedding, weights.finalNorm, query, weights.layers.at(-1)!.down]) {
    if (tensor === query && order === 'interleaved' && config.ropeStyle === 'half') {
      add(interleaveHeads(matrixFloat32(query), config.heads, config.hiddenSize));
      continue;
    }
    if (tensor === query && order === 'rotate-half' && config.ropeStyle === 'interleaved') {
      add(rotateHalfHeads(matrixFloat32(query), config.heads, config.hiddenSize));
      continue;
    }
    // quantized matrices hash as their values, so one file hashes alike whichever kernels loaded it;
    // decoded a slice of rows at a time, so a large vocabulary is never expanded whole
    for (const values of matrixChunks(tensor)) add(values);
  }
  return hash.digest('hex');
}

/**
 * A fingerprint of a model's weights (the embedding table, final norm, a query and a down projection and
 * the shape): equal weights, equal hashes, in whichever format the model was stored.
 */
export function modelFingerprint(model: LlamaModel): string {
  return fingerprint(model, 'interleaved');
}

/**
 * Whether `sha256` is `model`'s fingerprint, or the one promptune recorded before a model and its
 * conversion hashed alike: a rotate-half (Hugging Face) copy's rows as loaded, which a GGUF copy's rows
 * reordered rotate-half also give.
 */
export function matchesFingerprint(model: LlamaModel, sha256: string): boolean {
  if (sha256 === modelFingerprint(model)) return true;
  if (model.config.ropeStyle === 'half') return sha256 === fingerprint(model, 'as-loaded');
  return model.config.ropeStyle === 'interleaved' && sha256 === fingerprint(model, 'rotate-half');
}
