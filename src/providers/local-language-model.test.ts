// The local engine's AI SDK model (LocalLanguageModel on stories260K, in this process) passes the
// shared LanguageModelV3 conformance suite.
import { stories } from '../../test/models.js';
import { languageModelConformance } from './language-model.case.js';
import { resolveModel } from './resolve-model.js';

languageModelConformance('local engine (stories260K)', async () => ({
  model: (await resolveModel(`local:${stories.gguf}`)).model,
}));
