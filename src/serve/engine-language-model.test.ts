// The engine worker's AI SDK model (EngineClient.languageModel on stories260K, generating in a worker
// thread) passes the shared LanguageModelV3 conformance suite.
import { stories } from '../../test/models.js';
import { languageModelConformance } from '../providers/language-model.case.js';
import { EngineClient } from './engine-client.js';

languageModelConformance('engine worker (stories260K)', async () => {
  const engine = await EngineClient.start(stories.gguf);
  return { model: engine.languageModel(), close: () => engine.close() };
});
