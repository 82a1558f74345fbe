// Bad input to optimize, eval and compare, as a user meets it: damaged price tables, prompt artifacts,
// JSON reports, journals and cached responses. Each is a coded error with a hint, printed without a stack
// trace, with exit status 1, and changes no file. Journals are damaged after a run killed mid-way; the
// model is scripted (a real OpenAI-compatible HTTP server on 127.0.0.1 with deterministic answers).
import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killedAt, snapshot, startCli, sumsTask } from './cli-optimize-helpers.js';
import { serveScriptedChat, type ScriptedChatServer } from './scripted-model.js';

let server: ScriptedChatServer;
let model: string;
beforeAll(async () => {
  server = await serveScriptedChat(() => ' ?');
  model = `openai-compatible:${server.url}#scripted`;
});
afterAll(() => server?.close());

const artifact = {
  format: 'promptune-prompt',
  version: 1,
  task: 'sums',
  prompt: { template: 'Q: {{input}}\nAnswer:', demos: [], demoSeparator: '\n\n' },
  generation: { maxTokens: 4, temperature: 0, stop: [], seed: 0 },
  optimizer: { name: 'bootstrap', seed: 0, calls: 1 },
  scores: { seed: 0, best: 0, split: 'dev', n: 1 },
};
const example = { index: 0, id: 'a', line: 1, fields: { input: '1 + 2' }, target: '3' };
const report = {
  ...{ task: 'sums', split: 'dev', model: 'm', n: 1, repeats: 1, score: 1, interval: [1, 1] },
  examples: [{ ...example, outputs: ['3'], scores: [1], score: 1 }],
};
const eval_ = (...more: string[]) => ['eval', '--task', 'task.yaml', '--model', model, ...more];
const optimize = (...more: string[]) => [
  ...['optimize', '--task', 'task.yaml', '--model', model, '--dev-limit', '4', '--out', 'prompt.json'],
  ...more,
];

/** Damages the only file in .promptune/runs whose name ends with `suffix`, via `damage(its lines)`. */
function damageJournal(cwd: string, suffix: string, damage: (lines: string[]) => string[]) {
  const runs = join(cwd, '.promptune', 'runs');
  const [name] = readdirSync(runs).filter((file) => file.endsWith(suffix));
  const path = join(runs, name);
  writeFileSync(path, damage(readFileSync(path, 'utf8').split('\n')).join('\n'));
}

