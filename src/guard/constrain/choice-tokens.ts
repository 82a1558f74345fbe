// A label set at the token level: each choice as the model itself would write it (its canonical token
// sequence when it follows other text), so a constrained label is the label the model ranks first, not
// an odd spelling of it (" b"+"i"+"rd" instead of " b"+"ir"+"d"), and greedy decoding reads the model's
// preference among the labels; the engine may also decide among the whole sequences by likelihood
// (`sequences`). Used when every choice tokenizes cleanly; the character automaton (any spelling) is
// the fallback.
import type { ConstraintState, TokenConstraint, Tokenizer } from '../../engine/index.js';
import { ValidationError } from '../../errors/index.js';

interface TokenNode {
  terminal: boolean;
  children: Map<number, TokenNode>;
}

/** Text the choices are tokenized after (the first whose tokens stay a prefix is used). */
const anchors = ['a', '\n', '.'];

/** A choice's tokens when it follows other text, or undefined when no anchor gives a clean split. */
function canonicalTokens(tokenizer: Tokenizer, choice: string): number[] | undefined {
  for (const anchor of anchors) {
    const before = tokenizer.encode(anchor, { addBos: false });
    const ids = tokenizer.encode(anchor + choice, { addBos: false });
    if (ids.length <= before.length || before.some((id, index) => ids[index] !== id)) continue;
    const rest = ids.slice(before.length);
    if (tokenizer.decode([...before, ...rest]) === tokenizer.decode(before) + choice) return rest;
  }
  return undefined;
}

/** The token-level constraint of `choices`, or undefined when one does not tokenize cleanly. */
export function choiceTokenConstraint(
  choices: readonly string[],
  tokenizer: Tokenizer,
): TokenConstraint | undefined {
  if (choices.length === 0)
    throw new ValidationError('A choice constraint needs at least one choice, found none', {
      code: 'CONSTRAINT_INVALID',
      hint: 'List the labels the output may be, e.g. { kind: "choice", choices: ["yes", "no"] }.',
    });
  const root: TokenNode = { terminal: false, children: new Map() };
  const sequences: number[][] = [];
  for (const choice of choices) {
    const tokens = canonicalTokens(tokenizer, choice);
    if (!tokens) return undefined;
    sequences.push(tokens);
    let node = root;
    for (const token of tokens) {
      let child = node.children.get(token);
      if (!child) node.children.set(token, (child = { terminal: false, children: new Map() }));
      node = child;
    }
    node.terminal = true;
  }
  const eos = tokenizer.eosTokenIds;
  // the engine decides among whole sequences by likelihood; the trie serves token-by-token decoding. A
  // label that begins another (" cat", " cats") would always outscore it (no term for what follows), so
  // such sets decode token by token, where EOS competes with the longer label.
  const nested = sequences.some((a, i) =>
    sequences.some((b, j) => i !== j && a.length <= b.length && a.every((token, k) => b[k] === token)),
  );
  return { start: () => new ChoiceTokenState(root, eos), ...(!nested && { sequences }) };
}

class ChoiceTokenState implements ConstraintState {
  private saved: number[] = [];

  constructor(
    private node: TokenNode,
    private readonly eos: readonly number[],
  ) {}

  get complete(): boolean {
    return this.node.terminal;
  }

  get finished(): boolean {
    return this.node.terminal && this.node.children.size === 0;
  }

  mask(logits: Float32Array): void {
    const keep = [...this.node.children.keys(), ...(this.node.terminal ? this.eos : [])];
    this.saved = keep.map((id) => logits[id]);
    logits.fill(-Infinity);
    keep.forEach((id, index) => (logits[id] = this.saved[index]));
  }

  advance(token: number): void {
    const child = this.node.children.get(token);
    if (child) {
      this.node = child;
      return;
    }
    if (this.node.terminal && this.eos.includes(token)) return;
    throw new ValidationError(`Token ${token} is not allowed by the decoding constraint here`, {
      code: 'CONSTRAINT_VIOLATED',
      hint: 'Advance only past tokens the constraint mask left allowed (apply mask() before sampling).',
    });
  }
}
