// `--data <folder>` for eval and optimize: the task's split files replaced by <folder>/train.jsonl,
// dev.jsonl and test.jsonl (.csv also read), such as `promptune dataset pull` or `review dataset --out`
// writes, so a task is scored or tuned on a dataset version without editing its spec. Splits the folder
// lacks are missing, not taken from the spec: a version is used whole or not at all.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NotFoundError } from '../errors/index.js';
import type { Task } from '../tasks/index.js';

/** A split's file in a data folder: `<split>.jsonl`, else `<split>.csv`; undefined when it has neither. */
export function splitFile(folder: string, split: string): string | undefined {
  for (const extension of ['jsonl', 'csv']) {
    const path = join(folder, `${split}.${extension}`);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** A split of a task folder that has it (checked by `checkTaskFolder`): its .jsonl, else its .csv. */
export function taskSplit(folder: string, split: string): string {
  return splitFile(folder, split) ?? join(folder, `${split}.jsonl`);
}

/** The split files of a data folder that exist, by split: a pushed version's datasets and its run's. */
export function splitFiles(folder: string): Partial<Record<'train' | 'dev' | 'test', string>> {
  return Object.fromEntries(
    (['train', 'dev', 'test'] as const).flatMap((split) => {
      const path = splitFile(folder, split);
      return path ? [[split, path]] : [];
    }),
  );
}

/** `task` reading its splits from `folder` (unchanged when `folder` is undefined). */
export function withDataFolder(task: Task, folder: string | undefined): Task {
  if (folder === undefined) return task;
  const absolute = resolve(folder);
  const files: Task['files'] =
    existsSync(absolute) && statSync(absolute).isDirectory() ? splitFiles(absolute) : {};
  if (Object.keys(files).length === 0)
    throw new NotFoundError(`--data ${folder} is not a folder with train, dev or test .jsonl files`, {
      code: 'DATASET_NOT_FOUND',
      hint: 'Write a dataset version there with promptune dataset pull <task>@<N> --out <folder>.',
    });
  return { ...task, files };
}
