// What a hard prompt version holds (the parts of a task spec that make the prompt), a version's method in
// a word or two, and a line diff between two versions for `registry diff`.
import type { TaskSpec } from '../tasks/index.js';
import type { PromptVersion } from './registry.js';

/** The version content of a task spec's prompt: system, template, demos and generation parameters. */
export function hardVersionContent(spec: TaskSpec): Record<string, unknown> {
  return {
    system: spec.prompt.system,
    template: spec.prompt.template,
    demos: spec.prompt.demos,
    demoSeparator: spec.prompt.demoSeparator,
    generation: spec.generation,
  };
}

/** Each PEFT method's short name, as a version's method is listed. */
const methodNames: Record<string, string> = {
  PROMPT_TUNING: 'soft prompt',
  LORA: 'LoRA',
  PREFIX_TUNING: 'prefix',
  P_TUNING: 'P-tuning',
  MULTITASK_PROMPT_TUNING: 'multitask prompt',
};

/** A version's method: "hard prompt", or the adapter's ("soft prompt", "LoRA", "prefix", …). */
export function versionMethod(version: Pick<PromptVersion, 'kind' | 'content'>): string {
  if (version.kind !== 'soft') return 'hard prompt';
  const config = version.content.adapterConfig as { peft_type?: unknown } | undefined;
  return methodNames[String(config?.peft_type)] ?? 'soft prompt';
}

/** Lines removed (-) and added (+) between two versions' contents, field by field. */
export function diffVersions(a: PromptVersion, b: PromptVersion): string[] {
  const lines: string[] = [];
  const keys = [...new Set([...Object.keys(a.content), ...Object.keys(b.content)])].sort();
  for (const key of keys) {
    const before = JSON.stringify(a.content[key], null, 2);
    const after = JSON.stringify(b.content[key], null, 2);
    if (before === after) continue;
    lines.push(`@@ ${key}`);
    // a field one side lacks shows no line on that side (not "undefined")
    if (before !== undefined) for (const line of before.split('\n')) lines.push(`- ${line}`);
    if (after !== undefined) for (const line of after.split('\n')) lines.push(`+ ${line}`);
  }
  return lines;
}
