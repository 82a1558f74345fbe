// A JSON Schema as a character automaton over the JSON texts valid against it: a pushdown automaton whose
// state is a set of threads (one per reading that unions and anyOf still allow), each a stack of frames.
// It writes a subset of the valid texts: required properties in `required` order, then optional ones as
// declared, and none beyond `properties`,
// enums as JSON.stringify writes them, integers without fraction or exponent, no surrogate `\u` escapes
// (no `\u` at all under a pattern), bounded whitespace runs, nothing after the value. See the shapes file.
import type { CharacterAutomaton } from './character-automaton.js';
import { compileShapes, flatShapes, type ValueUnion } from './_json-schema-shapes.js';
import { canEnd, canGoOn, frameStepsWithin, stepFrame, type Frame, type Reading } from './_json-frames.js';

/** Where a JSON text stands (inside: the live threads, each a stack of frames). Treat as immutable. */
export interface JsonState {
  readonly key: string;
  readonly accepting: boolean;
  readonly canContinue: boolean;
}

interface ThreadedState extends JsonState {
  readonly threads: readonly Frame[];
}

/** Options of `jsonSchemaAutomaton`. */
export interface JsonSchemaAutomatonOptions {
  /** The longest run of whitespace characters allowed anywhere JSON allows whitespace (default 16). */
  maxWhitespace?: number;
}

/** Compiles a JSON Schema to a character automaton over valid JSON texts (numeric bounds not enforced, oneOf read as anyOf). */
export function jsonSchemaAutomaton(
  schema: unknown,
  options: JsonSchemaAutomatonOptions = {},
): CharacterAutomaton<JsonState> {
  const root: ValueUnion = compileShapes(schema);
  flatShapes(root);
  const reading: Reading = { maxWhitespace: options.maxWhitespace ?? 16 };
  const initial = stateOf([{ kind: 'document', key: 'd', parent: undefined, root, spaces: 0 }]);
  return {
    initial: initial!,
    step(state, character) {
      const codePoint = character.codePointAt(0)!;
      const next: Frame[] = [];
      for (const thread of (state as ThreadedState).threads)
        stepFrame(reading, thread, codePoint, character, next);
      return stateOf(next);
    },
    stepsWithin: (state, low, high) =>
      (state as ThreadedState).threads.some((thread) => frameStepsWithin(thread, low, high)),
    accepting: (state) => state.accepting,
    canContinue: (state) => state.canContinue,
    key: (state) => state.key,
  };

  function stateOf(threads: Frame[]): ThreadedState | undefined {
    if (threads.length === 0) return undefined;
    let unique = threads;
    if (threads.length > 1) {
      const byKey = new Map<string, Frame>();
      for (const thread of threads) byKey.set(thread.key, thread);
      unique = [...byKey.keys()].sort().map((key) => byKey.get(key)!);
    }
    return {
      threads: unique,
      key: unique.length === 1 ? unique[0].key : unique.map((thread) => thread.key).join('|'),
      accepting: unique.some((thread) => canEnd(thread)),
      canContinue: unique.some((thread) => canGoOn(reading, thread)),
    };
  }
}
