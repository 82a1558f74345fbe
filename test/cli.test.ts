// The promptune command as a user runs it (bin/promptune.js over the built dist/): generate streams
// the reference continuation from every format; model info; errors print a hint and exit non-zero.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { displayWidth } from '../src/errors/index.js';
import { referenceLogits, repositoryRoot, sharedModels, stories } from './models.js';

const reference = referenceLogits();
const continuation = reference.greedy_text.slice(reference.prompt.length);

function promptune(...args: string[]) {
  return promptuneWith({}, ...args);
}

function promptuneWith(environment: Record<string, string>, ...args: string[]) {
  const result = spawnSync(process.execPath, [join(repositoryRoot, 'bin', 'promptune.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...environment },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('promptune generate', () => {
  it.each([
    ['GGUF', stories.gguf],
    ['llama2.c', stories.llama2c],
    ['Hugging Face directory', stories.huggingFace],
  ])('prints only the reference greedy continuation (%s)', (_format, model) => {
    const result = promptune(
      'generate',
      '--model',
      model,
      '--prompt',
      reference.prompt,
      '--max-tokens',
      '40',
      '--temperature',
      '0',
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(continuation + '\n');
  });

  it('falls back to the JS kernels with a one-line warning when the addon is missing', () => {
    const result = promptuneWith(
      { PROMPTUNE_NATIVE_ADDON: join(repositoryRoot, 'no-such-addon.node') },
      'generate',
      '--model',
      stories.gguf,
      '--prompt',
      reference.prompt,
      '--max-tokens',
      '40',
      '--temperature',
      '0',
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(continuation + '\n');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/native kernels unavailable .*no-such-addon\.node.*JS kernels/);
  });

  it('runs on the JS kernels when asked to, with no warning', () => {
    const result = promptuneWith(
      { PROMPTUNE_KERNELS: 'js' },
      'generate',
      '--model',
      stories.llama2c,
      '--prompt',
      reference.prompt,
      '--max-tokens',
      '40',
      '--temperature',
      '0',
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(continuation + '\n');
  });

  it('is reproducible with a seed when sampling', () => {
    const args = [
      'generate',
      '--model',
      stories.gguf,
      '--prompt',
      'Tom went',
      '--max-tokens',
      '30',
      '--temperature',
      '1',
      '--seed',
      '11',
    ];
    const first = promptune(...args);
    expect(first.status).toBe(0);
    expect(promptune(...args).stdout).toBe(first.stdout);
  });

  it('refuses a bad option value with a hint and exit code 1', () => {
    const result = promptune('generate', '--model', stories.gguf, '--prompt', 'x', '--max-tokens', 'many');
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/--max-tokens is "many".*\nhint: .*\ncode: CLI_INVALID_OPTION/);
  });

  it('reports a missing model file with its code', () => {
    const result = promptune('generate', '--model', join(sharedModels, 'nothing.gguf'), '--prompt', 'x');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('code: MODEL_NOT_FOUND');
  });

  it('reports a missing required option as a usage error', () => {
    const result = promptune('generate', '--prompt', 'x');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/model/);
  });

  it('refuses an option the command does not take, naming the one meant, before doing anything', () => {
    const result = promptune('generate', '--model', stories.gguf, '--prompt', 'x', '--max-token', '3');
    expect(result.status).toBe(2);
    expect(result.stdout).not.toContain('Once');
    expect(result.stderr).toMatch(
      /error: unknown option --max-token\nhint: Did you mean --max-tokens\? .*\ncode: CLI_USAGE\n$/,
    );
  });

  it('refuses a flag written both ways, which citty would settle by its last', () => {
    const result = promptune('soft', 'train', '--model', stories.gguf, '--search', '--no-search', '--json');
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stderr)).toEqual({
      error: {
        code: 'CLI_USAGE',
        message: '--search and --no-search are both given',
        hint: 'Give one of them: which was meant cannot be told.',
      },
    });
    // written one way only, it is no contradiction
    const once = promptune('model', 'info', '--model', join(sharedModels, 'nothing.gguf'), '--no-json');
    expect(once.stderr).toContain('code: MODEL_NOT_FOUND');
  });

  it('reports errors as one JSON object on stderr when --json is given, usage errors too', () => {
    const parsed = (stderr: string) => {
      expect(stderr.trim().split('\n')).toHaveLength(1);
      return JSON.parse(stderr) as { error: { code: string; message: string; hint?: string } };
    };
    const missing = promptune('model', 'info', '--model', join(sharedModels, 'nothing.gguf'), '--json');
    expect(missing.status).toBe(1);
    expect(missing.stdout).toBe('');
    expect(parsed(missing.stderr).error).toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: expect.stringContaining('nothing.gguf'),
      hint: expect.any(String),
    });
    // the usage is for a person: with --json the error alone, without the usage above it
    const unknown = promptune('model', 'info', '--model', stories.gguf, '--json', '--colour');
    expect(unknown.status).toBe(2);
    expect(parsed(unknown.stderr).error).toEqual({
      code: 'CLI_USAGE',
      message: 'unknown option --colour',
      hint: 'See --help for the options.',
    });
    // after --, --json is an argument, not the option
    expect(
      promptune('model', 'info', '--model', join(sharedModels, 'nothing.gguf'), '--', '--json').stderr,
    ).toMatch(/^error: .*\nhint: .*\ncode: /);
  });

  it('refuses a job whose command line would fail on its worker, at submission, and records no job', () => {
    const db = join(mkdtempSync(join(tmpdir(), 'promptune-job-check-')), 'registry.sqlite');
    // each shown the usage of the job's own command (or its parent's, for a mistyped subcommand)
    for (const [command, error, hint, usage] of [
      [
        ['soft', 'train', '--bogus', '1'],
        "the job's command line: unknown option --bogus",
        'See the options above.',
        /USAGE promptune soft train /,
      ],
      [
        ['soft', 'trian'],
        "the job's command line: Unknown command trian",
        'Did you mean train? See the usage above, or promptune --help.',
        /USAGE promptune soft train\|train-multitask/,
      ],
      [
        ['eval', '--push', '--no-push'],
        "the job's command line: --push and --no-push are both given",
        'Give one of them',
        /USAGE promptune eval /,
      ],
      // a required option left out fails on the worker after queueing: refused at submission
      [
        ['eval', '--version', 'animal@4'],
        "the job's command line: missing required option --model",
        'See the options above.',
        /USAGE promptune eval /,
      ],
    ] as const) {
      const refused = promptune('job', 'submit', '--db', db, '--', ...command);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain(`error: ${error}\nhint: ${hint}`);
      expect(refused.stdout).toMatch(usage);
      expect(refused.stdout).not.toContain('USAGE job submit');
    }
    const other = promptune('job', 'submit', '--db', db, '--', 'generate', '--model', 'x');
    expect(other.stderr).toContain('error: a job cannot run "generate"\n');
    // the command written without the -- that sets it apart: told where to put it
    const undashed = promptune('job', 'submit', '--db', db, 'eval', '--task', 'task.yaml');
    expect(undashed.stderr).toContain(
      `hint: Put the job's command after --: promptune job submit --db ${db} -- eval --task task.yaml. `,
    );
    expect(promptune('job', 'ls', '--db', db).stdout).toMatch(/^no jobs/);
  });

  it("refuses a job whose options its command would refuse, at submission, with the command's own code", () => {
    const db = join(mkdtempSync(join(tmpdir(), 'promptune-job-options-')), 'registry.sqlite');
    const soft = ['soft', 'train', '--model', 'local:m.gguf', '--data', 'data', '--out', 'out'];
    const optimize = ['optimize', '--task', 'task.yaml', '--model', 'local:m.gguf', '--out', 'p.json'];
    for (const [command, code, message] of [
      [
        [...optimize, '--optimizer', 'propose'],
        'OPTIMIZE_NO_TEACHER',
        'the propose optimizer needs a teacher',
      ],
      [[...optimize, '--label', 'production'], 'CLI_INVALID_OPTION', '--label would be ignored'],
      [[...soft, '--method', 'lroa'], 'CLI_INVALID_OPTION', '--method'],
      [
        [...soft, '--method', 'lora', '--virtual-tokens', '8'],
        'CLI_INVALID_OPTION',
        '--virtual-tokens would be ignored',
      ],
      [
        [...soft, '--method', 'full-fine-tuning', '--push'],
        'CLI_INVALID_OPTION',
        '--push registers an adapter',
      ],
      [[...soft, '--steps', '0'], 'CLI_INVALID_OPTION', '--steps is "0"'],
      [
        ['soft', 'train-multitask', '--model', 'm', '--data', 'a', '--out', 'o'],
        'CLI_INVALID_OPTION',
        'several tasks',
      ],
      [
        ['eval', '--task', 't.yaml', '--model', 'm', '--split', 'valid'],
        'CLI_INVALID_OPTION',
        '--split is "valid"',
      ],
      [
        ['eval', '--model', 'm', '--adapter', 'a', '--version', 'name@1'],
        'CLI_INVALID_OPTION',
        'both name a prompt',
      ],
      [
        ['compare-methods', '--model', 'm', '--data', 'd', '--methods', 'lora,lora'],
        'CLI_INVALID_OPTION',
        'names lora twice',
      ],
      [
        ['audit', 'bias', '--task', 't.yaml', '--model', 'm', '--alpha', '2'],
        'CLI_INVALID_OPTION',
        '--alpha is 2',
      ],
      [
        ['audit', 'sensitivity', '--task', 't.yaml', '--model', 'm', '--paraphrases', '2'],
        'CLI_INVALID_OPTION',
        '--paraphrases would be ignored',
      ],
      [
        ['loop', 'policy.yaml', '--dry-run', '--watch', '10m'],
        'CLI_INVALID_OPTION',
        '--watch would be ignored',
      ],
      [['loop', '--dry-run'], 'CLI_USAGE', 'Missing required positional argument: POLICY'],
      [[...soft, '--like', 'name@1', '--steps', '0'], 'CLI_INVALID_OPTION', '--steps is "0"'],
    ] as const) {
      const refused = promptune('job', 'submit', '--db', db, '--json', '--', ...command);
      expect([refused.status, command]).toEqual([1, command]);
      const { error } = JSON.parse(refused.stderr) as {
        error: { code: string; message: string; hint: string };
      };
      expect(error.code).toBe(code);
      expect(error.message).toContain(`the job's command line: `);
      expect(error.message).toContain(message);
      expect(error.hint).toMatch(/Nothing was queued\.$/);
    }
    // refused before the registry is opened: no --db file was made
    expect(existsSync(db)).toBe(false);
    const run = promptune('job', 'run', '--db', db, '--', ...optimize, '--optimizer', 'propose');
    expect([run.status, run.stderr]).toEqual([1, expect.stringContaining('code: OPTIMIZE_NO_TEACHER')]);
    expect(promptune('job', 'ls', '--db', db).stdout).toMatch(/^no jobs/);
    // what it reads is not looked at (an earlier job may write it), nor what a --like version adds
    for (const command of [
      [...optimize, '--optimizer', 'propose', '--teacher', 'local:m.gguf'],
      [...soft, '--like', 'name@1', '--rank', '8'],
    ]) {
      const queued = promptune('job', 'submit', '--db', db, '--', ...command);
      expect([queued.status, queued.stderr]).toEqual([0, '']);
    }
    expect(promptune('job', 'ls', '--db', db, '--json').stdout).toContain('"kind": "soft-train"');
    // run directly, the command refuses the combination before it loads a model or records a run
    const direct = promptune(
      ...optimize,
      '--optimizer',
      'evolve',
      '--model',
      join(sharedModels, 'nothing.gguf'),
    );
    expect(direct.stderr).toContain('error: the evolve optimizer needs a teacher model\n');
  });

  it('dataset stats aligns labels of any script and warns of labels alike in another Unicode form', () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-stats-'));
    const file = join(folder, 'train.jsonl');
    const rows = ['Zo\u00eb', 'Zoe\u0308', '李华', 'Ann'].map((target, index) => ({
      input: `${index}`,
      target,
    }));
    writeFileSync(file, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
    const result = promptune('dataset', 'stats', file);
    expect(result.status).toBe(0);
    const counts = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('  "'))
      .map((line) => displayWidth(line.slice(0, line.indexOf(' 1 ('))));
    expect(counts).toHaveLength(4);
    expect(new Set(counts).size).toBe(1);
    expect(result.stderr).toContain('are one text in different Unicode forms');
  });

  it('prints usage errors without colour codes when stderr is not a terminal', () => {
    const result = promptune('nothing-like-a-command');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/error: Unknown command nothing-like-a-command\nhint: .*\ncode: CLI_USAGE/);
    expect(result.stderr + result.stdout).not.toContain('\u001b[');
    // usage lines end at their text (citty pads them to its table's width)
    const help = promptune('soft', 'train', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--init-text');
    expect(help.stdout.split('\n').filter((line) => / $/.test(line))).toEqual([]);
    // a mistyped command is told the nearest one, a subcommand too
    expect(promptune('serv').stderr).toContain('hint: Did you mean serve? ');
    expect(promptune('soft', 'trian').stderr).toContain('hint: Did you mean train? ');
    // with the options of the command meant: the subcommand is what is wrong, not its options
    const mistyped = promptune('audit', 'bais', '--task', 'examples/gender.yaml', '--model', 'x');
    expect([mistyped.status, mistyped.stderr]).toEqual([2, expect.stringContaining('Unknown command bais')]);
    expect(mistyped.stderr).toContain('hint: Did you mean bias? ');
  });

  it('says when a job asked to stop has a silent worker, which ends it only when its lease lapses', async () => {
    const { Registry } = await import('../src/registry/index.js');
    const db = join(mkdtempSync(join(tmpdir(), 'promptune-cancel-')), 'registry.sqlite');
    const registry = await Registry.open({ path: db });
    const input = {
      kind: 'eval',
      args: ['eval'],
      cwd: tmpdir(),
      queue: 'redis' as const,
      maxAttempts: 3,
      actor: 'x',
    };
    const [quiet, live] = [await registry.jobs.submit(input), await registry.jobs.submit(input)];
    await registry.jobs.start(quiet.id, 'gone', 600_000, Date.now() - 120_000);
    await registry.jobs.start(live.id, 'alive', 600_000);
    await registry.close();
    expect(promptune('job', 'cancel', live.id, '--db', db).stdout).toBe(
      `asked ${live.id} to stop; its worker ends it within a second\n`,
    );
    expect(promptune('job', 'cancel', quiet.id, '--db', db).stdout).toMatch(
      new RegExp(
        `^asked ${quiet.id} to stop; its worker has not been heard from for 1[12]\\d s, so it ends when its lease lapses`,
      ),
    );
  });

  it('refuses a worker option it could not honour before it connects to anything', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-worker-'));
    const worker = (...args: string[]) =>
      spawnSync(process.execPath, [join(repositoryRoot, 'bin', 'promptune.js'), 'worker', ...args], {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, REDIS_URL: '' },
        timeout: 20_000,
      });
    // BullMQ took a 0 s lease as a bug report (stalledInterval must be greater than 0)
    expect(worker('--lease', '0s').stderr).toMatch(
      /--lease 0s is shorter than 2 s[\s\S]*code: CLI_INVALID_OPTION/,
    );
    // --once drains the registry queue only: a BullMQ worker had run on past it
    expect(worker('--redis', 'redis://127.0.0.1:1', '--once').stderr).toMatch(
      /--once drains the registry queue[\s\S]*code: CLI_INVALID_OPTION/,
    );
    // not a Redis URL: at once, where ioredis had read it as a socket path for 10 s
    const http = worker('--redis', 'http://127.0.0.1:1');
    expect([http.status, http.stderr]).toEqual([
      1,
      expect.stringMatching(/is not a Redis URL[\s\S]*code: REDIS_BAD_URL/),
    ]);
  });
});

