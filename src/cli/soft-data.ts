// Reads soft-prompt training data for the CLI: JSONL/CSV examples with an input and a target field,
// tokenized as continuations, each checked to fit the model's context with the prompt.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { LoadedModel } from '../engine/index.js';
import { DatasetError, NotFoundError, ValidationError } from '../errors/index.js';
import { rowLength, tokenizeExample, type SoftPrompt, type TokenizedExample } from '../soft/index.js';
import { readExamples } from '../tasks/index.js';
import { splitFile } from './data-folder.js';

/** Examples of one file, with their raw targets (for label detection). */
export interface SoftData {
  path: string;
  examples: TokenizedExample[];
  inputs: string[];
  targets: string[];
  lines: number[];
}

/** Reads and tokenizes `path`; virtualTokens is the prompt length every example must fit beside. */
export function readSoftData(
  path: string,
  loaded: LoadedModel,
  fields: { input: string; target: string },
  virtualTokens: number,
): SoftData {
  // the path came from --data, not from a spec (readExamples' own hint speaks of a spec's paths)
  if (!existsSync(path))
    throw new NotFoundError(`dataset ${path} does not exist`, {
      code: 'DATASET_NOT_FOUND',
      hint: 'Check the --data path: a .jsonl or .csv file of examples, or for training a folder holding train.jsonl and dev.jsonl.',
    });
  const rows = readExamples(path, {
    inputFields: [fields.input],
    targetField: fields.target,
    textFields: [fields.input, fields.target],
  });
  const context = loaded.model.config.contextLength;
  const examples = rows.map((row) => {
    const example = tokenizeExample(
      loaded.tokenizer,
      String(row.fields[fields.input]),
      String(row.target),
      `${path}:${row.line}`,
    );
    const length = rowLength({ virtualTokens } as SoftPrompt, example);
    if (length > context) {
      throw new DatasetError(
        `${path}:${row.line}: the example needs ${length} positions with the prompt; the model's context is ${context}`,
        {
          code: 'DATASET_TOO_LONG',
          hint: 'Shorten the input, use fewer virtual tokens, or drop the example.',
        },
      );
    }
    return example;
  });
  return {
    path,
    examples,
    inputs: rows.map((row) => String(row.fields[fields.input])),
    targets: rows.map((row) => String(row.target)),
    lines: rows.map((row) => row.line),
  };
}

/**
 * Warns of data that trains or scores other than it reads: targets that follow their inputs without a
 * space (`…said:` + `happy` is the text `…said:happy`, a word the model rarely writes; the shared tasks
 * start each target with one), and dev or test inputs that are training inputs too (their accuracy
 * counts examples the training saw).
 */
export function warnDataShape(train: SoftData, others: (SoftData | undefined)[]): void {
  // in scripts that write words apart (not Chinese or Japanese, which write none between them)
  const isJoined = (input: string, index: number) =>
    /[^\s\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]$/u.test(input) &&
    /^[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}\p{N}]/u.test(train.targets[index]);
  const joined = train.inputs.filter(isJoined).length;
  if (joined > 0 && joined * 2 >= train.inputs.length) {
    const at = train.inputs.findIndex(isJoined);
    const end = train.inputs[at].slice(-12);
    process.stderr.write(
      `${train.path}: ${joined} of ${train.inputs.length} targets follow their inputs without a space (${JSON.stringify(end)} + ${JSON.stringify(train.targets[at])} is read as ${JSON.stringify(end + train.targets[at])}); a model writes a new word after a space, so start each target with one (${JSON.stringify(` ${train.targets[at]}`)}), as the shared tasks do, or end each input with one\n`,
    );
  }
  const seen = new Set(train.inputs);
  for (const split of others) {
    if (!split) continue;
    const repeated = split.inputs.filter((input) => seen.has(input)).length;
    if (repeated > 0)
      process.stderr.write(
        `${split.path}: ${repeated} of ${split.inputs.length} inputs are training inputs too (${train.path}): their accuracy counts examples the training saw\n`,
      );
  }
}

