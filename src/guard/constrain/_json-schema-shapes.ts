// Compiles a JSON Schema into shapes: for each place a value goes, the alternatives it may take (an
// object with ordered properties, an array, a string, a number, a literal). Keywords that change which
// values are valid and that the shapes cannot express are refused with CONSTRAINT_UNSUPPORTED naming
// the keyword and where it is. Reading text against the shapes is json-schema-automaton.ts's job.
import { ValidationError } from '../../errors/index.js';
import { choiceTrie, type ChoiceNode } from './choice-automaton.js';
import { regexAutomaton, type RegexAutomaton } from './regex-automaton.js';

/** The values one place of a document may take. `members` may name other unions (anyOf, $ref). */
export interface ValueUnion {
  readonly id: number;
  readonly members: (Shape | ValueUnion)[];
  /** The shapes of all members, unions flattened (filled on first use). */
  flat?: Shape[];
}

/** One alternative of a value. */
export type Shape = ObjectShape | ArrayShape | StringShape | NumberShape | LiteralShape;

/** An object whose properties are written in order (required ones first, as `required` lists them), the required ones always. */
export interface ObjectShape {
  readonly kind: 'object';
  readonly id: number;
  readonly properties: { name: string; value: ValueUnion; required: boolean }[];
  /** Per start index: the keys that may come next, as a trie of their JSON texts (filled on first use). */
  keys?: (KeyTrie | undefined)[];
}

/** The JSON texts of the property names that may come next, and which property each one is. */
export interface KeyTrie {
  readonly root: ChoiceNode;
  readonly propertyAt: Map<number, number>;
}

/** An array of values of one union. */
export interface ArrayShape {
  readonly kind: 'array';
  readonly id: number;
  readonly items: ValueUnion;
  readonly minItems: number;
  readonly maxItems: number;
}

/** A string; lengths count code points of the decoded string. */
export interface StringShape {
  readonly kind: 'string';
  readonly id: number;
  readonly minLength: number;
  readonly maxLength: number;
  readonly pattern: RegexAutomaton | undefined;
}

/** A JSON number; an integer has neither fraction nor exponent. */
export interface NumberShape {
  readonly kind: 'number';
  readonly id: number;
  readonly integer: boolean;
  readonly negative: boolean;
}

/** One of a fixed set of JSON texts (true, false, null, enum and const values). */
export interface LiteralShape {
  readonly kind: 'literal';
  readonly id: number;
  readonly root: ChoiceNode;
}

// Keywords neither listed below nor refused are ignored, as Ajv does without strict mode: annotations
// (title, description, default, examples, format, ...), definitions, and these, documented as not
// enforced: minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf (a minimum of 0 or more
// only forbids the minus sign), additionalProperties (properties beyond `properties` are never written).

const unsupportedKeywords = [
  'not', 'if', 'then', 'else', 'patternProperties', 'propertyNames', 'dependentRequired',
  'dependentSchemas', 'dependencies', 'contains', 'minContains', 'maxContains', 'prefixItems',
  'additionalItems', 'unevaluatedProperties', 'unevaluatedItems', '$dynamicRef', '$recursiveRef',
]; // prettier-ignore

const validityKeywords = new Set([
  'type', 'enum', 'const', 'properties', 'required', 'minProperties', 'maxProperties', 'items', 'minItems',
  'maxItems', 'uniqueItems', 'minLength', 'maxLength', 'pattern', 'nullable', '$ref', 'anyOf', 'oneOf', 'allOf',
]); // prettier-ignore

const typeKeywords: Record<string, string[]> = {
  object: ['properties', 'required', 'minProperties', 'maxProperties'],
  array: ['items', 'minItems', 'maxItems', 'uniqueItems'],
  string: ['minLength', 'maxLength', 'pattern'],
  number: [],
};

const supportedHint =
  'Supported: type (and type lists), properties, required, items, minItems, maxItems, minLength, maxLength, ' +
  'pattern, enum, const, anyOf, oneOf, a one-schema allOf, $ref to #/..., nullable; minimum, maximum, ' +
  'multipleOf, format and additionalProperties are not enforced. Validate the output for the rest.';

function unsupported(path: string, what: string): ValidationError {
  return new ValidationError(
    `JSON Schema at ${path} uses ${what}, which constrained decoding does not support`,
    {
      code: 'CONSTRAINT_UNSUPPORTED',
      hint: supportedHint,
    },
  );
}

type Schema = Record<string, unknown>;

