// Parses a JavaScript regular expression into a small tree of character sets, sequences, alternations
// and repeats, reading the pattern by code point (as the `u` flag does). It refuses, with
// CONSTRAINT_UNSUPPORTED, what a finite automaton cannot express or this parser does not know:
// backreferences, lookaround, word boundaries, Unicode property classes, anchors inside the pattern.
import { ValidationError } from '../../errors/index.js';
import {
  anyButNewline,
  anyCharacter,
  complement,
  digitCharacters,
  singleCharacter,
  spaceCharacters,
  union,
  wordCharacters,
  type CharacterSet,
} from './_character-set.js';

/** A parsed regular expression. */
export type RegexNode =
  | { type: 'set'; set: CharacterSet }
  | { type: 'sequence'; items: RegexNode[] }
  | { type: 'alternation'; options: RegexNode[] }
  | { type: 'repeat'; item: RegexNode; min: number; max: number };

/** One top-level alternative and whether it was anchored by `^` / `$`. */
export interface RegexBranch {
  node: RegexNode;
  anchoredStart: boolean;
  anchoredEnd: boolean;
}

/** What regular expressions constraints accept, for error hints. */
export const supportedRegexSyntax =
  'Supported: literals, escapes (\\d \\w \\s \\D \\W \\S \\n \\t \\r \\f \\v \\0 \\xHH \\uHHHH \\u{H..} \\cX), `.`, ' +
  'classes with ranges and negation, groups ( ), (?: ), (?<name> ), alternation |, quantifiers * + ? {m} {m,} {m,n} ' +
  '(lazy forms read as greedy), a leading ^ and a trailing $; flags u and s only.';

const largestRepeat = 1000;

function unsupported(pattern: string, what: string): ValidationError {
  return new ValidationError(
    `Regular expression /${pattern}/ uses ${what}, which constrained decoding does not support`,
    {
      code: 'CONSTRAINT_UNSUPPORTED',
      hint: supportedRegexSyntax,
    },
  );
}

