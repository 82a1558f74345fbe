// The method and shape of a trained adapter as `soft train`'s options: read off its PEFT config (LoRA's
// rank, alpha, targets, dropout and rank-stabilized scaling; a prefix's or prompt's positions and layout,
// and the MLP a prefix was trained through; P-tuning's encoder; a multitask prompt's rank), so that a run
// can train "like" a version (`soft train --like`, and the loop's re-tune of what a label serves). Which
// method options each method reads is here too: `soft train` refuses the others beside its --method.

/** A `soft train` option (its name without the dashes) and its value; `true` for a flag. */
export type MethodOption = [name: string, value: string | true];

/** The options that train an adapter's method again, in its shape. */
export interface MethodShape {
  /** soft train's --method. */
  method: string;
  /** The method's options the adapter records (--method first); values it does not record left out. */
  options: MethodOption[];
  /**
   * A multitask prompt made from other tasks' (soft train-multitask, or a --source transfer): trained
   * again, it is transferred from the adapter itself (--source, which the caller writes out), since
   * the tasks that shaped its shared prompt are not in it.
   */
  transferFromItself: boolean;
}

/** Every method option of soft train, whichever method reads it. */
export const METHOD_OPTIONS = [
  'virtual-tokens',
  'init',
  'init-text',
  'init-from',
  'layout',
  'rank',
  'alpha',
  'targets',
  'dropout',
  'rslora',
  'prefix-projection',
  'encoder',
  'encoder-hidden',
  'task-rank',
  'source',
  'transfer',
] as const;

/**
 * The method options `method` reads: a prefix through its MLP (`projection`) starts random; a prompt
 * transferred from a multitask `source` keeps the source's positions, layout and start.
 */
export function methodOptionsRead(
  method: string,
  how: { projection?: boolean; source?: boolean } = {},
): readonly string[] {
  const prompt = ['virtual-tokens', 'init', 'init-text', 'init-from', 'layout'];
  switch (method) {
    case 'prompt-tuning':
      return prompt;
    case 'p-tuning':
      // P-tuning's encoder starts random, whatever --init says
      return ['virtual-tokens', 'layout', 'encoder', 'encoder-hidden'];
    case 'multitask-prompt-tuning':
      return how.source ? ['source', 'transfer', 'task-rank'] : [...prompt, 'task-rank'];
    case 'prefix-tuning':
      return how.projection
        ? ['virtual-tokens', 'prefix-projection', 'encoder-hidden']
        : ['virtual-tokens', 'init', 'init-text', 'init-from', 'prefix-projection'];
    case 'lora':
      return ['rank', 'alpha', 'targets', 'dropout', 'rslora'];
    default:
      return [];
  }
}

/** soft train's --targets names, in the order its default lists them. */
const TARGET_ORDER = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];

/**
 * PEFT's target_modules as `--targets` takes them, when a list: the last part of a dotted name, written
 * as soft train's default writes it (`q` for `q_proj`, in its order), so that the same projections read
 * the same in a run's record and checkpoint whatever order PEFT's file listed them in.
 */
function targetNames(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const names = value.map((name) => (typeof name === 'string' ? name.split('.').at(-1)! : ''));
  if (!names.every((name) => /^[a-z_]+$/.test(name))) return undefined;
  const short = names.map((name) => name.replace(/_proj$/, ''));
  // a name soft train does not know is kept as written: soft train refuses it, naming it
  if (!short.every((name) => TARGET_ORDER.includes(name))) return names.join(',');
  return [...new Set(short)].sort((a, b) => TARGET_ORDER.indexOf(a) - TARGET_ORDER.indexOf(b)).join(',');
}

/** The options with values, in order. */
function present(options: [string, string | true | undefined][]): MethodOption[] {
  return options.filter((option): option is MethodOption => option[1] !== undefined);
}

/**
 * The method and shape of an adapter from its PEFT `config` and promptune.json `metadata` (its
 * `training` record and prompt `layout`); undefined for a config no method of soft train writes.
 */
