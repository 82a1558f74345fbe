// The method a loop's soft re-tune trains: the one the label serves, read off its version's PEFT config
// (LoRA's rank, alpha, targets, dropout and rank-stabilized scaling; a prefix's or prompt's positions and
// layout, and the MLP a prefix was trained through; P-tuning's encoder), so a LoRA in production is
// re-tuned as a LoRA and not as a plain soft prompt. The policy's own arguments win where they name the
// same option, and a `--method` among them chooses the method outright. It does not carry a run's
// learning rate, init or epochs: those are the re-tune's to choose (or the policy's).
import { versionMethod, type PromptVersion } from '../registry/index.js';

/** The `soft train` options that reproduce `version`'s method, and how to say where they came from. */
export interface RetuneMethod {
  args: string[];
  /** For the log and the dry run: "LoRA, as version 3" or why production's method is not kept. */
  note: string;
  /**
   * Production's method is not what the re-tune trains (a multitask prompt trained as a plain one, or
   * the policy's option another method's): the iteration warns, as the dry run says.
   */
  differs: boolean;
}

/** Whether the policy's arguments already give `option` (as `--option value` or `--option=value`). */
function gives(args: readonly string[], option: string): boolean {
  return args.some((arg) => arg === option || arg.startsWith(`${option}=`));
}

/**
 * The method options each method reads (as src/cli/soft-methods.ts's optionsRead says; `soft train`
 * refuses the others beside it), and those that choose the shape the re-tune copies.
 */
const methodOptions = [
  '--virtual-tokens',
  '--init',
  '--init-text',
  '--init-from',
  '--layout',
  '--rank',
  '--alpha',
  '--targets',
  '--dropout',
  '--rslora',
  '--prefix-projection',
  '--encoder',
  '--encoder-hidden',
  '--task-rank',
  '--source',
  '--transfer',
];
const optionsRead: Record<string, string[]> = {
  'prompt-tuning': ['--virtual-tokens', '--init', '--init-text', '--init-from', '--layout'],
  'p-tuning': ['--virtual-tokens', '--layout', '--encoder', '--encoder-hidden'],
  'prefix-tuning': ['--virtual-tokens', '--init', '--init-text', '--init-from', '--prefix-projection'],
  'prefix-tuning --prefix-projection': ['--virtual-tokens', '--prefix-projection', '--encoder-hidden'],
  lora: ['--rank', '--alpha', '--targets', '--dropout', '--rslora'],
};

/** PEFT's target_modules as `--targets` takes them (the last part of a dotted name), when a list. */
function targetNames(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const names = value.map((name) => (typeof name === 'string' ? name.split('.').at(-1)! : ''));
  return names.every((name) => /^[a-z_]+$/.test(name)) ? names.join(',') : undefined;
}

/**
 * The options (an option and its value; `true` for a flag) that give `config`'s method and shape, with
 * the values the config does not hold left out; undefined for a method soft train cannot start alone.
 */
function shapeOf(
  config: Record<string, unknown>,
  metadata: { training?: Record<string, unknown>; layout?: unknown },
): [string, string | true | undefined][] | undefined {
  const training = metadata.training ?? {};
  // where the prompt's vectors sit: ours record it; a PEFT file without promptune.json is served in
  // PEFT's layout
  const layout = ['--layout', typeof metadata.layout === 'string' ? metadata.layout : 'peft'] as [
    string,
    string | undefined,
  ];
  const number = (value: unknown) => (typeof value === 'number' ? String(value) : undefined);
  // ours save a prefix trained through PEFT's MLP as the prefix it made; their training names the MLP
  const projection = config.prefix_projection === true || typeof training.projection === 'number';
  const hidden = typeof training.projection === 'number' ? training.projection : config.encoder_hidden_size;
  const tokens = ['--virtual-tokens', number(config.num_virtual_tokens)] as [string, string | undefined];
  switch (config.peft_type) {
    case 'LORA':
      return [
        ['--method', 'lora'],
        ['--rank', number(config.r)],
        ['--alpha', number(config.lora_alpha)],
        ['--targets', targetNames(config.target_modules)],
        ['--dropout', Number(config.lora_dropout) > 0 ? number(config.lora_dropout) : undefined],
        ['--rslora', config.use_rslora === true ? true : undefined],
      ];
    case 'PREFIX_TUNING':
      return projection
        ? [
            ['--method', 'prefix-tuning'],
            tokens,
            ['--prefix-projection', true],
            ['--encoder-hidden', number(hidden)],
          ]
        : [['--method', 'prefix-tuning'], tokens];
    case 'P_TUNING':
      return [
        ['--method', 'p-tuning'],
        tokens,
        ['--encoder', config.encoder_reparameterization_type === 'LSTM' ? 'lstm' : 'mlp'],
        ['--encoder-hidden', number(config.encoder_hidden_size)],
        layout,
      ];
    case 'PROMPT_TUNING':
      return [['--method', 'prompt-tuning'], tokens, layout];
    default:
      return undefined;
  }
}

/**
 * The method options a soft re-tune adds to the policy's `given` arguments for the version the label
 * serves (`production`, undefined when the label is not set): none when `given` names a method, or
 * production is a hard prompt; production's method and shape otherwise.
 */
export function retuneMethod(
  production: Pick<PromptVersion, 'kind' | 'content' | 'number'> | undefined,
  given: readonly string[],
): RetuneMethod {
  if (gives(given, '--method')) return { args: [], note: "the policy's --method", differs: false };
  if (!production || production.kind !== 'soft')
    return {
      args: [],
      note: `soft train's default method${production ? ` (version ${production.number} is a hard prompt)` : ''}`,
      differs: false,
    };
  const method = versionMethod(production);
  const config = production.content.adapterConfig;
  const metadata = production.content.promptune as
    { training?: Record<string, unknown>; layout?: unknown } | undefined;
  const shape =
    typeof config === 'object' && config !== null
      ? shapeOf(config as Record<string, unknown>, metadata ?? {})
      : undefined;
  if (!shape)
    return {
      args: [],
      note: `soft train's default method: version ${production.number}'s ${method} is not re-tuned as itself (name --method and its --source in the policy's args)`,
      differs: true,
    };
  // an option of the policy's that production's method does not read would be refused beside it: the
  // policy then trains what it says, with soft train's default method
  const projected = shape.some(([option]) => option === '--prefix-projection');
  const name = String(shape[0][1]);
  const reads = optionsRead[projected ? `${name} --prefix-projection` : name];
  const foreign = methodOptions.find((option) => gives(given, option) && !reads.includes(option));
  if (foreign)
    return {
      args: [],
      note: `soft train's default method: the policy's ${foreign} is not an option of version ${production.number}'s ${method}`,
      differs: true,
    };
  const args = shape
    // a rank the policy changes takes soft train's alpha for it (2 × rank), not production's
    .filter(([option]) => !(option === '--alpha' && gives(given, '--rank')))
    .filter(([option, value]) => value !== undefined && !gives(given, option))
    .flatMap(([option, value]) => (value === true ? [option] : [option, value!]));
  return { args, note: `${method}, as version ${production.number}`, differs: false };
}