const cases: {
  name: string;
  files?: Record<string, string>;
  /** Makes the state to damage (runs against the server), before the snapshot. */
  prepare?: (cwd: string) => Promise<void>;
  args: () => string[];
  code: string;
  message: RegExp;
}[] = [
  {
    // checked before the run: it neither calls the model nor writes prompt.json
    name: 'a --report in a folder that does not exist (optimize)',
    args: () => optimize('--report', 'missing/report.html'),
    code: 'FILE_NOT_FOUND',
    message: /--report missing\/report\.html: the folder \S+missing does not exist/,
  },
  {
    name: 'a --report that is a folder (eval)',
    prepare: async (cwd) => mkdirSync(join(cwd, 'reports')),
    args: () => eval_('--report', 'reports'),
    code: 'PATH_IS_A_FOLDER',
    message: /--report reports is a folder/,
  },
  {
    name: 'a truncated price table (eval)',
    files: { 'prices.json': '{"gpt-4o": {"input": 2.5, "out' },
    args: () => eval_('--prices', 'prices.json'),
    code: 'PRICES_INVALID',
    message: /price table prices\.json is not valid JSON/,
  },
  {
    name: 'a price as text (optimize)',
    files: { 'prices.json': '{"gpt-4o": {"input": "2.5", "output": 10}}' },
    args: () => optimize('--prices', 'prices.json'),
    code: 'PRICES_INVALID',
    message: /price table prices\.json: field gpt-4o\.input: Invalid input: expected number, received string/,
  },
  {
    name: 'a missing price table',
    args: () => optimize('--prices', 'nowhere.json'),
    code: 'PRICES_NOT_FOUND',
    message: /price table nowhere\.json does not exist/,
  },
  {
    name: 'a truncated prompt artifact',
    files: { 'prompt.json': JSON.stringify(artifact).slice(0, 90) },
    args: () => eval_('--prompt', 'prompt.json'),
    code: 'ARTIFACT_INVALID',
    message: /prompt artifact prompt\.json is not valid JSON/,
  },
  {
    name: 'a report given as a prompt artifact',
    files: { 'prompt.json': JSON.stringify(report) },
    args: () => eval_('--prompt', 'prompt.json'),
    code: 'ARTIFACT_INVALID',
    message: /prompt artifact prompt\.json: field format/,
  },
  {
    name: 'a report without example scores',
    files: { 'a.json': JSON.stringify(report), 'b.json': JSON.stringify({ ...report, examples: [example] }) },
    args: () => ['compare', 'a.json', 'b.json'],
    code: 'COMPARE_BAD_REPORT',
    message: /evaluation report b\.json: field examples\.0\.outputs/,
  },
  {
    name: 'a truncated report',
    files: { 'a.json': JSON.stringify(report).slice(0, 50), 'b.json': JSON.stringify(report) },
    args: () => ['compare', 'a.json', 'b.json'],
    code: 'COMPARE_BAD_REPORT',
    message: /evaluation report a\.json is not valid JSON/,
  },
  {
    name: "a damaged line in a killed eval's journal",
    prepare: async (cwd) => {
      await killedAt(server, server.requests + 6, cwd, eval_('--concurrency', '1'));
      damageJournal(cwd, '.jsonl', (lines) => lines.map((line, i) => (i === 1 ? line.slice(0, 30) : line)));
    },
    args: () => eval_('--concurrency', '1'),
    code: 'EVAL_JOURNAL_CORRUPT',
    message: /evaluation journal .* line 2 is not valid JSON/,
  },
  {
    name: 'a spend journal of a killed optimize run that settles a call it never reserved',
    prepare: async (cwd) => {
      await killedAt(server, server.requests + 6, cwd, optimize());
      damageJournal(cwd, '.spend.jsonl', (lines) => [
        '{"settle":999,"inputTokens":1,"outputTokens":1}',
        ...lines,
      ]);
    },
    args: () => optimize(),
    code: 'SPEND_JOURNAL_CORRUPT',
    message: /spend journal .*: call 999 is settled but was never reserved/,
  },
  {
    name: 'a damaged cached response',
    prepare: async (cwd) => {
      expect((await startCli(cwd, eval_('--limit', '2')).done()).status).toBe(0);
      const database = new Database(join(cwd, '.promptune', 'cache.sqlite'));
      database.prepare('UPDATE responses SET value = ?').run('{"text": 3}');
      database.close();
    },
    args: () => eval_('--limit', '2'),
    code: 'CACHE_CORRUPT',
    message: /response cache .*cache\.sqlite: response [0-9a-f]{16}: field text/,
  },
];

describe('bad input to optimize, eval and compare', () => {
  it.each(cases)('$name: a coded error with a hint, exit 1, no stack, no file changed', async (each) => {
    const cwd = sumsTask();
    for (const [name, text] of Object.entries(each.files ?? {})) writeFileSync(join(cwd, name), text);
    await each.prepare?.(cwd);
    const before = snapshot(cwd);
    const result = await startCli(cwd, each.args()).done();
    expect(result.stderr).toMatch(each.message);
    expect(result.stderr).toContain(`code: ${each.code}\n`);
    expect(result.stderr).toMatch(/\nhint: \S/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.status).toBe(1);
    expect(snapshot(cwd)).toEqual(before);
  });
});

describe('a model server as a user meets it', () => {
  it('asks a second server of the same model name itself, not the first one answers from the cache', async () => {
    const cwd = sumsTask();
    const other = await serveScriptedChat(() => ' ?');
    try {
      const first = await startCli(cwd, eval_('--limit', '2')).done();
      expect(first.status, first.stderr).toBe(0);
      const before = other.requests;
      const second = await startCli(cwd, [
        ...['eval', '--task', 'task.yaml', '--model', `openai-compatible:${other.url}#scripted`],
        ...['--limit', '2'],
      ]).done();
      expect(second.status, second.stderr).toBe(0);
      expect(other.requests - before).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });

  it('reports a server that cannot be reached with a code and what to do, and a protected label before any call', async () => {
    const cwd = sumsTask();
    const gone = await startCli(cwd, [
      ...['eval', '--task', 'task.yaml', '--model', 'openai-compatible:http://127.0.0.1:1/v1#scripted'],
      ...['--limit', '1'],
    ]).done();
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain('code: UPSTREAM_UNREACHABLE');
    expect(gone.stderr).toContain('Run it again to resume (the same command');
    const requests = server.requests;
    const labelled = await startCli(cwd, optimize('--push', '--label', 'production')).done();
    expect(labelled.stderr).toContain('code: REGISTRY_PROTECTED_LABEL');
    expect(server.requests).toBe(requests);
  });
});
