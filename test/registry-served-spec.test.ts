// The security fix behind versions that carry their spec: a push without --admin that changes only the
// task spec (not the prompt) makes a new version and leaves the protected production label serving
// exactly the spec and prompt it served before, with no label event. Pushed through the real command
// line, served through the service's ServedVersions. And a spec imported in a short form serves.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentHash, importBundle, Registry, type RegistryBundle } from '../src/registry/index.js';
import { ServedVersions } from '../src/serve/served-versions.js';
import { loadTask } from '../src/tasks/load-task.js';
import { taskSpec } from '../src/tasks/index.js';
import { peftAdapterFiles, repositoryRoot, stories } from './models.js';

function registry(cwd: string, ...args: string[]) {
  const environment = { ...process.env };
  delete environment.DATABASE_URL;
  const result = spawnSync(
    process.execPath,
    [join(repositoryRoot, 'bin', 'promptune.js'), 'registry', ...args],
    {
      cwd,
      encoding: 'utf8',
      env: environment,
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('a push that changes only the task spec', () => {
  it('makes a new version and changes nothing production serves', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-served-spec-'));
    const example = join(repositoryRoot, 'examples', 'support-tickets');
    copyFileSync(join(example, 'tickets.jsonl'), join(cwd, 'tickets.jsonl'));
    const original = readFileSync(join(example, 'task.yaml'), 'utf8');
    writeFileSync(join(cwd, 'task.yaml'), original);
    // the same prompt; the labels the service accepts and how outputs are scored changed
    const changed = original
      .replace(
        'labels: [billing, technical, account, shipping]',
        'labels: [billing, technical, account, refund]',
      )
      .replace('  - name: label', '  - name: exact-match');
    expect(changed).not.toBe(original);
    writeFileSync(join(cwd, 'changed.yaml'), changed);

    expect(registry(cwd, 'push', '--task', 'task.yaml', '--label', 'production', '--admin').status).toBe(0);
    const pushed = registry(cwd, 'push', '--task', 'changed.yaml', '--message', 'spec only');
    expect(pushed.stderr).toBe('');
    expect(pushed.stdout).toMatch(/^pushed support-tickets@2 /);
    expect(registry(cwd, 'push', '--task', 'changed.yaml').stdout).toMatch(/^unchanged: support-tickets@2 /);
    expect(registry(cwd, 'show', 'support-tickets@production').stdout).toContain(", not the task's latest");

    const opened = await Registry.open({ path: join(cwd, '.promptune', 'registry.sqlite') });
    try {
      const served = await new ServedVersions(opened).resolve('support-tickets');
      expect(served.version.number).toBe(1);
      expect(served.spec).toEqual(loadTask(join(cwd, 'task.yaml')).spec);
      expect(served.spec.output).toEqual({
        kind: 'label',
        labels: ['billing', 'technical', 'account', 'shipping'],
      });
      expect(await opened.labelHistory('support-tickets', 'production')).toHaveLength(1);
      expect((await opened.listVersions('support-tickets')).map((version) => version.number)).toEqual([1, 2]);
      // the new version serves with the new spec, when asked for by number
      const latest = await new ServedVersions(opened).resolve('support-tickets@2');
      expect(latest.spec).toEqual(loadTask(join(cwd, 'changed.yaml')).spec);
    } finally {
      await opened.close();
    }
  });

  it('evaluates a version as it is served: the spec file gives the data and metrics, the version its decoding', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-served-eval-'));
    const example = join(repositoryRoot, 'examples', 'support-tickets');
    copyFileSync(join(example, 'tickets.jsonl'), join(cwd, 'tickets.jsonl'));
    const file = readFileSync(join(example, 'task.yaml'), 'utf8');
    writeFileSync(join(cwd, 'task.yaml'), file);
    // production serves decoding under its labels; the spec file at hand (a loop policy's) does not say so
    writeFileSync(
      join(cwd, 'served.yaml'),
      file.replace(/^generation:/m, 'decoding: { constrain: true }\ngeneration:'),
    );
    expect(registry(cwd, 'push', '--task', 'served.yaml', '--label', 'production', '--admin').status).toBe(0);
    const run = (spec: string) =>
      spawnSync(
        process.execPath,
        [
          join(repositoryRoot, 'bin', 'promptune.js'),
          'eval',
          '--task',
          spec,
          '--version',
          'support-tickets@production',
          '--model',
          `local:${stories.gguf}`,
          '--limit',
          '4',
          '--json',
          '--no-cache',
        ],
        { cwd, encoding: 'utf8', env: { ...process.env, DATABASE_URL: undefined } },
      );
    const fromFile = run('task.yaml');
    expect(fromFile.status, fromFile.stderr).toBe(0);
    expect(fromFile.stderr).toContain(
      "note: support-tickets@1 answers as it is served: its own spec's decoding, not the spec file's (which gives the data and metrics)",
    );
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ constrained: true, examples: 4 });
    // the same spec as it serves with: nothing to say
    const same = run('served.yaml');
    expect(same.stderr).not.toContain('note:');
    expect(JSON.parse(same.stdout)).toMatchObject({
      constrained: true,
      score: JSON.parse(fromFile.stdout).score,
    });
  });

  it('serves a version an earlier release stored with guards today refuses at push, as that release served it', async () => {
    // a length guard with no bound, a fix on a regex: promptune before 2170b01 took both at push
    const folder = mkdtempSync(join(tmpdir(), 'promptune-stored-guards-'));
    const opened = await Registry.open({ path: join(folder, 'registry.sqlite') });
    try {
      const spec = taskSpec.parse({
        name: 'guarded',
        prompt: { template: '{{input}}' },
        guards: {
          output: [
            { validator: 'length', onFail: 'exception' },
            { validator: 'regex', pattern: '^[a-z]+$', mode: 'match', onFail: 'fix' },
          ],
        },
      });
      await opened.putTask(spec);
      const actor = { name: 'ops', scopes: ['read', 'run', 'admin'] };
      await opened.pushVersion({ task: 'guarded', kind: 'hard', content: { template: '{{input}}' }, actor });
      const told: string[] = [];
      const served = await new ServedVersions(opened, 1000, undefined, undefined, (version, message) =>
        told.push(`${version.task}@${version.number}: ${message}`),
      ).resolve('guarded');
      expect(served.guards?.output.map((guard) => guard.validator.name)).toEqual(['length', 'regex']);
      expect(told).toEqual([
        'guarded@1: length: a length validator with no bound, which passes every output',
        expect.stringMatching(/^guarded@1: regex: onFail fix, and a regex validator has no fix/),
      ]);
      // the unbounded length passes anything; the regex's failure stands unrepaired, as it did
      expect(served.guards!.output[0].validator.check('x'.repeat(10_000), {})).toMatchObject({
        passed: true,
      });
    } finally {
      await opened.close();
    }
  });

  it('serves a version whose spec was imported in a short form, with the defaults filled in', async () => {
    // a hand-written bundle may hold a spec without its defaults: its hash is its id, so it is kept
    // as written, and serving parses it again (it used to reach the service raw: spec.input undefined)
    const folder = mkdtempSync(join(tmpdir(), 'promptune-short-spec-'));
    const short = { name: 'short', prompt: { template: '{{input}}' } };
    const adapter = peftAdapterFiles();
    const blob = Buffer.from(adapter.safetensors);
    const content = { adapterBlob: contentHash(blob), adapterConfig: adapter.config };
    const specId = contentHash(short);
    const bundle = {
      format: 'promptune-registry',
      version: 2,
      task: short,
      specs: { [specId]: short },
      versions: [
        {
          id: contentHash({ task: 'short', kind: 'soft', content, spec: specId }),
          task: 'short',
          number: 1,
          kind: 'soft',
          content,
          specId,
          parent: null,
          run: null,
          message: '',
          actor: 'hand',
          createdAt: new Date(0).toISOString(),
        },
      ],
      labels: [],
      datasets: [],
      blobs: { [contentHash(blob)]: blob.toString('base64') },
    };
    const opened = await Registry.open({ path: join(folder, 'registry.sqlite') });
    try {
      await importBundle(opened, bundle as unknown as RegistryBundle, {
        name: 'hand',
        scopes: ['read', 'run'],
      });
      const served = await new ServedVersions(opened).resolve('short');
      expect(served.spec.input.fields).toEqual(['input']);
      expect(served.spec.output).toEqual({ kind: 'text' });
    } finally {
      await opened.close();
    }
  });
});
