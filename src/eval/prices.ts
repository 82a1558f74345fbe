// Token prices in US dollars per million tokens, for cost accounting and money caps. The built-in table
// is a starting point that goes stale: `--prices <file.json>` adds to and overrides it. Entries are
// keyed by model id ("gpt-4o") or by the whole model string ("openai-compatible:http://host/v1#llama"),
// the whole string first. Models on machines the user runs (local, ollama, an openai-compatible server on a
// loopback address) cost 0 without an entry; an openai-compatible server elsewhere may be a paid API
// (Together, Groq, OpenRouter, …), so without an entry its price is unknown, never a silent $0.
import { z } from 'zod';
import { readJsonFile } from '../errors/index.js';

/** Dollars per million input and output tokens. */
export interface Price {
  input: number;
  output: number;
}

/** Built-in dollar prices per million tokens by model id; `--prices` adds to them. */
export const defaultPrices: Record<string, Price> = {
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'claude-3-5-haiku-latest': { input: 0.8, output: 4 },
  'claude-sonnet-4-0': { input: 3, output: 15 },
};

/** The shape of a `--prices` file. */
export const priceTableSchema = z.record(
  z.string().min(1),
  z.strictObject({ input: z.number().nonnegative(), output: z.number().nonnegative() }),
);

/** A model as prices see it: the string it was named by, its provider and its id. */
export interface PricedModel {
  name?: string;
  provider: string;
  modelId: string;
  /** The server asked (an openai-compatible model's base URL); else read from `name`. */
  endpoint?: string;
}

/** The base URL in an `openai-compatible:<baseURL>#<model>` name, or undefined. */
function compatibleEndpoint(model: PricedModel): string | undefined {
  if (model.endpoint !== undefined) return model.endpoint;
  const prefix = 'openai-compatible:';
  if (!model.name?.startsWith(prefix)) return undefined;
  const hash = model.name.lastIndexOf('#');
  return model.name.slice(prefix.length, hash < 0 ? undefined : hash);
}

/** Whether a model runs where it costs nothing per token: promptune's engine, Ollama, a server on this machine. */
function selfHosted(model: PricedModel): boolean {
  if (model.provider === 'local' || model.provider === 'ollama') return true;
  if (model.provider !== 'openai-compatible') return false;
  const endpoint = compatibleEndpoint(model);
  if (endpoint === undefined || !URL.canParse(endpoint)) return false;
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The price of a model: its whole name's entry, else its id's; undefined when the table has neither. */
export function priceOf(
  model: PricedModel,
  prices: Record<string, Price> = defaultPrices,
): Price | undefined {
  if (model.name !== undefined && Object.hasOwn(prices, model.name)) return prices[model.name];
  return Object.hasOwn(prices, model.modelId) ? prices[model.modelId] : undefined;
}

/**
 * Cost of a call; 0 for a model on this machine without a price (local, ollama, openai-compatible on a
 * loopback address), undefined for any other unknown price.
 */
export function callCost(
  model: PricedModel,
  inputTokens: number,
  outputTokens: number,
  prices: Record<string, Price> = defaultPrices,
): number | undefined {
  const price = priceOf(model, prices);
  if (price) return (inputTokens * price.input + outputTokens * price.output) / 1e6;
  return selfHosted(model) ? 0 : undefined;
}

/** The built-in table with a `--prices` file's entries over it (just the built-in one without a file). */
export function readPrices(path: string | undefined): Record<string, Price> {
  if (path === undefined) return { ...defaultPrices };
  const table = readJsonFile(path, priceTableSchema, {
    where: `price table ${path}`,
    code: 'PRICES_INVALID',
    hint: 'Write a JSON object of dollars per million tokens, e.g. {"gpt-4o": {"input": 2.5, "output": 10}, "openai-compatible:http://127.0.0.1:8080/v1#llama": {"input": 0.1, "output": 0.2}}.',
    notFoundCode: 'PRICES_NOT_FOUND',
    notFoundHint: 'Pass --prices the path of a JSON price table, or leave it out to use the built-in one.',
  });
  return { ...defaultPrices, ...table };
}
