// Runs recorded as a job's attempts: a retried attempt ends the runs its dead predecessor left running,
// and only those (a multitask training's later runs must not end the attempt's own first one); a run
// stopped on request ends cancelled; a database gone mid-run is waited out, its writes kept.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InterruptedError } from '../errors/index.js';
import { Registry, RunStore } from '../registry/index.js';
import { recordRun } from './run-recorder.js';

const environment = { ...process.env };
afterEach(() => {
  for (const name of ['PROMPTUNE_JOB', 'PROMPTUNE_JOB_ATTEMPT', 'DATABASE_URL']) {
    if (environment[name] === undefined) delete process.env[name];
    else process.env[name] = environment[name];
  }
});

describe('recordRun in a job', () => {
  it("ends the earlier attempts' live runs, not this attempt's own, and a stopped run as cancelled", async () => {
    delete process.env.DATABASE_URL;
    const db = join(mkdtempSync(join(tmpdir(), 'promptune-recorder-')), 'registry.sqlite');
    const registry = await Registry.open({ path: db });
    const job = await registry.jobs.submit({
      kind: 'soft-train',
      args: ['soft', 'train'],
      cwd: tmpdir(),
      queue: 'registry',
      maxAttempts: 3,
      actor: 'ana',
    });
    await registry.close();
    const start = { kind: 'soft-training' as const, task: 'name', config: {} };
    process.env.PROMPTUNE_JOB = job.id;
    process.env.PROMPTUNE_JOB_ATTEMPT = '1';
    const lost = await recordRun(db, start); // its worker dies: it never ends
    process.env.PROMPTUNE_JOB_ATTEMPT = '2';
    const first = await recordRun(db, start);
    const second = await recordRun(db, start); // a multitask training's next task, same attempt
    await second.fail(
      new InterruptedError('training stopped at step 3 of 10', { code: 'TRAIN_INTERRUPTED' }),
    );
    await first.complete({ steps: 10 });
    const reopened = await Registry.open({ path: db });
    try {
      const status = async (id: string) => (await reopened.runs.get(id)).status;
      expect(await status(lost.id)).toBe('failed');
      expect((await reopened.runs.get(lost.id)).error).toBe(
        `its worker stopped; attempt 2 of job ${job.id} goes on in run ${first.id}`,
      );
      expect(await status(first.id)).toBe('completed');
      expect(await status(second.id)).toBe('cancelled');
    } finally {
      await reopened.close();
      // the dead attempt's recorder, ended here (its ending on a signal is this process's otherwise)
      await lost.fail(new Error('its worker died')).catch(() => undefined);
    }
  });

  it("waits out the registry's database gone mid-run, writing everything once it answers", async () => {
    delete process.env.DATABASE_URL;
    delete process.env.PROMPTUNE_JOB;
    const db = join(mkdtempSync(join(tmpdir(), 'promptune-recorder-')), 'registry.sqlite');
    // the database restarting: two writes find no connection (as node-postgres says it), then it answers
    const gone = () => Object.assign(new Error('Connection terminated unexpectedly'), { code: undefined });
    const append = vi.spyOn(RunStore.prototype, 'append');
    append.mockRejectedValueOnce(gone()).mockRejectedValueOnce(gone());
    const said = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const run = await recordRun(db, { kind: 'soft-training', task: 'name', config: {} });
      run.add([{ kind: 'step', position: 1, score: 0.5, passed: null, data: { loss: 2 } }]);
      run.progress(1, 1);
      await run.complete({ steps: 1 });
      const told = said.mock.calls.map(([text]) => String(text));
      expect(told).toEqual([
        `the registry's database is unreachable (Connection terminated unexpectedly); run ${run.id}'s writes wait for it\n`,
        `the registry's database answers again; run ${run.id}'s writes go on\n`,
      ]);
      said.mockRestore();
      const reopened = await Registry.open({ path: db });
      try {
        expect((await reopened.runs.get(run.id)).status).toBe('completed');
        expect((await reopened.runs.allEntries(run.id, 'step')).map((entry) => entry.data)).toEqual([
          { loss: 2 },
        ]);
      } finally {
        await reopened.close();
      }
    } finally {
      said.mockRestore();
      append.mockRestore();
    }
  });
});
