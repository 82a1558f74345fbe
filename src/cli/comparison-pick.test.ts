// The line under a comparison's standing that trains its pick for serving: the method as compared, and,
// for a fully fine-tuned pick from a model file soft train cannot write, the copy it needs instead of a
// command soft train would refuse.
import { describe, expect, it } from 'vitest';
import { trainPickLine } from './comparison-pick.js';
import type { TaskStanding } from './comparison-significance.js';

const args = {
  model: '../shared/models/stories260K/stories260K.bin',
  data: '../shared/datasets/name',
  epochs: '2',
  'batch-size': '8',
  seed: '0',
  rank: '8',
  'virtual-tokens': '16',
  'input-field': 'input',
  'target-field': 'target',
};

const serving = { bytesPerTask: 1, extraMultiplyAddsPerToken: 1, sharesModel: true };
const standing = (method: 'lora' | 'full-fine-tuning', name: string): TaskStanding => ({
  task: 'name',
  trainExamples: 64,
  testExamples: 256,
  measure: 'exact match',
  methods: [{ name, method, accuracy: 0.97, interval: [0.94, 0.98], serving }],
  pick: name,
  unpaired: [],
  otherSplit: [],
});

const refusal = {
  message: '../shared/models/stories260K/stories260K.bin is a llama2.c file, which promptune does not write',
  hint: 'Start from the same model as GGUF or as a Hugging Face directory.',
};

describe('trainPickLine', () => {
  it('gives the soft train command of the pick as compared', () => {
    expect(trainPickLine(standing('lora', 'LoRA'), args, { trainSplit: 64 })).toEqual([
      '  To train LoRA for serving as compared: promptune soft train --method lora --rank 8 --model ../shared/models/stories260K/stories260K.bin --data ../shared/datasets/name --epochs 2 --batch-size 8 --seed 0 --out .promptune/soft/name-lora --push',
    ]);
  });

  it('names the copy a fully fine-tuned pick needs when soft train cannot write the model compared', () => {
    // soft train --method full-fine-tuning refuses a llama2.c --model (MODEL_WRITE_UNSUPPORTED): the
    // line must not print that command as the way to train the pick
    const [line] = trainPickLine(standing('full-fine-tuning', 'full fine-tuning'), args, {
      unwritable: refusal,
    });
    expect(line).not.toContain(`--model ${args.model}`);
    expect(line).toBe(
      "  To train full fine-tuning for serving as compared: promptune soft train --method full-fine-tuning --model <the same model as GGUF or a Hugging Face directory> --data ../shared/datasets/name --epochs 2 --batch-size 8 --seed 0 --out .promptune/soft/name-full-fine-tuning (soft train writes the tuned model in its source's format, and ../shared/models/stories260K/stories260K.bin is a llama2.c file, which promptune does not write: Start from the same model as GGUF or as a Hugging Face directory)",
    );
  });

  it('keeps the model compared for a pick that writes no model, whatever the file', () => {
    const [line] = trainPickLine(standing('lora', 'LoRA'), args, { unwritable: refusal });
    expect(line).toContain(`--model ${args.model} `);
    expect(line).not.toContain('<the same model');
  });

  it('says when soft train would train on more examples than the comparison used', () => {
    // compared on 64 of 512: the command reads the whole split, 8 times the steps at the same epochs
    const [line] = trainPickLine(standing('lora', 'LoRA'), args, { trainSplit: 512 });
    expect(line).toMatch(
      / --push \(it trains on all 512 training examples of --data, where the comparison used 64\)$/,
    );
  });
});
