// A soft version's training record in words: numbers rounded, names spelt out, what the page shows
// elsewhere left out, and the size line from the training's count and the registered file's.
import { describe, expect, it } from 'vitest';
import { metadataSections, readableBytes, readableNumber, sizeText, words } from './adapter-details';

// promptune.json of a LoRA as soft train wrote it (its nearest tokens aside)
const lora = {
  baseModel: {
    name: 'stories260K.gguf',
    sha256: 'c33efa01708db47ba9f735726df44c884cb43a78cdb0de81811da8b5d23a0899',
  },
  format: 'promptune-soft-prompt',
  layout: 'peft',
  method: 'lora',
  metrics: { devExactMatch: 0.96875, devLoss: 0.050579207400644755, testExactMatch: 0.9765625 },
  queryKeyOrder: 'rotate-half',
  seed: 0,
  task: 'name',
  tokenizer: {
    kind: 'gguf:llama',
    sha256: '1fd98186749b9cee993e5f7da4c1dd806204e1cc56c9838927639ff8e993daa7',
  },
  training: {
    alpha: 16,
    batchSize: 8,
    bestStep: 20,
    lr: 0.001,
    method: 'lora',
    rank: 8,
    steps: 40,
    targets: 'q,k,v,o,gate,up,down',
    trainableParameters: 22528,
  },
};

describe('a soft version’s details', () => {
  it('reads numbers, bytes and names as people read them', () => {
    expect(readableNumber(22528)).toBe('22,528');
    expect(readableNumber(0.050579207400644755)).toBe('0.05058');
    expect(readableNumber(0.001)).toBe('0.001');
    expect(readableBytes(812)).toBe('812 B');
    expect(readableBytes(4216)).toBe('4.1 KiB');
    expect(readableBytes(90_112_000)).toBe('85.9 MiB');
    expect(words('batchSize')).toBe('batch size');
    expect(words('lr')).toBe('learning rate');
  });

  it('says what training changed and what a service keeps, as far as either was recorded', () => {
    const run = { adapter: { values: 22528, bytes: 91_200 } };
    expect(sizeText(lora, run)).toBe('22,528 parameters trained · 22,528 values in its file (89.1 KiB)');
    // a version registered before the file's count was recorded, and one whose training recorded none
    expect(sizeText(lora, { kind: 'soft-train' })).toBe('22,528 parameters trained');
    expect(sizeText({ training: {} }, run)).toBe('22,528 values in its file (89.1 KiB)');
    expect(sizeText({}, null)).toBeUndefined();
  });

  it('writes the training in words, without what the page shows elsewhere', () => {
    const sections = Object.fromEntries(metadataSections(lora));
    expect(Object.keys(sections)).toEqual(['trained on', 'training', 'recorded']);
    expect(sections['trained on']).toBe(
      'model stories260K.gguf (sha256 c33efa01708d…)\ntokenizer gguf:llama (sha256 1fd98186749b…)',
    );
    // the settings people look for first; rank, alpha and targets are the method's own section
    expect(sections.training).toBe('learning rate 0.001\nbatch size 8\nsteps 40\nbest dev at step 20');
    // the exact-match scores are on the page's scores line; the loss is not
    expect(sections.recorded).toBe(
      'dev loss 0.05058\nlayout peft ([prompt][BOS][input])\nquery and key order rotate-half\nseed 0',
    );
    expect(Object.values(sections).join('\n')).not.toMatch(/promptune-soft-prompt|trainable|[{}]/);
  });

  it('writes nothing for a PEFT adapter pushed without promptune.json', () => {
    expect(metadataSections({})).toEqual([]);
  });
});
