// Wraps a Kernels implementation with size checks, so a wrong shape is a ShapeError naming the op
// and argument instead of a silent NaN (JS) or an out-of-bounds write (native). O(1) per call but for
// lowRankRowsForward's row indices, which it checks one by one.
import { ShapeError } from '../../errors/index.js';
import { storedBytes, tensorTypes, type BlockType } from '../weights/dequantize.js';
import type { Kernels } from './types.js';

type Sized = { length: number } | null;

function need(op: string, name: string, buffer: Sized, count: number): void {
  if (buffer === null) return;
  if (!Number.isInteger(count) || count < 0) {
    throw new ShapeError(`${op}: size of ${name} is ${count}, expected a non-negative integer`, {
      code: 'SHAPE_INVALID_SIZE',
      hint: 'Sizes passed to kernels must be whole numbers.',
    });
  }
  if (buffer.length < count) {
    throw new ShapeError(`${op}: ${name} holds ${buffer.length} values, expected at least ${count}`, {
      code: 'SHAPE_MISMATCH',
      hint: 'Check the batch, time and channel sizes passed with this buffer.',
    });
  }
}

/** need() for each named buffer, in the order given. */
function needEach(op: string, buffers: Record<string, Sized>, count: number): void {
  for (const [name, buffer] of Object.entries(buffers)) need(op, name, buffer, count);
}

/** RoPE rotates an even number of dimensions, at most the head's. */
function needRotary(op: string, headDim: number, rotaryDims: number): void {
  if (!Number.isInteger(rotaryDims) || rotaryDims <= 0 || rotaryDims % 2 !== 0 || rotaryDims > headDim) {
    throw new ShapeError(`${op}: ${rotaryDims} rotary dimensions for heads of ${headDim}`, {
      code: 'SHAPE_MISMATCH',
      hint: 'RoPE rotates an even number of dimensions, at most the head dimension.',
    });
  }
}

/** A soft cap divides by itself: it must be a finite positive number. */
function needCap(op: string, cap: number): void {
  if (!(cap > 0) || !Number.isFinite(cap)) {
    throw new ShapeError(`${op}: soft cap ${cap}, expected a finite positive number`, {
      code: 'SHAPE_INVALID_SIZE',
      hint: 'Soft-capping computes cap * tanh(x / cap); the model config gives the cap.',
    });
  }
}

/** A dropout probability in [0, 1), and a mask's key and start whole numbers from 0 (the key a 32-bit one). */
function needDropout(op: string, probability: number, key: number, start: number): void {
  if (!(probability >= 0 && probability < 1))
    throw new ShapeError(`${op}: dropout probability ${probability}, expected at least 0 and below 1`, {
      code: 'SHAPE_INVALID_SIZE',
      hint: 'A dropout keeps each value with probability 1 - p, so p must be below 1.',
    });
  if (!Number.isInteger(key) || key < 0 || key >= 2 ** 32 || !Number.isSafeInteger(start) || start < 0)
    throw new ShapeError(`${op}: mask key ${key} and start ${start}, expected whole numbers from 0`, {
      code: 'SHAPE_INVALID_SIZE',
      hint: "Draw the key with dropoutKey; start counts positions from the pass's first.",
    });
}

/** Attention's score scale must be a finite positive number, its soft cap 0 (none) or one. */
function needScale(op: string, scale: number, softcap: number): void {
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new ShapeError(`${op}: score scale ${scale}, expected a finite positive number`, {
      code: 'SHAPE_INVALID_SIZE',
      hint: 'Attention scores are scaled by 1/sqrt(headDim) unless the model config says otherwise.',
    });
  }
  if (softcap !== 0) needCap(op, softcap);
}

