// The frames of the JSON Schema automaton and how one character moves them: each frame is where one
// value (or the document) stands, and points to the frame to resume once that value ends. Frames are
// immutable; keys are canonical (a string's length appears only where a bound needs it, an array's
// count likewise) so that equivalent states share one memoised token mask. No schema compiling here.
import { childWithin, type ChoiceNode } from './choice-automaton.js';
import type { RegexState } from './regex-automaton.js';
import { isDigit, nextNumberPhase, numberEnds, numberStart, ZERO } from './_json-number.js';
import {
  flatShapes,
  keysFrom,
  requiresFrom,
  type ArrayShape,
  type KeyTrie,
  type LiteralShape,
  type NumberShape,
  type ObjectShape,
  type StringShape,
  type ValueUnion,
} from './_json-schema-shapes.js';

/** Settings of a reading. */
export interface Reading {
  maxWhitespace: number;
}

type ObjectPhase = 'open' | 'colon' | 'value' | 'after' | 'comma';
type ArrayPhase = 'open' | 'after' | 'comma';

/** One stack of the pushdown automaton, by its top frame; `parent` is the frame to resume after this value. */
export type Frame =
  | { kind: 'document'; key: string; parent: undefined; root: ValueUnion; spaces: number }
  | { kind: 'end'; key: string; parent: undefined }
  // object: `index` is the next property that may come (open, after, comma) or the current one (colon, value)
  | {
      kind: 'object';
      key: string;
      parent: Frame;
      shape: ObjectShape;
      phase: ObjectPhase;
      index: number;
      spaces: number;
    }
  | {
      kind: 'key';
      key: string;
      parent: Frame;
      shape: ObjectShape;
      index: number;
      trie: KeyTrie;
      node: ChoiceNode;
    }
  | {
      kind: 'array';
      key: string;
      parent: Frame;
      shape: ArrayShape;
      phase: ArrayPhase;
      count: number;
      spaces: number;
    }
  // string: escape 0 none, 1 after a backslash, 2 after \u, 3 and 6 (first digit d) 4 5 after 1, 2, 3 digits
  | {
      kind: 'string';
      key: string;
      parent: Frame;
      shape: StringShape;
      length: number;
      escape: number;
      pattern: RegexState | undefined;
    }
  | { kind: 'number'; key: string; parent: Frame; shape: NumberShape; phase: number }
  | { kind: 'literal'; key: string; parent: Frame; shape: LiteralShape; node: ChoiceNode };

const end: Frame = { kind: 'end', key: 'e', parent: undefined };

const escapes = new Map<number, string>(
  [...'"\\/bfnrt'].map((letter, i) => [letter.charCodeAt(0), '"\\/\b\f\n\r\t'[i]]),
);
const escapedCharacters = [...escapes.values()];

const isWhitespace = (code: number) => code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
const hexValue = (code: number) =>
  isDigit(code)
    ? code - 0x30
    : code >= 0x61 && code <= 0x66
      ? code - 0x57
      : code >= 0x41 && code <= 0x46
        ? code - 0x37
        : -1;

function objectFrame(
  parent: Frame,
  shape: ObjectShape,
  phase: ObjectPhase,
  index: number,
  spaces: number,
): Frame {
  return {
    kind: 'object',
    key: `o${shape.id}.${phase}.${index}.${spaces}>${parent.key}`,
    parent,
    shape,
    phase,
    index,
    spaces,
  };
}

function keyFrame(parent: Frame, shape: ObjectShape, index: number, trie: KeyTrie, node: ChoiceNode): Frame {
  return {
    kind: 'key',
    key: `k${shape.id}.${index}.${node.id}>${parent.key}`,
    parent,
    shape,
    index,
    trie,
    node,
  };
}

function arrayFrame(
  parent: Frame,
  shape: ArrayShape,
  phase: ArrayPhase,
  count: number,
  spaces: number,
): Frame {
  // past minItems the count matters only under a maxItems
  const canonical = shape.maxItems === Infinity ? Math.min(count, shape.minItems) : count;
  return {
    kind: 'array',
    key: `a${shape.id}.${phase}.${canonical}.${spaces}>${parent.key}`,
    parent,
    shape,
    phase,
    count: canonical,
    spaces,
  };
}

function stringFrame(
  parent: Frame,
  shape: StringShape,
  length: number,
  escape: number,
  pattern: RegexState | undefined,
): Frame {
  const key = `s${shape.id}.${length}.${escape}.${pattern ? pattern.key : ''}>${parent.key}`;
  return { kind: 'string', key, parent, shape, length, escape, pattern };
}

