// The service's handle on the engine worker: starts it, sends generation requests (with a soft prompt
// or none) and routes the worker's deltas and results back, and exposes the engine as an AI SDK
// LanguageModelV3 for hard prompts. A soft prompt's adapter files travel to the worker once. Errors come
// back by kind: a request the engine cannot run stays a ValidationError (400), an engine fault becomes
// an EngineError (500) with the worker's stack as its cause, a dead worker an UnavailableError (503).
import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConflictError,
  EngineError,
  NotFoundError,
  parseInput,
  UnavailableError,
  ValidationError,
} from '../errors/index.js';
import { chooseBlasCore, chooseThreadWaitOnce, PrefixCache } from '../engine/index.js';
import { constraintSpec, type ConstraintSpec } from '../tasks/index.js';
import {
  engineGenerationOptions,
  languageModelFinishReason,
  languageModelUsage,
  textPartStream,
  marginMetadata,
  type StreamedTokens,
} from '../providers/index.js';
import type { EngineFailure, EngineWorkerSettings, FromWorker, ToWorker } from './_engine-protocol.js';
import { AbandonedGeneration, untilAborted } from './client-signal.js';
import type {
  EngineInfo,
  EngineOptions,
  EngineResult,
  KeptPrefixes,
  LoadedAdapters,
  SoftPromptReference,
} from './engine-types.js';

export type { EngineInfo, EngineResult } from './engine-types.js';

/** An adapter's files as the worker receives them. */
export type AdapterFiles = NonNullable<SoftPromptReference['files']>;

/** What reading a key's files gave: the files, or why they could not be read. */
type FilesRead = { files: AdapterFiles } | { failure: unknown };

/**
 * A soft prompt to prepend: its key (registry version id) and its adapter files, or how to read them.
 * A reader is called only when the worker has not been sent the key: the service then holds no
 * adapter's bytes between requests (the worker keeps them, on its disk and up to maxAdapters loaded).
 */
export interface SoftPromptSource {
  key: string;
  files: AdapterFiles | (() => Promise<AdapterFiles>);
}

interface Waiting {
  resolve: (result: EngineResult) => void;
  reject: (error: unknown) => void;
  onDelta?: (delta: string, counts: StreamedTokens) => void;
  /** The counts of its last delta (what an abandoned request had spent). */
  spent?: StreamedTokens;
}

/**
 * A worker running engine-worker beside this module. From the TypeScript sources (tests), the worker
 * first registers tsx, since loaders given as --import do not reach a worker's entry module.
 */
function startWorker(workerData: unknown): Worker {
  // OpenBLAS reads its kernel choice, and OpenMP its threads' wait policy, from the process's
  // environment when the worker loads them; a worker's process.env is its own copy, so the choices are
  // made here, on the main thread
  chooseBlasCore();
  chooseThreadWaitOnce();
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./engine-worker.js', import.meta.url), { workerData });
  const entry = new URL('./engine-worker.ts', import.meta.url).href;
  return new Worker(
    `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`,
    { eval: true, workerData },
  );
}

/** Starts a worker and waits until it has loaded its model. */
function launch(workerData: unknown): Promise<{ worker: Worker; info: EngineInfo }> {
  const worker = startWorker(workerData);
  return new Promise((resolve, reject) => {
    const first = (message: FromWorker) => {
      worker.off('message', first);
      if (message.type === 'ready') resolve({ worker, info: message.info });
      else if (message.type === 'failed') {
        void worker.terminate();
        reject(rebuild({ ...message.error, hint: message.error.hint ?? 'Check the --model path.' }));
      }
    };
    worker.on('message', first);
    worker.once('error', reject);
  });
}

/**
 * A running engine worker, restarted when it dies: requests in flight then fail, and requests until it
 * is back fail at once, both with a 503 to retry (ENGINE_RESTARTING), never hang.
 */
export class EngineClient {
  private next = 0;
  private readonly waiting = new Map<number, Waiting>();
  private readonly sent = new Set<string>();
  /** Reads of keys' files in progress, shared by the requests for a key the worker has not been sent. */
  private readonly reads = new Map<string, Promise<FilesRead>>();
  private worker!: Worker;
  private alive = false;
  private closing = false;
  private restarts = 0;
  private loadedAdapters: LoadedAdapters;
  private keptPrefixes: KeptPrefixes;
  /** Called with every finished generation (metrics). */
  onResult?: (result: EngineResult) => void;

