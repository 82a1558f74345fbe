// Buffers traces off the request path and writes them in batches: `record` only samples and enqueues
// (a bounded queue: when it is full the trace is dropped and counted, the caller never waits), a timer
// redacts and writes what is queued, one transaction per batch. A `kill -9` loses what is queued and
// nothing else; `close` writes it all, waiting a while for a database that is away, and says what it
// could not write. It does not decide what a trace holds: the service does.
import { UnavailableError } from '../errors/index.js';
import { isConnectionLost, type TraceRecord } from '../registry/index.js';
import type { Redactor } from './redaction.js';

/** Where batches go (the registry's TraceStore, or anything with its insert). */
export interface TraceSink {
  insert(traces: readonly TraceRecord[]): Promise<void>;
}

/** How the recorder buffers and samples. */
export interface TraceRecorderOptions {
  /** Most traces waiting to be written; beyond it new ones are dropped (default 10,000). */
  capacity?: number;
  /** Most traces per write (default 500). */
  batchSize?: number;
  /** How often queued traces are written (default 100 ms): the most a crash can lose is what arrives in it. */
  flushIntervalMs?: number;
  /** Share of traces kept (0 to 1, default 1). */
  sampleRate?: number;
  /** Applied to inputs and outputs before anything is stored. */
  redactor?: Redactor;
  random?: () => number;
  /**
   * Told of write failures (the batch is retried, up to 3 writes, while there is room); of a lost
   * database connection once per outage (its batches wait for it, however many writes that takes); and
   * of the traces a close could not write (TRACES_NOT_WRITTEN).
   */
  onError?: (error: unknown) => void;
  /**
   * How long `close` waits for a database that is away (a restart, a failover) before the traces still
   * queued are lost: counted as failed and told to `onError` (default 5 s).
   */
  closeWaitMs?: number;
}

/** What the recorder has done since it started. */
export interface TraceRecorderCounts {
  recorded: number;
  written: number;
  /** Dropped because the queue was full. */
  dropped: number;
  /** Left out by sampling. */
  sampledOut: number;
  /** Lost after failed writes. */
  failed: number;
  /** Waiting to be written now. */
  queued: number;
}

const maximumWriteAttempts = 3;

const defaultCloseWaitMs = 5000;

/** Batches traces into a sink, off the caller's path. */
export class TraceRecorder {
  private queue: TraceRecord[] = [];
  private readonly queuedIds = new Set<string>();
  private attempts = 0;
  /** The database away (a restart, a failover): no write is tried before this time. */
  private waitUntil = 0;
  private unreachable = false;
  private writing: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Once closing: when a database that is away is no longer waited for. */
  private closeDeadline = Infinity;
  private readonly listeners: ((batch: readonly TraceRecord[]) => void)[] = [];
  private readonly counts = { recorded: 0, written: 0, dropped: 0, sampledOut: 0, failed: 0 };
  private readonly capacity: number;
  private readonly batchSize: number;
  private readonly sampleRate: number;
  private readonly random: () => number;

