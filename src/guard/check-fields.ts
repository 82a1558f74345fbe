// Input guards on a task's input fields, before its template is filled: what a user sent is checked
// (and masked, trimmed, ...), not the task's own instruction and demos around it. Each field is checked
// on its own, as the template writes it (a value that is not text as its JSON). A refusal throws a
// GuardError; a refrain is reported for the caller to answer with the refrain text.
import type { GuardSet } from './create-validators.js';
import { guardRefusal } from './guarded-generate.js';
import { runChecks, type CheckOutcome } from './run-checks.js';
import type { CheckContext } from './validator.js';

/** Input fields after the input guards, their verdicts, and whether to answer with the refrain text. */
export interface CheckedFields {
  fields: Record<string, unknown>;
  outcomes: CheckOutcome[];
  refrained: boolean;
}

/** Runs the input validators on each text field. */
export async function checkFields(
  fields: Record<string, unknown>,
  guards: GuardSet,
  context: CheckContext,
): Promise<CheckedFields> {
  const checked: CheckedFields = { fields: { ...fields }, outcomes: [], refrained: false };
  if (guards.input.length === 0) return checked;
  for (const [name, value] of Object.entries(fields)) {
    // a value that is not text reaches the model as its JSON, the text checked (an e-mail in a list, a
    // length limit on an array's strings); repaired, the field is that repaired text
    const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
    const result = await runChecks(text, guards.input, { stage: 'input', refrain: guards.refrain, context });
    checked.outcomes.push(...result.outcomes);
    if (result.refused) throw guardRefusal('input', checked.outcomes, result.refused);
    if (result.refrained) return { ...checked, refrained: true };
    if (result.text !== text || typeof value === 'string') checked.fields[name] = result.text;
  }
  return checked;
}
