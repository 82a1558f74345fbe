// The names an adapter records for its base model, for each kind of --model.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseModelNames } from './base-model-names.js';

describe('baseModelNames', () => {
  it.each([
    ['hf:myorg/tiny', 'myorg/tiny', 'myorg/tiny'],
    ['hf:myorg/tiny@v2', 'myorg/tiny', 'myorg/tiny'],
    ['hf:org/name/model-Q8_0.gguf', 'org/name/model-Q8_0.gguf', 'org/name'],
    ['models/stories260K-hf', 'stories260K-hf', resolve('models/stories260K-hf')],
    ['/data/stories260K.gguf', 'stories260K.gguf', '/data/stories260K.gguf'],
  ])('%s: %s for people, %s for PEFT', (model, baseModelName, baseModelPath) => {
    expect(baseModelNames(model)).toEqual({ baseModelName, baseModelPath });
  });
});
