// Reads a task spec from YAML or JSON, validates it, and resolves its data paths relative to the
// spec file. Every error names the file and the line or field at fault, with a hint.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { NotFoundError, ValidationError } from '../errors/index.js';
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

/** Validates a parsed spec object; `where` names its source in errors. */
export function taskFromObject(value: unknown, where: string, baseDirectory = process.cwd()): Task {
  const parsed = taskSpec.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.') || '(top level)';
    throw new ValidationError(`${where}: field ${field}: ${issue.message}`, {
      code: 'TASK_SPEC_INVALID',
      hint: 'See schemas/task.schema.json for the fields a task spec takes.',
    });
  }
  const spec = parsed.data;
  const fields = new Set([...spec.input.fields]);
  for (const variable of templateVariables(spec.prompt.template)) {
    if (!fields.has(variable)) {
      throw new ValidationError(
        `${where}: field prompt.template uses {{${variable}}}, which is not an input field`,
        {
          code: 'TEMPLATE_UNKNOWN_VARIABLE',
          hint: `Input fields are: ${[...fields].join(', ')}. Add "${variable}" to input.fields or fix the placeholder.`,
        },
      );
    }
  }
  spec.prompt.demos.forEach((demo, i) => {
    for (const field of [...fields, spec.data.targetField]) {
      if (!(field in demo)) {
        throw new ValidationError(`${where}: field prompt.demos.${i} lacks "${field}"`, {
          code: 'TASK_SPEC_INVALID',
          hint: `Each demo needs every input field and the target field "${spec.data.targetField}".`,
        });
      }
    }
  });
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
      hint: 'Pass the path of a task spec (.yaml or .json); examples/ has some.',
    });
  }
  const text = readFileSync(absolute, 'utf8');
  let value: unknown;
  if (absolute.endsWith('.json')) {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ValidationError(`${path}: not valid JSON: ${(error as Error).message}`, {
        code: 'TASK_SPEC_SYNTAX',
        hint: 'Fix the JSON syntax (or write the spec as YAML).',
      });
    }
  } else {
    const document = parseDocument(text, { prettyErrors: false });
    if (document.errors.length > 0) {
      const error = document.errors[0];
      const line = text.slice(0, error.pos[0]).split('\n').length;
      throw new ValidationError(`${path}${line ? `:${line}` : ''}: ${error.message.split('\n')[0]}`, {
        code: 'TASK_SPEC_SYNTAX',
        hint: 'Fix the YAML syntax at that line.',
      });
    }
    value = document.toJS();
  }
  const task = taskFromObject(value, path, dirname(absolute));
  return { ...task, path: absolute };
}
