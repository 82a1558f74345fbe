// Every layer is importable from the built package by its subpath, as a user's project imports it (a
// folder outside the repository with promptune installed as a link): values at run time through node,
// types through tsc. Deep imports into dist/ are refused, and `npm pack` ships every file the export map
// points at. Runs against dist/ (npm test builds it first).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot } from './models.js';
import { packageSandbox, type PackageSandbox } from './package-sandbox.js';

/** A few names each subpath must export, values only (types are checked by tsc below). */
const namedExports: Record<string, string[]> = {
  promptune: [
    'loadModel',
    'generate',
    'loadTask',
    'evaluate',
    'makeOptimizer',
    'trainSoftPrompt',
    'Registry',
    'createService',
    'resolveModel',
    'PromptuneError',
    'ValidationError',
    'NotFoundError',
  ],
  'promptune/engine': [
    'loadModel',
    'generateStream',
    'LlamaModel',
    'KVCache',
    'seededRandom',
    'loadNativeKernels',
  ],
  'promptune/soft': ['trainSoftPrompt', 'initSoftPrompt', 'saveAdapter', 'loadAdapter', 'SoftPromptSession'],
  'promptune/tasks': ['loadTask', 'taskFromObject', 'taskSpec', 'readExamples', 'loadSplit', 'createMetrics'],
  'promptune/providers': ['resolveModel', 'LocalLanguageModel', 'createLocalProvider'],
  'promptune/guard': ['guard', 'createGuardSet', 'runChecks', 'detectPii', 'compileConstraint', 'constrain'],
  'promptune/eval': ['evaluate', 'summarize', 'ResponseCache', 'compareReports'],
  'promptune/observe': ['TraceRecorder', 'Redactor', 'monitor', 'startRetention', 'parseDuration'],
  'promptune/review': ['cohenKappa', 'krippendorffAlpha', 'queueAgreement'],
  'promptune/audit': ['counterfactuals', 'biasStatistics', 'attributeSets'],
  'promptune/experiments': [
    'armOf',
    'sequentialTest',
    'sampleRatioCheck',
    'canaryDecision',
    'startExperiment',
    'lookAtExperiment',
  ],
  'promptune/jobs': ['submitJob', 'runJob', 'RegistryJobWorker', 'startBullWorker'],
  'promptune/optimize': ['makeOptimizer', 'presets', 'bootstrapOptimizer', 'applyArtifact', 'estimateSpend'],
  'promptune/registry': ['Registry', 'exportTask', 'importBundle', 'registerTask', 'pushOptimized'],
  'promptune/serve': ['createService', 'openAiRoutes', 'EngineClient', 'listen'],
  'promptune/errors': ['PromptuneError', 'ValidationError', 'NotFoundError', 'AuthError', 'parseInput'],
};

/** Root names that must be the very objects their layer exports (one module instance, so `instanceof` holds). */
const rootFrom: Record<string, string> = {
  loadModel: 'promptune/engine',
  trainSoftPrompt: 'promptune/soft',
  loadTask: 'promptune/tasks',
  resolveModel: 'promptune/providers',
  evaluate: 'promptune/eval',
  makeOptimizer: 'promptune/optimize',
  Registry: 'promptune/registry',
  createService: 'promptune/serve',
  PromptuneError: 'promptune/errors',
};

const packageJson = JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as {
  type: string;
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
};

let sandbox: PackageSandbox;
beforeAll(() => {
  sandbox = packageSandbox();
});
afterAll(() => sandbox?.remove());

