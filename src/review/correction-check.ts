// What a reviewer's correction must be for the task it corrects: a text task's non-empty text, a label
// task's one label (as the spec spells it), a JSON task's value that fits the output schema (JSON text
// is read first, so a correction typed in an editor works). A correction that does not fit is refused
// with REVIEW_INVALID before anything is stored; it never becomes a row nobody can train on.
import type { ValidateFunction } from 'ajv';
import { ValidationError } from '../errors/index.js';
import { compileJsonSchema, type TaskSpec } from '../tasks/index.js';

const validators = new WeakMap<object, ValidateFunction>();

const refuse = (message: string, hint: string) =>
  new ValidationError(message, { code: 'REVIEW_INVALID', hint });

/** The correction as the task's target: checked against the spec's output, JSON text read for JSON tasks. */
export function checkCorrection(spec: TaskSpec, correction: unknown): unknown {
  const output = spec.output;
  if (output.kind === 'text') {
    if (typeof correction !== 'string')
      throw refuse(
        'the correction is not text',
        `Task ${spec.name} answers in text: send the corrected text.`,
      );
    if (correction.trim() === '')
      throw refuse(
        'the correction is empty',
        `Task ${spec.name} answers in text: send the corrected text, or approve or reject the output instead.`,
      );
    return correction;
  }
  if (output.kind === 'label') {
    // a label typed without its leading space (girl for " girl") is that label, when only one reads so
    if (typeof correction === 'string' && !output.labels.includes(correction)) {
      const meant = output.labels.filter((label) => label.trim() === correction.trim());
      if (meant.length === 1) return meant[0];
    }
    if (typeof correction !== 'string' || !output.labels.includes(correction))
      throw refuse(
        `the correction ${JSON.stringify(correction)} is not one of the task's labels`,
        `Send one of ${output.labels.map((label) => JSON.stringify(label)).join(', ')}.`,
      );
    return correction;
  }
  let value = correction;
  if (typeof correction === 'string')
    try {
      value = JSON.parse(correction) as unknown;
    } catch {
      throw refuse(
        'the correction is not JSON',
        `Task ${spec.name} answers in JSON: send the corrected object.`,
      );
    }
  let validate = validators.get(output.schema);
  if (!validate) {
    validate = compileJsonSchema(output.schema, { strict: false }); // a stored spec, as it went in
    validators.set(output.schema, validate);
  }
  if (!validate(value))
    throw refuse(
      `the correction does not match the task's output schema (${(validate.errors ?? [])
        .map((error) => `${error.instancePath || '(root)'} ${error.message}`)
        .join('; ')})`,
      'Fix the fields named, then send it again.',
    );
  return value;
}
