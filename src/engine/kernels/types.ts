// The Kernels contract: every op the engine runs, on flat float32 buffers with explicit sizes.
// Two implementations: js.ts (readable reference) and native.ts (C + OpenBLAS). Argument order
// follows llm.c: outputs first, then inputs, then sizes. Buffers may be larger than needed.

import type { BlockType } from '../weights/dequantize.js';

/** Flat float32 buffer; views from `subarray` are zero-copy. */
export type Buffer = Float32Array;

/** What one Adam step's update of every value shares (adamUpdate). */
export interface AdamConstants {
  beta1: number;
  beta2: number;
  /** The learning rate over the first moment's bias correction. */
  stepSize: number;
  /** The square root of the second moment's bias correction. */
  correction2: number;
  eps: number;
  /** AdamW: learning rate × weight decay, the value's own shrink; Adam (`coupled`): the weight decay. 0: none. */
  decay: number;
  /** Adam's L2 decay (its gradient joins the value's), not AdamW's decoupled one. */
  coupled: boolean;
}

/** One adapter's low-rank product for a projection: A (rank, inFeatures), B (outFeatures, rank), a scale. */
export interface LowRankProduct {
  a: Buffer;
  b: Buffer;
  rank: number;
  scale: number;
}

/** The engine's ops as a swappable set: the JS reference and the native kernels implement it alike. */
export interface Kernels {
  /** Which implementation this is. */
  readonly name: 'js' | 'native';
  /** Row-major C (m, n) = alpha * op(A) (m, k) . op(B) (k, n) + beta * C, with leading dimensions. */
  gemm(
    transposeA: boolean,
    transposeB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Buffer,
    lda: number,
    b: Buffer,
    ldb: number,
    beta: number,
    c: Buffer,
    ldc: number,
  ): void;
  /** out (n, outFeatures) = inp (n, inFeatures) . weight^T + bias; weight is (outFeatures, inFeatures). */
  matmulForward(
    out: Buffer,
    inp: Buffer,
    weight: Buffer,
    bias: Buffer | null,
    n: number,
    inFeatures: number,
    outFeatures: number,
  ): void;
  /**
   * matmulForward with a weight kept in a GGML block type (Q8_0, Q4_K, …): `weight` holds its stored
   * bytes, rows of inFeatures values each; the product reads the blocks as they are stored.
   */
  quantizedMatmulForward(
    out: Buffer,
    inp: Buffer,
    weight: Uint8Array,
    type: BlockType,
    bias: Buffer | null,
    n: number,
    inFeatures: number,
    outFeatures: number,
  ): void;
  /** embeddingForward from a table kept in a GGML block type: each looked-up row is decoded. */
  quantizedEmbeddingForward(
    out: Buffer,
    ids: Int32Array,
    table: Uint8Array,
    type: BlockType,
    n: number,
    channels: number,
  ): void;
  /** out (rows, columns) = the values of `rows` rows stored in a GGML block type. */
  dequantize(out: Buffer, bytes: Uint8Array, type: BlockType, rows: number, columns: number): void;
  /** out (n, channels) = table[ids[i]] rows. */
  embeddingForward(out: Buffer, ids: Int32Array, table: Buffer, n: number, channels: number): void;
  /** out = inp / rms(inp) * weight per row (out may be inp); rstd (n) keeps 1/rms for the backward pass (may be null). */
  rmsnormForward(
    out: Buffer,
    rstd: Buffer | null,
    inp: Buffer,
    weight: Buffer,
    n: number,
    channels: number,
    eps: number,
  ): void;
  /**
   * Rotary embedding of (n, heads, headDim) by per-token angles given as cosines and sines
   * (n, rotaryDims/2) (see rope.ts `ropeAngles`): the first rotaryDims dimensions of each head are
   * rotated, in interleaved pairs (2i, 2i+1) or rotate-half pairs (i, i + rotaryDims/2); the rest pass
   * through (partial rotary). out may be inp.
   */
  ropeForward(
    out: Buffer,
    inp: Buffer,
    cosines: Buffer,
    sines: Buffer,
    n: number,
    heads: number,
    headDim: number,
    rotaryDims: number,
    interleaved: boolean,
  ): void;
  /**
   * Causal grouped-query attention. query (B, T, H*hd); keys/values (B, S, KVH*hd); out (B, T, H*hd). Query
   * t of row b is at position pastLengths[b] + t and sees keys 0..that position where keyMask (B, S) is
   * non-zero (null: every key); with window > 0 only the last `window` of them (sliding-window attention,
   * as Mistral). Scores are `scale` * q . k (usually 1/sqrt(headDim)), soft-capped to
   * softcap * tanh(score / softcap) when softcap > 0 (Gemma 2). For a backward pass, logSumExps (B, H, T)
   * receives each query's log softmax normalizer (-Infinity when it sees no key), from which
   * attentionBackward recomputes the attention weights instead of keeping (B, H, T, S) of them.
   */
  attentionForward(
    out: Buffer,
    logSumExps: Buffer | null,
    query: Buffer,
    keys: Buffer,
    values: Buffer,
    pastLengths: Int32Array | null,
    keyMask: Uint8Array | null,
    batch: number,
    time: number,
    slots: number,
    heads: number,
    kvHeads: number,
    headDim: number,
    window: number,
    scale: number,
    softcap: number,
  ): void;
  /** out = silu(gate) * up, elementwise over n values. */
  swigluForward(out: Buffer, gate: Buffer, up: Buffer, n: number): void;
  /** out = gelu(gate) * up with GELU's tanh approximation (Gemma's GeGLU), elementwise over n values. */
  gegluForward(out: Buffer, gate: Buffer, up: Buffer, n: number): void;
  /** out = cap * tanh(inp / cap) over n values (Gemma 2's final-logit soft-capping); out may be inp. */
  softcapForward(out: Buffer, inp: Buffer, cap: number, n: number): void;
  /**
   * Inverted dropout: out = inp / (1 - probability) where position start + i of the mask drawn from `key`
   * is kept, 0 where not (a 32-bit hash of key + start + i against probability × 2^32; js-dropout.ts).
   * out may be inp.
   */
  dropoutForward(out: Buffer, inp: Buffer, probability: number, key: number, start: number, n: number): void;
  /**
   * out (n, outFeatures) += scale · B (A · inp row), row i with pairs[indices[i]] (index -1: none): many
   * adapters' low-rank products in one call, each row its own (serving's decode steps).
   */
  lowRankRowsForward(
    out: Buffer,
    inp: Buffer,
    pairs: readonly LowRankProduct[],
    indices: Int32Array,
    n: number,
    inFeatures: number,
    outFeatures: number,
  ): void;
  /** out = a + b over n values (residual connections). */
  addForward(out: Buffer, a: Buffer, b: Buffer, n: number): void;
  /** Row-wise softmax over (n, vocabulary). */
  softmaxForward(out: Buffer, inp: Buffer, n: number, vocabulary: number): void;
  /** Row-wise log-softmax over (n, vocabulary). */
  logSoftmaxForward(out: Buffer, inp: Buffer, n: number, vocabulary: number): void;
  /** losses[i] = -log softmax(logits[i])[targets[i]]; a negative target is ignored (loss 0). */
  crossEntropyForward(
    losses: Buffer,
    logits: Buffer,
    targets: Int32Array,
    n: number,
    vocabulary: number,
  ): void;

