// Loads the N-API addon built from native/ (C kernels over OpenBLAS) and exposes it as Kernels.
// It does not build anything: `npm install` runs node-gyp; a missing addon returns undefined here.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tensorTypes } from '../weights/dequantize.js';
import { chooseBlasCore } from './blas-core.js';
import { chooseThreadWaitOnce } from './thread-wait.js';
import type { Kernels } from './types.js';

type Quantized =
  'quantizedMatmulForward' | 'quantizedMatmulBackward' | 'quantizedEmbeddingForward' | 'dequantize';

interface Addon extends Omit<
  Kernels,
  'name' | 'gemm' | 'ropeForward' | 'ropeBackward' | 'adamUpdate' | 'lowRankRowsForward' | Quantized
> {
  adamUpdate(...args: unknown[]): number;
  lowRankRowsForward(...args: unknown[]): void;
  quantizedMatmulForward(...args: unknown[]): void;
  quantizedMatmulBackward(...args: unknown[]): void;
  quantizedEmbeddingForward(...args: unknown[]): void;
  dequantize(...args: unknown[]): void;
  setQuantizedLevel(level: number): number;
  gemm(...args: unknown[]): void;
  ropeForward(...args: unknown[]): void;
  ropeBackward(...args: unknown[]): void;
  setThreads(count: number): void;
  getThreads(): number;
  threading(): 'openmp' | 'pthread';
  blasCore(): string;
}

/** Where `npm install` puts the compiled addon (same depth from src/ and dist/); PROMPTUNE_NATIVE_ADDON overrides it. */
export const addonPath =
  process.env.PROMPTUNE_NATIVE_ADDON ??
  join(dirname(fileURLToPath(import.meta.url)), '../../../native/build/Release/promptune_kernels.node');

let addon: Addon | undefined;
let loadError: string | undefined;

function load(): Addon | undefined {
  if (addon || loadError) return addon;
  if (!existsSync(addonPath)) {
    loadError = `${addonPath} does not exist`;
    return undefined;
  }
  try {
    chooseBlasCore(); // OpenBLAS reads its kernel choice once, when the addon loads it
    chooseThreadWaitOnce(); // and OpenMP its threads' wait policy (on the main thread)
    addon = createRequire(import.meta.url)(addonPath) as Addon;
  } catch (error) {
    loadError = (error as Error).message;
  }
  return addon;
}

/** Why the addon could not be loaded, if it could not. */
export function nativeLoadError(): string | undefined {
  load();
  return loadError;
}

/** Sets the size of OpenBLAS's thread pool, the only pool the native kernels use. */
export function setNativeThreads(count: number): void {
  load()?.setThreads(count);
}

/**
 * Which instruction set the quantized kernels use: 0 baseline, 1 AVX2, 2 AVX-512, at most what the CPU
 * has; -1 (or nothing) the best. Returns the level in use. For tests that run every path.
 */
export function setQuantizedLevel(level = -1): number | undefined {
  return load()?.setQuantizedLevel(level);
}

/** How the addon threads: `openmp` (kernel loops share OpenBLAS's OpenMP pool) or `pthread` (only BLAS is threaded). */
export function nativeThreading(): 'openmp' | 'pthread' | undefined {
  return load()?.threading();
}

/** The kernels OpenBLAS chose for this CPU ("SkylakeX", "Haswell", … "Prescott": its most generic), if loaded. */
export function nativeBlasCore(): string | undefined {
  return load()?.blasCore();
}

/** The native kernels, or undefined when the addon is not built. */
export function loadNativeKernels(): Kernels | undefined {
  const native = load();
  if (!native) return undefined;
  return {
    name: 'native',
    gemm: (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) =>
      native.gemm(ta ? 1 : 0, tb ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc),
    matmulForward: native.matmulForward,
    // the addon takes GGML's numeric type ids
    quantizedMatmulForward: (out, inp, weight, type, bias, n, inFeatures, outFeatures) =>
      native.quantizedMatmulForward(
        out,
        inp,
        weight,
        tensorTypes[type].ggml,
        bias,
        n,
        inFeatures,
        outFeatures,
      ),
    quantizedEmbeddingForward: (out, ids, table, type, n, channels) =>
      native.quantizedEmbeddingForward(out, ids, table, tensorTypes[type].ggml, n, channels),
    dequantize: (out, bytes, type, rows, columns) =>
      native.dequantize(out, bytes, tensorTypes[type].ggml, rows, columns),
    embeddingForward: native.embeddingForward,
    rmsnormForward: native.rmsnormForward,
    ropeForward: (out, inp, cosines, sines, n, heads, headDim, rotaryDims, interleaved) =>
      native.ropeForward(out, inp, cosines, sines, n, heads, headDim, rotaryDims, interleaved ? 1 : 0),
    attentionForward: native.attentionForward,
    swigluForward: native.swigluForward,
    gegluForward: native.gegluForward,
    softcapForward: native.softcapForward,
    dropoutForward: native.dropoutForward,
    lowRankRowsForward: (out, inp, pairs, indices, n, inFeatures, outFeatures) =>
      native.lowRankRowsForward(
        out,
        inp,
        pairs.map((pair) => pair.a),
        pairs.map((pair) => pair.b),
        Int32Array.from(pairs, (pair) => pair.rank),
        Float32Array.from(pairs, (pair) => pair.scale),
        indices,
        n,
        inFeatures,
        outFeatures,
      ),
    addForward: native.addForward,
    softmaxForward: native.softmaxForward,
    logSoftmaxForward: native.logSoftmaxForward,
    crossEntropyForward: native.crossEntropyForward,
    matmulBackward: native.matmulBackward,
    quantizedMatmulBackward: (dinp, dout, weight, type, n, inFeatures, outFeatures) =>
      native.quantizedMatmulBackward(dinp, dout, weight, tensorTypes[type].ggml, n, inFeatures, outFeatures),
    rmsnormBackward: native.rmsnormBackward,
    rmsnormWeightBackward: native.rmsnormWeightBackward,
    ropeBackward: (dinp, dout, cosines, sines, n, heads, headDim, rotaryDims, interleaved) =>
      native.ropeBackward(dinp, dout, cosines, sines, n, heads, headDim, rotaryDims, interleaved ? 1 : 0),
    attentionBackward: native.attentionBackward,
    swigluBackward: native.swigluBackward,
    gegluBackward: native.gegluBackward,
    softcapBackward: native.softcapBackward,
    dropoutBackward: native.dropoutBackward,
    adamUpdate: (parameters, gradient, m, v, decays, constants, n) => {
      const { beta1, beta2, stepSize, correction2, eps, decay, coupled } = constants;
      return native.adamUpdate(
        parameters,
        gradient,
        m,
        v,
        decays,
        beta1,
        beta2,
        stepSize,
        correction2,
        eps,
        decay,
        coupled ? 1 : 0,
        n,
      );
    },
    crossEntropyBackward: native.crossEntropyBackward,
  };
}