describe('promptune serve with a bad option', () => {
  it('refuses it and exits, without starting the engine', () => {
    const result = spawnSync(
      process.execPath,
      [join(repositoryRoot, 'bin', 'promptune.js'), 'serve', '--model', stories.gguf, '--port', '70000'],
      { encoding: 'utf8', timeout: 60_000, cwd: mkdtempSync(join(tmpdir(), 'promptune-serve-option-')) },
    );
    expect(result.signal).toBeNull(); // it ended by itself, not by the timeout
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/--port is "70000".*\nhint: .*\ncode: CLI_INVALID_OPTION/);
  });
});

describe('promptune model info', () => {
  it('prints architecture, parameters, vocabulary, context length and format', () => {
    const result = promptune('model', 'info', '--model', stories.gguf);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/architecture\s+llama/);
    expect(result.stdout).toMatch(/parameters\s+260,032/);
    expect(result.stdout).toMatch(/vocabulary\s+512/);
    expect(result.stdout).toMatch(/context length\s+2048/);
    expect(result.stdout).toMatch(/format\s+gguf/);
  });

  it.each([
    [stories.llama2c, 'llama2c', 512],
    [stories.huggingFace, 'safetensors', 512],
  ])('--json for %s', (model, format, contextLength) => {
    const result = promptune('model', 'info', '--model', model, '--json');
    const info = JSON.parse(result.stdout);
    expect(info).toMatchObject({
      format,
      architecture: 'llama',
      parameters: 260032,
      vocabularySize: 512,
      contextLength,
    });
  });
});

