// Writes a model's weights as a Hugging Face checkpoint's model.safetensors (float32), named as the
// family's checkpoints name them (names.ts), so transformers loads the folder with the source's
// config.json beside it. The mirror of hf-directory.ts's reading: a norm offset added at load (Gemma) is
// taken off, a tied classifier is not written twice. Families whose checkpoints fuse tensors (Phi-3) are
// refused.
import { join } from 'node:path';
import { ValidationError } from '../../errors/index.js';
import type { ModelConfig } from '../config.js';
import { parameterShapes } from './assemble.js';
import { huggingFaceArchitectures, LAYER_NORMS, type HuggingFaceFamily } from './hf-directory.js';
import { matrixFloat32 } from './matrix-float32.js';
import { huggingFaceNames, layerTensorName } from './names.js';
import { writeSafetensors, type NamedTensor } from './safetensors-writer.js';
import type { LayerWeights, Matrix, ModelWeights } from './types.js';

/**
 * How transformers' `modelType` is read, when promptune writes its checkpoints too; refuses one it does not
 * (MODEL_WRITE_UNSUPPORTED): a family it does not run, or one whose checkpoints fuse tensors.
 */
export function writableFamily(modelType: string): HuggingFaceFamily {
  const family = Object.hasOwn(huggingFaceArchitectures, modelType)
    ? huggingFaceArchitectures[modelType]
    : undefined;
  if (family && !family.fused) return family;
  throw new ValidationError(`promptune does not write ${modelType} checkpoints`, {
    code: 'MODEL_WRITE_UNSUPPORTED',
    hint: family
      ? `${modelType} checkpoints fuse tensors; start from the model as GGUF.`
      : `promptune writes ${Object.keys(huggingFaceArchitectures)
          .filter((type) => !huggingFaceArchitectures[type].fused)
          .join(', ')} checkpoints; start from the model as GGUF.`,
  });
}

/** Writes `weights` as `directory`/model.safetensors in the tensor names of transformers' `modelType`. */
export function writeHuggingFaceWeights(
  directory: string,
  config: ModelConfig,
  weights: ModelWeights,
  modelType: string,
): void {
  const family = writableFamily(modelType);
  const table = family.names ?? huggingFaceNames;
  const offset = family.normOffset ?? 0;
  const shapes = parameterShapes(config);
  const tensors: Record<string, NamedTensor> = {};
  const put = (name: string, shape: number[], matrix: Matrix, norm: boolean) => {
    let data = matrixFloat32(matrix);
    if (norm && offset) data = data.map((value) => value - offset);
    tensors[name] = { shape, data };
  };
  put(table.model.embedding, shapes.embedding, weights.embedding, false);
  weights.layers.forEach((layer, l) => {
    for (const [field, parameter] of Object.entries(layer) as [keyof LayerWeights, Matrix | null][])
      if (parameter) put(layerTensorName(table, field, l), shapes[field], parameter, LAYER_NORMS.has(field));
  });
  put(table.model.finalNorm, shapes.finalNorm, weights.finalNorm, true);
  if (weights.classifier !== weights.embedding)
    put(table.model.classifier, shapes.classifier, weights.classifier, false);
  writeSafetensors(join(directory, 'model.safetensors'), tensors, { format: 'pt' });
}
