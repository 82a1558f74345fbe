// Trains a key/value prefix with the soft-prompt trainer: every row starts with the prefix's P placeholder
// positions, and the engine's backward pass gives the gradient at the prefix's keys and values (the
// model's own weights frozen). Learned directly, or, as PEFT's prefix_projection, through a tanh MLP whose
// parameters are what is stepped (prefix-projection.ts). Dev is scored with the prefix the MLP makes.
import { inputGradients, keyValueWidth, type KeyValuePrefix, type LlamaModel } from '../engine/index.js';
import { evaluatePrompt } from './evaluate-prompt.js';
import { prefixFromPeft, prefixPlaceholders, prefixToPeft } from './prefix-adapter.js';
import {
  projectPrefix,
  projectionBackward,
  viewProjection,
  type PrefixProjection,
} from './prefix-projection.js';
import { buildBatch, type TokenizedExample } from './sequences.js';
import { trainAsync, type Trainable, type TrainedValues, type TrainOptions } from './trainer.js';

/** The prefix of `length` positions an MLP's output (PEFT's layout) stands for. */
function prefixOf(model: LlamaModel, length: number, output: Float32Array): KeyValuePrefix {
  return prefixFromPeft(output, length, model.config.layers, keyValueWidth(model.config));
}

/** The prefix `values` stand for: themselves, or what the MLP viewing them makes. */
function currentPrefix(
  model: LlamaModel,
  prefix: KeyValuePrefix,
  projection: PrefixProjection | undefined,
): KeyValuePrefix {
  return projection
    ? prefixOf(model, prefix.length, projectPrefix(model.kernels, projection).output)
    : prefix;
}

/**
 * A prefix as a Trainable: its keys and values, or, with `projection`, the MLP making them (whose
 * parameters are the values stepped; `prefix` then only gives the length).
 */
export function prefixTrainable(
  model: LlamaModel,
  prefix: KeyValuePrefix,
  projection?: PrefixProjection,
): Trainable {
  const placeholders = prefixPlaceholders(model, prefix);
  const { layers } = model.config;
  const width = keyValueWidth(model.config);
  return {
    values: projection ? projection.values : prefix.values,
    shape: {
      prefix: prefix.length,
      parameters: (projection ?? prefix).values.length,
      projection: projection?.shape.hidden ?? 0,
    },
    rowSize: width,
    lossAndGradient(rows: TokenizedExample[]) {
      const batch = buildBatch(model, placeholders, rows);
      const tokens = batch.lengths.reduce((sum, length) => sum + length, 0);
      if (!projection) {
        const result = inputGradients(model, { ...batch, adapter: prefix });
        return { loss: result.loss, gradient: result.adapterGradients!, tokens };
      }
      const projected = projectPrefix(model.kernels, projection);
      const adapter = prefixOf(model, prefix.length, projected.output);
      const result = inputGradients(model, { ...batch, adapter });
      const dprefix = prefixToPeft(
        { kind: 'prefix', length: prefix.length, values: result.adapterGradients! },
        layers,
        width,
      );
      return {
        loss: result.loss,
        gradient: projectionBackward(model.kernels, projection, projected, dprefix),
        tokens,
      };
    },
    evaluate: (examples, candidates) =>
      evaluatePrompt(model, placeholders, examples, {
        candidates,
        adapter: currentPrefix(model, prefix, projection),
      }),
  };
}

/** The trained prefix (the best on dev; made by the MLP when there is one) beside what training gives. */
export interface PrefixTrainResult extends TrainedValues {
  prefix: KeyValuePrefix;
}

/** Trains `initial` (and `projection`, when given; neither modified) on `train`, selecting on `dev`. */
export async function trainPrefixAsync(
  model: LlamaModel,
  initial: KeyValuePrefix,
  train: TokenizedExample[],
  dev: TokenizedExample[],
  options: TrainOptions = {},
  projection?: PrefixProjection,
): Promise<PrefixTrainResult> {
  const prefix: KeyValuePrefix = { ...initial, values: initial.values.slice() };
  const mlp = projection && viewProjection(projection.values.slice(), projection.shape);
  const result = await trainAsync(prefixTrainable(model, prefix, mlp), train, dev, options);
  if (!mlp) {
    prefix.values.set(result.values);
    return { ...result, prefix };
  }
  mlp.values.set(result.values);
  return { ...result, prefix: currentPrefix(model, prefix, mlp) };
}