function numberFrame(parent: Frame, shape: NumberShape, phase: number): Frame {
  return { kind: 'number', key: `n${shape.id}.${phase}>${parent.key}`, parent, shape, phase };
}

/** A literal moved to `node`: a finished literal (a leaf) resumes its parent at once. */
function literalOrParent(parent: Frame, shape: LiteralShape, node: ChoiceNode): Frame {
  if (node.terminal && node.children.size === 0) return parent;
  return { kind: 'literal', key: `l${shape.id}.${node.id}>${parent.key}`, parent, shape, node };
}

/** The frame after a string reads one more (decoded) character, or undefined when the string cannot take it. */
function stringCharacter(frame: Frame & { kind: 'string' }, character: string): Frame | undefined {
  const { shape } = frame;
  const length = frame.length + 1;
  if (length > shape.maxLength) return undefined;
  let pattern = frame.pattern;
  if (shape.pattern) {
    pattern = shape.pattern.step(pattern!, character);
    if (!pattern) return undefined;
    if (length + pattern.shortestCompletion > shape.maxLength) return undefined;
  }
  // without a maxLength, the length matters only until minLength is reached
  const canonical = shape.maxLength === Infinity ? Math.min(length, shape.minLength) : length;
  if (canonical === frame.length && pattern === frame.pattern && frame.escape === 0) return frame;
  return stringFrame(frame.parent, shape, canonical, 0, pattern);
}

/** Pushes the frames that start a value of `union` with `code`, resuming `parent` after it. */
function startValue(union: ValueUnion, code: number, parent: Frame, out: Frame[]): void {
  for (const shape of flatShapes(union)) {
    switch (shape.kind) {
      case 'object':
        if (code === 0x7b) out.push(objectFrame(parent, shape, 'open', 0, 0));
        break;
      case 'array':
        if (code === 0x5b) out.push(arrayFrame(parent, shape, 'open', 0, 0));
        break;
      case 'string':
        if (code === 0x22) out.push(stringFrame(parent, shape, 0, 0, shape.pattern?.initial));
        break;
      case 'number': {
        const phase = numberStart(code, shape.negative);
        if (phase >= 0) out.push(numberFrame(parent, shape, phase));
        break;
      }
      case 'literal': {
        const child = shape.root.children.get(code);
        if (child) out.push(literalOrParent(parent, shape, child));
      }
    }
  }
}

/** Pushes every frame `frame` moves to on `code` (`character` is the same code point as a string). */
export function stepFrame(
  reading: Reading,
  frame: Frame,
  code: number,
  character: string,
  out: Frame[],
): void {
  const spaced = isWhitespace(code);
  switch (frame.kind) {
    case 'document':
      if (spaced) {
        if (frame.spaces < reading.maxWhitespace)
          out.push({ ...frame, key: `d${frame.spaces + 1}`, spaces: frame.spaces + 1 });
      } else startValue(frame.root, code, end, out);
      return;
    case 'end':
      return;
    case 'object': {
      const { shape, phase, index, parent } = frame;
      if (spaced) {
        if (frame.spaces < reading.maxWhitespace)
          out.push(objectFrame(parent, shape, phase, index, frame.spaces + 1));
        return;
      }
      if (phase === 'value') {
        startValue(
          shape.properties[index].value,
          code,
          objectFrame(parent, shape, 'after', index + 1, 0),
          out,
        );
      } else if (phase === 'colon') {
        if (code === 0x3a) out.push(objectFrame(parent, shape, 'value', index, 0));
      } else if (code === 0x7d && phase !== 'comma') {
        if (!requiresFrom(shape, index)) out.push(parent);
      } else if (code === 0x2c && phase === 'after') {
        if (keysFrom(shape, index)) out.push(objectFrame(parent, shape, 'comma', index, 0));
      } else if (code === 0x22 && phase !== 'after') {
        const trie = keysFrom(shape, index);
        const node = trie?.root.children.get(code);
        if (node) out.push(keyFrame(parent, shape, index, trie!, node));
      }
      return;
    }
    case 'key': {
      const node = frame.node.children.get(code);
      if (!node) return;
      if (node.terminal)
        out.push(objectFrame(frame.parent, frame.shape, 'colon', frame.trie.propertyAt.get(node.id)!, 0));
      else out.push(keyFrame(frame.parent, frame.shape, frame.index, frame.trie, node));
      return;
    }
    case 'array': {
      const { shape, phase, count, parent } = frame;
      if (spaced) {
        if (frame.spaces < reading.maxWhitespace)
          out.push(arrayFrame(parent, shape, phase, count, frame.spaces + 1));
        return;
      }
      if (code === 0x5d && phase !== 'comma') {
        if (count >= shape.minItems) out.push(parent);
      } else if (code === 0x2c && phase === 'after') {
        if (count < shape.maxItems) out.push(arrayFrame(parent, shape, 'comma', count, 0));
      } else if (phase !== 'after' && count < shape.maxItems) {
        startValue(shape.items, code, arrayFrame(parent, shape, 'after', count + 1, 0), out);
      }
      return;
    }
    case 'string':
      stepString(frame, code, character, out);
      return;
    case 'number': {
      const next = nextNumberPhase(frame.phase, code, frame.shape.integer);
      if (next >= 0) out.push(next === frame.phase ? frame : numberFrame(frame.parent, frame.shape, next));
      if (numberEnds[frame.phase]) stepFrame(reading, frame.parent, code, character, out);
      return;
    }
    case 'literal': {
      const child = frame.node.children.get(code);
      if (child) out.push(literalOrParent(frame.parent, frame.shape, child));
      if (frame.node.terminal) stepFrame(reading, frame.parent, code, character, out);
      return;
    }
  }
}

