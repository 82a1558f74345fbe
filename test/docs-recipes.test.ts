// The recipes in docs/recipes (and the README's library example) run as written, so the docs cannot
// rot: each ```ts file=<name> block is written into a folder where promptune is installed (linked to
// this repository's dist/), type-checked with tsc, and run with node through tsx; the test checks what
// it prints. Only values the recipes mark
// for the reader to change are substituted (the model path, the server's port and URL), each of which
// must occur in the block. The stand-in for a hosted OpenAI-compatible server is the recipe's own
// server block: promptune's routes over stories260K on 127.0.0.1.
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot, stories } from './models.js';
import { packageSandbox, type PackageSandbox } from './package-sandbox.js';

const recipes = join(repositoryRoot, 'docs', 'recipes');
/** How the recipes name the model, relative to the repository (as the README does). */
const modelPath = '../shared/models/stories260K/stories260K.gguf';

/** The code blocks of a markdown file by their `file=` name, and the text blocks in order. */
function blocks(markdown: string): { code: Map<string, string>; text: string[] } {
  const code = new Map<string, string>();
  const text: string[] = [];
  for (const match of markdown.matchAll(/^```(\w+)([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const [, language, info, body] = match;
    const file = /\bfile=(\S+)/.exec(info)?.[1];
    if (language === 'ts' && file) code.set(file, body);
    else if (language === 'text') text.push(body);
  }
  return { code, text };
}

/** `code` with each marked value replaced; a value the recipe no longer has fails the test. */
function substitute(code: string, replacements: [string, string][]): string {
  for (const [from, to] of replacements) {
    expect(code, `the recipe still contains ${from}`).toContain(from);
    code = code.replaceAll(from, to);
  }
  return code;
}

const recipe = (name: string) => blocks(readFileSync(join(recipes, name), 'utf8'));
/** The README's code blocks (its Library example). */
const readme = () => blocks(readFileSync(join(repositoryRoot, 'README.md'), 'utf8')).code;

let sandbox: PackageSandbox;
const children: ChildProcess[] = [];
beforeAll(() => {
  sandbox = packageSandbox();
  mkdirSync(join(sandbox.directory, 'docs', 'recipes'), { recursive: true });
  copyFileSync(join(recipes, 'names.jsonl'), join(sandbox.directory, 'docs', 'recipes', 'names.jsonl'));
});
afterAll(() => {
  for (const child of children) child.kill();
  sandbox?.remove();
});

/** Writes a recipe's block into the sandbox with the model path made absolute; returns the file name. */
function write(code: Map<string, string>, file: string, replacements: [string, string][] = []): string {
  expect(code.has(file), `a block ${file}`).toBe(true);
  sandbox.write(file, substitute(code.get(file)!, replacements));
  return file;
}

/** Runs a written recipe file; fails with its output when it does not exit cleanly. */
async function run(file: string): Promise<string> {
  const output = await sandbox.node([file], { typescript: true });
  expect(output.code, `${file} failed:\n${output.stdout}\n${output.stderr}`).toBe(0);
  return output.stdout;
}

describe('docs/recipes', () => {
  it('has only recipes this test runs', () => {
    const markdown = readdirSync(recipes).filter((name) => name.endsWith('.md') && name !== 'README.md');
    expect(markdown.sort()).toEqual([
      'hard-prompt-optimization.md',
      'observability.md',
      'registry.md',
      'service.md',
      'soft-prompt-training.md',
    ]);
  });

  it('type-checks every recipe against the package’s declarations', async () => {
    const files = [
      'hard-prompt-optimization.md',
      'observability.md',
      'registry.md',
      'service.md',
      'soft-prompt-training.md',
    ].flatMap((name) => {
      const { code } = recipe(name);
      return [...code.keys()].map((file) => write(code, file));
    });
    // and the README's library example
    files.push(write(readme(), 'library.ts'));
    // as the strictest projects check them (noUncheckedIndexedAccess too), so they paste without errors
    const output = await sandbox.typecheck(
      files.map((file) => join(sandbox.directory, file)),
      { indexedAccess: true },
    );
    expect(output.stdout + output.stderr).toBe('');
    expect(output.code).toBe(0);
  });

  it('hard-prompt optimization: tunes against an OpenAI-compatible server on 127.0.0.1', async () => {
    const { code } = recipe('hard-prompt-optimization.md');
    write(code, 'server.ts', [
      [modelPath, stories.gguf],
      ['{ port: 8080 }', '{ port: 0 }'],
    ]);
    const { child, match } = await sandbox.start(
      ['server.ts'],
      /listening on (http:\/\/127\.0\.0\.1:\d+\/v1)/,
    );
    children.push(child);
    write(code, 'optimize.ts', [["'http://127.0.0.1:8080/v1'", `'${match[1]}'`]]);
    const printed = await run('optimize.ts');
    expect(printed).toMatch(/^trial 0: seed prompt \(0 demos\): \d\.\d\d$/m);
    expect(printed).toMatch(/^dev score \d\.\d\d -> \d\.\d\d with \d demos, \d+ calls$/m);
    expect(printed).toMatch(/^test score \d\.\d\d on 15 examples$/m);
    const artifact = JSON.parse(readFileSync(join(sandbox.directory, 'prompt.json'), 'utf8'));
    expect(artifact).toMatchObject({
      format: 'promptune-prompt',
      task: 'main-character',
      scores: { split: 'dev' },
    });
    expect(artifact.optimizer.calls).toBeLessThanOrEqual(200);
  });

  it('soft-prompt training: trains on stories260K for a few steps and serves the adapter', async () => {
    const { code, text } = recipe('soft-prompt-training.md');
    const file = write(code, 'serve-soft-prompt.ts', [[modelPath, stories.gguf]]);
    const printed = await run(file);
    const lines = printed.trim().split('\n');
    expect(lines).toHaveLength(text[0].trim().split('\n').length);
    expect(lines[0]).toMatch(/^dev exact match \d\.\d\d -> \d\.\d\d after 8 steps$/);
    expect(lines[1]).toMatch(/^serving main-character at http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(lines[2]).toMatch(/^expected " \w+", served ".+"$/);
    const adapter = join(sandbox.directory, 'main-character-adapter');
    for (const name of ['adapter_config.json', 'adapter_model.safetensors', 'promptune.json'])
      expect(existsSync(join(adapter, name)), name).toBe(true);
  });

  it('the README’s library example generates, and runs a forward pass on input embeddings', async () => {
    const printed = await run(write(readme(), 'library.ts', [[modelPath, stories.gguf]]));
    expect(printed).toMatch(/^, there was a little girl/);
  });

  it('registry: push, label, resolve, export and import print what the recipe says', async () => {
    const { code, text } = recipe('registry.md');
    const printed = await run(write(code, 'registry.ts'));
    expect(printed).toBe(text[0]);
  });

  it('service: serves a registry in-process, answers an OpenAI client, and lets the process exit', async () => {
    const { code, text } = recipe('service.md');
    // run() fails unless the script exits by itself: a worker, a timer or a socket left open would hang it
    const printed = await run(write(code, 'service.ts', [[modelPath, stories.gguf]]));
    const lines = printed.trim().split('\n');
    expect(lines).toHaveLength(text[0].trim().split('\n').length);
    expect(lines[0]).toBe('serving main-character, main-character@production');
    expect(lines[1]).toMatch(/^200 from version 1 \(true\): ".*"$/);
    expect(lines[2]).toMatch(/^400 UNKNOWN_PARAMETER: Write max_tokens\./);
    expect(lines[3]).toMatch(/^stopped; [1-9]\d* requests traced$/);
  });

  it('observability: records, scores and monitors what the recipe says', async () => {
    const { code, text } = recipe('observability.md');
    const printed = await run(write(code, 'observe.ts'));
    expect(printed).toBe(text[0]);
  });
});
