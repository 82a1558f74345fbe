// Child process for the registry's multi-process tests, over the built dist/. Modes:
//   durable: pushes versions and moves a label in a loop, printing each committed version id, until killed.
//   contend <worker> <count>: after "go" on stdin, pushes one version shared by all workers, then `count`
//     of its own, moving the label `staging` to each; prints one JSON line of attempted/succeeded counts.
//   open: after "go" on stdin, opens (and so migrates) the registry and prints "opened".
// It asserts nothing: the test reads what it prints and checks the registry afterwards.
import { createInterface } from 'node:readline';
import { Registry } from '../dist/registry/index.js';

const [location, task, mode = 'durable', ...rest] = process.argv.slice(2);
const open = () => Registry.open(location.startsWith('postgres:') ? { url: location } : { path: location });
const actor = { name: 'writer', scopes: ['admin'] };
const spec = {
  name: task,
  description: '',
  input: { fields: ['input'] },
  output: { kind: 'text' },
  prompt: { template: '{{input}}', demos: [], demoSeparator: '\n\n' },
  metrics: [{ name: 'exact-match', weight: 1, options: {} }],
  data: { targetField: 'target' },
  generation: { maxTokens: 8, temperature: 0, stop: [], seed: 0 },
};

/** Says "ready" and resolves at the test's "go", so that every worker starts at once. */
async function startSignal() {
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line === 'go') break;
  lines.close();
}

if (mode === 'durable') {
  const registry = await open();
  await registry.putTask(spec);
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
} else if (mode === 'open') {
  await startSignal();
  const registry = await open();
  await registry.close();
  process.stdout.write('opened\n');
} else if (mode === 'contend') {
  const [worker, count] = rest.map(Number);
  await startSignal();
  const registry = await open();
  const tally = { worker, attempted: 0, succeeded: 0, created: 0, moves: 0, failures: [] };
  const attempt = async (operation) => {
    tally.attempted++;
    try {
      const result = await operation();
      tally.succeeded++;
      return result;
    } catch (error) {
      tally.failures.push(`${error.code ?? 'no code'}: ${error.message}`);
      return undefined;
    }
  };
  const push = (template) =>
    attempt(() => registry.pushVersion({ task, kind: 'hard', content: { template }, spec, actor }));
  const shared = await push('shared by every worker: {{input}}');
  if (shared?.created) tally.created++;
  for (let i = 0; i < count; i++) {
    const pushed = await push(`worker ${worker} push ${i}: {{input}}`);
    if (!pushed) continue;
    if (pushed.created) tally.created++;
    const moved = await attempt(() =>
      registry.setLabel({
        task,
        label: 'staging',
        reference: pushed.version.id,
        actor,
        reason: `w${worker}`,
      }),
    );
    if (moved) tally.moves++;
  }
  await registry.close();
  process.stdout.write(`${JSON.stringify(tally)}\n`);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
