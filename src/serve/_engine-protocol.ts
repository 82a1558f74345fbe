// Messages between the service (main thread) and the engine worker. Private to src/serve. Errors
// cross as plain data with their kind, so the client rebuilds the class that decides the HTTP status.
import type { LanguageModelV3Prompt } from '@ai-sdk/provider';
import type {
  EngineInfo,
  EngineOptions,
  EngineResult,
  KeptPrefixes,
  LoadedAdapters,
  SoftPromptReference,
} from './engine-types.js';

/** What the worker is started with (its workerData). */
export interface EngineWorkerSettings {
  model: string;
  maxBatch: number;
  adapterDirectory: string;
  prefixCacheBytes?: number;
  /** The adapter versions kept loaded, least recently used evicted past it. */
  maxAdapters: number;
}

export type ToWorker =
  | {
      type: 'generate';
      id: number;
      prompt: LanguageModelV3Prompt;
      /** Continue the text as is (no chat template). Soft-prompt requests are always raw. */
      raw: boolean;
      softPrompt?: SoftPromptReference;
      options: EngineOptions;
    }
  /** The caller went away: drop the request (from the queue, or from the batch at its next step). */
  | { type: 'cancel'; id: number }
  | { type: 'close' };

/**
 * An error as it crosses the worker boundary. `kind` says whose fault it is: `validation` (the request
 * cannot run, e.g. CONTEXT_OVERFLOW: 400), `not-found` (404), `conflict` (the service's state refuses it:
 * 409, except a version for other weights, whose code makes it a 404, not served here), or `engine` (the
 * engine failed: 500).
 * `stack` is the worker's, for the service log.
 */
export interface EngineFailure {
  kind: 'validation' | 'not-found' | 'conflict' | 'engine';
  message: string;
  code: string;
  hint?: string;
  stack?: string;
}

export type FromWorker =
  | { type: 'ready'; info: EngineInfo }
  | { type: 'failed'; error: EngineFailure }
  /** The loaded adapter versions changed (one loaded, one evicted). */
  | { type: 'adapters'; adapters: LoadedAdapters }
  /** The kept prompt prefixes changed (one computed and kept, maybe others evicted). */
  | { type: 'prefixes'; prefixes: KeptPrefixes }
  /** New text, with the request's token counts so far (a client that leaves still has them traced). */
  | { type: 'delta'; id: number; delta: string; inputTokens: number; outputTokens: number }
  | ({ type: 'done'; id: number } & EngineResult)
  | { type: 'error'; id: number; error: EngineFailure };
