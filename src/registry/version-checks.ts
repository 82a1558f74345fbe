// What the registry refuses to store, so a library caller cannot write what nothing can serve or export:
// a task spec that is not one (checked as a spec file is: its fields, its template's placeholders, its
// demos), a version of another kind than hard or soft, a hard version whose prompt does not make a valid
// spec with the spec it serves with, and a soft version without its adapter's config and weights.
import { ValidationError } from '../errors/index.js';
import { checkPromptFields, taskFromObject, taskSpec, type TaskSpec } from '../tasks/index.js';

/** Throws TASK_SPEC_INVALID (or TEMPLATE_UNKNOWN_VARIABLE) when `spec` is not a valid task spec. */
export function checkSpec(spec: unknown): void {
  const name = (spec as { name?: unknown } | null)?.name;
  taskFromObject(spec, `task spec ${typeof name === 'string' ? name : '(unnamed)'}`);
}

const hashPattern = /^[0-9a-f]{64}$/;

/** Throws REGISTRY_VERSION_INVALID when a version's kind or content cannot be served with `spec`. */
export function checkVersion(input: { task: string; kind: unknown; content: unknown }, spec: TaskSpec): void {
  const invalid = (what: string, hint: string) =>
    new ValidationError(`a version of ${input.task}: ${what}`, { code: 'REGISTRY_VERSION_INVALID', hint });
  if (input.kind !== 'hard' && input.kind !== 'soft')
    throw invalid(
      `kind ${JSON.stringify(input.kind)} is neither hard nor soft`,
      'A hard version holds a prompt (hardVersionContent(spec)); a soft one an adapter (pushSoftPrompt).',
    );
  const content = input.content;
  if (typeof content !== 'object' || content === null || Array.isArray(content))
    throw invalid('its content is not an object', 'Give the content as an object of its fields.');
  const fields = content as Record<string, unknown>;
  if (input.kind === 'soft') {
    if (typeof fields.adapterConfig !== 'object' || fields.adapterConfig === null)
      throw invalid(
        'a soft version has no adapterConfig',
        'Push adapters with pushSoftPrompt, which stores them whole.',
      );
    if (typeof fields.adapterBlob !== 'string' || !hashPattern.test(fields.adapterBlob))
      throw invalid(
        'a soft version names no stored adapter weights (adapterBlob)',
        'Push adapters with pushSoftPrompt, which stores their weights first.',
      );
    return;
  }
  const known = new Set(['system', 'template', 'demos', 'demoSeparator', 'generation']);
  const unknown = Object.keys(fields).filter((key) => !known.has(key));
  if (unknown.length > 0)
    throw invalid(
      `a hard version's content has ${unknown.map((key) => `"${key}"`).join(', ')}, which no prompt has`,
      'A hard version holds system, template, demos, demoSeparator and generation (hardVersionContent(spec)).',
    );
  // the prompt alone, against the fields the stored spec names: a spec stored by an older release that
  // today's schema would refuse as a whole does not block pushes to its task
  const where = `a hard version of ${input.task}`;
  const shape = taskSpec.shape;
  const prompt = shape.prompt.safeParse(
    Object.fromEntries(
      ['system', 'template', 'demos', 'demoSeparator']
        .filter((key) => fields[key] !== undefined)
        .map((key) => [key, fields[key]]),
    ),
  );
  const generation = shape.generation.safeParse(fields.generation ?? spec.generation);
  for (const [part, parsed] of [
    ['prompt', prompt],
    ['generation', generation],
  ] as const)
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw invalid(
        `${where}: field ${[part, ...issue.path].join('.')}: ${issue.message}`,
        'A hard version holds system, template, demos, demoSeparator and generation as a task spec does.',
      );
    }
  // the stored spec's fields (with their defaults, for a spec stored in a short form)
  try {
    checkPromptFields(
      prompt.data!,
      spec.input?.fields ?? ['input'],
      spec.data?.targetField ?? 'target',
      where,
    );
  } catch (error) {
    if (!ValidationError.isInstance(error)) throw error;
    throw invalid(error.message, error.hint ?? '');
  }
}
