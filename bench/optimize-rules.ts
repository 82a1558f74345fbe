// The scripted task bench:optimize runs both optimizers on (bench only; never used by tests or the
// library). Questions are sums tagged with one of four or eight "forms"; the scripted student answers a question
// correctly only when its prompt names that form's rule ("<form>-rule"), and otherwise answers one too
// many. The metric's feedback names the missing rule. The scripted teacher answers any rewrite request
// with an instruction naming every rule the request mentions (in the current instruction or the
// feedback), so progress depends on which failures each system shows its teacher and how it spends
// student calls. Both systems get exactly this behaviour, each through its own model interface.

export const forms = ['amber', 'birch', 'cedar', 'dune', 'ember', 'fjord', 'grove', 'heath'] as const;

/** One example: a question, its form, the right answer. */
export interface RuleExample {
  question: string;
  form: string;
  answer: string;
}

/** `count` examples from a seeded sequence, over the first `formCount` forms. */
export function ruleExamples(count: number, offset: number, formCount: number): RuleExample[] {
  return Array.from({ length: count }, (_, i) => {
    const [a, b] = [(offset + i * 7) % 50, (offset + i * 13) % 40];
    const form = forms[(offset + i * 3) % formCount];
    return { question: `What is ${a} + ${b}? (form ${form})`, form, answer: String(a + b) };
  });
}

/** The scripted student: the answer to the question in `prompt`, right only if its form's rule is named. */
export function studentAnswer(prompt: string): string {
  const matches = [...prompt.matchAll(/What is (\d+) \+ (\d+)\? \(form (\w+)\)/g)];
  const last = matches.at(-1);
  if (!last) return '?';
  const sum = Number(last[1]) + Number(last[2]);
  return String(prompt.includes(`${last[3]}-rule`) ? sum : sum + 1);
}

/** The metric's feedback for an answer. */
export function feedback(example: RuleExample, answer: string): string | undefined {
  return answer.trim() === example.answer ? undefined : `wrong: the ${example.form}-rule was not applied`;
}

/** The scripted teacher: an instruction naming every rule mentioned in the request. */
export function teacherInstruction(request: string): string {
  const rules = [...new Set([...request.matchAll(/\b(\w+)-rule\b/g)].map((match) => match[1]))]
    .filter((form) => (forms as readonly string[]).includes(form))
    .sort();
  return rules.length
    ? `Solve the sum and reply with the number. Apply ${rules.map((form) => `${form}-rule`).join(', ')}.`
    : 'Solve the sum and reply with the number only.';
}

/** The share of `examples` the student gets right with `instruction` (no model calls are counted). */
export function validationScore(instruction: string, examples: RuleExample[]): number {
  return (
    examples.filter((example) => studentAnswer(`${instruction}\n${example.question}`) === example.answer)
      .length / examples.length
  );
}
