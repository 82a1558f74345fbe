// The scripted test model (test/scripted-model.ts) passes the shared LanguageModelV3 conformance suite
// in what it is built to do: replies, finish reasons, usage and the AI SDK on top. It does not stream,
// cap its output, stop at stop sequences or read abort signals (capability flags).
import { languageModelConformance } from '../src/providers/language-model.case.js';
import { ScriptedModel } from './scripted-model.js';

languageModelConformance(
  'scripted test model',
  async () => ({ model: new ScriptedModel('scripted-echo', (prompt) => ` you said: ${prompt}`) }),
  { capabilities: { streaming: false, maxOutputTokens: false, stopSequences: false, abort: false } },
);
