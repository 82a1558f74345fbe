// The claim on a training's --out folder: a second run waits for a live holder and takes the folder
// when it is released; a dead process's claim (this host) and an untouched one (another host) are
// taken over at once; a touched claim from another host is waited for.
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { lockOutputFolder, outputLockName } from './output-lock.js';

const folder = () => join(mkdtempSync(join(tmpdir(), 'promptune-lock-')), 'out');

describe('lockOutputFolder', () => {
  it('makes a second run wait, saying so once, until the first releases the folder', async () => {
    const out = folder();
    const first = await lockOutputFolder(out);
    const waits: number[] = [];
    let second: Awaited<ReturnType<typeof lockOutputFolder>> | undefined;
    const claimed = lockOutputFolder(out, { pollMs: 20, onWait: (holder) => waits.push(holder.pid) }).then(
      (lock) => (second = lock),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(second).toBeUndefined();
    expect(waits).toEqual([process.pid]);
    first.release();
    await claimed;
    expect(second).toBeDefined();
    second!.release();
    expect(existsSync(join(out, outputLockName))).toBe(false);
  });

  it('takes over the claim of a process that is gone, at once', async () => {
    const out = folder();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const pid = Number(gone.stdout.toString());
    (await lockOutputFolder(out)).release();
    writeFileSync(join(out, outputLockName), JSON.stringify({ host: hostname(), pid, since: 1 }));
    let waited = false;
    const lock = await lockOutputFolder(out, { onWait: () => (waited = true) });
    expect(waited).toBe(false);
    expect(JSON.parse(readFileSync(join(out, outputLockName), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a claim that is not one (truncated, garbage) after a few seconds, not minutes', async () => {
    const out = folder();
    (await lockOutputFolder(out)).release();
    writeFileSync(join(out, outputLockName), '{"host": "cut sh');
    // (staleMs is its 2 minutes: past the test's timeout, had it been waited for)
    const lock = await lockOutputFolder(out, { pollMs: 100 });
    expect(JSON.parse(readFileSync(join(out, outputLockName), 'utf8')).pid).toBe(process.pid);
    lock.release();
  }, 60_000);

  it("waits for another host's claim while it is touched, and takes it once it is not", async () => {
    const out = folder();
    (await lockOutputFolder(out)).release();
    const path = join(out, outputLockName);
    writeFileSync(path, JSON.stringify({ host: 'another-machine', pid: 1, since: 1 }));
    // its worker is alive: it touches the claim (with its own clock, an hour behind: not read)
    const behind = () => new Date(Date.now() - 3_600_000 + Math.random() * 1000);
    const touching = setInterval(() => utimesSync(path, behind(), behind()), 50);
    const waits: string[] = [];
    let lock: Awaited<ReturnType<typeof lockOutputFolder>> | undefined;
    const claimed = lockOutputFolder(out, {
      staleMs: 300,
      pollMs: 20,
      onWait: (holder) => waits.push(holder.host),
    }).then((claim) => (lock = claim));
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect([lock, waits]).toEqual([undefined, ['another-machine']]);
    // its worker died: no more touches, and 300 ms later (by the waiter's clock) the claim is stale
    clearInterval(touching);
    await claimed;
    expect(JSON.parse(readFileSync(path, 'utf8')).host).toBe(hostname());
    lock!.release();
  });
});
