// `promptune registry` as a user runs it against a SQLite file: push, list, label (protected without
// --admin refused), diff, rollback, export and import into another registry.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { promptune, slice } from './cli-soft-helpers.js';
import { repositoryRoot, stories } from './models.js';

function registry(cwd: string, ...args: string[]) {
  const environment = { ...process.env };
  delete environment.DATABASE_URL;
  const result = spawnSync(
    process.execPath,
    [join(repositoryRoot, 'bin', 'promptune.js'), 'registry', ...args],
    // a bound, so a command that never returns fails the test instead of hanging the suite
    { cwd, encoding: 'utf8', env: environment, timeout: 60_000 },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('promptune registry', () => {
  it('pushes, labels, diffs, rolls back, exports and imports', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-registry-cli-'));
    const spec = join(repositoryRoot, 'examples', 'support-tickets', 'task.yaml');
    expect(registry(cwd, 'push', '--task', spec, '--message', 'first', '--label', 'staging').stdout).toMatch(
      /^pushed support-tickets@1 \([0-9a-f]{12}\), labelled staging/,
    );
    expect(registry(cwd, 'push', '--task', spec).stdout).toMatch(/^unchanged: support-tickets@1/);
    const edited = join(cwd, 'task.yaml');
    writeFileSync(
      edited,
      readFileSync(spec, 'utf8')
        .replace('Answer with one word.', 'Answer with one lowercase word.')
        .replace(
          'file: tickets.jsonl',
          `file: ${join(repositoryRoot, 'examples', 'support-tickets', 'tickets.jsonl')}`,
        ),
    );
    // a push whose label the actor may not move writes nothing (one transaction)
    const refusedPush = registry(cwd, 'push', '--task', edited, '--label', 'production');
    expect(refusedPush.stderr).toContain('code: REGISTRY_PROTECTED_LABEL');
    const before = JSON.parse(registry(cwd, 'ls', 'support-tickets', '--json').stdout);
    expect(before.versions.map((version: { number: number }) => version.number)).toEqual([1]);
    expect(registry(cwd, 'push', '--task', edited, '--message', 'stricter').status).toBe(0);

    const refused = registry(cwd, 'label', 'support-tickets', 'production', '2');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('code: REGISTRY_PROTECTED_LABEL');
    expect(registry(cwd, 'label', 'support-tickets', 'production', '1', '--admin').status).toBe(0);
    expect(
      registry(cwd, 'label', 'support-tickets', 'production', '2', '--admin', '--reason', 'better').status,
    ).toBe(0);

    const listed = JSON.parse(registry(cwd, 'ls', 'support-tickets', '--json').stdout);
    expect(listed.versions.map((version: { number: number }) => version.number)).toEqual([1, 2]);
    expect(listed.versions[0].run.datasets.file).toMatch(/^[0-9a-f]{64}$/);
    // as a terminal reads them: a header, then aligned columns
    const tasks = registry(cwd, 'ls').stdout.split('\n');
    expect(tasks[0]).toMatch(/^task +versions +labels$/);
    expect(tasks[1]).toMatch(/^support-tickets +2 +production=2 staging=1$/);
    const lines = registry(cwd, 'ls', 'support-tickets').stdout.split('\n');
    expect(lines[0]).toMatch(
      /^version +id +method +shape +test +base model +created +by +labels +loop +message$/,
    );
    // a hard prompt has no adapter shape, recorded score or base model
    expect(lines[1].slice(lines[0].indexOf('shape'), lines[0].indexOf('created')).trim()).toMatch(
      /^- +- +-$/,
    );
    expect(lines[1].indexOf('hard prompt')).toBe(lines[0].indexOf('method'));
    expect(lines[2].indexOf('hard prompt')).toBe(lines[0].indexOf('method'));
    const diff = registry(cwd, 'diff', 'support-tickets@1', 'support-tickets@2').stdout;
    expect(diff).toContain('@@ system');
    expect(diff).toContain('+ "You route customer support tickets. Answer with one lowercase word."');

    // versions by number, as the dashboard names them, with their ids
    const back = registry(
      cwd,
      'rollback',
      'support-tickets',
      'production',
      '--admin',
      '--reason',
      'misroutes',
    );
    expect(back.stdout).toMatch(
      /^support-tickets@production: @2 \([0-9a-f]{12}\) -> @1 \([0-9a-f]{12}\) \(rollback of move 3: misroutes\)\n$/,
    );
    // a second rollback goes further back, not to @2 again: here there is nothing before @1
    expect(registry(cwd, 'rollback', 'support-tickets', 'production', '--admin').stderr).toContain(
      'code: REGISTRY_NO_ROLLBACK',
    );
    // a label set where it already is: nothing to guard, nothing logged
    const unchanged = registry(cwd, 'label', 'support-tickets', 'production', '1');
    expect([unchanged.status, unchanged.stdout]).toEqual([
      0,
      expect.stringMatching(/already @1 .*unchanged\n$/),
    ]);
    expect(registry(cwd, 'show', 'support-tickets@production').stdout).toMatch(
      / {2}move 4 +\S+ \S+: @2 \([0-9a-f]{12}\) -> @1 \([0-9a-f]{12}\) rollback of move 3: misroutes\n/,
    );
    const shown = JSON.parse(registry(cwd, 'show', 'support-tickets@production', '--json').stdout);
    expect(shown.version.number).toBe(1);
    expect(shown.history.map((event: { reason: string }) => event.reason)).toEqual([
      '',
      'better',
      'rollback of move 3: misroutes',
    ]);

    expect(registry(cwd, 'export', 'support-tickets', '--out', 'bundle.json').status).toBe(0);
    expect(registry(cwd, 'import', 'bundle.json', '--db', 'other.sqlite').stderr).toContain(
      'REGISTRY_PROTECTED_LABEL',
    );
    expect(JSON.parse(registry(cwd, 'ls', '--db', 'other.sqlite', '--json').stdout)).toEqual([]);
    expect(registry(cwd, 'import', 'bundle.json', '--db', 'other.sqlite', '--admin').stdout).toContain(
      '2 new versions',
    );
    expect(
      JSON.parse(registry(cwd, 'show', 'support-tickets@production', '--db', 'other.sqlite', '--json').stdout)
        .version.id,
    ).toBe(shown.version.id);
  });

  it('names a missing version', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-registry-cli-'));
    registry(cwd, 'push', '--task', join(repositoryRoot, 'examples', 'animal.yaml'));
    const result = registry(cwd, 'show', 'animal@7');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('code: REGISTRY_NO_VERSION');
    expect(result.stderr).toContain('hint: See the versions and labels with: promptune registry ls animal');
    // the dashboard's "v1" is version 1
    expect(registry(cwd, 'show', 'animal@v1').stderr).toContain(
      "hint: Versions are referred to by number: animal@1 (the dashboard's v1).",
    );
    // a task that is not there at all is told so
    const unknown = registry(cwd, 'show', 'aminal');
    expect(unknown.stderr).toContain(
      'error: aminal@latest does not exist: there is no task named aminal; did you mean animal?',
    );
    expect(unknown.stderr).toContain('hint: See the tasks with: promptune registry ls (GET /v1/models)');
    expect(unknown.stderr).toContain('code: REGISTRY_NO_TASK');
    // a label the task never had is missing, not one with nothing to roll back to
    expect(registry(cwd, 'rollback', 'animal', 'nosuch', '--admin').stderr).toMatch(
      /error: animal@nosuch is not set: there is no such label to roll back\n.*\ncode: REGISTRY_NO_VERSION/,
    );
  });

  it('refuses a spec whose data files are missing before storing anything', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-registry-cli-'));
    writeFileSync(
      join(cwd, 'spec.yaml'),
      'name: lost\ninput:\n  fields: [input]\ndata:\n  train: nowhere/train.jsonl\nprompt:\n  template: "{{input}}"\n',
    );
    const pushed = registry(cwd, 'push', '--task', 'spec.yaml');
    expect(pushed.status).toBe(1);
    expect(pushed.stderr).toMatch(
      /^error: the train split's data file nowhere\/train\.jsonl does not exist\nhint: Check the data paths in the task spec .*\ncode: DATASET_NOT_FOUND/,
    );
    expect(registry(cwd, 'ls').stdout).not.toContain('lost');
  });

  it('refuses guards that cannot be built before storing anything, and says which the service will not run', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-registry-cli-'));
    const animal = readFileSync(join(repositoryRoot, 'examples', 'animal.yaml'), 'utf8').replace(
      /\.\.\/\.\.\/shared/g,
      join(repositoryRoot, '..', 'shared'),
    );
    const write = (guards: string) => writeFileSync(join(cwd, 'spec.yaml'), `${animal}\n${guards}\n`);
    // (each was pushed, labelled production, and answered 404 on every request)
    write("guards:\n  output:\n    - { validator: regex, pattern: '([a-', onFail: exception }");
    const badRegex = registry(cwd, 'push', '--task', 'spec.yaml', '--label', 'production', '--admin');
    expect(badRegex.status).toBe(1);
    expect(badRegex.stderr).toBe(
      'error: regex: /([a-/ is not a valid regular expression\nhint: Unterminated character class (JavaScript syntax).\ncode: GUARD_OPTIONS\n',
    );
    write("decoding:\n  constrain: { kind: regex, pattern: '(?=d)dog' }");
    const lookahead = registry(cwd, 'push', '--task', 'spec.yaml');
    expect(lookahead.status).toBe(1);
    expect(lookahead.stderr).toContain('code: CONSTRAINT_UNSUPPORTED');
    write("guards:\n  output:\n    - { validator: regex, pattern: 'dog', onFail: fix }");
    expect(registry(cwd, 'push', '--task', 'spec.yaml').stderr).toContain('a regex validator has no fix');
    expect(registry(cwd, 'ls').stdout).not.toContain('animal');
    // a judge: pushed, and said to need serve --judge
    write("guards:\n  output:\n    - { validator: judge, rubric: 'names an animal', threshold: 0.5 }");
    const judged = registry(cwd, 'push', '--task', 'spec.yaml', '--label', 'staging');
    expect(judged.status, judged.stderr).toBe(0);
    expect(judged.stderr).toContain(
      "warning: promptune serve will not serve this version of animal: its validator judge asks a judge model, and this service has none (createService's guardJudge; promptune serve --judge <model>); the label staging will name it, and requests to animal@staging answer 404. eval and the library run it.",
    );
    // inputs bounded in tokens: served where the service runs the version on its local model
    write('guards:\n  input:\n    - { validator: length, maxTokens: 200, onFail: exception }');
    const counted = registry(cwd, 'push', '--task', 'spec.yaml');
    expect(counted.status, counted.stderr).toBe(0);
    expect(counted.stderr).not.toContain('warning');
    expect(counted.stderr).toContain(
      'note: the input validator length of animal bounds the length in tokens: promptune serve counts them on its local model (serve --model)',
    );
  });

  it('refuses a --db whose folder cannot be made, with a code', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-registry-cli-'));
    writeFileSync(join(cwd, 'file'), 'x');
    // a push makes the registry (and its folder) where none is
    const push = (db: string) =>
      registry(cwd, 'push', '--task', join(repositoryRoot, 'examples', 'name.yaml'), '--db', db);
    const underFile = push(join(cwd, 'file', 'registry.sqlite'));
    expect(underFile.status).toBe(1);
    expect(underFile.stderr).toContain('code: PATH_NOT_A_FOLDER');
    const deeper = push(join(cwd, 'file', 'below', 'registry.sqlite'));
    expect(deeper.stderr).toContain('code: PATH_NOT_A_FOLDER');
    // a command that only reads does not: a mistyped --db is refused, not made and listed as empty
    const mistyped = registry(cwd, 'ls', '--db', join(cwd, 'regsitry', 'registry.sqlite'));
    expect([mistyped.status, mistyped.stderr]).toEqual([
      1,
      expect.stringContaining('code: REGISTRY_NOT_FOUND'),
    ]);
    expect(existsSync(join(cwd, 'regsitry'))).toBe(false);
    if (existsSync('/proc/self')) {
      // Node's own recursive mkdir never returns here
      const proc = push('/proc/promptune-nope/registry.sqlite');
      expect(proc.status).toBe(1);
      expect(proc.stderr).toContain('code: FILE_NOT_FOUND');
    }
  });
});

