// Budget-aware masks: a state's allowed tokens grouped by the shortest completion each leaves (one
// trie walk per state, cached), so that near the end of a row's budget a mask is the union of the groups
// that still fit, computed without walking the trie again at every step. When no group fits, the
// closest one is allowed, so the output gets as near to complete as the budget permits.
import type { CompletionDistance } from './_completion-distance.js';
import type { InternedState } from './_interned-automaton.js';
import { walkBeside, type VocabularyTrie } from './_vocabulary-trie.js';

/** Allowed token ids by the characters still needed after them, shortest first. */
export interface BudgetProfile {
  readonly distances: number[];
  readonly groups: Int32Array[];
}

/** Walks the trie beside the automaton from `state`, grouping allowed tokens by the distance after them. */
export function budgetProfile(
  trie: VocabularyTrie,
  step: (state: InternedState, code: number) => InternedState | undefined,
  distance: CompletionDistance,
  isEos: Uint8Array,
  state: InternedState,
): BudgetProfile {
  const { tokenStart, tokenEnd, tokenIds } = trie;
  const byDistance = new Map<number, number[]>();
  walkBeside(trie, step, state, (node, next) => {
    if (tokenStart[node] === tokenEnd[node]) return;
    const after = distance.of(next);
    let group = byDistance.get(after);
    if (!group) byDistance.set(after, (group = []));
    for (let t = tokenStart[node]; t < tokenEnd[node]; t++) if (!isEos[tokenIds[t]]) group.push(tokenIds[t]);
  });
  const distances = [...byDistance.keys()].sort((a, b) => a - b);
  return { distances, groups: distances.map((after) => Int32Array.from(byDistance.get(after)!)) };
}

/** The groups allowed with `budget` characters left after this token (the closest group when none fits and the output cannot end here). */
export function budgetAllowed(profile: BudgetProfile, budget: number, accepting: boolean): Int32Array[] {
  const fitting: Int32Array[] = [];
  for (let index = 0; index < profile.distances.length && profile.distances[index] <= budget; index++)
    fitting.push(profile.groups[index]);
  if (fitting.length === 0 && !accepting && profile.groups.length > 0) fitting.push(profile.groups[0]);
  return fitting;
}

let saved = new Float32Array(0);

/** Leaves only the tokens of `groups` and `eos` with their logits; every other logit becomes -Infinity. */
export function applyGroups(logits: Float32Array, groups: readonly Int32Array[], eos: Int32Array): void {
  const total = groups.reduce((sum, group) => sum + group.length, 0) + eos.length;
  if (saved.length < total) saved = new Float32Array(total);
  let at = 0;
  for (const group of groups) for (let i = 0; i < group.length; i++) saved[at++] = logits[group[i]];
  for (let i = 0; i < eos.length; i++) saved[at++] = logits[eos[i]];
  logits.fill(-Infinity);
  at = 0;
  for (const group of groups) for (let i = 0; i < group.length; i++) logits[group[i]] = saved[at++];
  for (let i = 0; i < eos.length; i++) logits[eos[i]] = saved[at++];
}
