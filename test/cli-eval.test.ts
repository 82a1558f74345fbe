// `promptune eval` and `promptune dataset stats` as a user runs them: the --json summary, the cache
// making a second run free, --min-score gating, a run killed with SIGKILL resuming from its journal,
// Ctrl-C stopping it with its answers kept, and --push recording the run (a killed one reading as
// interrupted).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetId, Registry, staleAfterMs } from '../src/registry/index.js';
import { jsonError } from './error-code.js';
import { interruptedRun } from './interrupted-run.js';
import { repositoryRoot, stories } from './models.js';

const bin = join(repositoryRoot, 'bin', 'promptune.js');
const model = `local:${stories.gguf}`;
const task = join(repositoryRoot, 'examples', 'animal.yaml');

function run(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('promptune eval', () => {
  it('prints a JSON summary; a second run makes no model calls and scores the same', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-eval-cli-'));
    const args = ['eval', '--task', task, '--model', model, '--split', 'dev', '--limit', '24', '--json'];
    const first = run(cwd, ...args);
    expect(first.status).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({ n: 24, calls: 24, cacheHits: 0 });
    expect(summary.score).toBeGreaterThan(0.3);
    const second = JSON.parse(run(cwd, ...args).stdout);
    expect(second).toMatchObject({ n: 24, calls: 0, cacheHits: 24, score: summary.score });
  });

  it('reports the parse rate and each guard pass rate with --json; --constrain makes every output a label', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-eval-cli-'));
    const guarded = join(cwd, 'animal-guarded.yaml');
    const spec = readFileSync(task, 'utf8').replaceAll('../../shared', join(repositoryRoot, '..', 'shared'));
    writeFileSync(guarded, `${spec}\nguards:\n  output:\n    - { validator: labels, onFail: fix }\n`);
    const args = [
      'eval',
      '--task',
      guarded,
      '--model',
      model,
      '--split',
      'dev',
      '--limit',
      '24',
      '--json',
      '--no-cache',
    ];
    const plain = run(cwd, ...args);
    expect(plain.status, plain.stderr).toBe(0);
    const summary = JSON.parse(plain.stdout);
    expect(summary.parseRate).toBeGreaterThan(0.5);
    expect(summary.guards.labels).toMatchObject({ stage: 'output', checked: 24 });
    expect(summary.guards.labels.passRate).toBeLessThan(summary.guards.labels.finalPassRate);
    // the HTML report shows them too: the validator's rates and actions, and each example's failures
    const reported = run(cwd, ...args, '--report', 'report.html');
    expect(reported.status, reported.stderr).toBe(0);
    const html = readFileSync(join(cwd, 'report.html'), 'utf8');
    const { passRate, finalPassRate, actions } = summary.guards.labels;
    const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
    expect(html).toContain(
      `<tr><td>labels</td><td>output</td><td>24</td><td>${percent(passRate)}</td><td>${percent(finalPassRate)}</td><td>${Object.entries(
        actions,
      )
        .map(([action, count]) => `${action} ${count}`)
        .join(', ')}</td></tr>`,
    );
    expect(actions.fixed).toBeGreaterThan(0);
    expect(html.match(/labels: fixed/g)).toHaveLength(actions.fixed);
    const constrained = JSON.parse(run(cwd, ...args, '--constrain').stdout);
    expect(constrained.parseRate).toBe(1);
    expect(constrained.guards.labels.passRate).toBe(1);
    expect(constrained.metrics['exact-match']).toBeGreaterThan(summary.metrics['exact-match']);
  });

  it('records each call as a trace of its run with --trace, readable with traces ls and show', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-eval-cli-'));
    const traced = run(
      cwd,
      'eval',
      '--task',
      task,
      '--model',
      model,
      '--split',
      'dev',
      '--limit',
      '6',
      '--trace',
      '--json',
    );
    expect(traced.status, traced.stderr).toBe(0);
    const runId = /as run (eval-\S+)/.exec(traced.stderr)![1];
    expect(traced.stderr).toContain(`traced 6 calls as run ${runId}`);
    const listed = run(cwd, 'traces', 'ls', '--run', runId, '--json');
    expect(listed.status, listed.stderr).toBe(0);
    const traces = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(traces).toHaveLength(6);
    expect(traces[0]).toMatchObject({ source: 'eval', run: runId, task: 'animal', operation: 'run' });
    // what each call sampled with: the spec's generation settings (animal.yaml: greedy, 8 tokens)
    expect(traces[0].sampling).toEqual({ temperature: 0, topP: null, topK: null, maxTokens: 8, seed: 0 });
    expect(traces[0].checks).toMatchObject({ score: expect.any(Number), byMetric: expect.any(Object) });
    const shown = run(cwd, 'traces', 'show', traces[0].id);
    expect(shown.stdout).toContain(`run            ${runId}`);
    expect(run(cwd, 'traces', 'show', 'nope').stderr).toContain('code: TRACE_NOT_FOUND');
    // a task never pushed still lists its traces; one nobody traced nor pushed is refused, not "none"
    expect(run(cwd, 'traces', 'ls', '--task', 'animal', '--json').stdout.trim().split('\n')).toHaveLength(6);
    // and one whose other filters match nothing is "no traces", not an unknown task
    expect(run(cwd, 'traces', 'ls', '--task', 'animal', '--error', 'any').stderr).toBe('no traces match\n');
    for (const command of ['traces ls', 'monitor --source eval'])
      expect(run(cwd, ...command.split(' '), '--task', 'anmal').stderr).toContain('code: REGISTRY_NO_TASK');
    expect(traces[0]).toMatchObject({ version: null, label: null });
    // a registry version's calls carry its id, and the label it was named by
    const pushed = run(cwd, 'registry', 'push', '--task', task, '--label', 'staging', '--json');
    expect(pushed.status, pushed.stderr).toBe(0);
    const versionRun = run(
      cwd,
      ...['eval', '--version', 'animal@staging', '--task', task, '--model', model],
      ...['--split', 'dev', '--limit', '2', '--trace'],
    );
    expect(versionRun.status, versionRun.stderr).toBe(0);
    const versionRunId = /as run (eval-\S+)/.exec(versionRun.stderr)![1];
    const versionTraces = run(cwd, 'traces', 'ls', '--run', versionRunId, '--json')
      .stdout.trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const id = JSON.parse(pushed.stdout).version.id as string;
    expect(versionTraces.map((trace) => [trace.version, trace.label])).toEqual([
      [id, 'staging'],
      [id, 'staging'],
    ]);
  });

  it('exits with status 3 below --min-score', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-eval-cli-'));
    const result = run(
      cwd,
      'eval',
      '--task',
      task,
      '--model',
      model,
      '--split',
      'dev',
      '--limit',
      '8',
      '--min-score',
      '0.99',
    );
    expect(result.status).toBe(3); // a failed gate, not a failure (1) or a bug (70)
    expect(result.stderr).toContain('code: EVAL_BELOW_MIN_SCORE');
    expect(result.stdout).toMatch(/score \d\.\d{3}/);
  });

  it('a run killed part-way resumes without repeating finished examples', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-eval-kill-'));
    const nameTask = join(repositoryRoot, 'examples', 'name.yaml');
    // three repeats make the run long enough (about 2 s) to kill it in the middle
    const args = [
      bin,
      'eval',
      '--task',
      nameTask,
      '--model',
      model,
      '--split',
      'test',
      '--repeats',
      '3',
      '--concurrency',
      '1',
      '--no-cache',
      '--json',
    ];
    const child = spawn(process.execPath, args, { cwd });
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stderr.on('data', (chunk: Buffer) => {
      if (/ (3\d|4\d)%/.test(chunk.toString())) child.kill('SIGKILL');
    });
    expect(await closed).toBeNull(); // killed, not finished
    const resumed = JSON.parse(spawnSync(process.execPath, args, { cwd, encoding: 'utf8' }).stdout);
    expect(resumed.n).toBe(256);
    expect(resumed.resumed).toBeGreaterThanOrEqual(0.3 * 768);
    expect(resumed.resumed).toBeLessThan(768);
    expect(resumed.calls).toBe(768 - resumed.resumed);
  });

  it('--push records the run in the registry: its config, every example and the summary', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-eval-cli-'));
    const args = ['eval', '--task', task, '--model', model, '--split', 'dev', '--limit', '24', '--json'];
    const result = run(cwd, ...args, '--push', '--db', 'registry.sqlite', '--report', 'eval.html');
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    const id = /recorded as run (\S+)/.exec(result.stderr)?.[1];
    expect(id).toBeDefined();
    const registry = await Registry.open({ path: join(cwd, 'registry.sqlite') });
    try {
      const runs = await registry.runs.list();
      expect(runs.data.map((each) => each.id)).toEqual([id]);
      const recorded = runs.data[0];
      expect(recorded).toMatchObject({
        kind: 'evaluation',
        task: 'animal',
        status: 'completed',
        config: { model: expect.stringContaining('stories260K') as string, split: 'dev', examples: 24 },
        progress: { done: 24, total: 24 },
      });
      expect(recorded.summary).toEqual(summary);
      // the dev file it read, by the id the registry stores it under
      const dev = join(repositoryRoot, '..', 'shared', 'datasets', 'animal', 'dev.jsonl');
      expect(recorded.datasets).toEqual([datasetId('animal', 'dev', readFileSync(dev))]);
      const examples = await registry.runs.entries(recorded.id, 'example');
      expect(examples.data).toHaveLength(24);
      const failures = await registry.runs.entries(recorded.id, 'example', { passed: false });
      // exact match scores 0 or 1 per example: the failures are the score's complement
      expect(failures.data.length).toBe(Math.round((1 - summary.score) * 24));
      expect(examples.data[0].data).toMatchObject({ index: 0, fields: expect.any(Object) as object });
    } finally {
      await registry.close();
    }
    // and through the CLI: listed, shown with its failing examples, a bad kind refused
    const listed = run(cwd, 'runs', 'ls', '--db', 'registry.sqlite');
    expect(listed.stdout).toMatch(
      new RegExp(`${id}\\s+evaluation\\s+animal\\s+completed\\s+score ${summary.score.toFixed(3)}`),
    );
    const shown = run(
      cwd,
      'runs',
      'show',
      id!,
      '--db',
      'registry.sqlite',
      '--entries',
      'example',
      '--failures',
    );
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`status       completed`);
    const failures = shown.stdout.split('\n').filter((text) => text.startsWith('{'));
    expect(failures).toHaveLength(Math.round((1 - summary.score) * 24));
    for (const failure of failures)
      expect(JSON.parse(failure)).toMatchObject({ kind: 'example', passed: false });
    // with --json, JSON Lines of the entries alone (a script parses every line)
    const lines = run(cwd, 'runs', 'show', id!, '--db', 'registry.sqlite', '--entries', 'example', '--json')
      .stdout.trim()
      .split('\n');
    expect(lines.map((line) => JSON.parse(line).kind)).toEqual(Array(24).fill('example'));
    // the HTML report rendered from the registry is the one the command wrote
    const reported = run(cwd, 'runs', 'report', id!, '--db', 'registry.sqlite', '--out', 'run.html');
    expect(reported.status, reported.stderr).toBe(0);
    expect(readFileSync(join(cwd, 'run.html'), 'utf8')).toBe(readFileSync(join(cwd, 'eval.html'), 'utf8'));
    const refused = run(cwd, 'runs', 'ls', '--db', 'registry.sqlite', '--kind', 'experiment');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('CLI_INVALID_OPTION');
  });

  it('Ctrl-C stops after the call under way with every answer journaled; the run records why it stopped', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-eval-stop-'));
    const args = [
      bin,
      ...['eval', '--task', join(repositoryRoot, 'examples', 'name.yaml'), '--model', model],
      ...['--split', 'test', '--repeats', '3', '--concurrency', '1', '--no-cache', '--json'],
    ];
    const { code, signal, stderr } = await interruptedRun(
      [...args.slice(1), '--push', '--db', 'registry.sqlite'],
      / (3\d|4\d)%/,
      cwd,
    );
    expect([code, signal], stderr).toEqual([null, 'SIGINT']);
    expect(stderr).toContain(
      'SIGINT: stopping the evaluation after the calls under way and keeping their answers',
    );
    const stopped = jsonError(stderr);
    expect(stopped.code).toBe('EVAL_INTERRUPTED');
    const answered = Number(/^evaluation stopped after (\d+) of 768 answers$/.exec(stopped.message)?.[1]);
    expect(answered).toBeGreaterThanOrEqual(0.3 * 768);
    expect(stopped.hint).toContain('.promptune/runs/');
    const registry = await Registry.open({ path: join(cwd, 'registry.sqlite') });
    try {
      const [run] = (await registry.runs.list()).data;
      expect(run).toMatchObject({ status: 'cancelled', error: stopped.message });
    } finally {
      await registry.close();
    }
    // every answer given before the stop is kept: the rerun asks only for the rest
    const resumed = JSON.parse(spawnSync(process.execPath, args, { cwd, encoding: 'utf8' }).stdout);
    expect(resumed.resumed).toBe(answered);
    expect(resumed.calls).toBe(768 - answered);
  });

  it('--push: a run killed midway reads as interrupted once its heartbeat is stale', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-eval-cli-'));
    const args = [
      bin,
      'eval',
      '--task',
      join(repositoryRoot, 'examples', 'name.yaml'),
      '--model',
      model,
      '--repeats',
      '3',
      '--concurrency',
      '1',
      '--no-cache',
      '--push',
      '--db',
      'registry.sqlite',
    ];
    const child = spawn(process.execPath, args, { cwd });
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stderr.on('data', (chunk: Buffer) => {
      if (/ (3\d|4\d)%/.test(chunk.toString())) child.kill('SIGKILL');
    });
    expect(await closed).toBeNull(); // killed, not finished
    const registry = await Registry.open({ path: join(cwd, 'registry.sqlite') });
    try {
      const [killed] = (await registry.runs.list()).data;
      expect(killed.status).toBe('running'); // its heartbeat is fresh
      expect(killed.progress?.done).toBeGreaterThan(0);
      const later = killed.heartbeatAt + staleAfterMs + 1;
      expect((await registry.runs.get(killed.id, later)).status).toBe('interrupted');
    } finally {
      await registry.close();
    }
  });

  it('names a bad dataset line', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-eval-cli-'));
    writeFileSync(join(cwd, 'data.jsonl'), '{"input": "a", "target": "b"}\n{"input": "c"}\n');
    writeFileSync(
      join(cwd, 'task.yaml'),
      'name: t\nprompt:\n  template: "{{input}}"\ndata:\n  test: data.jsonl\n',
    );
    const result = run(cwd, 'eval', '--task', 'task.yaml', '--model', model);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/data\.jsonl:2: missing or empty target/);
  });
});

