// Public surface of the local inference engine. Everything else in src/engine is internal.
export {
  loadModel,
  loadModelTokenizer,
  inspectModel,
  detectFormat,
  type LoadedModel,
  type LoadModelOptions,
  type ModelInfo,
  type ModelFormat,
} from './load-model.js';
export { LlamaModel, type ForwardInput } from './llama.js';
export { meanPooledEmbeddings } from './embed.js';
export { KVCache } from './kv-cache.js';
export {
  parameterCount,
  validateConfig,
  type ModelConfig,
  type RopeScaling,
  type RopeStyle,
} from './config.js';
export {
  generate,
  generateStream,
  type Generation,
  type GenerationEvent,
  type GenerationOptions,
  type FinishReason,
  type PromptInput,
} from './generate.js';
export { DecodingBatch, type RowEvent, type RowRequest } from './decoding-batch.js';
export { continuationLikelihoods } from './continuation-likelihoods.js';
export { PrefixCache, type PrefixHit } from './prefix-cache.js';
export { sampleToken, argmax, type SamplingOptions } from './sampling.js';
export { outputNotFinite } from './output-check.js';
export { seededRandom, type Random } from './random.js';
export { applyChatTemplate, type ChatMessage } from './chat-template.js';
export {
  defaultKernels,
  jsKernels,
  loadNativeKernels,
  nativeThreading,
  nativeBlasCore,
  chooseBlasCore,
  chooseThreadWait,
  chooseThreadWaitOnce,
  setNativeThreads,
  type AdamConstants,
  type Kernels,
  type LowRankProduct,
} from './kernels/index.js';
export type { Tokenizer, EncodeOptions } from './tokenizers/types.js';
export { loadTokenizerJson, loadTokenizerFile } from './tokenizers/load-tokenizer.js';
export {
  tokenTexts,
  partialTokenBytes,
  longestTokenText,
  surelyMoreTokens,
} from './tokenizers/token-texts.js';
export type { TokenConstraint, ConstraintState } from './token-constraint.js';
export type { HuggingFaceTokenizer } from './tokenizers/hf-tokenizer.js';
export { ggufTokenizer } from './tokenizers/gguf-tokenizer.js';
export type { ModelWeights, LayerWeights } from './weights/types.js';
export { firstNonFinite } from './weights/assemble.js';
export { copyFileAtomically, writeFileAtomically, type AtomicWriteOptions } from './weights/atomic-file.js';
export { makeDirectory } from './make-directory.js';
export {
  interleaveHeads,
  rotateHalfHeads,
  writeGguf,
  type GgufWriteOptions,
  type GgufWriteSummary,
} from './weights/gguf-writer.js';
export { fileTypes, type FileType } from './weights/quant-mix.js';
export { tensorTypes, type TensorType } from './weights/dequantize.js';
export { convertModel } from './convert-model.js';
export { embeddingRow, isQuantized, matrixBytes, matrixChunks } from './matrix.js';
export { tokenEmbeddingRow } from './decoder.js';
export { matrixFloat32 } from './weights/matrix-float32.js';
export type { Matrix, QuantizedMatrix } from './weights/types.js';
export { describeTensors, type TensorDescription } from './describe-tensors.js';
export { ggufInterleaves, type GgufValue } from './weights/gguf.js';
export {
  resolveHubReference,
  parseHubReference,
  defaultCacheDirectory,
  type HubOptions,
  type HubReference,
} from './weights/hub.js';
export { writeSafetensors, type NamedTensor } from './weights/safetensors-writer.js';
export { openSafetensors } from './weights/safetensors.js';
export type { TensorSource } from './weights/assemble.js';
export { inputGradients, type LossInput, type LossGradients } from './input-gradients.js';
export {
  adaptedProjections,
  checkAdapterFits,
  projectionShape,
  PROJECTIONS,
  packAdapter,
  type LowRankAdapter,
  type LowRankPair,
  type Projection,
} from './low-rank.js';
export { dropoutKey, dropoutKeeps, hash32, type DropoutMask } from './dropout.js';
export {
  checkPrefixFits,
  keyValueWidth,
  type KeyValuePrefix,
  type PrefixTraining,
} from './key-value-prefix.js';
export {
  checkAdapterPlaced,
  checkModelAdapterFits,
  isKeyValuePrefix,
  isLowRankAdapter,
  type AdapterTraining,
  type ModelAdapter,
} from './model-adapter.js';
export { LAYER_PARAMETERS, packWeights, type WeightTraining } from './weight-training.js';
export { checkModelWritable, saveModelLike, type ModelSource } from './save-model.js';
