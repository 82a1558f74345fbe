// Errors a library user meets name the library's option, not only the command line's flag: a service
// built with createService and no model (SERVE_NO_MODEL, as its HTTP client reads it), a key created
// with no scopes (KEY_SCOPES). A real SQLite registry; the service answers through app.request.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { expect, it } from 'vitest';
import { hardVersionContent, Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/index.js';
import { createService } from './service.js';

it('names createService’s backends and the keys API where it had named flags only', async () => {
  const registry = await Registry.open({
    path: join(mkdtempSync(join(tmpdir(), 'promptune-hints-')), 'r.sqlite'),
  });
  try {
    const spec = taskSpec.parse({ name: 'greet', prompt: { template: '{{input}}' } });
    const actor = { name: 'test', scopes: ['admin'] };
    await registry.pushVersion({
      task: 'greet',
      kind: 'hard',
      content: hardVersionContent(spec),
      spec,
      actor,
    });
    const scopeless = await registry.keys.create({ name: 'nobody', scopes: [] }).catch((error) => error);
    expect(scopeless).toMatchObject({ code: 'KEY_SCOPES' });
    expect(scopeless.hint).toMatch(/^Give one or more of read, run, review, admin /);
    const { key } = await registry.keys.create({ name: 'app', scopes: ['run'] });
    const service = createService({
      registry,
      backends: {},
      tracing: false,
      experiments: false,
      logger: pino({ level: 'silent' }),
    });
    const response = await service.app.request('/v1/tasks/greet/run', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: { input: 'hello' } }),
    });
    const { error } = (await response.json()) as { error: { code: string; hint: string } };
    expect([response.status, error.code]).toEqual([404, 'SERVE_NO_MODEL']);
    expect(error.hint).toContain("createService's backends.hard or backends.engine");
    await service.drain();
  } finally {
    await registry.close();
  }
});
