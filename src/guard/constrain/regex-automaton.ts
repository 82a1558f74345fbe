// A regular expression (JavaScript syntax, read by code point as with the `u` flag) compiled to a
// character automaton: a Thompson NFA whose states the automaton tracks as sets (subset construction,
// built lazily and memoised). NFA states from which no match is reachable are dropped, so every live
// state can still be completed. Matches the whole text, or anywhere in it with `search` (JSON Schema's
// `pattern`). No backreferences, lookaround or case-insensitive matching.
import { ValidationError } from '../../errors/index.js';
import { anyCharacter, contains, intersects, type CharacterSet } from './_character-set.js';
import { parseRegex, supportedRegexSyntax, type RegexBranch, type RegexNode } from './_regex-syntax.js';
import type { CharacterAutomaton } from './character-automaton.js';

/** A set of NFA states; `key` is the sorted set. Treat as immutable. */
export interface RegexState {
  readonly key: string;
  readonly accepting: boolean;
  readonly canContinue: boolean;
  /** The fewest characters that complete a match from here. */
  readonly shortestCompletion: number;
}

/** A regex automaton: a character automaton that also knows the shortest completion of a state. */
export interface RegexAutomaton extends CharacterAutomaton<RegexState> {
  shortestCompletion(state: RegexState): number;
  /**
   * stepsWithin, with the match to be completed in at most `completion` characters counting the one
   * stepped (a JSON string's pattern under its maxLength): exact, as `step` then `shortestCompletion`.
   */
  stepsWithin(state: RegexState, low: number, high: number, completion?: number): boolean;
}

/** Options of `regexAutomaton`. */
export interface RegexAutomatonOptions {
  /** Regex flags: only `u` (implied) and `s` (`.` matches newlines) are supported. Default ''. */
  flags?: string;
  /** True: the text must contain a match (JavaScript's `test`), unless anchored. False: the whole text matches. */
  search?: boolean;
}

interface InternalState extends RegexState {
  readonly nodes: Int32Array;
  readonly transitions: Map<number, InternalState | null>;
}

const largestNfa = 200_000;
const largestStateTable = 20_000;

/** Compiles a regular expression to a character automaton matching the whole text (or, with `search`, containing a match). */
export function regexAutomaton(pattern: string, options: RegexAutomatonOptions = {}): RegexAutomaton {
  const flags = options.flags ?? '';
  if (!/^[us]*$/.test(flags)) {
    throw new ValidationError(
      `Regular expression flags "${flags}" are not supported in a decoding constraint`,
      {
        code: 'CONSTRAINT_UNSUPPORTED',
        hint: supportedRegexSyntax,
      },
    );
  }
  checkSyntax(pattern, flags);
  const branches = parseRegex(pattern, flags.includes('s'));
  const nfa = buildNfa(pattern, branches, options.search ?? false);
  return subsetAutomaton(pattern, nfa);
}

