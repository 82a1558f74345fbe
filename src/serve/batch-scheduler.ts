// The local engine's request scheduler (continuous batching): one decoding batch of up to `maxBatch`
// rows runs while there is work, and between two forward passes requests that arrived meanwhile join
// its free rows, whatever their task; a finished request leaves at once. Each row keeps its own options,
// including its own cached prefix (BOS plus that task's soft prompt), so one forward pass per step serves
// many tasks on the same frozen model. It does not preempt: a full batch makes new requests wait.
import {
  DecodingBatch,
  type Generation,
  type RowEvent,
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
  /** Aborting it drops the request: from the queue at once, from the batch at its next step. */
  signal?: AbortSignal;
}

/**
 * A request's result, with the most requests it shared a forward pass with (itself included) and the
 * seconds it waited for a row.
 */
export interface ScheduledGeneration extends Generation {
  batchSize: number;
  queueSeconds: number;
}

interface Pending extends ScheduledRequest {
  resolve: (generation: ScheduledGeneration) => void;
  reject: (error: unknown) => void;
  submitted: number;
  queueSeconds?: number;
}

/** Batches concurrent generation requests on one model. */
export class BatchScheduler {
  private readonly queue: Pending[] = [];
  /** Requests decoding whose signal fired, dropped from the batch at its next step. */
  private readonly abandoned = new Set<Pending>();
  private running = false;
  private nextId = 0;

  constructor(
    readonly model: LlamaModel,
    readonly tokenizer: Tokenizer,
    private readonly settings: { maxBatch: number } = { maxBatch: 8 },
  ) {}

  /** Generates for `request`, joining the running batch at its next step when a row is free. */
  submit(request: ScheduledRequest): Promise<ScheduledGeneration> {
    return new Promise((resolve, reject) => {
      const { signal } = request;
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        const queued = this.queue.indexOf(pending);
        if (queued < 0) return void this.abandoned.add(pending);
        this.queue.splice(queued, 1);
        pending.reject(signal!.reason);
      };
      const settled = () => signal?.removeEventListener('abort', onAbort);
      const pending: Pending = {
        ...request,
        resolve: (generation) => (settled(), resolve(generation)),
        reject: (error) => (settled(), reject(error)),
        submitted: performance.now(),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(pending);
      // gather everything submitted in this turn of the event loop before starting
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.run());
      }
    });
  }

  private async run(): Promise<void> {
    const batch = new DecodingBatch(this.model, this.tokenizer, this.settings.maxBatch);
    const decoding = new Map<number, Pending>();
    const dispatch = (events: RowEvent[]) => {
      for (const event of events) {
        const request = decoding.get(event.row);
        if (!request) continue;
        // a row whose own scores broke (its adapter overflowed) fails alone; the others go on
        if ('error' in event) {
          decoding.delete(event.row);
          request.reject(event.error);
          continue;
        }
        if (!('done' in event)) {
          request.onDelta?.(event.delta);
          continue;
        }
        decoding.delete(event.row);
        request.resolve({
          ...event.done,
          batchSize: event.batchSize,
          queueSeconds: request.queueSeconds ?? 0,
        });
      }
    };
    try {
      while (this.queue.length || batch.size) {
        for (const [id, request] of decoding) {
          if (!this.abandoned.has(request)) continue;
          batch.cancel(id);
          decoding.delete(id);
          request.reject(request.signal!.reason);
        }
        this.abandoned.clear();
        // a request the model refuses (too long, bad options) fails alone
        const joining = [];
        while (this.queue.length && joining.length < batch.free) {
          const request = this.queue.shift()!;
          const prompt = { tokens: request.tokens, options: request.options };
          try {
            batch.check(prompt);
          } catch (error) {
            request.reject(error);
            continue;
          }
          const id = this.nextId++;
          request.queueSeconds = (performance.now() - request.submitted) / 1000;
          decoding.set(id, request);
          joining.push({ id, prompt });
        }
        if (joining.length) dispatch(batch.admit(joining));
        dispatch(batch.sample());
        if (!batch.size) continue;
        // let requests arrive (and other work run) between steps
        await new Promise((resolve) => setImmediate(resolve));
        batch.advance();
      }
    } catch (error) {
      // an error while decoding fails every request of the batch; queued ones start a new batch
      for (const request of decoding.values()) request.reject(error);
      if (this.queue.length) return void setImmediate(() => void this.run());
    }
    this.running = false;
  }
}
