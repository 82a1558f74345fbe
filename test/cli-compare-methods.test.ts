// `promptune compare-methods` as a user runs it: every method trained on a task slice at two sizes with
// one budget, the table printed, the JSON's measurements consistent with the methods' shapes, and the
// HTML report written; a method it does not know is refused with a code. Each measurement is journaled:
// a rerun takes it from there, and Ctrl-C keeps what was measured for the same command to continue.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonError } from './error-code.js';
import { interruptedRun } from './interrupted-run.js';
import { repositoryRoot, sharedModels, stories } from './models.js';

const promptune = (...args: string[]) =>
  spawnSync(process.execPath, [join(repositoryRoot, 'bin', 'promptune.js'), ...args], { encoding: 'utf8' });

function slice(task: string, sizes: Record<string, number>): string {
  const folder = mkdtempSync(join(tmpdir(), `promptune-compare-${task}-`));
  for (const [split, count] of Object.entries(sizes)) {
    const lines = readFileSync(join(sharedModels, '..', 'datasets', task, `${split}.jsonl`), 'utf8')
      .trim()
      .split('\n')
      .slice(0, count);
    writeFileSync(join(folder, `${split}.jsonl`), lines.join('\n') + '\n');
  }
  return folder;
}

describe('promptune compare-methods', () => {
  it('trains each method at each size on one budget and reports what each costs', () => {
    const data = slice('name', { train: 32, dev: 8, test: 16 });
    const report = join(data, 'report.html');
    const journal = join(data, 'journal.jsonl');
    const common = [
      '--journal',
      journal,
      '--model',
      stories.gguf,
      '--data',
      data,
      '--sizes',
      '8,all',
      '--epochs',
      '2',
      '--rank',
      '4',
    ];
    const run = promptune('compare-methods', ...common, '--report', report, '--json');
    expect(run.status, run.stderr).toBe(0);
    // a line as each of the 12 measurements starts, counted, and one with its result
    expect(run.stderr).toMatch(/^\[1\/12\] \S+: soft prompt \(16 virtual tokens\) on 8 examples$/m);
    expect(run.stderr).toMatch(/^\[12\/12\] \S+: full fine-tuning \(260,032 weights\) on 32 examples$/m);
    expect(
      run.stderr.match(/^ {2}test accuracy [\d.]+ \(dev [\d.]+\), (2|8) steps of [\d.]+ s$/gm),
    ).toHaveLength(12);
    // the JSON says what every measurement shared: a reader of it alone could not tell the budget
    expect((JSON.parse(run.stdout) as { settings: unknown }).settings).toEqual({
      epochs: 2,
      batchSize: 8,
      seed: 0,
      virtualTokens: 16,
      rank: 4,
      learningRates: {
        'prompt-tuning': 0.3,
        'p-tuning': 0.01,
        'multitask-prompt-tuning': 0.3,
        'prefix-tuning': 0.03,
        lora: 0.001,
        'full-fine-tuning': 0.0003,
      },
    });
    const measurements = (JSON.parse(run.stdout) as { measurements: unknown }).measurements as {
      task: string;
      method: string;
      trainExamples: number;
      trainableParameters: number;
      steps: number;
      testAccuracy: number;
      testCorrect: string;
      trainingSeconds: number;
      heldOutPerplexity: { before: number; after: number };
      measuredAt: string;
      serving: {
        bytesPerTask: number;
        extraPositionsPerRequest: number;
        extraMultiplyAddsPerToken: number;
        sharesModel: boolean;
      };
    }[];
    expect(measurements.map((item) => `${item.method}:${item.trainExamples}:${item.steps}`)).toEqual([
      'prompt-tuning:8:2',
      'prompt-tuning:32:8',
      'p-tuning:8:2',
      'p-tuning:32:8',
      'multitask-prompt-tuning:8:2',
      'multitask-prompt-tuning:32:8',
      'prefix-tuning:8:2',
      'prefix-tuning:32:8',
      'lora:8:2',
      'lora:32:8',
      'full-fine-tuning:8:2',
      'full-fine-tuning:32:8',
    ]);
    // each keeps which test examples it got right (for the paired tests under the table), and its time
    const tests = readFileSync(join(data, 'test.jsonl'), 'utf8').trim().split('\n').length;
    for (const item of measurements) {
      expect(item.testCorrect).toMatch(new RegExp(`^[01]{${tests}}$`));
      expect(item.testCorrect.split('1').length - 1).toBe(Math.round(item.testAccuracy * tests));
      expect(item.trainingSeconds).toBeGreaterThan(0);
    }
    // stories260K: 5 layers, hidden 64, 4 key/value heads of 8, MLP 172; rank 4 on all seven projections
    const perLayer = 4 * (64 + 64) + 2 * 4 * (64 + 32) + 4 * (64 + 64) + 2 * 4 * (64 + 172) + 4 * (172 + 64);
    const lora = measurements.find((item) => item.method === 'lora')!;
    expect(lora.trainableParameters).toBe(5 * perLayer);
    expect(lora.serving.bytesPerTask).toBe(5 * perLayer * 4);
    const prompt = measurements.find((item) => item.method === 'prompt-tuning')!;
    expect(prompt.trainableParameters).toBe(16 * 64);
    expect(prompt.serving.extraPositionsPerRequest).toBe(16);
    // each token's 8 query heads of 8 score the 16 cached positions and sum their values, in 5 layers:
    // the unit LoRA's products are counted in
    expect(prompt.serving.extraMultiplyAddsPerToken).toBe(5 * 8 * 8 * 2 * 16);
    // P-tuning trains its encoder (64 -> 64 -> 64 -> 64) and serves the 16 vectors it makes, as prompt tuning
    const encoded = measurements.find((item) => item.method === 'p-tuning')!;
    expect(encoded.trainableParameters).toBe(16 * 64 + 3 * (64 * 64 + 64));
    expect(encoded.serving.bytesPerTask).toBe(prompt.serving.bytesPerTask);
    // a one-task multitask prompt trains the shared prompt and rank-1 factors (16 x 1, 1 x 64) and serves
    // the task's prompt they make
    const multitask = measurements.find((item) => item.method === 'multitask-prompt-tuning')!;
    expect(multitask.trainableParameters).toBe(16 * 64 + 16 + 64);
    expect(multitask.serving.bytesPerTask).toBe(prompt.serving.bytesPerTask);
    // a prefix: 16 positions of keys and values (4 heads of 8) in each of 5 layers, kept as they are
    const prefix = measurements.find((item) => item.method === 'prefix-tuning')!;
    expect(prefix.trainableParameters).toBe(5 * 2 * 16 * 32);
    expect(prefix.serving.bytesPerTask).toBe(5 * 2 * 16 * 32 * 4);
    // the baseline trains all 260,032 weights and serves each task as a model of its own
    const full = measurements.find((item) => item.method === 'full-fine-tuning')!;
    expect(full.trainableParameters).toBe(260_032);
    expect(full.serving).toMatchObject({ bytesPerTask: 260_032 * 4, sharesModel: false });
    expect(measurements.filter((item) => !item.serving.sharesModel)).toHaveLength(2);
    // the frozen model's perplexity is one number; the methods change it
    expect(new Set(measurements.map((item) => item.heldOutPerplexity.before)).size).toBe(1);
    for (const item of measurements)
      expect(item.heldOutPerplexity.after).not.toBe(item.heldOutPerplexity.before);
    const page = readFileSync(report, 'utf8');
    expect(page).toMatch(/<td>LoRA<\/td><td>23,120<\/td>/);
    expect(page).toMatch(/<td>a model of its own<\/td>/);
    // the page says what every method shared, and charts accuracy by size: a line per method, a point per size
    expect(page).toContain('<dd>2 epochs of batch 8 at every size, seed 0</dd>');
    expect(page).toMatch(
      /<dd>prompt tuning 0\.3, P-tuning 0\.01, .*LoRA 0\.001, full fine-tuning 0\.0003<\/dd>/,
    );
    expect(page.match(/<polyline /g)).toHaveLength(6);
    expect(page.match(/<circle /g)).toHaveLength(12);
    expect(page).toContain(`<title>LoRA: ${lora.testAccuracy.toFixed(3)}</title>`);

    // a size past the task's 32 examples is all of them: one column, not two; both measured before, so
    // taken from the journal as they were (the same numbers, not trained again)
    const rerunReport = join(data, 'lora.html');
    const db = join(data, 'registry.sqlite');
    const table = promptune(
      ...['compare-methods', ...common, '--methods', 'lora', '--sizes', '8,1000,all'],
      ...['--report', rerunReport, '--push', '--db', db],
    );
    // the sizes smallest first, the whole training split marked as such
    const accuracies = measurements
      .filter((item) => item.method === 'lora')
      .map(
        (item) =>
          `${item.trainExamples}${item.trainExamples === 32 ? ' (all)' : ''}: ${item.testAccuracy.toFixed(3)}`,
      );
    expect(table.stdout).toMatch(
      new RegExp(
        `\\| LoRA \\| 23,120 \\| [\\d.]+ \\| [\\d.]+ \\| \\d+ \\| ${accuracies.join(', ').replace(/[()]/g, '\\$&')} \\|`,
      ),
    );
    expect(table.stderr.match(/measured before/g)).toHaveLength(2);
    // under the table, what its numbers shared (the page's settings), so the table read alone says its budget
    expect(table.stdout).toContain('\nbudget: 2 epochs of batch 8 at every size, seed 0\n');
    expect(table.stdout).toContain('\nlearning rates (each method its default): LoRA 0.001\n');
    expect(table.stdout).toContain('\nLoRA: rank 4 on q, k, v, o, gate, up, down\n');
    expect(table.stdout).not.toContain('prompt methods:');
    // under the table, which differences are real: LoRA and the frozen model on the same test examples
    expect(table.stdout).toMatch(
      new RegExp(
        `^${basename(data)}, 32 training examples, exact match on ${tests} test examples: best (LoRA|no tuning \\(the frozen model\\)) [\\d.]+ \\[[\\d.]+, [\\d.]+\\]\\. `,
        'm',
      ),
    );
    expect(table.stdout).toMatch(
      /^ {2}(LoRA|no tuning \(the frozen model\)): [\d.]+, [+−][\d.]+ \[[+−][\d.]+, [+−][\d.]+\], p /m,
    );
    // --push recorded it as a comparison run of the task: each measurement (from the journal, so
    // marked kept), and the method that scored best on the whole training split
    const [recorded] = promptune('runs', 'ls', '--db', db, '--json')
      .stdout.trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(table.stderr).toContain(`recorded as run ${recorded.id}`);
    const loraOnAll = measurements.find((item) => item.method === 'lora' && item.trainExamples === 32)!;
    expect(recorded).toMatchObject({
      kind: 'comparison',
      task: basename(data).toLowerCase(), // the folder's name made a task name, as soft train --push makes it
      status: 'completed',
      progress: { done: 2, total: 2 },
      config: { methods: ['lora'], sizes: [8, 1000, 'all'], data, tasks: [basename(data)] },
      summary: {
        measurements: 2,
        best: { method: 'lora', testAccuracy: loraOnAll.testAccuracy, trainExamples: 32 },
      },
    });
    // its lineage names the files it read (train, dev, test), as a training's does
    expect(recorded.datasets).toHaveLength(3);
    // the runs list heads it with the best, and the rows its standing finds not clearly below it
    const close = (
      recorded.summary.standing.methods as { name: string; difference?: { clearlyWorse: boolean } }[]
    ).filter((method) => method.difference?.clearlyWorse === false);
    const listed = promptune('runs', 'ls', '--db', db).stdout;
    // (named as the table names it; its standing's best, the LoRA here, against the frozen model)
    expect(listed).toContain(`best LoRA ${loraOnAll.testAccuracy.toFixed(3)}`);
    if (close.length)
      expect(listed).toContain(`; not clearly below it: ${close.map((method) => method.name).join(', ')}`);
    else expect(listed).not.toContain('not clearly below');
    // JSON Lines of the entries alone, each line parsed
    const entries = promptune('runs', 'show', recorded.id, '--db', db, '--entries', 'measurement', '--json')
      .stdout.trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    // each with its row's name as the table prints it, which the dashboard shows as is
    expect(entries.map((entry) => entry.data.name)).toEqual(['LoRA', 'LoRA']);
    expect(entries.map((entry) => entry.data.perRequest)).toEqual([
      '23,120 multiply-adds/token',
      '23,120 multiply-adds/token',
    ]);
    expect(entries.map((entry) => [entry.data.trainExamples, entry.data.kept, entry.score])).toEqual(
      measurements
        .filter((item) => item.method === 'lora')
        .map((item) => [item.trainExamples, true, item.testAccuracy]),
    );
    expect(table.stderr).toContain(
      `--sizes 1000: ${basename(data)} has 32 training examples; measured as all of them`,
    );
    expect(readFileSync(journal, 'utf8').trimEnd().split('\n')).toHaveLength(12);
    // its page says when the measurements were made (the first run's times), apart from when it was written
    const [loraFew, loraAll] = measurements.filter((item) => item.method === 'lora');
    expect(Date.parse(loraFew!.measuredAt)).toBeLessThan(Date.parse(loraAll!.measuredAt));
    expect(readFileSync(rerunReport, 'utf8')).toContain(
      `<dt>measured</dt><dd>${loraFew!.measuredAt} to ${loraAll!.measuredAt}</dd><dt>load per core while training</dt>`,
    );
    // ... what it was measured on, and the whole training split's size as such
    expect(readFileSync(rerunReport, 'utf8')).toContain(`${basename(data)}: ${data} (train 32, dev `);
    expect(readFileSync(rerunReport, 'utf8')).toContain('>32 (all)</text>');
    // --no-resume measures again, and journals the new measurement
    const again = promptune('compare-methods', ...common, '--methods', 'lora', '--sizes', '8', '--no-resume');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('measured before');
    expect(readFileSync(journal, 'utf8').trimEnd().split('\n')).toHaveLength(13);
    const twin = join(mkdtempSync(join(tmpdir(), 'promptune-compare-twin-')), basename(data));
    mkdirSync(twin);
    for (const split of ['train', 'dev', 'test'])
      copyFileSync(join(data, `${split}.jsonl`), join(twin, `${split}.jsonl`));
    // a second task whose test split has a line that is not JSON: said before the first task trains
    const broken = join(mkdtempSync(join(tmpdir(), 'promptune-compare-broken-')), 'broken');
    mkdirSync(broken);
    for (const split of ['train', 'dev'])
      copyFileSync(join(data, `${split}.jsonl`), join(broken, `${split}.jsonl`));
    writeFileSync(
      join(broken, 'test.jsonl'),
      readFileSync(join(data, 'test.jsonl'), 'utf8') + '{"input": \n',
    );
    const refusals: [string[], string][] = [
      [['--methods', 'adapters'], 'CLI_INVALID_OPTION'],
      [['--methods', 'LoRA'], '--methods: LoRA is not a method; did you mean lora?'],
      [['--sizes', '16,0'], 'hint: A size is a whole number of training examples from 1, or all'],
      [['--methods', 'lora,lora'], 'names lora twice'],
      [['--sizes', '8,8'], 'names 8 twice'],
      [['--data', data], 'twice'],
      // refused before anything trains, so no table is lost to it
      [['--report', join(data, 'missing', 'report.html')], 'code: FILE_NOT_FOUND'],
      [['--report', data], 'code: PATH_IS_A_FOLDER'],
      [['--journal', data], 'code: PATH_IS_A_FOLDER'],
      // options no named method uses would be ignored; a task is named by its folder
      [['--methods', 'prompt-tuning'], '--rank applies to lora, and --methods names none of them'],
      [['--virtual-tokens', '0'], 'code: CLI_INVALID_OPTION'],
      // a method's own limits, before the first method trains (LoRA's had come after three of them)
      [['--rank', '100'], "the model's hidden size"],
      [['--virtual-tokens', '600'], 'hint: Use fewer --virtual-tokens'],
      [['--data', twin], `two --data folders are named ${basename(data)}`],
      [['--data', broken], `${join(broken, 'test.jsonl')}:17`],
      // a data file given for its folder is told the folder
      [
        ['--data', join(data, 'train.jsonl')],
        `hint: Give the folder that holds train.jsonl, dev.jsonl and test.jsonl (or .csv): --data ${data}.`,
      ],
    ];
    for (const [options, says] of refusals) {
      const refused = promptune('compare-methods', ...common, ...options);
      expect(refused.status, options.join(' ')).toBe(1);
      expect(refused.stderr).toContain(says);
      expect(refused.stderr).not.toMatch(/on \d+ examples/); // no method's progress line
    }
    // an edited journal is refused, not shown: an accuracy of 7.5, a measurement under another's key
    const lines = readFileSync(journal, 'utf8').trimEnd().split('\n');
    const edited = (line: string) =>
      promptune('compare-methods', ...common, '--methods', 'prompt-tuning,lora', '--sizes', '8')
        .stderr.replace(/\s+/g, ' ')
        .includes(line);
    writeFileSync(
      journal,
      [lines[0].replace(/"testAccuracy":[\d.]+/, '"testAccuracy":7.5'), ...lines.slice(1)].join('\n') + '\n',
    );
    expect(edited('code: COMPARE_JOURNAL_INVALID')).toBe(true);
    writeFileSync(
      journal,
      [lines[0].replace('"method":"prompt-tuning"', '"method":"lora"'), ...lines.slice(1)].join('\n') + '\n',
    );
    expect(edited('keeps')).toBe(true);
    // per-example results repeated to fake a larger test (each still agrees with its accuracy)
    writeFileSync(
      journal,
      [
        lines[0].replace(
          /"testCorrect":"([01]+)"/,
          (_, digits: string) => `"testCorrect":"${digits.repeat(3)}"`,
        ),
        ...lines.slice(1),
      ].join('\n') + '\n',
    );
    expect(edited('per-example results for')).toBe(true);
  });

  it("starts each task's multitask prompt from one trained on the other tasks", () => {
    const name = slice('name', { train: 16, dev: 8, test: 16 });
    const gender = slice('gender', { train: 16, dev: 8, test: 16 });
    const journal = join(name, 'journal.jsonl');
    const common = ['--journal', journal, '--model', stories.gguf, '--methods', 'multitask-prompt-tuning'];
    const both = [...common, '--data', name, '--data', gender, '--sizes', '8,all', '--epochs', '2'];
    const run = promptune('compare-methods', ...both, '--json');
    expect(run.status, run.stderr).toBe(0);
    // each task's source is trained once, for its first size, on the other task's 16 examples
    for (const [task, other] of [
      [name, gender],
      [gender, name],
    ])
      expect(run.stderr).toContain(
        `[${task === name ? 1 : 3}/4] ${basename(task)}: soft prompt (16 virtual tokens) as a shared prompt scaled by rank-4 task factors, started from a multitask prompt of ${basename(other)} (average) on 8 examples\n  first a multitask prompt of ${basename(other)}, trained on its 16 examples, to start from\n  a multitask prompt of ${basename(other)}: dev accuracy `,
      );
    expect(run.stderr.match(/first a multitask prompt/g)).toHaveLength(2);
    const measurements = (JSON.parse(run.stdout) as { measurements: unknown }).measurements as {
      task: string;
      sourceTasks?: string[];
      trainExamples: number;
      trainableParameters: number;
      testAccuracy: number;
      testLabelAccuracy?: number;
      frozen?: { testAccuracy: number; testLabelAccuracy?: number };
    }[];
    // gender is a label task: scored among its labels too (chance is 0.5), as it is served; and each task
    // has the frozen model's scores, the row to beat
    for (const item of measurements) {
      const labelled = item.task === basename(gender);
      expect(item.testLabelAccuracy !== undefined, item.task).toBe(labelled);
      expect(item.frozen?.testLabelAccuracy !== undefined, item.task).toBe(labelled);
      expect(item.frozen?.testAccuracy).toBeGreaterThanOrEqual(0);
    }
    expect(measurements.map((item) => [item.task, item.sourceTasks, item.trainExamples])).toEqual([
      [basename(name), [basename(gender)], 8],
      [basename(name), [basename(gender)], 16],
      [basename(gender), [basename(name)], 8],
      [basename(gender), [basename(name)], 16],
    ]);
    // the source's rank-4 factors (16 x 4, 4 x 64) beside the shared prompt, where a prompt from scratch
    // has rank 1
    expect(measurements[0].trainableParameters).toBe(16 * 64 + 16 * 4 + 4 * 64);
    // measured before: taken as they were, no source trained; the table names where each started
    const again = promptune('compare-methods', ...both);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr.match(/measured before/g)).toHaveLength(4);
    expect(again.stderr).not.toContain('first a multitask prompt');
    const accuracies = measurements
      .filter((item) => item.task === basename(name))
      .map(
        (item) =>
          `${item.trainExamples}${item.trainExamples === 16 ? ' (all)' : ''}: ${item.testAccuracy.toFixed(3)}`,
      );
    const frozen = measurements.find((item) => item.task === basename(gender))!.frozen!;
    expect(again.stdout).toContain(
      `| ${basename(gender)} | no tuning (the frozen model) | 0 | – | – | – | ${frozen.testAccuracy.toFixed(3)} | ${frozen.testLabelAccuracy!.toFixed(3)} |`,
    );
    expect(again.stdout).toMatch(
      new RegExp(
        `\\| ${basename(name)} \\| multitask prompt tuning \\(from ${basename(gender)}\\) \\| 1,344 \\| [\\d.]+ \\| [\\d.]+ \\| \\d+ \\| ${accuracies.join(', ').replace(/[()]/g, '\\$&')} \\|`,
      ),
    );
    // alone, the task's prompt starts from scratch: not the measurement of the transferred one
    const alone = promptune(
      'compare-methods',
      ...common,
      '--data',
      name,
      '--sizes',
      '8',
      '--epochs',
      '2',
      '--json',
    );
    expect(alone.status, alone.stderr).toBe(0);
    expect(alone.stderr).not.toContain('measured before');
    const [scratch] = (JSON.parse(alone.stdout) as { measurements: unknown }).measurements as {
      sourceTasks?: string[];
      trainableParameters: number;
    }[];
    expect(scratch.sourceTasks).toBeUndefined();
    expect(scratch.trainableParameters).toBe(16 * 64 + 16 + 64);
  }, 120_000);

  it('reads other field names, measures forgetting on --held-out text, warns of unseen test labels and says how to train its pick', () => {
    const data = slice('gender', { train: 16, dev: 8, test: 12 });
    // the fields renamed, and a test label no training example has
    for (const split of ['train', 'dev', 'test']) {
      const path = join(data, `${split}.jsonl`);
      const lines = readFileSync(path, 'utf8').trim().split('\n');
      const renamed = lines.map((line, index) => {
        const { input, target } = JSON.parse(line) as { input: string; target: string };
        return JSON.stringify({ story: input, answer: split === 'test' && index === 0 ? ' robot' : target });
      });
      writeFileSync(path, renamed.join('\n') + '\n');
    }
    const heldOut = join(data, 'stories.txt');
    writeFileSync(
      heldOut,
      'Once upon a time there was a little dog. He liked to run in the park.\n\nThe sun was bright and the birds sang in the tall tree.\n',
    );
    const report = join(data, 'report.html');
    const command = [
      ...['compare-methods', '--model', stories.gguf, '--data', data, '--methods', 'prompt-tuning,lora'],
      ...['--sizes', 'all', '--epochs', '1', '--journal', join(data, 'journal.jsonl')],
      ...['--input-field', 'story', '--target-field', 'answer', '--report', report],
    ];
    const run = promptune(...command, '--held-out', heldOut, '--json');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain('test.jsonl: 1 of 12 targets are none of the');
    const { measurements, standings } = JSON.parse(run.stdout) as {
      measurements: { heldOutPerplexity: { before: number } }[];
      standings: { task: string; pick?: string; methods: { name: string }[] }[];
    };
    expect(standings).toHaveLength(1);
    expect(standings[0].methods.map((method) => method.name)).toContain('no tuning (the frozen model)');
    // the held-out passages, not the test inputs: another perplexity, and another measurement
    const onTest = promptune(...command, '--json');
    expect(onTest.status, onTest.stderr).toBe(0);
    expect(onTest.stderr).not.toContain('measured before');
    const testInputs = (JSON.parse(onTest.stdout) as { measurements: typeof measurements }).measurements;
    expect(testInputs[0].heldOutPerplexity.before).not.toBeCloseTo(
      measurements[0].heldOutPerplexity.before,
      3,
    );
    expect(readFileSync(report, 'utf8')).toContain("each task's test inputs");
    // the table, the standing, and the command that trains the pick as it was compared
    const table = promptune(...command, '--held-out', heldOut);
    expect(table.stderr).toMatch(/measured before/);
    // on 12 test examples neither method is shown to beat the frozen model: it is the pick, and said
    expect(standings[0].pick).toBe('no tuning (the frozen model)');
    expect(table.stdout).toContain('No method is shown to beat the frozen model on 12 test examples');
    expect(table.stdout).not.toContain('To train');
    // where LoRA is clearly best, the command that trains it as it was compared
    const names = slice('name', { train: 32, dev: 8, test: 16 });
    const best = promptune(
      ...['compare-methods', '--model', stories.gguf, '--data', names, '--methods', 'lora'],
      ...['--sizes', 'all', '--epochs', '3', '--journal', join(names, 'journal.jsonl')],
    );
    expect(best.status, best.stderr).toBe(0);
    expect(best.stdout).toContain('Every other row is clearly below it.');
    expect(best.stdout).toContain(
      `To train LoRA for serving as compared: promptune soft train --method lora --rank 8 --model ${stories.gguf} --data ${names} --epochs 3 --batch-size 8 --seed 0 --out .promptune/soft/${basename(names)}-lora --push`,
    );
    expect(readFileSync(report, 'utf8')).toContain('the passages of stories.txt');
  }, 120_000);

  it('keeps what it measured when Ctrl-C stops it, and the same command measures the rest', async () => {
    const data = slice('name', { train: 32, dev: 8, test: 16 });
    const journal = join(data, 'journal.jsonl');
    const command = [
      'compare-methods',
      ...['--model', stories.gguf, '--data', data, '--methods', 'prompt-tuning'],
      ...['--sizes', '8,all', '--epochs', '10', '--journal', journal, '--json'],
    ];
    // stopped once the second size's 40 steps have begun: the first size is measured
    const { code, signal, stderr } = await interruptedRun(command, /on 32 examples/);
    expect([code, signal], stderr).toEqual([null, 'SIGINT']);
    expect(stderr).toContain(
      'SIGINT: stopping the comparison after the step under way and keeping what it measured',
    );
    const error = jsonError(stderr);
    expect(error.code).toBe('COMPARISON_INTERRUPTED');
    expect(error.message).toBe(
      `compare-methods stopped while training ${basename(data)}: soft prompt (16 virtual tokens) on 32 examples`,
    );
    expect(error.hint).toContain(`1 of the 2 measurements is kept in ${journal}`);
    const kept = JSON.parse(readFileSync(journal, 'utf8')).measurement as {
      trainExamples: number;
      testAccuracy: number;
    };
    expect(kept.trainExamples).toBe(8);
    const rest = spawnSync(process.execPath, [join(repositoryRoot, 'bin', 'promptune.js'), ...command], {
      encoding: 'utf8',
    });
    expect(rest.status, rest.stderr).toBe(0);
    expect(rest.stderr).toMatch(/on 8 examples: measured before/);
    const measured = (JSON.parse(rest.stdout) as { measurements: unknown }).measurements as {
      trainExamples: number;
      testAccuracy: number;
      steps: number;
    }[];
    expect(measured.map((item) => [item.trainExamples, item.steps])).toEqual([
      [8, 10],
      [32, 40],
    ]);
    expect(measured[0]).toEqual(kept);
  }, 120_000);
});
