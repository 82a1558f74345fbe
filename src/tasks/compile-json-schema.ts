// The one ajv setup for the JSON Schemas of task outputs (guards, the json metric, the service, review
// corrections, eval): the draft `$schema` names (2020-12, as zod 4 writes; 2019-09; draft-07 when none),
// formats checked (ajv-formats), and strict about keywords, so a typo such as `requird` is refused
// instead of ignored. It does not cache compiled schemas (callers keep them) nor word errors for a layer.
import Ajv, { type Options, type ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019.js';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

// strictSchema refuses unknown keywords and formats; type and tuple checks stay off: they refuse (or
// log about) valid schemas such as `properties` without `type: object`, or draft-07 tuples without
// `minItems`
const options: Options = {
  allErrors: true,
  strictSchema: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
};

// keywords that are annotations elsewhere: OpenAPI's `example`; `x-...` extensions are added per schema
const annotations = ['example'];

const draftPattern = /^https?:\/\/json-schema\.org\/draft\/(2019-09|2020-12)\/schema#?$/;

/** The names of `format`s and `x-` keywords used anywhere in a schema. */
function namesUsed(schema: unknown, formats: Set<string>, extensions: Set<string>, depth = 0): void {
  if (typeof schema !== 'object' || schema === null || depth > 64) return;
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'format' && typeof value === 'string') formats.add(value);
    if (key.startsWith('x-')) extensions.add(key);
    namesUsed(value, formats, extensions, depth + 1);
  }
}

/**
 * The ajv validator of a JSON Schema for outputs. Throws ajv's error when the schema does not compile
 * (a misspelled keyword included); `schemaProblem` words it as a hint. `strict: false` ignores unknown
 * keywords: for a spec already stored (the service, review, eval's parse rate), which went in before
 * keywords were checked and must go on being served, where the authoring checks (the json-schema guard,
 * the json metric) keep refusing them.
 */
export function compileJsonSchema(
  schema: object,
  { strict = true }: { strict?: boolean } = {},
): ValidateFunction {
  const declared = (schema as { $schema?: unknown }).$schema;
  const draft = typeof declared === 'string' ? draftPattern.exec(declared)?.[1] : undefined;
  const chosen = strict ? options : { ...options, strictSchema: false };
  const ajv =
    draft === '2020-12'
      ? new Ajv2020.default(chosen)
      : draft === '2019-09'
        ? new Ajv2019.default(chosen)
        : new Ajv.default(chosen);
  addFormats.default(ajv);
  const formats = new Set<string>();
  const extensions = new Set<string>();
  namesUsed(schema, formats, extensions);
  // formats ajv-formats does not know (zod writes jwt, e164, cidrv4, ...) are annotations, as JSON
  // Schema 2019-09 defines `format`; zod writes a checked `pattern` beside them
  for (const format of formats) if (ajv.formats[format] === undefined) ajv.addFormat(format, true);
  for (const keyword of [...annotations, ...extensions]) ajv.addKeyword(keyword);
  return ajv.compile(schema);
}

/** What to do about a schema ajv refused, for an error's hint. */
export function schemaProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const keyword = /unknown keyword: "([^"]*)"/.exec(message);
  if (keyword)
    return (
      `Correct or remove the keyword "${keyword[1]}": JSON Schema does not define it, and unknown ` +
      'keywords are refused so a typo cannot pass silently (notes go in "description" or "$comment"; ' +
      'extensions need an "x-" prefix).'
    );
  if (/no schema with key or ref "[^"]*\/schema#?"/.test(message))
    return 'Name a draft in "$schema" that is supported: draft-07 (the default), 2019-09 or 2020-12.';
  return 'Fix the schema (JSON Schema draft-07, 2019-09 or 2020-12).';
}

const containers = new Set(['object', 'array']);

/** True when a schema's root may be a string, number, boolean or null (by `type`, `const`, `enum`). */
export function rootMayBeScalar(schema: unknown, depth = 0): boolean {
  if (typeof schema !== 'object' || schema === null || depth > 16) return false;
  const { type, enum: values, anyOf, oneOf, allOf } = schema as Record<string, unknown>;
  if (typeof type === 'string') return !containers.has(type);
  if (Array.isArray(type)) return type.some((each) => !containers.has(each as string));
  if ('const' in schema) {
    const value = (schema as { const: unknown }).const;
    return typeof value !== 'object' || value === null;
  }
  if (Array.isArray(values)) return values.some((value) => typeof value !== 'object' || value === null);
  return [anyOf, oneOf, allOf].some(
    (branches) => Array.isArray(branches) && branches.some((branch) => rootMayBeScalar(branch, depth + 1)),
  );
}
