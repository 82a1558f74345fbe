// Human review end to end on stories260K, as users run it: `promptune serve` answers the `gender` task
// with its hand-written prompt; `review feed` queues the served traffic by a sampling rule; two
// reviewers with their own review keys decide every item over HTTP (correcting the wrong answers, and
// disagreeing once); `review agreement` reports kappa; `review dataset` writes dataset version 2;
// `soft train` on it; `soft eval` answers the corrected examples, which the served prompt got wrong.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin, feedQueue, lines, run, startService, writeGenderTask, writeLines } from './gender-service.js';
import { stories } from './models.js';

describe('human review from served traffic to a re-trained soft prompt', () => {
  it(
    'queues, reviews, agrees, writes dataset version 2, and trains on it',
    { timeout: 240_000 },
    async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'promptune-review-loop-'));
      // version 1 of the data: part of the shared train and dev splits; served traffic: other train rows
      const train = writeGenderTask(cwd);
      const traffic = train.slice(300, 324);
      const truth = new Map(traffic.map((row) => [row.input, row.target]));
      run(cwd, 'registry', 'push', '--task', 'gender.yaml', '--label', 'production', '--admin');
      expect(run(cwd, 'dataset', 'versions', 'gender')).toMatch(
        /^ +1 .* files .* train 256, dev 32, test 32/m,
      );
      const key = (name: string, scopes: string) =>
        run(cwd, 'keys', 'create', '--name', name, '--scopes', scopes).trim();
      const client = key('app', 'run');
      const reviewers = { alice: key('alice', 'review'), bob: key('bob', 'review') };
      writeFileSync(
        join(cwd, 'queue.yaml'),
        'reviewsPerItem: 2\nreviewers: [alice, bob]\nrules:\n  - kind: sample\n    rate: 1\n',
      );
      run(cwd, 'review', 'create', 'gender-review', '--task', 'gender', '--config', 'queue.yaml');

      const service = await startService(cwd);
      const call = async (bearer: string, method: string, path: string, body?: unknown) =>
        (await service.call(bearer, method, path, body)).body;
      try {
        const served = new Map<string, string>();
        for (const row of traffic) {
          const answer = await call(client, 'POST', '/v1/chat/completions', {
            model: 'gender@production',
            messages: [{ role: 'user', content: row.input }],
          });
          served.set(row.input, answer.choices[0].message.content as string);
        }
        // wrong: the served answer does not start with the label (how the task's metric scores it)
        const wrong = traffic.filter((row) => !served.get(row.input)!.startsWith(row.target));
        expect(wrong.length).toBeGreaterThanOrEqual(4);

        // the traces reach the registry within a second or two; the rule queues each once
        const queued = await feedQueue(cwd, 'gender-review', traffic.length);
        expect(queued).toBe(traffic.length);
        // fed again: nothing new, and it says why
        expect(run(cwd, 'review', 'feed', 'gender-review', '--since', '1h')).toContain(
          'queued 0 item(s) in gender-review (no trace of the window matches its rules that is not queued already)',
        );

        // both reviewers decide every item: approve an exact answer, else correct it to the label; bob
        // rejects the first item alice corrects instead (the one disagreement)
        let disagreed = '';
        for (const [name, bearer] of Object.entries(reviewers))
          for (;;) {
            const next = await call(bearer, 'POST', '/v1/review/queues/gender-review/next');
            if (next.item === null) break;
            const { id, input, output } = next.item as {
              id: string;
              input: { input: string };
              output: string;
            };
            const target = truth.get(input.input)!;
            let decision: object = output.startsWith(target)
              ? { decision: 'approve' }
              : { decision: 'correct', correction: target };
            if (name === 'bob' && !disagreed && !output.startsWith(target)) {
              disagreed = input.input;
              decision = { decision: 'reject' };
            }
            expect(await call(bearer, 'POST', `/v1/review/items/${id}/decision`, decision)).toMatchObject({
              reviewer: name,
            });
          }
        expect(disagreed).not.toBe('');
        const agreement = JSON.parse(run(cwd, 'review', 'agreement', 'gender-review', '--json'));
        expect(agreement).toMatchObject({
          reviewers: ['alice', 'bob'],
          decision: { statistic: 'cohen-kappa', items: traffic.length },
          progress: { items: traffic.length, reviewed: traffic.length },
        });
        expect(agreement.decision.value).toBeGreaterThan(0);
        expect(agreement.decision.value).toBeLessThan(1);

        // corrections become dataset version 2 (the disagreement held back), pulled as files
        const written = JSON.parse(run(cwd, 'review', 'dataset', 'gender-review', '--out', 'v2', '--json'));
        expect(written.version).toMatchObject({ number: 2, parent: 1, source: 'review:gender-review' });
        expect(written.created).toBe(true);
        expect(written.held).toEqual([{ item: expect.any(String), reason: 'disagreement' }]);
        // run again, nothing new is written, and the answer says so
        expect(run(cwd, 'review', 'dataset', 'gender-review')).toMatch(
          /^no new rows: gender stays at dataset version 2; \d+ duplicate\(s\) left out/,
        );
        expect(JSON.parse(run(cwd, 'review', 'dataset', 'gender-review', '--json'))).toMatchObject({
          version: { number: 2 },
          created: false,
          added: {},
        });
        const v2 = [...lines(join(cwd, 'v2', 'train.jsonl')), ...lines(join(cwd, 'v2', 'dev.jsonl'))];
        expect(v2).toHaveLength(256 + 32 + traffic.length - 1);
        expect(lines(join(cwd, 'v2', 'test.jsonl'))).toEqual(lines(join(cwd, 'data', 'test.jsonl')));
        expect(v2.find((row) => row.input === disagreed)).toBeUndefined();
        expect(
          v2.find((row) => row.input === wrong[0].input && wrong[0].input !== disagreed) ?? v2.at(-1),
        ).toMatchObject({
          provenance: { queue: 'gender-review', reviewers: ['alice', 'bob'] },
        });

        // soft train on version 2; the corrected examples the served prompt got wrong are now answered
        // --baseline names the task the soft version belongs to (and scores its hand-written prompt first)
        run(
          cwd,
          'soft',
          'train',
          '--model',
          stories.gguf,
          '--data',
          'v2',
          '--baseline',
          'gender.yaml',
          '--out',
          'adapter',
          '--push',
        );
        const corrected = wrong.filter((row) => row.input !== disagreed);
        writeLines(join(cwd, 'corrected.jsonl'), corrected);
        const evaluation = JSON.parse(
          run(
            cwd,
            'soft',
            'eval',
            '--model',
            stories.gguf,
            '--adapter',
            'adapter',
            '--data',
            'corrected.jsonl',
            '--json',
          ),
        );
        expect(evaluation.n).toBe(corrected.length);
        expect(evaluation.accuracy).toBeGreaterThanOrEqual(0.75);
        // the training run's lineage names version 2's files (pulled files are the stored bytes)
        const training = JSON.parse(
          run(cwd, 'runs', 'ls', '--kind', 'soft-training', '--json').split('\n')[0],
        );
        const version2 = JSON.parse(run(cwd, 'dataset', 'versions', 'gender', '--json'))[1];
        expect(training.task).toBe('gender');
        expect(training.datasets.sort()).toEqual(Object.values(version2.splits).sort());
        // the push stored no new dataset version: the files are version 2's
        expect(JSON.parse(run(cwd, 'dataset', 'versions', 'gender', '--json'))).toHaveLength(2);
        // the hand-written prompt evaluated on version 2's dev split, without editing the spec
        const dev = JSON.parse(
          run(
            cwd,
            'eval',
            '--task',
            'gender.yaml',
            '--model',
            `local:${stories.gguf}`,
            '--data',
            'v2',
            '--split',
            'dev',
            '--json',
          ),
        );
        expect(dev.examples).toBe(32 + (written.added.dev ?? 0));
        const nowhere = spawnSync(
          'node',
          [bin, 'eval', '--task', 'gender.yaml', '--model', `local:${stories.gguf}`, '--data', 'nowhere'],
          { cwd, encoding: 'utf8' },
        );
        expect(nowhere.stderr).toContain('code: DATASET_NOT_FOUND');
        process.stdout.write(
          `review loop: ${traffic.length} served, ${wrong.length} wrong; kappa ${agreement.decision.value.toFixed(3)}; ` +
            `v2 added ${JSON.stringify(written.added)}; corrected examples right after training on v2: ${evaluation.accuracy.toFixed(3)} (served prompt: 0)\n`,
        );
      } finally {
        await service.stop();
      }
    },
  );
});
