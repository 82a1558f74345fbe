// The local engine's request scheduler: requests that arrive while a batch is running wait, and the next
// batch takes up to `maxBatch` of them at once, whatever their task. Each row keeps its own options,
// including its own cached prefix (BOS plus that task's soft prompt), so one forward pass per step serves
// many tasks on the same frozen model. It does not join requests into a batch already decoding.
import {
  generateStream,
  type Generation,
  type GenerationOptions,
  type LlamaModel,
  type Tokenizer,
} from '../engine/index.js';

/** One request: its token ids (after its prefix, if any) and its options (with its prefix). */
export interface ScheduledRequest {
  tokens: number[];
  options: GenerationOptions;
  /** Called with each piece of text as it becomes safe to show. */
  onDelta?: (delta: string) => void;
}

interface Pending extends ScheduledRequest {
  resolve: (generation: Generation) => void;
  reject: (error: unknown) => void;
}

/** Batches concurrent generation requests on one model. */
export class BatchScheduler {
  private readonly queue: Pending[] = [];
  private running = false;
  /** Sizes of the recent batches (for metrics and tests). */
  readonly batchSizes: number[] = [];

  constructor(
    readonly model: LlamaModel,
    readonly tokenizer: Tokenizer,
    private readonly settings: { maxBatch: number } = { maxBatch: 8 },
  ) {}

  /** Requests waiting for a batch. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Generates for `request` in the next batch. */
  submit(request: ScheduledRequest): Promise<Generation> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...request, resolve, reject });
      // gather everything submitted in this turn of the event loop before starting
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.nextBatch();
      this.batchSizes.push(batch.length);
      if (this.batchSizes.length > 1000) this.batchSizes.splice(0, 500);
      let started = false;
      try {
        const events = generateStream(
          this.model,
          this.tokenizer,
          batch.map((request) => ({ tokens: request.tokens, options: request.options })),
        );
        for await (const event of events) {
          started = true;
          if ('done' in event) batch[event.row].resolve(event.done);
          else batch[event.row].onDelta?.(event.delta);
        }
      } catch (error) {
        // a request the batch refused before starting (too long, bad options) fails alone: the others run
        // one by one; an error while decoding fails every request of the batch
        if (started || batch.length === 1) batch.forEach((request) => request.reject(error));
        else await this.runAlone(batch);
      }
    }
    this.running = false;
  }

  /**
   * The next batch: queued requests in order, up to maxBatch, while the batch still fits the context
   * (every row steps until the longest is done, padded to the longest prompt, after the longest prefix).
   */
  private nextBatch(): Pending[] {
    const batch: Pending[] = [this.queue.shift()!];
    const need = (rows: Pending[]) =>
      Math.max(...rows.map((row) => row.options.prefix?.lengths[0] ?? 0)) +
      Math.max(...rows.map((row) => row.tokens.length)) +
      Math.max(...rows.map((row) => row.options.maxTokens ?? 128));
    for (let i = 0; i < this.queue.length && batch.length < this.settings.maxBatch;) {
      if (need([...batch, this.queue[i]]) <= this.model.config.contextLength)
        batch.push(...this.queue.splice(i, 1));
      else i++;
    }
    return batch;
  }

  /** Runs each request of a refused batch on its own, so only the faulty ones fail. */
  private async runAlone(batch: Pending[]): Promise<void> {
    for (const request of batch) {
      try {
        const events = generateStream(this.model, this.tokenizer, [
          { tokens: request.tokens, options: request.options },
        ]);
        for await (const event of events) {
          if ('done' in event) request.resolve(event.done);
          else request.onDelta?.(event.delta);
        }
      } catch (error) {
        request.reject(error);
      }
    }
  }
}
