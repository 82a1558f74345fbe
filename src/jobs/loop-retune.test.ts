// The method a loop's soft re-tune takes from the version the label serves: soft train --like it, unless
// the policy names a method or an option production's method would refuse (src/soft/method-shape.ts
// reads the shape itself; its test covers each method).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../../test/models.js';
import { retuneMethod } from './loop-retune.js';

const config = (path: string) =>
  JSON.parse(readFileSync(join(repositoryRoot, path, 'adapter_config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
const soft = (adapterConfig: Record<string, unknown>, promptune?: Record<string, unknown>) => ({
  kind: 'soft' as const,
  number: 3,
  task: 'name',
  id: 'v3-id',
  content: { adapterConfig, ...(promptune && { promptune }) },
});
const lora = config('test/fixtures/peft-lora/adapter');

describe("a soft re-tune's method", () => {
  it("trains like production, and says production's shape beside the policy's options", () => {
    expect(retuneMethod(soft(lora), ['--steps', '40'])).toEqual({
      args: ['--like', 'name@v3-id'],
      note: 'LoRA, as version 3 (--method lora --rank 4 --alpha 8 --targets q,k,v,o,gate,up,down)',
      differs: false,
      // what --like stands for, as a later iteration compares settings
      settings: ['--method', 'lora', '--rank', '4', '--alpha', '8', '--targets', 'q,k,v,o,gate,up,down'],
    });
    // the policy's rank wins, and takes soft train's alpha for it
    expect(retuneMethod(soft(lora), ['--rank=16', '--targets', 'q,v']).note).toBe(
      'LoRA, as version 3 (--method lora)',
    );
    const prompt = config('../shared/models/stories260K-hf/peft-prompt-tuning-example');
    expect(retuneMethod(soft(prompt, { layout: 'bos-first' }), []).note).toMatch(/ --layout bos-first\)$/);
  });

  it('transfers a multitask production from itself', () => {
    const multitask = config('test/fixtures/peft-multitask/adapter');
    expect(retuneMethod(soft(multitask, { training: { taskId: 0 } }), [])).toEqual({
      args: ['--like', 'name@v3-id'],
      note: 'multitask prompt, as version 3 (--method multitask-prompt-tuning --source <its adapter>)',
      differs: false,
      settings: undefined, // its content is the re-tune's start: no earlier re-tune stands for it
    });
  });

  it('adds nothing when the policy gives an option production’s method would refuse beside it', () => {
    for (const option of ['--virtual-tokens', '--init', '--init-from', '--layout'])
      expect(retuneMethod(soft(lora), [option, 'x'])).toEqual({
        args: [],
        note: `soft train's default method: the policy's ${option} is not an option of version 3's LoRA`,
        differs: true,
        settings: [],
      });
    const prefix = config('test/fixtures/peft-prefix/adapter');
    expect(retuneMethod(soft(prefix), ['--init', 'text']).args).toEqual(['--like', 'name@v3-id']);
    expect(retuneMethod(soft({ ...prefix, prefix_projection: true }), ['--init', 'text']).args).toEqual([]);
  });

  it('adds nothing when the policy names a method, production is a hard prompt, or the label is unset', () => {
    expect(retuneMethod(soft(lora), ['--method', 'prefix-tuning'])).toEqual({
      args: [],
      note: "the policy's --method",
      differs: false,
      settings: [],
    });
    // a version of its own to train like: one --like, the policy's
    expect(retuneMethod(soft(lora), ['--like', 'name@2'])).toEqual({
      args: [],
      note: "the policy's --like",
      differs: false,
      settings: [],
    });
    expect(retuneMethod({ kind: 'hard', number: 2, task: 'name', id: 'v2', content: {} }, [])).toEqual({
      args: [],
      note: "soft train's default method (version 2 is a hard prompt)",
      differs: false,
      settings: [],
    });
    expect(retuneMethod(undefined, []).args).toEqual([]);
  });

  it('warns of an adapter no method of soft train writes', () => {
    const { args, note, differs } = retuneMethod(soft({ peft_type: 'IA3' }), []);
    expect(args).toEqual([]);
    expect(differs).toBe(true);
    expect(note).toMatch(/version 3's .* is not re-tuned as itself \(name --method in the policy's args\)/);
  });
});
