// The local engine's confidence in an answer (its first token's log-probability margin over the
// runner-up) as it travels through the AI SDK: written into a result's provider metadata by the engine's
// model (in process, or the service's engine worker), read back by the routes that trace the answer.
// Other backends carry none.
import type { SharedV3ProviderMetadata } from '@ai-sdk/provider';

/** The engine's confidence read back from a result's provider metadata; null when it has none. */
export function engineMargin(metadata: SharedV3ProviderMetadata | undefined): number | null {
  const margin = metadata?.promptune?.margin;
  return typeof margin === 'number' && Number.isFinite(margin) ? margin : null;
}

/** The engine's confidence as AI SDK provider metadata (`promptune.margin`), when it has one. */
export function marginMetadata(margin: number | null | undefined): {
  providerMetadata?: { promptune: { margin: number } };
} {
  return margin === null || margin === undefined ? {} : { providerMetadata: { promptune: { margin } } };
}
