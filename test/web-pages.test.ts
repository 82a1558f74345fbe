// The dashboard's pages end to end, in Debian's Chromium against `promptune serve` on stories260K, with the
// registry written by the CLI as a user writes it: sign in, a version pushed from the CLI appearing, two
// versions diffed, a label moved by an admin key (a read key sees no move button and the API refuses it),
// an evaluation run filtered to failures, an optimization's trajectory, a training's curves, audits
// recorded from the CLI, monitoring charts from real traces, the playground, and a version this service
// cannot run. The flows (review, jobs, experiments, the loop, `promptune ui`) are in web-flows.test.ts.
// Every page is screenshotted into test-artifacts/screenshots.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, screenshot } from './browser.js';
import {
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
} from './dashboard.js';
import { repositoryRoot, stories } from './models.js';

describe.runIf(browserAvailable())('the dashboard’s pages in a browser', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'promptune-web-'));
  let dashboard: Awaited<ReturnType<typeof servedDashboard>>;
  let url: string;
  let browser: Browser;
  let adminKey: string;
  let readKey: string;

  beforeAll(async () => {
    ({ adminKey, readKey } = registryWithKeys(cwd));
    cli(cwd, 'eval', '--task', spec, '--model', model, '--split', 'dev', '--limit', '24', '--push');
    // a second evaluation of the same examples with another question, to compare with the first
    writeFileSync(
      join(cwd, 'name-who.yaml'),
      editedSpec('What is the name of the main character?', 'Who is this story about?'),
    );
    cli(
      cwd,
      'eval',
      '--task',
      join(cwd, 'name-who.yaml'),
      '--model',
      model,
      '--split',
      'dev',
      '--limit',
      '24',
      '--push',
    );
    cli(
      cwd,
      ...['optimize', '--task', spec, '--model', model, '--optimizer', 'bootstrap', '--max-calls', '60'],
      ...['--out', join(cwd, 'name.prompt.json'), '--push', '--dev-limit', '16'],
    );
    cli(
      cwd,
      ...['soft', 'train', '--model', stories.gguf, '--data', join(shared, 'datasets', 'name')],
      ...['--out', join(cwd, 'soft-name'), '--steps', '30', '--eval-every', '10', '--push'],
    );
    // audits: the hand-written gender prompt's bias, the name prompt's sensitivity, the soft prompt explained
    const gender = join(repositoryRoot, 'examples', 'gender.yaml');
    cli(cwd, 'audit', 'bias', '--task', gender, '--model', model, '--limit', '40', '--push');
    cli(
      cwd,
      ...['audit', 'sensitivity', '--task', spec, '--model', model, '--limit', '24', '--formats', '4'],
      ...['--noise', 'typos,lowercase', '--push'],
    );
    cli(
      cwd,
      ...['audit', 'explain', '--task', spec, '--model', model, '--adapter', join(cwd, 'soft-name')],
      ...['--limit', '24', '--saliency', '2', '--push'],
    );
    // two methods compared on a slice of the name task, recorded as a comparison run
    const slice = join(cwd, 'name-slice');
    mkdirSync(slice);
    for (const [split, count] of [
      ['train', 24],
      ['dev', 8],
      ['test', 16],
    ] as const)
      writeFileSync(
        join(slice, `${split}.jsonl`),
        readFileSync(join(shared, 'datasets', 'name', `${split}.jsonl`), 'utf8')
          .split('\n')
          .slice(0, count)
          .join('\n') + '\n',
      );
    cli(
      cwd,
      ...['compare-methods', '--model', stories.gguf, '--data', slice, '--methods', 'prompt-tuning,lora'],
      ...['--sizes', '8,all', '--epochs', '1', '--journal', join(cwd, 'journal.jsonl'), '--push'],
    );
    // alert rules: one the traffic below sets firing, one it leaves quiet
    writeFileSync(
      join(cwd, 'alerts.yaml'),
      [
        'interval: 1s',
        'rules:',
        '  - { name: name-busy, task: name, metric: requests, window: 1h, comparison: ">", threshold: 5 }',
        '  - { name: name-slow, task: name, metric: latency_p95, window: 1h, comparison: ">", threshold: 60000, severity: critical }',
        '',
      ].join('\n'),
    );
    dashboard = await servedDashboard(cwd, ['--alerts', join(cwd, 'alerts.yaml')]);
    ({ url, browser } = dashboard);
    // real traffic for the traces and monitor pages
    const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
    for (const [index, input] of inputs.slice(0, 24).entries()) {
      const response = await fetch(`${url}/v1/tasks/name/run`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ input }),
      });
      expect(response.status).toBe(200);
      // users' feedback on some answers, for the score chart
      if (index % 3 === 0) {
        const { id } = (await response.json()) as { id: string };
        const body = JSON.stringify({ id, name: 'helpful', value: index % 2 === 0 });
        expect((await fetch(`${url}/v1/feedback`, { method: 'POST', headers, body })).status).toBe(201);
      }
    }
  }, 300_000);

  afterAll(async () => {
    expect(await closeDashboard(dashboard ?? {})).toBe(0);
  });

  const signedIn = (key: string, route = '') => signIn(browser, url, key, route);

  it('signs in with a key typed into the form and lists the tasks', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    await page.goto(url);
    await screenshot(page, 'sign-in');
    await page.getByLabel('API key').fill('pt_000000000000_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('AUTH_', { exact: false }).waitFor();
    await page.getByLabel('API key').fill(readKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'name', exact: true }).waitFor();
    expect(await page.locator('.who').innerText()).toContain('e2e-reader');
    await screenshot(page, 'tasks');
    // the key is kept for the tab's session only
    expect(await page.evaluate(() => [sessionStorage.length, localStorage.length])).toEqual([1, 0]);
    // an address carrying another key does not switch keys unless the user says so
    await page.goto(`${url}/#key=${adminKey}`);
    await page.getByRole('heading', { name: 'Switch keys?' }).waitFor();
    expect(page.url()).not.toContain(adminKey);
    await screenshot(page, 'switch-keys');
    await page.getByRole('button', { name: 'Stay e2e-reader' }).click();
    await page.getByRole('link', { name: 'name', exact: true }).waitFor();
    expect(await page.locator('.who').innerText()).toContain('e2e-reader');
    await page.goto(`${url}/#key=${adminKey}`);
    await page.getByRole('button', { name: 'Sign in as e2e-admin' }).click();
    await page.getByRole('link', { name: 'name', exact: true }).waitFor();
    expect(await page.locator('.who').innerText()).toContain('e2e-admin');
  });

  it('shows a read key no label buttons, and the API refuses its move', async () => {
    const page = await signedIn(readKey, 'tasks/name');
    await page.getByTestId('versions').waitFor();
    await page.getByRole('heading', { name: 'Labels' }).waitFor();
    expect(await page.getByRole('button', { name: 'Move label' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Roll back' }).count()).toBe(0);
    const refused = await fetch(`${url}/v1/tasks/name/labels/staging`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${readKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: 1 }),
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('AUTH_SCOPE');
    await screenshot(page, 'task-read-only');
    // a stored dataset: its statistics, and its rows searched on the service
    await page.getByRole('link', { name: /train\.jsonl$/ }).click();
    await page.getByText('512 of 512 rows').waitFor();
    await page.getByPlaceholder('Search rows…').fill('Lily');
    await page
      .getByText(/^\d+ of 512 rows$/)
      .filter({ hasNotText: '512 of' })
      .waitFor();
    const shown = await page.locator('table.grid tbody tr').allInnerTexts();
    expect(shown.length).toBeGreaterThan(0);
    for (const row of shown) expect(row.toLowerCase()).toContain('lily');
    await screenshot(page, 'dataset');
  });

  it('shows a version pushed from the CLI, diffs two versions by word, and moves a label as admin', async () => {
    const page = await signedIn(adminKey, 'tasks/name');
    await page.getByRole('link', { name: 'v1', exact: true }).first().waitFor();
    // pushed while the page is open, by another process
    const edited = editedSpec(
      'What is the name of the main character?',
      'Who is the story about? Give the name.',
    );
    writeFileSync(join(cwd, 'name-v2.yaml'), edited);
    cli(
      cwd,
      'registry',
      'push',
      '--task',
      join(cwd, 'name-v2.yaml'),
      '--message',
      'asks who the story is about',
    );
    const newest = await versionNumbers(page);
    await page
      .getByRole('link', { name: `v${newest}`, exact: true })
      .first()
      .waitFor({ timeout: 20_000 });

    await page.getByLabel('diff from v1').check();
    await page.getByLabel(`diff to v${newest}`).check();
    const diff = page.getByTestId('diff');
    await diff.waitFor();
    expect(await diff.locator('ins').allInnerTexts()).toEqual(
      expect.arrayContaining([expect.stringContaining('story')]),
    );
    expect((await diff.locator('del').allInnerTexts()).join(' ')).toContain('main');
    await screenshot(page, 'task-diff');

    const form = page.getByTestId('move-label');
    await form.getByLabel('label').fill('staging');
    await form.getByLabel('version').selectOption(String(newest));
    await form.getByLabel('reason').fill('reviewed in the dashboard');
    await form.getByRole('button', { name: 'Move label' }).click();
    await page
      .getByRole('link', { name: `v${newest}`, exact: true })
      .nth(1)
      .waitFor();
    await page.getByRole('button', { name: 'staging' }).click();
    const history = page.getByTestId('label-history');
    await history.getByText('reviewed in the dashboard').waitFor();
    expect(await history.locator('tbody tr').count()).toBe(2);
    await screenshot(page, 'task-labels');
    const labels = (await (
      await fetch(`${url}/v1/tasks/name`, { headers: { authorization: `Bearer ${readKey}` } })
    ).json()) as { labels: { label: string; version: string }[] };
    const moved = (await (
      await fetch(`${url}/v1/tasks/name/versions/${newest}`, {
        headers: { authorization: `Bearer ${readKey}` },
      })
    ).json()) as { id: string };
    expect(labels.labels.find((label) => label.label === 'staging')!.version).toBe(moved.id);
    // a rollback takes the reason typed in the form, and the history keeps it after the move it undoes
    await form.getByLabel('reason').fill('answers got worse');
    await page
      .getByRole('row')
      .filter({ has: page.getByRole('button', { name: 'staging' }) })
      .getByRole('button', { name: 'Roll back' })
      .click();
    await history.getByText(/^rollback of move \d+: answers got worse$/).waitFor();
    expect(await history.locator('tbody tr').count()).toBe(3);
    await screenshot(page, 'task-label-rollback');
    // the reason went with that rollback: the field is empty, not sent again with the next move
    expect(await form.getByLabel('reason').inputValue()).toBe('');

    // a move the task's audit policy refuses: the form asks why to move it anyway, and the history keeps it
    writeFileSync(
      join(cwd, 'name-policy.yaml'),
      `${edited}\naudit:\n  policy: { labels: [canary], bias: { maxFlipRate: 0.05 } }\n`,
    );
    cli(cwd, 'registry', 'push', '--task', join(cwd, 'name-policy.yaml'));
    await form.getByLabel('label').fill('canary');
    await form.getByRole('button', { name: 'Move label' }).click();
    await page.getByText(/refused by the task's audit policy/).waitFor();
    // the override is offered for the move refused, not for another label
    await form.getByLabel('label').fill('canary-2');
    await form.getByRole('button', { name: 'Move label' }).waitFor();
    await form.getByLabel('label').fill('canary');
    await form.getByLabel('override the audit policy').fill('bias audit pending; canary only');
    await screenshot(page, 'task-label-override');
    await form.getByRole('button', { name: 'Override the policy and move' }).click();
    await page.getByRole('button', { name: 'canary' }).click();
    await history.getByText(/audit policy overridden by .*: bias audit pending; canary only/).waitFor();
    // the version's panel says what the gate would say of a move there, without moving anything
    await page.goto(`${url}/#/tasks/name?v=${newest}`);
    await page
      .getByTestId('version-policy')
      .getByText(
        'canary: points here; moved here by an override, the policy is not met: no bias audit of this version is recorded',
      )
      .waitFor();
    await screenshot(page, 'version-policy');

    // a version that only adds a guard differs from the one before it: the diff reads the specs too
    writeFileSync(
      join(cwd, 'name-guarded.yaml'),
      `${edited}\nguards:\n  output:\n    - { validator: banned, phrases: [dragon], onFail: filter }\n`,
    );
    cli(cwd, 'registry', 'push', '--task', join(cwd, 'name-guarded.yaml'));
    const guarded = await versionNumbers(page);
    await page.goto(`${url}/#/tasks/name?a=${newest}&b=${guarded}&v=${guarded}`);
    const guardDiff = page.getByTestId('diff');
    await guardDiff.getByText('guards').first().waitFor();
    expect((await guardDiff.locator('ins').allInnerTexts()).join(' ')).toContain('dragon');
    // and the version's panel shows what it serves with beside the prompt
    await page.getByTestId('version').getByRole('heading', { name: 'guards' }).waitFor();
    await screenshot(page, 'version-guards-diff');
  });

  it('opens an evaluation run and filters its examples to the failures', async () => {
    const page = await signedIn(readKey, 'runs?kind=evaluation');
    const row = page.getByTestId('runs').locator('tbody tr').first();
    await row.waitFor();
    // the score column names the metric each number is (one column holds several kinds)
    expect(await row.innerText()).toMatch(/\d\.\d{3} \((mean of )?[a-z]/);
    await screenshot(page, 'runs');
    await row.getByRole('link').first().click();
    await page.getByTestId('score').waitFor();
    const all = page.getByTestId('examples').locator('tbody tr');
    await all.first().waitFor();
    expect(await all.count()).toBe(24);
    await page.getByRole('button', { name: 'failures' }).click();
    await page.waitForURL(/filter=failures/);
    const { data: failures } = (await (
      await fetch(
        `${url}/v1/runs/${page.url().split('/runs/')[1].split('?')[0]}/entries?kind=example&passed=false`,
        {
          headers: { authorization: `Bearer ${readKey}` },
        },
      )
    ).json()) as { data: unknown[] };
    expect(failures.length).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('examples').locator('tbody tr').count()).toBe(failures.length);
    expect(new Set(await page.getByTestId('examples').locator('.status').allInnerTexts())).toEqual(
      new Set(['fail']),
    );
    await page.getByTestId('examples').locator('tbody tr').first().click();
    await page.getByRole('heading', { name: 'expected' }).waitFor();
    await screenshot(page, 'run-evaluation-failures');
  });

  it('compares two evaluations example by example, with the paired test', async () => {
    const page = await signedIn(readKey, 'runs?kind=evaluation');
    const boxes = page.getByTestId('runs').locator('tbody input[type="checkbox"]');
    await boxes.nth(1).waitFor();
    await boxes.nth(1).check(); // the older run (the spec's own question) is the baseline
    await boxes.nth(0).check();
    await page.getByRole('button', { name: 'Compare 2 evaluations' }).click();
    const test = page.getByTestId('paired-test');
    await test.waitFor();
    expect(await test.innerText()).toMatch(
      /vs baseline on 24, 95% CI \[-?\d\.\d{3}, -?\d\.\d{3}\], p = \d\.\d{3}/,
    );
    const matrix = page.getByTestId('matrix');
    await matrix.waitFor();
    // the rows shown differ between the runs: one passes where the other fails, or their scores differ
    const rows = await matrix.locator('tbody tr').count();
    expect(rows).toBeGreaterThan(0);
    await screenshot(page, 'runs-compare');
    await page.getByRole('button', { name: 'all', exact: true }).click();
    await expect.poll(() => matrix.locator('tbody tr').count()).toBe(24);
  });

  it('draws an optimization run: its trajectory, trials and the prompt against the seed', async () => {
    const page = await signedIn(readKey, 'runs?kind=optimization');
    await page.getByTestId('runs').locator('tbody tr a').first().click();
    await page.locator('[data-chart="score trajectory"] canvas').waitFor();
    expect(await page.getByTestId('trials').locator('tbody tr').count()).toBeGreaterThan(1);
    await page.getByRole('heading', { name: 'Final prompt against the seed' }).waitFor();
    await screenshot(page, 'run-optimization');
    // its HTML report, rendered by the service from the same records
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download the HTML report' }).click(),
    ]);
    const html = readFileSync((await download.path())!, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('seed prompt (0 demos)');
  });

  it('draws a soft-prompt training run: its loss and dev accuracy curves, and the version it made', async () => {
    const page = await signedIn(readKey, 'runs?kind=soft-training');
    await page.getByTestId('runs').locator('tbody tr a').first().click();
    await page.locator('[data-chart="train loss"] canvas').waitFor();
    await page.locator('[data-chart="dev accuracy"] canvas').waitFor();
    // its method in the title, its numbers in words
    expect(await page.locator('h1').innerText()).toMatch(/^soft-training \(soft prompt\)\s+run-/);
    expect(await page.locator('.cards .card span').allInnerTexts()).toEqual(
      expect.arrayContaining(['test exact match', 'dev exact match, best', 'steps']),
    );
    await screenshot(page, 'run-training');
    // the soft version: its virtual tokens and the vocabulary tokens nearest each
    // the version it made, by its number (v2), not its hash
    await page.getByRole('link', { name: /^v\d+$/ }).click();
    const version = page.getByTestId('version');
    await version.getByText('nearest vocabulary tokens (cosine)').waitFor();
    expect(await version.innerText()).toMatch(/^ 1: ".*" -?\d\.\d\d/m);
    // its size (16 vectors of 64 trained, the same in its file) and its training in words, not JSON
    expect(await version.innerText()).toMatch(
      /1,024 parameters trained · 1,024 values in its file \(\d\.\d KiB\)/,
    );
    expect(await version.innerText()).toMatch(/^learning rate \d/m);
    // how good it is, what made it and how to call it, without reading its metadata
    expect(await version.getByTestId('version-scores').innerText()).toMatch(
      /^test \d\.\d{3} · dev \d\.\d{3} \(exact match, at training\)/,
    );
    expect(await version.innerText()).toMatch(/soft prompt training \(soft train --push\)/);
    // the versions table has its training's test score too, to compare versions without opening each
    const row = page.getByTestId('versions').locator('tbody tr.selected');
    expect(await row.locator('td').nth(2).innerText()).toMatch(/^\d\.\d{3}$/);
    expect(await version.innerText()).toMatch(/"model": "name@\d+"/);
    await screenshot(page, 'version-soft');
  });

  it('shows a method comparison: accuracy by training-set size, and what each method costs', async () => {
    const page = await signedIn(readKey, 'runs?kind=comparison');
    const row = page.getByTestId('runs').locator('tbody tr').first();
    // the list's headline is the method that scored best on the whole training split
    expect(await row.innerText()).toMatch(/method comparison\s+name-slice.*(soft prompt|LoRA) \d\.\d{3}/s);
    await row.getByRole('link').first().click();
    // name is no label task: its chart is exact match's, with the frozen model's level
    await page.locator('[data-chart="test exact match by training examples"] canvas').waitFor();
    const table = page.getByTestId('comparison');
    expect(await table.locator('thead th').allInnerTexts()).toEqual(
      expect.arrayContaining(['exact match on 8', 'exact match on 24']),
    );
    const rows = await table.locator('tbody tr').allInnerTexts();
    // the frozen model first, then the methods
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^no tuning \(the frozen model\)\s+0\s/);
    // stories260K: 16 prompt vectors of 64; LoRA of rank 8 on all seven projections of its 5 layers
    expect(rows[1]).toMatch(/^prompt tuning\s+1,024\s/);
    expect(rows[1]).toContain('16 positions, 10,240 multiply-adds/token');
    expect(rows[2]).toMatch(/^LoRA\s+46,240\s/);
    expect(await table.locator('tbody tr.selected').count()).toBe(1);
    expect(await page.getByTestId('comparison-settings').innerText()).toContain(
      'for 1 epoch of batches of 8',
    );
    // which differences are real, on the 16 test examples: the best, and the other two rows against it
    const standing = page.getByTestId('standing');
    expect(await standing.innerText()).toMatch(
      /On 16 test examples \(exact match, 24 training examples\), .+ scored best/,
    );
    const differences = await standing.locator('tbody tr').allInnerTexts();
    expect(differences).toHaveLength(2);
    for (const difference of differences)
      expect(difference).toMatch(
        /[+−]\d\.\d{3} \[[+−]\d\.\d{3}, [+−]\d\.\d{3}\]\s+(< 0\.001|[\d.e-]+)\s+(not )?clearly below/,
      );
    await screenshot(page, 'run-comparison');
  });

  it('shows audits: a bias audit’s groups and flipped examples, a sensitivity spread, a soft prompt explained', async () => {
    const page = await signedIn(readKey, 'runs?kind=audit');
    const rows = page.getByTestId('runs').locator('tbody tr');
    await rows.nth(2).waitFor();
    expect(await rows.count()).toBe(3);
    const open = async (audit: string) => {
      await page.goto(`${url}/#/runs?kind=audit`);
      await page.getByTestId('runs').locator('tbody tr', { hasText: audit }).locator('a').first().click();
      return page.getByTestId('audit-verdict');
    };
    // the runs list reads each audit's headline number
    expect(await rows.allInnerTexts()).toEqual(
      expect.arrayContaining([expect.stringMatching(/gap 1\.000/), expect.stringMatching(/spread 0\.\d{3}/)]),
    );
    const bias = await open('gender');
    await bias.getByText('Significant gap').waitFor();
    expect(await bias.innerText()).toContain('girl names + female − boy names + male = 1.000');
    expect(await page.getByRole('img', { name: 'score per group with 95% intervals' }).innerText()).toContain(
      'boy names + male',
    );
    // 40 of 40 flipped: the flip rate with its interval (Wilson's lower bound 0.912)
    expect(await page.getByTestId('audit-flips').innerText()).toContain(
      'Flip rate 100.0% (95% interval 91.2–100.0%)',
    );
    await page.getByTestId('flipped-examples').locator('tbody tr').nth(39).waitFor();
    await page.getByRole('button', { name: 'Download the HTML report' }).waitFor();
    await screenshot(page, 'audit-bias');

    await page.goto(`${url}/#/runs?kind=audit`);
    await page
      .getByTestId('runs')
      .locator('tbody tr', { hasText: /spread/ })
      .locator('a')
      .first()
      .click();
    await page
      .getByTestId('audit-verdict')
      .getByText(/Score spread 0\.\d{3}/)
      .waitFor();
    expect(await page.locator('.interval-row:not(.interval-axis)').count()).toBe(7); // the original and 6 variants
    await screenshot(page, 'audit-sensitivity');

    await page.goto(`${url}/#/runs?kind=audit`);
    await page
      .getByTestId('runs')
      .locator('tbody tr')
      .filter({ hasNotText: /spread|gap/ })
      .locator('a')
      .first()
      .click();
    await page
      .getByTestId('audit-verdict')
      .getByText(/virtual tokens · exact match/)
      .waitFor();
    expect(await page.getByTestId('virtual-tokens').locator('tbody tr').count()).toBeGreaterThan(0);
    await page
      .getByText(/of the saliency on the soft prompt/)
      .first()
      .waitFor();
    await screenshot(page, 'audit-explain-soft');

    // an admin retires an audit with a reason: the page says so, and the runs list tags it
    const adminPage = await signedIn(adminKey, 'runs?kind=audit');
    await adminPage
      .getByTestId('runs')
      .locator('tbody tr', { hasText: /spread/ })
      .locator('a')
      .first()
      .click();
    const retire = adminPage.getByTestId('retire-run');
    await retire.getByLabel('reason to retire').fill('formats we do not serve');
    await retire.getByRole('button', { name: 'Retire this audit' }).click();
    await adminPage
      .getByTestId('run-retired')
      .getByText(/: formats we do not serve\. No audit policy counts it\./)
      .waitFor();
    await screenshot(adminPage, 'audit-retired');
    await adminPage.goto(`${url}/#/runs?kind=audit`);
    await adminPage
      .getByTestId('runs')
      .locator('tbody tr', { hasText: /spread/ })
      .getByText('retired', { exact: true })
      .waitFor();
  });

  it('charts real traces on the monitor and lists them on the traces page', async () => {
    const page = await signedIn(adminKey, 'monitor?task=name');
    await page.locator('[data-chart^="requests per"] canvas').waitFor();
    const requests = await page
      .getByTestId('monitor-groups')
      .locator('tbody tr td:nth-child(2)')
      .allInnerTexts();
    expect(requests.map(Number).reduce((sum, count) => sum + count, 0)).toBe(24);
    // each group names the version by its number, as it is called (name@1), once the versions are read
    await expect
      .poll(() => page.getByTestId('monitor-groups').locator('tbody tr td:nth-child(1)').allInnerTexts())
      .toEqual(expect.arrayContaining([expect.stringMatching(/^name(@\w+)? v\d+$/)]));
    await page.locator('[data-chart^="score helpful"] canvas').waitFor();
    // drift of the served version against its training data, over the same traces
    const drift = page.getByTestId('drift');
    await drift.getByText('24 requests against 512 training inputs').waitFor();
    // the alerts first: what fires, its condition with units, and the firing in the history
    const alerts = page.getByTestId('alerts');
    await expect
      .poll(async () => (await page.reload(), alerts.getByText('1 firing').count()), { timeout: 20_000 })
      .toBe(1);
    const rules = (await alerts.getByTestId('alert-rules').locator('tbody tr').allInnerTexts()).map((row) =>
      row.replace(/\s+/g, ' ').trim(),
    );
    expect(rules[0]).toMatch(/^name-busy warning firing requests > 5 over 60 min · name 2\d n=2\d/);
    expect(rules[1]).toMatch(
      /^name-slow critical ok latency_p95 > 60000 ms over 60 min · name [\d.]+ ms n=2\d/,
    );
    // it fired while the traffic was still coming: at some count past the threshold of 5
    const fired = /name-busy\s+firing\s+(\d+)\s+5\s+(\d+)/.exec(
      await alerts.getByTestId('alert-history').locator('tbody tr').first().innerText(),
    );
    expect(Number(fired?.[1])).toBeGreaterThan(5);
    expect(fired?.[2]).toBe(fired?.[1]);
    await screenshot(page, 'monitor');
    await page.goto(`${url}/#/traces?task=name`);
    const rows = page.getByTestId('traces').locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(24);
    // each served request names the version that answered it, by its number
    await expect.poll(() => rows.first().locator('td').nth(2).innerText()).toMatch(/(^| )v\d+$/);
    await screenshot(page, 'traces');
    await rows.first().click();
    await page.getByRole('heading', { name: 'Output' }).waitFor();
    await screenshot(page, 'trace');
    // refused requests: their HTTP status and error code, the message a person typed, no input when
    // the body was refused before it was read
    const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
    const refused = await fetch(`${url}/v1/tasks/name/run`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ inp: 'Lily' }),
    });
    expect(refused.status).toBe(400);
    const unknown = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'nosuch', messages: [{ role: 'user', content: 'Who is in it?' }] }),
    });
    expect(unknown.status).toBe(404);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the traces are written in the background
    await page.goto(`${url}/#/traces?error=true`);
    const errors = page.getByTestId('traces').locator('tbody tr');
    await errors.first().waitFor();
    const texts = (await errors.allInnerTexts()).map((row) => row.replace(/\s+/g, ' '));
    expect(texts).toHaveLength(2);
    expect(texts[0]).toMatch(/nosuch Who is in it\? REGISTRY_NO_TASK 404/);
    expect(texts[1]).toMatch(/name not read INVALID_BODY 400/);
    await screenshot(page, 'traces-errors');
    await errors.nth(1).click();
    await page.getByText('(not read: the request was refused before its input was)').waitFor();
    // the task it named counts it, and the trace says what the error said and which key sent it
    await page.locator('dd', { hasText: 'INVALID_BODY' }).waitFor();
    expect(await page.locator('dd', { hasText: 'INVALID_BODY' }).innerText()).toMatch(/^INVALID_BODY .*inp/);
    expect(
      await page
        .locator('dt', { hasText: /^task$/ })
        .locator('+ dd')
        .innerText(),
    ).toBe('name');
    await page.locator('dt', { hasText: /^key$/ }).waitFor();
    await screenshot(page, 'trace-error');
    await page.goBack();
    await errors.nth(0).click();
    await page.getByText('(asked for; the request ended before it was resolved)').waitFor();

    // a guarded version's trace reads its verdicts as a table: validator, verdict, policy, what it did
    // (the version the label test pushed; pushed again it is the same version)
    writeFileSync(
      join(cwd, 'name-guarded.yaml'),
      `${editedSpec('What is the name of the main character?', 'Who is the story about? Give the name.')}\nguards:\n  output:\n    - { validator: banned, phrases: [dragon], onFail: filter }\n`,
    );
    cli(cwd, 'registry', 'push', '--task', join(cwd, 'name-guarded.yaml'));
    const latest = await versionNumbers(page);
    const guardedRun = await fetch(`${url}/v1/tasks/name@${latest}/run`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ input: inputs[0] }),
    });
    expect(guardedRun.status).toBe(200);
    const { id: guardedId } = (await guardedRun.json()) as { id: string };
    await new Promise((resolve) => setTimeout(resolve, 300));
    await page.goto(`${url}/#/traces/${guardedId}`);
    const verdicts = page.getByTestId('trace-checks').locator('tbody tr');
    await verdicts.first().waitFor();
    const verdict = (await verdicts.first().innerText()).replace(/\s+/g, ' ');
    expect(verdict).toMatch(
      /^output banned first (passed – –|failed the offending part was dropped .*dragon)/,
    );
    await screenshot(page, 'trace-checks');
    const failed = verdict.includes('failed');
    // a failed validator links to the task's traces it failed on
    expect(await page.getByRole('link', { name: 'banned' }).count()).toBe(failed ? 1 : 0);

    // the traces a guard failed on, and those of one version (an experiment arm's)
    const stored = (await (await fetch(`${url}/v1/traces/${guardedId}`, { headers })).json()) as {
      version: string;
    };
    await page.goto(`${url}/#/traces?task=name&guard=any`);
    expect(await page.getByLabel(/a guard failed/).isChecked()).toBe(true);
    if (failed) await expect.poll(() => page.getByTestId('traces').locator('tbody tr').count()).toBe(1);
    else await page.getByText('No traces match').waitFor();
    await page.goto(`${url}/#/traces?task=name&version=${stored.version}`);
    const ofVersion = page.getByTestId('traces').locator('tbody tr');
    await ofVersion.first().waitFor();
    expect(await ofVersion.count()).toBe(1);
    expect(await page.getByLabel('version').inputValue()).toBe(stored.version);
    await screenshot(page, 'traces-version');
  });

  it('runs a version in the playground and shows its output, tokens and latency', async () => {
    const page = await signedIn(adminKey, 'playground?task=name');
    await page.getByLabel('input').fill(inputs[7]);
    // unchosen, the version is what "model": "name" serves: no production label here, so the latest
    expect(await page.getByLabel('version').inputValue()).toBe('latest');
    await page.getByLabel('version').selectOption('staging');
    await page.getByRole('button', { name: 'Run' }).click();
    const answer = page.getByTestId('answer');
    await answer.waitFor({ timeout: 30_000 });
    expect((await answer.locator('pre').first().innerText()).trim().length).toBeGreaterThan(0);
    expect(await answer.innerText()).toMatch(/\d+ tokens in \/ \d+ out/);
    await screenshot(page, 'playground');
    // with a production label, that is what it starts on (what "model": "name" serves)
    const moved = await fetch(`${url}/v1/tasks/name/labels/production`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: 1 }),
    });
    expect(moved.status).toBe(200);
    const again = await signedIn(adminKey, 'playground?task=name');
    await again.getByLabel('input').waitFor();
    expect(await again.getByLabel('version').inputValue()).toBe('production');
  });

  it('marks a version trained on other weights as not served here, in the list, the version and the playground', async () => {
    // the soft prompt's adapter, as if trained on another model, pushed as a task of its own
    const foreign = join(cwd, 'soft-elsewhere');
    cpSync(join(cwd, 'soft-name'), foreign, { recursive: true });
    const metadata = JSON.parse(readFileSync(join(foreign, 'promptune.json'), 'utf8')) as object;
    const baseModel = { name: 'SmolLM2-135M', sha256: '1'.repeat(64) };
    writeFileSync(join(foreign, 'promptune.json'), JSON.stringify({ ...metadata, baseModel }));
    const elsewhere = join(cwd, 'name-elsewhere.yaml');
    writeFileSync(elsewhere, editedSpec(/^name: name$/m, 'name: elsewhere'));
    cli(cwd, 'registry', 'push', '--task', elsewhere, '--adapter', foreign, '--other-task');
    const models = (await (
      await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${readKey}` } })
    ).json()) as { data: { id: string }[]; unavailable: { id: string; reason: string }[] };
    expect(models.data.map((entry) => entry.id)).toContain('name');
    expect(models.data.map((entry) => entry.id)).not.toContain('elsewhere');
    expect(models.unavailable).toEqual([
      { id: 'elsewhere', reason: expect.stringMatching(/^trained on SmolLM2-135M, whose weights differ/) },
    ]);
    const page = await signedIn(readKey, 'tasks/elsewhere');
    await page.getByTestId('versions').getByText('not served here').waitFor();
    expect(await page.getByTestId('version').getByTestId('not-served').innerText()).toMatch(
      /not on this service: trained on SmolLM2-135M, whose weights differ from the served model's \(stories260K.gguf\)/,
    );
    expect(await page.getByTestId('version').innerText()).not.toMatch(/"model": "elsewhere@1"/);
    await screenshot(page, 'version-not-served');
    // the playground runs versions, which takes a key that may run them
    const playground = await signedIn(adminKey, 'playground?task=elsewhere');
    await playground.getByTestId('not-served').waitFor();
    expect(await playground.getByLabel('version').locator('option').first().innerText()).toBe(
      'latest · not served here',
    );

    // an adapter folder pushed by hand: its training scores are of its own data, said beside the spec's
    const copied = join(cwd, 'soft-copied');
    cpSync(join(cwd, 'soft-name'), copied, { recursive: true });
    writeFileSync(join(copied, 'promptune.json'), JSON.stringify({ ...metadata, seed: 99 }));
    const pushed = cli(cwd, 'registry', 'push', '--task', spec, '--adapter', copied);
    const number = /name@(\d+)/.exec(pushed)![1];
    const byHand = await signedIn(readKey, `tasks/name?v=${number}`);
    expect(await byHand.getByTestId('version-scores').innerText()).toContain(
      'on the data it trained with, which may not be the datasets below',
    );
  });
});

/** The newest version number the service lists for `name` (read through the page's own key). */
async function versionNumbers(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const key = sessionStorage.getItem('promptune.key');
    const response = await fetch('/v1/tasks/name/versions', { headers: { authorization: `Bearer ${key}` } });
    const { data } = (await response.json()) as { data: { number: number }[] };
    return Math.max(...data.map((version) => version.number));
  });
}