/** Compiles a JSON Schema (an object or a boolean) into the union of values at its root. */
export function compileShapes(schema: unknown): ValueUnion {
  let nextId = 0;
  const compiled = new Map<unknown, ValueUnion>();

  const resolve = (reference: unknown, path: string): unknown => {
    if (typeof reference !== 'string' || !reference.startsWith('#')) {
      throw unsupported(path, `$ref ${JSON.stringify(reference)} (only references inside the schema, #/...)`);
    }
    let target: unknown = schema;
    for (const raw of reference.slice(1).split('/').slice(1)) {
      const part = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
      target = typeof target === 'object' && target !== null ? (target as Schema)[part] : undefined;
      if (target === undefined)
        throw unsupported(path, `$ref ${reference}, which names nothing in the schema`);
    }
    return target;
  };

  const union = (node: unknown, path: string): ValueUnion => {
    const known = compiled.get(node);
    if (known) return known;
    const result: ValueUnion = { id: nextId++, members: [] };
    compiled.set(node, result);
    result.members.push(...members(node, path));
    return result;
  };

  const members = (node: unknown, path: string): (Shape | ValueUnion)[] => {
    if (node === true) return anyValue(path);
    if (node === false) return [];
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      throw new ValidationError(
        `JSON Schema at ${path} must be an object or a boolean, found ${JSON.stringify(node)}`,
        {
          code: 'CONSTRAINT_INVALID',
          hint: 'Write the schema as a JSON Schema object, e.g. { "type": "string" }.',
        },
      );
    }
    const schemaNode = node as Schema;
    for (const keyword of unsupportedKeywords) {
      if (keyword in schemaNode) throw unsupported(path, `"${keyword}"`);
    }
    const validity = Object.keys(schemaNode).filter((keyword) => validityKeywords.has(keyword));
    const combinator = ['$ref', 'anyOf', 'oneOf', 'allOf'].find((keyword) => keyword in schemaNode);
    if (combinator) {
      if (validity.length > 1)
        throw unsupported(
          path,
          `"${combinator}" beside ${validity.filter((k) => k !== combinator).join(', ')}`,
        );
      const value = schemaNode[combinator];
      if (combinator === '$ref') return [union(resolve(value, path), `${path}/$ref`)];
      if (!Array.isArray(value)) throw unsupported(path, `"${combinator}" that is not a list`);
      if (combinator === 'allOf' && value.length !== 1)
        throw unsupported(path, '"allOf" with more than one schema');
      return value.map((branch, index) => union(branch, `${path}/${combinator}/${index}`));
    }
    return typedShapes(schemaNode, path);
  };

  const anyValue = (path: string): Shape[] => typedShapes({}, path);

  const typedShapes = (node: Schema, path: string): Shape[] => {
    let types: string[];
    if (node.type !== undefined) {
      types = Array.isArray(node.type) ? [...(node.type as string[])] : [node.type as string];
      if (node.nullable === true) types.push('null');
    } else {
      types = Object.keys(typeKeywords).filter((type) =>
        typeKeywords[type].some((keyword) => keyword in node),
      );
      if (types.length === 0) types = ['object', 'array', 'string', 'number', 'boolean', 'null'];
    }
    if ('const' in node || 'enum' in node) return [enumShape(node, types, path)];
    const shapes: Shape[] = [];
    const texts: string[] = [];
    for (const type of new Set(types)) {
      if (type === 'object') shapes.push(objectShape(node, path));
      else if (type === 'array') shapes.push(arrayShape(node, path));
      else if (type === 'string') shapes.push(stringShape(node, path));
      else if (type === 'number' || type === 'integer') {
        if (type === 'integer' && types.includes('number')) continue;
        const minimum = [node.minimum, node.exclusiveMinimum].find((bound) => typeof bound === 'number');
        shapes.push({
          kind: 'number',
          id: nextId++,
          integer: type === 'integer',
          negative: !(typeof minimum === 'number' && minimum >= 0),
        });
      } else if (type === 'boolean') texts.push('true', 'false');
      else if (type === 'null') texts.push('null');
      else throw unsupported(`${path}/type`, `the type ${JSON.stringify(type)}`);
    }
    if (texts.length > 0) shapes.push({ kind: 'literal', id: nextId++, root: choiceTrie(texts) });
    return shapes;
  };

  const enumShape = (node: Schema, types: string[], path: string): LiteralShape => {
    const values = 'const' in node ? [node.const] : node.enum;
    if (!Array.isArray(values)) throw unsupported(`${path}/enum`, '"enum" that is not a list');
    const typeOf = (value: unknown): string[] => {
      if (value === null) return ['null'];
      if (Array.isArray(value)) return ['array'];
      if (typeof value === 'number') return Number.isInteger(value) ? ['number', 'integer'] : ['number'];
      return [typeof value];
    };
    const allowed = values.filter((value) => typeOf(value).some((type) => types.includes(type)));
    return { kind: 'literal', id: nextId++, root: choiceTrie(allowed.map((value) => JSON.stringify(value))) };
  };

  const objectShape = (node: Schema, path: string): ObjectShape => {
    const declared = (node.properties ?? {}) as Schema;
    const required = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
    for (const name of required) {
      if (!(name in declared)) {
        throw unsupported(
          `${path}/required`,
          `the required property "${name}" missing from "properties" (additional properties are never generated)`,
        );
      }
    }
    // the required properties in `required`'s order, then the optional ones as declared: arrays keep
    // their order when a registry stores a spec with its keys sorted, so served versions write the same
    const requiredNames = [...required];
    const names = [...requiredNames, ...Object.keys(declared).filter((name) => !required.has(name))];
    if (typeof node.minProperties === 'number' && node.minProperties > required.size)
      throw unsupported(path, '"minProperties" beyond the required properties');
    if (typeof node.maxProperties === 'number' && node.maxProperties < names.length)
      throw unsupported(path, '"maxProperties" below the number of properties');
    const properties = names.map((name) => ({
      name,
      value: union(declared[name], `${path}/properties/${name}`),
      required: required.has(name),
    }));
    return { kind: 'object', id: nextId++, properties };
  };

  const arrayShape = (node: Schema, path: string): ArrayShape => {
    if (Array.isArray(node.items)) throw unsupported(`${path}/items`, '"items" as a list (tuples)');
    const minItems = typeof node.minItems === 'number' ? node.minItems : 0;
    const maxItems = typeof node.maxItems === 'number' ? node.maxItems : Infinity;
    if (node.uniqueItems === true && maxItems > 1) throw unsupported(path, '"uniqueItems"');
    const items = union(node.items ?? true, `${path}/items`);
    return { kind: 'array', id: nextId++, items, minItems, maxItems };
  };

  const stringShape = (node: Schema, path: string): StringShape => {
    const minLength = typeof node.minLength === 'number' ? node.minLength : 0;
    const maxLength = typeof node.maxLength === 'number' ? node.maxLength : Infinity;
    if (minLength > maxLength) {
      throw new ValidationError(
        `JSON Schema at ${path} has minLength ${minLength} above maxLength ${maxLength}`,
        {
          code: 'CONSTRAINT_INVALID',
          hint: 'No string satisfies it; fix the bounds.',
        },
      );
    }
    let pattern: RegexAutomaton | undefined;
    if (typeof node.pattern === 'string') {
      try {
        pattern = regexAutomaton(node.pattern, { search: true });
      } catch (error) {
        if (!ValidationError.isInstance(error)) throw error;
        throw new ValidationError(`JSON Schema at ${path}/pattern: ${error.message}`, {
          code: error.code,
          hint: error.hint,
        });
      }
    }
    return { kind: 'string', id: nextId++, minLength, maxLength, pattern };
  };

  return union(schema, '#');
}

