// npm run bench:soft-tasks — soft prompt tuning on the three tasks of ../shared/datasets against the
// references in its README: real PEFT 0.21 (selected on dev from {SAMPLE_VOCAB, TEXT} x three learning
// rates) and the best hand-written prompt. Same protocol here: 16 virtual tokens after BOS, AdamW without
// weight decay, batch 8, 6 epochs, init in {sample-vocab, text} x lr in {0.03, 0.3}, selected by dev exact
// match (then dev loss), scored once on test. Prints one line per task and the margin to PEFT.

import { join } from 'node:path';
import { loadModel, seededRandom } from '../src/engine/index.js';
import {
  evaluatePrompt,
  initSoftPrompt,
  tokenizeExample,
  trainSoftPrompt,
  type PromptInit,
} from '../src/soft/index.js';
import { readExamples } from '../src/tasks/dataset.js';
import { line } from './report.js';

const datasets = join(import.meta.dirname ?? '.', '..', '..', 'shared', 'datasets');
const peftTest: Record<string, number> = { name: 0.973, animal: 0.941, gender: 0.918 };
const handWrittenTest: Record<string, number> = { name: 0.492, animal: 0.648, gender: 0.5 };
const { model, tokenizer } = await loadModel(
  join(datasets, '..', 'models', 'stories260K', 'stories260K.gguf'),
);
const initText = 'Read the story and give the answer. The answer is';

for (const task of ['name', 'animal', 'gender']) {
  const read = (split: string) =>
    readExamples(join(datasets, task, `${split}.jsonl`), {
      inputFields: ['input'],
      targetField: 'target',
    }).map((row) =>
      tokenizeExample(
        tokenizer,
        String(row.fields.input),
        String(row.target),
        `${task}/${split}:${row.line}`,
      ),
    );
  const [train, dev, test] = ['train', 'dev', 'test'].map(read);
  let chosen:
    | { init: string; learningRate: number; dev: number; loss: number; test: number; seconds: number }
    | undefined;
  for (const init of [{ kind: 'sample-vocab' }, { kind: 'text', text: initText }] as PromptInit[]) {
    for (const learningRate of [0.03, 0.3]) {
      const start = performance.now();
      const initial = initSoftPrompt(model, tokenizer, 16, init, seededRandom(0));
      const result = trainSoftPrompt(model, initial, train, dev, {
        epochs: 6,
        batchSize: 8,
        seed: 0,
        optimizer: { kind: 'adamw', learningRate, weightDecay: 0 },
      });
      const seconds = (performance.now() - start) / 1000;
      const best = result.best!;
      line(
        `  ${task} ${init.kind} lr ${learningRate}: dev ${best.exactMatch.toFixed(3)} (step ${best.step}), ${seconds.toFixed(1)} s`,
      );
      if (
        !chosen ||
        best.exactMatch > chosen.dev ||
        (best.exactMatch === chosen.dev && best.loss < chosen.loss)
      ) {
        chosen = {
          init: init.kind,
          learningRate,
          dev: best.exactMatch,
          loss: best.loss,
          test: evaluatePrompt(model, result.prompt, test).exactMatch,
          seconds,
        };
      }
    }
  }
  const margin = chosen!.test - peftTest[task];
  line(
    `${task}: chosen ${chosen!.init} lr ${chosen!.learningRate}, dev ${chosen!.dev.toFixed(3)}, test ${chosen!.test.toFixed(3)} | PEFT test ${peftTest[task]} (${margin >= 0 ? '+' : ''}${(100 * margin).toFixed(1)} points) | hand-written ${handWrittenTest[task]}`,
  );
}
