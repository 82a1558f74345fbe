// Drift as a user meets it, on the shared `name` task served by stories260K: windows drawn from the
// task's own distribution raise false alarms at or below alpha (the rate is printed), and a stream of
// another task's inputs (`gender`) sent through the service is flagged within a stated number of
// requests, by the alert metric's reader and by `promptune drift`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, meanPooledEmbeddings, seededRandom } from '../src/engine/index.js';
import {
  datasetObservations,
  driftReport,
  fieldsText,
  traceDriftReader,
  type DriftObservations,
} from '../src/observe/index.js';
import { Registry, registerTask } from '../src/registry/index.js';
import { EngineClient, createService, listen, type Service } from '../src/serve/index.js';
import { loadSplit, loadTask, type Task } from '../src/tasks/index.js';
import type { RunningServer } from '../src/serve/listen.js';
import { repositoryRoot, stories } from './models.js';

const folder = mkdtempSync(join(tmpdir(), 'promptune-drift-'));
const database = join(folder, 'registry.sqlite');
const actor = { name: 'test', scopes: ['read', 'run', 'admin'] };
let registry: Registry;
let task: Task;
let reference: DriftObservations;

beforeAll(async () => {
  registry = await Registry.open({ path: database });
  task = loadTask(join(repositoryRoot, 'examples', 'name.yaml'));
  const datasets = await registerTask(registry, task);
  const { version } = await registry.pushVersion({
    task: 'name',
    kind: 'hard',
    content: { template: task.spec.prompt.template, demos: [] },
    run: { kind: 'manual', datasets },
    actor,
  });
  await registry.setLabel({
    task: 'name',
    label: 'production',
    reference: version.id,
    actor,
    reason: 'test',
  });
  reference = await datasetObservations(registry, task.spec, datasets.train);
}, 60_000);
afterAll(async () => registry?.close());