function stepString(frame: Frame & { kind: 'string' }, code: number, character: string, out: Frame[]): void {
  const { shape, escape, parent } = frame;
  let next: Frame | undefined;
  if (escape === 0) {
    if (code === 0x22) {
      if (frame.length >= shape.minLength && (!frame.pattern || frame.pattern.accepting)) next = parent;
    } else if (code === 0x5c) {
      const some = !shape.pattern || escapedCharacters.some((decoded) => stringCharacter(frame, decoded));
      if (frame.length < shape.maxLength && some)
        next = stringFrame(parent, shape, frame.length, 1, frame.pattern);
    } else if (code >= 0x20) next = stringCharacter(frame, character);
  } else if (escape === 1) {
    const decoded = escapes.get(code);
    if (decoded !== undefined) next = stringCharacter(frame, decoded);
    else if (code === 0x75 && !shape.pattern) next = stringFrame(parent, shape, frame.length, 2, undefined);
  } else {
    const digit = hexValue(code);
    if (digit < 0 || (escape === 6 && digit >= 8)) return;
    const following = escape === 2 ? (digit === 0xd ? 6 : 3) : escape === 6 ? 4 : escape + 1;
    // the fourth digit ends the escape: one character (never a surrogate) more
    next =
      escape === 5
        ? stringCharacter(frame, 'x')
        : stringFrame(parent, shape, frame.length, following, undefined);
  }
  if (next) out.push(next);
}

/** True when the text may end with this thread as it stands. */
export function canEnd(frame: Frame): boolean {
  if (frame.kind === 'end') return true;
  if (frame.kind === 'number') return numberEnds[frame.phase] && canEnd(frame.parent);
  if (frame.kind === 'literal') return frame.node.terminal && canEnd(frame.parent);
  return false;
}

/** True when some character may follow on this thread. */
export function canGoOn(reading: Reading, frame: Frame): boolean {
  switch (frame.kind) {
    case 'end':
      return false;
    case 'document':
      return flatShapes(frame.root).length > 0 || frame.spaces < reading.maxWhitespace;
    case 'number':
      return frame.phase !== ZERO || !frame.shape.integer || canGoOn(reading, frame.parent);
    case 'literal':
      return frame.node.children.size > 0 || (frame.node.terminal && canGoOn(reading, frame.parent));
    default:
      return true;
  }
}

/**
 * True exactly when some code point from `low` to `high` (at least U+0080: JSON's structure and
 * whitespace are ASCII, so only a string's text, a key or an enum's literal takes one) moves `frame`.
 */
export function frameStepsWithin(frame: Frame, low: number, high: number): boolean {
  switch (frame.kind) {
    case 'key':
      return childWithin(frame.node, low, high);
    case 'literal':
      return (
        childWithin(frame.node, low, high) ||
        (frame.node.terminal && frameStepsWithin(frame.parent, low, high))
      );
    case 'number':
      return numberEnds[frame.phase] && frameStepsWithin(frame.parent, low, high);
    case 'string': {
      if (frame.escape !== 0 || frame.length + 1 > frame.shape.maxLength) return false;
      const pattern = frame.shape.pattern;
      // under a maxLength, the pattern's match must still fit in what is left (as stringCharacter checks)
      return !pattern || pattern.stepsWithin(frame.pattern!, low, high, frame.shape.maxLength - frame.length);
    }
    default:
      return false;
  }
}
