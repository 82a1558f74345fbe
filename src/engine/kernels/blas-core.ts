// OpenBLAS chooses its kernels for the CPU when it loads. A build older than the CPU does not know the
// model and falls back to its most generic x86-64 kernels (Prescott): Debian 12's OpenBLAS 0.3.21 on an
// Emerald Rapids Xeon, say, where float32 products then run five to seven times slower than with the
// AVX-512 kernels the CPU can run. Before the native addon (and OpenBLAS with it) loads, a CPU with the
// AVX-512 subsets those kernels use is given OpenBLAS's SkylakeX kernels, through OPENBLAS_CORETYPE, the
// variable OpenBLAS reads for this. A value already set is left as it is, so a user can choose.
import { readFileSync } from 'node:fs';

/** The AVX-512 subsets OpenBLAS's SkylakeX kernels use, as /proc/cpuinfo names them. */
const SKYLAKE_X_FLAGS = ['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'];

/** The CPU's flags from /proc/cpuinfo (Linux); empty where there is none. */
export function cpuFlags(): Set<string> {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((text) => text.startsWith('flags'));
    if (!line) return new Set();
    return new Set(
      line
        .slice(line.indexOf(':') + 1)
        .trim()
        .split(/\s+/),
    );
  } catch {
    return new Set();
  }
}

/** Whether a CPU with these flags (default: this one's) can run OpenBLAS's SkylakeX kernels. */
export function runsSkylakeX(flags: Set<string> = cpuFlags()): boolean {
  return SKYLAKE_X_FLAGS.every((flag) => flags.has(flag));
}

/**
 * Sets OPENBLAS_CORETYPE in `env` to SkylakeX when it is unset and the CPU (its /proc/cpuinfo flags) has
 * the AVX-512 subsets those kernels need. Returns the value it set, or undefined when it set none.
 * Must run before OpenBLAS loads; afterwards the variable is not read again.
 */
export function chooseBlasCore(
  env: NodeJS.ProcessEnv = process.env,
  flags: Set<string> = cpuFlags(),
): string | undefined {
  if (env.OPENBLAS_CORETYPE !== undefined && env.OPENBLAS_CORETYPE !== '') return undefined;
  if (!runsSkylakeX(flags)) return undefined;
  env.OPENBLAS_CORETYPE = 'SkylakeX';
  return env.OPENBLAS_CORETYPE;
}
