// Every built-in validator through the Validator conformance suite (validator.case.ts), with texts it
// passes and fails; a custom validator through the same suite as a user would write one.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScriptedModel } from '../../test/scripted-model.js';
import { detectPhrases, detectPii, detectRefusal } from './detectors/index.js';
import { validatorConformance } from './validator.case.js';
import { customValidator } from './validators/custom.js';
import { detectorValidator } from './validators/detected.js';
import { jsonSchemaValidator } from './validators/json-schema.js';
import { judgeValidator } from './validators/judge.js';
import { labelsValidator } from './validators/labels.js';
import { lengthValidator } from './validators/length.js';
import { regexValidator } from './validators/regex.js';

const schema = { type: 'object', required: ['name'], properties: { name: { type: 'string' } } };

validatorConformance({
  'json-schema': () => ({
    validator: jsonSchemaValidator('json-schema', schema),
    passes: ['{"name": "Ada"}', 'Here you go: ```json\n{"name": "Ada"}\n```'],
    fails: ['{"name": 3}', 'no JSON', '{"name": "Ada"'],
  }),
  labels: () => ({
    validator: labelsValidator('labels', ['dog', 'cat'], false),
    passes: ['dog', ' Cat\n'],
    fails: ['a dog', 'bird', ''],
  }),
  regex: () => ({
    validator: regexValidator('regex', '[A-Z]{3}-\\d{4}', '', 'match'),
    passes: ['ABC-1234', ' XYZ-0000 '],
    fails: ['abc-1234', 'ABC-12345'],
  }),
  'regex forbid': () => ({
    validator: regexValidator('regex forbid', 'https?://\\S+', 'i', 'forbid'),
    passes: ['no links here', 'http without a colon'],
    fails: ['see https://example.com', 'HTTP://A.B'],
  }),
  length: () => ({
    validator: lengthValidator('length', { minCharacters: 2, maxCharacters: 10 }),
    passes: ['ok', 'ten chars!'],
    fails: ['x', 'eleven chars'],
  }),
  banned: () => ({
    validator: detectorValidator(
      'banned',
      'banned',
      (text) => detectPhrases(text, ['guaranteed']),
      (span) => `has ${span.text}`,
    ),
    passes: ['we hope so', 'unguaranteed'],
    fails: ['it is guaranteed', 'Guaranteed!'],
  }),
  pii: () => ({
    validator: detectorValidator(
      'pii',
      'pii',
      (text) => detectPii(text),
      (span) => `has a ${span.kind}`,
    ),
    passes: ['order 48213 shipped on 2024-05-12', 'version 1.2.3 costs $1,249.99'],
    fails: ['mail ada@example.com', 'card 4242 4242 4242 4242', 'key AKIAIOSFODNN7EXAMPLE'],
  }),
  refusal: () => ({
    validator: detectorValidator('refusal', 'refusal', detectRefusal, () => 'refuses', false),
    passes: ["I can't wait to see you", 'Sorry for the late reply, the invoice is attached'],
    fails: ["I'm sorry, but I can't help with that.", 'As an AI language model, I cannot do this.'],
  }),
  custom: async () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-conformance-'));
    writeFileSync(join(folder, 'polite.mjs'), 'export default (text) => text.includes("please");\n');
    return {
      validator: await customValidator('custom', 'polite.mjs', 'default', folder),
      passes: ['please sit'],
      fails: ['sit'],
    };
  },
  judge: () => ({
    // a scripted judge: its verdict is the controlled behaviour (polite when the text says please)
    validator: judgeValidator(
      'judge',
      new ScriptedModel('scripted-judge', (prompt) =>
        /Response:\n.*please/.test(prompt) ? 'SCORE: 9' : 'SCORE: 1',
      ),
      'The response is polite.',
      0.5,
    ),
    passes: ['please sit'],
    fails: ['sit'],
  }),
});
