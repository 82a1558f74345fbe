// Looks at every running experiment on an interval (inside the service, or any process that should
// drive rollouts). Replicas may all run one: a look decided on a revision another replica already
// moved past is not applied, and is simply dropped here.
import { ConflictError } from '../errors/index.js';
import type { Registry } from '../registry/index.js';
import { lookAtExperiment, type LookResult } from './stored-experiments.js';

/** How the watcher runs. */
export interface ExperimentWatcherOptions {
  /** Between looks (default 10 s). */
  intervalMs?: number;
  /** Told of each look that changed something (advance, promote, rollback, conclude). */
  onStep?: (result: LookResult) => void;
  onError?: (error: unknown, experiment: string) => void;
}

/** Looks at running experiments until stopped. */
export class ExperimentWatcher {
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly options: ExperimentWatcherOptions = {},
  ) {}

  /** Starts looking every intervalMs. */
  start(): this {
    this.timer ??= setInterval(() => void this.lookOnce(), this.options.intervalMs ?? 10_000);
    this.timer.unref();
    return this;
  }

  /** One look at every running experiment (a look already under way is waited for instead). */
  async lookOnce(now?: number): Promise<LookResult[]> {
    if (this.looking) {
      // its own caller reports how it failed; this one only waits (an interval's look that overlapped a
      // slow one, a database that does not answer, had rejected unheard and ended the service)
      await this.looking.catch(() => undefined);
      return [];
    }
    const results: LookResult[] = [];
    this.looking = (async () => {
      for (const experiment of await this.registry.experiments.list({ status: 'running' })) {
        try {
          const result = await lookAtExperiment(this.registry, experiment.id, now);
          results.push(result);
          if (result.action !== 'hold' && result.action !== 'none') this.options.onStep?.(result);
        } catch (error) {
          if (ConflictError.isInstance(error)) continue; // another replica or a person got there first
          this.options.onError?.(error, experiment.id);
        }
      }
    })().finally(() => (this.looking = undefined));
    await this.looking.catch((error: unknown) => this.options.onError?.(error, ''));
    return results;
  }

  /** Stops looking (a look under way finishes). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.looking?.catch(() => undefined);
  }
}
