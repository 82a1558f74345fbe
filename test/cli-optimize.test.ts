// `promptune optimize` as a user runs it: --json prints one JSON summary on stdout (progress stays on
// stderr), and --min-score gates on the final dev score (exit status 3, the artifact still written,
// --push skipped, the run still recorded), and --push registers the version and records the run.
// The model is scripted behind a real OpenAI-compatible HTTP server on 127.0.0.1: it
// answers "a + b" right only after two demonstrations, so the optimizer's logic decides the score.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../src/registry/index.js';
import { startCli, sumsTask } from './cli-optimize-helpers.js';
import { jsonError } from './error-code.js';
import { serveScriptedChat, type ScriptedChatServer } from './scripted-model.js';

let server: ScriptedChatServer;
beforeAll(async () => {
  server = await serveScriptedChat((prompt) => {
    const question = /(\d+) \+ (\d+)\s*\nAnswer:\s*$/.exec(prompt);
    const demos = prompt.split('Answer:').length - 2;
    return question && demos >= 2 ? ` ${Number(question[1]) + Number(question[2])}` : ' ?';
  });
});
afterAll(() => server?.close());

const optimize = (...more: string[]) => [
  ...['optimize', '--task', 'task.yaml', '--model', `openai-compatible:${server.url}#scripted`],
  ...['--dev-limit', '8', '--out', 'prompt.json', '--json', ...more],
];

describe('promptune optimize --json', () => {
  it('prints the scores, the spend per role and in total, and the files on stdout', async () => {
    const cwd = sumsTask();
    const before = server.requests;
    const result = await startCli(cwd, optimize('--report', 'report.html', '--min-score', '0.9')).done();
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout); // stdout holds the summary and nothing else
    expect(summary).toMatchObject({
      task: 'sums',
      optimizer: 'bootstrap',
      preset: 'light',
      score: 1,
      seedScore: 0,
      n: 8,
      improved: true,
      calls: server.requests - before,
      earlierCalls: 0,
      cost: 0, // a self-hosted model without a price
      artifact: 'prompt.json',
      report: 'report.html',
    });
    expect(summary.roles.student.calls).toBe(summary.calls);
    expect(summary.tokens).toEqual({ input: 10 * summary.calls, output: 2 * summary.calls });
    // 8 of 8 right is Wilson's [0.676, 1]; 0 of 8, [0, 0.324]; the paired gain of 1 on 8 is significant
    expect(summary.interval.map((bound: number) => bound.toFixed(3))).toEqual(['0.676', '1.000']);
    expect(summary.seedInterval.map((bound: number) => bound.toFixed(3))).toEqual(['0.000', '0.324']);
    expect(summary.improvement).toMatchObject({ difference: 1, interval: [1, 1] });
    expect(summary.improvement.pValue).toBeLessThan(0.05);
    expect(summary.cacheHits).toBe(0);
    // the same run again is answered from the response cache: every answer a cache hit, and the first
    // run's calls still count as spent (the budget holds over both runs)
    const again = JSON.parse((await startCli(cwd, optimize()).done()).stdout);
    expect([again.calls, again.earlierCalls, again.cacheHits]).toEqual([
      summary.calls,
      summary.calls,
      summary.calls,
    ]);
    expect(result.stderr).toMatch(/^bootstrap \(light\), 8 dev examples: at most/);
    expect(result.stderr).toMatch(/\ntrial 0: seed prompt/);
    expect(JSON.parse(readFileSync(join(cwd, 'prompt.json'), 'utf8')).scores.best).toBe(1);
  });
});

