// The closed loop end to end on stories260K, as users run it: `promptune serve` answers the `gender`
// task with its hand-written prompt; served traffic is queued and a reviewer corrects the wrong answers;
// `promptune loop` sees the corrections pass its threshold, writes dataset version 2, re-tunes a soft
// prompt on it, gates it against production on the test split, and starts a canary; scripted users send
// traffic and feedback until the experiment promotes the soft prompt. A second iteration, forced, trains
// with one step at a learning rate near zero: the gate refuses the candidate and nothing is promoted. A
// third, forced with the first policy on the same data, reuses the first's candidate without training.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from '../src/registry/index.js';
import { browserAvailable, launchBrowser, screenshot } from './browser.js';
import { bin, feedQueue, run, startService, writeGenderTask } from './gender-service.js';
import { stories } from './models.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies read loosely

/** Runs `promptune loop` to its end, with its output. */
function loop(cwd: string, ...args: string[]) {
  const child = spawn('node', [bin, 'loop', ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, ended, output: () => ({ stdout, stderr }) };
}

const policy = (retuneArgs: string[]) =>
  [
    'task: gender',
    'spec: gender.yaml',
    `model: local:${stories.gguf}`,
    'trigger: { queue: gender-review, corrections: 20 }',
    `retune: { method: soft, args: [${retuneArgs.map((arg) => `'${arg}'`).join(', ')}] }`,
    'gate: { split: test, minimumGain: 0 }',
    'canary:',
    '  primary: correct',
    '  schedule: [{ weight: 0.5, minimumDurationMs: 0, minimumRequests: 15 }]',
    // the test sends at most 500 users: no harm is judged once each arm has 40 of their feedback, and
    // shown with a margin wide enough for so few (the default 0.05 takes about 2,000 per arm)
    '  minimumPerArm: 40',
    '  margin: 0.3',
    '  holdRecordMs: 0',
    '',
  ].join('\n');

describe('the closed loop: reviewed corrections to a promoted soft prompt', () => {
  it(
    'triggers on corrections, re-tunes, gates, canaries and promotes; a failing gate promotes nothing',
    { timeout: 600_000 },
    async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'promptune-closed-loop-'));
      const train = writeGenderTask(cwd, 48);
      run(cwd, 'registry', 'push', '--task', 'gender.yaml', '--label', 'production', '--admin');
      const key = (name: string, scopes: string) =>
        run(cwd, 'keys', 'create', '--name', name, '--scopes', scopes).trim();
      const client = key('app', 'run');
      const reviewer = key('alice', 'review');
      const admin = key('ops', 'admin');
      writeFileSync(
        join(cwd, 'queue.yaml'),
        'reviewsPerItem: 1\nreviewers: [alice]\nrules:\n  - kind: sample\n    rate: 1\n',
      );
      run(cwd, 'review', 'create', 'gender-review', '--task', 'gender', '--config', 'queue.yaml');
      writeFileSync(join(cwd, 'loop.yaml'), policy(['--epochs', '4']));

      const service = await startService(cwd);
      const { url, call } = service;
      const registry = await Registry.open({ path: join(cwd, '.promptune', 'registry.sqlite') });
      try {
        const ask = (input: string, user: string) =>
          call(client, 'POST', '/v1/chat/completions', {
            model: 'gender@production',
            user,
            messages: [{ role: 'user', content: input }],
          });

        // served traffic, queued and reviewed: the wrong answers corrected to their labels
        const traffic = train.slice(300, 330);
        const truth = new Map(traffic.map((row) => [row.input, row.target]));
        for (const [index, row] of traffic.entries()) await ask(row.input, `reviewed-${index}`);
        const queued = await feedQueue(cwd, 'gender-review', traffic.length);
        expect(queued).toBe(traffic.length);
        let corrected = 0;
        for (;;) {
          const next = (await call(reviewer, 'POST', '/v1/review/queues/gender-review/next')).body;
          if (next.item === null) break;
          const { id, input, output } = next.item as { id: string; input: { input: string }; output: string };
          const target = truth.get(input.input)!;
          const right = output.startsWith(target);
          if (!right) corrected++;
          await call(
            reviewer,
            'POST',
            `/v1/review/items/${id}/decision`,
            right ? { decision: 'approve' } : { decision: 'correct', correction: target },
          );
        }
        expect(corrected).toBeGreaterThanOrEqual(4);

        // bad input: coded errors before anything runs
        for (const [args, code] of [
          [['nowhere.yaml'], 'LOOP_POLICY_NOT_FOUND'],
          [['loop.yaml', '--watch', 'soon'], 'DURATION_INVALID'],
          [['loop.yaml', '--dry-run', '--watch', '1m'], 'CLI_INVALID_OPTION'],
          // production is protected: its canary needs the admin scope, refused before any step
          [['loop.yaml'], 'REGISTRY_PROTECTED_LABEL'],
        ] as const) {
          const refused = spawnSync('node', [bin, 'loop', ...args], { cwd, encoding: 'utf8' });
          expect(refused.stderr).toContain(`code: ${code}`);
        }
        // the dry run sees the trigger and writes nothing
        const dry = run(cwd, 'loop', 'loop.yaml', '--dry-run');
        expect(dry).toContain(`${traffic.length} new reviewed rows in queue gender-review (threshold 20)`);
        expect(dry).toContain('write dataset version 2 of gender');
        const dryStderr = spawnSync('node', [bin, 'loop', 'loop.yaml', '--dry-run'], {
          cwd,
          encoding: 'utf8',
        });
        expect(dryStderr.stderr).toContain(
          'warning: the canary on the protected label gender@production needs the admin scope: run it with --admin',
        );
        expect(await registry.datasetVersions.list('gender')).toHaveLength(1);
        expect((await registry.runs.list({ kind: 'loop' })).data).toHaveLength(0);

        // the iteration: it runs until its canary ends; scripted users answer while it is on
        const first = loop(cwd, 'loop.yaml', '--admin', '--look-every', '1s');
        let experiment: Body | undefined;
        let sent = 0;
        const arms = { control: 0, treatment: 0 };
        const users = train.slice(340, 840);
        let finished = false;
        void first.ended.then(() => (finished = true));
        while (!finished) {
          if (!experiment) {
            const listed = (await call(admin, 'GET', '/v1/experiments?status=running')).body;
            experiment = listed.data?.[0];
            if (!experiment) {
              await new Promise((resolve) => setTimeout(resolve, 500));
              continue;
            }
            // one iteration at a time: a second loop of the task is refused while this one is live
            const second = spawnSync('node', [bin, 'loop', 'loop.yaml', '--dry-run'], {
              cwd,
              encoding: 'utf8',
            });
            expect(second.status).not.toBe(0);
            expect(second.stderr).toContain('code: LOOP_RUNNING');
          }
          if (sent >= users.length) break;
          const row = users[sent];
          const answer = await ask(row.input, `canary-${sent}`);
          sent++;
          const arm = answer.headers.get('promptune-experiment') ?? '';
          if (arm.endsWith('treatment')) arms.treatment++;
          else arms.control++;
          await call(client, 'POST', '/v1/feedback', {
            id: answer.body.id,
            name: 'correct',
            value: String(answer.body.choices[0].message.content).startsWith(row.target),
          });
        }
        const status = await first.ended;
        const output = first.output();
        expect(status, output.stderr).toBe(0);
        expect(output.stdout).toMatch(/loop run \S+: promoted: /);
        expect(experiment).toBeDefined();
        expect(arms.treatment).toBeGreaterThanOrEqual(15);

        // production is the soft version the loop trained, moved by the experiment
        const loopRun = (await registry.runs.list({ kind: 'loop' })).data[0];
        expect(loopRun.summary).toMatchObject({ outcome: 'promoted', dataset: 2, gate: true });
        const steps = (await registry.runs.allEntries(loopRun.id, 'step')).map((entry) => entry.data);
        expect(steps.map((step) => step.step)).toEqual([
          'trigger',
          'dataset',
          'retune',
          'gate',
          'canary',
          'outcome',
        ]);
        const candidate = steps[2].candidate as { id: string; number: number };
        const production = await registry.resolveVersion('gender', 'production');
        expect(production.id).toBe(candidate.id);
        expect(production.kind).toBe('soft');
        const history = await registry.labelHistory('gender', 'production');
        const move = history.find((event) => event.to === candidate.id && event.from !== event.to);
        expect(move).toMatchObject({ actor: `experiment:${experiment!.id}` });
        // lineage: the training read version 2's files, and each step's run names the loop
        const training = await registry.runs.get(String(steps[2].run));
        const version2 = await registry.datasetVersions.get('gender', 2);
        expect(version2.source).toBe('review:gender-review');
        expect(training.datasets.sort()).toEqual(Object.values(version2.splits).sort());
        expect(training.config.loop).toBe(loopRun.id);
        // the re-tune ran as a job (one attempt: the loop decides what runs again), listed with its run
        const job = await registry.jobs.get(String(training.config.job));
        expect(job).toMatchObject({ kind: 'soft-train', status: 'completed', maxAttempts: 1 });
        expect(job.result?.runs).toEqual([training.id]);
        expect(job.args.slice(0, 2)).toEqual(['soft', 'train']);
        const gate = steps[3] as Body;
        expect(gate.passed).toBe(true);
        expect(gate.scores.candidate).toBeGreaterThan(gate.scores.production);
        const gateRun = await registry.runs.get(gate.runs.candidate);
        expect(gateRun).toMatchObject({ kind: 'evaluation', version: candidate.id, status: 'completed' });
        expect((await registry.experiments.get(experiment!.id)).status).toBe('promoted');

        // the dashboard tells the iteration's story, from the trigger to the promotion
        if (browserAvailable()) {
          const browser = await launchBrowser();
          try {
            const page = await (
              await browser.newContext({ viewport: { width: 1280, height: 1000 } })
            ).newPage();
            await page.goto(`${url}/#key=${admin}`);
            await page.getByRole('link', { name: 'Tasks' }).waitFor();
            await page.goto(`${url}/#/runs/${loopRun.id}`);
            const timeline = page.getByTestId('loop-steps');
            await timeline.locator(':scope > li').nth(5).waitFor();
            expect(await timeline.locator(':scope > li').nth(4).innerText()).toMatch(/ended promoted/);
            expect(await page.getByTestId('loop-outcome').innerText()).toMatch(/^promoted /);
            await screenshot(page, 'loop-run-promoted');
            // the monitor's drift is of what production serves now, not of the busier version it replaced
            await page.goto(`${url}/#/monitor?task=gender`);
            const drift = page.getByTestId('drift').getByText(/requests against/);
            await drift.waitFor();
            expect(await drift.innerText()).toMatch(
              new RegExp(`^gender@${candidate.number} \\(what production serves\\): `),
            );
            // why production changed, from the task: the label's history names the experiment, which
            // names the loop run that started it
            await page.goto(`${url}/#/tasks/gender`);
            await page.getByRole('button', { name: 'production', exact: true }).click();
            await page
              .getByTestId('label-history')
              .getByRole('link', { name: `experiment:${experiment!.id}` })
              .first()
              .click();
            // an ended experiment's tests say what they showed by the end, not "not yet"; latency in ms
            const tests = page.getByTestId('tests');
            await tests.getByText('correct (primary)').waitFor();
            expect(await tests.innerText()).not.toContain('not yet');
            expect(await page.getByTestId('arms').locator('tbody tr td').last().innerText()).toMatch(
              /^\d+ ms$/,
            );
            await screenshot(page, 'experiment-promoted');
            await page.getByRole('link', { name: 'its run' }).click();
            await page.getByTestId('loop-outcome').getByText('promoted').waitFor();
            expect(page.url()).toContain(loopRun.id);
          } finally {
            await browser.close();
          }
        }

        // the second iteration, forced, trains nothing useful: the gate refuses it and nothing moves
        writeFileSync(join(cwd, 'loop-zero.yaml'), policy(['--steps', '1', '--lr', '0.000001']));
        expect(run(cwd, 'loop', 'loop-zero.yaml', '--dry-run')).toContain('nothing would happen');
        const second = loop(cwd, 'loop-zero.yaml', '--admin', '--force', '--look-every', '1s');
        expect(await second.ended, second.output().stderr).toBe(0);
        expect(second.output().stdout).toMatch(/loop run \S+: gate-failed: /);
        const refused = (await registry.runs.list({ kind: 'loop' })).data[0];
        expect(refused.id).not.toBe(loopRun.id);
        expect(refused.summary).toMatchObject({ outcome: 'gate-failed', gate: false, dataset: 2 });
        expect((await registry.resolveVersion('gender', 'production')).id).toBe(candidate.id);
        expect(await registry.experiments.list({ task: 'gender' })).toHaveLength(1);
        // the versions table marks the refused candidate, and the promoted one, by their iterations' outcomes
        const versionsTable = run(cwd, 'registry', 'ls', 'gender').split('\n');
        const row = (id: string) => versionsTable.find((line) => line.includes(id.slice(0, 12))) ?? '';
        expect(row(candidate.id)).toMatch(/\bpromoted\b/);
        expect(row(String(refused.version))).toMatch(/\bgate-failed\b/);

        // a third, forced with the first policy and no new data: it would train like production (the soft
        // prompt) on dataset version 2 what the first iteration trained there, so it reuses that candidate
        const reuse = run(cwd, 'loop', 'loop.yaml', '--dry-run', '--force');
        expect(reuse).toContain(
          `2. re-tune: none: iteration ${loopRun.id} re-tuned this dataset version with the same settings into version ${candidate.number}, which is reused (gender@production serves it: the iteration ends unchanged)`,
        );
        const third = loop(cwd, 'loop.yaml', '--admin', '--force');
        expect(await third.ended, third.output().stderr).toBe(0);
        expect(third.output().stderr).toContain('reused, not trained again');
        const unchanged = (await registry.runs.list({ kind: 'loop' })).data[0];
        expect(unchanged.summary).toMatchObject({ outcome: 'unchanged', dataset: 2 });
        expect(String(unchanged.summary?.reason)).toMatch(/^no new data: iteration /);
        expect((await registry.runs.list({ kind: 'soft-training' })).data).toHaveLength(2);
        process.stdout.write(
          `closed loop: ${corrected} of ${traffic.length} served answers corrected; gate ${gate.scores.production.toFixed(3)} → ${gate.scores.candidate.toFixed(3)}; ` +
            `canary ${sent} requests (${arms.treatment} to the candidate) until promoted; forced iteration: ${String(refused.summary?.reason)}\n`,
        );
      } finally {
        await registry.close();
        await service.stop();
      }
    },
  );
});
