// Public surface of constrained decoding's core: character automata for label sets, regular
// expressions and JSON Schemas, and their compilation into the engine's token masks. Applying the
// masks while sampling is the engine's; checking finished outputs is the validators'.
export type { CharacterAutomaton } from './character-automaton.js';
export { choiceAutomaton, type ChoiceNode } from './choice-automaton.js';
export {
  regexAutomaton,
  type RegexAutomaton,
  type RegexAutomatonOptions,
  type RegexState,
} from './regex-automaton.js';
export {
  jsonSchemaAutomaton,
  type JsonSchemaAutomatonOptions,
  type JsonState,
} from './json-schema-automaton.js';
export { compileTokenConstraint, type TokenMaskOptions } from './token-masks.js';
export { compileConstraint, constraintAutomaton } from './compile-constraint.js';
export { constraintSpec, type ConstraintSpec } from '../../tasks/index.js';
