// A trace sink that writes from a worker thread: batches are posted to trace-writer-worker.ts, which
// owns its own connection to the registry. The service uses it for SQLite, whose writes are synchronous
// (a batch and an occasional WAL checkpoint would otherwise pause every request in flight). Postgres
// writes are asynchronous already and need no worker.
import { Worker } from 'node:worker_threads';
import { UnavailableError } from '../errors/index.js';
import type { RegistryLocation, TraceRecord } from '../registry/index.js';
import type { TraceSink } from './trace-recorder.js';

type Answer =
  | { type: 'ready' | 'closed' }
  | { type: 'done'; id: number }
  | { type: 'failed'; id: number; message: string }
  | { type: 'unavailable'; message: string };

/** The worker module beside this one; from the TypeScript sources (tests) it registers tsx first. */
function startWorker(location: RegistryLocation): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./trace-writer-worker.js', import.meta.url), { workerData: location });
  const entry = new URL('./trace-writer-worker.ts', import.meta.url).href;
  return new Worker(
    `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`,
    { eval: true, workerData: location },
  );
}

/** Writes trace batches into the registry at a location, from a worker thread. */
export class WorkerTraceSink implements TraceSink {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private closed: Promise<void> | undefined;
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (answer: Answer) => {
      if (answer.type !== 'done' && answer.type !== 'failed') return;
      const waiter = this.waiting.get(answer.id);
      this.waiting.delete(answer.id);
      if (answer.type === 'done') waiter?.resolve();
      else waiter?.reject(new Error(`trace writer: ${answer.message}`));
    });
    worker.on('error', (error: Error) => this.failAll(error));
    this.exit = new Promise((resolve) =>
      worker.once('exit', () => {
        this.exited = true;
        this.failAll(new Error('the trace writer stopped'));
        resolve();
      }),
    );
  }

  /** Starts the worker and waits until it has opened the registry. */
  static async start(location: RegistryLocation): Promise<WorkerTraceSink> {
    const worker = startWorker(location);
    await new Promise<void>((resolve, reject) => {
      const first = (answer: Answer) => {
        worker.off('message', first);
        if (answer.type === 'ready') resolve();
        else {
          void worker.terminate();
          reject(
            new UnavailableError(
              `the trace writer could not open the registry: ${'message' in answer ? answer.message : answer.type}`,
              {
                code: 'TRACE_WRITER_UNAVAILABLE',
                hint: 'Check that the registry file (--db) is writable.',
              },
            ),
          );
        }
      };
      worker.on('message', first);
      worker.once('error', reject);
    });
    return new WorkerTraceSink(worker);
  }

  /** Sends a batch; resolves when it is committed. */
  insert(traces: readonly TraceRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the trace writer is closed'));
    if (this.exited) return Promise.reject(new Error('the trace writer stopped'));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'insert', id, traces });
    });
  }

  /** Closes the worker's registry and stops it (after the batches sent so far); resolves once it has exited. */
  close(): Promise<void> {
    if (!this.closed) {
      if (this.exited) this.closed = Promise.resolve();
      else {
        this.worker.on('message', (answer: Answer) => {
          if (answer.type === 'closed') void this.worker.terminate();
        });
        this.worker.postMessage({ type: 'close' });
        this.closed = this.exit;
      }
    }
    return this.closed;
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
