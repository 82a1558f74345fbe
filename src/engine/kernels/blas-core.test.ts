// The OpenBLAS kernel choice: SkylakeX for a CPU with the AVX-512 subsets it needs, nothing otherwise or
// when the user chose; and on this machine, the kernels OpenBLAS really runs once the addon is loaded.
import { describe, expect, it } from 'vitest';
import { chooseBlasCore, runsSkylakeX } from './blas-core.js';
import { loadNativeKernels, nativeBlasCore } from './native.js';

const avx512 = new Set(['sse4_2', 'avx2', 'fma', 'avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl']);

describe('OpenBLAS kernel choice', () => {
  it('gives an AVX-512 CPU the SkylakeX kernels', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(chooseBlasCore(env, avx512)).toBe('SkylakeX');
    expect(env.OPENBLAS_CORETYPE).toBe('SkylakeX');
  });

  it('leaves a CPU without every subset, and a choice already made, to OpenBLAS', () => {
    const partial = new Set([...avx512].filter((flag) => flag !== 'avx512vl'));
    const env: NodeJS.ProcessEnv = {};
    expect(chooseBlasCore(env, partial)).toBeUndefined();
    expect(chooseBlasCore(env, new Set(['avx2', 'fma']))).toBeUndefined();
    expect(env.OPENBLAS_CORETYPE).toBeUndefined();
    const chosen: NodeJS.ProcessEnv = { OPENBLAS_CORETYPE: 'Haswell' };
    expect(chooseBlasCore(chosen, avx512)).toBeUndefined();
    expect(chosen.OPENBLAS_CORETYPE).toBe('Haswell');
  });

  it.skipIf(!loadNativeKernels())('runs kernels the CPU has, not the generic fallback', () => {
    const core = nativeBlasCore()!;
    console.log(`OpenBLAS core: ${core} (OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? 'unset'})`);
    if (runsSkylakeX()) expect(core).not.toBe('Prescott');
    expect(core.length).toBeGreaterThan(0);
  });
});
