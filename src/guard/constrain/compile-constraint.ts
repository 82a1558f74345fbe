// A decoding constraint given as data (a label set, a regular expression, a JSON Schema) compiled for
// one tokenizer, cached per tokenizer and spec so that every request with the same constraint shares
// its masks. Label sets decode as the model spells them (choice-tokens.ts) when they tokenize cleanly.
// The spec's schema lives in the tasks layer (task specs carry it); nothing here samples.
import { partialTokenBytes, tokenTexts, type TokenConstraint, type Tokenizer } from '../../engine/index.js';
import { describeIssues, ValidationError } from '../../errors/index.js';
import { constraintSpec, type ConstraintSpec } from '../../tasks/index.js';
import type { CharacterAutomaton } from './character-automaton.js';
import { choiceAutomaton } from './choice-automaton.js';
import { jsonSchemaAutomaton } from './json-schema-automaton.js';
import { regexAutomaton } from './regex-automaton.js';
import { choiceTokenConstraint } from './choice-tokens.js';
import { compileTokenConstraint } from './token-masks.js';

const compiledPerTokenizer = new WeakMap<Tokenizer, Map<string, TokenConstraint>>();
const largestCache = 64;

/** The character automaton a constraint spec means. */
export function constraintAutomaton(spec: ConstraintSpec): CharacterAutomaton {
  const parsed = constraintSpec.safeParse(spec);
  if (!parsed.success) {
    throw new ValidationError(`Invalid decoding constraint: ${describeIssues(parsed.error.issues)}`, {
      code: 'CONSTRAINT_INVALID',
      hint: 'Write { kind: "choice", choices: [...] }, { kind: "regex", pattern: "..." } or { kind: "json-schema", schema: {...} }.',
    });
  }
  const valid = parsed.data;
  switch (valid.kind) {
    case 'choice':
      return choiceAutomaton(valid.choices) as CharacterAutomaton;
    case 'regex':
      return regexAutomaton(valid.pattern) as CharacterAutomaton;
    case 'json-schema':
      // one whitespace character at a time: small models otherwise fill the budget with newlines
      return jsonSchemaAutomaton(valid.schema, { maxWhitespace: 1 }) as CharacterAutomaton;
  }
}

/** Compiles a constraint spec for a tokenizer's vocabulary (cached per tokenizer and spec). */
export function compileConstraint(spec: ConstraintSpec, tokenizer: Tokenizer): TokenConstraint {
  let compiled = compiledPerTokenizer.get(tokenizer);
  if (!compiled) {
    compiled = new Map();
    compiledPerTokenizer.set(tokenizer, compiled);
  }
  const key = JSON.stringify(spec);
  let constraint = compiled.get(key);
  if (!constraint) {
    constraint =
      (spec.kind === 'choice' ? choiceTokenConstraint(spec.choices, tokenizer) : undefined) ??
      compileTokenConstraint(constraintAutomaton(spec), tokenTexts(tokenizer), tokenizer.eosTokenIds, {
        partialBytes: partialTokenBytes(tokenizer),
      });
    if (compiled.size >= largestCache) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, constraint);
  }
  return constraint;
}
