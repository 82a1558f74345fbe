// The dashboard's flows end to end, in Debian's Chromium against `promptune serve` on stories260K: a run
// started from the CLI followed while it runs, three items reviewed with the keyboard by a review-only
// key (one cut off at its token limit, which the page says; the queue's agreement and dataset), a queued
// job run inside the service, an experiment on the real model, a closed-loop iteration's story, and
// `promptune ui` on a fresh registry. The registry holds only two hard versions of `name`; the pages over
// richer records are in web-pages.test.ts.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../src/registry/index.js';
import { browserAvailable, screenshot } from './browser.js';
import {
  bin,
  cli,
  closeDashboard,
  editedSpec,
  inputs,
  model,
  registryWithKeys,
  servedDashboard,
  shared,
  signIn,
  spec,
  start,
  stop,
} from './dashboard.js';

describe.runIf(browserAvailable())('the dashboard’s flows in a browser', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'promptune-web-flows-'));
  let dashboard: Awaited<ReturnType<typeof servedDashboard>>;
  let url: string;
  let browser: Browser;
  let adminKey: string;
  let readKey: string;

  beforeAll(async () => {
    ({ adminKey, readKey } = registryWithKeys(cwd));
    // a second version, for the experiment's treatment
    writeFileSync(
      join(cwd, 'name-who.yaml'),
      editedSpec('What is the name of the main character?', 'Who is this story about?'),
    );
    cli(cwd, 'registry', 'push', '--task', join(cwd, 'name-who.yaml'), '--message', 'asks who it is about');
    dashboard = await servedDashboard(cwd);
    ({ url, browser } = dashboard);
  }, 120_000);

  afterAll(async () => {
    expect(await closeDashboard(dashboard ?? {})).toBe(0);
  });

  const signedIn = (key: string, route = '') => signIn(browser, url, key, route);

  it('shows a run started from the CLI while it runs, with its progress', async () => {
    const page = await signedIn(readKey, 'runs?status=running');
    await page.getByText('No runs match').waitFor(); // filtered to running ones: none yet
    const child = spawn(
      process.execPath,
      [
        bin,
        'eval',
        '--task',
        spec,
        '--model',
        model,
        '--split',
        'test',
        '--repeats',
        '4',
        '--no-cache',
        '--push',
      ],
      { cwd, stdio: 'ignore' },
    );
    try {
      const row = page.getByTestId('runs').locator('tbody tr').first();
      await row.waitFor({ timeout: 30_000 });
      expect(await row.locator('.status').innerText()).toBe('running');
      await expect
        .poll(async () => await row.locator('.progress em').innerText(), { timeout: 30_000 })
        .toMatch(/^[1-9]\d*\/\d+$/);
      await screenshot(page, 'runs-live');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('reviews three items with the keyboard only, as a reviewer who sees only their own queues', async () => {
    const reviewKey = cli(cwd, 'keys', 'create', '--scopes', 'review', '--name', 'e2e-reviewer').trim();
    const as = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
    const send = async (key: string, path: string, body: unknown, status = 201) => {
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: as(key),
        body: JSON.stringify(body),
      });
      const text = await response.text();
      expect(response.status, text).toBe(status);
      return JSON.parse(text) as Record<string, unknown>;
    };
    // two reviews per item: the reviewer's, then the admin's, for the agreement view
    await send(adminKey, '/v1/review/queues', {
      name: 'names',
      task: 'name',
      reviewers: ['e2e-reviewer', 'e2e-admin'],
      reviewsPerItem: 2,
      rubric: [
        { name: 'fluency', kind: 'numeric', minimum: 1, maximum: 5 },
        { name: 'grounded', kind: 'boolean' },
      ],
    });
    await send(adminKey, '/v1/review/queues', {
      name: 'elsewhere',
      task: 'name',
      reviewers: ['someone-else'],
    });
    const rows = readFileSync(join(shared, 'datasets', 'name', 'dev.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .slice(0, 3)
      .map((line) => JSON.parse(line) as { input: string; target: string });
    const { labels } = (await (await fetch(`${url}/v1/tasks/name`, { headers: as(adminKey) })).json()) as {
      labels: { label: string; version: string }[];
    };
    const staging = labels.find((label) => label.label === 'staging')!.version;
    // a right answer, a wrong name and no name at all (the model stopped at its token limit)
    const outputs = [rows[0].target, ' Lily', ' Once upon'];
    await send(adminKey, '/v1/review/queues/names/items', {
      items: rows.map((row, index) => ({
        input: { input: row.input },
        output: outputs[index],
        context: {
          version: staging,
          label: 'staging',
          checks: [{ validator: 'max-length', passed: true }],
          finishReason: index === 2 ? 'length' : 'stop',
        },
      })),
    });

    // a review-only key lands on its queues, sees no page it may not read, and not the other queue
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${url}/#key=${reviewKey}`);
    const queues = page.getByTestId('review-queues');
    await queues.getByRole('link', { name: 'names', exact: true }).waitFor();
    expect(await queues.locator('tbody tr').count()).toBe(1);
    expect(await page.getByText('elsewhere').count()).toBe(0);
    expect(await page.locator('nav.side a').allInnerTexts()).toEqual(['promptune', 'Review']);
    await screenshot(page, 'review-queues');

    await page.goto(`${url}/#/review/names`);
    const item = page.getByTestId('review-item');
    // how long the item stays this reviewer's
    await item
      .getByTestId('reservation')
      .getByText(/^reserved for you until \d/)
      .waitFor();
    const input = page.getByTestId('review-input');
    await input.getByText(rows[0].input.slice(0, 40)).waitFor();
    expect(await page.locator('.key-legend').innerText()).toMatch(/a\s+approve[\s\S]*r\s+reject/);
    const first = await item.getAttribute('data-item');
    expect(await page.getByTestId('cut-off').count()).toBe(0);
    // a text task's approval writes the whole answer: the page says so before the key is pressed
    expect(await page.getByTestId('approve-writes').innerText()).toMatch(/^Approve writes this whole text/);
    await page.getByRole('group', { name: 'fluency' }).waitFor();
    await page.keyboard.press('4'); // fluency 4
    await expect
      .poll(() => page.getByRole('group', { name: 'fluency' }).locator('[aria-pressed="true"]').innerText())
      .toBe('4');
    await page.keyboard.press('a');

    // the next item at once; the approved one is not shown beside it as a similar past decision while
    // it waits for its second review (reviewers decide blind)
    await input.getByText(rows[1].input.slice(0, 40)).waitFor();
    expect(await item.getAttribute('data-item')).not.toBe(first);
    const similar = page.getByTestId('similar-decisions');
    await similar.getByText(/^None yet: no fully reviewed item/).waitFor();
    expect(await similar.innerText()).not.toContain('approve');
    await page.getByText('1 decided this session').waitFor();
    await page.getByTestId('review-version').getByText('template').waitFor();
    await screenshot(page, 'review-item');
    await page.keyboard.press('2');
    await page.keyboard.press('c');
    const editor = page.getByLabel('correction');
    await editor.waitFor();
    expect(await editor.inputValue()).toBe(' Lily'); // prefilled with the output, no "c" typed into it
    // an empty correction: the service refuses it, the page says why, and the editor stays open
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Control+Enter');
    await page.getByRole('alert').getByText('REVIEW_INVALID').waitFor();
    await page.keyboard.type('Tom');
    await screenshot(page, 'review-correction');
    // a reload mid-edit hands the same reserved item back with the correction and the answers entered
    const editing = await item.getAttribute('data-item');
    await page.reload();
    await input.getByText(rows[1].input.slice(0, 40)).waitFor();
    expect(await item.getAttribute('data-item')).toBe(editing);
    expect(await editor.inputValue()).toBe('Tom');
    expect(
      await page.getByRole('group', { name: 'fluency' }).locator('[aria-pressed="true"]').innerText(),
    ).toBe('2');
    await page.keyboard.press('Control+Enter');

    await input.getByText(rows[2].input.slice(0, 40)).waitFor();
    // an answer cut off at the token limit: its approval would not be written as data, and the page says so
    expect(await page.getByTestId('cut-off').innerText()).toMatch(
      /^cut off at the token limit: an approval is not written/,
    );
    await screenshot(page, 'review-cut-off');
    await page.keyboard.press('1');
    await page.keyboard.press('r');
    await page.getByText('Nothing left to review').waitFor();
    // the reload began a new count: the two decided since
    expect(await page.getByTestId('session-count').innerText()).toBe('2 decided this session');
    await expect
      .poll(() => page.getByTestId('queue-counts').first().innerText())
      .toBe('3 items · 0 fully reviewed · 3 decided by you');
    await screenshot(page, 'review-empty');

    const { data: decisions } = (await (
      await fetch(`${url}/v1/review/queues/names/decisions`, { headers: as(adminKey) })
    ).json()) as { data: { reviewer: string; decision: string; correction?: unknown; rubric: object }[] };
    expect(
      decisions.map(({ reviewer, decision, correction, rubric }) => ({
        reviewer,
        decision,
        correction,
        rubric,
      })),
    ).toEqual([
      { reviewer: 'e2e-reviewer', decision: 'approve', correction: undefined, rubric: { fluency: 4 } },
      { reviewer: 'e2e-reviewer', decision: 'correct', correction: 'Tom', rubric: { fluency: 2 } },
      { reviewer: 'e2e-reviewer', decision: 'reject', correction: undefined, rubric: { fluency: 1 } },
    ]);
    // the reviewer cannot reach the other queue by its address either
    const hidden = await fetch(`${url}/v1/review/queues/elsewhere`, { headers: as(reviewKey) });
    expect(hidden.status).toBe(404);

    // the admin's second review of each item (one disagreement), then the agreement view
    for (const [decision, fluency] of [
      ['approve', 4],
      ['correct', 3],
      ['approve', 2],
    ] as const) {
      const next = (await send(adminKey, '/v1/review/queues/names/next', {}, 200)) as {
        item: { id: string };
      };
      await send(adminKey, `/v1/review/items/${next.item.id}/decision`, {
        decision,
        ...(decision === 'correct' && { correction: 'Tom' }),
        rubric: { fluency },
      });
    }
    await page.goto(`${url}/#/review/names/agreement`);
    const agreement = page.getByTestId('agreement');
    await agreement.locator('tbody tr').first().waitFor();
    // first the answer each decision names, then the decision's kind, then the rubric
    expect(await agreement.locator('tbody tr').first().innerText()).toMatch(/^answer[\s\S]*Cohen’s κ/);
    const decisionRow = await agreement.locator('tbody tr').nth(1).innerText();
    // kappa of (approve, approve), (correct, correct), (reject, approve): (2/3 - 1/3) / (1 - 1/3)
    expect(decisionRow).toMatch(/^decision[\s\S]*Cohen’s κ\s+0\.500\s[\s\S]*67%/);
    expect(await agreement.locator('tbody tr').nth(2).innerText()).toMatch(/^fluency[\s\S]*Krippendorff’s α/);
    const reviewers = await page.getByTestId('reviewer-progress').locator('tbody tr').allInnerTexts();
    expect(reviewers.map((row) => row.split(/\s+/).join(' '))).toEqual([
      'e2e-admin 2 1 0 0 3',
      'e2e-reviewer 1 1 1 0 3',
    ]);
    await screenshot(page, 'review-agreement');

    // a new story reviewed by both, then the corrections as dataset version 2: the story is added, the
    // dev stories are not (each is in the dataset already, says otherwise, or the reviewers disagreed)
    const [story] = (
      (await send(adminKey, '/v1/review/queues/names/items', {
        items: [
          { input: { input: 'Once upon a time, a small boy named Zed found a red kite.' }, output: ' Zed' },
        ],
      })) as { data: { id: string }[] }
    ).data;
    await send(adminKey, `/v1/review/items/${story.id}/decision`, { decision: 'approve' });
    // a reviewer decides what it is handed
    expect((await send(reviewKey, '/v1/review/queues/names/next', {}, 200)).item).toMatchObject({
      id: story.id,
    });
    await send(reviewKey, `/v1/review/items/${story.id}/decision`, { decision: 'approve' });
    // the reviewer's agreement page has no admin actions; the admin's says what the corrections would
    // add, writes them as dataset version 2 at a click, and says the queue has no feeding rules
    expect(await page.getByTestId('queue-admin').count()).toBe(0);
    const adminAgreement = await signedIn(adminKey, 'review/names/agreement');
    const queueAdmin = adminAgreement.getByTestId('queue-admin');
    const pending = queueAdmin.getByTestId('corrections-pending');
    await pending.waitFor();
    expect(await pending.innerText()).toMatch(
      /^Writing the agreed corrections now adds 1 to (train|dev) to task name’s dataset version 1; 1 it already has; 2 held back \(conflict 1, disagreement 1\)\. The test split stays as curated\.$/,
    );
    expect(await queueAdmin.innerText()).toContain('This queue has no feeding rules');
    await queueAdmin.getByRole('button', { name: 'Write dataset version 2' }).click();
    await queueAdmin
      .getByTestId('corrections-written')
      .getByText(/^wrote dataset version 2: 1 to/)
      .waitFor();
    // written, nothing is left to add
    await queueAdmin.getByText(/adds no new rows to task name’s dataset version 2/).waitFor();
    expect(await queueAdmin.getByRole('button', { name: 'Write dataset version 3' }).isDisabled()).toBe(true);
    await screenshot(adminAgreement, 'review-queue-admin');
    // an admin sees every queue; an empty one says how items get in
    const adminQueues = await signedIn(adminKey, 'review');
    await adminQueues
      .getByTestId('review-queues')
      .getByText('no items yet: promptune review feed elsewhere')
      .waitFor();
    await screenshot(adminQueues, 'review-queues-admin');
    const tasks = await signedIn(adminKey, 'tasks/name');
    const row = tasks.getByRole('row', { name: /review names/ });
    await row.waitFor();
    expect(await row.innerText()).toMatch(/^2 ← 1[\s\S]*added 1 to (train|dev)[\s\S]*held back/);
    await tasks.getByRole('heading', { name: 'Dataset versions' }).scrollIntoViewIfNeeded();
    await screenshot(tasks, 'task-dataset-versions');
  });

  it('runs a queued job inside the service and follows its output on the jobs page', async () => {
    const submitted = cli(
      cwd,
      ...['job', 'submit', '--json', '--', 'eval', '--task', spec, '--model', model, '--split', 'dev'],
      ...['--limit', '6', '--push'],
    );
    const { id } = JSON.parse(submitted) as { id: string };
    const page = await signedIn(adminKey, 'jobs');
    await page.getByRole('link', { name: id }).click();
    // the service runs the registry queue itself (serve --jobs 1): the job completes without a worker
    await page.getByRole('heading', { name: id }).getByText('completed').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('job-log').innerText()).toMatch(/name dev on local:.*: score \d\.\d{3}/);
    // the run the command recorded, linked from the job with its status
    await page.getByTestId('job-runs').getByRole('link', { name: /^run-/ }).waitFor();
    await page.getByTestId('job-runs').getByText('completed').waitFor();
    await screenshot(page, 'job');
    await page.goto(`${url}/#/jobs`);
    await page.getByTestId('jobs').getByText('completed').first().waitFor();
    await screenshot(page, 'jobs');
    // a job on BullMQ whose worker went quiet 5 minutes ago: its run is shown from the job's record
    // (noted as the command started it, before its output names it), and its status says how long
    // no word came
    const job = (await (
      await fetch(`${url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as { result: { runs: string[] } };
    const registry = await Registry.open({ path: join(cwd, '.promptune', 'registry.sqlite') });
    try {
      const quiet = await registry.jobs.submit({
        kind: 'eval',
        args: ['eval', '--task', spec, '--model', model, '--push'],
        cwd,
        queue: 'redis',
        maxAttempts: 3,
        actor: 'e2e',
      });
      await registry.jobs.start(quiet.id, 'gone-worker', 600_000, Date.now() - 300_000);
      await registry.jobs.noteRun(quiet.id, job.result.runs[0]);
      await page.goto(`${url}/#/jobs/${quiet.id}`);
      await page.getByTestId('job-runs').getByRole('link', { name: job.result.runs[0] }).waitFor();
      expect(await page.getByRole('heading', { name: quiet.id }).innerText()).toMatch(
        /running\s*last heard 5 min ago/,
      );
      await screenshot(page, 'job-quiet');
      await page.goto(`${url}/#/jobs`);
      await page
        .getByTestId('jobs')
        .getByText(/last heard 5 min ago/)
        .waitFor();
    } finally {
      await registry.close();
    }
  });

  it('shows an experiment on the real model: its arms, the always-valid tests, the test over time and its steps', async () => {
    const call = async (path: string, body: unknown) => {
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      expect(response.status, text).toBeLessThan(300);
      return JSON.parse(text) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a response read loosely
    };
    // another version (hard or soft) against the one staging serves now
    const read = async (path: string) =>
      (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${adminKey}` } })).json();
    const versions = (await read('/v1/tasks/name/versions')) as {
      data: { id: string; number: number; kind: string }[];
    };
    const { labels } = (await read('/v1/tasks/name')) as { labels: { label: string; version: string }[] };
    const staged = labels.find((label) => label.label === 'staging')!.version;
    const treatment = versions.data.find((version) => version.id !== staged)!.number;
    const experiment = await call('/v1/experiments', {
      task: 'name',
      label: 'staging',
      treatment,
      primary: 'helpful',
      promoteWhen: 'no-harm',
      margin: 0.2,
      schedule: [{ weight: 0.5, minimumDurationMs: 0, minimumRequests: 1000 }],
      minimumPerArm: 5,
      holdRecordMs: 0,
    });
    for (const [index, input] of inputs.slice(0, 36).entries()) {
      const answer = await call('/v1/chat/completions', {
        model: 'name@staging',
        user: `reader-${index}`,
        messages: [{ role: 'user', content: input }],
        max_tokens: 4,
      });
      await call('/v1/feedback', { id: answer.id, name: 'helpful', value: index % 3 !== 0 });
      if (index % 6 === 5) {
        await new Promise((resolve) => setTimeout(resolve, 300)); // the traces are written in the background
        expect((await call(`/v1/experiments/${experiment.id}/look`, {})).action).toBe('hold');
      }
    }
    const page = await signedIn(adminKey, 'experiments');
    await page.getByRole('link', { name: experiment.id }).click();
    const arms = page.getByTestId('arms');
    await arms.waitFor();
    const requests = (await arms.locator('tbody tr td:nth-child(4)').allInnerTexts()).map(Number);
    expect(requests.reduce((sum, count) => sum + count, 0)).toBe(36);
    expect(requests.every((count) => count > 0)).toBe(true);
    await page.getByTestId('tests').getByText('helpful (primary)').waitFor();
    await page.locator('[data-chart^="Always-valid p-values"] canvas').waitFor();
    await page.locator('[data-chart^="Primary metric"] canvas').waitFor();
    // a no-harm experiment draws the line its lower bound must clear, and says the margin above
    await page.locator('[data-chart^="Primary metric"]').getByText('no-harm margin (−0.2)').waitFor();
    await page.getByText('promote when shown at most 0.2 worse by the schedule’s end').waitFor();
    expect(await page.getByTestId('steps').locator('tbody tr').first().innerText()).toMatch(/start\s+50\.0%/);
    // what a look would decide now, and how far the step is
    await page
      .getByTestId('experiment-reason')
      .getByText(
        /^Now: hold — step 1 \(50%\) has not met its minimums: \d+ s of 0 s, \d+ of 1000 treatment requests$/,
      )
      .waitFor();
    await screenshot(page, 'experiment');
    // the task page says the label is split, and by what
    await page.goto(`${url}/#/tasks/name`);
    await page
      .getByTestId('running-experiment')
      .getByText(/% of its traffic goes to v\d+\. Moving or rolling back staging stops it\./)
      .waitFor();
    await screenshot(page, 'task-running-experiment');
    await page.goto(`${url}/#/experiments/${experiment.id}`);
    await page.getByRole('button', { name: 'Stop experiment' }).waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Stop experiment' }).click();
    await page.getByTestId('experiment-reason').getByText('stopped from the dashboard').waitFor();
    // the arms as they stood when it stopped, said so
    await page.getByRole('heading', { name: /^Arms when it ended \(as of / }).waitFor();
    await screenshot(page, 'experiment-stopped');
    await page.goto(`${url}/#/experiments`);
    await page.getByTestId('experiments').getByText('stopped', { exact: true }).waitFor();
    await screenshot(page, 'experiments');
  });

  it('tells a closed-loop iteration’s story: why it started, the data, the re-tune, the gate that refused it', async () => {
    // a scheduled iteration on the name task whose gate asks for more than a short training gives
    writeFileSync(
      join(cwd, 'loop.yaml'),
      [
        'task: name',
        `spec: ${spec}`,
        `model: ${model}`,
        'label: staging',
        'trigger: { every: 1d }',
        "retune: { method: soft, args: ['--steps', '20'] }",
        'gate: { split: test, minimumGain: 0.9 }',
        'canary: { primary: helpful }',
        '',
      ].join('\n'),
    );
    expect(cli(cwd, 'loop', 'loop.yaml', '--admin')).toMatch(/: gate-failed: the gate refused the candidate/);
    const page = await signedIn(readKey, 'runs?kind=loop');
    await page.getByTestId('runs').locator('tbody tr a').first().click();
    const steps = page.getByTestId('loop-steps');
    await steps.locator(':scope > li').nth(4).waitFor();
    expect(await steps.locator('h3').allInnerTexts()).toEqual([
      'Trigger',
      'Dataset',
      'Re-tune',
      'Gate',
      'Outcome',
    ]);
    await steps.getByText('no iteration has run yet (scheduled)').waitFor();
    // a scheduled iteration writes no dataset version: it says it trains on the latest as it was, not
    // what that version once added
    expect(await steps.locator(':scope > li').nth(1).innerText()).toMatch(
      /^Dataset\s+dataset version \d+ \(.*\): the latest version as it was, with no new corrections to write$/,
    );
    expect(await steps.locator('.criteria .unmet').innerText()).toMatch(
      /^✗ test score .* \(at least \+0\.900 needed\)/,
    );
    await page.getByTestId('loop-outcome').getByText('gate-failed').waitFor();
    // the gate and the outcome went against the candidate: marked so, not as the steps that went well
    expect(
      await steps.locator(':scope > li').evaluateAll((items) => items.map((item) => item.className)),
    ).toEqual(['done', 'done', 'done', 'failed', 'failed']);
    await screenshot(page, 'loop-run');
    // the gate's evaluation of the candidate is a run of its own, of the version the re-tune registered
    await steps.getByRole('link', { name: 'the candidate’s evaluation' }).click();
    await page.waitForURL(/gate-candidate/);
    await page.locator('h1', { hasText: 'evaluation' }).waitFor();
    // the task's versions table tags the refused candidate with its iteration, a link to its run
    await page.goto(`${url}/#/tasks/name`);
    const tag = page.getByTestId('versions').getByTestId('loop-outcome-tag');
    await tag.getByText('loop: gate-failed').waitFor();
    expect(await tag.getAttribute('class')).toContain('tag-warn');
    await screenshot(page, 'task-loop-outcome');
    await tag.click();
    await page.getByTestId('loop-outcome').getByText('gate-failed').waitFor();
    const first = page.url().split('/runs/')[1];
    // forced again with no new data: the candidate is the first iteration's, not trained again
    expect(cli(cwd, 'loop', 'loop.yaml', '--admin', '--force')).toMatch(/: gate-failed: /);
    await page.goto(`${url}/#/runs?kind=loop`);
    await page.getByTestId('runs').locator('tbody tr a').first().click();
    await page.getByTestId('loop-outcome').getByText('gate-failed').waitFor();
    expect(page.url()).not.toContain(first);
    const retune = page.getByTestId('loop-steps').locator(':scope > li').nth(2);
    expect(await retune.innerText()).toMatch(
      /^Re-tune\s+not trained again: version \d+, which an earlier iteration re-tuned from this dataset version with the same settings$/,
    );
    await screenshot(page, 'loop-run-reused');
    await retune.getByRole('link', { name: 'an earlier iteration' }).click();
    await page.waitForURL(new RegExp(first));
  });

  it('shows what to do next on a fresh registry under promptune ui, and revokes its session key when stopped', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'promptune-ui-'));
    const { child, match } = await start(
      fresh,
      ['ui', '--port', '0'],
      /dashboard on (http:\/\/\S+)\/#key=(\S+)/,
    );
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    await page.goto(`${match[1]}/#key=${match[2]}`);
    await page.getByText('The registry has no tasks yet').waitFor();
    expect(await page.getByText('npx promptune registry push').count()).toBeGreaterThan(0);
    expect(page.url()).not.toContain(match[2]); // the key leaves the address bar at once
    await screenshot(page, 'empty-registry');
    expect(await stop(child)).toBe(0);
    expect(cli(fresh, 'keys', 'ls')).toMatch(/ui-session-\S+ +read,run,admin +revoked/);
  });
});