/** The shapes of a union, nested unions flattened (cycles of references contribute nothing). */
export function flatShapes(union: ValueUnion): Shape[] {
  if (union.flat) return union.flat;
  const shapes: Shape[] = [];
  const seen = new Set<ValueUnion>();
  const visit = (current: ValueUnion): void => {
    if (seen.has(current)) return;
    seen.add(current);
    for (const member of current.members) {
      if ('members' in member) visit(member);
      else shapes.push(member);
    }
  };
  visit(union);
  union.flat = shapes;
  return shapes;
}

/** The keys that may come next in an object from property `index` on: optional ones up to the first required one. */
export function keysFrom(shape: ObjectShape, index: number): KeyTrie | undefined {
  shape.keys ??= [];
  if (index in shape.keys) return shape.keys[index];
  const candidates: number[] = [];
  for (let i = index; i < shape.properties.length; i++) {
    const property = shape.properties[i];
    if (flatShapes(property.value).length > 0 || property.required) candidates.push(i);
    if (property.required) break;
  }
  let trie: KeyTrie | undefined;
  if (candidates.length > 0) {
    const texts = candidates.map((i) => JSON.stringify(shape.properties[i].name));
    const root = choiceTrie(texts);
    const propertyAt = new Map<number, number>();
    texts.forEach((text, position) => {
      let node = root;
      for (const character of text) node = node.children.get(character.codePointAt(0)!)!;
      propertyAt.set(node.id, candidates[position]);
    });
    trie = { root, propertyAt };
  }
  shape.keys[index] = trie;
  return trie;
}

/** True when a property at `index` or after is required (the object may not close yet). */
export function requiresFrom(shape: ObjectShape, index: number): boolean {
  for (let i = index; i < shape.properties.length; i++) if (shape.properties[i].required) return true;
  return false;
}
