// The architecture lint rule (tools/eslint/layers.js) through ESLint itself, on source text placed at
// real paths of src/: an import up the layers, a deep import into another layer, a private file from
// another folder, and an import that closes a cycle are each reported; the imports src/ uses are not.
import { ESLint } from 'eslint';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from './models.js';

const eslint = new ESLint({ cwd: repositoryRoot });

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(repositoryRoot, file) });
  return result.messages
    .filter((message) => message.ruleId === 'layers/imports')
    .map((message) => message.message);
}

describe('the layers lint rule', () => {
  it.each([
    [
      'an import up the layers',
      'src/engine/x.ts',
      "import { Registry } from '../registry/index.js';\nexport const x = Registry;\n",
      /engine may not import from registry, a layer above it/,
    ],
    [
      'a deep import into another layer',
      'src/registry/x.ts',
      "import { readExamples } from '../tasks/dataset.js';\nexport const x = readExamples;\n",
      /import tasks through its index.ts \(src\/tasks\/index.ts\), not its file src\/tasks\/dataset.ts/,
    ],
    [
      "another folder's private file",
      'src/engine/weights/x.ts',
      "import { withShapeChecks } from '../kernels/_checks.js';\nexport const x = withShapeChecks;\n",
      /src\/engine\/kernels\/_checks.ts is private to its folder/,
    ],
    [
      'an import that closes a cycle',
      'src/engine/decoding-batch.ts',
      "import type { GenerationOptions } from './generate.js';\nexport type X = GenerationOptions;\n",
      /import cycle: src\/engine\/decoding-batch.ts -> src\/engine\/generate.ts -> src\/engine\/decoding-batch.ts/,
    ],
  ])('reports %s', async (_name, file, code, message) => {
    expect(await problems(file, code)).toEqual([expect.stringMatching(message)]);
  });

  it('accepts imports through the index of a lower layer, and within a layer', async () => {
    const code = [
      "import { loadTask } from '../tasks/index.js';",
      "import { hardVersionContent } from './versions.js';",
      'export const x = [loadTask, hardVersionContent];',
      '',
    ].join('\n');
    expect(await problems('src/registry/x.ts', code)).toEqual([]);
  });
});
