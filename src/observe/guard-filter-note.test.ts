// The note a guard filter that found nothing gets: the validators the tasks' specs have when none is
// called what was asked (a typo is not "no failures"), nothing when one is.
import { describe, expect, it } from 'vitest';
import { Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/spec.js';
import { guardFilterNote } from './version-filter.js';

describe('guardFilterNote', () => {
  it('names the validators when none is called what the filter asked, and is silent when one is', async () => {
    const registry = await Registry.open({ path: ':memory:' });
    try {
      expect(await guardFilterNote(registry, undefined, 'pii')).toBe(
        "no validator guards any task: --guard pii can match only older specs' traces",
      );
      await registry.putTask(
        taskSpec.parse({
          name: 'story',
          prompt: { template: '{{input}}' },
          guards: {
            input: [{ validator: 'pii' }],
            output: [{ validator: 'length', name: 'short', maxCharacters: 20 }],
          },
        }),
      );
      await registry.putTask(taskSpec.parse({ name: 'plain', prompt: { template: '{{input}}' } }));
      expect(await guardFilterNote(registry, undefined, 'pi')).toBe(
        'no validator of any task is named pi (did you mean pii?); its validators: pii, short',
      );
      expect(await guardFilterNote(registry, 'plain', 'pii')).toBe(
        "no validator guards task plain: --guard pii can match only older specs' traces",
      );
      for (const guard of ['pii', 'short', 'any', undefined])
        expect(await guardFilterNote(registry, 'story', guard)).toBeUndefined();
    } finally {
      await registry.close();
    }
  });
});
