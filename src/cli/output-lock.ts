// A training's claim on its --out folder. Two runs writing one folder (a job submitted twice, one
// command started in two terminals) would interleave their checkpoints and metrics and register a
// mixture. The claim is a file in the folder naming its holder (host, pid, since), touched while the run
// lives; a run that finds a live one waits, saying so, until it is released or goes stale: its holder's
// process is gone (same host), or, from another host, the file has not been touched for `staleMs` by
// the waiter's own clock (a worker killed mid-job, whose job BullMQ hands on after its lease).
import { hostname } from 'node:os';
import { join } from 'node:path';
import { linkSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
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
  /**
   * Another host's claim untouched this long (by this process's clock) is stale (default 2 min: a
   * long synchronous training step delays the touches, and a lease lapses before a job moves anyway).
   */
  staleMs?: number;
  /** How often the claim is touched (default 10 s). */
  touchMs?: number;
  /** How often a held claim is looked at again (default 1 s). */
  pollMs?: number;
}

/** The claim on a folder, released at release() or when the process ends (a signal's end too). */
export interface OutputLock {
  release(): void;
}

/** This process's claims, released by releaseOutputLocks when it ends by a signal ('exit' never fires). */
const held = new Set<() => void>();

/** Releases every claim this process holds: main.ts calls it before it ends itself by a signal. */
export function releaseOutputLocks(): void {
  for (const release of [...held]) release();
}

/** Claims `folder` (made if missing) for this process, waiting while another live run holds it. */
export async function lockOutputFolder(folder: string, options: OutputLockOptions = {}): Promise<OutputLock> {
  const staleMs = options.staleMs ?? 120_000;
  const path = join(folder, outputLockName);
  makeDirectory(folder);
  const own: Holder = { host: hostname(), pid: process.pid, since: Date.now() };
  const ownText = JSON.stringify(own);
  let told = false;
  // the claim as this process last saw it, and since when (its clock): another host's clock is not read
  let seen: { text: string; mtimeMs: number; at: number } | undefined;
  for (;;) {
    try {
      writeFileSync(path, ownText, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const found = readClaim(path);
    if (!found) continue; // released between our try and the read
    if (!seen || seen.text !== found.text || seen.mtimeMs !== found.mtimeMs)
      seen = { text: found.text, mtimeMs: found.mtimeMs, at: Date.now() };
    const holder = found.holder;
    // a claim is written in one call just after it is made: one unreadable for 5 s was cut short (a
    // crash, a full disk) or is not a claim at all, and waiting out staleMs for it would be in vain
    const stale = !holder
      ? Date.now() - seen.at >= Math.min(staleMs, 5000)
      : holder.host === hostname()
        ? !alive(holder.pid)
        : Date.now() - seen.at >= staleMs;
    if (stale) {
      takeOver(path, found.text);
      seen = undefined;
      continue;
    }
    // an unreadable claim (being written) is waited for without a word: it is readable in a moment
    if (!told && holder) {
      options.onWait?.(holder, folder);
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
  }
  const touch = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      // the folder went away: the run's own writes will say so
    }
  }, options.touchMs ?? 10_000);
  touch.unref();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(touch);
    held.delete(release);
    process.removeListener('exit', release);
    // only our own claim: one taken over while this process stalled is the new holder's
    if (readClaim(path)?.text === ownText) unlinkSync(path);
  };
  held.add(release);
  process.on('exit', release);
  return { release };
}

/**
 * Sets aside the stale claim whose text was `stale`. Of two runs that judged it stale, one sets it
 * aside and the other finds it gone; a run that set aside a claim made meanwhile (not the one it
 * judged) puts it back.
 */
function takeOver(path: string, stale: string): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // another run took it over first: look again
  }
  if (readClaim(aside)?.text !== stale)
    try {
      linkSync(aside, path); // fails when a third run has claimed it since: that claim stands
    } catch {
      // looked at again by the caller
    }
  unlinkSync(aside);
}

/** The claim's text, its holder (undefined when unreadable: being written, or cut short), its mtime. */
function readClaim(path: string): { text: string; holder: Holder | undefined; mtimeMs: number } | undefined {
  let text: string;
  let mtimeMs: number;
  try {
    text = readFileSync(path, 'utf8');
    mtimeMs = statSync(path).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = holderSchema.safeParse(JSON.parse(text));
    return { text, holder: parsed.success ? parsed.data : undefined, mtimeMs };
  } catch {
    return { text, holder: undefined, mtimeMs };
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
