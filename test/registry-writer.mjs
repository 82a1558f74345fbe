// Child process for the registry durability test: pushes versions and moves a label in a loop,
// printing each committed version id, until it is killed.
import { Registry } from '../dist/registry/index.js';

const [location, task] = process.argv.slice(2);
const registry = await Registry.open(
  location.startsWith('postgres:') ? { url: location } : { path: location },
);
const actor = { name: 'writer', scopes: ['admin'] };
await registry.putTask({
  name: task,
  description: '',
  input: { fields: ['input'] },
  output: { kind: 'text' },
  prompt: { template: '{{input}}', demos: [], demoSeparator: '\n\n' },
  metrics: [],
  data: { targetField: 'target' },
  generation: { maxTokens: 8, temperature: 0, stop: [], seed: 0 },
});
for (let i = 0; ; i++) {
  const { version } = await registry.pushVersion({
    task,
    kind: 'hard',
    content: { template: `attempt ${i}: {{input}}` },
    actor,
  });
  await registry.setLabel({ task, label: 'staging', reference: version.id, actor });
  process.stdout.write(`${version.id}\n`);
}