/** Each row's queries, after its past, must fit the key slots (pastLengths (B), null: no past). */
function needPastSlots(
  op: string,
  pastLengths: Int32Array | null,
  batch: number,
  time: number,
  slots: number,
): void {
  need(op, 'pastLengths', pastLengths, batch);
  for (let b = 0; b < batch; b++) {
    const past = pastLengths ? pastLengths[b] : 0;
    if (past < 0 || past + time > slots) {
      throw new ShapeError(`${op}: row ${b} needs ${past + time} key slots, only ${slots} exist`, {
        code: 'SHAPE_CACHE_OVERFLOW',
        hint: "A row's past and its positions must fit the key slots: allocate a larger cache, or shorten the input.",
      });
    }
  }
}

function tokenOutOfRange(id: number, position: number, rows: number): ShapeError {
  return new ShapeError(
    `embeddingForward: token id ${id} at position ${position} is outside 0..${rows - 1}`,
    {
      code: 'SHAPE_TOKEN_OUT_OF_RANGE',
      hint: 'The token ids do not belong to this model; check that the tokenizer matches the model.',
    },
  );
}

/** Rows of a block type must be whole blocks (the loader keeps other tensors as float32). */
function needWholeBlocks(op: string, type: BlockType, columns: number): void {
  const { blockValues } = tensorTypes[type] ?? { blockValues: 0 };
  if (!blockValues || columns % blockValues !== 0) {
    throw new ShapeError(`${op}: rows of ${columns} values are not whole ${type} blocks`, {
      code: 'SHAPE_MISMATCH',
      hint: `${type} stores blocks of ${blockValues || '?'} values; keep this matrix as float32.`,
    });
  }
}

