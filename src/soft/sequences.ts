// Builds the model inputs for soft-prompt examples: input embeddings with the prompt vectors placed by
// the layout, next-token targets on the target tokens only, right padding. Also where each row's
// target starts, so evaluation can read predictions.
import { ValidationError } from '../errors/index.js';
import { tokenEmbeddingRow, type LlamaModel } from '../engine/index.js';
import { checkPromptFits, type SoftPrompt } from './soft-prompt.js';

/** One tokenized example: BOS-first token ids of the input, and the target ids that follow. */
export interface TokenizedExample {
  inputIds: number[]; // BOS first when the tokenizer adds one
  targetIds: number[];
  /** Whether inputIds starts with BOS (default true); without one the prompt simply comes first. */
  bos?: boolean;
  /** Which task of a multitask prompt the example belongs to (default 0). */
  task?: number;
}

/** A right-padded batch ready for the model. */
export interface SequenceBatch {
  batch: number; // B
  time: number; // T
  embeddings: Float32Array; // (B, T, C)
  /** (B, T): the token each position predicts (the next target token), -1 elsewhere. */
  targets: Int32Array;
  /** Per row: positions of the real sequence (prompt + input + target). */
  lengths: Int32Array;
  /** Per row: position of the first target token. */
  targetStarts: Int32Array;
  /** Position of the first prompt vector (the same in every row). */
  promptStart: number;
  /** (B, T): the token id whose embedding each position holds (padding's too), -1 at prompt vectors. */
  tokens: Int32Array;
}

/** The token positions of a row: [BOS][prompt][rest] or [prompt][BOS][rest]. */
export function rowLength(prompt: SoftPrompt, example: TokenizedExample): number {
  return prompt.virtualTokens + example.inputIds.length + example.targetIds.length;
}

/** Lays out a batch of examples around the soft prompt. */
export function buildBatch(
  model: LlamaModel,
  prompt: SoftPrompt,
  examples: TokenizedExample[],
  padId = 0,
): SequenceBatch {
  const C = model.config.hiddenSize;
  const N = prompt.virtualTokens;
  checkPromptFits(prompt, model);
  const lengths = Int32Array.from(examples, (example) => rowLength(prompt, example));
  const B = examples.length;
  const T = Math.max(...lengths);
  if (T > model.config.contextLength) {
    throw new ValidationError(
      `an example needs ${T} positions; the context holds ${model.config.contextLength}`,
      { code: 'CONTEXT_OVERFLOW', hint: 'Shorten the longest inputs, or use fewer virtual tokens.' },
    );
  }
  const embeddings = new Float32Array(B * T * C);
  const targets = new Int32Array(B * T).fill(-1);
  const targetStarts = new Int32Array(B);
  const tokens = new Int32Array(B * T).fill(-1);
  const putToken = (row: number, t: number, id: number) => {
    embeddings.set(tokenEmbeddingRow(model, id), (row * T + t) * C);
    tokens[row * T + t] = id;
  };
  const withBos = examples.map((example) => example.bos ?? true);
  if (withBos.some((value) => value !== withBos[0])) {
    throw new ValidationError('some examples start with BOS and some do not', {
      code: 'SOFT_PROMPT_MISMATCH',
      hint: 'Tokenize every example with the same tokenizer.',
    });
  }
  // [BOS][prompt][...] or PEFT's [prompt][BOS][...]; without BOS, [prompt][...] either way
  const promptStart = withBos[0] && prompt.layout === 'bos-first' ? 1 : 0;
  examples.forEach((example, row) => {
    const lead = withBos[0] ? example.inputIds.slice(0, 1) : [];
    const rest = withBos[0] ? example.inputIds.slice(1) : example.inputIds;
    const tokens = [...rest, ...example.targetIds];
    embeddings.set(prompt.values, (row * T + promptStart) * C);
    let t = 0;
    for (const id of lead) {
      putToken(row, promptStart === 1 ? 0 : N, id);
      t++;
    }
    t += N;
    targetStarts[row] = t + rest.length;
    for (const id of tokens) putToken(row, t++, id);
    for (; t < T; t++) putToken(row, t, padId);
    example.targetIds.forEach((id, i) => (targets[row * T + targetStarts[row] + i - 1] = id));
  });
  return { batch: B, time: T, embeddings, targets, lengths, targetStarts, promptStart, tokens };
}

/** Sums a batch's embedding gradient over the prompt positions of every row: d loss / d prompt. */
export function promptGradient(
  prompt: SoftPrompt,
  batch: SequenceBatch,
  dembeddings: Float32Array,
): Float32Array {
  const C = prompt.hiddenSize;
  const N = prompt.virtualTokens;
  const offset = batch.promptStart;
  const gradient = new Float32Array(N * C);
  for (let row = 0; row < batch.batch; row++) {
    const from = (row * batch.time + offset) * C;
    for (let i = 0; i < N * C; i++) gradient[i] += dembeddings[from + i];
  }
  return gradient;
}
