// A version as text people read and diff: a hard prompt's system text, template, demos and generation
// settings; a soft prompt's virtual tokens, initialization and training; a LoRA adapter's rank, alpha
// and adapted projections; a prefix's positions and layers; a P-tuning encoder; a multitask prompt's
// tasks and rank; with an adapter's size and its training in words (adapter-details.ts). With the spec
// it serves with: its output, guards and decoding, which change what users get as much as the prompt.
import { metadataSections, sizeText } from './adapter-details';
import { text } from './format';
import type { ServingSpec, Version } from './types';

/** A version's method in a word or two, as the service names it: "hard prompt", "LoRA", "prefix", … */
export function versionMethod(version: Pick<Version, 'kind' | 'method'>): string {
  return version.method ?? (version.kind === 'soft' ? 'soft prompt' : 'hard prompt');
}

/**
 * What tells two versions of one method apart in a list, in a word or two: a LoRA's rank, a prefix made
 * through an MLP or started from text, a P-tuning encoder's kind, a prompt's start; undefined for a hard
 * prompt (and a plain prefix).
 */
export function methodDetail(version: Pick<Version, 'kind' | 'content'>): string | undefined {
  if (version.kind !== 'soft') return undefined;
  const config = (version.content.adapterConfig ?? {}) as Record<string, unknown>;
  const metadata = (version.content.promptune ?? {}) as {
    init?: unknown;
    training?: { projection?: unknown };
  };
  switch (config.peft_type) {
    case 'LORA':
      return `r ${text(config.r)}`;
    case 'PREFIX_TUNING':
      if (typeof metadata.training?.projection === 'number') return 'via MLP';
      return metadata.init === 'text' ? 'from text' : undefined;
    case 'P_TUNING':
      return `${text(config.encoder_reparameterization_type)} encoder`;
    case 'MULTITASK_PROMPT_TUNING':
      return `rank ${text(config.num_ranks)}`;
    default:
      return metadata.init ? text(metadata.init) : undefined;
  }
}

/** What an adapter's method is and how it is shaped, by its PEFT config's peft_type. */
function methodSections(
  config: Record<string, unknown>,
  metadata: Record<string, unknown>,
): [string, string][] {
  switch (config.peft_type) {
    case 'PREFIX_TUNING': {
      // trained through PEFT's MLP, the prefix it made is what is saved and served: the training says so
      const projection = (metadata.training as { projection?: unknown } | undefined)?.projection;
      return [
        ['method', 'prefix tuning: learned keys and values every layer attends to before the input'],
        [
          'positions and layers',
          `${text(config.num_virtual_tokens)} positions in ${text(config.num_layers)} layers (key width ${text(config.token_dim)})`,
        ],
        [
          'initialization',
          typeof projection === 'number'
            ? `trained through PEFT's MLP (hidden size ${projection}), saved as the prefix it made`
            : text(metadata.init),
        ],
      ];
    }
    case 'P_TUNING':
      return [
        ['method', 'P-tuning: the soft prompt made by a prompt encoder (the vectors it made are served)'],
        ['virtual tokens', text(config.num_virtual_tokens)],
        [
          'encoder',
          `${text(config.encoder_reparameterization_type)}, hidden size ${text(config.encoder_hidden_size)}${metadata.init ? `; initialization ${text(metadata.init)}` : ''}`,
        ],
      ];
    case 'MULTITASK_PROMPT_TUNING':
      return [
        [
          'method',
          'multitask prompt tuning: a shared prompt scaled by the task’s low-rank factors (the task’s prompt is served)',
        ],
        ['virtual tokens', text(config.num_virtual_tokens)],
        ['tasks and rank', multitaskShape(config, metadata)],
        ['initialization', text(metadata.init)],
      ];
    case 'LORA':
      return [
        ['method', 'LoRA: low-rank adapters on the frozen model’s projections'],
        [
          'rank and alpha',
          `r ${text(config.r)}, alpha ${text(config.lora_alpha)}${config.use_rslora ? ' (rank-stabilized)' : ''}`,
        ],
        [
          'adapted projections',
          Array.isArray(config.target_modules)
            ? config.target_modules.join(', ')
            : text(config.target_modules),
        ],
      ];
    default:
      return [
        ['method', 'prompt tuning: learned vectors placed before the input'],
        ['virtual tokens', text(config.num_virtual_tokens)],
        [
          'initialization',
          // promptune's name for the start (sample-vocab, class-labels, …), else PEFT's
          [text(metadata.init ?? config.prompt_tuning_init), text(config.prompt_tuning_init_text)]
            .filter(Boolean)
            .join(': '),
        ],
      ];
  }
}