describe('drift of the name task', () => {
  it('raises false alarms at or below alpha on windows from the reference distribution', async () => {
    const alpha = 0.05;
    const loaded = await loadModel(stories.gguf);
    const cache = new Map<string, Float32Array>();
    const embed = async (texts: string[]) =>
      texts.map((text) => {
        if (!cache.has(text))
          cache.set(text, meanPooledEmbeddings(loaded.model, loaded.tokenizer, [text])[0]);
        return cache.get(text)!;
      });
    // inputs the prompt was not tuned on but that come from the same distribution: dev and test
    const pool = [...loadSplit(task, 'dev'), ...loadSplit(task, 'test')].map((example) =>
      fieldsText(task.spec, example.fields),
    );
    const random = seededRandom(7);
    const windows = 100;
    let alarms = 0;
    for (let window = 0; window < windows; window++) {
      // drawn without replacement: a window of repeats is not a sample of the distribution
      const shuffled = [...pool];
      for (let index = 0; index < 64; index++) {
        const pick = index + Math.floor(random() * (shuffled.length - index));
        [shuffled[index], shuffled[pick]] = [shuffled[pick], shuffled[index]];
      }
      const inputs = shuffled.slice(0, 64);
      const report = await driftReport(
        reference,
        { inputs, outputs: inputs.map(() => null) },
        { alpha, embed, rng: random },
      );
      expect(report.features.map((feature) => feature.feature)).toEqual([
        'input_characters',
        'input_words',
        'input_embedding',
      ]);
      if (report.drifted) {
        alarms++;
        console.log(`window ${window}: ${report.moved.join(', ')}`);
      }
    }
    console.log(
      `false alarms: ${alarms} of ${windows} windows of 64 inputs (rate ${alarms / windows}, alpha ${alpha})`,
    );
    expect(alarms / windows).toBeLessThanOrEqual(alpha);

    // and the same tests see another task's inputs at once
    const gender = loadTask(join(repositoryRoot, 'examples', 'gender.yaml'));
    const foreign = loadSplit(gender, 'train')
      .slice(0, 64)
      .map((example) => fieldsText(gender.spec, example.fields));
    const moved = await driftReport(
      reference,
      { inputs: foreign, outputs: foreign.map(() => null) },
      { alpha, embed, rng: random },
    );
    expect(moved.drifted).toBe(true);
  }, 120_000);

  it('flags a stream of another task’s inputs through the service within 64 requests', async () => {
    const engine = await EngineClient.start(stories.gguf);
    const service: Service = createService({
      registry,
      backends: { engine, hard: engine.languageModel() },
      logger: pino({ level: 'silent' }),
    });
    const server: RunningServer = await listen(service.app);
    const { key } = await registry.keys.create({ name: 'drift', scopes: ['run'], ratePerMinute: 1e6 });
    const send = async (inputs: string[]) => {
      for (const input of inputs) {
        const response = await fetch(`${server.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'name',
            messages: [{ role: 'user', content: input }],
            max_tokens: 2,
          }),
        });
        expect(response.status).toBe(200);
      }
      await service.recorder!.flush();
    };
    const reader = traceDriftReader(registry, { rng: seededRandom(3) });
    try {
      // 64 requests from the task's own test split: no drift
      const start = Date.now();
      await send(
        loadSplit(task, 'test')
          .slice(0, 64)
          .map((example) => fieldsText(task.spec, example.fields)),
      );
      const quiet = await reader({ metric: 'drift', task: 'name', since: start, until: Date.now() + 1 });
      expect(quiet).toMatchObject({ value: 0, count: 64 });
      // then inputs of the gender task, 8 at a time, until the reader flags them
      const gender = loadTask(join(repositoryRoot, 'examples', 'gender.yaml'));
      const foreign = loadSplit(gender, 'train').map((example) => fieldsText(gender.spec, example.fields));
      const shifted = Date.now() + 1;
      let flaggedAt: number | undefined;
      for (let sent = 8; sent <= 128 && flaggedAt === undefined; sent += 8) {
        await send(foreign.slice(sent - 8, sent));
        const reading = await reader({
          metric: 'drift',
          task: 'name',
          since: shifted,
          until: Date.now() + 1,
        });
        if ((reading.value ?? 0) > 0) flaggedAt = sent;
      }
      console.log(`another task's inputs flagged after ${flaggedAt} requests`);
      expect(flaggedAt).toBeDefined();
      expect(flaggedAt!).toBeLessThanOrEqual(64);
      await send(foreign.slice(128, 256)); // the hour's traffic is now mostly the other task's
    } finally {
      await server.close();
      await service.drain();
      await engine.close();
    }
    // the command a person runs says the same, over the last hour
    const cli = spawnSync(
      'node',
      [
        join(repositoryRoot, 'bin', 'promptune.js'),
        'drift',
        '--task',
        'name',
        '--window',
        '1h',
        '--json',
        '--db',
        database,
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(cli.status, cli.stderr).toBe(0);
    const report = JSON.parse(cli.stdout) as { drifted: boolean; moved: string[]; reference: string };
    expect(report.drifted).toBe(true);
    expect(report.reference).toContain('train.jsonl');
    // a window with no traffic tests nothing, and a gate on it does not pass; an empty window is refused
    const drift = (...args: string[]) =>
      spawnSync(
        'node',
        [join(repositoryRoot, 'bin', 'promptune.js'), 'drift', '--task', 'name', '--db', database, ...args],
        {
          encoding: 'utf8',
        },
      );
    const quiet = drift('--window', '1ms', '--fail-on-drift');
    expect(quiet.status).toBe(3);
    expect(quiet.stdout).toContain('drift:     not tested: no feature had enough observations');
    expect(quiet.stderr).toContain('code: DRIFT_NOT_TESTED');
    const empty = drift('--window', '0s');
    expect([empty.status, empty.stderr]).toEqual([1, expect.stringContaining('code: DURATION_INVALID')]);
  }, 120_000);
});
