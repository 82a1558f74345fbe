// Messages between the service (main thread) and the engine worker. Private to src/serve. Errors
// cross as plain data with their kind, so the client rebuilds the class that decides the HTTP status.
import type { LanguageModelV3Prompt } from '@ai-sdk/provider';

/** A soft prompt by registry version id, with its adapter files the first time the worker sees it. */
export interface SoftPromptReference {
  key: string;
  /** Its adapter files; `metadata` (promptune.json) is absent for a PEFT adapter, which has none. */
  files?: { config: Record<string, unknown>; metadata?: Record<string, unknown>; safetensors: Uint8Array };
}

/** Generation settings a request may set. */
export interface EngineOptions {
  maxTokens: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  seed?: number;
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

/** What the worker reports once its model is loaded. */
export interface EngineInfo {
  /** The model as given to the worker (a path or hf: reference): for the service's own log only. */
  model: string;
  /** The model's file or folder name (or its hf: reference): safe to show anyone. */
  name: string;
  architecture: string;
  /** Number of weights. */
  parameters: number;
  modelFingerprint: string;
  hiddenSize: number;
  contextLength: number;
}

/** A finished generation, as the worker reports it. */
export interface EngineResult {
  text: string;
  finishReason: 'length' | 'eos' | 'stop';
  inputTokens: number;
  outputTokens: number;
  batchSize: number;
  /** Seconds the request waited in the worker for a row of the batch. */
  queueSeconds: number;
  /** Prompt tokens taken from a cache (a soft prompt's prefix, or a prompt prefix seen before). */
  cachedTokens: number;
}

/**
 * An error as it crosses the worker boundary. `kind` says whose fault it is: `validation` (the request
 * cannot run, e.g. CONTEXT_OVERFLOW: 400), `not-found` (404), or `engine` (the engine failed: 500).
 * `stack` is the worker's, for the service log.
 */
export interface EngineFailure {
  kind: 'validation' | 'not-found' | 'engine';
  message: string;
  code: string;
  hint?: string;
  stack?: string;
}

export type FromWorker =
  | { type: 'ready'; info: EngineInfo }
  | { type: 'failed'; error: EngineFailure }
  | { type: 'delta'; id: number; delta: string }
  | ({ type: 'done'; id: number } & EngineResult)
  | { type: 'error'; id: number; error: EngineFailure };