  /**
   * One Adam step over n values in place: the float64 moments m and v, then the values (js-adam.ts has
   * the reference). `decays` 0 where no weight decay applies (null: everywhere). Returns the first value
   * not finite after the step, or -1.
   */
  adamUpdate(
    parameters: Buffer,
    gradient: Buffer,
    m: Float64Array,
    v: Float64Array,
    decays: Uint8Array | null,
    constants: AdamConstants,
    n: number,
  ): number;

  // Backward ops, for frozen weights: gradients flow to the inputs only. Each mirrors its forward op;
  // gradients accumulate (+=) into their outputs, except ropeBackward and softcapBackward, which write
  // (and may be in place).

  /** dinp (n, inFeatures) += dout (n, outFeatures) . weight (outFeatures, inFeatures). */
  matmulBackward(
    dinp: Buffer,
    dout: Buffer,
    weight: Buffer,
    n: number,
    inFeatures: number,
    outFeatures: number,
  ): void;
  /** matmulBackward with a weight kept in a GGML block type (the mirror of quantizedMatmulForward). */
  quantizedMatmulBackward(
    dinp: Buffer,
    dout: Buffer,
    weight: Uint8Array,
    type: BlockType,
    n: number,
    inFeatures: number,
    outFeatures: number,
  ): void;
  /** dinp += gradient of rmsnormForward at inp (rstd from the forward pass). */
  rmsnormBackward(
    dinp: Buffer,
    dout: Buffer,
    inp: Buffer,
    weight: Buffer,
    rstd: Buffer,
    n: number,
    channels: number,
  ): void;
  /** dweight (channels) += the gradient of rmsnormForward's weight: the sum over rows of dout * inp * rstd. */
  rmsnormWeightBackward(
    dweight: Buffer,
    dout: Buffer,
    inp: Buffer,
    rstd: Buffer,
    n: number,
    channels: number,
  ): void;
  /** dinp = the rotation of dout back by the same angles (the transpose of ropeForward). */
  ropeBackward(
    dinp: Buffer,
    dout: Buffer,
    cosines: Buffer,
    sines: Buffer,
    n: number,
    heads: number,
    headDim: number,
    rotaryDims: number,
    interleaved: boolean,
  ): void;
  /**
   * Gradients of attentionForward without a key mask: dquery (B, T, H*hd), and dkeys and dvalues (B, S,
   * KVH*hd) += from dout, query t of row b at position pastLengths[b] + t (null: t), the attention weights
   * recomputed from the scores and the forward's logSumExps (B, H, T) with the same window, scale and soft
   * cap. Keys past the last query's position get no gradient.
   */
  attentionBackward(
    dquery: Buffer,
    dkeys: Buffer,
    dvalues: Buffer,
    dout: Buffer,
    logSumExps: Buffer,
    query: Buffer,
    keys: Buffer,
    values: Buffer,
    pastLengths: Int32Array | null,
    batch: number,
    time: number,
    slots: number,
    heads: number,
    kvHeads: number,
    headDim: number,
    window: number,
    scale: number,
    softcap: number,
  ): void;
  /** dgate, dup += gradients of swigluForward. */
  swigluBackward(dgate: Buffer, dup: Buffer, dout: Buffer, gate: Buffer, up: Buffer, n: number): void;
  /** dgate, dup += gradients of gegluForward. */
  gegluBackward(dgate: Buffer, dup: Buffer, dout: Buffer, gate: Buffer, up: Buffer, n: number): void;
  /** dinp = dout * (1 - (out / cap)^2), from softcapForward's output `out`; dinp may be dout. */
  softcapBackward(dinp: Buffer, dout: Buffer, out: Buffer, cap: number, n: number): void;
  /** dinp += dout / (1 - probability) where dropoutForward's mask keeps, nothing where not. */
  dropoutBackward(
    dinp: Buffer,
    dout: Buffer,
    probability: number,
    key: number,
    start: number,
    n: number,
  ): void;
  /** dlogits[i] += dlosses[i] * (softmax(logits[i]) - onehot(targets[i])); rows with a negative target get nothing. */
  crossEntropyBackward(
    dlogits: Buffer,
    dlosses: Buffer,
    logits: Buffer,
    targets: Int32Array,
    n: number,
    vocabulary: number,
  ): void;
}
