// A soft prompt: N learned vectors of the model's hidden size, placed in the input embeddings, and
// its initializations (Lester et al. 2021; PEFT). The layout says where the vectors go and is
// recorded in every artifact. Randomness is injected, so an init is reproducible from its seed.
// Every prompt made or read holds finite numbers only: a NaN would score 0 instead of failing.
import { ValidationError } from '../errors/index.js';
import {
  firstNonFinite,
  type LlamaModel,
  type Random,
  type Tokenizer,
  tokenEmbeddingRow,
} from '../engine/index.js';

/** `bos-first`: [BOS][prompt][input][target] (default); `peft`: [prompt][BOS][input][target] as PEFT does. */
export type PromptLayout = 'bos-first' | 'peft';

/** How to initialize a soft prompt. */
export type PromptInit =
  | { kind: 'random'; scale?: number } // uniform in [-scale, scale], scale 0.5 (Lester et al.)
  | { kind: 'normal' } // standard normal, as PEFT's RANDOM (a fresh nn.Embedding)
  | { kind: 'sample-vocab'; from?: number; to?: number } // rows of the embedding table: distinct non-special ids in [from, to)
  | { kind: 'text'; text: string } // the embeddings of a text, repeated or cut to N
  | { kind: 'class-labels'; labels: string[] }; // the embeddings of the label words, cycled

/** N x C learned prompt vectors. */
export interface SoftPrompt {
  virtualTokens: number; // N
  hiddenSize: number; // C
  values: Float32Array; // (N, C)
  layout: PromptLayout;
}

function embeddingRows(model: LlamaModel, ids: number[], count: number): Float32Array {
  const C = model.config.hiddenSize;
  const values = new Float32Array(count * C);
  for (let i = 0; i < count; i++) {
    const id = ids[i % ids.length];
    values.set(tokenEmbeddingRow(model, id), i * C);
  }
  return values;
}

/** A draw from the standard normal distribution (Box-Muller). */
export function standardNormal(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * The token ids an init made of tokens starts `count` positions from (cycled when fewer): distinct sampled
 * vocabulary, the init text, or the label words. A soft prompt takes their embeddings, a prefix their KV cache.
 */
export function initTokenIds(
  model: LlamaModel,
  tokenizer: Tokenizer,
  count: number,
  init: Extract<PromptInit, { kind: 'sample-vocab' | 'text' | 'class-labels' }>,
  random: Random,
): number[] {
  switch (init.kind) {
    case 'sample-vocab': {
      // distinct ids from [from, to) (default: the whole vocabulary), never special tokens
      const from = init.from ?? 0;
      const to = Math.min(init.to ?? model.config.vocabularySize, tokenizer.vocabularySize);
      const pool = Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i).filter(
        (id) => !tokenizer.isSpecial(id),
      );
      if (pool.length < count)
        throw new ValidationError(
          `sample-vocab: ${pool.length} candidate tokens for ${count} virtual tokens`,
          {
            code: 'SOFT_PROMPT_INIT',
            hint: `Use at most ${pool.length} virtual tokens, or another init (text, random); from code, widen init.from and init.to.`,
          },
        );
      for (let i = 0; i < count; i++) {
        const j = i + Math.floor(random() * (pool.length - i));
        [pool[i], pool[j]] = [pool[j], pool[i]];
      }
      return pool.slice(0, count);
    }
    case 'text': {
      const ids = tokenizer.encode(init.text, { addBos: false });
      if (ids.length === 0)
        throw new ValidationError('text init: the init text is empty', {
          code: 'SOFT_PROMPT_INIT',
          hint: 'Pass a non-empty --init-text.',
        });
      return ids;
    }
    case 'class-labels': {
      const ids = init.labels.flatMap((label) => tokenizer.encode(label, { addBos: false }));
      if (ids.length === 0)
        throw new ValidationError('class-labels init: the task has no labels', {
          code: 'SOFT_PROMPT_INIT',
          hint: 'Pass the labels (init.labels; soft train takes them from a task of at most 10 distinct training targets), or use another init.',
        });
      return ids;
    }
  }
}

/** A new soft prompt of `virtualTokens` vectors for `model`. */
export function initSoftPrompt(
  model: LlamaModel,
  tokenizer: Tokenizer,
  virtualTokens: number,
  init: PromptInit,
  random: Random,
  layout: PromptLayout = 'bos-first',
): SoftPrompt {
  if (!Number.isInteger(virtualTokens) || virtualTokens < 1) {
    throw new ValidationError(`virtual tokens: ${virtualTokens}`, {
      code: 'SOFT_PROMPT_SIZE',
      hint: 'Use a whole number of virtual tokens >= 1 (16-100 is usual).',
    });
  }
  const C = model.config.hiddenSize;
  const N = virtualTokens;
  let values: Float32Array;
  if (init.kind === 'random') {
    const scale = init.scale ?? 0.5;
    values = Float32Array.from({ length: N * C }, () => (random() * 2 - 1) * scale);
  } else if (init.kind === 'normal')
    values = Float32Array.from({ length: N * C }, () => standardNormal(random));
  else values = embeddingRows(model, initTokenIds(model, tokenizer, N, init, random), N);
  checkPromptFinite(values, C, `the ${init.kind} initialization`, {
    code: 'SOFT_PROMPT_INIT',
    hint:
      init.kind === 'random'
        ? 'Use a finite --init scale.'
        : "The model's embedding rows are not finite; load the model again from a good file.",
  });
  return { virtualTokens: N, hiddenSize: C, values, layout };
}

/**
 * Refuses prompt values holding NaN or ±Infinity with a ValidationError that names `where` and the first
 * bad index (as virtual token and dimension, or as `position` says for a tensor of other axes). `code`
 * defaults to SOFT_PROMPT_NOT_FINITE.
 */
export function checkPromptFinite(
  values: ArrayLike<number>,
  hiddenSize: number,
  where: string,
  options: { code?: string; hint: string; position?: (index: number) => string },
): void {
  const index = firstNonFinite(values);
  if (index < 0) return;
  const position =
    options.position?.(index) ??
    `virtual token ${Math.floor(index / hiddenSize)}, dimension ${index % hiddenSize}`;
  throw new ValidationError(
    `${where}: value ${index} (${position}) is ${values[index]}, expected a finite number`,
    { code: options.code ?? 'SOFT_PROMPT_NOT_FINITE', hint: options.hint },
  );
}

/** Refuses a prompt whose vectors do not have the model's hidden size. */
export function checkPromptFits(prompt: SoftPrompt, model: LlamaModel): void {
  if (prompt.hiddenSize !== model.config.hiddenSize) {
    throw new ValidationError(
      `the soft prompt has ${prompt.hiddenSize} dimensions, the model ${model.config.hiddenSize}`,
      {
        code: 'SOFT_PROMPT_MISMATCH',
        hint: 'Use a soft prompt trained for this model.',
      },
    );
  }
}
