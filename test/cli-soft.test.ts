// `promptune soft train|eval|generate` as a user runs them, and their errors on bad data and adapters.
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/engine/index.js';
import { Registry } from '../src/registry/index.js';
import { loadPrefixAdapter } from '../src/soft/index.js';
import { evaluateAdapter, generateWithAdapter, promptune, slice, softTrain } from './cli-soft-helpers.js';
import { jsonError } from './error-code.js';
import { maxAbsDiff, repositoryRoot, sharedModels, stories } from './models.js';

const datasets = join(sharedModels, '..', 'datasets');

describe('promptune soft', () => {
  it('trains, evaluates and generates with an adapter', () => {
    const data = slice('gender', { train: 48, dev: 16, test: 16 });
    const out = join(data, 'adapter');
    const trained = softTrain(data, out, '--epochs', '2', '--no-search', '--json');
    expect(trained.stderr).toMatch(/training 12\/12 100%/);
    expect(trained.stderr).not.toContain('training made the model worse');
    expect(trained.status).toBe(0);
    const summary = JSON.parse(trained.stdout);
    expect(summary.steps).toBe(12);
    expect(summary.test.n).toBe(16);
    expect(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'))).toMatchObject({
      peft_type: 'PROMPT_TUNING',
      num_virtual_tokens: 16,
    });
    const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { step: number; devExactMatch?: number });
    expect(records).toHaveLength(12);
    // by default dev is scored four times an epoch: here every step (six steps an epoch)
    expect(records.filter((record) => record.devExactMatch !== undefined)).toHaveLength(12);
    // and a label task's prompt starts from its labels' embeddings
    expect(JSON.parse(readFileSync(join(out, 'promptune.json'), 'utf8')).training).toMatchObject({
      init: 'class-labels',
    });

    const evaluated = JSON.parse(evaluateAdapter(out, join(data, 'test.jsonl')).stdout);
    expect(evaluated).toMatchObject({ n: 16, accuracy: summary.test.exactMatch });
    expect(evaluated.likelihoodAccuracy).toBeGreaterThanOrEqual(0);

    const generated = generateWithAdapter(out);
    expect(generated.status).toBe(0);
    expect(generated.stdout.trim().length).toBeGreaterThan(0);
  });

  it('--init-from starts the soft prompt or prefix from an optimized hard prompt’s words', async () => {
    const data = slice('gender', { train: 8, dev: 4 });
    const artifact = join(data, 'prompt.json');
    writeFileSync(
      artifact,
      JSON.stringify({
        format: 'promptune-prompt',
        version: 1,
        task: 'gender',
        prompt: { template: '{{input}} Once upon a time, there was a little', demos: [] },
        generation: { maxTokens: 4, temperature: 0, stop: [], seed: 0 },
        optimizer: { name: 'search', seed: 0, calls: 10 },
        scores: { seed: 0.5, best: 0.6, split: 'dev', n: 4 },
      }),
    );
    const out = join(data, 'adapter');
    // a learning rate of 1e-9: the trained prompt is its init, the hard prompt's tokens (cosine 1 to each)
    const trained = softTrain(
      data,
      out,
      '--init-from',
      artifact,
      '--virtual-tokens',
      '4',
      '--steps',
      '1',
      '--lr',
      '1e-9',
    );
    expect(trained.status, trained.stderr).toBe(0);
    const metadata = JSON.parse(readFileSync(join(out, 'promptune.json'), 'utf8'));
    expect(metadata.init).toBe('text');
    expect(metadata.training).toMatchObject({ initFrom: artifact });
    const nearest = (metadata.nearestTokens as { text: string; cosine: number }[][]).map(
      (tokens) => tokens[0],
    );
    expect(nearest.map((token) => token.text.trim())).toEqual(['Once', 'upon', 'a', 'time']);
    for (const token of nearest) expect(token.cosine).toBeCloseTo(1, 4);
    // a prefix from the same words: the keys and values the model computes for them
    const prefixOut = join(data, 'prefix');
    const prefixRun = promptune(
      'soft',
      'train',
      '--method',
      'prefix-tuning',
      '--model',
      stories.gguf,
      '--data',
      data,
      '--out',
      prefixOut,
      '--init-from',
      artifact,
      '--virtual-tokens',
      '4',
      '--steps',
      '1',
      '--lr',
      '1e-9',
    );
    expect(prefixRun.status, prefixRun.stderr).toBe(0);
    const { model, tokenizer } = await loadModel(stories.gguf);
    const words = Int32Array.from(tokenizer.encode('Once upon a time', { addBos: false }));
    const cache = model.createCache(1, 4);
    model.forward({ batch: 1, time: 4, tokens: words, cache, logits: 'last' });
    const { prefix } = loadPrefixAdapter(prefixOut, model);
    const width = model.config.kvHeads * model.config.headDim;
    const firstKeys = prefix.values.subarray(0, 4 * width);
    const lastValues = prefix.values.subarray((2 * model.config.layers - 1) * 4 * width);
    expect(maxAbsDiff(firstKeys, cache.keys[0].subarray(0, 4 * width))).toBeLessThan(1e-6);
    expect(maxAbsDiff(lastValues, cache.values[model.config.layers - 1].subarray(0, 4 * width))).toBeLessThan(
      1e-6,
    );
    writeFileSync(artifact, '{"format": "promptune-prompt"}');
    const refused = softTrain(data, out, '--init-from', artifact);
    expect(refused.stderr).toMatch(/ARTIFACT_INVALID/);
  });

  it('--search trains every candidate, keeps the best on dev, and a rerun trains none again', () => {
    const data = slice('gender', { train: 24, dev: 8, test: 8 });
    const out = join(data, 'searched');
    const args = [
      'soft',
      'train',
      '--model',
      stories.gguf,
      '--data',
      data,
      '--out',
      out,
      '--search',
      '--epochs',
      '1',
    ];
    const first = promptune(...args, '--json');
    expect(first.status, first.stderr).toBe(0);
    const lines = first.stderr.split('\n').filter((line) => line.startsWith('search '));
    // a label task (girl or boy): its labels' embeddings are a start too
    expect(lines.slice(0, 9).map((line) => line.replace(/: dev .*/, ''))).toEqual([
      'search 1/9: class-labels lr 0.003',
      'search 2/9: class-labels lr 0.03',
      'search 3/9: class-labels lr 0.3',
      'search 4/9: sample-vocab lr 0.003',
      'search 5/9: sample-vocab lr 0.03',
      'search 6/9: sample-vocab lr 0.3',
      'search 7/9: text lr 0.003',
      'search 8/9: text lr 0.03',
      'search 9/9: text lr 0.3',
    ]);
    const trials = JSON.parse(readFileSync(join(out, 'search', 'trials.json'), 'utf8')) as {
      init: string;
      learningRate: number;
      devExactMatch: number;
      devLoss: number;
    }[];
    // the chosen one is the best on dev (exact match, then loss), and the run is that trial, not retrained
    const best = [...trials].sort((a, b) => b.devExactMatch - a.devExactMatch || a.devLoss - b.devLoss)[0];
    expect(lines[9]).toBe(
      `search chose ${best.init} lr ${best.learningRate} (dev ${best.devExactMatch.toFixed(3)})`,
    );
    const summary = JSON.parse(first.stdout);
    expect(summary.resumedFrom).toBe(summary.steps);
    expect(summary.best.loss).toBe(best.devLoss);
    const metadata = JSON.parse(readFileSync(join(out, 'promptune.json'), 'utf8'));
    expect(metadata.training).toMatchObject({ lr: best.learningRate, init: best.init });
    // a rerun finds every trial finished: no checkpoint is written again
    const checkpoints = readdirSync(join(out, 'search'))
      .filter((name) => !name.endsWith('.json'))
      .map((name) => join(out, 'search', name, 'checkpoint.json'));
    expect(checkpoints).toHaveLength(9);
    const written = checkpoints.map((path) => statSync(path).mtimeMs);
    const again = promptune(...args, '--json');
    expect(again.status, again.stderr).toBe(0);
    expect(checkpoints.map((path) => statSync(path).mtimeMs)).toEqual(written);
    expect(again.stderr).toContain(lines[9]);
    expect(JSON.parse(again.stdout).best).toEqual(summary.best);
    const refused = promptune(...args, '--lr', '0.1');
    expect(refused.stderr).toMatch(/CLI_INVALID_OPTION/);
    // other method options: the search is another run's, neither mixed in nor deleted
    const other = promptune(...args, '--virtual-tokens', '4', '--json');
    expect(jsonError(other.stderr)).toMatchObject({
      code: 'TRAIN_CHECKPOINT_MISMATCH',
      message: expect.stringContaining('other options (--virtual-tokens 16 → 4)'),
    });
    expect(checkpoints.map((path) => statSync(path).mtimeMs)).toEqual(written);
    expect(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')).num_virtual_tokens).toBe(16);
  });

  it('--search-steps trains each trial that many steps, then the chosen start afresh as the run', () => {
    const data = slice('gender', { train: 24, dev: 8, test: 8 });
    const out = join(data, 'screened');
    const args = ['soft', 'train', '--model', stories.gguf, '--data', data, '--out', out];
    const first = promptune(...args, '--search-steps', '2', '--epochs', '1', '--json');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain(
      'search: 9 trials of 2 steps each (--search-steps); the best on dev then trains as the run from its start',
    );
    // it is a search of its own asking: not the small-data default's; its trials are shorter than the run
    expect(first.stderr).not.toContain('small data');
    expect(first.stderr).not.toContain('is not shorter than the run');
    const trials = readdirSync(join(out, 'search')).filter((name) => !name.endsWith('.json'));
    expect(trials).toHaveLength(9);
    for (const trial of trials)
      expect(JSON.parse(readFileSync(join(out, 'search', trial, 'checkpoint.json'), 'utf8')).step).toBe(2);
    // the run is the chosen start trained from step 0 for its own 3 steps (24 examples, batches of 8)
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({ steps: 3, resumedFrom: 0 });
    const chosen = first.stderr.match(/search chose (\S+) lr (\S+) /)!;
    const metadata = JSON.parse(readFileSync(join(out, 'promptune.json'), 'utf8'));
    expect(metadata.training).toMatchObject({
      init: chosen[1],
      lr: Number(chosen[2]),
      searchSteps: 2,
      steps: 3,
    });
    // a search of full-length trials is another run's
    const full = promptune(...args, '--search', '--epochs', '1');
    expect(full.stderr).toContain(
      'holds a search made with other options (steps per trial (--search-steps) 2 → none)',
    );
    expect(full.stderr).toContain('rerun with --search-steps 2 to continue');
    // the same command again trains nothing: it scores the run it finds
    const again = promptune(...args, '--search-steps', '2', '--epochs', '1', '--json');
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ steps: 3, resumedFrom: 3, best: summary.best });
  });

  it('resumes after SIGKILL or Ctrl-C to the uninterrupted result, and --push registers the adapter with its lineage', async () => {
    const { spawn } = await import('node:child_process');
    const data = slice('name', { train: 96, dev: 16 });
    const args = ['--model', stories.gguf, '--data', data, '--epochs', '3', '--eval-every', '4', '--json'];
    const straight = JSON.parse(promptune('soft', 'train', ...args, '--out', join(data, 'straight')).stdout);
    const out = join(data, 'killed');
    const child = spawn(process.execPath, [
      join(repositoryRoot, 'bin', 'promptune.js'),
      'soft',
      'train',
      ...args,
      '--out',
      out,
    ]);
    const closed = new Promise((resolve) => child.on('close', resolve));
    child.stderr.on('data', (chunk: Buffer) => {
      if (/training (1\d|2\d)\/36/.test(chunk.toString())) child.kill('SIGKILL');
    });
    await closed;
    // SIGKILL leaves its claim on --out: this host sees its process is gone and takes the folder at once
    expect(existsSync(join(out, '.promptune-lock'))).toBe(true);
    const resumed = JSON.parse(
      promptune(
        'soft',
        'train',
        ...args,
        '--out',
        out,
        '--push',
        '--db',
        join(data, 'registry.sqlite'),
        '--label',
        'staging',
      ).stdout,
    );
    expect(resumed.resumedFrom).toBeGreaterThan(0);
    expect(resumed.resumedFrom).toBeLessThan(36);
    expect(resumed.best).toEqual(straight.best);
    expect(
      readFileSync(join(out, 'adapter_model.safetensors')).equals(
        readFileSync(join(data, 'straight', 'adapter_model.safetensors')),
      ),
    ).toBe(true);
    expect(resumed.pushed).toMatch(/@1$/);
    // Ctrl-C: the run stops after the step under way, saved at it, and ends by the signal; a rerun
    // continues from that step to the same adapter
    const stopped = join(data, 'stopped');
    const interrupted = spawn(process.execPath, [
      join(repositoryRoot, 'bin', 'promptune.js'),
      ...['soft', 'train', ...args, '--out', stopped],
    ]);
    let stderr = '';
    let sent = false; // once: a second Ctrl-C would stop it at once, unsaved
    interrupted.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!sent && /training (1\d|2\d)\/36/.test(chunk.toString())) sent = interrupted.kill('SIGINT');
    });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      interrupted.on('close', (...ending) => resolve(ending)),
    );
    expect([code, signal], stderr).toEqual([null, 'SIGINT']);
    expect(stderr).toContain('SIGINT: stopping training after the step under way and saving it');
    // its claim on --out released although it ended by the signal (no 'exit' event then)
    expect(existsSync(join(stopped, '.promptune-lock'))).toBe(false);
    // --json: the error is JSON too
    const { code: stoppedCode, message, hint } = jsonError(stderr);
    const at = Number(/^training stopped at step (\d+) of 36$/.exec(message)?.[1]);
    expect(at).toBeGreaterThanOrEqual(10);
    expect(stoppedCode).toBe('TRAIN_INTERRUPTED');
    expect(hint).toContain(
      `${join(stopped, 'checkpoint.json')} holds step ${at}: run the same command again`,
    );
    const continued = promptune('soft', 'train', ...args, '--out', stopped);
    expect(continued.stderr).toContain(`from its checkpoint at step ${at} of 36`);
    expect(JSON.parse(continued.stdout)).toMatchObject({ resumedFrom: at, best: straight.best });
    expect(
      readFileSync(join(stopped, 'adapter_model.safetensors')).equals(
        readFileSync(join(data, 'straight', 'adapter_model.safetensors')),
      ),
    ).toBe(true);
    const task = resumed.pushed.split('@')[0];
    // a protected label without --admin is refused before anything trains, not after
    const refused = promptune(
      'soft',
      'train',
      ...args,
      '--out',
      join(data, 'production'),
      '--push',
      '--db',
      join(data, 'registry.sqlite'),
      '--label',
      'production',
    );
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/before the run, so nothing ran[\s\S]*REGISTRY_PROTECTED_LABEL/);
    expect(refused.stderr).not.toMatch(/training \d+\//);
    expect(existsSync(join(data, 'production'))).toBe(false);
    const shown = JSON.parse(
      promptune('registry', 'show', `${task}@staging`, '--db', join(data, 'registry.sqlite'), '--json')
        .stdout,
    );
    expect(shown.version.kind).toBe('soft');
    expect(shown.version.run).toMatchObject({
      kind: 'soft-train',
      metrics: { devExactMatch: straight.best.exactMatch },
    });
    expect(shown.version.run.datasets.train).toMatch(/^[0-9a-f]{64}$/);
    // eval reads the version's own spec and the data it was pushed with when no --task is given, and
    // scores dev as training did
    const evaluated = promptune(
      'eval',
      '--version',
      `${task}@staging`,
      '--model',
      `local:${stories.gguf}`,
      '--db',
      join(data, 'registry.sqlite'),
      '--split',
      'dev',
      '--json',
    );
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout).score).toBe(straight.best.exactMatch);
    // the pushed training is a run in the registry: every step (those trained before the kill, from the
    // checkpoint's history, too: its whole curve), dev accuracy at each evaluation, and the version it made
    const registry = await Registry.open({ path: join(data, 'registry.sqlite') });
    try {
      const { data: runs } = await registry.runs.list({ kind: 'soft-training' });
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({
        status: 'completed',
        task,
        version: shown.version.id,
        summary: { steps: 36, resumedFrom: resumed.resumedFrom, bestStep: straight.best.step },
      });
      // the data it read is the data the version's lineage stored
      expect([...runs[0].datasets].sort()).toEqual(
        Object.values(shown.version.run.datasets as object).sort(),
      );
      const steps = (await registry.runs.entries(runs[0].id, 'step', { limit: 100 })).data;
      const expected = Array.from({ length: 36 }, (_, i) => i + 1);
      expect(steps.map((entry) => entry.data.step)).toEqual(expected);
      expect(steps.every((entry) => typeof entry.data.loss === 'number')).toBe(true);
      const evaluated = steps.filter((entry) => entry.data.devAccuracy !== undefined);
      expect(evaluated.map((entry) => entry.data.step)).toEqual(expected.filter((step) => step % 4 === 0));
      expect(evaluated.every((entry) => entry.score === entry.data.devAccuracy)).toBe(true);
    } finally {
      await registry.close();
    }
    // as `runs ls` lists it: its method and its headline score (dev here: this data has no test split)
    const listed = promptune('runs', 'ls', '--db', join(data, 'registry.sqlite')).stdout;
    expect(listed).toMatch(
      new RegExp(
        `soft-training \\(prompt-tuning\\)\\s+${task}\\s+completed\\s+dev ${straight.best.exactMatch.toFixed(3)}\\s+-> `,
      ),
    );
  }, 240_000); // three training runs (one killed): past 60 s on a busy 2-core machine

  it('evaluates the real PEFT adapter to PEFT’s own dev accuracy', () => {
    const result = promptune(
      'soft',
      'eval',
      '--model',
      stories.huggingFace,
      '--adapter',
      join(stories.huggingFace, 'peft-prompt-tuning-example'),
      '--data',
      join(datasets, 'name', 'dev.jsonl'),
      '--json',
    );
    expect(JSON.parse(result.stdout)).toMatchObject({ accuracy: 0.953125, n: 128 });
    // PEFT's folder records no weights: what was checked is said
    expect(result.stderr).toContain('has no promptune.json (a PEFT folder): only its shapes were checked');
  });

  it.each([
    [
      'a row without a target',
      (line: string) => line.replace(/"target": "[^"]*"/, '"label": "x"'),
      'DATASET_MISSING_FIELD',
    ],
    [
      'an empty target',
      (line: string) => line.replace(/"target": "[^"]*"/, '"target": ""'),
      'DATASET_MISSING_FIELD',
    ],
    [
      'an example longer than the context',
      (line: string) => line.replace(/"input": "/, `"input": "${'The dog ran and ran. '.repeat(150)}`),
      'DATASET_TOO_LONG',
    ],
  ])('refuses %s, naming the file and line', (_case, transform, code) => {
    const data = slice('animal', { train: 4, dev: 4 }, transform);
    const result = promptune(
      'soft',
      'train',
      '--model',
      stories.huggingFace,
      '--data',
      data,
      '--out',
      join(data, 'adapter'),
      '--epochs',
      '1',
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`code: ${code}`);
    expect(result.stderr).toMatch(/train\.jsonl:1/);
  });

  it('refuses an adapter made for another model, and a corrupt adapter', () => {
    const data = slice('name', { train: 8, dev: 4 });
    const out = join(data, 'adapter');
    expect(
      promptune('soft', 'train', '--model', stories.gguf, '--data', data, '--out', out, '--steps', '1')
        .status,
    ).toBe(0);
    // other weights: an 8-bit quantization (the Hugging Face copy is the same weights, and accepted)
    const quantized = join(data, 'stories-q8.gguf');
    expect(
      promptune('model', 'convert', '--model', stories.gguf, '--to', 'q8_0', '--out', quantized).status,
    ).toBe(0);
    const other = promptune(
      'soft',
      'eval',
      '--model',
      quantized,
      '--adapter',
      out,
      '--data',
      join(data, 'dev.jsonl'),
    );
    expect(other.stderr).toContain('code: ADAPTER_WRONG_MODEL');
    mkdirSync(join(data, 'broken'));
    writeFileSync(
      join(data, 'broken', 'adapter_config.json'),
      readFileSync(join(out, 'adapter_config.json')),
    );
    writeFileSync(join(data, 'broken', 'adapter_model.safetensors'), 'not a tensor file');
    const corrupt = promptune(
      'soft',
      'eval',
      '--model',
      stories.gguf,
      '--adapter',
      join(data, 'broken'),
      '--data',
      join(data, 'dev.jsonl'),
    );
    expect(corrupt.status).toBe(1);
    expect(corrupt.stderr).toMatch(/code: WEIGHT_(TRUNCATED|BAD_MAGIC)/);
  });

  it('warns when the loss rose over the run (a learning rate far too high "succeeds" with test 0.000), and refuses a labels start without labels', () => {
    const data = slice('name', { train: 24, dev: 8 });
    const run = promptune(
      ...['soft', 'train', '--model', stories.gguf, '--data', data, '--out', join(data, 'adapter')],
      ...['--steps', '6', '--lr', '1e9', '--no-search'],
    );
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(
      /warning: the training loss rose from [\d.]+ at the first step to [\d.]+ over the last 2 steps: training made the model worse; the learning rate 1000000000 \(the method's default is 0.3\) is likely too high/,
    );
    // a start from labels on a task without any is refused before training, saying what a label task is
    const labelled = promptune(
      ...['soft', 'train', '--model', stories.gguf, '--data', data, '--out', join(data, 'labelled')],
      ...['--steps', '2', '--init', 'class-labels'],
    );
    expect(labelled.status).toBe(1);
    expect(labelled.stderr).toContain('hint: A label task has at most 10 distinct training targets');
  });

  it('trains on a folder of .csv splits exactly as on the same rows in .jsonl', () => {
    const jsonl = slice('name', { train: 24, dev: 8, test: 8 });
    const csv = mkdtempSync(join(tmpdir(), 'promptune-soft-csv-'));
    const quoted = (text: string) => `"${text.replaceAll('"', '""')}"`;
    for (const split of ['train', 'dev', 'test']) {
      const rows = readFileSync(join(jsonl, `${split}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { input: string; target: string });
      const lines = rows.map((row) => `${quoted(row.input)},${quoted(row.target)}`);
      writeFileSync(join(csv, `${split}.csv`), ['input,target', ...lines].join('\n') + '\n');
    }
    const train = (data: string) => {
      const run = promptune(
        ...['soft', 'train', '--model', stories.gguf, '--data', data, '--out', join(data, 'adapter')],
        ...['--steps', '3', '--no-search', '--json'],
      );
      expect(run.stderr).not.toMatch(/error/);
      return JSON.parse(run.stdout) as { test: { n: number; exactMatch: number; loss: number } };
    };
    const fromJsonl = train(jsonl);
    const fromCsv = train(csv);
    expect(fromCsv.test.n).toBe(8);
    expect(fromCsv.test).toEqual(fromJsonl.test);
  });

  it('makes a second run into the same --out wait for the first, then continue its finished run', async () => {
    const { spawn } = await import('node:child_process');
    const data = slice('name', { train: 48, dev: 8 });
    const out = join(data, 'shared');
    const args = ['soft', 'train', '--model', stories.gguf, '--data', data, '--out', out];
    const start = () => {
      const child = spawn(process.execPath, [
        join(repositoryRoot, 'bin', 'promptune.js'),
        ...args,
        ...['--epochs', '4', '--no-search', '--json'],
      ]);
      let [stdout, stderr] = ['', ''];
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
        child.on('close', (status) => resolve({ status, stdout, stderr })),
      );
    };
    // (a job submitted twice, say) the second starts once the first is training
    const first = start();
    while (!existsSync(join(out, 'metrics.jsonl'))) await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await start();
    const firstDone = await first;
    expect([firstDone.status, second.status], second.stderr).toEqual([0, 0]);
    expect(second.stderr).toMatch(/waiting: another run \(pid \d+ on .+\) trains into /);
    const [a, b] = [JSON.parse(firstDone.stdout), JSON.parse(second.stdout)];
    expect(b).toMatchObject({ resumedFrom: a.steps, steps: a.steps, best: a.best });
    // one run's steps, each once
    const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { step: number }).step);
    expect(steps).toEqual(Array.from({ length: a.steps }, (_, index) => index + 1));
    expect(readdirSync(out).filter((name) => name.startsWith('.promptune-lock'))).toEqual([]);
  });

  it('refuses a rerun that would mix two runs in one --out, and options a run would ignore', () => {
    const data = slice('gender', { train: 8, dev: 4 });
    const out = join(data, 'adapter');
    // runs of default starts, not searches (the data is small), unless the case is about --search
    const train = (folder: string, ...more: string[]) =>
      promptune(
        'soft',
        'train',
        '--model',
        stories.gguf,
        '--out',
        folder,
        '--steps',
        '2',
        ...(more.includes('--search') ? [] : ['--no-search']),
        ...more,
      );
    expect(train(out, '--data', data).status).toBe(0);
    const adapter = readFileSync(join(out, 'adapter_model.safetensors'));
    // other examples of the same count, another layout: the checkpoint names what differs
    const otherData = train(out, '--data', slice('animal', { train: 8, dev: 4 }));
    expect(otherData.stderr).toContain('code: TRAIN_CHECKPOINT_MISMATCH');
    expect(otherData.stderr).toContain('(the examples)');
    const otherLayout = train(out, '--data', data, '--layout', 'peft');
    expect(otherLayout.stderr).toContain("(the method's options: layout bos-first → peft)");
    // in the words of the command line: a longer run, another method
    const longer = train(out, '--data', data, '--steps', '3');
    expect(longer.stderr).toContain('(steps 2 → 3)');
    expect(longer.stderr).toMatch(/hint: A run's length is part of it/);
    expect(train(out, '--data', data, '--method', 'lora').stderr).toContain(
      '(a prompt-tuning run, not lora)',
    );
    // the same run again says it is there, trains nothing and scores it
    const again = train(out, '--data', data);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain('already holds this run to its end (step 2): scoring it again');
    // PEFT puts the prompt before BOS whatever the adapter says: the default layout's outputs differ there
    expect(again.stderr).toContain('layout bos-first ([BOS][prompt][input]): PEFT loads this adapter');
    expect(readFileSync(join(out, 'adapter_model.safetensors'))).toEqual(adapter);

    // a batch larger than the data is legal, and said; so is a dev target that no training label is
    const odd = slice('gender', { train: 8, dev: 4 });
    appendFileSync(join(odd, 'dev.jsonl'), '{"input": "They played.", "target": " child"}\n');
    const wide = train(join(odd, 'wide'), '--data', odd, '--batch-size', '16');
    expect(wide.status, wide.stderr).toBe(0);
    expect(wide.stderr).toContain(
      '--batch-size 16 is more than the 8 training examples: each step trains on all 8, one step an epoch',
    );
    expect(wide.stderr).toContain(
      `${join(odd, 'dev.jsonl')}: 1 of 5 targets are none of the 2 labels in the training targets (" child")`,
    );

    // a folder holding an adapter and no run to resume is not trained into
    const held = join(data, 'held');
    mkdirSync(held);
    writeFileSync(join(held, 'adapter_config.json'), '{}');
    const refused = train(held, '--data', data);
    expect(refused.stderr).toContain('code: OUTPUT_NOT_EMPTY');
    expect(readdirSync(held)).toEqual(['adapter_config.json']);

    for (const [options, says] of [
      [['--search', '--init', 'text'], '--search chooses the init'],
      [['--init-text', 'Who?'], '--init-text would be ignored'],
      [['--label', 'staging'], '--label would be ignored'],
      [['--target-field', 'input'], 'both name "input"'],
      [['--clip', '0'], 'expected a number > 0'],
      [
        ['--method', 'lora', '--rank', '65'],
        "expected a whole number from 1 to 64 (the model's hidden size)",
      ],
      [['--method', 'lora', '--dropout', '1'], 'expected a number >= 0 and < 1'],
      [['--method', 'lora', '--targets', 'q,v,q_proj'], '--targets names q_proj twice'],
      [
        ['--method', 'p-tuning', '--encoder-hidden', '100000'],
        "from 1 to 1024 (16 × the model's hidden size)",
      ],
      [['--max-epochs', '12', '--steps', '3'], '--steps fixes its length'],
      [['--epochs', '3', '--steps', '3'], "--epochs would be ignored: --steps sets the run's length"],
      [['--method', 'LoRA'], '--method is "LoRA"; did you mean lora?'],
      [['--method', 'prefix_tuning'], '--method is "prefix_tuning"; did you mean prefix-tuning?'],
      [['--method', 'prefix'], '--method is "prefix"; did you mean prefix-tuning?'],
      [
        ['--search-steps', '2'],
        "--search-steps sets how long --search's trials train; --no-search was given",
      ],
      [['--seed=-1'], 'expected a whole number from 0 to 4294967295'],
    ] as const) {
      const result = train(out, '--data', data, ...options);
      expect(result.status, options.join(' ')).toBe(1);
      expect(result.stderr).toContain(says);
      expect(result.stderr).toContain('code: CLI_INVALID_OPTION');
    }
    // a warmup as long as the run trains, and says the rate only rose
    const warmed = train(join(data, 'warmed'), '--data', data, '--warmup', '4');
    expect(warmed.status, warmed.stderr).toBe(0);
    expect(warmed.stderr).toContain(
      "warning: --warmup 4 is not shorter than the run's 2 steps: the learning rate only rose, to 50% of --lr",
    );
  });

  it("--baseline scores the hand-written prompt on --data's test split, and says when tuning did worse", () => {
    // 24 test examples of animal (the spec's own test split has 256)
    const data = slice('animal', { train: 8, dev: 4, test: 24 });
    const spec = join(repositoryRoot, 'examples', 'animal.yaml');
    const run = softTrain(
      data,
      join(data, 'one-step'),
      ...['--steps', '1', '--no-search', '--baseline', spec, '--json'],
    );
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { baseline: number; test: { exactMatch: number; n: number } };
    expect(summary.test.n).toBe(24);
    // the hand-written prompt's exact match on the same 24 examples, as eval gives it
    const evaluated = promptune(
      'eval',
      ...['--task', spec, '--data', data, '--model', `local:${stories.gguf}`, '--json'],
    );
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout)).toMatchObject({
      n: 24,
      metrics: { 'exact-match': summary.baseline },
    });
    // one step from the labels' start is not yet the hand-written prompt's equal, and it is said
    expect(summary.test.exactMatch).toBeLessThan(summary.baseline);
    expect(run.stderr).toContain(
      `scored ${summary.test.exactMatch.toFixed(3)} on test, below the hand-written prompt's ${summary.baseline.toFixed(3)}`,
    );
    // another task's spec by mistake. A label spec none of whose labels is a training target would
    // register the training as its task, answering only its labels: refused with --push, before training
    const database = join(data, 'registry.sqlite');
    const other = (spec: string, ...more: string[]) =>
      softTrain(data, join(data, 'other'), ...['--steps', '1', '--no-search', '--baseline', spec, ...more]);
    const genderSpec = join(repositoryRoot, 'examples', 'gender.yaml');
    const refused = other(genderSpec, '--push', '--db', database);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(
      /--baseline's spec \(task gender\) may not be --data's task: none of --data's training targets \("(dog|cat|bird)", …\) is among its labels \("girl", "boy"\)[^]*code: SOFT_BASELINE_OTHER_TASK/,
    );
    expect(refused.stderr).not.toMatch(/training \d+\/\d+/);
    expect(existsSync(database)).toBe(false);
    // a free-text spec may be the task with new targets: said, not refused
    const warned = other(join(repositoryRoot, 'examples', 'name.yaml'));
    expect(warned.status, warned.stderr).toBe(0);
    expect(warned.stderr).toMatch(
      /spec \(task name\) may not be --data's task: .* among its training targets/,
    );
    // labels are compared as the label metric compares them: trimmed, case folded
    const shouting = join(data, 'animal-upper.yaml');
    writeFileSync(
      shouting,
      readFileSync(spec, 'utf8')
        .replace("labels: [' dog', ' cat', ' bird']", 'labels: [Dog, Cat, Bird]')
        .replaceAll('../../shared', join(repositoryRoot, '..', 'shared')),
    );
    const folded = other(shouting);
    expect(folded.status, folded.stderr).toBe(0);
    expect(folded.stderr).not.toContain('may not be');
  });

  it('grows a default prompt-tuning run past its 6 epochs while dev improves, and says so', () => {
    const data = slice('gender', { train: 8, dev: 8 });
    const run = softTrain(data, join(data, 'a'), '--no-search', '--json');
    expect(run.status, run.stderr).toBe(0);
    const { steps, best } = JSON.parse(run.stdout) as { steps: number; best: { step: number } };
    // one step an epoch here: it stops at 12, or after the first epoch that found nothing better
    expect(steps).toBeGreaterThan(6);
    expect(steps === 12 || best.step < steps).toBe(true);
    expect(run.stderr).toContain(`(epoch ${steps}: grown past 6 while dev improved, up to 12)`);
  });

  it('says when a retried job finds no --out of its last attempt, which then trains from the start', () => {
    const data = slice('name', { train: 8, dev: 4 });
    // the job's folder is a folder of its own; an --out in the data folder is elsewhere, as another
    // machine's path would be
    const job = mkdtempSync(join(tmpdir(), 'promptune-job-folder-'));
    const run = (out: string, attempt: string, cwd = job) =>
      spawnSync(
        process.execPath,
        [
          ...[join(repositoryRoot, 'bin', 'promptune.js'), 'soft', 'train', '--model', stories.gguf],
          ...['--data', data, '--out', out, '--steps', '1', '--no-search'],
        ],
        {
          cwd,
          encoding: 'utf8',
          env: { ...process.env, PROMPTUNE_JOB: 'job-1', PROMPTUNE_JOB_ATTEMPT: attempt },
        },
      );
    const first = run(join(data, 'first'), '1');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).not.toContain('training starts from step 1');
    const lost = run(join(data, 'lost'), '2');
    expect(lost.status, lost.stderr).toBe(0);
    expect(lost.stderr).toContain(
      `attempt 2 of job job-1: ${join(data, 'lost')} is not here, so training starts from step 1`,
    );
    // inside the job's folder, a missing --out is an attempt that never began: nothing to say
    const began = run('inside', '2', data);
    expect(began.status, began.stderr).toBe(0);
    expect(began.stderr).not.toContain('training starts from step 1');
  });

  it('searches by default on small data unless told how to start, and --no-search trains the defaults', () => {
    const data = slice('name', { train: 8, dev: 8 });
    const run = (out: string, ...more: string[]) =>
      softTrain(data, join(data, out), '--epochs', '1', ...more);
    const searched = run('searched');
    expect(searched.status, searched.stderr).toBe(0);
    expect(searched.stderr).toContain(
      'small data (8 training examples): choosing the init and learning rate on dev first',
    );
    // name has many targets: no labels' start, 2 inits x 3 rates
    expect(searched.stderr).toMatch(/search 6\/6: text lr 0.3/);
    // the text start is among the trials: its length is said before the first of them
    const cutAt = searched.stderr.indexOf('the init text is');
    expect(cutAt).toBeGreaterThanOrEqual(0);
    expect(cutAt).toBeLessThan(searched.stderr.indexOf('search 1/6'));
    expect(existsSync(join(data, 'searched', 'search', 'trials.json'))).toBe(true);
    // a spec whose prompt's words a text start takes when --init-text is not given (no test split here:
    // nothing to score it on)
    const spec = join(data, 'spec.yaml');
    writeFileSync(
      spec,
      'name: who\ninput:\n  fields: [input]\nprompt:\n  system: Answer briefly.\n  template: "{{input}}\\nWho is the story about?"\n',
    );
    for (const [out, more] of [
      ['plain', ['--no-search']],
      ['rate', ['--lr', '0.1']],
      ['start', ['--init', 'text']],
      ['baseline', ['--init', 'text', '--baseline', spec]],
    ] as const) {
      const trained = run(out, ...more);
      expect(trained.status, trained.stderr).toBe(0);
      expect(trained.stderr).not.toContain('small data');
      expect(existsSync(join(data, out, 'search'))).toBe(false);
      // stories260K's small vocabulary makes either text longer than the 16 virtual tokens
      const cut =
        /the init text is 2\d tokens, longer than --virtual-tokens 16: the run starts from its first 16, "(Read|Answer)/;
      if ((more as readonly string[]).includes('text')) expect(trained.stderr).toMatch(cut);
      else expect(trained.stderr).not.toMatch(/the init text is/);
    }
    // the words a text start used are kept with the adapter: the default's, a general instruction, or
    // the words of --baseline's prompt
    expect(JSON.parse(readFileSync(join(data, 'start', 'promptune.json'), 'utf8'))).toMatchObject({
      init: 'text',
      training: { initText: 'Read the text and give the answer. The answer is' },
    });
    expect(JSON.parse(readFileSync(join(data, 'baseline', 'promptune.json'), 'utf8'))).toMatchObject({
      init: 'text',
      training: { initText: 'Answer briefly. Who is the story about?' },
    });
    expect(
      JSON.parse(readFileSync(join(data, 'plain', 'promptune.json'), 'utf8')).training,
    ).not.toHaveProperty('initText');
    // a run that did not search is resumed as it was, not searched over
    const again = run('plain', '--json');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('small data');
    const { steps, resumedFrom } = JSON.parse(again.stdout) as { steps: number; resumedFrom: number };
    expect(resumedFrom).toBe(steps);
    expect(existsSync(join(data, 'plain', 'search'))).toBe(false);
  });
});
