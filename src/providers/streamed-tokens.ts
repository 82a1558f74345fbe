// How many tokens a stream has spent so far, as the local engine reports them with each text delta
// (providerMetadata.promptune.inputTokens/outputTokens on the part): what a trace records when its
// client leaves, or a guard stops the stream, before the finish part gives the usage. Other backends
// carry none.
import type { SharedV3ProviderMetadata } from '@ai-sdk/provider';

/** A stream's token counts so far. */
export interface StreamedTokens {
  inputTokens: number;
  outputTokens: number;
}

/** The counts as a stream part's provider metadata. */
export function streamedTokensMetadata(counts: StreamedTokens): {
  promptune: { inputTokens: number; outputTokens: number };
} {
  return { promptune: { inputTokens: counts.inputTokens, outputTokens: counts.outputTokens } };
}

/** The counts a part's provider metadata carries; undefined when it carries none. */
export function streamedTokens(metadata: SharedV3ProviderMetadata | undefined): StreamedTokens | undefined {
  const inputTokens = metadata?.promptune?.inputTokens;
  const outputTokens = metadata?.promptune?.outputTokens;
  const count = (value: unknown): value is number =>
    typeof value === 'number' && Number.isInteger(value) && value >= 0;
  return count(inputTokens) && count(outputTokens) ? { inputTokens, outputTokens } : undefined;
}