describe('the package surface', () => {
  it('exports every layer with an index, types and default conditions into dist/, ESM only', () => {
    expect(packageJson.type).toBe('module');
    const layers = readdirSync(join(repositoryRoot, 'src'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'cli')
      .map((entry) => entry.name);
    for (const layer of layers)
      expect(existsSync(join(repositoryRoot, 'src', layer, 'index.ts')), layer).toBe(true);
    const subpaths = Object.keys(packageJson.exports).filter((key) => key !== './package.json');
    expect(subpaths.sort()).toEqual(['.', ...layers.map((layer) => `./${layer}`)].sort());
    expect(Object.keys(namedExports).sort()).toEqual(
      subpaths.map((key) => (key === '.' ? 'promptune' : `promptune/${key.slice(2)}`)).sort(),
    );
    for (const key of subpaths) {
      const base = key === '.' ? 'index' : `${key.slice(2)}/index`;
      // no `require` condition: an ESM-only package says so rather than pointing require at ESM
      expect(packageJson.exports[key], key).toEqual({
        types: `./dist/${base}.d.ts`,
        default: `./dist/${base}.js`,
      });
    }
  });

  it('imports every subpath from an installed copy, with its named exports', async () => {
    const script = sandbox.write(
      'imports.mjs',
      `const specifiers = ${JSON.stringify(Object.keys(namedExports))};
const found = {};
for (const specifier of specifiers) {
  const module = await import(specifier);
  found[specifier] = Object.fromEntries(Object.entries(module).map(([name, value]) => [name, typeof value]));
}
const root = await import('promptune');
const same = {};
for (const [name, from] of Object.entries(${JSON.stringify(rootFrom)}))
  same[name] = root[name] === (await import(from))[name];
console.log(JSON.stringify({ found, same }));
`,
    );
    const output = await sandbox.node([script]);
    expect(output.stderr).toBe('');
    expect(output.code).toBe(0);
    const { found, same } = JSON.parse(output.stdout) as {
      found: Record<string, Record<string, string>>;
      same: Record<string, boolean>;
    };
    for (const [specifier, names] of Object.entries(namedExports)) {
      for (const name of names)
        expect(found[specifier][name], `${specifier} exports ${name}`).toMatch(/function|object/);
      expect(found[specifier], `${specifier} exports no default`).not.toHaveProperty('default');
    }
    expect(Object.values(same).every(Boolean), JSON.stringify(same)).toBe(true);
  });

  it('refuses deep imports into dist/ and src/', async () => {
    const script = sandbox.write(
      'deep.mjs',
      `const codes = [];
for (const specifier of ['promptune/dist/engine/llama.js', 'promptune/dist/index.js', 'promptune/src/index.ts', 'promptune/cli', 'promptune/serve/engine-worker'])
  codes.push(await import(specifier).then(() => 'imported', (error) => error.code));
console.log(codes.join(' '));
`,
    );
    const output = await sandbox.node([script]);
    expect(output.stdout.trim().split(' ')).toEqual(Array(5).fill('ERR_PACKAGE_PATH_NOT_EXPORTED'));
  });

  it('gives TypeScript users the types of every subpath (NodeNext resolution through the export map)', async () => {
    const file = sandbox.write(
      'types.ts',
      `import { loadModel, PromptuneError, type LoadedModel, type PromptArtifact, type Task } from 'promptune';
import type { GenerationOptions, Tokenizer } from 'promptune/engine';
import type { SoftPrompt, TrainOptions } from 'promptune/soft';
import { taskFromObject, type Example, type TaskSpec } from 'promptune/tasks';
import type { ResolvedModel } from 'promptune/providers';
import type { EvaluationReport, EvaluatedModel } from 'promptune/eval';
import type { Optimizer, OptimizeOptions, OptimizeResult } from 'promptune/optimize';
import type { Registry, PromptVersion, RegistryBundle } from 'promptune/registry';
import type { ServiceOptions, ModelSource, RunningServer, SoftPromptSource } from 'promptune/serve';
import { ValidationError, type PromptuneErrorOptions } from 'promptune/errors';
// @ts-expect-error deep imports are not part of the package
import type { LlamaModel } from 'promptune/dist/engine/llama.js';

const load: (path: string) => Promise<LoadedModel> = loadModel;
const task: Task = taskFromObject({ name: 'sums', prompt: { template: '{{input}} =' } }, 'inline');
const spec: TaskSpec = task.spec;
const error: PromptuneError = new ValidationError('x', { code: 'X', hint: 'y' } satisfies PromptuneErrorOptions);
type Used = [GenerationOptions, Tokenizer, SoftPrompt, TrainOptions, Example, ResolvedModel, EvaluationReport,
  EvaluatedModel, Optimizer, OptimizeOptions, OptimizeResult, PromptArtifact, Registry, PromptVersion,
  RegistryBundle, ServiceOptions, ModelSource, RunningServer, SoftPromptSource, LlamaModel];
export const used: [typeof load, TaskSpec, PromptuneError, Used | undefined] = [load, spec, error, undefined];
// a wrong type must be an error, or this check proves nothing
// @ts-expect-error a task spec's name is a string
export const wrong: TaskSpec['name'] = 42;
`,
    );
    const output = await sandbox.typecheck([file]);
    expect(output.stdout + output.stderr).toBe('');
    expect(output.code).toBe(0);
    // a strict project that checks its libraries' declarations too, under a bundler's resolution: the
    // emitted declarations must compile there as well (one named ajv as a namespace, which it is not)
    const strict = await sandbox.typecheck([file], { resolution: 'Bundler', libraries: true });
    expect(strict.stdout + strict.stderr).toBe('');
  });

  it('packs every file the export map and the bin point at', () => {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: repositoryRoot,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as [{ files: { path: string }[] }];
    const files = new Set(packed.files.map((file) => file.path));
    const targets = Object.values(packageJson.exports).flatMap((target) =>
      typeof target === 'string' ? [target] : Object.values(target),
    );
    targets.push(...Object.values(packageJson.bin));
    for (const target of targets) expect(files.has(target.replace(/^\.\//, '')), target).toBe(true);
    expect([...files].filter((path) => /\.(test|case)\.|^src\/|^test\//.test(path))).toEqual([]);
    // no source maps: they would point at src/, which is not shipped
    expect([...files].filter((path) => path.endsWith('.map'))).toEqual([]);
  });
});
