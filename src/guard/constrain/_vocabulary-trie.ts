// A vocabulary's token texts as a trie in flat typed arrays (children of a node are contiguous), built
// once per token-text list and shared by every constraint over that vocabulary: walking it beside an
// automaton finds the allowed tokens without stepping any shared prefix twice (walkBeside). The
// automaton's own logic is not here.

/** The trie of a vocabulary's token texts, code point by code point. Node 0 is the root. */
export interface VocabularyTrie {
  /** Number of token ids (the length of the token-text list). */
  readonly size: number;
  /** Per node: its children are the nodes `childStart[node]` to `childEnd[node]` (exclusive). */
  readonly childStart: Int32Array;
  readonly childEnd: Int32Array;
  /** Per node: the code point read to reach it from its parent. */
  readonly code: Int32Array;
  /** Per node: the ids of tokens whose text ends there are `tokenIds[tokenStart[node]..tokenEnd[node])`. */
  readonly tokenStart: Int32Array;
  readonly tokenEnd: Int32Array;
  readonly tokenIds: Int32Array;
  /** Per token id: its code points (undefined: no text, never allowed). */
  readonly tokenCodes: (Int32Array | undefined)[];
}

/** Steps an automaton state by one code point; undefined when dead. */
type Step<State> = (state: State, code: number) => State | undefined;

/**
 * Walks the trie depth first beside an automaton from `start`, skipping dead branches; `visit` sees each
 * live node with the state reached there (its tokens, `tokenIds[tokenStart[node]..tokenEnd[node])`, are
 * the tokens whose whole text steps from `start` to that state).
 */
export function walkBeside<State>(
  trie: VocabularyTrie,
  step: Step<State>,
  start: State,
  visit: (node: number, state: State) => void,
): void {
  const { childStart, childEnd, code } = trie;
  const nodes: number[] = [0];
  const nodeStates: State[] = [start];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const from = nodeStates.pop()!;
    for (let child = childStart[node]; child < childEnd[node]; child++) {
      const next = step(from, code[child]);
      if (next === undefined) continue;
      visit(child, next);
      if (childStart[child] < childEnd[child]) {
        nodes.push(child);
        nodeStates.push(next);
      }
    }
  }
}

const tries = new WeakMap<readonly (string | undefined)[], VocabularyTrie>();
// a child's key in the edge map: its parent times this, plus its code point
const codeSpace = 0x110000;

/** The trie of `texts` (cached per list). */
export function vocabularyTrie(texts: readonly (string | undefined)[]): VocabularyTrie {
  const known = tries.get(texts);
  if (known) return known;
  // first pass: nodes numbered as created, with their parent and code point
  const edges = new Map<number, number>();
  const parents: number[] = [-1];
  const codes: number[] = [0];
  const tokenNode = new Int32Array(texts.length).fill(-1);
  const tokenCodes: (Int32Array | undefined)[] = [];
  texts.forEach((text, id) => {
    if (!text) {
      tokenCodes.push(undefined);
      return;
    }
    const points: number[] = [];
    let node = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.codePointAt(i)!;
      if (code > 0xffff) i++;
      points.push(code);
      const edge = node * codeSpace + code;
      let child = edges.get(edge);
      if (child === undefined) {
        child = parents.length;
        edges.set(edge, child);
        parents.push(node);
        codes.push(code);
      }
      node = child;
    }
    tokenCodes.push(Int32Array.from(points));
    tokenNode[id] = node;
  });

  // second pass: renumber breadth first, so that each node's children take consecutive numbers
  const count = parents.length;
  const childOffsets = new Int32Array(count + 1);
  for (let node = 1; node < count; node++) childOffsets[parents[node] + 1]++;
  for (let node = 0; node < count; node++) childOffsets[node + 1] += childOffsets[node];
  const children = new Int32Array(Math.max(count - 1, 0));
  const filled = childOffsets.slice(0, count);
  for (let node = 1; node < count; node++) children[filled[parents[node]]++] = node;
  const renumbered = new Int32Array(count);
  const order = new Int32Array(count);
  const childStart = new Int32Array(count);
  const childEnd = new Int32Array(count);
  const code = new Int32Array(count);
  let next = 1;
  for (let index = 0; index < count; index++) {
    const old = order[index];
    childStart[index] = next;
    for (let c = childOffsets[old]; c < childOffsets[old + 1]; c++) {
      const child = children[c];
      renumbered[child] = next;
      order[next] = child;
      code[next] = codes[child];
      next++;
    }
    childEnd[index] = next;
  }

  // tokens by the node their text ends at
  const tokenStart = new Int32Array(count + 1);
  let tokenCount = 0;
  for (const node of tokenNode) {
    if (node >= 0) {
      tokenStart[renumbered[node] + 1]++;
      tokenCount++;
    }
  }
  for (let node = 0; node < count; node++) tokenStart[node + 1] += tokenStart[node];
  const tokenEnd = tokenStart.slice(0, count);
  const tokenIds = new Int32Array(tokenCount);
  tokenNode.forEach((node, id) => {
    if (node >= 0) tokenIds[tokenEnd[renumbered[node]]++] = id;
  });
  const trie: VocabularyTrie = {
    size: texts.length,
    childStart,
    childEnd,
    code,
    tokenStart: tokenStart.subarray(0, count),
    tokenEnd,
    tokenIds,
    tokenCodes,
  };
  tries.set(texts, trie);
  return trie;
}