  constructor(
    private readonly sink: TraceSink,
    private readonly options: TraceRecorderOptions = {},
  ) {
    this.capacity = options.capacity ?? 10_000;
    this.batchSize = options.batchSize ?? 500;
    this.sampleRate = options.sampleRate ?? 1;
    this.random = options.random ?? Math.random;
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 100);
    this.timer.unref();
  }

  /** Queues a trace; false when sampling left it out, the queue was full or the recorder is closed. Never waits. */
  record(trace: TraceRecord): boolean {
    if (this.closed) {
      this.counts.dropped++;
      return false;
    }
    if (this.sampleRate < 1 && this.random() >= this.sampleRate) {
      this.counts.sampledOut++;
      return false;
    }
    if (this.queue.length >= this.capacity) {
      this.counts.dropped++;
      return false;
    }
    this.queue.push(trace);
    this.queuedIds.add(trace.id);
    this.counts.recorded++;
    return true;
  }

  /** Calls `listener` with each batch once it is stored (as stored: redacted), e.g. online evaluation. */
  onWritten(listener: (batch: readonly TraceRecord[]) => void): void {
    this.listeners.push(listener);
  }

  /** True when a trace with this id is queued and not yet written (feedback on it should flush first). */
  isQueued(id: string): boolean {
    return this.queuedIds.has(id);
  }

  /**
   * Writes every trace queued before the call (later ones are the timer's), batch after batch; returns
   * early when a write fails and its batch goes back to the queue (the next flush retries it).
   */
  async flush(): Promise<void> {
    const target = this.counts.recorded;
    while (this.counts.written + this.counts.failed < target) {
      if (this.writing) {
        await this.writing;
        continue;
      }
      if (this.queue.length === 0) return;
      if (Date.now() < Math.min(this.waitUntil, this.closeDeadline)) return;
      this.writing = this.writeBatch();
      const stored = await this.writing;
      this.writing = undefined;
      if (!stored) return;
    }
  }

  /**
   * Stops the timer, refuses new traces and writes what is queued, retrying a failing write up to its
   * attempts and waiting up to `closeWaitMs` for a database that is away; what still cannot be written
   * is counted as failed.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.closeDeadline = Date.now() + (this.options.closeWaitMs ?? defaultCloseWaitMs);
    while (this.queue.length > 0 || this.writing) {
      await this.flush();
      // a batch back in the queue after a failure: retried (writeBatch gives up after its attempts), or,
      // while the database is away, at its next try until the wait runs out
      const next = Math.min(this.waitUntil, this.closeDeadline) - Date.now();
      if (this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, Math.max(10, next)));
    }
  }

  /** The redactor applied before traces are stored (feedback on them is redacted the same way). */
  get redactor(): Redactor | undefined {
    return this.options.redactor;
  }

  /** Counters for metrics and for the bench. */
  get stats(): TraceRecorderCounts {
    return { ...this.counts, queued: this.queue.length };
  }

  /** Writes the next batch; false when it failed and went back to the queue. */
  private async writeBatch(): Promise<boolean> {
    const batch = this.queue.slice(0, this.batchSize);
    this.queue = this.queue.slice(batch.length);
    const redactor = this.options.redactor;
    try {
      const stored = redactor ? batch.map((trace) => redactor.redactTrace(trace)) : batch;
      await this.sink.insert(stored);
      this.counts.written += batch.length;
      for (const listener of this.listeners) listener(stored);
      this.attempts = 0;
      this.unreachable = false;
    } catch (error) {
      const lost = isConnectionLost(error);
      if (!lost || !this.unreachable) this.options.onError?.(error);
      // the database restarting: the batch waits for it at the queue's head (what arrives meanwhile
      // queues behind it up to the capacity), tried again each second, not spending attempts; a
      // recorder closing waits so until closeWaitMs runs out (a close had given it three tries in
      // 30 ms, and the traces were lost with nothing said but the outage's one warning)
      if (lost && Date.now() < this.closeDeadline) {
        this.unreachable = true;
        this.waitUntil = Date.now() + 1000;
        this.queue = batch.concat(this.queue);
        return false;
      }
      // tried again on the next flush while there is room; after that it is lost, and counted
      const room = this.queue.length + batch.length <= this.capacity;
      if (!lost && ++this.attempts < maximumWriteAttempts && room) {
        this.queue = batch.concat(this.queue);
        return false;
      }
      this.attempts = 0;
      this.counts.failed += batch.length;
      if (lost) this.options.onError?.(unwrittenTraces(batch.length, this.options.closeWaitMs));
    }
    for (const trace of batch) this.queuedIds.delete(trace.id);
    return true;
  }
}

/** What a close that could not wait out the database's absence says it lost. */
function unwrittenTraces(count: number, closeWaitMs = defaultCloseWaitMs): UnavailableError {
  return new UnavailableError(
    `${count} traces were not written: the registry's database did not answer within ${closeWaitMs} ms of closing, and they are lost`,
    {
      code: 'TRACES_NOT_WRITTEN',
      hint: 'Stop the service while its database answers (traces wait for it while the service runs), or give tracing a longer closeWaitMs.',
    },
  );
}
