// Jobs whose worker dies, on the registry queue (the embedded default) and through BullMQ on a real
// Redis (Debian's redis-server, started here): an optimization with --push submitted as a job, run by a
// `promptune worker` process that is killed with SIGKILL while the model server holds one of its
// requests; a second worker gets the job once the first one's lease (or BullMQ lock) lapses, and the
// command resumes from its journal. Over both attempts the model server is asked no answered
// prompt again (only what was in flight at the kill), the job ends completed on its second attempt,
// and the registry holds one version. The model is scripted (a real OpenAI-compatible HTTP server
// answering sums): this tests the queue and resumption, not model quality.
import Database from 'better-sqlite3';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCli, sumsTask } from './cli-optimize-helpers.js';
import { repositoryRoot } from './models.js';
import { describeRedis } from './redis.js';
import { serveScriptedChat, type ScriptedChatServer } from './scripted-model.js';

const bin = join(repositoryRoot, 'bin', 'promptune.js');
let server: ScriptedChatServer;

beforeAll(async () => {
  // the sum of the last question in the prompt, right three times in four
  server = await serveScriptedChat((prompt) => {
    const questions = [...prompt.matchAll(/(\d+) \+ (\d+)/g)];
    const last = questions.at(-1);
    if (!last) return ' ?';
    const sum = Number(last[1]) + Number(last[2]);
    return sum % 4 === 0 ? ` ${sum + 1}` : ` ${sum}`;
  });
});
afterAll(() => server?.close());

/** A worker process taking jobs from the registry queue, or from BullMQ at `redis`, with a 2 s lease. */
function startWorker(cwd: string, redis?: string): ChildProcess {
  const queue = redis ? ['--redis', redis] : [];
  return spawn(process.execPath, [bin, 'worker', ...queue, '--lease', '2s'], { cwd, stdio: 'ignore' });
}

const stopped = (child: ChildProcess, signal: NodeJS.Signals) => {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  return exited;
};

const args = (model: string) => [
  'optimize',
  '--task',
  'task.yaml',
  '--model',
  model,
  '--dev-limit',
  '8',
  '--max-calls',
  '48',
  '--out',
  'prompt.json',
  '--push',
];

/** The calls the optimization needs when nothing interrupts it. */
let needed = 0;
beforeAll(async () => {
  const baseline = sumsTask();
  const first = server.requests;
  expect((await startCli(baseline, args(`openai-compatible:${server.url}#scripted`)).done()).status).toBe(0);
  needed = server.requests - first;
});

