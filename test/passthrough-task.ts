// A task whose prompt is its input alone ('{{input}}'), pushed as a hard version: what the service
// tests serve when the prompt is not the subject (failures, draining, bad input, the engine's own text).
import type { Actor, PromptVersion, Registry } from '../src/registry/index.js';
import { taskSpec } from '../src/tasks/spec.js';

/** A hard version's content with `template` and greedy generation of at most `maxTokens`. */
export const hardContent = (template: string, maxTokens = 8) => ({
  template,
  demos: [],
  demoSeparator: '\n\n',
  generation: { maxTokens, temperature: 0, stop: [], seed: 0 },
});

/** Puts task `name` (prompt '{{input}}') and pushes its first hard version, labelled when `label` is given. */
export async function pushPassthroughTask(
  registry: Registry,
  options: { name?: string; actor: Actor; maxTokens?: number; label?: string },
): Promise<PromptVersion> {
  const name = options.name ?? 'story';
  await registry.putTask(taskSpec.parse({ name, prompt: { template: '{{input}}' } }));
  const { version } = await registry.pushVersion({
    task: name,
    kind: 'hard',
    content: hardContent('{{input}}', options.maxTokens),
    actor: options.actor,
  });
  if (options.label)
    await registry.setLabel({
      task: name,
      label: options.label,
      reference: version.id,
      actor: options.actor,
      reason: 'test',
    });
  return version;
}
