// evolve end to end against the local engine through the OpenAI-compatible path: stories260K serves as
// both student and teacher over HTTP. Plumbing, not quality: the tiny model's instructions are noise.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot, stories } from '../../test/models.js';
import { resolveModel } from '../providers/index.js';
import { listen, type RunningServer } from '../serve/listen.js';
import { openAiRoutes } from '../serve/openai-routes.js';
import { loadTask } from '../tasks/load-task.js';
import { loadSplit } from '../tasks/splits.js';
import { evolveOptimizer } from './evolve.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

let server: RunningServer;
beforeAll(async () => {
  const { model } = await resolveModel(`local:${stories.gguf}`);
  server = await listen(openAiRoutes({ stories260K: model }));
});
afterAll(() => server?.close());

describe('evolve through the OpenAI-compatible server', () => {
  it('runs end to end within its budget and returns an evaluable artifact', async () => {
    const task = loadTask(join(repositoryRoot, 'examples', 'animal.yaml'));
    const remote = await resolveModel(`openai-compatible:${server.url}/v1#stories260K`);
    const trials: string[] = [];
    const { artifact, history } = await evolveOptimizer({
      iterations: 3,
      minibatch: 4,
      mergeEvery: 2,
    }).optimize(task, {
      student: remote,
      teacher: remote,
      train: loadSplit(task, 'train').slice(0, 16),
      dev: loadSplit(task, 'dev').slice(0, 8),
      budget: { student: { calls: 120 }, teacher: { calls: 5 } },
      stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-evolve-')),
      onTrial: (trial) => trials.push(trial.description),
    });
    expect(history.length).toBeGreaterThanOrEqual(2);
    expect(trials[0]).toBe('seed prompt');
    expect(artifact).toMatchObject({
      format: 'promptune-prompt',
      task: 'animal',
      optimizer: { name: 'evolve' },
    });
    expect(artifact.optimizer.calls).toBeGreaterThan(8);
    expect(artifact.optimizer.calls).toBeLessThanOrEqual(125);
  });
});
