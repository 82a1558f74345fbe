// Public surface of soft prompt tuning.
export { initSoftPrompt, type PromptInit, type PromptLayout, type SoftPrompt } from './soft-prompt.js';
export {
  buildBatch,
  promptGradient,
  rowLength,
  type SequenceBatch,
  type TokenizedExample,
} from './sequences.js';
export { tokenizeExample } from './tokenize-example.js';
export {
  adapterValueCount,
  saveAdapter,
  loadAdapter,
  readAdapterConfig,
  readAdapterFolder,
  readAdapterMetadata,
  checkBaseModel,
  tokenizerFingerprint,
  type AdapterMetadata,
  type BaseModelNames,
  type LoadedAdapter,
} from './peft-adapter.js';
export { matchesFingerprint, modelFingerprint, recordedFingerprints } from './model-fingerprint.js';
export { hasBothOrders, modelQueryKeyOrder, type QueryKeyOrder } from './query-key-order.js';
export {
  adamStep,
  clipGradient,
  learningRateAt,
  optimizerState,
  type OptimizerOptions,
  type OptimizerState,
  type Schedule,
} from './optimizer.js';
export { evaluatePrompt, type PromptEvaluation } from './evaluate-prompt.js';
export {
  binaryName,
  binaryOrLeftover,
  hasCheckpoint,
  readCheckpoint,
  type Checkpoint,
} from './checkpoint.js';
export { copyCheckpoint, writeCheckpoint } from './checkpoint-write.js';
export { nearestTokens, type NearestToken } from './nearest-tokens.js';
export {
  promptTrainable,
  trainAsync,
  trainSoftPrompt,
  trainSoftPromptAsync,
  type StepDraw,
  type Trainable,
  type TrainedValues,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
} from './trainer.js';
export { loraTrainable, noPrompt, trainLoraAsync, type LoraTrainResult } from './lora-training.js';
export {
  DEFAULT_LORA_TARGETS,
  initLoraAdapter,
  loadLoraAdapter,
  loraScale,
  loraTensors,
  readLoraConfig,
  readLoraFolder,
  saveLoraAdapter,
  type LoadedLora,
  type LoraConfig,
  type LoraOptions,
} from './lora-adapter.js';
export {
  initPrefix,
  loadPrefixAdapter,
  prefixFromPeft,
  prefixPlaceholders,
  prefixToPeft,
  readPrefixConfig,
  readPrefixFolder,
  savePrefixAdapter,
  type LoadedPrefix,
  type PrefixConfig,
} from './prefix-adapter.js';
export {
  initPrefixProjection,
  prefixProjection,
  projectPrefix,
  projectionBackward,
  viewProjection,
  type PrefixProjection,
  type ProjectedPrefix,
  type ProjectionShape,
  type ProjectionWeights,
} from './prefix-projection.js';
export { prefixTrainable, trainPrefixAsync, type PrefixTrainResult } from './prefix-training.js';
export {
  initMlp,
  mlpBackward,
  packMlp,
  runMlp,
  viewMlp,
  type Activation,
  type EncoderMlp,
  type MlpRun,
  type MlpShape,
} from './encoder-mlp.js';
export {
  encodePrompt,
  initPromptEncoder,
  promptEncoderTrainable,
  trainPromptEncoderAsync,
  type PromptEncoderTrainResult,
} from './prompt-encoder.js';
export {
  addTaskGradient,
  initMultitask,
  packMultitask,
  taskPrompt,
  transferMultitask,
  viewMultitask,
  type MultitaskPrompt,
  type MultitaskShape,
  type MultitaskTransfer,
} from './multitask-prompt.js';
export {
  evaluateMultitask,
  multitaskTrainable,
  trainMultitaskAsync,
  type MultitaskTrainResult,
} from './multitask-training.js';
export {
  loadMultitaskAdapter,
  multitaskTaskId,
  readMultitaskFolder,
  saveMultitaskAdapter,
  type LoadedMultitask,
} from './multitask-adapter.js';
export { SoftPromptSession } from './session.js';
export {
  adapterMethod,
  checkAdapterFiles,
  loadTrainedAdapter,
  readTrainedAdapterConfig,
  readTrainedAdapterFolder,
  type AdapterMethod,
  type TrainedAdapter,
} from './trained-adapter.js';
export {
  availableMemory,
  checkFullFineTuningSize,
  FULL_FINE_TUNING_BYTES_PER_WEIGHT,
  fullFineTuningFits,
  fullTrainable,
  parameterCount,
  trainableCopy,
  trainFullAsync,
  type FullTrainResult,
} from './full-training.js';
export {
  FINE_TUNED_MODEL_FORMAT,
  readFineTunedModel,
  saveFineTunedModel,
  type FineTunedModelDetails,
  type FineTunedModelMetadata,
} from './fine-tuned-model.js';
export {
  adapterShape,
  METHOD_OPTIONS,
  methodOptionsRead,
  optionArguments,
  optionForeignTo,
  shapeOptionsBeside,
  writtenOptions,
  type MethodOption,
  type MethodShape,
} from './method-shape.js';
export { mergeLora } from './merge-lora.js';