function checkSyntax(pattern: string, flags: string): void {
  const errors: string[] = [];
  for (const mode of ['u', '']) {
    try {
      new RegExp(pattern, flags.replace('u', '') + mode);
      return;
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  throw new ValidationError(`Invalid regular expression /${pattern}/: ${errors[0]}`, {
    code: 'CONSTRAINT_INVALID',
    hint: 'Write the pattern in JavaScript regular expression syntax, without the enclosing slashes.',
  });
}

/** A Thompson NFA: a node consumes one character of `sets[id]` (moving to `next[id]`), or moves on epsilon edges. */
interface Nfa {
  start: number;
  match: number;
  sets: (CharacterSet | undefined)[];
  next: number[];
  epsilon: number[][];
}

function buildNfa(pattern: string, branches: RegexBranch[], search: boolean): Nfa {
  const nfa: Nfa = { start: 0, match: 0, sets: [], next: [], epsilon: [] };
  const add = (set: CharacterSet | undefined, next: number, epsilon: number[]): number => {
    if (nfa.sets.length >= largestNfa) {
      throw new ValidationError(`Regular expression /${pattern}/ is too large to compile for decoding`, {
        code: 'CONSTRAINT_UNSUPPORTED',
        hint: 'Use smaller repeat counts ({m,n}) or fewer nested repeats.',
      });
    }
    nfa.sets.push(set);
    nfa.next.push(next);
    nfa.epsilon.push(epsilon);
    return nfa.sets.length - 1;
  };
  // continuation-passing: compile(node, next) is the start of an NFA matching node, then continuing at next
  const compile = (node: RegexNode, next: number): number => {
    switch (node.type) {
      case 'set':
        return add(node.set, next, []);
      case 'sequence':
        return node.items.reduceRight((after, item) => compile(item, after), next);
      case 'alternation':
        return add(
          undefined,
          -1,
          node.options.map((option) => compile(option, next)),
        );
      case 'repeat': {
        let start = next;
        if (node.max === Infinity) {
          const loop = add(undefined, -1, []);
          nfa.epsilon[loop] = [compile(node.item, loop), next];
          start = loop;
        } else {
          for (let i = node.min; i < node.max; i++)
            start = add(undefined, -1, [compile(node.item, start), next]);
        }
        for (let i = 0; i < node.min; i++) start = compile(node.item, start);
        return start;
      }
    }
  };
  nfa.match = add(undefined, -1, []);
  const anything: RegexNode = {
    type: 'repeat',
    item: { type: 'set', set: anyCharacter },
    min: 0,
    max: Infinity,
  };
  const starts = branches.map((branch) => {
    const items = [branch.node];
    if (search && !branch.anchoredStart) items.unshift(anything);
    if (search && !branch.anchoredEnd) items.push(anything);
    return compile({ type: 'sequence', items }, nfa.match);
  });
  nfa.start = starts.length === 1 ? starts[0] : add(undefined, -1, starts);
  return nfa;
}

/** The fewest characters from each NFA node to the match (Infinity: the match is unreachable). */
function distancesToMatch(nfa: Nfa): Float64Array {
  const count = nfa.sets.length;
  const incoming: number[][] = Array.from({ length: count }, () => []);
  for (let node = 0; node < count; node++) {
    const set = nfa.sets[node];
    if (set) {
      if (set.length > 0) incoming[nfa.next[node]].push(node);
    } else for (const target of nfa.epsilon[node]) incoming[target].push(node);
  }
  const distance = new Float64Array(count).fill(Infinity);
  distance[nfa.match] = 0;
  // 0-1 breadth-first search backwards: epsilon edges cost 0, character edges 1
  const deque: number[] = [nfa.match];
  let head = 0;
  const front: number[] = [];
  while (front.length > 0 || head < deque.length) {
    const node = front.length > 0 ? front.pop()! : deque[head++];
    for (const source of incoming[node]) {
      const cost = nfa.sets[source] ? 1 : 0;
      if (distance[node] + cost < distance[source]) {
        distance[source] = distance[node] + cost;
        if (cost === 0) front.push(source);
        else deque.push(source);
      }
    }
  }
  return distance;
}

function subsetAutomaton(pattern: string, nfa: Nfa): RegexAutomaton {
  const distance = distancesToMatch(nfa);
  const table = new Map<string, InternalState>();
  const mark = new Int32Array(nfa.sets.length);
  let generation = 0;

  // the live character nodes (and the match) reachable from `starts` on epsilon edges, as a state
  const closure = (starts: number[]): InternalState | null => {
    generation++;
    const found: number[] = [];
    const stack = starts.slice();
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (mark[node] === generation || distance[node] === Infinity) continue;
      mark[node] = generation;
      if (nfa.sets[node] || node === nfa.match) found.push(node);
      else for (const target of nfa.epsilon[node]) stack.push(target);
    }
    if (found.length === 0) return null;
    found.sort((a, b) => a - b);
    const key = found.join(',');
    const known = table.get(key);
    if (known) return known;
    if (table.size >= largestStateTable) table.clear();
    let shortest = Infinity;
    for (const node of found) shortest = Math.min(shortest, distance[node]);
    const state: InternalState = {
      key,
      nodes: Int32Array.from(found),
      accepting: found.includes(nfa.match),
      canContinue: found.some((node) => node !== nfa.match),
      shortestCompletion: shortest,
      transitions: new Map(),
    };
    table.set(key, state);
    return state;
  };

  const initial = closure([nfa.start]);
  if (!initial) {
    throw new ValidationError(`Regular expression /${pattern}/ matches no text`, {
      code: 'CONSTRAINT_INVALID',
      hint: 'A constraint must allow at least one output; check character classes such as [] that match nothing.',
    });
  }
  return {
    initial,
    step(state, character) {
      const internal = state as InternalState;
      const codePoint = character.codePointAt(0)!;
      let next = internal.transitions.get(codePoint);
      if (next === undefined) {
        const targets: number[] = [];
        for (const node of internal.nodes) {
          const set = nfa.sets[node];
          if (set && contains(set, codePoint)) targets.push(nfa.next[node]);
        }
        next = targets.length > 0 ? closure(targets) : null;
        internal.transitions.set(codePoint, next);
      }
      return next ?? undefined;
    },
    // exact: every node of a live state can still complete a match, so a character its set takes steps,
    // and a node's distance is that character and the fewest after it
    stepsWithin(state, low, high, completion = Infinity) {
      for (const node of (state as InternalState).nodes) {
        const set = nfa.sets[node];
        if (set && distance[node] <= completion && intersects(set, low, high)) return true;
      }
      return false;
    },
    accepting: (state) => state.accepting,
    canContinue: (state) => state.canContinue,
    key: (state) => state.key,
    shortestCompletion: (state) => state.shortestCompletion,
  };
}
