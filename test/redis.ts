// Starts a throwaway Redis server from Debian's redis-server for the job-queue tests: on 127.0.0.1 at a
// free port, nothing saved to disk. Where redis-server is not installed the tests are skipped with a
// message, except where CI requires it (PROMPTUNE_REQUIRE_REDIS=1): there a missing server fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './postgres.js';

export const redisServerPath = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => (socket.end(), resolve(true)));
    socket.on('error', () => resolve(false));
  });

/** A running server: its URL, and a stop that removes its folder. */
export interface TestRedis {
  url: string;
  stop(): Promise<void>;
  /** Stops it answering while its connections stay open (SIGSTOP), as a network partition does. */
  pause(): void;
  /** Lets it answer again (SIGCONT): it then runs what it was sent meanwhile. */
  resume(): void;
}

export async function startRedis(): Promise<TestRedis> {
  const directory = mkdtempSync(join(tmpdir(), 'promptune-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    redisServerPath,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory],
    { stdio: 'ignore' },
  );
  for (let wait = 0; wait < 200 && !(await accepts(port)); wait++)
    await new Promise((resolve) => setTimeout(resolve, 25));
  return {
    url: `redis://127.0.0.1:${port}`,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGCONT'); // a paused server takes no SIGTERM until it runs again
      child.kill('SIGTERM');
      await exited;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Defines `body`'s tests inside a describe block with a running Redis server (`url()` gives its URL). */
export function describeRedis(name: string, body: (url: () => string) => void): void {
  const installed = existsSync(redisServerPath);
  it(`redis-server is installed where CI requires it (${name})`, () => {
    if (process.env.PROMPTUNE_REQUIRE_REDIS === '1') expect(installed).toBe(true);
    if (!installed)
      console.warn(`redis-server is not installed: "${name}" is skipped (apt-get install redis-server)`);
  });
  describe.skipIf(!installed)(name, () => {
    let server: TestRedis;
    beforeAll(async () => {
      server = await startRedis();
    }, 30_000);
    afterAll(() => server?.stop(), 60_000); // a loaded machine takes a while to stop it and remove its data
    body(() => server.url);
  });
}