/** Returns the same kernels with argument sizes checked before each call. */
export function withShapeChecks(kernels: Kernels): Kernels {
  return {
    name: kernels.name,
    gemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      need('gemm', 'a', a, transposeA ? (k - 1) * lda + m : (m - 1) * lda + k);
      need('gemm', 'b', b, transposeB ? (n - 1) * ldb + k : (k - 1) * ldb + n);
      need('gemm', 'c', c, (m - 1) * ldc + n);
      kernels.gemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    },
    matmulForward(out, inp, weight, bias, n, inFeatures, outFeatures) {
      need('matmulForward', 'out', out, n * outFeatures);
      need('matmulForward', 'inp', inp, n * inFeatures);
      need('matmulForward', 'weight', weight, outFeatures * inFeatures);
      need('matmulForward', 'bias', bias, outFeatures);
      kernels.matmulForward(out, inp, weight, bias, n, inFeatures, outFeatures);
    },
    quantizedMatmulForward(out, inp, weight, type, bias, n, inFeatures, outFeatures) {
      need('quantizedMatmulForward', 'out', out, n * outFeatures);
      need('quantizedMatmulForward', 'inp', inp, n * inFeatures);
      needWholeBlocks('quantizedMatmulForward', type, inFeatures);
      need('quantizedMatmulForward', 'weight', weight, storedBytes(type, outFeatures * inFeatures));
      need('quantizedMatmulForward', 'bias', bias, outFeatures);
      kernels.quantizedMatmulForward(out, inp, weight, type, bias, n, inFeatures, outFeatures);
    },
    quantizedEmbeddingForward(out, ids, table, type, n, channels) {
      need('quantizedEmbeddingForward', 'out', out, n * channels);
      need('quantizedEmbeddingForward', 'ids', ids, n);
      needWholeBlocks('quantizedEmbeddingForward', type, channels);
      const rows = Math.floor(table.length / storedBytes(type, channels));
      for (let i = 0; i < n; i++) if (ids[i] < 0 || ids[i] >= rows) throw tokenOutOfRange(ids[i], i, rows);
      kernels.quantizedEmbeddingForward(out, ids, table, type, n, channels);
    },
    dequantize(out, bytes, type, rows, columns) {
      need('dequantize', 'out', out, rows * columns);
      needWholeBlocks('dequantize', type, columns);
      need('dequantize', 'bytes', bytes, storedBytes(type, rows * columns));
      kernels.dequantize(out, bytes, type, rows, columns);
    },
    embeddingForward(out, ids, table, n, channels) {
      need('embeddingForward', 'out', out, n * channels);
      need('embeddingForward', 'ids', ids, n);
      const rows = Math.floor(table.length / channels);
      for (let i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= rows) throw tokenOutOfRange(ids[i], i, rows);
      }
      kernels.embeddingForward(out, ids, table, n, channels);
    },
    rmsnormForward(out, rstd, inp, weight, n, channels, eps) {
      need('rmsnormForward', 'out', out, n * channels);
      need('rmsnormForward', 'rstd', rstd, n);
      need('rmsnormForward', 'inp', inp, n * channels);
      need('rmsnormForward', 'weight', weight, channels);
      kernels.rmsnormForward(out, rstd, inp, weight, n, channels, eps);
    },
    ropeForward(out, inp, cosines, sines, n, heads, headDim, rotaryDims, interleaved) {
      needRotary('ropeForward', headDim, rotaryDims);
      need('ropeForward', 'out', out, n * heads * headDim);
      need('ropeForward', 'inp', inp, n * heads * headDim);
      need('ropeForward', 'cosines', cosines, (n * rotaryDims) / 2);
      need('ropeForward', 'sines', sines, (n * rotaryDims) / 2);
      kernels.ropeForward(out, inp, cosines, sines, n, heads, headDim, rotaryDims, interleaved);
    },
    attentionForward(
      out,
      logSumExps,
      query,
      keys,
      values,
      pastLengths,
      keyMask,
      batch,
      time,
      slots,
      heads,
      kvHeads,
      headDim,
      window,
      scale,
      softcap,
    ) {
      needScale('attentionForward', scale, softcap);
      if (heads % kvHeads !== 0) {
        throw new ShapeError(
          `attentionForward: ${heads} query heads do not divide into ${kvHeads} key/value heads`,
          {
            code: 'SHAPE_HEADS',
            hint: 'The number of attention heads must be a multiple of the number of key/value heads.',
          },
        );
      }
      need('attentionForward', 'out', out, batch * time * heads * headDim);
      need('attentionForward', 'logSumExps', logSumExps, batch * heads * time);
      need('attentionForward', 'query', query, batch * time * heads * headDim);
      need('attentionForward', 'keys', keys, batch * slots * kvHeads * headDim);
      need('attentionForward', 'values', values, batch * slots * kvHeads * headDim);
      need('attentionForward', 'keyMask', keyMask, batch * slots);
      needPastSlots('attentionForward', pastLengths, batch, time, slots);
      kernels.attentionForward(
        out,
        logSumExps,
        query,
        keys,
        values,
        pastLengths,
        keyMask,
        batch,
        time,
        slots,
        heads,
        kvHeads,
        headDim,
        window,
        scale,
        softcap,
      );
    },
    swigluForward(out, gate, up, n) {
      needEach('swigluForward', { out, gate, up }, n);
      kernels.swigluForward(out, gate, up, n);
    },
    gegluForward(out, gate, up, n) {
      needEach('gegluForward', { out, gate, up }, n);
      kernels.gegluForward(out, gate, up, n);
    },
    softcapForward(out, inp, cap, n) {
      needCap('softcapForward', cap);
      need('softcapForward', 'out', out, n);
      need('softcapForward', 'inp', inp, n);
      kernels.softcapForward(out, inp, cap, n);
    },
    dropoutForward(out, inp, probability, key, start, n) {
      needDropout('dropoutForward', probability, key, start);
      needEach('dropoutForward', { out, inp }, n);
      kernels.dropoutForward(out, inp, probability, key, start, n);
    },
    lowRankRowsForward(out, inp, pairs, indices, n, inFeatures, outFeatures) {
      const op = 'lowRankRowsForward';
      need(op, 'out', out, n * outFeatures);
      need(op, 'inp', inp, n * inFeatures);
      need(op, 'indices', indices, n);
      pairs.forEach((pair, p) => {
        if (!Number.isInteger(pair.rank) || pair.rank < 1)
          throw new ShapeError(`${op}: pair ${p} has rank ${pair.rank}, expected a whole number from 1`, {
            code: 'SHAPE_INVALID_SIZE',
            hint: "A low-rank pair's rank is the rows of A and the columns of B.",
          });
        need(op, `pairs[${p}].a`, pair.a, pair.rank * inFeatures);
        need(op, `pairs[${p}].b`, pair.b, outFeatures * pair.rank);
      });
      // the native kernel reads pairs[indices[i]] unchecked: an index past them would read any memory
      for (let row = 0; row < n; row++)
        if (!(indices[row] >= -1 && indices[row] < pairs.length))
          throw new ShapeError(`${op}: row ${row} names pair ${indices[row]} of ${pairs.length}`, {
            code: 'SHAPE_MISMATCH',
            hint: 'Each row names one of the pairs given, or -1 for none.',
          });
      kernels.lowRankRowsForward(out, inp, pairs, indices, n, inFeatures, outFeatures);
    },
    addForward(out, a, b, n) {
      need('addForward', 'out', out, n);
      need('addForward', 'a', a, n);
      need('addForward', 'b', b, n);
      kernels.addForward(out, a, b, n);
    },
    softmaxForward(out, inp, n, vocabulary) {
      need('softmaxForward', 'out', out, n * vocabulary);
      need('softmaxForward', 'inp', inp, n * vocabulary);
      kernels.softmaxForward(out, inp, n, vocabulary);
    },
    logSoftmaxForward(out, inp, n, vocabulary) {
      need('logSoftmaxForward', 'out', out, n * vocabulary);
      need('logSoftmaxForward', 'inp', inp, n * vocabulary);
      kernels.logSoftmaxForward(out, inp, n, vocabulary);
    },
    crossEntropyForward(losses, logits, targets, n, vocabulary) {
      need('crossEntropyForward', 'losses', losses, n);
      need('crossEntropyForward', 'logits', logits, n * vocabulary);
      need('crossEntropyForward', 'targets', targets, n);
      for (let i = 0; i < n; i++) {
        if (targets[i] >= vocabulary) {
          throw new ShapeError(
            `crossEntropyForward: target ${targets[i]} at row ${i} is outside the vocabulary of ${vocabulary}`,
            {
              code: 'SHAPE_TOKEN_OUT_OF_RANGE',
              hint: 'Targets must be token ids of this model, or negative to ignore a row.',
            },
          );
        }
      }
      kernels.crossEntropyForward(losses, logits, targets, n, vocabulary);
    },
    quantizedMatmulBackward(dinp, dout, weight, type, n, inFeatures, outFeatures) {
      need('quantizedMatmulBackward', 'dinp', dinp, n * inFeatures);
      need('quantizedMatmulBackward', 'dout', dout, n * outFeatures);
      needWholeBlocks('quantizedMatmulBackward', type, inFeatures);
      need('quantizedMatmulBackward', 'weight', weight, storedBytes(type, outFeatures * inFeatures));
      kernels.quantizedMatmulBackward(dinp, dout, weight, type, n, inFeatures, outFeatures);
    },
    matmulBackward(dinp, dout, weight, n, inFeatures, outFeatures) {
      need('matmulBackward', 'dinp', dinp, n * inFeatures);
      need('matmulBackward', 'dout', dout, n * outFeatures);
      need('matmulBackward', 'weight', weight, outFeatures * inFeatures);
      kernels.matmulBackward(dinp, dout, weight, n, inFeatures, outFeatures);
    },
    rmsnormBackward(dinp, dout, inp, weight, rstd, n, channels) {
      for (const [name, buffer] of [
        ['dinp', dinp],
        ['dout', dout],
        ['inp', inp],
      ] as const)
        need('rmsnormBackward', name, buffer, n * channels);
      need('rmsnormBackward', 'weight', weight, channels);
      need('rmsnormBackward', 'rstd', rstd, n);
      kernels.rmsnormBackward(dinp, dout, inp, weight, rstd, n, channels);
    },
    rmsnormWeightBackward(dweight, dout, inp, rstd, n, channels) {
      need('rmsnormWeightBackward', 'dweight', dweight, channels);
      need('rmsnormWeightBackward', 'dout', dout, n * channels);
      need('rmsnormWeightBackward', 'inp', inp, n * channels);
      need('rmsnormWeightBackward', 'rstd', rstd, n);
      kernels.rmsnormWeightBackward(dweight, dout, inp, rstd, n, channels);
    },
    ropeBackward(dinp, dout, cosines, sines, n, heads, headDim, rotaryDims, interleaved) {
      needRotary('ropeBackward', headDim, rotaryDims);
      need('ropeBackward', 'dinp', dinp, n * heads * headDim);
      need('ropeBackward', 'dout', dout, n * heads * headDim);
      need('ropeBackward', 'cosines', cosines, (n * rotaryDims) / 2);
      need('ropeBackward', 'sines', sines, (n * rotaryDims) / 2);
      kernels.ropeBackward(dinp, dout, cosines, sines, n, heads, headDim, rotaryDims, interleaved);
    },
    attentionBackward(
      dquery,
      dkeys,
      dvalues,
      dout,
      logSumExps,
      query,
      keys,
      values,
      pastLengths,
      batch,
      time,
      slots,
      heads,
      kvHeads,
      headDim,
      window,
      scale,
      softcap,
    ) {
      needScale('attentionBackward', scale, softcap);
      const queries = batch * time * heads * headDim;
      const kv = batch * slots * kvHeads * headDim;
      needEach('attentionBackward', { dquery, dout, query }, queries);
      needEach('attentionBackward', { dkeys, dvalues, keys, values }, kv);
      need('attentionBackward', 'logSumExps', logSumExps, batch * heads * time);
      needPastSlots('attentionBackward', pastLengths, batch, time, slots);
      kernels.attentionBackward(
        dquery,
        dkeys,
        dvalues,
        dout,
        logSumExps,
        query,
        keys,
        values,
        pastLengths,
        batch,
        time,
        slots,
        heads,
        kvHeads,
        headDim,
        window,
        scale,
        softcap,
      );
    },
    swigluBackward(dgate, dup, dout, gate, up, n) {
      needEach('swigluBackward', { dgate, dup, dout, gate, up }, n);
      kernels.swigluBackward(dgate, dup, dout, gate, up, n);
    },
    gegluBackward(dgate, dup, dout, gate, up, n) {
      needEach('gegluBackward', { dgate, dup, dout, gate, up }, n);
      kernels.gegluBackward(dgate, dup, dout, gate, up, n);
    },
    softcapBackward(dinp, dout, out, cap, n) {
      needCap('softcapBackward', cap);
      need('softcapBackward', 'dinp', dinp, n);
      need('softcapBackward', 'dout', dout, n);
      need('softcapBackward', 'out', out, n);
      kernels.softcapBackward(dinp, dout, out, cap, n);
    },
    adamUpdate(parameters, gradient, m, v, decays, constants, n) {
      needEach('adamUpdate', { parameters, gradient, m, v, decays }, n);
      return kernels.adamUpdate(parameters, gradient, m, v, decays, constants, n);
    },
    dropoutBackward(dinp, dout, probability, key, start, n) {
      needDropout('dropoutBackward', probability, key, start);
      needEach('dropoutBackward', { dinp, dout }, n);
      kernels.dropoutBackward(dinp, dout, probability, key, start, n);
    },
    crossEntropyBackward(dlogits, dlosses, logits, targets, n, vocabulary) {
      need('crossEntropyBackward', 'dlogits', dlogits, n * vocabulary);
      need('crossEntropyBackward', 'logits', logits, n * vocabulary);
      need('crossEntropyBackward', 'dlosses', dlosses, n);
      need('crossEntropyBackward', 'targets', targets, n);
      kernels.crossEntropyBackward(dlogits, dlosses, logits, targets, n, vocabulary);
    },
  };
}
