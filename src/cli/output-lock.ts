// A training's claim on its --out folder. Two runs writing one folder (a job submitted twice, one
// command started in two terminals) would interleave their checkpoints and metrics and register a
// mixture. The claim is a file in the folder naming its holder (host, pid, since), touched while the run
// lives; a run that finds a live one waits, saying so, until it is released or goes stale: its holder's
// process is gone (same host), or it has not been touched for `staleMs` (another host: a worker killed
// mid-job, whose job BullMQ hands on after its lease, so the next worker takes the folder over then).
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { makeDirectory } from '../engine/index.js';

/** The claim's file name (checkOutputFolder lets it be). */
export const outputLockName = '.promptune-lock';

const holderSchema = z.object({ host: z.string(), pid: z.number().int(), since: z.number() });
type Holder = z.infer<typeof holderSchema>;

/** How a claim is waited for and kept. */
export interface OutputLockOptions {
  /** Told once when the folder is held by another live run, before waiting for it. */
  onWait?: (holder: Holder, folder: string) => void;
  /** A claim untouched this long is stale (default 30 s). */
  staleMs?: number;
  /** How often the claim is touched (default a third of staleMs). */
  touchMs?: number;
  /** How often a held claim is looked at again (default 1 s). */
  pollMs?: number;
}

/** The claim on a folder, released at release() or when the process exits. */
export interface OutputLock {
  release(): void;
}

/** Claims `folder` (made if missing) for this process, waiting while another live run holds it. */
export async function lockOutputFolder(folder: string, options: OutputLockOptions = {}): Promise<OutputLock> {
  const staleMs = options.staleMs ?? 30_000;
  const path = join(folder, outputLockName);
  makeDirectory(folder);
  const own: Holder = { host: hostname(), pid: process.pid, since: Date.now() };
  let told = false;
  for (;;) {
    try {
      writeFileSync(path, JSON.stringify(own), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(path);
    if (holder === 'gone') continue; // released between our try and the read
    if (isStale(path, holder, staleMs)) {
      // set aside, not deleted: of two runs that both found it stale, one renames it and one finds it gone
      try {
        renameSync(path, `${path}.stale-${process.pid}`);
        unlinkSync(`${path}.stale-${process.pid}`);
      } catch {
        // another run took it over first: look again
      }
      continue;
    }
    // an unreadable claim (being written) is waited for without a word: it is readable in a moment
    if (!told && holder) {
      options.onWait?.(holder, folder);
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
  }
  const touch = setInterval(
    () => {
      const now = new Date();
      try {
        utimesSync(path, now, now);
      } catch {
        // the folder went away: the run's own writes will say so
      }
    },
    options.touchMs ?? staleMs / 3,
  );
  touch.unref();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(touch);
    process.removeListener('exit', release);
    // only our own claim: one taken over while this process stalled is the new holder's
    const holder = readHolder(path);
    if (
      holder !== 'gone' &&
      holder?.pid === own.pid &&
      holder.host === own.host &&
      holder.since === own.since
    )
      unlinkSync(path);
  };
  process.on('exit', release);
  return { release };
}

/** The claim's holder; undefined when the file is unreadable (a crash mid-write), 'gone' when there is none. */
function readHolder(path: string): Holder | undefined | 'gone' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const parsed = holderSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a claim is stale; an unreadable one (being written, or cut short by a crash) goes by its age. */
function isStale(path: string, holder: Holder | undefined, staleMs: number): boolean {
  if (holder?.host === hostname()) return !alive(holder.pid);
  try {
    return Date.now() - statSync(path).mtimeMs > staleMs;
  } catch {
    return false; // gone meanwhile: the next try creates it
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
