// The widths a LoRA file's matrices imply, checked against each other without a model. Each matrix
// shows the width its projection reads (lora_A is [r, in]) or writes (lora_B is [out, r]). In a model
// the engine runs, every layer's projection has one shape, and the projections meet where a layer joins
// them: q, k, v, gate and up read the hidden state that o and down write; o reads q's width; v writes
// k's; down reads gate's and up's. A file that breaks one fits no model, and is refused at push, before
// a service is asked to load it.
import type { Projection } from '../engine/index.js';

/** One matrix's width: `side` is what its projection reads (in, from lora_A) or writes (out, from lora_B). */
export interface LoraWidth {
  tensor: string;
  projection: Projection;
  side: 'in' | 'out';
  size: number;
}

const joins: { what: string; sides: [Projection, 'in' | 'out'][] }[] = [
  {
    what: 'the hidden size',
    sides: [
      ['query', 'in'],
      ['key', 'in'],
      ['value', 'in'],
      ['gate', 'in'],
      ['up', 'in'],
      ['attentionOutput', 'out'],
      ['down', 'out'],
    ],
  },
  {
    what: "the attention heads' width",
    sides: [
      ['query', 'out'],
      ['attentionOutput', 'in'],
    ],
  },
  {
    what: "the key and value heads' width",
    sides: [
      ['key', 'out'],
      ['value', 'out'],
    ],
  },
  {
    what: 'the MLP width',
    sides: [
      ['gate', 'out'],
      ['up', 'out'],
      ['down', 'in'],
    ],
  },
];

const describe = (width: LoraWidth) =>
  `tensor ${width.tensor} ${width.side === 'in' ? `takes ${width.size} inputs` : `gives ${width.size} outputs`}`;

/** The first disagreement among `widths`, in words naming both tensors; undefined when they fit a model. */
export function loraWidthDisagreement(widths: LoraWidth[]): string | undefined {
  const first = new Map<string, LoraWidth>();
  for (const width of widths) {
    const key = `${width.projection}.${width.side}`;
    const earlier = first.get(key);
    if (!earlier) first.set(key, width);
    else if (earlier.size !== width.size)
      return `${describe(width)} where ${describe(earlier)}: a projection has one shape in every layer`;
  }
  for (const join of joins) {
    const present = join.sides.flatMap(([projection, side]) => first.get(`${projection}.${side}`) ?? []);
    const other = present.find((width) => width.size !== present[0].size);
    if (other) return `${describe(other)} where ${describe(present[0])}, and both are ${join.what}`;
  }
  return undefined;
}
