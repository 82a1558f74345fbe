// Refusing, before a command does its work, an output file it could not write at the end: a folder, or a
// file in a folder that does not exist. A long run (an optimization, an evaluation) must not end in ENOENT
// with its result unwritten.
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ValidationError } from '../errors/index.js';

/** Refuses `--<option> <path>` when the file cannot be written there; `what` names it in the hint. */
export function checkOutputFile(option: string, path: string | undefined, what = 'the file'): void {
  if (path === undefined) return;
  if (existsSync(path) && statSync(path).isDirectory())
    throw new ValidationError(`--${option} ${path} is a folder`, {
      code: 'PATH_IS_A_FOLDER',
      hint: `Give a file name for ${what}, e.g. ${path.replace(/\/+$/, '')}/out${option === 'report' ? '.html' : '.json'}.`,
    });
  const folder = dirname(resolve(path));
  if (!existsSync(folder) || !statSync(folder).isDirectory())
    throw new ValidationError(`--${option} ${path}: the folder ${folder} does not exist`, {
      code: 'FILE_NOT_FOUND',
      hint: `Create the folder first, or write ${what} somewhere else (checked before the run, so nothing ran).`,
    });
}