/** Submits the optimization as a job, kills its first worker mid-job, and checks the second finishes it. */
async function killedMidJob(redis?: string) {
  const cwd = sumsTask();
  const queue = redis ? ['--redis', redis] : [];
  const command = args(`openai-compatible:${server.url}#scripted`);
  const submitted = spawnSync(
    process.execPath,
    [bin, 'job', 'submit', ...queue, '--json', '--', ...command],
    {
      cwd,
      encoding: 'utf8',
    },
  );
  expect(submitted.status, submitted.stderr).toBe(0);
  // no worker yet: the submit says the job waits for one
  if (redis) expect(submitted.stderr).toMatch(/^warning: no worker listens on the BullMQ queue at redis:/m);
  const { id } = JSON.parse(submitted.stdout) as { id: string };
  const before = server.requests;
  const held = before + Math.floor(needed / 2);
  const arrived = server.holdRequest(held);
  const doomed = startWorker(cwd, redis);
  await arrived;
  await stopped(doomed, 'SIGKILL');
  // the worker's command dies with it (it kills itself when its IPC channel closes), but a moment
  // later: the held answer is sent only once its connection is gone, so nothing journals it
  await server.heldClosed();
  server.releaseHeld();
  const rescuer = startWorker(cwd, redis);
  const registry = new Database(join(cwd, '.promptune', 'registry.sqlite'), { readonly: true });
  const job = () =>
    registry.prepare('select status, attempts, log from jobs where id = ?').get(id) as {
      status: string;
      attempts: number;
      log: string;
    };
  try {
    for (let wait = 0; wait < 600 && !['completed', 'failed', 'cancelled'].includes(job().status); wait++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(job().status, job().log).toBe('completed');
    expect(job().attempts).toBe(2);
    expect(job().log).toMatch(/--- attempt 2 on .* \(the previous one stopped without finishing\) ---/);
    const versions = registry.prepare("select count(*) as n from versions where task = 'sums'").get() as {
      n: number;
    };
    expect(versions.n).toBe(1);
    // the dead attempt's run is ended by the next attempt, not left running until its heartbeat lapses
    const runs = registry.prepare('select id, status, error from runs order by started_at').all() as {
      id: string;
      status: string;
      error: string | null;
    }[];
    expect(runs.map((run) => run.status)).toEqual(['failed', 'completed']);
    expect(runs[0].error).toBe(`its worker stopped; attempt 2 of job ${id} goes on in run ${runs[1].id}`);
  } finally {
    registry.close();
    await stopped(rescuer, 'SIGTERM');
  }
  const asked = server.prompts.slice(before);
  const repeated = asked.filter((prompt, index) => asked.indexOf(prompt) !== index);
  console.log(
    `${redis ? 'BullMQ' : 'registry queue'}: job killed at request ${held - before} of ${needed}; ${asked.length} requests over both attempts, ${repeated.length} asked again`,
  );
  // what was asked again was in flight when the worker died (the held request, and any sent beside it)
  expect(repeated.length).toBeLessThanOrEqual(4);
  expect(repeated).toContain(server.prompts[held - 1]);
  expect(asked.length).toBe(needed + repeated.length);
}

it('retries a job of the registry queue whose worker was killed mid-job: no answered call asked again, one version', async () => {
  await killedMidJob();
}, 180_000);

it('refuses a submit whose Redis does not answer, leaving no job queued', () => {
  const cwd = sumsTask();
  const submit = spawnSync(
    process.execPath,
    [
      bin,
      'job',
      'submit',
      '--redis',
      'redis://127.0.0.1:1',
      '--',
      ...args('openai-compatible:http://127.0.0.1:1#m'),
    ],
    { cwd, encoding: 'utf8', timeout: 60_000 },
  );
  expect(submit.status, submit.stderr).toBe(1);
  expect(submit.stderr).toMatch(
    /^error: Redis at redis:\/\/127\.0\.0\.1:1 did not answer in 10 s: .*ECONNREFUSED/m,
  );
  expect(submit.stderr).toMatch(/^code: CONNECTION_FAILED$/m);
  expect(submit.stderr).not.toMatch(/^\s+at /m); // no stack traces of the connection's retries
  const jobs = spawnSync(process.execPath, [bin, 'job', 'ls'], { cwd, encoding: 'utf8' });
  expect(jobs.stdout).not.toMatch(/job-/);
}, 60_000);

it('refuses a worker whose Redis does not answer, as a submit is refused, instead of running on unconnected', () => {
  const cwd = sumsTask();
  const worker = spawnSync(process.execPath, [bin, 'worker', '--redis', 'redis://127.0.0.1:1'], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(worker.status, worker.stderr).toBe(1);
  expect(worker.stdout).not.toContain('taking jobs');
  expect(worker.stderr).toMatch(
    /^error: Redis at redis:\/\/127\.0\.0\.1:1 did not answer in 10 s: .*ECONNREFUSED/m,
  );
  expect(worker.stderr).toMatch(/^code: CONNECTION_FAILED$/m);
  expect(worker.stderr).not.toMatch(/^worker: /m);
}, 60_000);

describeRedis('jobs on BullMQ', (redisUrl) => {
  it('retries a job whose worker was killed mid-job: no answered call asked again, one version registered', async () => {
    await killedMidJob(redisUrl());
  }, 180_000);
});