describe('promptune optimize --push', () => {
  it('registers the version and records the run: its config, each trial as it came, the summary', async () => {
    const cwd = sumsTask();
    const result = await startCli(cwd, optimize('--push', '--report', 'optimize.html')).done();
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    const id = /recorded as run (\S+)/.exec(result.stderr)?.[1];
    const registry = await Registry.open({ path: join(cwd, '.promptune', 'registry.sqlite') });
    try {
      const run = await registry.runs.get(id!);
      const [version] = await registry.listVersions('sums');
      const latest = await registry.resolveVersion('sums');
      expect(version).toBeDefined();
      expect(run).toMatchObject({
        kind: 'optimization',
        task: 'sums',
        status: 'completed',
        version: latest.id,
        config: { optimizer: 'bootstrap', preset: 'light', devExamples: 8 },
      });
      const { result: recorded, ...printed } = run.summary as {
        result: { artifact: unknown; details: unknown };
      };
      expect(printed).toEqual(summary);
      expect(recorded.artifact).toEqual(JSON.parse(readFileSync(join(cwd, 'prompt.json'), 'utf8')));
      expect(recorded.details).toMatchObject({ improved: true, stopped: summary.stopped });
      // the train and dev data it read are the datasets the push stored
      const stored = await registry.listDatasets('sums');
      expect([...run.datasets].sort()).toEqual(
        stored
          .filter((dataset) => ['train', 'dev'].includes(dataset.split))
          .map((dataset) => dataset.id)
          .sort(),
      );
      const trials = await registry.runs.entries(run.id, 'trial');
      expect(trials.data).toHaveLength(summary.candidates + 1);
      expect(trials.data[0]).toMatchObject({ position: 0, data: { description: 'seed prompt (0 demos)' } });
      expect(trials.data.at(-1)?.score).toBe(1);
    } finally {
      await registry.close();
    }
    // the HTML report rendered from the registry is the one the command wrote
    const reported = await startCli(cwd, ['runs', 'report', id!, '--out', 'run.html']).done();
    expect(reported.status, reported.stderr).toBe(0);
    expect(readFileSync(join(cwd, 'run.html'), 'utf8')).toBe(
      readFileSync(join(cwd, 'optimize.html'), 'utf8'),
    );
  });
});

describe('promptune optimize --min-score', () => {
  it('exits with status 3 below it, writes the artifact and the report, and pushes nothing', async () => {
    const cwd = sumsTask();
    // the seed prompt has no demonstrations, and a budget of 8 calls leaves no room to add any
    const args = optimize('--max-calls', '8', '--min-score', '0.5', '--report', 'report.html', '--push');
    const result = await startCli(cwd, args).done();
    expect(result.status).toBe(3); // a failed gate, not a failure (1) or a bug (70)
    // --json: the error is the last line of stderr, as JSON
    expect(jsonError(result.stderr)).toMatchObject({
      code: 'OPTIMIZE_BELOW_MIN_SCORE',
      message: expect.stringMatching(/^the final dev score 0\.000 is below --min-score 0\.5 \(not pushed\)/),
    });
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ score: 0, calls: 8 });
    expect(summary).not.toHaveProperty('registered');
    expect(existsSync(join(cwd, 'prompt.json'))).toBe(true);
    expect(existsSync(join(cwd, 'report.html'))).toBe(true);
    // no version, but the run is recorded: it completed, below the gate
    const registry = await Registry.open({ path: join(cwd, '.promptune', 'registry.sqlite') });
    try {
      expect(await registry.listTasks()).toEqual([]);
      const [run] = (await registry.runs.list()).data;
      expect(run).toMatchObject({ kind: 'optimization', task: 'sums', status: 'completed', version: null });
      expect(run.summary).toMatchObject({ score: 0, calls: 8 });
    } finally {
      await registry.close();
    }
  });

  it('refuses a value that is not a number before calling any model', async () => {
    const before = server.requests;
    const result = await startCli(sumsTask(), optimize('--min-score', 'high')).done();
    expect(result.status).toBe(1);
    expect(jsonError(result.stderr).code).toBe('CLI_INVALID_OPTION');
    // and an option that would change nothing: --label says how --push registers the prompt
    const unpushed = await startCli(sumsTask(), optimize('--label', 'staging')).done();
    expect(jsonError(unpushed.stderr)).toMatchObject({
      code: 'CLI_INVALID_OPTION',
      message: '--label would be ignored: it says how --push registers the prompt',
    });
    expect(server.requests).toBe(before);
  });
});
