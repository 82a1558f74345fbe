// Experiments through the service, end to end on 127.0.0.1 with scripted users: the split decided per
// request (sticky per user, the same for every request of a user), the arms' metrics read from the
// traces and feedback the service stored, the canary stepping up, a better treatment promoted with the
// statistics in the label's history, and a treatment whose errors rise rolled back with the label
// untouched. The model is scripted (allowed: experiments need controlled model behaviour): its answers
// name the version that prompted it, and "users" like version B's answers more often than version A's.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedModel } from '../../test/scripted-model.js';
import { seededRandom } from '../engine/index.js';
import { startExperiment } from '../experiments/index.js';
import { Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/spec.js';
import { listen, type RunningServer } from './listen.js';
import { createService, type Service } from './service.js';

const folder = mkdtempSync(join(tmpdir(), 'promptune-experiments-'));
const actor = { name: 'test', scopes: ['read', 'run', 'admin'] };
let registry: Registry;
let server: RunningServer;
let service: Service;
let admin = '';
let runner = '';
const versions: Record<string, string> = {};
// version C's answers fail one time in four (a 500), the others never
const failing = seededRandom(11);
const model = new ScriptedModel('scripted', (prompt) => {
  const arm = /^([ABC]):/.exec(prompt)?.[1] ?? '?';
  if (arm === 'C' && failing() < 0.25) throw new Error('the scripted backend failed');
  return arm.toLowerCase();
});

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies read loosely

const request = async (path: string, key: string, body?: unknown) => {
  const response = await fetch(`${server.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Body };
};

beforeAll(async () => {
  registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
  await registry.putTask(taskSpec.parse({ name: 'greet', prompt: { template: '{{input}}' } }));
  for (const name of ['A', 'B', 'C']) {
    const { version } = await registry.pushVersion({
      task: 'greet',
      kind: 'hard',
      content: { template: `${name}: {{input}}` },
      actor,
    });
    versions[name] = version.id;
  }
  await registry.setLabel({ task: 'greet', label: 'production', reference: '1', actor, reason: 'first' });
  admin = (await registry.keys.create({ name: 'admin', scopes: ['admin'], ratePerMinute: 1e7 })).key;
  runner = (await registry.keys.create({ name: 'app', scopes: ['run', 'read'], ratePerMinute: 1e7 })).key;
  service = createService({
    registry,
    backends: { hard: model },
    logger: pino({ level: 'silent' }),
    experiments: false, // the test looks itself, after every batch of requests
  });
  server = await listen(service.app);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await service?.drain();
  await registry?.close();
});

/** Sends `count` requests from users user-0..users-1 (round robin from `start`); returns each answer's version and user. */
async function traffic(count: number, start: number, users: number, feedback?: (arm: string) => boolean) {
  const served: { user: string; version: string; status: number }[] = [];
  for (let index = start; index < start + count; index++) {
    const user = `user-${index % users}`;
    const response = await request('/v1/chat/completions', runner, {
      model: 'greet',
      user,
      messages: [{ role: 'user', content: 'hello' }],
    });
    const version = response.headers.get('promptune-version') ?? '';
    served.push({ user, version, status: response.status });
    if (response.status === 200 && feedback) {
      const answer = response.body.choices[0].message.content as string;
      const given = await request('/v1/feedback', runner, {
        id: response.body.id,
        name: 'helpful',
        value: feedback(answer),
      });
      expect(given.status).toBe(201);
    }
  }
  await service.recorder!.flush();
  return served;
}

/**
 * Sends traffic in batches of 50 (users 0..299, `feedback` on each answer) and looks after each, until
 * the experiment ends or `limit` requests were sent; returns how it ended, the last look's reason, and
 * every request served.
 */
async function trafficUntilDecided(id: string, limit: number, feedback?: (arm: string) => boolean) {
  const served: Awaited<ReturnType<typeof traffic>> = [];
  let status = 'running';
  let reason = '';
  for (let sent = 0; status === 'running' && sent < limit; sent += 50) {
    served.push(...(await traffic(50, sent, 300, feedback)));
    const look = await request(`/v1/experiments/${id}/look`, admin, {});
    status = look.body.experiment.status as string;
    reason = look.body.reason as string;
  }
  return { status, reason, served };
}

/** Pushes a version of greet that serves with `spec`, then makes the plain spec the latest again. */
async function pushServingWith(spec: unknown, template: string) {
  const { version } = await registry.pushVersion({
    task: 'greet',
    kind: 'hard',
    content: { template },
    spec: taskSpec.parse(spec),
    actor,
  });
  await registry.putTask(taskSpec.parse({ name: 'greet', prompt: { template: '{{input}}' } }));
  return version;
}

describe('experiments through the service', () => {
  it('refuses a bad start with a code, and a second experiment on the same label', async () => {
    const missing = await request('/v1/experiments', admin, { task: 'greet', treatment: 2 });
    expect(missing.status).toBe(400);
    const same = await request('/v1/experiments', admin, { task: 'greet', treatment: 1, primary: 'helpful' });
    expect(same.body.error.code).toBe('EXPERIMENT_SAME_VERSION');
    const notAdmin = await request('/v1/experiments', runner, {
      task: 'greet',
      treatment: 2,
      primary: 'helpful',
    });
    expect(notAdmin.status).toBe(403);
    const unknownTask = await request('/v1/experiments', admin, {
      task: 'nosuch',
      treatment: 2,
      primary: 'helpful',
    });
    expect([unknownTask.status, unknownTask.body.error.code]).toEqual([404, 'REGISTRY_NO_TASK']);
    const step = (weight: number) => ({ weight, minimumDurationMs: 0, minimumRequests: 0 });
    for (const schedule of [[step(0.5), step(0.1)], [step(1)]]) {
      const bad = await request('/v1/experiments', admin, {
        task: 'greet',
        treatment: 2,
        primary: 'helpful',
        schedule,
      });
      expect(bad.status).toBe(400);
    }
    await registry.scores.setConfig({ name: 'mood', kind: 'categorical', categories: ['good', 'bad'] });
    const categorical = await request('/v1/experiments', admin, {
      task: 'greet',
      treatment: 2,
      primary: 'mood',
    });
    expect([categorical.status, categorical.body.error.code]).toEqual([400, 'EXPERIMENT_BAD_CONFIG']);
    expect(await registry.experiments.list({ task: 'greet' })).toEqual([]);
  });

  it('promotes a treatment users like better (45% against 30%), sticky per user, with its statistics in the label history', async () => {
    const started = await request('/v1/experiments', admin, {
      task: 'greet',
      treatment: 2,
      primary: 'helpful',
      guardrails: ['errors'],
      schedule: [
        { weight: 0.2, minimumDurationMs: 0, minimumRequests: 20 },
        { weight: 0.5, minimumDurationMs: 0, minimumRequests: 20 },
      ],
    });
    expect(started.status).toBe(201);
    // no one has sent feedback named helpful yet: said, not refused
    expect(started.body.warnings).toEqual([
      expect.stringMatching(/^no score named helpful among greet's latest scores/),
    ]);
    const id = started.body.id as string;
    // the running split is on /metrics, for dashboards and alerts outside promptune
    const scraped = await (await fetch(`${server.url}/metrics`)).text();
    expect(scraped).toContain('promptune_experiment_treatment_share{task="greet",label="production"} 0.2');
    const again = await request('/v1/experiments', admin, {
      task: 'greet',
      treatment: 3,
      primary: 'helpful',
    });
    expect([again.status, again.body.error.code]).toEqual([409, 'EXPERIMENT_RUNNING']);

    const likes = seededRandom(5);
    const liked = (answer: string) => likes() < (answer === 'b' ? 0.45 : 0.3);
    const seen = new Map<string, string[]>();
    let sent = 0;
    let status = 'running';
    const actions: string[] = [];
    while (status === 'running' && sent < 6000) {
      for (const { user, version } of await traffic(100, sent, 400, liked)) {
        const history = seen.get(user) ?? [];
        if (history.at(-1) !== version) history.push(version);
        seen.set(user, history);
      }
      sent += 100;
      const look = await request(`/v1/experiments/${id}/look`, admin, {});
      expect(look.status).toBe(200);
      if (look.body.action !== 'hold') actions.push(look.body.action);
      status = look.body.experiment.status;
    }
    expect(status).toBe('promoted');
    expect(actions).toEqual(['advance', 'promote']);
    // a user moved from A to B at most once (when the share grew), never back
    for (const history of seen.values()) {
      expect(history.length).toBeLessThanOrEqual(2);
      if (history.length === 2) expect(history).toEqual([versions.A, versions.B]);
    }
    const label = await request('/v1/tasks/greet/labels/production/history', runner);
    const events = label.body.data as {
      from: string;
      to: string;
      actor: string;
      details?: Body;
    }[];
    const promotion = events.at(-1)!;
    expect([promotion.from, promotion.to, promotion.actor]).toEqual([
      versions.A,
      versions.B,
      `experiment:${id}`,
    ]);
    expect(promotion.details!.primary.pValue).toBeLessThan(0.05);
    expect(promotion.details!.primary.difference).toBeGreaterThan(0);
    expect(promotion.details!.arms.treatment.primary.n).toBeGreaterThanOrEqual(100);
    // the start and the advance are in the history too, each moving nothing
    const steps = events.filter((event) => event.details?.experiment === id && event.from === event.to);
    expect(steps.map((event) => event.details!.action)).toEqual(['start', 'advance']);
    // everyone gets B now, and the ended experiment leaves the scrape; its steps are counted there
    const ended = await (await fetch(`${server.url}/metrics`)).text();
    expect(ended).not.toContain('promptune_experiment_treatment_share{');
    for (const action of ['advance', 'promote'])
      expect(ended).toContain(
        `promptune_experiment_steps_total{task="greet",label="production",action="${action}"} 1`,
      );
    const after = await traffic(20, 0, 400);
    expect(new Set(after.map((entry) => entry.version))).toEqual(new Set([versions.B]));
  }, 120_000);

  it('rolls back a treatment whose error rate rises, leaving the label where it was', async () => {
    const started = await request('/v1/experiments', admin, {
      task: 'greet',
      treatment: 3,
      primary: 'helpful',
      guardrails: ['errors'],
      minimumPerArm: 30,
      schedule: [
        { weight: 0.1, minimumDurationMs: 0, minimumRequests: 30 },
        { weight: 0.5, minimumDurationMs: 0, minimumRequests: 30 },
      ],
    });
    const { status, reason, served } = await trafficUntilDecided(started.body.id as string, 4000);
    expect(status).toBe('rolled-back');
    expect(reason).toMatch(/^guardrail errors is higher/);
    expect(served.filter((entry) => entry.version === versions.C).length).toBeGreaterThan(0);
    const id = started.body.id as string;
    const read = await request(`/v1/experiments/${id}`, runner);
    expect(read.body.experiment.weight).toBe(0);
    expect(read.body.events.at(-1).action).toBe('rollback');
    expect(read.body.events.at(-1).statistics.guardrails.errors.pValue).toBeLessThan(0.05);
    expect((await registry.resolveVersion('greet', 'production')).id).toBe(versions.B);
    const after = await traffic(20, 0, 300);
    expect(new Set(after.map((entry) => entry.version))).toEqual(new Set([versions.B]));
  }, 120_000);

  it('rolls back a treatment whose guard refuses its answers, though the control has no guard', async () => {
    // version D's spec refuses every answer shorter than 100 characters (all of them): 422s, not 5xx
    const version = await pushServingWith(
      {
        name: 'greet',
        prompt: { template: '{{input}}' },
        guards: { output: [{ validator: 'length', minCharacters: 100, onFail: 'exception' }] },
      },
      'D: {{input}}',
    );
    const started = await request('/v1/experiments', admin, {
      task: 'greet',
      treatment: version.number,
      primary: 'helpful',
      guardrails: ['errors'], // the refusals are errors of the version (not only failed checks)
      minimumPerArm: 30,
      schedule: [
        { weight: 0.1, minimumDurationMs: 0, minimumRequests: 20 },
        { weight: 0.5, minimumDurationMs: 0, minimumRequests: 20 },
      ],
    });
    expect(started.status).toBe(201);
    const { status, reason, served } = await trafficUntilDecided(started.body.id as string, 2000, () => true);
    const refusals = served.filter((entry) => entry.version === version.id).map((entry) => entry.status);
    expect(new Set(refusals)).toEqual(new Set([422]));
    expect(status).toBe('rolled-back');
    expect(reason).toMatch(/^guardrail errors is higher/);
    expect((await registry.resolveVersion('greet', 'production')).id).toBe(versions.B);
  }, 120_000);

  it('refuses to test a version the service cannot serve, and counts its failures against it if started elsewhere', async () => {
    const version = await pushServingWith(
      {
        name: 'greet',
        prompt: { template: '{{input}}' },
        guards: { output: [{ validator: 'custom', module: './check.js', onFail: 'exception' }] },
      },
      'E: {{input}}',
    );
    const refused = await request('/v1/experiments', admin, {
      task: 'greet',
      treatment: version.number,
      primary: 'helpful',
    });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'EXPERIMENT_TREATMENT_NOT_SERVED']);
    expect(refused.body.error.message).toMatch(/cannot be served: .*custom/);
    // started by something that did not check (an older release): its unserved requests are its errors
    const { id } = await startExperiment(registry, {
      task: 'greet',
      treatment: String(version.number),
      config: {
        primary: 'helpful',
        guardrails: ['errors'],
        minimumPerArm: 30,
        schedule: [{ weight: 0.2, minimumDurationMs: 0, minimumRequests: 20 }],
      },
      actor,
    });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the service resolves labels again after 1 s
    expect((await trafficUntilDecided(id, 2000, () => true)).status).toBe('rolled-back');
    const traces = await registry.traces.list({ task: 'greet', version: version.id }, { limit: 5 });
    expect(traces.data[0]).toMatchObject({
      status: 404,
      errorCode: 'GUARD_CUSTOM_NOT_SERVED',
      label: 'production',
    });
  }, 120_000);

  it('stops an experiment when someone moves its label by hand', async () => {
    const started = await request('/v1/experiments', admin, {
      task: 'greet',
      treatment: 1,
      primary: 'helpful',
    });
    expect(started.status).toBe(201);
    await registry.setLabel({ task: 'greet', label: 'production', reference: '3', actor, reason: 'hotfix' });
    const read = await request(`/v1/experiments/${started.body.id}`, runner);
    expect(read.body.experiment.status).toBe('stopped');
    expect(read.body.experiment.reason).toMatch(/^the label was moved by test/);
    const stop = await request(`/v1/experiments/${started.body.id}/stop`, admin, {});
    expect([stop.status, stop.body.error.code]).toEqual([409, 'EXPERIMENT_FINISHED']);
  });
});