/** Parses a pattern (already known to be a valid JavaScript regex) into its top-level branches. */
export function parseRegex(pattern: string, dotAll: boolean): RegexBranch[] {
  const characters = Array.from(pattern, (character) => character.codePointAt(0)!);
  let position = 0;
  const peek = (offset = 0): number | undefined => characters[position + offset];
  const at = (text: string): boolean => {
    for (let i = 0; i < text.length; i++) if (characters[position + i] !== text.charCodeAt(i)) return false;
    return true;
  };
  const code = (character: string): number => character.charCodeAt(0);

  function disjunction(depth: number): RegexBranch[] {
    const branches = [alternative(depth)];
    while (peek() === code('|')) {
      position++;
      branches.push(alternative(depth));
    }
    return branches;
  }

  function alternative(depth: number): RegexBranch {
    const items: RegexNode[] = [];
    let anchoredStart = false;
    let anchoredEnd = false;
    while (position < characters.length && peek() !== code('|') && peek() !== code(')')) {
      if (peek() === code('^')) {
        if (depth > 0 || items.length > 0 || anchoredStart)
          throw unsupported(pattern, 'a `^` inside the pattern');
        anchoredStart = true;
        position++;
        continue;
      }
      if (peek() === code('$')) {
        position++;
        const last = position === characters.length || peek() === code('|');
        if (depth > 0 || !last) throw unsupported(pattern, 'a `$` inside the pattern');
        anchoredEnd = true;
        continue;
      }
      items.push(quantified(atom(depth)));
    }
    const node: RegexNode = items.length === 1 ? items[0] : { type: 'sequence', items };
    return { node, anchoredStart, anchoredEnd };
  }

  function quantified(item: RegexNode): RegexNode {
    let min: number;
    let max: number;
    const next = peek();
    if (next === code('*')) [min, max] = [0, Infinity];
    else if (next === code('+')) [min, max] = [1, Infinity];
    else if (next === code('?')) [min, max] = [0, 1];
    else if (next === code('{')) {
      const rest = String.fromCodePoint(...characters.slice(position, position + 24));
      const match = /^\{(\d+)(,(\d*))?\}/.exec(rest);
      if (!match) return item;
      min = Number(match[1]);
      max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
      if (Math.max(min, max === Infinity ? 0 : max) > largestRepeat) {
        throw unsupported(pattern, `a repeat count over ${largestRepeat}`);
      }
      position += match[0].length - 1;
    } else return item;
    position++;
    if (peek() === code('?')) position++;
    return quantified({ type: 'repeat', item, min, max });
  }

  function atom(depth: number): RegexNode {
    const character = characters[position++];
    if (character === code('.')) return { type: 'set', set: dotAll ? anyCharacter : anyButNewline };
    if (character === code('[')) return { type: 'set', set: bracketClass() };
    if (character === code('\\')) return { type: 'set', set: escape(false) };
    if (character === code('(')) {
      if (at('?:')) position += 2;
      else if (at('?<') && peek(2) !== code('=') && peek(2) !== code('!')) {
        while (peek() !== code('>')) position++;
        position++;
      } else if (peek() === code('?')) throw unsupported(pattern, 'lookaround or inline modifiers');
      const branches = disjunction(depth + 1);
      position++; // ')'
      const nodes = branches.map((branch) => branch.node);
      return nodes.length === 1 ? nodes[0] : { type: 'alternation', options: nodes };
    }
    if (character === code('*') || character === code('+') || character === code('?')) {
      throw unsupported(pattern, 'a quantifier with nothing to repeat');
    }
    return { type: 'set', set: singleCharacter(character) };
  }

  function bracketClass(): CharacterSet {
    const negated = peek() === code('^');
    if (negated) position++;
    const parts: CharacterSet[] = [];
    while (peek() !== code(']')) {
      const low = classAtom();
      if (peek() === code('-') && peek(1) !== code(']') && peek(1) !== undefined) {
        position++;
        const high = classAtom();
        if (low.length === 2 && low[0] === low[1] && high.length === 2 && high[0] === high[1]) {
          parts.push([low[0], high[0]]);
          continue;
        }
        parts.push(low, singleCharacter(code('-')), high);
        continue;
      }
      parts.push(low);
    }
    position++; // ']'
    const set = union(...parts);
    return negated ? complement(set) : set;
  }

  function classAtom(): CharacterSet {
    const character = characters[position++];
    if (character === code('\\')) return escape(true);
    return singleCharacter(character);
  }

  function hexDigits(count: number): number {
    const digits = String.fromCodePoint(...characters.slice(position, position + count));
    if (!new RegExp(`^[0-9a-fA-F]{${count}}$`).test(digits)) return -1;
    position += count;
    return parseInt(digits, 16);
  }

  function escape(inClass: boolean): CharacterSet {
    const letter = String.fromCodePoint(characters[position++]);
    switch (letter) {
      case 'd':
        return digitCharacters;
      case 'D':
        return complement(digitCharacters);
      case 'w':
        return wordCharacters;
      case 'W':
        return complement(wordCharacters);
      case 's':
        return spaceCharacters;
      case 'S':
        return complement(spaceCharacters);
      case 'n':
        return singleCharacter(0x0a);
      case 't':
        return singleCharacter(0x09);
      case 'r':
        return singleCharacter(0x0d);
      case 'f':
        return singleCharacter(0x0c);
      case 'v':
        return singleCharacter(0x0b);
      case '0':
        return singleCharacter(0);
      case 'b':
        if (inClass) return singleCharacter(0x08);
        throw unsupported(pattern, 'a word boundary (\\b)');
      case 'B':
        throw unsupported(pattern, 'a word boundary (\\B)');
      case 'k':
        throw unsupported(pattern, 'a named backreference (\\k)');
      case 'p':
      case 'P':
        throw unsupported(pattern, 'a Unicode property class (\\p)');
      case 'c': {
        const control = peek();
        if (control !== undefined && /[a-zA-Z]/.test(String.fromCodePoint(control))) {
          position++;
          return singleCharacter(control % 32);
        }
        position--;
        return singleCharacter(code('\\'));
      }
      case 'x': {
        const value = hexDigits(2);
        return singleCharacter(value >= 0 ? value : code('x'));
      }
      case 'u': {
        if (peek() === code('{')) {
          const end = characters.indexOf(code('}'), position);
          const value = parseInt(String.fromCodePoint(...characters.slice(position + 1, end)), 16);
          position = end + 1;
          return singleCharacter(value);
        }
        const value = hexDigits(4);
        if (value >= 0xd800 && value <= 0xdbff && at('\\u')) {
          // an escaped surrogate pair is one code point, as with the u flag
          position += 2;
          const low = hexDigits(4);
          if (low >= 0xdc00 && low <= 0xdfff)
            return singleCharacter(0x10000 + ((value - 0xd800) << 10) + (low - 0xdc00));
          position -= low >= 0 ? 6 : 2;
        }
        return singleCharacter(value >= 0 ? value : code('u'));
      }
      default:
        if (/[1-9]/.test(letter)) {
          if (inClass) throw unsupported(pattern, 'an octal escape');
          throw unsupported(pattern, 'a backreference');
        }
        return singleCharacter(letter.codePointAt(0)!);
    }
  }

  return disjunction(0);
}
