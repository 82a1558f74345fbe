// Whether the registry's database answers, for /ready and the promptune_registry_up gauge, and reads
// of it a scrape makes: a database that does not answer at all (a partition) is not waited for past a
// probe's patience: a wait longer than `waitMs` counts as unreachable, as a refused connection does.
import { isConnectionLost, type Registry } from '../registry/index.js';

/** How long /ready and a scrape wait for the registry (a Kubernetes probe gives up after 1 s by default). */
export const registryCheckWaitMs = 900;

/** What a check of the registry found: it answers, it is away for now, or it fails otherwise. */
export type RegistryState = { state: 'ok' } | { state: 'unreachable' | 'failed'; error: unknown };

/**
 * `read`'s value, or, when it has not answered in `waitMs`, a lost connection by its code (ETIMEDOUT, as
 * a refused one is: logged once a minute, without a stack); the read given up on fails unheard.
 */
export async function answeredWithin<T>(read: Promise<T>, waitMs = registryCheckWaitMs): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
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
  read.catch(() => undefined);
  try {
    return await Promise.race([read, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the task names (no versions) and says whether the database answered within `waitMs`. */
export async function checkRegistry(
  registry: Registry,
  waitMs = registryCheckWaitMs,
): Promise<RegistryState> {
  try {
    await answeredWithin(registry.taskNames(), waitMs);
    return { state: 'ok' };
  } catch (error) {
    return { state: isConnectionLost(error) ? 'unreachable' : 'failed', error };
  }
}