/**
 * A multitask adapter's tasks and rank. A version holds one task's factors of a training on several (the
 * training names them): "the factors of name, one of 2 tasks trained at once (name, animal), rank 4".
 */
function multitaskShape(config: Record<string, unknown>, metadata: Record<string, unknown>): string {
  const training = (metadata.training ?? {}) as { data?: unknown; task?: unknown };
  const rank = `rank ${text(config.num_ranks)}`;
  if (config.num_tasks === 1 && Array.isArray(training.data) && training.data.length > 1) {
    const names = training.data.map((folder) => String(folder).split(/[\\/]/).filter(Boolean).pop());
    return `the factors of ${text(training.task ?? metadata.task)}, one of ${training.data.length} tasks trained at once (${names.join(', ')}), ${rank}`;
  }
  return `${text(config.num_tasks)} ${config.num_tasks === 1 ? 'task' : 'tasks'}, factors of ${rank}`;
}

/** The readable sections of a version, in order: [title, text]. */
export function versionSections(version: Version, spec?: ServingSpec): [string, string][] {
  const generation: [string, string][] =
    version.kind === 'soft' && spec?.generation ? [['generation', JSON.stringify(spec.generation)]] : [];
  return [...promptSections(version), ...generation, ...(spec ? specSections(spec) : [])];
}

/** The serving spec's parts beside the prompt: the output it is read as, its guards, its decoding. */
export function specSections(spec: ServingSpec): [string, string][] {
  const sections: [string, string][] = [['output', JSON.stringify(spec.output, null, 2)]];
  const guards = spec.guards;
  if (guards && ((guards.input?.length ?? 0) > 0 || (guards.output?.length ?? 0) > 0))
    sections.push(['guards', JSON.stringify(guards, null, 2)]);
  if (spec.decoding) sections.push(['decoding', JSON.stringify(spec.decoding, null, 2)]);
  return sections;
}

function promptSections(version: Version): [string, string][] {
  const content = version.content;
  if (version.kind === 'soft') {
    const config = (content.adapterConfig ?? {}) as Record<string, unknown>;
    const metadata = (content.promptune ?? {}) as Record<string, unknown>;
    const sections = methodSections(config, metadata);
    const { nearestTokens, ...rest } = metadata as { nearestTokens?: { text: string; cosine: number }[][] };
    const size = sizeText(rest, version.run);
    if (size) sections.push(['size', size]);
    if (nearestTokens)
      sections.push([
        'nearest vocabulary tokens (cosine)',
        nearestTokens
          .map(
            (tokens, index) =>
              `${String(index + 1).padStart(2)}: ${tokens.map((token) => `${JSON.stringify(token.text)} ${token.cosine.toFixed(2)}`).join('  ')}`,
          )
          .join('\n'),
      ]);
    sections.push(...metadataSections(rest));
    return sections;
  }
  const sections: [string, string][] = [];
  if (content.system) sections.push(['system', text(content.system)]);
  sections.push(['template', text(content.template)]);
  const demos = (content.demos ?? []) as Record<string, unknown>[];
  sections.push([
    `demos (${demos.length})`,
    demos
      .map(
        (demo, index) =>
          `${index + 1}. ${Object.entries(demo)
            .map(([field, value]) => `${field}: ${text(value)}`)
            .join(' | ')}`,
      )
      .join('\n'),
  ]);
  if (content.generation) sections.push(['generation', JSON.stringify(content.generation)]);
  return sections;
}
