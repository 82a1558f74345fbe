// The closed loop's logic on a real SQLite registry with scripted steps (allowed: the gate and the
// resume need controlled scores and a controlled crash): the triggers (schedule, alerts), the gate's
// criteria and audits, an iteration killed in its gate resumed without training again, a canary
// stopped by hand or timed out, and the policy file's errors. The real commands run in
// test/closed-loop.test.ts.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startExperiment, stopExperiment } from '../experiments/index.js';
import { servedTrace } from '../../test/served-trace.js';
import { Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/index.js';
import { jobKind } from './job-commands.js';
import { runLoopIteration, unfinishedLoop, type LoopOptions } from './loop-iteration.js';
import { loopPolicySchema, readLoopPolicy, type LoopPolicyFile } from './loop-policy.js';
import { loopTriggers } from './loop-triggers.js';
import type { LoopStepRunner } from './run-loop-step.js';

const actor = { name: 'ops', scopes: ['read', 'run', 'admin'] };
let folder: string;
let registry: Registry;

beforeEach(async () => {
  folder = mkdtempSync(join(tmpdir(), 'promptune-loop-'));
  registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
  await registry.putTask(taskSpec.parse({ name: 'greet', prompt: { template: '{{input}}' } }));
  await registry.pushVersion({ task: 'greet', kind: 'hard', content: { template: 'A: {{input}}' }, actor });
  await registry.setLabel({ task: 'greet', label: 'production', reference: '1', actor, reason: 'first' });
  const bytes = new TextEncoder().encode('{"input":"hi","target":"hello"}\n');
  const test = await registry.putDataset({
    task: 'greet',
    split: 'test',
    name: 'test.jsonl',
    bytes,
    rows: 1,
  });
  writeFileSync(join(folder, 'greet.yaml'), "name: greet\nprompt: { template: '{{input}}' }\n");
  await registry.datasetVersions.add({
    task: 'greet',
    splits: { test },
    source: 'files',
    message: 'the test file',
    actor: 'ops',
  });
});

afterEach(async () => {
  await registry.close();
});

const policyFile = (policy: Record<string, unknown> = {}): LoopPolicyFile => ({
  path: join(folder, 'loop.yaml'),
  folder,
  policy: loopPolicySchema.parse({
    task: 'greet',
    spec: 'greet.yaml',
    model: 'local:model.gguf',
    trigger: { every: '1d' },
    canary: { primary: 'liked', schedule: [{ weight: 0.5, minimumDurationMs: 0, minimumRequests: 10 }] },
    ...policy,
  }),
});

/**
 * Scripted steps: a training registers a version; an evaluation of the candidate scores `candidate` of 20
 * examples, of production `production`; an audit records a bias gap. `crash` aborts at a step.
 */
function scripted(
  scores: { candidate: number; production: number; reproduce?: boolean },
  crash?: { at: string; abort: () => void; afterRecording?: boolean },
) {
  const calls: string[] = [];
  const commands: string[][] = [];
  const runner: LoopStepRunner = async (args, options) => {
    commands.push(args);
    const result = await scriptedStep(args, options);
    // the process dies as the step ends, after its run was recorded
    if (crash?.afterRecording && crash.at === options.runId.split('.')[1]) crash.abort();
    return result;
  };
  const scriptedStep: LoopStepRunner = async (args, { runId, loop }) => {
    const step = args[0] === 'soft' ? 'train' : args[0] === 'audit' ? `audit ${args[1]}` : 'eval';
    calls.push(step);
    if (crash?.at === runId.split('.')[1] && !crash.afterRecording) {
      crash.abort();
      return { ok: false, output: 'killed' };
    }
    if (step === 'train' && scores.candidate < 0)
      return { ok: false, output: 'error: out of memory\ncode: X' };
    if (step === 'train') {
      const { version } = await registry.pushVersion({
        task: 'greet',
        kind: 'hard',
        // reproduce: the training gives back what production serves (the same version, not a new one)
        content: scores.reproduce
          ? (await registry.resolveVersion('greet', 'production')).content
          : { template: `B ${runId}: {{input}}` },
        actor,
      });
      await registry.runs.start({
        id: runId,
        kind: 'soft-training',
        task: 'greet',
        actor: 'ops',
        config: { loop },
      });
      await registry.runs.finish(runId, { status: 'completed', summary: {}, version: version.id });
      return { ok: true, output: '' };
    }
    const reference = args[args.indexOf('--version') + 1].split('@')[1];
    const version = await registry.resolveVersion('greet', reference);
    if (step.startsWith('audit')) {
      await registry.runs.start({
        id: runId,
        kind: 'audit',
        task: 'greet',
        actor: 'ops',
        config: { audit: 'bias' },
      });
      await registry.runs.finish(runId, {
        status: 'completed',
        version: version.id,
        summary: { flipRate: 0.3, gap: { difference: 0.02, pValue: 0.5 }, audited: 40 },
      });
      return { ok: true, output: '' };
    }
    const serving = await registry.resolveVersion('greet', 'production');
    const score = version.id === serving.id ? scores.production : scores.candidate;
    await registry.runs.start({
      id: runId,
      kind: 'evaluation',
      task: 'greet',
      actor: 'ops',
      version: version.id,
    });
    await registry.runs.append(
      runId,
      Array.from({ length: 20 }, (_, position) => ({
        kind: 'example' as const,
        position,
        score: position < score * 20 ? 1 : 0,
        passed: position < score * 20,
        data: { id: `example-${position}`, line: position + 1 },
      })),
    );
    await registry.runs.finish(runId, { status: 'completed', summary: { score }, version: version.id });
    return { ok: true, output: '' };
  };
  return { runner, calls, commands };
}

const options = (
  file: LoopPolicyFile,
  runStep: LoopStepRunner,
  extra: Partial<LoopOptions> = {},
): LoopOptions => ({
  registry,
  file,
  actor,
  runStep,
  lookEveryMs: 20,
  ...extra,
});

describe('the closed loop, step by step', () => {
  it('triggers on its schedule and on an alert that began firing after the last iteration', async () => {
    const file = policyFile({ trigger: { every: '1d', alerts: ['accuracy-drop'] } });
    expect(await loopTriggers(registry, file.policy)).toMatchObject({
      triggered: true,
      reasons: ['no iteration has run yet (scheduled)'],
      // no service has evaluated a rule of that name yet: it cannot trigger, and a dry run says so
      unevaluated: ['accuracy-drop'],
    });
    const { runner } = scripted({ candidate: 0.3, production: 0.6 });
    const refused = await runLoopIteration(options(file, runner), {
      triggers: await loopTriggers(registry, file.policy),
    });
    expect(refused.summary).toMatchObject({ outcome: 'gate-failed', gate: false, dataset: 1 });
    // the run names the datasets it trained and gated on, as other runs do (it had recorded none)
    const { splits } = await registry.datasetVersions.get('greet', 1);
    expect(refused.datasets).toEqual([splits.test]);
    const soon = refused.startedAt + 3_600_000;
    expect((await loopTriggers(registry, file.policy, soon)).triggered).toBe(false);
    expect((await loopTriggers(registry, file.policy, refused.startedAt + 86_400_000)).reasons[0]).toMatch(
      /^the last iteration started 1440 min ago/,
    );
    // an alert firing since before the last iteration was answered by it; one firing after it triggers
    const state = {
      rule: 'accuracy-drop',
      state: 'firing' as const,
      value: 0.4,
      count: 50,
      evaluatedAt: soon,
    };
    await registry.alerts.save({ ...state, since: refused.startedAt - 1 });
    expect((await loopTriggers(registry, file.policy, soon)).triggered).toBe(false);
    await registry.alerts.save({ ...state, since: refused.startedAt + 1 });
    const fired = await loopTriggers(registry, file.policy, soon);
    expect(fired.reasons).toEqual([expect.stringMatching(/^alert accuracy-drop firing since /)]);
    expect(fired.unevaluated).toEqual([]);
  });

  it('counts reviewed rows apart from held-back and not-yet-reviewed items', async () => {
    await registry.review.createQueue({
      name: 'greet-review',
      task: 'greet',
      actor: 'ops',
      config: { reviewsPerItem: 2 },
    });
    const items = await registry.review.addItems(
      'greet-review',
      ['a', 'b', 'c'].map((input) => ({ input: { input }, output: 'hello' })),
    );
    const plan: [string, string, string][] = [
      ['x', 'a', 'hi'],
      ['y', 'a', 'hi'], // agreed: a new row
      ['x', 'b', 'hi'],
      ['y', 'b', 'hey'], // a tie: held back
      ['x', 'c', 'hi'], // one review of two: waits
    ];
    for (const [reviewer, input, correction] of plan) {
      const item = items.find((each) => (each.input as { input: string }).input === input)!;
      await registry.review.decide(item.id, reviewer, { decision: 'correct', correction }, undefined, {
        admin: true,
      });
    }
    const file = policyFile({ trigger: { queue: 'greet-review', corrections: 1 } });
    expect((await loopTriggers(registry, file.policy)).corrections).toMatchObject({
      pending: 1,
      held: 1,
      unreviewed: 1,
    });
  });

  it('refuses a candidate that scores below production, and one whose audits fail the policy', async () => {
    const worse = scripted({ candidate: 0.5, production: 0.6 });
    const run = await runLoopIteration(options(policyFile(), worse.runner), {
      triggers: await loopTriggers(registry, policyFile().policy),
    });
    expect(worse.calls).toEqual(['train', 'eval', 'eval']);
    const gate = (await registry.runs.allEntries(run.id, 'step'))[3].data;
    expect(gate).toMatchObject({ passed: false, scores: { candidate: 0.5, production: 0.6 } });
    expect((gate.criteria as { text: string }[])[0].text).toMatch(
      /^test score 0\.500 against production's 0\.600: difference -0\.100 on 20 examples/,
    );
    expect(await registry.experiments.list({ task: 'greet' })).toEqual([]);
    // better, but the bias audit's flip rate breaks the task's audit policy, which guards production
    await registry.putTask(
      taskSpec.parse({
        name: 'greet',
        prompt: { template: '{{input}}' },
        audit: { policy: { bias: { maxFlipRate: 0.1 } } },
      }),
    );
    const audited = scripted({ candidate: 0.8, production: 0.6 });
    const file = policyFile({ gate: { audits: ['bias'] } });
    const refused = await runLoopIteration(options(file, audited.runner), {
      triggers: await loopTriggers(registry, file.policy),
    });
    // the same data and re-tune settings: the first iteration's candidate, not trained again
    expect(audited.calls).toEqual(['eval', 'eval', 'audit bias']);
    const criteria = (await registry.runs.allEntries(refused.id, 'step'))[3].data.criteria;
    expect(criteria).toEqual([
      { met: true, text: expect.stringMatching(/^test score 0\.800 against production's 0\.600/) },
      {
        met: false,
        text: expect.stringMatching(
          /^the task's audit policy: bias audit \S+: flip rate 30\.0% is above 10\.0%$/,
        ),
      },
    ]);
    expect(refused.summary).toMatchObject({ outcome: 'gate-failed' });
    expect(await registry.experiments.list({ task: 'greet' })).toEqual([]);
  });

  it('ends as unchanged, before the gate, when the re-tune gives back the version production serves', async () => {
    const same = scripted({ candidate: 0.6, production: 0.6, reproduce: true });
    const run = await runLoopIteration(options(policyFile(), same.runner), {
      triggers: await loopTriggers(registry, policyFile().policy),
    });
    expect(same.calls).toEqual(['train']);
    expect(run.status).toBe('completed');
    expect(run.summary).toMatchObject({
      outcome: 'unchanged',
      reason: expect.stringMatching(/^the re-tune gave version \d+, which greet@production already serves$/),
    });
    expect(await registry.experiments.list({ task: 'greet' })).toEqual([]);
  });

  it('reuses the candidate an earlier iteration re-tuned from the same data with the same settings, not training again', async () => {
    const first = scripted({ candidate: 0.8, production: 0.6 });
    const file = policyFile({ canary: { primary: 'liked', timeout: 1 } });
    const trained = await runLoopIteration(options(file, first.runner), {
      triggers: await loopTriggers(registry, file.policy),
    });
    expect(first.calls.slice(0, 3)).toEqual(['train', 'eval', 'eval']);
    const candidate = (await registry.runs.allEntries(trained.id, 'step'))[2].data.candidate as {
      id: string;
    };
    const retuned = (await registry.resolveVersion('greet', candidate.id)).number;
    // the canary promoted it (here by hand); then an alert fires with no new reviewed data
    await registry.setLabel({
      task: 'greet',
      label: 'production',
      reference: candidate.id,
      actor,
      reason: 'canary',
    });
    const again = scripted({ candidate: 0.8, production: 0.8 });
    const unchanged = await runLoopIteration(options(file, again.runner), {
      triggers: await loopTriggers(registry, file.policy),
    });
    expect(again.calls).toEqual([]);
    expect(unchanged.summary).toMatchObject({
      outcome: 'unchanged',
      reason: `no new data: iteration ${trained.id} re-tuned dataset version 1 with these settings into version ${retuned}, which greet@production already serves`,
    });
    expect((await registry.runs.allEntries(unchanged.id, 'step'))[2].data).toMatchObject({
      done: true,
      reusedFrom: trained.id,
      candidate: { id: candidate.id, number: retuned },
    });
    // another spec, other arguments, or new data: trained
    writeFileSync(join(folder, 'greet.yaml'), "name: greet\nprompt: { template: 'Q: {{input}}' }\n");
    const edited = scripted({ candidate: 0.8, production: 0.8, reproduce: true });
    await runLoopIteration(options(file, edited.runner), {
      triggers: await loopTriggers(registry, file.policy),
    });
    expect(edited.calls).toEqual(['train']);
    const argued = scripted({ candidate: 0.8, production: 0.8, reproduce: true });
    const other = policyFile({ retune: { method: 'soft', args: ['--epochs', '2'] } });
    await runLoopIteration(options(other, argued.runner), {
      triggers: await loopTriggers(registry, other.policy),
    });
    expect(argued.calls).toEqual(['train']);
    const test = await registry.putDataset({
      task: 'greet',
      split: 'test',
      name: 'test.jsonl',
      bytes: new TextEncoder().encode('{"input":"hi","target":"hello"}\n{"input":"yo","target":"hey"}\n'),
      rows: 2,
    });
    await registry.datasetVersions.add({
      task: 'greet',
      splits: { test },
      source: 'files',
      message: 'one row more',
      actor: 'ops',
    });
    const newer = scripted({ candidate: 0.8, production: 0.8, reproduce: true });
    await runLoopIteration(options(file, newer.runner), {
      triggers: await loopTriggers(registry, file.policy),
    });
    expect(newer.calls).toEqual(['train']);
    // the model's file replaced where it lies (a new download under the same name): trained again; its
    // path is the policy's folder's, where the steps run, whatever folder the loop runs in
    const weights = join(folder, 'weights.gguf');
    writeFileSync(weights, 'the first weights');
    const iterate = async (model: string) => {
      const onModel = policyFile({ model });
      const steps = scripted({ candidate: 0.8, production: 0.8, reproduce: true });
      await runLoopIteration(options(onModel, steps.runner), {
        triggers: await loopTriggers(registry, onModel.policy),
      });
      return steps.calls;
    };
    expect(await iterate('local:weights.gguf')).toEqual(['train']);
    expect(await iterate('local:weights.gguf')).toEqual([]);
    writeFileSync(weights, 'the second weights');
    expect(await iterate('local:weights.gguf')).toEqual(['train']);
    // a checkpoint folder of links (as a Hugging Face snapshot's files link to its blobs)
    mkdirSync(join(folder, 'snapshot'));
    symlinkSync(weights, join(folder, 'snapshot', 'model.safetensors'));
    expect(await iterate('local:snapshot')).toEqual(['train']);
    expect(await iterate('local:snapshot')).toEqual([]);
    writeFileSync(weights, 'the third weights, longer');
    expect(await iterate('local:snapshot')).toEqual(['train']);
  });

  it('resumes an iteration killed in its gate without training again, and ends when its canary is stopped', async () => {
    const file = policyFile();
    const controller = new AbortController();
    const first = scripted(
      { candidate: 0.8, production: 0.6 },
      { at: 'gate-production', abort: () => controller.abort() },
    );
    const paused = await runLoopIteration(options(file, first.runner, { signal: controller.signal }), {
      triggers: await loopTriggers(registry, file.policy),
    });
    expect(paused.status).toBe('interrupted'); // resumable at once
    expect(first.calls).toEqual(['train', 'eval', 'eval']);
    // a paused iteration is resumable at once (a live one would be refused: LOOP_RUNNING)
    const unfinished = await unfinishedLoop(registry, 'greet');
    expect(unfinished).toMatchObject({ live: false, run: { id: paused.id } });
    const second = scripted({ candidate: 0.8, production: 0.6 });
    const resumed = runLoopIteration(options(file, second.runner), { resume: unfinished!.run });
    // the canary starts; stopping its experiment by hand ends the iteration
    let experiment;
    for (let i = 0; i < 200 && !experiment; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      experiment = (await registry.experiments.list({ task: 'greet', status: 'running' }))[0];
    }
    expect(experiment).toBeDefined();
    expect(experiment!.reason).toMatch(new RegExp(`^loop ${paused.id}: version 2 against version 1`));
    await stopExperiment(registry, experiment!.id, { actor, reason: 'not today' });
    const ended = await resumed;
    expect(second.calls).toEqual(['eval']); // the candidate's evaluation was kept; only production's ran again
    expect(ended.summary).toMatchObject({ outcome: 'stopped', reason: 'not today', gate: true });
    expect((await registry.resolveVersion('greet', 'production')).number).toBe(1);
    const steps = (await registry.runs.allEntries(ended.id, 'step')).map((entry) => entry.data);
    expect(steps[3].runs).toEqual({
      candidate: `${paused.id}.gate-candidate.1`,
      production: `${paused.id}.gate-production.2`,
    });
  });

  it('records a canary rolled back by its guardrail: the errors rose in the candidate, production stays', async () => {
    const file = policyFile();
    const { runner } = scripted({ candidate: 0.8, production: 0.6 });
    const ended = runLoopIteration(options(file, runner), {
      triggers: await loopTriggers(registry, file.policy),
    });
    let experiment;
    for (let i = 0; i < 200 && !experiment; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      experiment = (await registry.experiments.list({ task: 'greet', status: 'running' }))[0];
    }
    // served traffic: one answer in three from the candidate fails with a 500, none from production
    const traces = Array.from({ length: 400 }, (_, index) => {
      const arm = index % 2 === 0 ? experiment!.control : experiment!.treatment;
      const failed = arm === experiment!.treatment && index % 3 === 0;
      return servedTrace(`trace-${index}`, arm, `user-${index}`, {
        latencyMs: 100,
        ...(failed && { output: null, finishReason: null, status: 500, errorCode: 'BACKEND_FAILED' }),
      });
    });
    await registry.traces.insert(traces);
    const run = await ended;
    expect(run.summary).toMatchObject({ outcome: 'rolled-back', gate: true });
    expect(String(run.summary?.reason)).toMatch(/^guardrail errors is higher in the treatment/);
    expect((await registry.resolveVersion('greet', 'production')).number).toBe(1);
  });

  it('resumes in its canary: finds the experiment it started before it could note it, instead of a second', async () => {
    const file = policyFile();
    const { runner } = scripted({ candidate: 0.8, production: 0.6 });
    // an iteration that died between starting its experiment and noting it: its entries end at the intent
    const { version: candidate } = await registry.pushVersion({
      task: 'greet',
      kind: 'hard',
      content: { template: 'B: {{input}}' },
      actor,
    });
    const run = await registry.runs.start({
      kind: 'loop',
      task: 'greet',
      actor: 'ops',
      config: { policyFile: file.path, policy: file.policy, trigger: { reasons: ['forced'] } },
    });
    const production = await registry.resolveVersion('greet', 'production');
    const entries = [
      { step: 'trigger', done: true, reasons: ['forced'] },
      { step: 'dataset', done: true, version: 1, folder: join('.promptune', 'loop', run.id, 'data') },
      { step: 'retune', done: true, run: 'run-x', candidate: { id: candidate.id, number: candidate.number } },
      {
        step: 'gate',
        done: true,
        passed: true,
        production: { id: production.id, number: production.number },
      },
      { step: 'canary', done: false },
    ];
    await registry.runs.append(
      run.id,
      entries.map((data, position) => ({ kind: 'step', position, score: null, passed: null, data })),
    );
    const started = await startExperiment(registry, {
      task: 'greet',
      treatment: candidate.id,
      config: { primary: 'liked' },
      actor,
      reason: `loop ${run.id}: version 2 against version 1 on liked`,
    });
    await registry.runs.heartbeat(run.id, 0);
    const resumed = runLoopIteration(options(file, runner), {
      resume: (await unfinishedLoop(registry, 'greet'))!.run,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await stopExperiment(registry, started.id, { actor, reason: 'enough' });
    expect((await resumed).summary).toMatchObject({ outcome: 'stopped', experiment: started.id });
    expect(await registry.experiments.list({ task: 'greet' })).toHaveLength(1);
  });

  it('does not train again when the iteration died after its training was recorded', async () => {
    const file = policyFile();
    const controller = new AbortController();
    const first = scripted(
      { candidate: 0.3, production: 0.6 },
      { at: 'retune', abort: () => controller.abort(), afterRecording: true },
    );
    const paused = await runLoopIteration(options(file, first.runner, { signal: controller.signal }), {
      triggers: await loopTriggers(registry, file.policy),
    });
    expect(first.calls).toEqual(['train']);
    const retuneSteps = async () =>
      (await registry.runs.allEntries(paused.id, 'step'))
        .map((entry) => entry.data)
        .filter((data) => data.step === 'retune');
    const [started] = await retuneSteps();
    expect(started).toMatchObject({ done: false, basis: expect.any(String), asked: expect.any(String) });
    // the spec edited before the iteration resumes: its candidate is findable by what it was trained with
    writeFileSync(join(folder, 'greet.yaml'), "name: greet\nprompt: { template: 'Edited: {{input}}' }\n");
    const second = scripted({ candidate: 0.3, production: 0.6 });
    const ended = await runLoopIteration(options(file, second.runner), { resume: paused });
    expect(second.calls).toEqual(['eval', 'eval']);
    expect(ended.summary).toMatchObject({ outcome: 'gate-failed', candidate: { number: 2 } });
    expect((await retuneSteps()).at(-1)).toMatchObject({
      done: true,
      basis: started.basis,
      settings: [started.asked],
    });
    expect((await registry.listVersions('greet')).map((version) => version.number)).toEqual([1, 2]);
  });

  it('tries a failed iteration once more on what triggered it, then waits for a new trigger', async () => {
    const file = policyFile({ trigger: { every: '1d' } });
    const failing = scripted({ candidate: -1, production: 0.6 });
    await expect(
      runLoopIteration(options(file, failing.runner), {
        triggers: await loopTriggers(registry, file.policy),
      }),
    ).rejects.toMatchObject({ code: 'LOOP_STEP_FAILED' });
    const [failed] = (await registry.runs.list({ kind: 'loop' })).data;
    expect(failed).toMatchObject({ status: 'failed', summary: { outcome: 'failed' } });
    expect(failed.error).toContain('error: out of memory');
    const again = await loopTriggers(registry, file.policy);
    expect(again).toMatchObject({ triggered: true, retry: true });
    expect(again.reasons).toEqual([
      `the last iteration ${failed.id} failed: once more, on what triggered it`,
    ]);
    await expect(runLoopIteration(options(file, failing.runner), { triggers: again })).rejects.toThrow();
    expect((await loopTriggers(registry, file.policy)).triggered).toBe(false);
  });

  it('stops a canary that has not decided by the policy’s timeout', async () => {
    const file = policyFile({
      canary: {
        primary: 'liked',
        timeout: '50ms',
        schedule: [{ weight: 0.5, minimumDurationMs: 0, minimumRequests: 10 }],
      },
    });
    const { runner } = scripted({ candidate: 0.8, production: 0.6 });
    const run = await runLoopIteration(options(file, runner), {
      triggers: await loopTriggers(registry, file.policy),
    });
    expect(run.summary).toMatchObject({ outcome: 'timed-out' });
    const [experiment] = await registry.experiments.list({ task: 'greet' });
    expect(experiment.status).toBe('stopped');
  });

  it('reads a policy file through its schema, with coded errors', () => {
    const write = (text: string) => {
      const path = join(folder, `policy-${Math.random()}.yaml`);
      writeFileSync(path, text);
      return path;
    };
    const code = (path: string) => {
      try {
        readLoopPolicy(path);
      } catch (error) {
        return (error as { code: string; message: string }).code;
      }
      return 'none';
    };
    expect(code(join(folder, 'missing.yaml'))).toBe('LOOP_POLICY_NOT_FOUND');
    expect(code(write('task: [greet'))).toBe('LOOP_POLICY_INVALID');
    const base = 'task: greet\nspec: greet.yaml\nmodel: local:m.gguf\ncanary: { primary: liked }\n';
    expect(code(write(`${base}trigger: {}\n`))).toBe('LOOP_POLICY_INVALID'); // nothing triggers it
    expect(code(write(`${base}trigger: { every: 1 week }\n`))).toBe('LOOP_POLICY_INVALID');
    // a bad duration says what a duration looks like (zod's union said "Invalid input")
    const week = write(
      'task: greet\nspec: greet.yaml\nmodel: local:m.gguf\ntrigger: { every: 1d }\ncanary: { primary: liked, timeout: 1 week }\n',
    );
    expect(() => readLoopPolicy(week)).toThrow(/canary\.timeout: expected a duration such as 30m, 12h or 7d/);
    expect(code(write(`${base}trigger: { every: 1d }\nretune: { method: lora }\n`))).toBe(
      'LOOP_POLICY_INVALID',
    );
    // the loop's own options are not the policy's to give: a label moved past the gate and the canary
    expect(code(write(`${base}trigger: { every: 1d }\nretune: { args: ['--label=production'] }\n`))).toBe(
      'LOOP_POLICY_INVALID',
    );
    const read = readLoopPolicy(write(`${base}trigger: { queue: q }\n`));
    expect(read.folder).toBe(folder);
    expect(read.policy).toMatchObject({
      label: 'production',
      trigger: { queue: 'q', corrections: 20, alerts: [] },
      retune: { method: 'soft', args: [] },
      gate: { split: 'test', minimumGain: 0, significant: false, audits: [] },
      canary: { primary: 'liked', promoteWhen: 'no-harm', timeout: 7 * 86_400_000 },
    });
  });

  it('re-tunes the method production serves: a LoRA production trains a LoRA of its rank and targets', async () => {
    const adapterConfig = {
      peft_type: 'LORA',
      r: 16,
      lora_alpha: 32,
      target_modules: ['q_proj', 'v_proj'],
      lora_dropout: 0,
    };
    // (the loop reads the method off the config; the weights are never loaded here)
    const adapterBlob = await registry.putBlob(new Uint8Array([0]));
    await registry.pushVersion({
      task: 'greet',
      kind: 'soft',
      content: { adapterConfig, adapterBlob },
      actor,
    });
    await registry.setLabel({ task: 'greet', label: 'production', reference: '2', actor, reason: 'LoRA' });
    const said: string[] = [];
    const train = async (args: string[]) => {
      const { runner, commands } = scripted({ candidate: 0.5, production: 0.6 });
      const file = policyFile({ retune: { args } });
      const log = (line: string) => said.push(line);
      await runLoopIteration(options(file, runner, { log }), {
        triggers: await loopTriggers(registry, file.policy),
      });
      return commands[0].join(' ');
    };
    const production = await registry.resolveVersion('greet', 'production');
    expect(await train(['--steps', '40'])).toMatch(
      new RegExp(
        `^soft train .* --parent ${production.id} --like greet@${production.id} --out \\S+ --push --steps 40`,
      ),
    );
    // the gate's verdict is said as it is reached, not only kept in the run
    expect(said).toContain("gate: version 3 0.500 against production's 0.600 on test: refused");
    // and the method, as the dry run says it
    expect(said).toContain(
      're-tune method: LoRA, as version 2 (--method lora --rank 16 --alpha 32 --targets q,v)',
    );
    // the policy's own method or option wins
    const named = await train(['--method', 'prefix-tuning']);
    expect(named).not.toContain('--like');
    expect(named).toMatch(/--push --method prefix-tuning/);
    expect(await train(['--rank', '4'])).toMatch(/--like greet@\S+ .*--rank 4/);
    expect(said).toContain('re-tune method: LoRA, as version 2 (--method lora --targets q,v)');
    // an option a LoRA would refuse: the policy trains what it says, with the default method, and the
    // iteration warns that production's method is not kept
    expect(await train(['--virtual-tokens', '8'])).not.toContain('--like');
    expect(said).toContain(
      "warning: re-tune method: soft train's default method: the policy's --virtual-tokens is not an option of version 2's LoRA",
    );
  });

  it('runs as a job: the loop is one of the commands a job may run', () => {
    expect(jobKind(['loop', 'loop.yaml', '--admin'])).toBe('loop');
    // the other long work, which resumes where a dead worker left it (a checkpoint, a journal)
    expect(jobKind(['soft', 'train-multitask', '--data', 'a', '--data', 'b'])).toBe('soft-train-multitask');
    expect(jobKind(['compare-methods', '--model', 'm', '--data', 'd'])).toBe('compare-methods');
    expect(() => jobKind(['serve'])).toThrow(/a job cannot run "serve"/);
  });

  it('refuses to start before the registry has what an iteration needs', async () => {
    const { runner, calls } = scripted({ candidate: 0.8, production: 0.6 });
    const start = async (policy: Record<string, unknown>) => {
      const file = policyFile(policy);
      return runLoopIteration(options(file, runner), { triggers: await loopTriggers(registry, file.policy) });
    };
    await expect(start({ label: 'staging' })).rejects.toMatchObject({ code: 'LOOP_NOT_READY' });
    await expect(start({ trigger: { queue: 'nowhere' } })).rejects.toMatchObject({
      code: 'REVIEW_QUEUE_NOT_FOUND',
    });
    expect(calls).toEqual([]);
    expect((await registry.runs.list({ kind: 'loop' })).data).toEqual([]);
  });

  it('refuses to soft-train on a model that is not local', async () => {
    const file = policyFile({ model: 'openai:gpt-4o-mini' });
    const { runner, calls } = scripted({ candidate: 0.8, production: 0.6 });
    await expect(
      runLoopIteration(options(file, runner), { triggers: await loopTriggers(registry, file.policy) }),
    ).rejects.toMatchObject({ code: 'LOOP_POLICY_INVALID' });
    expect(calls).toEqual([]);
    expect((await registry.runs.list({ kind: 'loop' })).data).toEqual([]);
  });
});
