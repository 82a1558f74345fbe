// What a library caller cannot store in a registry (on SQLite): specs that are not specs, versions of an
// unknown kind, hard versions whose prompt makes no valid spec, soft versions without their adapter. Each
// refusal has a code, writes nothing, and leaves the task exportable and importable.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCode as code } from '../../test/error-code.js';
import { taskSpec, type TaskSpec } from '../tasks/index.js';
import { exportTask, importBundle } from './bundle.js';
import { Registry } from './registry.js';
import { hardVersionContent } from './versions.js';

const actor = { name: 'ana', scopes: ['read' as const, 'run' as const, 'admin' as const] };
const open = () =>
  Registry.open({ path: join(mkdtempSync(join(tmpdir(), 'promptune-checks-')), 'r.sqlite') });

describe('what the registry refuses to store', () => {
  it('refuses invalid specs and versions with a code, writing nothing', async () => {
    const registry = await open();
    const spec = taskSpec.parse({ name: 'greet', prompt: { template: 'Hi {{input}}' } });
    await registry.putTask(spec);
    const first = await registry.pushVersion({
      task: 'greet',
      kind: 'hard',
      content: hardVersionContent(spec),
      actor,
    });
    // specs: an unknown field, a placeholder no input field fills, not an object at all
    const badSpecs: [unknown, string][] = [
      [{ ...spec, foo: 1 }, 'TASK_SPEC_INVALID'],
      [{ ...spec, prompt: { ...spec.prompt, template: 'Hi {{zzz}}' } }, 'TEMPLATE_UNKNOWN_VARIABLE'],
      ['str', 'TASK_SPEC_INVALID'],
      [{ name: 'other', foo: 1 }, 'TASK_SPEC_INVALID'],
    ];
    for (const [bad, expected] of badSpecs)
      expect(await code(registry.putTask(bad as TaskSpec))).toBe(expected);
    expect(await registry.taskNames()).toEqual(['greet']);
    expect(await registry.getTask('greet')).toEqual(spec);
    // versions: an unknown kind, content no prompt has, a template the spec's fields do not fill, a
    // soft version without weights
    const badVersions: [string, Record<string, unknown>, RegExp][] = [
      ['weird', { template: 'x' }, /kind "weird" is neither hard nor soft/],
      ['hard', { foo: 1 }, /"foo", which no prompt has/],
      ['hard', { template: 'Hi {{name}}' }, /uses \{\{name\}\}, which is not an input field/],
      ['hard', { template: 7 }, /field prompt\.template/],
      ['soft', { adapterConfig: { peft_type: 'LORA' } }, /names no stored adapter weights/],
    ];
    for (const [kind, content, message] of badVersions) {
      const refused = (await registry
        .pushVersion({ task: 'greet', kind: kind as 'hard', content, actor })
        .catch((error: unknown) => error)) as Error & { code: string };
      expect(refused.code).toBe('REGISTRY_VERSION_INVALID');
      expect(refused.message).toMatch(message);
    }
    expect((await registry.listVersions('greet')).map((version) => version.id)).toEqual([first.version.id]);
    // a version with a new template that fits the spec is stored; the task still moves to another registry
    await registry.pushVersion({
      task: 'greet',
      kind: 'hard',
      content: { template: 'Hello {{input}}' },
      actor,
    });
    const copy = await open();
    await importBundle(copy, await exportTask(registry, 'greet'), actor);
    expect(await copy.listVersions('greet')).toHaveLength(2);
    await copy.close();
    await registry.close();
  });
});
