// `promptune experiment` as a user runs it against a SQLite file: a start refused without --admin on
// production and with a bad schedule, a start (its primary, scored by nobody yet or misspelt, warned of),
// the status with its tests, a second start refused, and a look that promotes the treatment once the
// served traffic (written here as the service would write its traces and feedback) shows it better, the
// label history carrying why.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from '../src/registry/index.js';
import { repositoryRoot } from './models.js';
import { servedTrace } from './served-trace.js';

function promptune(cwd: string, ...args: string[]) {
  const environment = { ...process.env };
  delete environment.DATABASE_URL;
  const result = spawnSync(process.execPath, [join(repositoryRoot, 'bin', 'promptune.js'), ...args], {
    cwd,
    encoding: 'utf8',
    env: environment,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('promptune experiment', () => {
  it('starts a canary, shows its state, and promotes a better treatment on a look', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-experiment-cli-'));
    for (const [file, template] of [
      ['a.yaml', 'A {{input}}'],
      ['b.yaml', 'B {{input}}'],
    ]) {
      writeFileSync(join(cwd, file), `name: greet\nprompt:\n  template: "${template}"\n`);
      const label = file === 'a.yaml' ? ['--label', 'production', '--admin'] : [];
      expect(promptune(cwd, 'registry', 'push', '--task', file, ...label).status).toBe(0);
    }
    const start = (...extra: string[]) =>
      promptune(cwd, 'experiment', 'start', 'greet', '--treatment', '2', '--primary', 'helpful', ...extra);
    const refused = start();
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/code: REGISTRY_PROTECTED_LABEL/);
    expect(start('--admin', '--schedule', '5,0').stderr).toMatch(/code: CLI_INVALID_OPTION/);
    // shares that fall, or reach 100% (the promotion), are refused too
    for (const schedule of ['50,10', '100'])
      expect(start('--admin', '--schedule', schedule).stderr).toMatch(/rising, each above 0 and below 100/);
    expect(promptune(cwd, 'experiment', 'status', 'nosuch').stderr).toMatch(/code: REGISTRY_NO_TASK/);
    expect(start('--admin', '--guardrail', 'cost').stderr).toMatch(
      /hint: Use one of: errors, check-failures, latency/,
    );

    const started = start(
      ...['--admin', '--schedule', '50', '--step-duration', '0s', '--step-requests', '0'],
      ...['--guardrail', 'errors'],
    );
    expect(started.status).toBe(0);
    // nothing named helpful yet: said, not refused (feedback of a new name arrives after the start)
    expect(started.stderr).toMatch(
      /^warning: no score named helpful among greet's latest scores, and no score config defines it: .* \(it has none yet\)$/m,
    );
    const id = /^started (exp-[0-9a-f]+)/.exec(started.stdout)![1];
    const again = start('--admin');
    expect(again.stderr).toMatch(/code: EXPERIMENT_RUNNING/);
    expect(promptune(cwd, 'experiment', 'ls').stdout).toMatch(
      new RegExp(`^${id}  greet@production +@2 vs @1 +running`, 'm'),
    );

    // before any traffic, an unbounded interval says why
    expect(promptune(cwd, 'experiment', 'status', id).stdout).toMatch(
      /^ +primary +difference \+0\.0000 +interval \[-∞, ∞\] +p 1\.0000 +continue \(each arm needs 100 observations: 0 and 0 so far\)$/m,
    );

    // the service's record of 300 users, half in each arm: version 2's answers liked 60% of the time, version 1's 40%
    const registry = await Registry.open({ path: join(cwd, '.promptune', 'registry.sqlite') });
    try {
      const [first, second] = await registry.listVersions('greet');
      const traces = Array.from({ length: 300 }, (_, index) =>
        servedTrace(`t${index}`, index % 2 ? second.id : first.id, `user-${index}`),
      );
      await registry.traces.insert(traces);
      for (const [index, entry] of traces.entries())
        await registry.scores.add({
          traceId: entry.id,
          name: 'helpful',
          value: index % 2 ? index % 10 < 7 : index % 10 < 3,
          source: 'feedback',
        });
    } finally {
      await registry.close();
    }
    const status = promptune(cwd, 'experiment', 'status', 'greet');
    expect(status.stdout).toMatch(/now: promote \(the primary metric is higher by 0\.2000/);
    expect(status.stdout).toMatch(
      /treatment +version 2 +150 requests \(this step 150 from \d+ users\) +primary 0\.6000 \(n=150\)/,
    );
    expect(status.stdout).toMatch(/always-valid tests \(mSPRT\):\n +primary +difference \+0\.2000/);

    const look = promptune(cwd, 'experiment', 'look', id);
    expect(look.stdout).toMatch(new RegExp(`^${id}: promote`));
    expect(look.stdout).toMatch(/promoted, treatment at 100%/);
    const history = promptune(cwd, 'registry', 'show', 'greet@production');
    expect(history.stdout).toMatch(
      new RegExp(
        `experiment:${id}: @1 \\([0-9a-f]{12}\\) -> @2 \\([0-9a-f]{12}\\) experiment ${id} promoted the treatment`,
      ),
    );
    // after the promotion, the status still says why it started, and what each arm is
    const ended = promptune(cwd, 'experiment', 'status', id).stdout;
    expect(ended).toMatch(/^ {2}started \S+ by \S+; version 2 against version 1 on helpful$/m);
    expect(ended).toContain(
      'version 2 (hard prompt), the treatment, against version 1 (hard prompt), the control',
    );
    const json = JSON.parse(promptune(cwd, 'experiment', 'status', id, '--json').stdout);
    expect(json.experiment.status).toBe('promoted');
    expect(json.events.map((event: { action: string }) => event.action)).toEqual(['start', 'promote']);
    // a misspelt primary: the nearest name the task's scores have
    const misspelt = promptune(
      cwd,
      ...['experiment', 'start', 'greet', '--treatment', '1', '--primary', 'helpfull', '--admin'],
    );
    expect(misspelt.status).toBe(0);
    expect(misspelt.stderr).toMatch(/warning: no score named helpfull .*; did you mean helpful\?/);
  });
});