describe('promptune registry push --adapter', () => {
  it("registers PEFT's own adapter as a soft version that eval scores as soft eval does", () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-registry-adapter-'));
    const db = join(cwd, 'registry.sqlite');
    const spec = join(repositoryRoot, 'examples', 'name.yaml');
    const peft = join(stories.huggingFace, 'peft-prompt-tuning-example');
    // options that check an adapter are refused without one, before anything is registered
    const refused = registry(cwd, 'push', '--task', spec, '--model', stories.gguf, '--db', db);
    expect(refused.stderr).toContain('code: CLI_INVALID_OPTION');
    expect(existsSync(db)).toBe(false);
    const unchecked = registry(cwd, 'push', '--task', spec, '--adapter', peft, '--db', db);
    expect(unchecked.stderr).toMatch(/was not loaded on a model: pass --model/);
    const pushed = registry(
      cwd,
      'push',
      '--task',
      spec,
      '--adapter',
      peft,
      '--model',
      stories.gguf,
      '--db',
      db,
    );
    expect(pushed.stderr).toBe('');
    expect(pushed.stdout).toMatch(/^unchanged: name@1 \([0-9a-f]{12}\), a soft prompt version of /);
    const shown = JSON.parse(registry(cwd, 'show', 'name@1', '--db', db, '--json').stdout);
    expect(shown.version.kind).toBe('soft');
    expect(shown.version.content.adapterConfig.peft_type).toBe('PROMPT_TUNING');

    const data = slice('name', { test: 24 });
    const served = promptune(
      'eval',
      '--version',
      'name@1',
      '--db',
      db,
      '--model',
      `local:${stories.gguf}`,
      '--data',
      data,
      '--json',
    );
    expect(served.status).toBe(0);
    const direct = promptune(
      'soft',
      'eval',
      '--model',
      stories.gguf,
      '--adapter',
      peft,
      '--data',
      join(data, 'test.jsonl'),
      '--json',
    );
    expect(JSON.parse(served.stdout).n).toBe(24);
    expect(JSON.parse(served.stdout).score).toBe(JSON.parse(direct.stdout).accuracy);

    // an adapter whose promptune.json names another task is refused for this one (its scores are that
    // task's), unless --other-task says so
    const animal = join(cwd, 'animal-adapter');
    cpSync(peft, animal, { recursive: true });
    writeFileSync(
      join(animal, 'promptune.json'),
      JSON.stringify({
        format: 'promptune-soft-prompt',
        layout: 'peft',
        baseModel: { name: 'stories260K', sha256: '0'.repeat(64) },
        task: 'animal',
        metrics: { testExactMatch: 0.98 },
      }),
    );
    const other = registry(cwd, 'push', '--task', spec, '--adapter', animal, '--db', db);
    expect(other.status).toBe(1);
    expect(other.stderr).toContain(
      "was trained for task animal (its promptune.json says so: the --baseline spec's task, or the name of its data folder), not name",
    );

    expect(other.stderr).toContain('code: ADAPTER_OTHER_TASK');
    const listed = () => registry(cwd, 'ls', 'name', '--db', db, '--json').stdout;
    const before = listed();
    expect(before).not.toContain('animal-adapter');
    const anyway = registry(cwd, 'push', '--task', spec, '--adapter', animal, '--other-task', '--db', db);
    expect(anyway.status, anyway.stderr).toBe(0);
    expect(anyway.stdout).toMatch(/^pushed name@2 /);
    // its lineage says whose scores it carries (the dashboard marks them)
    const lineage = (reference: string) =>
      JSON.parse(registry(cwd, 'show', reference, '--db', db, '--json').stdout).version.run;
    expect(lineage('name@2')).toMatchObject({ kind: 'adapter', trainedFor: 'animal' });
    // a data folder's name is read as --push names the task: a folder "Name" trained task name
    const named = join(cwd, 'Name-adapter');
    cpSync(animal, named, { recursive: true });
    const metadata = join(named, 'promptune.json');
    writeFileSync(metadata, readFileSync(metadata, 'utf8').replace('"animal"', '"Name"'));
    const same = registry(cwd, 'push', '--task', spec, '--adapter', named, '--db', db);
    expect(same.status, same.stderr).toBe(0);
    expect(lineage('name@3')).not.toHaveProperty('trainedFor');
  });
});
