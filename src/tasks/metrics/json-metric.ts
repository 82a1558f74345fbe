// JSON outputs: parsed (code fences tolerated; a bare scalar when the schema's root may be one),
// validated against the task's JSON Schema with ajv, and compared field by field with the target object. Invalid JSON or schema scores 0, and so does
// JSON nested too deeply to compare (the shared reader's limit), rather than overflowing the stack.
import { parseJsonText, ValidationError } from '../../errors/index.js';
import { compileJsonSchema, rootMayBeScalar, schemaProblem } from '../compile-json-schema.js';
import type { Metric, MetricContext } from './types.js';

const jsonSource = { where: 'the output', code: 'METRIC_JSON', hint: 'Only for scoring; never reported.' };

/** The first JSON value in a model output (bare, or inside a ``` fence). */
export function extractJson(output: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(output);
  const text = (fenced ? fenced[1] : output).trim();
  const start = text.search(/[[{]/);
  if (start < 0) throw new Error('no JSON object in the output');
  // try the longest prefix that parses, from the last closing bracket backwards
  for (let end = text.length; end > start; end--) {
    if (text[end - 1] !== '}' && text[end - 1] !== ']') continue;
    const candidate = text.slice(start, end);
    try {
      JSON.parse(candidate);
    } catch {
      continue; // keep shortening
    }
    // the value found is checked once for depth (shorter prefixes would not be shallower JSON)
    return parseJsonText(candidate, jsonSource);
  }
  throw new Error('the output has no complete JSON value');
}

/**
 * The JSON value a model output holds for `schema`: as `extractJson`, but when the schema's root may be
 * a scalar, the whole output (or its fenced block) may also be one JSON value, such as `42` or `"hi"`.
 * Plain text (`hi`) is not JSON and is not taken for a string.
 */
export function extractJsonFor(output: string, schema: object | undefined): unknown {
  if (schema !== undefined && rootMayBeScalar(schema)) {
    const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(output);
    const text = (fenced ? fenced[1] : output).trim();
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null) return value;
    } catch {
      // not one JSON value: look for an object or array as usual
    }
  }
  return extractJson(output);
}

/** Schema validity plus the share of target fields reproduced exactly (options.fields limits which). */
export function jsonMetric(options: Record<string, unknown>, context: MetricContext): Metric {
  const schema =
    (options.schema as object | undefined) ??
    (context.task.output.kind === 'json' ? context.task.output.schema : undefined);
  let validate:
    | (((value: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null })
    | undefined;
  if (schema) {
    try {
      validate = compileJsonSchema(schema);
    } catch (error) {
      throw new ValidationError(`json: the output schema does not compile: ${(error as Error).message}`, {
        code: 'METRIC_OPTIONS',
        hint: `In output.schema: ${schemaProblem(error)}`,
      });
    }
  }
  const onlyFields = options.fields as string[] | undefined;
  return {
    name: 'json',
    score(example, output) {
      let value: unknown;
      try {
        value = extractJsonFor(output, schema);
      } catch (error) {
        return { score: 0, feedback: `invalid JSON: ${(error as Error).message}` };
      }
      if (validate && !validate(value)) {
        const problems = (validate.errors ?? [])
          .map((e) => `${e.instancePath || '(root)'} ${e.message}`)
          .join('; ');
        return { score: 0, feedback: `does not match the schema: ${problems}` };
      }
      const target = typeof example.target === 'string' ? safeParse(example.target) : example.target;
      if (typeof target !== 'object' || target === null) return { score: 1 };
      const fields = onlyFields ?? Object.keys(target);
      const wrong = fields.filter(
        (field) =>
          JSON.stringify((value as Record<string, unknown>)?.[field]) !==
          JSON.stringify((target as Record<string, unknown>)[field]),
      );
      return {
        score: fields.length ? (fields.length - wrong.length) / fields.length : 1,
        feedback: wrong.length ? `wrong fields: ${wrong.join(', ')}` : undefined,
      };
    },
  };
}

function safeParse(text: string): unknown {
  try {
    return parseJsonText(text, jsonSource);
  } catch {
    return text;
  }
}