describe('promptune writing into a closed pipe', () => {
  it('stops quietly with status 0 when its reader is gone (promptune ... | head)', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [join(repositoryRoot, 'bin', 'promptune.js'), 'model', 'info', '--model', stories.gguf],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.destroy(); // the reader leaves before the first line is written
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const status = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });
});

describe('promptune with an hf: model', () => {
  it('downloads through HF_ENDPOINT into PROMPTUNE_CACHE, reports progress on stderr, and generates', async () => {
    const { startHubServer } = await import('./hub-server.js');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { spawn } = await import('node:child_process');
    const hub = await startHubServer('karpathy/stories260K', stories.huggingFace);
    const cache = mkdtempSync(join(tmpdir(), 'promptune-cli-hub-'));
    try {
      // the server runs in this process, so the command must run asynchronously
      const child = spawn(
        process.execPath,
        [
          join(repositoryRoot, 'bin', 'promptune.js'),
          'generate',
          '--model',
          'hf:karpathy/stories260K',
          '--prompt',
          reference.prompt,
          '--max-tokens',
          '40',
          '--temperature',
          '0',
        ],
        {
          // an empty Hugging Face cache: the download is what is tested
          env: {
            ...process.env,
            HF_ENDPOINT: hub.url,
            PROMPTUNE_CACHE: cache,
            HF_HUB_CACHE: join(cache, 'hf'),
            HF_HUB_OFFLINE: '',
            TRANSFORMERS_OFFLINE: '',
          },
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const status = await new Promise((resolve) => child.on('close', resolve));
      expect(status).toBe(0);
      expect(stdout).toBe(continuation + '\n');
      expect(stderr).toMatch(/downloaded model\.safetensors \(1\.0 MB\)/);
    } finally {
      await hub.close();
    }
  });
});

describe('promptune with an hf: model and HF_HUB_OFFLINE=1', () => {
  it('reads the Hugging Face cache under HF_HOME, and with nothing there fails naming where it looked', async () => {
    const { cpSync, mkdirSync, writeFileSync } = await import('node:fs');
    const home = mkdtempSync(join(tmpdir(), 'promptune-cli-hf-home-'));
    const environment = {
      HF_HOME: home,
      HF_HUB_CACHE: '',
      HF_HUB_OFFLINE: '1',
      HF_ENDPOINT: 'http://127.0.0.1:9',
      PROMPTUNE_CACHE: join(home, 'promptune'),
    };
    const missing = promptuneWith(environment, 'model', 'info', '--model', 'hf:karpathy/stories260K');
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('code: HUB_OFFLINE_NOT_CACHED');
    expect(missing.stderr).toContain(join(home, 'hub', 'models--karpathy--stories260K'));

    const repository = join(home, 'hub', 'models--karpathy--stories260K');
    cpSync(stories.huggingFace, join(repository, 'snapshots', 'c'.repeat(40)), { recursive: true });
    mkdirSync(join(repository, 'refs'));
    writeFileSync(join(repository, 'refs', 'main'), 'c'.repeat(40));
    const found = promptuneWith(environment, 'model', 'info', '--model', 'hf:karpathy/stories260K');
    expect(found.stderr).toBe('');
    expect(found.status).toBe(0);
  });
});

describe('the README and CI agree', () => {
  it('.ci/run runs exactly the README test command', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(join(repositoryRoot, 'README.md'), 'utf8');
    const command = /# set up, then run the tests[^\n]*\n([^\n]+)\n/.exec(readme)?.[1];
    expect(command).toBeTruthy();
    expect(
      readFileSync(join(repositoryRoot, '.ci', 'run'), 'utf8')
        .trim()
        .split('\n')
        .at(-1),
    ).toBe(command);
  });
});
