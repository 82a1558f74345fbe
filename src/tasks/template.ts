// Prompt templates: `{{field}}` placeholders filled from an example's fields, with few-shot demos
// rendered the same way and followed by their target. No logic, no escaping: what you write is sent.
import { ValidationError } from '../errors/index.js';
import type { TaskSpec } from './spec.js';

const placeholder = /\{\{\s*([\w.-]+)\s*\}\}/g;

/** The placeholder names a template uses, in order of first use. */
export function templateVariables(template: string): string[] {
  return [...new Set([...template.matchAll(placeholder)].map((match) => match[1]))];
}

/** Fills a template; a placeholder without a value is an error naming it. */
export function renderTemplate(
  template: string,
  values: Record<string, unknown>,
  where = 'template',
): string {
  return template.replace(placeholder, (_, name: string) => {
    if (!(name in values) || values[name] === undefined || values[name] === null) {
      throw new ValidationError(`${where}: no value for {{${name}}}`, {
        code: 'TEMPLATE_MISSING_VALUE',
        hint: `The example has fields ${Object.keys(values).join(', ') || '(none)'}; rename the placeholder or add the field.`,
      });
    }
    const value = values[name];
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

/** The prompt text for one example: each demo (template + its target), then the example's template. */
export function renderPrompt(spec: TaskSpec, example: Record<string, unknown>, where?: string): string {
  const target = spec.data.targetField;
  const demos = spec.prompt.demos.map((demo) => {
    const value = demo[target];
    return (
      renderTemplate(spec.prompt.template, demo, 'a demo') +
      (typeof value === 'string' ? value : JSON.stringify(value))
    );
  });
  return [...demos, renderTemplate(spec.prompt.template, example, where)].join(spec.prompt.demoSeparator);
}