  private constructor(
    private readonly workerData: EngineWorkerSettings,
    private readonly restartDelayMs: number,
    started: { worker: Worker; info: EngineInfo },
    readonly info: EngineInfo = started.info,
  ) {
    this.loadedAdapters = { loaded: 0, limit: workerData.maxAdapters, bytes: 0, evicted: 0 };
    const limit = workerData.prefixCacheBytes ?? PrefixCache.defaultMaxBytes;
    this.keptPrefixes = { bytes: 0, limit, prefixes: 0, evicted: 0 };
    this.attach(started.worker);
  }

  /**
   * Starts a worker for `model` (a path or hf: reference) and waits until it has loaded it.
   * `prefixCacheBytes` bounds the prompt prefixes it keeps for reuse (default 256 MiB; 0 keeps none),
   * `maxAdapters` the adapter versions it keeps loaded (default 64, least recently used evicted);
   * a worker that dies is started again after `restartDelayMs` (1 s, doubling up to 30 s while it
   * keeps failing).
   */
  static async start(
    model: string,
    options: {
      maxBatch?: number;
      adapterDirectory?: string;
      prefixCacheBytes?: number;
      maxAdapters?: number;
      restartDelayMs?: number;
    } = {},
  ): Promise<EngineClient> {
    const maxAdapters = options.maxAdapters ?? 64;
    if (!Number.isInteger(maxAdapters) || maxAdapters < 1)
      throw new ValidationError(`maxAdapters must be a whole number ≥ 1, not ${maxAdapters}`, {
        code: 'ENGINE_BAD_OPTION',
        hint: 'Give how many adapter versions the engine keeps loaded (--max-adapters; default 64).',
      });
    const workerData: EngineWorkerSettings = {
      model,
      maxBatch: options.maxBatch ?? 8,
      adapterDirectory: options.adapterDirectory ?? join(tmpdir(), 'promptune-adapters'),
      prefixCacheBytes: options.prefixCacheBytes,
      maxAdapters,
    };
    return new EngineClient(workerData, options.restartDelayMs ?? 1000, await launch(workerData));
  }

  /** The adapter versions the worker keeps loaded, as it last said (none after a restart). */
  get adapters(): LoadedAdapters {
    return { ...this.loadedAdapters };
  }

  /** The prompt prefixes the worker keeps for reuse, as it last said (none after a restart). */
  get prefixes(): KeptPrefixes {
    return { ...this.keptPrefixes };
  }

  /** Whether the worker is up (false while it restarts). */
  get ready(): boolean {
    return this.alive;
  }

  private attach(worker: Worker): void {
    this.worker = worker;
    this.alive = true;
    worker.on('message', (message: FromWorker) => this.receive(message));
    worker.on('error', (error: Error) => this.lost(worker, error));
    worker.on('exit', () => this.lost(worker, new Error('the engine worker exited')));
  }

  /** The worker died: fail what it held, and start another one unless closing. */
  private lost(worker: Worker, error: Error): void {
    if (worker !== this.worker || !this.alive) return; // 'error' and 'exit' both come
    this.alive = false;
    this.failAll(restarting(error.message));
    if (!this.closing) this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const delay = Math.min(30_000, this.restartDelayMs * 2 ** this.restarts++);
    setTimeout(() => {
      launch(this.workerData).then(
        ({ worker }) => {
          if (this.closing) return void worker.terminate();
          this.sent.clear(); // a new worker has seen no adapter files
          this.loadedAdapters = { ...this.loadedAdapters, loaded: 0, bytes: 0, evicted: 0 };
          this.keptPrefixes = { ...this.keptPrefixes, bytes: 0, prefixes: 0, evicted: 0 };
          this.restarts = 0;
          this.attach(worker);
        },
        () => this.closing || this.scheduleRestart(),
      );
    }, delay).unref();
  }

  /** Generates for a prompt, with an optional soft prompt; `onDelta` receives text as it is produced. */
  async generate(
    request: {
      prompt: LanguageModelV3CallOptions['prompt'];
      raw: boolean;
      softPrompt?: SoftPromptSource;
      options: EngineOptions;
    },
    onDelta?: (delta: string, counts: StreamedTokens) => void,
    signal?: AbortSignal,
  ): Promise<EngineResult> {
    return this.send(request, onDelta, signal, true);
  }

