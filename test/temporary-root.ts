// Every temporary folder the suite makes (test files, the CLIs they spawn, the Postgres and Redis servers
// they start) goes under one folder of this run, removed when the run ends: tests make their folders
// with mkdtemp(tmpdir()) and a few thousand of them were left in /tmp by each run. vitest's globalSetup
// runs this in the main process before the test processes start, and they inherit TMPDIR from it.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'promptune-test-'));
  // the servers tests start as other users (Postgres as postgres) reach their own folders inside it:
  // others may pass through the root, not list it
  chmodSync(root, 0o711);
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    // PROMPTUNE_KEEP_TEST_FILES=1 keeps them, to look at what a failing test wrote
    if (process.env.PROMPTUNE_KEEP_TEST_FILES === '1') console.log(`test files kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };
}
