// The experiments conformance suite, run on SQLite and Postgres alike: one running experiment per
// label, writes refused when decided on an old revision (concurrent looks apply once), steps recorded
// in the label's history without moving it, a hand move of the label stopping the experiment, and each
// arm's metrics summed from traces and scores.
import { afterAll, describe, expect, it } from 'vitest';
import { errorCode as code } from '../../test/error-code.js';
import { PromptuneError } from '../errors/index.js';
import { taskSpec } from '../tasks/spec.js';
import type { Registry } from './registry.js';
import type { TraceRecord } from './traces.js';

const admin = { name: 'ana', scopes: ['read', 'run', 'admin'] };

/** A task with versions 1 and 2 and production on 1; returns their ids. */
async function twoVersions(registry: Registry): Promise<[string, string]> {
  await registry.putTask(taskSpec.parse({ name: 'qa', prompt: { template: 'Q: {{input}}' } }));
  const ids: string[] = [];
  for (const template of ['A {{input}}', 'B {{input}}'])
    ids.push(
      (await registry.pushVersion({ task: 'qa', kind: 'hard', content: { template }, actor: admin })).version
        .id,
    );
  await registry.setLabel({ task: 'qa', label: 'production', reference: '1', actor: admin });
  return [ids[0], ids[1]];
}

const start = (registry: Registry, control: string, treatment: string, label = 'production') =>
  registry.experiments.create({
    task: 'qa',
    label,
    control,
    treatment,
    weight: 0.1,
    config: { primary: 'helpful' },
    state: { step: 0 },
    reason: 'test',
    actor: 'ana',
  });

const trace = (id: string, version: string, extra: Partial<TraceRecord> = {}): TraceRecord => ({
  id,
  at: 2_000,
  source: 'service',
  run: null,
  operation: 'chat',
  model: 'qa',
  task: 'qa',
  version,
  label: 'production',
  keyId: 'key-1',
  user: null,
  input: {},
  output: 'x',
  inputTokens: 1,
  outputTokens: 1,
  cost: null,
  latencyMs: 100,
  firstTokenMs: null,
  finishReason: 'stop',
  status: 200,
  errorCode: null,
  checks: null,
  ...extra,
});

