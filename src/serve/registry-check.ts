// Whether the registry's database answers, for /ready and the promptune_registry_up gauge. A database
// that does not answer at all (a partition) is not waited for past a probe's patience: a wait longer
// than `waitMs` counts as unreachable, as a refused connection does.
import { isConnectionLost, type Registry } from '../registry/index.js';

/** How long /ready and a scrape wait for the registry (a Kubernetes probe gives up after 1 s by default). */
export const registryCheckWaitMs = 900;

/** What a check of the registry found: it answers, it is away for now, or it fails otherwise. */
export type RegistryState = { state: 'ok' } | { state: 'unreachable' | 'failed'; error: unknown };

/** Reads the task names (no versions) and says whether the database answered within `waitMs`. */
export async function checkRegistry(
  registry: Registry,
  waitMs = registryCheckWaitMs,
): Promise<RegistryState> {
  let timer: NodeJS.Timeout | undefined;
  // a lost connection by its code, as a refused one is: logged once a minute, without a stack
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          Object.assign(new Error(`the registry's database did not answer in ${waitMs} ms`), {
            code: 'ETIMEDOUT',
          }),
        ),
      waitMs,
    );
  });
  const read = registry.taskNames();
  read.catch(() => undefined); // a read given up on fails unheard
  try {
    await Promise.race([read, late]);
    return { state: 'ok' };
  } catch (error) {
    return { state: isConnectionLost(error) ? 'unreachable' : 'failed', error };
  } finally {
    clearTimeout(timer);
  }
}
