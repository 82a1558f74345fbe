// Model strings to AI SDK language models: `local:<path|hf:...>`, `openai:<model>`,
// `openai-compatible:<baseURL>#<model>`, `anthropic:<model>`, `ollama:<model>`. Keys come from the
// environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, OPENAI_COMPATIBLE_API_KEY or the one of the server's
// host, OLLAMA_BASE_URL), never from the model string, which runs and traces record. A hosted
// provider's SDK is imported when a model of it is resolved: a program that uses none loads none.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { existsSync } from 'node:fs';
import { keepAliveFetch } from './keep-alive-fetch.js';
import type { LoadModelOptions } from '../engine/index.js';
import { ValidationError } from '../errors/index.js';
import type { LocalLanguageModel } from './local-language-model.js';
import { createLocalProvider, type LocalProvider } from './local-provider.js';

/** A resolved model with the name it was given. */
export interface ResolvedModel {
  /** The string it was named by, e.g. `openai:gpt-4o-mini`. */
  name: string;
  provider: string;
  modelId: string;
  model: LanguageModelV3;
  /**
   * The server a provider that takes one is asked (openai-compatible's base URL, a set OLLAMA_BASE_URL):
   * two servers of one model name answer apart, and caches keep their answers apart by it.
   */
  endpoint?: string;
}

/** Options for resolving model strings (environment injectable for tests). */
export interface ResolveOptions {
  environment?: Record<string, string | undefined>;
  local?: LoadModelOptions;
}

/**
 * The variables an openai-compatible server's key is read from, the first set one winning: the host and
 * port's, the host's, then OPENAI_COMPATIBLE_API_KEY, so a teacher on one server and a student on
 * another each get their own key. `https://api.together.xyz/v1` reads OPENAI_COMPATIBLE_API_KEY_API_TOGETHER_XYZ;
 * `http://127.0.0.1:8090/v1` reads OPENAI_COMPATIBLE_API_KEY_127_0_0_1_8090, then …_127_0_0_1.
 */
export function compatibleKeyVariables(baseURL: string): string[] {
  const url = new URL(baseURL);
  const variable = (part: string) =>
    `OPENAI_COMPATIBLE_API_KEY_${part
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')}`;
  return [
    ...(url.port ? [variable(`${url.hostname}_${url.port}`)] : []),
    variable(url.hostname),
    'OPENAI_COMPATIBLE_API_KEY',
  ];
}

const forms =
  'local:<path|hf:org/name>, openai:<model>, openai-compatible:<baseURL>#<model>, anthropic:<model>, ollama:<model>';
const localProviders = new Map<LoadModelOptions | undefined, LocalProvider>();

/** One local provider per load options, so each local model is loaded once and shared. */
function localProvider(options: LoadModelOptions | undefined): LocalProvider {
  if (!localProviders.has(options)) localProviders.set(options, createLocalProvider(options));
  return localProviders.get(options)!;
}

function requireKey(environment: Record<string, string | undefined>, variable: string, name: string): string {
  const key = environment[variable];
  if (!key) {
    throw new ValidationError(`model ${name} needs an API key in ${variable}`, {
      code: 'MODEL_NO_API_KEY',
      hint: `Set ${variable} in the environment.`,
    });
  }
  return key;
}

/** Resolves a model string to a language model; local models are loaded once and shared. */
export async function resolveModel(name: string, options: ResolveOptions = {}): Promise<ResolvedModel> {
  const environment = options.environment ?? process.env;
  const colon = name.indexOf(':');
  const provider = colon > 0 ? name.slice(0, colon) : '';
  const rest = colon > 0 ? name.slice(colon + 1) : '';
  if (!rest) {
    throw new ValidationError(`"${name}" does not name a model`, {
      code: 'MODEL_UNKNOWN',
      // a path to a model on this machine, written without its provider
      hint: existsSync(name)
        ? `Write local:${name} for a model file or folder on this machine.`
        : `Write a model as one of: ${forms}.`,
    });
  }
  switch (provider) {
    case 'local': {
      const model = localProvider(options.local)(rest) as LocalLanguageModel;
      await model.loaded(); // load now, so a bad path fails here and not on the first call
      return { name, provider, modelId: rest, model };
    }
    case 'openai':
      return {
        name,
        provider,
        modelId: rest,
        model: (await import('@ai-sdk/openai')).createOpenAI({
          apiKey: requireKey(environment, 'OPENAI_API_KEY', name),
          fetch: keepAliveFetch,
        })(rest),
      };
    case 'anthropic':
      return {
        name,
        provider,
        modelId: rest,
        model: (await import('@ai-sdk/anthropic')).createAnthropic({
          apiKey: requireKey(environment, 'ANTHROPIC_API_KEY', name),
          fetch: keepAliveFetch,
        })(rest),
      };
    case 'ollama': {
      const baseURL = environment.OLLAMA_BASE_URL ?? 'http://127.0.0.1:11434/api';
      return {
        name,
        provider,
        modelId: rest,
        model: (await import('ollama-ai-provider-v2')).createOllama({ baseURL, fetch: keepAliveFetch })(rest),
        // the default server keeps the keys answers were cached under before endpoints were
        ...(environment.OLLAMA_BASE_URL && { endpoint: baseURL }),
      };
    }
    case 'openai-compatible': {
      const hash = rest.lastIndexOf('#');
      if (hash < 0) {
        throw new ValidationError(`"${name}" lacks the model after "#"`, {
          code: 'MODEL_UNKNOWN',
          hint: 'Write openai-compatible:<baseURL>#<model>, e.g. openai-compatible:http://127.0.0.1:8080/v1#llama.',
        });
      }
      const baseURL = rest.slice(0, hash);
      const modelId = rest.slice(hash + 1);
      if (!URL.canParse(baseURL) || !/^https?:$/.test(new URL(baseURL).protocol))
        throw new ValidationError(`"${name}": ${baseURL} is not an http(s) URL`, {
          code: 'MODEL_UNKNOWN',
          hint: 'Write openai-compatible:<baseURL>#<model> with the scheme, e.g. openai-compatible:http://127.0.0.1:8080/v1#llama.',
        });
      const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
      const provider = createOpenAICompatible({
        name: 'openai-compatible',
        baseURL,
        apiKey: compatibleKeyVariables(baseURL)
          .map((variable) => environment[variable])
          .find((key) => key !== undefined && key !== ''),
        includeUsage: true,
        fetch: keepAliveFetch,
      });
      return {
        name,
        provider: 'openai-compatible',
        modelId,
        model: provider.chatModel(modelId),
        endpoint: baseURL,
      };
    }
    default:
      throw new ValidationError(`unknown model provider "${provider}" in "${name}"`, {
        code: 'MODEL_UNKNOWN',
        hint: `Write a model as one of: ${forms}.`,
      });
  }
}

/**
 * A bare AI SDK model named as resolveModel's names are: `openai:gpt-4o-mini` for the provider id
 * `openai.responses`, `local:<model>` for the engine's (`promptune.local`).
 */
export function bareModelName(model: LanguageModelV3): string {
  const provider = model.provider.startsWith('promptune.')
    ? model.provider.slice('promptune.'.length)
    : model.provider.split('.')[0];
  return `${provider}:${model.modelId}`;
}
