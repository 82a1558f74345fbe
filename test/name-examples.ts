// The shared `name` task's examples, tokenized as the soft layer trains on them (its tests' data).
import { join } from 'node:path';
import type { Tokenizer } from '../src/engine/index.js';
import { tokenizeExample, type TokenizedExample } from '../src/soft/index.js';
import { readExamples } from '../src/tasks/dataset.js';
import { sharedModels } from './models.js';

/** The first `count` examples of a split of the shared `name` task, tokenized with `tokenizer`. */
export function nameExamples(tokenizer: Tokenizer, split: string, count: number): TokenizedExample[] {
  return readExamples(join(sharedModels, '..', 'datasets', 'name', `${split}.jsonl`), {
    inputFields: ['input'],
    targetField: 'target',
  })
    .slice(0, count)
    .map((row) =>
      tokenizeExample(tokenizer, String(row.fields.input), String(row.target), `line ${row.line}`),
    );
}
