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

// formats that are annotations where a schema comes from: zod 4's (it writes a checked pattern beside
// them) and OpenAPI's; a format one slip from one of these or ajv's, and none of them, is taken for a typo
const annotatedFormats = [
  ...['base64', 'base64url', 'cidrv4', 'cidrv6', 'credit_card', 'cuid', 'cuid2', 'datetime', 'e164'],
  ...['emoji', 'ends_with', 'float32', 'float64', 'guid', 'iban', 'includes', 'int32', 'int64', 'jwt'],
  ...['json-string', 'ksuid', 'lowercase', 'mac', 'nanoid', 'safeint', 'starts_with', 'uint32'],
  ...['uint64', 'ulid', 'uppercase', 'url', 'xid', 'float', 'double', 'byte', 'binary', 'password'],
];

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
  // Schema 2019-09 defines `format`; zod writes a checked `pattern` beside them. Where a schema is
  // authored, one a letter or two from a known format is refused: `emial` checked nothing
  const known = [...Object.keys(ajv.formats), ...annotatedFormats];
  for (const format of formats) {
    if (ajv.formats[format] !== undefined) continue;
    const meant =
      strict && !annotatedFormats.includes(format) ? known.find((name) => oneSlip(format, name)) : undefined;
    if (meant) throw new Error(`unknown format "${format}" (did you mean "${meant}"?)`);
    ajv.addFormat(format, true);
  }
  for (const keyword of [...annotations, ...extensions]) ajv.addKeyword(keyword);
  return ajv.compile(schema);
}

/**
 * Whether `written` is `name` with one slip: a letter left out, added, changed, or two neighbours
 * swapped (`emial`); further apart is a name of its own (a custom `isbn` is not `iban`).
 */
function oneSlip(written: string, name: string): boolean {
  if (written === name || Math.abs(written.length - name.length) > 1) return false;
  let start = 0;
  while (start < written.length && written[start] === name[start]) start++;
  const rest = (from: number, to: number) => written.slice(from) === name.slice(to);
  return (
    rest(start + 1, start + 1) || // changed
    rest(start + 1, start) || // added
    rest(start, start + 1) || // left out
    (written[start] === name[start + 1] && written[start + 1] === name[start] && rest(start + 2, start + 2))
  );
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
  const format = /unknown format "([^"]*)" \(did you mean "([^"]*)"\?\)/.exec(message);
  if (format)
    return `Correct the format "${format[1]}" (to "${format[2]}"?): a misspelled format would check nothing.`;
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
