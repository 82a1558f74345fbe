// The local engine as an AI SDK provider (ProviderV3): `createLocalProvider()(path)` hands out a
// language model at once and loads the weights on its first call, as hosted providers hand out models
// before any request. Only language models; embedding and image models are not offered.
import { NoSuchModelError, type LanguageModelV3, type ProviderV3 } from '@ai-sdk/provider';
import { loadModel, type LoadModelOptions } from '../engine/index.js';
import { LocalLanguageModel } from './local-language-model.js';

/** A provider that is also callable: `local('model.gguf')`. */
export type LocalProvider = ProviderV3 & ((modelId: string) => LanguageModelV3);

/** Creates the local provider; model ids are paths or hf: references, each loaded once. */
export function createLocalProvider(options: LoadModelOptions = {}): LocalProvider {
  const models = new Map<string, LocalLanguageModel>();
  const languageModel = (modelId: string) => {
    if (!models.has(modelId))
      models.set(modelId, new LocalLanguageModel(modelId, () => loadModel(modelId, options)));
    return models.get(modelId)!;
  };
  const unsupported = (modelType: 'embeddingModel' | 'imageModel') => (modelId: string) => {
    throw new NoSuchModelError({
      modelId,
      modelType,
      message: `the local provider offers language models only, not ${modelType}s`,
    });
  };
  return Object.assign((modelId: string) => languageModel(modelId), {
    specificationVersion: 'v3' as const,
    languageModel,
    embeddingModel: unsupported('embeddingModel'),
    imageModel: unsupported('imageModel'),
  });
}
