// Tokenizes an (input, target) pair so that the target ids are exactly what follows the input ids in
// the encoding of input + target: tokenizer-agnostic (no dummy-prefix guessing), and it keeps training
// consistent with what the model sees when it generates the target after the input.
import { DatasetError } from '../errors/index.js';
import type { Tokenizer } from '../engine/index.js';
import type { TokenizedExample } from './sequences.js';

/** BOS-first input ids and the target ids that continue them; `where` names the example in errors. */
export function tokenizeExample(
  tokenizer: Tokenizer,
  input: string,
  target: string,
  where: string,
): TokenizedExample {
  if (target.length === 0) {
    throw new DatasetError(`${where}: the target is empty`, {
      code: 'DATASET_EMPTY_TARGET',
      hint: 'Soft prompts learn to produce the target; give every example a non-empty target.',
    });
  }
  const inputIds = tokenizer.encode(input);
  const joint = tokenizer.encode(input + target);
  const prefixMatches = inputIds.every((id, i) => joint[i] === id);
  if (!prefixMatches || joint.length <= inputIds.length) {
    throw new DatasetError(`${where}: the target merges with the end of the input when tokenized`, {
      code: 'DATASET_TOKEN_BOUNDARY',
      hint: 'Start targets with a space (e.g. " dog") or end inputs with punctuation, so the boundary falls between tokens.',
    });
  }
  const bos = tokenizer.bosTokenId !== undefined && inputIds[0] === tokenizer.bosTokenId;
  return { inputIds, targetIds: joint.slice(inputIds.length), bos };
}
