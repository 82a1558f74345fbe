// The vocabulary tokens nearest a served prompt's vectors, as promptune.json records them for the
// dashboard's version page (a soft prompt's, a P-tuning encoder's or a multitask prompt's).
import type { LoadedModel } from '../engine/index.js';
import { nearestTokens, type AdapterMetadata, type SoftPrompt } from '../soft/index.js';

/**
 * The vocabulary tokens nearest each vector of the prompt a version serves, cosines to 4 decimals: what
 * promptune.json records for its page (a P-tuning encoder's or a multitask prompt's, as a soft prompt's).
 */
export function nearestTokensRecord(
  loaded: LoadedModel,
  prompt: SoftPrompt,
): NonNullable<AdapterMetadata['nearestTokens']> {
  return nearestTokens(loaded.model, loaded.tokenizer, prompt, 5).map((tokens) =>
    tokens.map(({ text, cosine }) => ({ text, cosine: Math.round(cosine * 1e4) / 1e4 })),
  );
}