describe('promptune compare', () => {
  it('compares two JSON reports of the same examples', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-compare-'));
    const base = ['eval', '--task', task, '--model', model, '--split', 'dev', '--limit', '30'];
    expect(run(cwd, ...base, '--report-json', 'greedy.json', '--report', 'greedy.html').status).toBe(0);
    writeFileSync(
      join(cwd, 'hot.yaml'),
      readFileSync(task, 'utf8')
        .replace(/temperature: 0/, 'temperature: 1.5')
        .replace(/\.\.\/\.\.\/shared/g, join(repositoryRoot, '..', 'shared')),
    );
    expect(
      run(
        cwd,
        'eval',
        '--task',
        'hot.yaml',
        '--model',
        model,
        '--split',
        'dev',
        '--limit',
        '30',
        '--report-json',
        'hot.json',
      ).status,
    ).toBe(0);
    const result = run(cwd, 'compare', 'greedy.json', 'hot.json', '--json');
    expect(result.status).toBe(0);
    const comparison = JSON.parse(result.stdout);
    expect(comparison.n).toBe(30);
    expect(comparison.difference).toBeCloseTo(comparison.b.score - comparison.a.score, 10);
    expect(comparison.improved.length + comparison.regressed.length).toBeGreaterThan(0);
    expect(readFileSync(join(cwd, 'greedy.html'), 'utf8')).toContain('<h2>Examples</h2>');
    // as text: each side by its file, the model they share said once
    expect(run(cwd, 'compare', 'greedy.json', 'hot.json').stdout).toMatch(
      /^greedy\.json: [\d.]+ {2}-> {2}hot\.json: [\d.]+ on 30 shared examples, both on local:\S+\n/,
    );
    expect(run(cwd, 'compare', 'greedy.html', 'hot.json').stderr).toContain('COMPARE_BAD_REPORT');
    // two runs with nothing in common say what each was of
    const report = JSON.parse(readFileSync(join(cwd, 'hot.json'), 'utf8'));
    const other = report.examples.map((example: { id: string }) => ({ ...example, id: `x${example.id}` }));
    writeFileSync(join(cwd, 'other.json'), JSON.stringify({ ...report, split: 'test', examples: other }));
    expect(run(cwd, 'compare', 'greedy.json', 'other.json').stderr).toContain(
      `the two runs share no examples (the first: task ${report.task}, split ${report.split}; the second: task ${report.task}, split test)`,
    );
  });
});

