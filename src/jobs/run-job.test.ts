// An attempt on a worker whose machine does not have the job's folder: the attempt fails saying so (it
// had failed as "spawn node ENOENT", which reads as a missing Node), and is left to another worker. A
// step stopped by its holder on purpose (a paused loop's) ends cancelled with why, not failed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from '../registry/index.js';
import { runJob } from './run-job.js';

describe('runJob', () => {
  it('ends a job its holder stopped on purpose as cancelled, with the reason given, not as a failure', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-run-job-'));
    const registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
    try {
      await registry.jobs.submit({
        kind: 'eval',
        args: ['eval', '--task', 'task.yaml'],
        cwd: folder,
        queue: 'registry',
        maxAttempts: 1,
        actor: 'ana',
      });
      const held = (await registry.jobs.claim('loop-a', 10_000))!;
      const controller = new AbortController();
      controller.abort(); // the loop was paused as its step began
      const ended = await runJob(registry.jobs, held, 'loop-a', {
        signal: controller.signal,
        stoppedReason: 'paused with loop run-1: running the loop again resumes it',
      });
      expect([ended.status, ended.error]).toEqual([
        'cancelled',
        'paused with loop run-1: running the loop again resumes it',
      ]);
    } finally {
      await registry.close();
    }
  });

  it('fails an attempt whose folder is not on this machine, naming the folder, and retries it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-run-job-'));
    const registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
    try {
      const missing = join(folder, 'elsewhere');
      await registry.jobs.submit({
        kind: 'eval',
        args: ['eval', '--task', 'task.yaml'],
        cwd: missing,
        queue: 'registry',
        maxAttempts: 3,
        actor: 'ana',
      });
      const held = (await registry.jobs.claim('worker-a', 10_000))!;
      const attempt = await runJob(registry.jobs, held, 'worker-a');
      expect(attempt.error).toBe(
        `its folder ${missing} is not on this worker's machine (worker-a): workers must see a job's folder at the path it was submitted from`,
      );
      expect(attempt.status).toBe('queued'); // attempts remain: another worker may see the folder
    } finally {
      await registry.close();
    }
  });
});