/** The first three distinct values, quoted, and "…" when there are more: `"dog", "cat", "bird", …`. */
export function quotedFew(values: string[]): string {
  const distinct = [...new Set(values)];
  const shown = distinct.slice(0, 3).map((value) => JSON.stringify(value));
  return `${shown.join(', ')}${distinct.length > 3 ? ', …' : ''}`;
}

/** The distinct targets when there are few (a label task), else undefined. */
export function labelSet(targets: string[], limit = 10): string[] | undefined {
  const distinct = [...new Set(targets)];
  return distinct.length <= limit && distinct.length < targets.length ? distinct : undefined;
}

/**
 * Warns of dev or test examples whose target is none of the training labels: dev's label choice and test
 * score them wrong whatever the prompt, and a pushed label task's constrained decoding can never answer
 * them, so a label missing from train is said before the training, not found in the scores.
 */
export function warnUnseenLabels(labels: string[] | undefined, splits: (SoftData | undefined)[]): void {
  if (!labels) return;
  const known = new Set(labels);
  for (const split of splits) {
    const unseen = split?.targets.filter((target) => !known.has(target)) ?? [];
    if (!split || unseen.length === 0) continue;
    process.stderr.write(
      `${split.path}: ${unseen.length} of ${split.targets.length} targets are none of the ${labels.length} labels in the training targets (${quotedFew(unseen)}): they are scored wrong, and a pushed label task cannot answer them; add examples of them to train\n`,
    );
  }
}

/**
 * Warns when targets of `data` are none of the --labels given: log-likelihood accuracy counts them wrong
 * whatever the prompt. Labels are compared as written, so a target's leading space (" Bob") is named.
 */
export function warnTargetsNotLabels(labels: string[], data: SoftData): void {
  const known = new Set(labels);
  const missing = data.targets.filter((target) => !known.has(target));
  if (missing.length === 0) return;
  const distinct = [...new Set(missing)];
  const spaced = distinct.some((target) => known.has(target.trim()));
  process.stderr.write(
    `${data.path}: ${missing.length} of ${data.targets.length} targets are none of --labels (${quotedFew(missing)}): log-likelihood accuracy counts them wrong${
      spaced
        ? `; labels are compared as written, and these targets have spaces the labels lack: give --labels as the targets read (${JSON.stringify(
            distinct
              .filter((target) => known.has(target.trim()))
              .slice(0, 2)
              .join(','),
          )})`
        : ''
    }\n`,
  );
}

/** For each example, its input continued by every label (the true one among them). */
export function labelCandidates(loaded: LoadedModel, data: SoftData, labels: string[]): TokenizedExample[][] {
  return data.inputs.map((input, i) =>
    labels.map((label) => tokenizeExample(loaded.tokenizer, input, label, `${data.path}:${data.lines[i]}`)),
  );
}

/**
 * The tasks of several --data folders, each named by its folder; two folders of one name are refused
 * (their rows, or their factors, would be one task's).
 */
export function taskFolderNames(folders: string[]): string[] {
  const names = folders.map((folder) => basename(resolve(folder)));
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated)
    throw new ValidationError(`two --data folders are named ${repeated}`, {
      code: 'CLI_INVALID_OPTION',
      hint: 'A task is named by its folder; give each task once, from folders of different names.',
    });
  return names;
}

/**
 * Refuses a --data that is not a task folder holding `splits` (a .jsonl or .csv file each); a data file
 * given for its folder is told which folder to give.
 */
export function checkTaskFolder(folder: string, splits: string[]): void {
  const files = splits.map((split) => `${split}.jsonl`);
  const listed = `${files.slice(0, -1).join(', ')}${files.length > 1 ? ' and ' : ''}${files.at(-1)} (or .csv)`;
  if (existsSync(folder) && !statSync(folder).isDirectory())
    throw new ValidationError(`--data ${folder} is a file; --data names a task folder`, {
      code: 'DATASET_NOT_FOUND',
      hint: `Give the folder that holds ${listed}${/\.(jsonl|csv)$/.test(folder) ? `: --data ${dirname(folder)}` : ''}.`,
    });
  for (const [index, split] of splits.entries())
    if (!splitFile(folder, split))
      throw new NotFoundError(`${join(folder, files[index])} does not exist`, {
        code: 'DATASET_NOT_FOUND',
        hint: `--data must be a folder with ${listed}.`,
      });
}
