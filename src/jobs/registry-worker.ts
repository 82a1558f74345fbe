// A worker of the registry queue (the embedded default): it claims the oldest queued job (or one whose
// worker died: its lease lapsed) from the registry, runs it, and claims again, up to `concurrency` at
// once. Any number of workers, on any machines sharing the registry, may run: a job goes to one.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { JobRecord, Registry } from '../registry/index.js';
import { runJob, type RunJobOptions } from './run-job.js';

/** How a worker runs. */
export interface JobWorkerOptions extends RunJobOptions {
  /** Jobs at once (default 1). */
  concurrency?: number;
  /** Between looks at an empty queue (default 1 s). */
  pollMs?: number;
  /** This worker's name (default host:pid). */
  name?: string;
  /** Told of each attempt that ended. */
  onFinished?: (job: JobRecord) => void;
  onError?: (error: unknown) => void;
}

/** A worker's default name: where it runs, and a random part (containers may share a host name and pid). */
export const workerName = () => `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

/** Claims and runs jobs until stopped. */
export class RegistryJobWorker {
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  private wake: (() => void) | undefined;
  private readonly abandon = new AbortController();
  private readonly named: string;

  constructor(
    private readonly registry: Registry,
    private readonly options: JobWorkerOptions = {},
  ) {
    this.named = options.name ?? workerName();
  }

  /** Starts the worker's loops. */
  start(): this {
    for (let slot = 0; slot < (this.options.concurrency ?? 1); slot++) this.loops.push(this.loop(slot));
    return this;
  }

  /** Runs queued jobs until the queue is empty, then returns them (for `--once`). */
  async drainQueue(): Promise<JobRecord[]> {
    const finished: JobRecord[] = [];
    for (let job = await this.claim(0); job; job = await this.claim(0)) finished.push(await this.run(job, 0));
    return finished;
  }

  /**
   * Stops claiming; resolves when the jobs under way have ended, or, with `abandon`, once their
   * commands are stopped and the jobs are back in the queue for another worker.
   */
  async stop(options: { abandon?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.wake?.();
    if (options.abandon) this.abandon.abort();
    await Promise.all(this.loops);
  }

  private name(slot: number) {
    return `${this.named}${slot ? `#${slot}` : ''}`;
  }

  private async claim(slot: number) {
    // an idle worker reads until there is something to claim (a claim is a write)
    if (!(await this.registry.jobs.hasClaimable())) return undefined;
    return this.registry.jobs.claim(this.name(slot), this.options.leaseMs ?? 30_000);
  }

  private async run(job: JobRecord, slot: number) {
    const finished = await runJob(this.registry.jobs, job, this.name(slot), {
      ...this.options,
      signal: this.abandon.signal,
    });
    this.options.onFinished?.(finished);
    return finished;
  }

  private async loop(slot: number): Promise<void> {
    while (!this.stopped) {
      try {
        const job = await this.claim(slot);
        if (job) {
          await this.run(job, slot);
          continue;
        }
      } catch (error) {
        this.options.onError?.(error);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollMs ?? 1000);
        this.wake = () => (clearTimeout(timer), resolve());
      });
    }
  }
}
