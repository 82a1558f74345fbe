// Messages between the service (main thread) and the engine worker. Private to src/serve.
import type { LanguageModelV3Prompt } from '@ai-sdk/provider';

/** A soft prompt by registry version id, with its adapter files the first time the worker sees it. */
export interface SoftPromptReference {
  key: string;
  files?: { config: Record<string, unknown>; metadata: Record<string, unknown>; safetensors: Uint8Array };
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
  model: string;
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

export type FromWorker =
  | { type: 'ready'; info: EngineInfo }
  | { type: 'failed'; error: { message: string; code?: string; hint?: string } }
  | { type: 'delta'; id: number; delta: string }
  | ({ type: 'done'; id: number } & EngineResult)
  | { type: 'error'; id: number; error: { message: string; code?: string; hint?: string } };
