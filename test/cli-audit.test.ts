// `promptune audit bias|sensitivity|variability` as a user runs them on stories260K: the hand-written gender prompt answers
// " girl" whatever the story, which the audit reports as a significant gap with every answer flipped;
// --push records the audit as a run whose report is the page --report wrote; a soft prompt audits the
// same by folder and as a registry version, and its sensitivity is the input noise part; the name
// prompt's spread over formats and noise is recorded and reported, and its answers scatter when
// sampled and agree when greedy; bad options are refused with a code.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot, stories } from './models.js';

const bin = join(repositoryRoot, 'bin', 'promptune.js');
const model = `local:${stories.gguf}`;
/** The model's name as a regular expression matches it. */
const modelPattern = model.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const gender = join(repositoryRoot, 'examples', 'gender.yaml');

/**
 * The gender spec as a file elsewhere reads it: its data paths are relative to examples/ (../../shared),
 * which from a temporary folder named a /tmp/shared that only existed on some machines.
 */
const genderSpec = () =>
  readFileSync(gender, 'utf8').replaceAll('../../shared', join(repositoryRoot, '..', 'shared'));

function run(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface BiasJson {
  groups: { name: string; score: number; interval: [number, number]; n: number }[];
  flipRate: number;
  scoreFlipRate: number;
  gap: { between: [string, string]; difference: number; pValue: number; significant: boolean };
  audited: number;
  flippedLines: number[];
  model: string;
}

interface SensitivityJson {
  n: number;
  original: { score: number };
  variants: { family: string; name: string; score: number }[];
  spread: { range: { value: number; interval: [number, number] } };
  families: Record<string, { count: number }>;
}

describe('promptune audit', () => {
  it('finds the hand-written gender prompt’s bias, records it as a run, and reports it', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-audit-cli-'));
    const audited = run(cwd, 'audit', 'bias', '--task', gender, '--model', model, '--limit', '40', '--json');
    expect(audited.status, audited.stderr).toBe(0);
    const result = JSON.parse(audited.stdout) as BiasJson;
    expect(result.groups.map(({ name, n }) => ({ name, n }))).toEqual([
      { name: 'girl names + female', n: 40 },
      { name: 'boy names + male', n: 40 },
    ]);
    // the prompt's continuation is " girl" for every story: right for girls, wrong for every boy
    const [girls, boys] = result.groups;
    expect(girls.score).toBe(1);
    expect(boys.score).toBe(0);
    // 0 of 40 is a proportion: Wilson's 95% interval [0, 0.088], not the bootstrap's point [0, 0]
    expect(boys.interval[0]).toBe(0);
    expect(boys.interval[1]).toBeCloseTo(0.0876, 3);
    expect(girls.interval[1]).toBe(1);
    expect(result.gap).toMatchObject({ between: ['girl names + female', 'boy names + male'], difference: 1 });
    expect(result.gap.significant).toBe(true);
    expect(result.flipRate).toBe(1);
    expect(result.flippedLines).toHaveLength(40);

    const pushed = run(
      cwd,
      'audit',
      'bias',
      ...['--task', gender, '--model', model, '--limit', '40', '--push', '--report', 'bias.html'],
    );
    expect(pushed.status, pushed.stderr).toBe(0);
    expect(pushed.stdout).toMatch(/largest gap: girl names \+ female − boy names \+ male = 1\.000/);
    expect(pushed.stdout).toContain('SIGNIFICANT');
    const id = /recorded as run (\S+)/.exec(pushed.stderr)?.[1];
    expect(id).toBeDefined();
    expect(pushed.stderr).toContain(
      "warning: this bias audit is recorded as a run of gender, of no registry version: a task's audit policy counts only audits of a version (--version gender@<number>).",
    );
    expect(run(cwd, 'runs', 'ls', '--kind', 'audit').stdout).toMatch(
      new RegExp(
        `${id}\\s+audit \\(bias on ${modelPattern}\\)\\s+gender\\s+completed\\s+gap 1\\.000 significant, flip rate 1\\.000`,
      ),
    );
    const page = readFileSync(join(cwd, 'bias.html'), 'utf8');
    expect(page).toContain('Significant gap');
    expect(page).toContain('<svg role="img"');
    expect(run(cwd, 'runs', 'report', id!, '--out', 'run.html').status).toBe(0);
    expect(readFileSync(join(cwd, 'run.html'), 'utf8')).toBe(page);

    // the hand-written prompt explained: what removing its only sentence does
    const explained = run(
      cwd,
      ...['audit', 'explain', '--task', gender, '--model', model, '--limit', '40', '--push'],
      ...['--report', 'explain.html'],
    );
    expect(explained.status, explained.stderr).toBe(0);
    expect(explained.stdout).toMatch(/whole prompt: 0\.\d{3}/);
    expect(explained.stdout).toMatch(
      /0\.000 {2}-0\.\d{3} .* sentence: "Once upon a time, there was a little"/,
    );
    const explainId = /recorded as run (\S+)/.exec(explained.stderr)?.[1];
    expect(run(cwd, 'runs', 'report', explainId!, '--out', 'explain-run.html').status).toBe(0);
    expect(run(cwd, 'runs', 'ls', '--kind', 'audit').stdout).toMatch(
      new RegExp(
        `${explainId}\\s+audit \\(explain on ${modelPattern}\\)\\s+gender\\s+completed\\s+whole prompt 0\\.\\d{3}`,
      ),
    );
    expect(readFileSync(join(cwd, 'explain-run.html'), 'utf8')).toBe(
      readFileSync(join(cwd, 'explain.html'), 'utf8'),
    );

    // under an audit policy, the version's audit counts: `registry show` gives the gate's verdict, and
    // the move it predicts is refused (exit 3)
    writeFileSync(
      join(cwd, 'gender-policy.yaml'),
      `${genderSpec()}\naudit:\n  policy: { bias: { maxFlipRate: 0.05 } }\n`,
    );
    expect(run(cwd, 'registry', 'push', '--task', 'gender-policy.yaml').status).toBe(0);
    const versionAudit = run(
      cwd,
      ...['audit', 'bias', '--version', 'gender@1', '--model', model, '--limit', '40', '--push'],
    );
    expect(versionAudit.status, versionAudit.stderr).toBe(0);
    const versionAuditId = /recorded as run (\S+)/.exec(versionAudit.stderr)?.[1];
    expect(run(cwd, 'registry', 'show', 'gender@1').stdout).toContain(
      `audit policy of production: not met, a move here is refused: bias audit ${versionAuditId}: flip rate 100.0% is above 5.0%`,
    );
    const refused = run(cwd, 'registry', 'label', 'gender', 'production', '1', '--admin');
    expect(refused.status).toBe(3);
    expect(refused.stderr).toContain(`bias audit ${versionAuditId}: flip rate 100.0% is above 5.0%`);
    // an admin retires it with a reason: listed as retired, and the policy no longer counts it
    const notAdmin = run(cwd, 'runs', 'retire', versionAuditId!, '--reason', 'exploratory');
    expect(notAdmin.status).not.toBe(0);
    expect(notAdmin.stderr).toContain('code: AUTH_SCOPE');
    const retired = run(cwd, 'runs', 'retire', versionAuditId!, '--reason', 'exploratory', '--admin');
    expect(retired.stdout).toBe(`retired ${versionAuditId} (audit of gender): exploratory\n`);
    expect(run(cwd, 'runs', 'ls', '--kind', 'audit').stdout).toMatch(
      new RegExp(
        `${versionAuditId}\\s+audit \\(bias on ${modelPattern}\\)\\s+gender\\s+completed\\s+gap 1.000 significant, flip rate 1.000\\s+-> `,
      ),
    );
    expect(run(cwd, 'runs', 'ls', '--kind', 'audit').stdout).toMatch(/retired by \S+: exploratory\n/);
    expect(run(cwd, 'registry', 'show', 'gender@1').stdout).toContain(
      `audit policy of production: not met, a move here is refused: no bias audit of this version is recorded; not counted, retired: ${versionAuditId} (by `,
    );
    // a misspelt label guards nothing (production then moved freely): the push says so
    writeFileSync(
      join(cwd, 'gender-typo.yaml'),
      `${genderSpec()}\naudit:\n  policy: { labels: [prodution], bias: { maxFlipRate: 0.05 } }\n`,
    );
    const typo = run(cwd, 'registry', 'push', '--task', 'gender-typo.yaml');
    expect(typo.status, typo.stderr).toBe(0);
    expect(typo.stderr).toContain(
      'warning: the audit policy guards label prodution, which task gender does not have; did you mean production?',
    );
  });

  it('audits a soft prompt by folder and as the registry version it was pushed as, alike', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-audit-cli-'));
    const data = join(repositoryRoot, '..', 'shared', 'datasets', 'gender');
    const trained = run(
      cwd,
      ...['soft', 'train', '--model', stories.gguf, '--data', data, '--out', 'soft', '--steps', '24'],
      // pushed with the hand-written spec: its template is not the raw input the adapter reads
      ...['--push', '--label', 'staging', '--baseline', gender],
    );
    expect(trained.status, trained.stderr).toBe(0);
    const common = ['audit', 'bias', '--task', gender, '--model', model, '--limit', '24', '--json'];
    const byFolder = run(cwd, ...common, '--adapter', 'soft');
    expect(byFolder.status, byFolder.stderr).toBe(0);
    expect(byFolder.stderr).not.toContain('was trained for the task');
    // the same prompt on another task runs, and says it was trained for gender
    const elsewhere = run(
      cwd,
      ...['audit', 'sensitivity', '--task', join(repositoryRoot, 'examples', 'name.yaml'), '--model', model],
      ...['--adapter', 'soft', '--limit', '4', '--noise', 'typos'],
    );
    expect(elsewhere.status, elsewhere.stderr).toBe(0);
    expect(elsewhere.stderr).toContain(
      'warning: soft was trained for the task gender; it is run here on name, whose inputs and answers it did not learn.',
    );
    const byVersion = run(cwd, ...common, '--version', 'gender@staging');
    expect(byVersion.status, byVersion.stderr).toBe(0);
    const folder = JSON.parse(byFolder.stdout) as BiasJson;
    const version = JSON.parse(byVersion.stdout) as BiasJson;
    expect(folder.model).toMatch(/\+soft:[0-9a-f]{12}$/);
    expect(version.model).toBe(folder.model);
    expect(version.groups).toEqual(folder.groups);
    expect(version.flipRate).toBe(folder.flipRate);
    // under an audit policy, the soft version's own audit counts (it was recorded with the adapter's
    // raw-input template in place of the spec's, whose id never matched the version's: not counted), on
    // the model the policy names (its audit names stories260K.gguf+soft:…, trial AE)
    writeFileSync(
      join(cwd, 'gender-policy.yaml'),
      `${genderSpec()}\naudit:\n  policy: { models: [stories260K.gguf], bias: { maxFlipRate: 1 } }\n`,
    );
    expect(run(cwd, 'registry', 'push', '--task', 'gender-policy.yaml').status).toBe(0);
    // as the docs and the refusal's hint say: the version alone, its own spec and data
    const pushed = run(
      cwd,
      ...['audit', 'bias', '--version', 'gender@staging', '--model', model, '--limit', '30', '--push'],
    );
    expect(pushed.status, pushed.stderr).toBe(0);
    const shown = run(cwd, 'registry', 'show', 'gender@staging').stdout;
    expect(shown).toContain('audit policy of production: met');
    expect(shown).not.toContain('not counted');
    // a soft prompt has no template to vary: its sensitivity is the input noise part
    const noise = run(
      cwd,
      ...['audit', 'sensitivity', '--task', gender, '--model', model, '--adapter', 'soft', '--limit', '16'],
      ...['--noise', 'typos,uppercase', '--json'],
    );
    expect(noise.status, noise.stderr).toBe(0);
    const soft = JSON.parse(noise.stdout) as SensitivityJson;
    expect(Object.keys(soft.families)).toEqual(['noise']);
    expect(soft.variants.map((variant) => variant.name).sort()).toEqual(['typos', 'uppercase']);
    // so prompt variants asked for are refused, not dropped in silence
    const formats = run(
      cwd,
      ...['audit', 'sensitivity', '--task', gender, '--model', model, '--adapter', 'soft', '--formats', '4'],
    );
    expect(formats.status).not.toBe(0);
    expect(formats.stderr).toMatch(
      /--formats would be ignored: soft prompt soft has no template to vary; its sensitivity is to input noise .*code: CLI_INVALID_OPTION/s,
    );
    // a LoRA (PEFT's own) has no vectors to explain, and the refusal says what it is
    const lora = join(repositoryRoot, 'test', 'fixtures', 'peft-lora', 'adapter');
    const unexplained = run(
      cwd,
      ...['audit', 'explain', '--task', gender, '--model', model, '--adapter', lora, '--limit', '2'],
    );
    expect(unexplained.stderr).toMatch(
      /explain reads a soft prompt’s vectors; LoRA \S+peft-lora\/adapter has none.*code: AUDIT_EXPLAIN_UNSUPPORTED/s,
    );
    // and explained: each virtual token read and ablated, saliency on the inputs
    const explained = run(
      cwd,
      ...['audit', 'explain', '--task', gender, '--model', model, '--limit', '24'],
      ...['--adapter', 'soft', '--saliency', '3', '--json'],
    );
    expect(explained.status, explained.stderr).toBe(0);
    const explanation = JSON.parse(explained.stdout) as {
      kind: string;
      n: number;
      virtualTokens: number;
      tokens: { cosine: unknown[]; l2: unknown[]; zeroed: { effect: number } }[];
      saliency: { tokens: { saliency: number }[] }[];
    };
    expect(explanation).toMatchObject({ kind: 'soft', n: 24 });
    expect(explanation.tokens).toHaveLength(explanation.virtualTokens);
    expect(explanation.tokens[0].cosine).toHaveLength(5);
    expect(explanation.tokens[0].l2).toHaveLength(5);
    expect(explanation.saliency).toHaveLength(3);
  });

  it('measures the spread of the hand-written name prompt over formats and noise, recorded and reported', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-audit-cli-'));
    const name = join(repositoryRoot, 'examples', 'name.yaml');
    const audited = run(
      cwd,
      ...['audit', 'sensitivity', '--task', name, '--model', model, '--limit', '24', '--formats', '4'],
      ...['--noise', 'typos,lowercase', '--push', '--report', 'sensitivity.html', '--json'],
    );
    expect(audited.status, audited.stderr).toBe(0);
    const result = JSON.parse(audited.stdout) as SensitivityJson;
    expect(result.n).toBe(24);
    expect(result.variants).toHaveLength(6);
    expect(result.families.format?.count).toBe(4);
    expect(result.families.noise?.count).toBe(2);
    const scores = [result.original.score, ...result.variants.map((variant) => variant.score)];
    expect(result.spread.range.value).toBeCloseTo(Math.max(...scores) - Math.min(...scores), 10);
    expect(result.spread.range.interval[0]).toBeLessThanOrEqual(result.spread.range.interval[1]);
    const id = /recorded as run (\S+)/.exec(audited.stderr)?.[1];
    expect(run(cwd, 'runs', 'ls', '--kind', 'audit').stdout).toMatch(
      new RegExp(
        `${id}\\s+audit \\(sensitivity on ${modelPattern}\\)\\s+name\\s+completed\\s+spread ${result.spread.range.value.toFixed(3)}`,
      ),
    );
    expect(run(cwd, 'runs', 'report', id!, '--out', 'run.html').status).toBe(0);
    expect(readFileSync(join(cwd, 'run.html'), 'utf8')).toBe(
      readFileSync(join(cwd, 'sensitivity.html'), 'utf8'),
    );

    // sampled at 0.8 the answers scatter; greedy (the spec's temperature 0) they always agree
    const warning =
      'warning: name is sampled at temperature 0, so each of the 3 answers per input is the same greedy one';
    const variability = (...extra: string[]) => {
      const ran = run(
        cwd,
        'audit',
        'variability',
        '--task',
        name,
        '--model',
        model,
        '--limit',
        '12',
        '--json',
        ...extra,
      );
      return {
        ...(JSON.parse(ran.stdout) as {
          agreement: { value: number };
          passK: { k: number; passAll: { value: number } }[];
          calls: number;
        }),
        stderr: ran.stderr,
      };
    };
    const sampled = variability('--repeats', '4', '--temperature', '0.8', '--push');
    expect(sampled.calls).toBe(48);
    const sampledId = /recorded as run (\S+)/.exec(sampled.stderr)?.[1];
    expect(run(cwd, 'runs', 'ls', '--kind', 'audit').stdout).toMatch(
      new RegExp(
        `${sampledId}\\s+audit \\(variability on ${modelPattern}\\)\\s+name\\s+completed\\s+agreement ${sampled.agreement.value.toFixed(3)}, score 0\\.\\d{3}`,
      ),
    );
    expect(sampled.stderr).not.toContain('warning: name is sampled at temperature 0');
    expect(sampled.agreement.value).toBeLessThan(0.9);
    expect(sampled.passK.map((entry) => entry.k)).toEqual([1, 2, 3, 4]);
    const greedy = variability('--repeats', '3');
    // and the command says the repeats measure nothing at temperature 0
    expect(greedy.stderr).toContain(warning);
    expect(greedy.agreement.value).toBe(1);
    expect(greedy.passK[2].passAll.value).toBe(greedy.passK[0].passAll.value);
  });

  it('stops at Ctrl-C after the calls under way, records the run as stopped, and a rerun resumes', async () => {
    const { spawn } = await import('node:child_process');
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-audit-cli-'));
    const args = [
      'audit',
      'bias',
      '--task',
      gender,
      '--model',
      model,
      '--split',
      'test',
      '--push',
      '--concurrency',
      '1',
    ];
    const child = spawn(process.execPath, [bin, ...args], { cwd });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const closed = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('close', (_, signal) => resolve(signal)),
    );
    while (!/ [1-9]\d*\/\d+ /.test(stderr)) await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGINT');
    // it ends by the signal (a shell sees Ctrl-C), saying what it kept
    expect(await closed).toBe('SIGINT');
    expect(stderr).toContain('SIGINT: stopping the audit after the calls under way, keeping their answers');
    expect(stderr).toContain('code: EVAL_INTERRUPTED');
    const listed = run(cwd, 'runs', 'ls', '--kind', 'audit', '--json');
    expect(JSON.parse(listed.stdout.trim())).toMatchObject({ status: 'cancelled' });
    // the answers journaled: the same command finishes from them
    const again = run(cwd, ...args, '--json');
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).audited).toBe(256);
  }, 120_000);

  it('audits with the sets named, repeated or separated by commas', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-audit-cli-'));
    const groups = (...sets: string[]) =>
      (
        JSON.parse(
          run(cwd, 'audit', 'bias', '--task', gender, '--model', model, '--limit', '8', '--json', ...sets)
            .stdout,
        ) as BiasJson
      ).groups.map((group) => group.name);
    expect(groups('--set', 'story-names')).toEqual(['girl names', 'boy names']);
    const aligned = ['girl names + female', 'boy names + male'];
    expect(groups('--set', 'story-names', '--set', 'gendered-words')).toEqual(aligned);
    expect(groups('--set', 'story-names,gendered-words')).toEqual(aligned);
  });

  it('refuses bad options with a code and a hint', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-audit-cli-'));
    const base = ['audit', 'bias', '--task', gender, '--model', model];
    const cases: [string[], string][] = [
      [['--set', 'ages'], 'AUDIT_SET_NOT_FOUND'],
      [['--set', 'missing.yaml'], 'AUDIT_SET_NOT_FOUND'],
      [['--adapter', 'soft', '--prompt', 'p.json'], 'CLI_INVALID_OPTION'],
      [['--version', 'name@1'], 'CLI_INVALID_OPTION'],
      [['--split', 'holdout'], 'CLI_INVALID_OPTION'],
      [['--alpha', '1'], 'CLI_INVALID_OPTION'],
    ];
    for (const [extra, code] of cases) {
      const refused = run(cwd, ...base, ...extra);
      expect(refused.status, extra.join(' ')).toBe(1);
      expect(refused.stderr).toContain(code);
    }
    // paraphrases are the teacher's: asked for without one, they would be none
    const paraphrases = run(
      cwd,
      'audit',
      'sensitivity',
      '--task',
      gender,
      '--model',
      model,
      '--paraphrases',
      '3',
    );
    expect(paraphrases.stderr).toContain('--paraphrases would be ignored');
    expect(paraphrases.stderr).toContain('CLI_INVALID_OPTION');
    const remote = run(cwd, 'audit', 'bias', '--task', gender, '--model', 'ollama:llama3', '--adapter', 'x');
    expect(remote.stderr).toContain('AUDIT_SOFT_NEEDS_LOCAL');
  });
});