describe('promptune dataset stats', () => {
  it('prints sizes and the label distribution', () => {
    const result = run(
      repositoryRoot,
      'dataset',
      'stats',
      join(repositoryRoot, '..', 'shared', 'datasets', 'gender', 'dev.jsonl'),
      '--json',
    );
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      size: 128,
      labels: { ' boy': 64, ' girl': 64 },
      duplicates: 0,
    });
  });
});

describe('promptune optimize', () => {
  it('tunes a prompt within --max-calls and eval --prompt scores the artifact', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-optimize-cli-'));
    const result = run(
      cwd,
      'optimize',
      '--task',
      task,
      '--model',
      model,
      '--dev-limit',
      '16',
      '--max-calls',
      '80',
      '--out',
      'prompt.json',
      '--report',
      'report.html',
      '--push',
      '--label',
      'staging',
    );
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(
      /bootstrap \(light\), 16 dev examples: at most \d+ student and 0 teacher calls, about \d+ tokens, \$0\.0000; student calls capped at 80/,
    );
    // on this tiny model no candidate is significantly better: the seed prompt is registered and labelled
    expect(result.stdout).toContain('the seed prompt is kept as animal@1 (labelled staging)');
    expect(readFileSync(join(cwd, 'report.html'), 'utf8')).toContain(
      '<h2>Final prompt against the seed</h2>',
    );
    const staged = JSON.parse(run(cwd, 'registry', 'show', 'animal@staging', '--json').stdout).version;
    expect(staged.run.datasets.dev).toMatch(/^[0-9a-f]{64}$/);
    const artifact = JSON.parse(readFileSync(join(cwd, 'prompt.json'), 'utf8'));
    expect(artifact).toMatchObject({
      format: 'promptune-prompt',
      task: 'animal',
      optimizer: { name: 'bootstrap' },
    });
    expect(artifact.optimizer.calls).toBeLessThanOrEqual(80);
    const evaluated = JSON.parse(
      run(
        cwd,
        'eval',
        '--task',
        task,
        '--model',
        model,
        '--prompt',
        'prompt.json',
        '--split',
        'dev',
        '--limit',
        '16',
        '--json',
      ).stdout,
    );
    expect(evaluated.score).toBeCloseTo(artifact.scores.best, 10);
    const wrongTask = run(
      cwd,
      'eval',
      '--task',
      join(repositoryRoot, 'examples', 'gender.yaml'),
      '--model',
      model,
      '--prompt',
      'prompt.json',
    );
    expect(wrongTask.stderr).toContain('code: ARTIFACT_WRONG_TASK');
  });
});
