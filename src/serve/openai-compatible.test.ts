// The AI SDK's OpenAI-compatible provider, as resolveModel's `openai-compatible:<baseURL>#<model>`
// names it, against a real OpenAI-compatible server on 127.0.0.1 (promptune's own routes over
// stories260K) passes the shared LanguageModelV3 conformance suite: requests, SSE streams, usage and
// aborts all cross HTTP.
import { stories } from '../../test/models.js';
import { languageModelConformance } from '../providers/language-model.case.js';
import { resolveModel } from '../providers/index.js';
import { listen } from './listen.js';
import { openAiRoutes } from './openai-routes.js';

languageModelConformance('openai-compatible provider over HTTP (stories260K)', async () => {
  const local = await resolveModel(`local:${stories.gguf}`);
  const server = await listen(openAiRoutes({ stories260K: local.model }));
  const { model } = await resolveModel(`openai-compatible:${server.url}/v1#stories260K`, {
    environment: {},
  });
  return { model, close: () => server.close() };
});
