// Chooses the kernels the engine runs on: native when the addon is built, else the JS reference
// with a one-line warning. PROMPTUNE_KERNELS=js|native forces a choice (documented in README).
import { ValidationError } from '../../errors/index.js';
import { withShapeChecks } from './_checks.js';
import { jsKernels } from './js.js';
import { loadNativeKernels, nativeLoadError } from './native.js';
import type { Kernels } from './types.js';

export type { AdamConstants, Buffer, Kernels, LowRankProduct } from './types.js';
export { jsKernels } from './js.js';
export {
  loadNativeKernels,
  nativeBlasCore,
  setNativeThreads,
  nativeLoadError,
  nativeThreading,
} from './native.js';
export { chooseBlasCore } from './blas-core.js';
export { chooseThreadWait, chooseThreadWaitOnce } from './thread-wait.js';
export { withShapeChecks } from './_checks.js';

let chosen: Kernels | undefined;

/** The engine's default kernels (native if available), shape-checked. */
export function defaultKernels(preference = process.env.PROMPTUNE_KERNELS): Kernels {
  if (chosen && (!preference || preference === chosen.name)) return chosen;
  if (preference && preference !== 'js' && preference !== 'native') {
    throw new ValidationError(`PROMPTUNE_KERNELS is "${preference}", expected "js" or "native"`, {
      code: 'KERNELS_UNKNOWN',
      hint: 'Unset PROMPTUNE_KERNELS to pick native kernels when they are built.',
    });
  }
  const native = preference === 'js' ? undefined : loadNativeKernels();
  if (!native && preference === 'native') {
    throw new ValidationError(`native kernels are not available: ${nativeLoadError()}`, {
      code: 'KERNELS_NATIVE_MISSING',
      hint: 'Run scripts/setup.sh (it installs OpenBLAS and builds the addon), or npm run build:native.',
    });
  }
  if (!native && preference !== 'js') {
    // one line on stderr, once per process: the output stays usable, the slowdown is not silent
    console.warn(`promptune: native kernels unavailable (${nativeLoadError()}); using the slower JS kernels`);
  }
  chosen = withShapeChecks(native ?? jsKernels);
  return chosen;
}
