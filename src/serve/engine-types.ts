// The public shapes of the engine worker's requests and results: what a soft prompt, generation
// settings, the loaded model and a finished generation look like to the client's callers. The
// messages that carry them between threads are private (_engine-protocol.ts). Types only.
import type { ConstraintSpec } from '../tasks/index.js';

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
  /** Decode under this constraint (compiled in the worker, where the tokenizer is). */
  constrain?: ConstraintSpec;
}

/** What the worker reports once its model is loaded. */
export interface EngineInfo {
  /** The model as given to the worker (a path or hf: reference): for the service's own log only. */
  model: string;
  /** The model's file or folder name (or its hf: reference): safe to show anyone. */
  name: string;
  architecture: string;
  /** Number of weights. */
  parameters: number;
  /** The model's fingerprint (the first of `fingerprints`). */
  modelFingerprint: string;
  /**
   * The fingerprints an adapter trained on these weights may record (its promptune.json's
   * baseModel.sha256): the model's, then an older form's.
   */
  fingerprints: string[];
  hiddenSize: number;
  contextLength: number;
  /** The kernels the engine runs on: `js`, or `native` with the OpenBLAS kernels it chose ("native, OpenBLAS SkylakeX"). */
  kernels: string;
}

/** The adapter versions the engine keeps loaded (least recently used evicted past `limit`). */
export interface LoadedAdapters {
  loaded: number;
  limit: number;
  /** Memory they hold: their prompts, adapter matrices and computed KV prefixes. */
  bytes: number;
  /** Evicted since the worker started (a version asked for again is loaded again from its files). */
  evicted: number;
}

/** The prompt prefixes the engine keeps for reuse (automatic prefix caching). */
export interface KeptPrefixes {
  /** Memory their keys and values hold. */
  bytes: number;
  /** Its byte budget (--prefix-cache; 0 when it keeps none). */
  limit: number;
  prefixes: number;
  /** Evicted since the worker started, least recently used first. */
  evicted: number;
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
  /** The first token's log-probability margin over the runner-up (Generation.margin); null when none. */
  margin: number | null;
}
