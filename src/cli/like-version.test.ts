// --like on a real SQLite registry: a version's options replace --like on the command line, those written
// win, and what it cannot copy (a hard prompt, an adapter no method trains, another --method) is refused
// before a model is loaded. test/cli-soft-methods.test.ts and cli-soft-multitask.test.ts train with it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/index.js';
import { expandLike } from './like-version.js';

const actor = { name: 'ops', scopes: ['read', 'run', 'admin'] };
let folder: string;
let db: string;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'promptune-like-'));
  db = join(folder, 'registry.sqlite');
  const registry = await Registry.open({ path: db });
  try {
    await registry.putTask(taskSpec.parse({ name: 'greet', prompt: { template: '{{input}}' } }));
    await registry.pushVersion({ task: 'greet', kind: 'hard', content: { template: 'A: {{input}}' }, actor });
    const soft = async (adapterConfig: Record<string, unknown>, promptune?: Record<string, unknown>) =>
      registry.pushVersion({
        task: 'greet',
        kind: 'soft',
        content: {
          adapterBlob: await registry.putBlob(new Uint8Array([1, 2, 3])),
          adapterConfig,
          ...(promptune && { promptune }),
        },
        actor,
      });
    // 2: a LoRA, 3: an IA3 adapter, 4: a multitask prompt transferred from a source
    await soft({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'] });
    await soft({ peft_type: 'IA3' });
    await soft(
      { peft_type: 'MULTITASK_PROMPT_TUNING', num_virtual_tokens: 4, num_ranks: 1, num_tasks: 1 },
      { training: { source: 'elsewhere' } },
    );
  } finally {
    await registry.close();
  }
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const expand = async (like: string, ...rawArgs: string[]) =>
  (
    await expandLike(['--like', like, '--data', 'greet', ...rawArgs], {
      like,
      data: join(folder, 'greet'),
      out: join(folder, 'out'),
      db,
    })
  ).rawArgs;

describe('soft train --like', () => {
  it("replaces --like with the version's options, those written winning", async () => {
    const said = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await expand('greet@2', '--steps', '4')).toEqual([
      ...['--method', 'lora', '--rank', '4', '--alpha', '8', '--targets', 'q,v'],
      ...['--data', 'greet', '--steps', '4'],
    ]);
    // a bare number is a version of --data's task; --like=… is read as --like …
    expect(await expand('2', '--rank=16', '--method', 'lora')).toEqual([
      ...['--targets', 'q,v', '--data', 'greet', '--rank=16', '--method', 'lora'],
    ]);
    // and says what it added
    expect(said.mock.calls.map(([line]) => String(line))).toEqual([
      "--like greet@2: version greet@2's LoRA: --method lora --rank 4 --alpha 8 --targets q,v\n",
      "--like 2: version greet@2's LoRA: --targets q,v\n",
    ]);
    said.mockRestore();
  });

  it("writes a multitask prompt's files into --out as its --source", async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const args = await expand('greet@4');
    const source = args[args.indexOf('--source') + 1];
    expect(args.slice(0, 2)).toEqual(['--method', 'multitask-prompt-tuning']);
    expect(source).toMatch(/out\/like-[0-9a-f]{12}$/);
    expect([...readFileSync(join(source, 'adapter_model.safetensors'))]).toEqual([1, 2, 3]);
    expect(JSON.parse(readFileSync(join(source, 'promptune.json'), 'utf8'))).toEqual({
      training: { source: 'elsewhere' },
    });
    // a --source written wins: nothing is written
    rmSync(join(folder, 'out'), { recursive: true });
    const written = await expand('greet@4', '--source', 'mine');
    expect(written.filter((arg) => arg === '--source')).toHaveLength(1);
    expect(existsSync(join(folder, 'out'))).toBe(false);
    vi.restoreAllMocks();
  });

  it.each([
    ['greet@1', [], /version greet@1, a hard prompt: --like copies an adapter's method and shape/],
    ['greet@3', [], /version greet@3's adapter \(IA3\) is no method soft train trains/],
    ['greet@2', ['--method', 'prefix-tuning'], /--method lora\); --method prefix-tuning was given too/],
    ['greet@2', ['--init', 'text'], /--init is not an option of version greet@2's LoRA, which --like copies/],
  ])('refuses --like %s beside %j', async (like, more, message) => {
    const refused = expand(like, ...more);
    await expect(refused).rejects.toMatchObject({
      code: 'CLI_INVALID_OPTION',
      message: expect.stringMatching(message),
    });
  });

  it('refuses a version the registry does not hold', async () => {
    await expect(expand('greet@9')).rejects.toMatchObject({ code: 'REGISTRY_NO_VERSION' });
  });
});
