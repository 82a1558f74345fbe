// JSON outputs: parsed (code fences tolerated), validated against the task's JSON Schema with ajv,
// and compared field by field with the target object. Invalid JSON or schema scores 0, and so does
// JSON nested too deeply to compare (the shared reader's limit), rather than overflowing the stack.
import Ajv from 'ajv';
import { parseJsonText, ValidationError } from '../../errors/index.js';
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
      validate = new Ajv.default({ allErrors: true, strict: false }).compile(schema);
    } catch (error) {
      throw new ValidationError(`json: the output schema does not compile: ${(error as Error).message}`, {
        code: 'METRIC_OPTIONS',
        hint: 'Fix output.schema (JSON Schema draft-07 or 2019-09).',
      });
    }
  }
  const onlyFields = options.fields as string[] | undefined;
  return {
    name: 'json',
    score(example, output) {
      let value: unknown;
      try {
        value = extractJson(output);
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