/** Runs the suite against fresh, empty registries from `open`. */
export function experimentConformance(name: string, open: () => Promise<Registry>): void {
  const opened: Registry[] = [];
  const fresh = async () => {
    const registry = await open();
    opened.push(registry);
    return registry;
  };
  describe(`experiments conformance: ${name}`, () => {
    afterAll(async () => {
      await Promise.all(opened.map((registry) => registry.close()));
    });

    it('keeps one running experiment per label and refuses writes decided on an old revision', async () => {
      const registry = await fresh();
      const [control, treatment] = await twoVersions(registry);
      const experiment = await start(registry, control, treatment);
      expect(experiment).toMatchObject({
        status: 'running',
        weight: 0.1,
        revision: 1,
        config: { primary: 'helpful' },
      });
      expect(await code(start(registry, control, treatment))).toBe('EXPERIMENT_RUNNING');
      await registry.setLabel({ task: 'qa', label: 'staging', reference: '1', actor: admin });
      await start(registry, control, treatment, 'staging'); // another label may have its own
      expect((await registry.experiments.running('qa', 'production'))?.id).toBe(experiment.id);

      const change = {
        revision: 1,
        action: 'advance' as const,
        reason: 'met',
        weight: 0.5,
        state: { step: 1 },
        actor: 'look',
      };
      // two looks decided on revision 1 at once: exactly one is applied
      const outcomes = await Promise.allSettled([
        registry.experiments.apply(experiment.id, change),
        registry.experiments.apply(experiment.id, change),
      ]);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
      expect((refused.reason as PromptuneError).code).toBe('EXPERIMENT_CHANGED');
      expect(await registry.experiments.get(experiment.id)).toMatchObject({
        revision: 2,
        weight: 0.5,
        state: { step: 1 },
      });
      await registry.experiments.apply(experiment.id, {
        ...change,
        revision: 2,
        action: 'rollback',
        weight: 0,
        status: 'rolled-back',
      });
      expect(await code(registry.experiments.apply(experiment.id, { ...change, revision: 3 }))).toBe(
        'EXPERIMENT_FINISHED',
      );
      const finished = await registry.experiments.get(experiment.id);
      expect(finished.finishedAt).not.toBeNull();
      expect((await registry.experiments.events(experiment.id)).map((event) => event.action)).toEqual([
        'start',
        'advance',
        'rollback',
      ]);
      expect((await registry.experiments.list({ status: 'running' })).map((entry) => entry.label)).toEqual([
        'staging',
      ]);
      expect(await code(registry.experiments.get('exp-none'))).toBe('EXPERIMENT_NOT_FOUND');
    });

    it('records its steps in the label history without moving the label, and stops when the label is moved by hand', async () => {
      const registry = await fresh();
      const [control, treatment] = await twoVersions(registry);
      const experiment = await start(registry, control, treatment);
      await registry.experiments.apply(experiment.id, {
        revision: 1,
        action: 'advance',
        reason: 'met its minimums',
        weight: 0.25,
        state: {},
        statistics: { primary: { pValue: 0.4 } },
        actor: `experiment:${experiment.id}`,
      });
      const history = await registry.labelHistory('qa', 'production');
      const steps = history.filter((event) => event.details?.experiment === experiment.id);
      expect(steps.map((event) => [event.from, event.to, event.details!.action])).toEqual([
        [control, control, 'start'],
        [control, control, 'advance'],
      ]);
      expect(steps[1].details).toMatchObject({ weight: 0.25, primary: { pValue: 0.4 } });
      // a rollback skips steps that moved nothing: there is still no earlier version to go back to
      expect(await code(registry.rollback({ task: 'qa', label: 'production', actor: admin }))).toBe(
        'REGISTRY_NO_ROLLBACK',
      );
      await registry.setLabel({
        task: 'qa',
        label: 'production',
        reference: '2',
        actor: admin,
        reason: 'by hand',
      });
      const stopped = await registry.experiments.get(experiment.id);
      expect(stopped).toMatchObject({ status: 'stopped', weight: 0 });
      expect(stopped.reason).toMatch(/^the label was moved by ana/);
      expect((await registry.experiments.events(experiment.id)).at(-1)!.action).toBe('stop');
    });

    it('sums each arm from the service traces and scores since the experiment began', async () => {
      const registry = await fresh();
      const [control, treatment] = await twoVersions(registry);
      await registry.traces.insert([
        trace('c1', control, { user: 'u1', latencyMs: 200 }),
        trace('c2', control, { user: 'u1', status: 500, latencyMs: 400 }),
        trace('c3', control, { user: 'u2', at: 500 }), // before the step: not a step unit
        trace('c4', control, { at: 100 }), // before the experiment: not counted at all
        trace('c5', control, { label: 'staging' }), // another label
        trace('c6', control, { source: 'eval' }), // not served traffic
        trace('t1', treatment, { user: 'u3' }),
        trace('t2', treatment, { user: null, keyId: 'key-9' }),
        trace('t3', treatment, { user: 'u3', status: 422, errorCode: 'GUARD_OUTPUT_REFUSED' }),
        trace('t4', treatment, { user: 'u4', status: 400, errorCode: 'INVALID_BODY' }), // the caller's
      ]);
      for (const [traceId, name, value, source] of [
        ['c1', 'helpful', true, 'feedback'],
        ['c1', 'helpful', false, 'feedback'], // a trace scored twice counts once, at its mean
        ['c2', 'helpful', false, 'feedback'],
        ['t1', 'helpful', true, 'feedback'],
        ['t2', 'helpful', true, 'feedback'],
        ['t1', 'guard.json', true, 'guard'],
        ['t1', 'guard.length', false, 'guard'],
        ['t2', 'guard.json', true, 'guard'],
      ] as const)
        await registry.scores.add({ traceId, name, value, source });
      const arms = await registry.experiments.measure({
        task: 'qa',
        label: 'production',
        versions: [control, treatment],
        since: 200,
        stepSince: 1_000,
        primary: 'helpful',
        errorCodes: ['GUARD_OUTPUT_REFUSED'],
      });
      expect(arms[control]).toMatchObject({ requests: 3, stepRequests: 2, stepUnits: 1 });
      expect(arms[control].errors).toEqual({ n: 3, sum: 1, sumOfSquares: 1 });
      expect(arms[control].latency.sum).toBeCloseTo(0.7, 9);
      expect(arms[control].latency.sumOfSquares).toBeCloseTo(0.04 + 0.16 + 0.01, 9);
      expect(arms[control].primary).toEqual({ n: 2, sum: 0.5, sumOfSquares: 0.25 });
      // an arm without guards failed none of its requests' checks (not: has no data)
      expect(arms[control].checkFailures).toEqual({ n: 3, sum: 0, sumOfSquares: 0 });
      expect(arms[treatment]).toMatchObject({ requests: 4, stepRequests: 4, stepUnits: 3 });
      expect(arms[treatment].primary).toEqual({ n: 2, sum: 2, sumOfSquares: 2 });
      // t1 failed one of its checks, t2 none, t3 and t4 had none
      expect(arms[treatment].checkFailures).toEqual({ n: 4, sum: 1, sumOfSquares: 1 });
      // the guard's refusal is an error of the version; the caller's bad request is not
      expect(arms[treatment].errors).toEqual({ n: 4, sum: 1, sumOfSquares: 1 });
    });
  });
}
