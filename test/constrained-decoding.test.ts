// Constrained decoding on stories260K, the acceptance test: 200 random prompts (story excerpts
// cut at random points, sampled at temperature 1 with their own seeds) for a label set, a regular
// expression and the JSON Schema of examples/contact-extraction. Every constrained output is valid, and
// the share unconstrained decoding reaches is printed beside it. Runs through the engine's batch (all
// 200 rows decode together, each with its own constraint state).
import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { generate, loadModel, seededRandom, type GenerationOptions } from '../src/engine/index.js';
import { compileConstraint } from '../src/guard/index.js';
import type { ConstraintSpec } from '../src/tasks/index.js';
import { repositoryRoot, sharedModels, stories } from './models.js';

const contactSchema = (
  parse(readFileSync(join(repositoryRoot, 'examples', 'contact-extraction', 'task.yaml'), 'utf8')) as {
    output: { schema: Record<string, unknown> };
  }
).output.schema;
const validContact = new Ajv.default({ strict: false }).compile(contactSchema);

const cases: [string, ConstraintSpec, (text: string) => boolean, number][] = [
  [
    'label set',
    { kind: 'choice', choices: [' dog', ' cat', ' bird'] },
    (text) => [' dog', ' cat', ' bird'].includes(text),
    8,
  ],
  [
    'regular expression',
    { kind: 'regex', pattern: ' [A-Z][a-z]+ (is|was) [0-9]{1,2} years old\\.' },
    (text) => /^ [A-Z][a-z]+ (is|was) [0-9]{1,2} years old\.$/.test(text),
    24,
  ],
  [
    'contact-extraction JSON Schema',
    { kind: 'json-schema', schema: contactSchema },
    (text) => {
      try {
        return validContact(JSON.parse(text)) === true;
      } catch {
        return false;
      }
    },
    64,
  ],
  // characters stories260K's 512-token vocabulary spells only in byte tokens (<0xE6> <0x9D> <0x8E> for
  // 李): written byte by byte, never left half written
  [
    'regular expression over characters spelt in bytes',
    { kind: 'regex', pattern: '[李华你好👍🏽Иванمحمد]{1,12}' },
    (text) => /^(?:[李华你好Иванمحمد]|\u{1F44D}|\u{1F3FD}){1,12}$/u.test(text),
    24,
  ],
  [
    'JSON Schema enum of names spelt in bytes',
    {
      kind: 'json-schema',
      schema: {
        type: 'object',
        properties: { name: { enum: ['李华', 'Иван'] }, note: { type: 'string', pattern: '^[а-я]{1,4}$' } },
        required: ['name', 'note'],
      },
    },
    (text) => {
      try {
        const value = JSON.parse(text) as { name: unknown; note: unknown };
        return ['李华', 'Иван'].includes(value.name as string) && /^[а-я]{1,4}$/.test(value.note as string);
      } catch {
        return false;
      }
    },
    64,
  ],
];

describe('constrained decoding on stories260K', async () => {
  const { model, tokenizer } = await loadModel(stories.gguf);
  const excerpts = readFileSync(join(sharedModels, '..', 'datasets', 'animal', 'test.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { input: string }).input);
  const random = seededRandom(13);
  const prompts = Array.from({ length: 200 }, (_, index) => {
    const words = excerpts[index % excerpts.length].split(' ');
    return tokenizer.encode(words.slice(0, 3 + Math.floor(random() * (words.length - 3))).join(' '));
  });

  it.each(cases)('%s: 200 of 200 outputs valid', async (name, spec, valid, maxTokens) => {
    const constraint = compileConstraint(spec, tokenizer);
    const run = (extra: GenerationOptions) =>
      generate(
        model,
        tokenizer,
        prompts.map((tokens, seed) => ({ tokens, options: { seed } })),
        { maxTokens, temperature: 1, ...extra },
      );
    const free = await run({});
    const constrained = await run({ constraint });
    const share = (results: { text: string }[]) => results.filter((result) => valid(result.text)).length;
    console.log(
      `${name}: valid ${share(constrained)}/200 constrained, ${share(free)}/200 unconstrained (max ${maxTokens} tokens); e.g. ${JSON.stringify(constrained[0].text)}`,
    );
    expect(constrained.filter((result) => !valid(result.text)).map((result) => result.text)).toEqual([]);
    expect(share(free)).toBeLessThan(200);
  });
});
