// `promptune keys` and `promptune serve` as a user runs them: a key printed once, the service answering
// with it (a request id on every answer, no model path in /ready), and a SIGTERM during a streamed
// request that still completes (its trace written) before the process exits 0, a new request in the
// drain delay answered; and a kill -9 under load that loses at most the queued traces.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runsSkylakeX } from '../src/engine/kernels/blas-core.js';
import { Registry } from '../src/registry/index.js';
import { repositoryRoot, stories } from './models.js';

const bin = join(repositoryRoot, 'bin', 'promptune.js');
const run = (cwd: string, ...args: string[]) => spawnSync('node', [bin, ...args], { cwd, encoding: 'utf8' });

/**
 * The URL a started `promptune serve` prints once it listens (up to 30 s: a loaded machine loads the
 * engine slowly); its stderr in the error when it does not.
 */
async function listening(server: ChildProcess, stdout: () => string): Promise<string> {
  let stderr = '';
  server.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (let i = 0; i < 600 && !/listening on (\S+)/.test(stdout()); i++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const match = /listening on (\S+)/.exec(stdout());
  if (!match) throw new Error(`promptune serve did not start in 30 s:\n${stdout()}\n${stderr}`);
  return match[1];
}

describe('promptune serve', () => {
  it('serves registry tasks with a key from keys create, and drains in-flight requests on SIGTERM', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-serve-'));
    expect(
      run(
        cwd,
        'registry',
        'push',
        '--task',
        join(repositoryRoot, 'examples', 'name.yaml'),
        '--label',
        'staging',
      ).status,
    ).toBe(0);
    const created = run(cwd, 'keys', 'create', '--scopes', 'run,read', '--name', 'ci');
    expect(created.status).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^pt_[0-9a-f]{12}_/);
    expect(run(cwd, 'keys', 'ls').stdout).not.toContain(key.slice(-20));
    expect(run(cwd, 'keys', 'revoke', 'ffffffffffff').stderr).toContain('code: KEY_NOT_FOUND');
    // a second active key of one name acts as the same person: said at creation
    const namesake = run(cwd, 'keys', 'create', '--scopes', 'read', '--name', 'ci');
    expect(namesake.stderr).toMatch(
      /^warning: key [0-9a-f]{12} is also named ci and active: both act as ci/m,
    );
    expect(run(cwd, 'keys', 'create', '--scopes', 'read', '--name', 'other').stderr).not.toContain('warning');

    // OpenBLAS's kernels left to promptune: the engine worker must still get the CPU's (not the generic ones)
    const { OPENBLAS_CORETYPE: _chosen, ...environment } = process.env;
    const server = spawn(
      'node',
      [bin, 'serve', '--model', stories.gguf, '--port', '0', '--drain-delay', '1.5'],
      {
        cwd,
        env: { ...environment, LOG_LEVEL: 'warn' },
      },
    );
    let stdout = '';
    server.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => server.on('exit', resolve));
    const url = await listening(server, () => stdout);
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const body = (extra: object) =>
      JSON.stringify({
        model: 'name@staging',
        messages: [{ role: 'user', content: 'Lily' }],
        max_tokens: 24,
        ...extra,
      });
    const plain = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers, body: body({}) });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // readiness names the model it was given by absolute path without that path
    const ready = await (await fetch(`${url}/ready`)).text();
    expect(JSON.parse(ready)).toMatchObject({ status: 'ready', engine: { model: 'stories260K.gguf' } });
    const { kernels } = (JSON.parse(ready) as { engine: { kernels: string } }).engine;
    if (runsSkylakeX()) expect(kernels).toMatch(/^native, OpenBLAS SkylakeX(,|$)/);
    // and says how its threads wait: the suite runs with OMP_WAIT_POLICY=PASSIVE
    if (kernels.includes('OpenMP')) expect(kernels).toContain('OpenMP threads sleep between products');
    expect(ready).not.toContain(stories.gguf);
    const text = ((await plain.json()) as { choices: { message: { content: string } }[] }).choices[0].message
      .content;

    // a streamed request is in flight when SIGTERM arrives: it still completes, then the process exits 0
    const streamed = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: body({ stream: true }),
    });
    server.kill('SIGTERM');
    // within the drain delay it says it is draining, yet still answers a new request, closing its connection
    await new Promise((resolve) => setTimeout(resolve, 200));
    const draining = await fetch(`${url}/ready`);
    expect([draining.status, await draining.json()]).toEqual([503, { status: 'draining' }]);
    const late = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers, body: body({}) });
    expect([late.status, late.headers.get('connection')]).toEqual([200, 'close']);
    const events = await streamed.text();
    expect(events.trim().endsWith('data: [DONE]')).toBe(true);
    const deltas = events
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map(
        (line) =>
          (JSON.parse(line.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0].delta
            .content ?? '',
      )
      .join('');
    expect(deltas).toBe(text);
    expect(await exited).toBe(0);
    // drained: the three requests' traces were written before the process exited
    const registry = await Registry.open({ path: join(cwd, '.promptune', 'registry.sqlite') });
    expect(await registry.traces.count({ task: 'name' })).toBe(3);
    await registry.close();
  }, 60_000);

  it('loses at most the trace queue to a kill -9, and never a written trace', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'promptune-serve-kill-'));
    expect(run(cwd, 'registry', 'push', '--task', join(repositoryRoot, 'examples', 'name.yaml')).status).toBe(
      0,
    );
    const key = run(cwd, 'keys', 'create', '--scopes', 'run', '--name', 'load').stdout.trim();
    // the bound this test states: what is queued when the process dies, at most --trace-queue (500)
    // traces, and in practice those answered in the last flush interval (100 ms)
    const queue = 500;
    const server = spawn(
      'node',
      [
        bin,
        'serve',
        '--model',
        stories.gguf,
        '--port',
        '0',
        '--trace-queue',
        String(queue),
        '--rate-limit',
        '1000000',
      ],
      { cwd, env: { ...process.env, LOG_LEVEL: 'warn' } },
    );
    let stdout = '';
    server.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      server.on('exit', (_code, signal) => resolve(signal)),
    );
    const url = await listening(server, () => stdout);
    const answered: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 3000) {
          next++;
          const response = await fetch(`${url}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              model: 'name',
              messages: [{ role: 'user', content: `Lily ${next}` }],
              max_tokens: 1,
            }),
          });
          expect(response.status).toBe(200);
          answered.push(((await response.json()) as { id: string }).id);
        }
      }),
    );
    server.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const registry = await Registry.open({ path: join(cwd, '.promptune', 'registry.sqlite') });
    const stored = new Set<string>();
    let after: string | undefined;
    do {
      const page = await registry.traces.list({}, { limit: 500, after });
      for (const trace of page.data) stored.add(trace.id);
      after = page.next;
    } while (after);
    const lost = answered.filter((id) => !stored.has(id)).length;
    console.log(
      `kill -9 after ${answered.length} answered requests: ${stored.size} traces stored, ${lost} lost (bound ${queue})`,
    );
    expect(stored.size + lost).toBe(answered.length); // nothing stored that was not answered
    expect(lost).toBeLessThanOrEqual(queue);
    await registry.close();

    // what an operator reads afterwards
    const table = run(cwd, 'monitor', '--since', '1h');
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^task\s+version\s+label\s+requests/);
    expect(table.stdout).toMatch(new RegExp(`name\\s+@1\\s+latest\\s+${stored.size}\\s+0\\.0%`));
    expect(table.stdout).toMatch(/[▁▂▃▄▅▆▇█]/);
    const report = JSON.parse(run(cwd, 'monitor', '--json', '--task', 'name').stdout) as {
      groups: { requests: number }[];
    };
    expect(report.groups[0].requests).toBe(stored.size);
    expect(run(cwd, 'monitor', '--window', 'week').stderr).toContain('code: CLI_INVALID_OPTION');
    const listed = run(cwd, 'traces', 'ls', '--limit', '3');
    // a header, then the three
    expect(listed.stdout.trim().split('\n')).toHaveLength(4);
    expect(listed.stdout).toMatch(/^at\s+id\s+task@version\s+status\s+outcome\s+latency/);
    expect(listed.stderr).toBe('the newest 3 shown; there are more (--limit for more)\n');
    expect(listed.stdout).toMatch(/name@1 \(latest\)\s+200\s+length/);
    // no guard ran on them, so none failed one
    const guarded = run(cwd, 'traces', 'ls', '--guard', 'any');
    expect([guarded.status, guarded.stdout, guarded.stderr]).toEqual([0, '', 'no traces match\n']);
    expect(run(cwd, 'alerts', 'ls').stdout).toContain('no alert rules have been evaluated');
    // a score config set and read back, in words (JSON when asked)
    expect(
      run(cwd, 'scores', 'configure', 'stars', '--kind', 'numeric', '--min', '1', '--max', '5').stdout,
    ).toMatch(/^configured stars\s+numeric\s+\[1, 5\]\n$/);
    expect(
      JSON.parse(run(cwd, 'scores', 'configure', 'ok', '--kind', 'boolean', '--json').stdout),
    ).toMatchObject({
      name: 'ok',
      kind: 'boolean',
    });
    expect(run(cwd, 'scores', 'configs').stdout).toMatch(/^ok\s+boolean\n/m);
    writeFileSync(
      join(cwd, 'alerts.yaml'),
      'rules:\n  - name: slow\n    metric: latency_p95\n    window: often\n',
    );
    const checked = run(cwd, 'alerts', 'check', join(cwd, 'alerts.yaml'));
    expect(checked.status).toBe(1);
    expect(checked.stderr).toContain('code: ALERT_RULES_INVALID');
    const checkedJson = run(cwd, 'alerts', 'check', join(cwd, 'alerts.yaml'), '--json');
    expect(checkedJson.status).toBe(1);
    expect(JSON.parse(checkedJson.stderr.trim().split('\n').at(-1)!)).toMatchObject({
      error: { code: 'ALERT_RULES_INVALID' },
    });
  }, 120_000);
});
