// The processes bench:serve loads, each apart from the load generator so none shares an event loop:
// with no argument, a stub OpenAI-compatible upstream that answers at once (prints {"upstream": url});
// with the upstream's URL as argument, the promptune service over a fresh registry whose task `echo`
// runs on that stub (prints {"service": url, "key": key}); a second argument `untraced` turns the
// service's request tracing off, `unwritten` keeps it but writes nowhere (bench:observe compares them).
import { Hono } from 'hono';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { TraceRecorder, WorkerTraceSink } from '../src/observe/index.js';
import { resolveModel } from '../src/providers/index.js';
import { Registry } from '../src/registry/index.js';
import { listen } from '../src/serve/listen.js';
import { createService } from '../src/serve/service.js';
import { taskSpec } from '../src/tasks/spec.js';

const stub = new Hono();
stub.post('/v1/chat/completions', async (context) => {
  const body = (await context.req.json()) as { model: string };
  return context.json({
    id: 'stub',
    object: 'chat.completion',
    created: 0,
    model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 8, completion_tokens: 1, total_tokens: 9 },
  });
});
const upstreamUrl = process.argv[2];
if (!upstreamUrl) {
  const upstream = await listen(stub);
  process.stdout.write(JSON.stringify({ upstream: upstream.url }) + '\n');
} else {
  const path = join(mkdtempSync(join(tmpdir(), 'promptune-bench-serve-')), 'registry.sqlite');
  const registry = await Registry.open({ path });
  const actor = { name: 'bench', scopes: ['read', 'run', 'admin'] };
  await registry.putTask(
    taskSpec.parse({ name: 'echo', prompt: { system: 'Repeat the input.', template: '{{input}}' } }),
  );
  const { version } = await registry.pushVersion({
    task: 'echo',
    kind: 'hard',
    content: {
      system: 'Repeat the input.',
      template: '{{input}}',
      demos: [],
      demoSeparator: '\n\n',
      generation: { maxTokens: 8, temperature: 0, stop: [], seed: 0 },
    },
    actor,
  });
  await registry.setLabel({
    task: 'echo',
    label: 'production',
    reference: version.id,
    actor,
    reason: 'bench',
  });
  const { key } = await registry.keys.create({ name: 'bench', scopes: ['run'], ratePerMinute: 1e9 });
  const { model } = await resolveModel(`openai-compatible:${upstreamUrl}/v1#stub`);
  const service = createService({
    registry,
    backends: { hard: model },
    tracing:
      process.argv[3] === 'untraced'
        ? false
        : process.argv[3] === 'unwritten'
          ? new TraceRecorder({ insert: async () => undefined })
          : { sink: await WorkerTraceSink.start({ path }) }, // as promptune serve writes traces
    logger: pino({ level: 'silent' }),
  });
  const served = await listen(service.app);
  process.stdout.write(JSON.stringify({ service: served.url, key }) + '\n');
}
process.on('SIGTERM', () => process.exit(0));
