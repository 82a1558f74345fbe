// Creates a folder and its missing parents, like `mkdir -p`, and always returns or throws. Node 20's
// `mkdirSync(path, { recursive: true })` never returns when a parent exists but cannot hold the child
// (a path under /proc answers ENOENT, its parent EEXIST, forever), and reports a file in the path as
// EEXIST; every output folder a user names goes through this instead.
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Creates `path` and any missing parents; a file in the way throws ENOTDIR, as Node's errors do. */
export function makeDirectory(path: string): void {
  try {
    mkdirSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (statSync(path).isDirectory()) return;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}': it is a file`), {
        code: 'ENOTDIR',
        path,
      });
    }
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path) throw error;
    makeDirectory(parent);
    makeChild(path, parent);
  }
}

/** Makes `path` in `parent`, which exists: a child it still cannot hold (ENOENT again) is final. */
function makeChild(path: string, parent: string): void {
  try {
    mkdirSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && statSync(path).isDirectory()) return;
    if (code !== 'ENOENT') throw error;
    throw Object.assign(
      new Error(`ENOENT: cannot make the folder '${path}': '${parent}' exists but cannot hold it`),
      { code: 'ENOENT', path },
    );
  }
}
