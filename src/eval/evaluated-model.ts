// The model an evaluation or optimization calls, as the harness and its meters see it, and the token
// usage of one call. Types only, so the harness and the metered model share them without importing
// each other.
import type { LanguageModelV3 } from '@ai-sdk/provider';

/** Input and output tokens of one call. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** The model under evaluation, with the name it was given. */
export interface EvaluatedModel {
  name: string;
  provider: string;
  modelId: string;
  model: LanguageModelV3;
  /** The server asked, for providers that take one (ResolvedModel's); part of a cached answer's key. */
  endpoint?: string;
  /**
   * Told of each answer replayed from a cache or a journal instead of a call (budgets credit what a
   * killed run spent this way).
   */
  replayed?: (usage: TokenUsage) => void;
}
