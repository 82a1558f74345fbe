// Reads a task spec from YAML or JSON, validates it, and resolves its data paths relative to the
// spec file. Every error names the file and the line or field at fault, with a hint.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { describeIssues, NotFoundError, parseJsonText, ValidationError } from '../errors/index.js';
import { refuseEmptyAuditPolicy } from './audit-policy-spec.js';
import { decodeUtf8 } from './dataset.js';
import { jsonErrorOffset, lineAndColumn } from './json-position.js';
import { taskSpec, type TaskSpec } from './spec.js';
import { templateVariables } from './template.js';

/** A task spec together with where it came from. */
export interface Task {
  spec: TaskSpec;
  /** The spec file (absolute), or undefined for specs built in code. */
  path: string | undefined;
  /** Absolute data paths by split. */
  files: Partial<Record<'train' | 'dev' | 'test' | 'file', string>>;
}

/**
 * Checks that a prompt fits a task's fields: every template placeholder is an input field
 * (TEMPLATE_UNKNOWN_VARIABLE), every demo has each input field and the target (TASK_SPEC_INVALID).
 * `where` names its source in errors.
 */
export function checkPromptFields(
  prompt: Pick<TaskSpec['prompt'], 'template' | 'demos'>,
  inputFields: readonly string[],
  targetField: string,
  where: string,
): void {
  const fields = new Set(inputFields);
  for (const variable of templateVariables(prompt.template))
    if (!fields.has(variable))
      throw new ValidationError(
        `${where}: field prompt.template uses {{${variable}}}, which is not an input field`,
        {
          code: 'TEMPLATE_UNKNOWN_VARIABLE',
          hint: `Input fields are: ${[...fields].join(', ')}. Add "${variable}" to input.fields or fix the placeholder.`,
        },
      );
  prompt.demos.forEach((demo, i) => {
    for (const field of [...fields, targetField])
      if (!(field in demo))
        throw new ValidationError(`${where}: field prompt.demos.${i} lacks "${field}"`, {
          code: 'TASK_SPEC_INVALID',
          hint: `Each demo needs every input field and the target field "${targetField}".`,
        });
  });
}

/**
 * Validates a spec object and fills its defaults; `where` names its source in errors. Built in code,
 * annotate it as a TaskSpecInput (`const spec: TaskSpecInput = { … }`) to have it type-checked as written.
 */
export function taskFromObject(value: unknown, where: string, baseDirectory = process.cwd()): Task {
  const parsed = taskSpec.safeParse(value);
  if (!parsed.success) {
    // the first issue, or a misspelt field with the one it meant
    throw new ValidationError(
      `${where}: ${describeIssues(parsed.error.issues, 1).replace(/; and \d+ more$/, '')}`,
      {
        code: 'TASK_SPEC_INVALID',
        hint: 'See schemas/task.schema.json for the fields a task spec takes.',
      },
    );
  }
  const spec = parsed.data;
  checkPromptFields(spec.prompt, spec.input.fields, spec.data.targetField, where);
  if (spec.data.file && !spec.data.split) {
    throw new ValidationError(`${where}: field data.split is missing; data.file needs split ratios`, {
      code: 'TASK_SPEC_INVALID',
      hint: 'Add data.split: {seed: 0, train: 0.8, dev: 0.1, test: 0.1}, or name train/dev/test files instead.',
    });
  }
  const files: Task['files'] = {};
  for (const split of ['train', 'dev', 'test', 'file'] as const) {
    const file = spec.data[split];
    if (file) files[split] = isAbsolute(file) ? file : resolve(baseDirectory, file);
  }
  return { spec, path: undefined, files };
}

/** Loads and validates a task spec file (.yaml, .yml or .json). */
export function loadTask(path: string): Task {
  const absolute = resolve(path);
  if (!existsSync(absolute)) {
    throw new NotFoundError(`task spec ${path} does not exist`, {
      code: 'TASK_NOT_FOUND',
      hint: "Pass the path of a task spec (.yaml or .json); the repository's examples/ folder has some.",
    });
  }
  const decoded = decodeUtf8(readFileSync(absolute));
  if ('invalidLine' in decoded)
    throw new ValidationError(`${path}:${decoded.invalidLine}: the line is not valid UTF-8`, {
      code: 'TASK_SPEC_SYNTAX',
      hint: 'Save the spec as UTF-8.',
    });
  const { text } = decoded;
  let value: unknown;
  if (absolute.endsWith('.json')) {
    const hint = 'Fix the JSON syntax at that line (or write the spec as YAML).';
    try {
      JSON.parse(text);
    } catch (error) {
      const offset = jsonErrorOffset(text);
      const { line, column } = lineAndColumn(text, offset < 0 ? text.length : offset);
      throw new ValidationError(`${path}:${line}:${column}: not valid JSON: ${(error as Error).message}`, {
        code: 'TASK_SPEC_SYNTAX',
        hint,
      });
    }
    // again through the shared reader, which refuses nesting deep enough to overflow later walks
    value = parseJsonText(text, { where: path, code: 'TASK_SPEC_SYNTAX', hint }, { wellFormed: true });
  } else {
    const document = parseDocument(text, { prettyErrors: false });
    if (document.errors.length > 0) {
      const error = document.errors[0];
      const { line, column } = lineAndColumn(text, error.pos[0]);
      throw new ValidationError(`${path}:${line}:${column}: ${error.message.split('\n')[0]}`, {
        code: 'TASK_SPEC_SYNTAX',
        hint: 'Fix the YAML syntax at that line.',
      });
    }
    try {
      value = document.toJS();
    } catch (error) {
      // too many aliases (a "billion laughs" file) or nesting deeper than the stack
      throw new ValidationError(`${path}: the YAML cannot be read: ${(error as Error).message}`, {
        code: 'TASK_SPEC_SYNTAX',
        hint: 'Simplify the spec: fewer aliases, less nesting.',
      });
    }
  }
  const task = taskFromObject(value, path, dirname(absolute));
  // where a spec is written, not in the schema stored specs are read through (an older release stored such policies)
  refuseEmptyAuditPolicy(task.spec.audit?.policy, path);
  return { ...task, path: absolute };
}