  /** generate, sending a soft prompt's files again once (`resend`) when the worker has lost them. */
  private async send(
    request: Parameters<EngineClient['generate']>[0],
    onDelta: ((delta: string, counts: StreamedTokens) => void) | undefined,
    signal: AbortSignal | undefined,
    resend: boolean,
  ): Promise<EngineResult> {
    const source = request.softPrompt;
    if (!source) return this.post(request, undefined, onDelta, signal);
    if (!this.sent.has(source.key)) {
      if (typeof source.files !== 'function') {
        this.sent.add(source.key);
        return this.post(request, { key: source.key, files: source.files }, onDelta, signal);
      }
      // concurrent requests for a key share one read, and each stops waiting for it when its client leaves
      // (one whose client has left already starts none)
      if (signal?.aborted) throw new AbandonedGeneration(signal.reason, undefined);
      const read = await untilAborted(this.read(source.key, source.files), signal);
      // the first of them to resume sends the files; the worker has them before any request naming the
      // key alone, which the others send after (messages reach the worker in order)
      if (!this.sent.has(source.key)) {
        this.sent.add(source.key);
        // files that cannot be read now (the registry away) may still be on the worker's disk from an
        // earlier send: it is asked for the key alone, and the read's failure is what the caller hears if not
        return 'files' in read
          ? this.post(request, { key: source.key, files: read.files }, onDelta, signal)
          : this.post(request, { key: source.key }, onDelta, signal, { failure: read.failure });
      }
    }
    return this.post(request, { key: source.key }, onDelta, signal).catch((error: unknown) => {
      // the worker no longer has its folder (removed past its bound by a service sharing the folder, or
      // by a cleaner of temporary files): sent again at once, the key now forgotten, not failed
      if (!resend || (error as { code?: string } | null)?.code !== 'ENGINE_UNKNOWN_PROMPT') throw error;
      return this.send(request, onDelta, signal, false);
    });
  }

  /**
   * The read of a key's files in progress, or a new one: it goes on when the requests waiting for it
   * leave (a later request for the key may still take its result) and is forgotten once it settles.
   */
  private read(key: string, reader: () => Promise<AdapterFiles>): Promise<FilesRead> {
    const reading = this.reads.get(key);
    if (reading) return reading;
    // a reader that throws at once fails like one whose promise rejects
    const started = Promise.resolve()
      .then(reader)
      .then(
        (files): FilesRead => ({ files }),
        (failure: unknown): FilesRead => ({ failure }),
      )
      .finally(() => this.reads.delete(key));
    this.reads.set(key, started);
    return started;
  }

