// Public surface of the providers layer: model strings to AI SDK language models, and the local engine as one.
export {
  bareModelName,
  compatibleKeyVariables,
  resolveModel,
  type ResolvedModel,
  type ResolveOptions,
} from './resolve-model.js';
export {
  LocalLanguageModel,
  answerText,
  promptText,
  textPartStream,
  languageModelUsage,
  languageModelFinishReason,
  engineGenerationOptions,
} from './local-language-model.js';
export { engineMargin, marginMetadata } from './engine-margin.js';
export { streamedTokens, streamedTokensMetadata, type StreamedTokens } from './streamed-tokens.js';
export { SoftPromptLanguageModel } from './soft-prompt-model.js';
export { createLocalProvider, type LocalProvider } from './local-provider.js';
