// The typed output of a task run: a label task's label, a JSON task's object (validated against the
// task's schema), or a text task's text. An output that does not parse is a 422 carrying the raw text,
// never a silently wrong value.
import type { ValidateFunction } from 'ajv';
import { compileJsonSchema, extractJsonFor, readLabel, type TaskSpec } from '../tasks/index.js';
import { ServiceError } from './errors.js';

const schemas = new WeakMap<object, ValidateFunction>();

/** The output value of `text` for the task, or a ServiceError (422) naming what failed. */
export function typedOutput(spec: TaskSpec, text: string): unknown {
  const output = spec.output;
  const refuse = (why: string) =>
    new ServiceError(`the model's output ${why}: ${JSON.stringify(text.slice(0, 200))}`, {
      status: 422,
      code: 'OUTPUT_INVALID',
      hint: 'The prompt version may need work; the raw text is in the message.',
    });
  if (output.kind === 'label') {
    const label = readLabel(output.labels, text);
    if (label === undefined)
      throw refuse(
        `names none of the labels ${output.labels.map((each) => JSON.stringify(each)).join(', ')}`,
      );
    return label;
  }
  if (output.kind === 'json') {
    let value: unknown;
    try {
      value = extractJsonFor(text, output.schema);
    } catch (error) {
      throw refuse(`is not JSON (${(error as Error).message})`);
    }
    let validate = schemas.get(output.schema);
    if (!validate) {
      validate = compileJsonSchema(output.schema, { strict: false }); // a stored spec: served as it went in
      schemas.set(output.schema, validate);
    }
    if (!validate(value))
      throw refuse(
        `does not match the schema (${(validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`).join('; ')})`,
      );
    return value;
  }
  return text.trim();
}
