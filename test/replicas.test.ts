// Two `promptune serve` processes on one real PostgreSQL: a label moved through one replica is served
// by the other within a second, as are an experiment's start and stop, and a key revoked from the
// command line is refused by both within a second. The resolution caches last 10 s while notices
// arrive, so these show the notices (LISTEN/NOTIFY), not the caches expiring.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePostgres } from './registry-postgres.js';
import { repositoryRoot, stories } from './models.js';

const bin = join(repositoryRoot, 'bin', 'promptune.js');

describePostgres('replicas on one Postgres', (freshDatabase) => {
  const cwd = mkdtempSync(join(tmpdir(), 'promptune-replicas-'));
  const replicas: { child: ChildProcess; url: string }[] = [];
  let environment: NodeJS.ProcessEnv;
  let admin = '';
  let reader = '';
  const cli = (...args: string[]) => {
    const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: environment });
    expect(result.status, result.stderr).toBe(0);
    return result.stdout;
  };

  beforeAll(async () => {
    environment = { ...process.env, DATABASE_URL: await freshDatabase(), LOG_LEVEL: 'warn' };
    for (const [file, template] of [
      ['a.yaml', 'Once upon a time, {{input}}'],
      ['b.yaml', 'One day, {{input}}'],
    ]) {
      writeFileSync(join(cwd, file), `name: story\nprompt:\n  template: "${template}"\n`);
      cli(
        'registry',
        'push',
        '--task',
        file,
        ...(file === 'a.yaml' ? ['--label', 'production', '--admin'] : []),
      );
    }
    admin = cli('keys', 'create', '--scopes', 'admin', '--name', 'ops').trim();
    reader = cli('keys', 'create', '--scopes', 'read,run', '--name', 'app').trim();
    for (let index = 0; index < 2; index++) {
      const child = spawn(process.execPath, [bin, 'serve', '--model', stories.gguf, '--port', '0'], {
        cwd,
        env: environment,
      });
      let stdout = '';
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      for (let wait = 0; wait < 400 && !/listening on (\S+)/.test(stdout); wait++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      replicas.push({ child, url: /listening on (\S+)/.exec(stdout)![1] });
      // each says which registry it serves (replicas meant to share one must name the same)
      expect(stdout).toMatch(/^listening on \S+ \(dashboard at \S+\), registry postgres(ql)?:\/\/\S+\n/m);
    }
  }, 120_000);

  afterAll(async () => {
    for (const { child } of replicas) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  const versions = async (url: string, key = reader) => {
    const response = await fetch(`${url}/v1/tasks/story/versions`, {
      headers: { authorization: `Bearer ${key}` },
    });
    return ((await response.json()) as { data: { id: string; number: number }[] }).data;
  };
  /** The version that serves `user`'s request through `url` (its promptune-version header), or the status. */
  const served = async (url: string, user = 'someone', key = reader) => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'story',
        user,
        max_tokens: 2,
        messages: [{ role: 'user', content: 'Tim' }],
      }),
    });
    await response.arrayBuffer();
    return response.status === 200 ? response.headers.get('promptune-version') : `status ${response.status}`;
  };
  /** Milliseconds until `check` holds on replica `url`, polled every 25 ms (fails after 5 s). */
  const until = async (check: () => Promise<boolean>) => {
    const started = performance.now();
    while (!(await check())) {
      expect(performance.now() - started).toBeLessThan(5000);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return performance.now() - started;
  };
  const asAdmin = (url: string, method: string, path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
    }));

  it('serves a label moved through one replica from the other within a second', async () => {
    const [first, second] = replicas.map((replica) => replica.url);
    const [one, two] = await versions(first);
    expect(await served(second)).toBe(one.id); // cached on the second replica now
    const moved = await asAdmin(first, 'PUT', '/v1/tasks/story/labels/production', {
      version: 2,
      reason: 'replica test',
    });
    expect(moved.status).toBe(200);
    const elapsed = await until(async () => (await served(second)) === two.id);
    expect(elapsed).toBeLessThan(1000);
    // and back, through the other one
    await asAdmin(second, 'POST', '/v1/tasks/story/labels/production/rollback', {});
    expect(await until(async () => (await served(first)) === one.id)).toBeLessThan(1000);
  });

  it('splits traffic on both replicas once an experiment starts on one, and stops splitting when it stops', async () => {
    const [first, second] = replicas.map((replica) => replica.url);
    const [one, two] = await versions(first);
    const users = Array.from({ length: 20 }, (_, index) => `user-${index}`);
    const mix = async (url: string) => new Set(await Promise.all(users.map((user) => served(url, user))));
    expect(await mix(second)).toEqual(new Set([one.id]));
    const started = await asAdmin(first, 'POST', '/v1/experiments', {
      task: 'story',
      treatment: 2,
      primary: 'helpful',
      schedule: [{ weight: 0.5, minimumDurationMs: 3_600_000, minimumRequests: 100 }],
    });
    expect(started.status).toBe(201);
    expect(await until(async () => (await mix(second)).size === 2)).toBeLessThan(1000);
    // the same user gets the same arm from either replica
    for (const user of users) expect(await served(first, user)).toBe(await served(second, user));
    await asAdmin(first, 'POST', `/v1/experiments/${String(started.body.id)}/stop`, {
      reason: 'replica test',
    });
    expect(await until(async () => (await mix(second)).size === 1)).toBeLessThan(1000);
    expect(await mix(second)).toEqual(new Set([one.id]));
    void two;
  });

  it('refuses a key revoked from the command line on every replica within a second', async () => {
    const doomed = cli('keys', 'create', '--scopes', 'read,run', '--name', 'doomed').trim();
    for (const { url } of replicas) expect(await served(url, 'x', doomed)).toMatch(/^[0-9a-f]{64}$/);
    const id = /^pt_([^_]+)_/.exec(doomed)![1];
    cli('keys', 'revoke', id);
    for (const { url } of replicas)
      expect(await until(async () => (await served(url, 'x', doomed)) === 'status 401')).toBeLessThan(1000);
  });
});