export function adapterShape(
  config: Record<string, unknown>,
  metadata: { training?: unknown; layout?: unknown } = {},
): MethodShape | undefined {
  const training = (
    typeof metadata.training === 'object' && metadata.training !== null ? metadata.training : {}
  ) as Record<string, unknown>;
  // where the prompt's vectors sit: ours record it; a PEFT file without promptune.json is served in
  // PEFT's layout
  const layout: [string, string] = ['layout', typeof metadata.layout === 'string' ? metadata.layout : 'peft'];
  const number = (value: unknown) => (typeof value === 'number' ? String(value) : undefined);
  const tokens: [string, string | undefined] = ['virtual-tokens', number(config.num_virtual_tokens)];
  const shape = (
    method: string,
    options: [string, string | true | undefined][],
    transferFromItself = false,
  ) => ({
    method,
    options: present([['method', method], ...options]),
    transferFromItself,
  });
  switch (config.peft_type) {
    case 'LORA':
      return shape('lora', [
        ['rank', number(config.r)],
        ['alpha', number(config.lora_alpha)],
        ['targets', targetNames(config.target_modules)],
        ['dropout', Number(config.lora_dropout) > 0 ? number(config.lora_dropout) : undefined],
        ['rslora', config.use_rslora === true ? true : undefined],
      ]);
    case 'PREFIX_TUNING': {
      // ours save a prefix trained through PEFT's MLP as the prefix it made; their training names the MLP
      const projection = config.prefix_projection === true || typeof training.projection === 'number';
      const hidden =
        typeof training.projection === 'number' ? training.projection : config.encoder_hidden_size;
      return shape(
        'prefix-tuning',
        projection ? [tokens, ['prefix-projection', true], ['encoder-hidden', number(hidden)]] : [tokens],
      );
    }
    case 'P_TUNING':
      return shape('p-tuning', [
        tokens,
        ['encoder', config.encoder_reparameterization_type === 'LSTM' ? 'lstm' : 'mlp'],
        ['encoder-hidden', number(config.encoder_hidden_size)],
        layout,
      ]);
    case 'PROMPT_TUNING':
      return shape('prompt-tuning', [tokens, layout]);
    case 'MULTITASK_PROMPT_TUNING':
      // trained with others (PEFT's holds their factors; train-multitask records each task's id) or from
      // a source: its shared prompt holds what those tasks taught, and is the start of its next training;
      // else trained alone, afresh
      return Number(config.num_tasks) > 1 ||
        training.taskId !== undefined ||
        typeof training.source === 'string'
        ? shape('multitask-prompt-tuning', [], true)
        : shape('multitask-prompt-tuning', [tokens, ['task-rank', number(config.num_ranks)], layout]);
    default:
      return undefined;
  }
}

/**
 * Options that belong to another one written: a rank written takes soft train's alpha for it (2 × rank),
 * not the shape's (another scale); a prefix's MLP written (or --no-prefix-projection) takes its own width.
 */
const dependent: Record<string, string> = { alpha: 'rank', 'encoder-hidden': 'prefix-projection' };

/**
 * The options of `shape` a run adds to those `written` on its command line: the written ones win, with
 * the options that depend on them (`dependent`).
 */
export function shapeOptionsBeside(shape: MethodShape, written: ReadonlySet<string>): MethodOption[] {
  return shape.options.filter(
    ([name]) => !written.has(name) && !(name in dependent && written.has(dependent[name])),
  );
}

/**
 * The option names a command line writes (`--name value`, `--name=value`, `--no-name` as `name`), up to
 * `--`: what soft train's checks and --like count as given.
 */
export function writtenOptions(args: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const argument of args) {
    if (argument === '--') break;
    if (!argument.startsWith('--')) continue;
    const name = argument.slice(2).split('=')[0];
    names.add(name.startsWith('no-') ? name.slice(3) : name);
  }
  return names;
}

/** The first method option `written` names that the shape's method does not read (refused beside it). */
export function optionForeignTo(shape: MethodShape, written: ReadonlySet<string>): string | undefined {
  const reads = methodOptionsRead(shape.method, {
    projection: shape.options.some(([name]) => name === 'prefix-projection'),
    source: shape.transferFromItself,
  });
  return METHOD_OPTIONS.find((option) => written.has(option) && !reads.includes(option));
}

/** Options as command-line arguments: `--name value`, or `--name` for a flag. */
export function optionArguments(options: readonly MethodOption[]): string[] {
  return options.flatMap(([name, value]) => (value === true ? [`--${name}`] : [`--${name}`, value]));
}