  /** Posts a generation to the worker (a soft prompt's files only when `softPrompt` carries them). */
  private post(
    request: { prompt: LanguageModelV3CallOptions['prompt']; raw: boolean; options: EngineOptions },
    softPrompt: SoftPromptReference | undefined,
    onDelta: ((delta: string, counts: StreamedTokens) => void) | undefined,
    signal: AbortSignal | undefined,
    /** Its files could not be read: the worker is asked for the key alone, and this is the failure if it has not got it. */
    unread?: { failure: unknown },
  ): Promise<EngineResult> {
    const key = softPrompt?.key;
    // the worker may not have stored the adapter this request was the first to name (or one sent before):
    // the next request for it sends the files again instead of failing until a restart
    const first = softPrompt?.files !== undefined || unread !== undefined;
    const forget = () => key !== undefined && this.sent.delete(key);
    if (signal?.aborted || !this.alive) {
      if (first) forget();
      return Promise.reject(
        signal?.aborted
          ? new AbandonedGeneration(signal.reason, undefined)
          : restarting('it is starting again'),
      );
    }
    const id = this.next++;
    const message: ToWorker = {
      type: 'generate',
      id,
      prompt: request.prompt,
      raw: request.raw,
      softPrompt,
      options: request.options,
    };
    return new Promise((resolve, reject) => {
      // an aborted request fails here at once and leaves the engine's batch at its next step
      const onAbort = () => {
        const waiting = this.waiting.get(id);
        if (!waiting || !this.waiting.delete(id)) return;
        this.worker.postMessage({ type: 'cancel', id } satisfies ToWorker);
        reject(new AbandonedGeneration(signal!.reason, waiting.spent));
      };
      const settled = () => signal?.removeEventListener('abort', onAbort);
      this.waiting.set(id, {
        resolve: (result) => (settled(), resolve(result)),
        reject: (error) => {
          settled();
          const unknown = (error as { code?: string } | null)?.code === 'ENGINE_UNKNOWN_PROMPT';
          if (first || unknown) forget();
          reject(unknown && unread ? unread.failure : error);
        },
        onDelta,
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.worker.postMessage(message);
    });
  }

  /**
   * The engine as an AI SDK model (decoding under providerOptions.promptune.constrain when given): with a soft prompt, the last messages' text continues after it;
   * without, hard prompts go through the chat template unless providerOptions.promptune.raw.
   */
  languageModel(softPrompt?: SoftPromptSource): LanguageModelV3 {
    const call = (
      options: LanguageModelV3CallOptions,
      onDelta?: (delta: string, counts: StreamedTokens) => void,
    ) =>
      this.generate(
        {
          prompt: options.prompt,
          raw: options.providerOptions?.promptune?.raw === true,
          softPrompt,
          options: { ...engineGenerationOptions(options), constrain: requestedConstraint(options) },
        },
        onDelta,
        options.abortSignal,
      );
    return {
      specificationVersion: 'v3',
      provider: 'promptune.local',
      // what answers: the model, and the soft prompt or adapter by its key (which keys the response
      // cache and the evaluation journal: two adapters on one model must not share answers)
      modelId: softPrompt ? `${this.info.name}+${softPrompt.key}` : this.info.name,
      supportedUrls: {},
      async doGenerate(options) {
        const result = await call(options);
        return {
          content: [{ type: 'text', text: result.text }],
          finishReason: languageModelFinishReason(result.finishReason),
          usage: languageModelUsage(result.inputTokens, result.outputTokens, result.cachedTokens),
          warnings: [],
          ...marginMetadata(result.margin),
        };
      },
      async doStream(options) {
        return { stream: textPartStream((onDelta) => call(options, onDelta)) };
      },
    };
  }

  /**
   * Stops the worker for good (requests still waiting fail): it is asked to leave once its threads are
   * idle (see engine-worker's close), and terminated if it has not left within 10 s.
   */
  async close(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    if (!this.alive) return void (await worker.terminate());
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ type: 'close' } satisfies ToWorker);
    const timer = setTimeout(() => void worker.terminate(), 10_000);
    await exited;
    clearTimeout(timer);
  }

  private receive(message: FromWorker): void {
    if (message.type === 'ready' || message.type === 'failed') return;
    if (message.type === 'adapters') {
      this.loadedAdapters = message.adapters;
      return;
    }
    if (message.type === 'prefixes') {
      this.keptPrefixes = message.prefixes;
      return;
    }
    const waiting = this.waiting.get(message.id);
    if (!waiting) return;
    if (message.type === 'delta') {
      waiting.spent = { inputTokens: message.inputTokens, outputTokens: message.outputTokens };
      waiting.onDelta?.(message.delta, waiting.spent);
    } else {
      this.waiting.delete(message.id);
      if (message.type === 'done') {
        this.onResult?.(message);
        waiting.resolve(message);
      } else waiting.reject(rebuild(message.error));
    }
  }

  private failAll(error: unknown): void {
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}

/** The error class of a failure's kind, as it was in the worker. */
function rebuild(failure: EngineFailure): ValidationError | NotFoundError | ConflictError | EngineError {
  const options = { code: failure.code, hint: failure.hint ?? 'See the service log.' };
  if (failure.kind === 'validation') return new ValidationError(failure.message, options);
  if (failure.kind === 'not-found') return new NotFoundError(failure.message, options);
  if (failure.kind === 'conflict') return new ConflictError(failure.message, options);
  const inWorker = new Error(failure.message);
  inWorker.stack = failure.stack ?? inWorker.stack;
  return new EngineError(`the engine failed: ${failure.message}`, { ...options, cause: inWorker });
}

function restarting(reason: string): UnavailableError {
  return new UnavailableError(`the local engine stopped (${reason})`, {
    code: 'ENGINE_RESTARTING',
    hint: 'The engine restarts by itself; retry in a few seconds.',
  });
}

/** The decoding constraint a call asks for (providerOptions.promptune.constrain), read through its schema. */
function requestedConstraint(options: LanguageModelV3CallOptions): ConstraintSpec | undefined {
  const value = options.providerOptions?.promptune?.constrain;
  if (value === undefined) return undefined;
  return parseInput(constraintSpec, value, {
    where: 'providerOptions.promptune.constrain',
    code: 'CONSTRAINT_INVALID',
    hint: 'Give {kind: choice, choices}, {kind: regex, pattern} or {kind: json-schema, schema}.',
  });
}
