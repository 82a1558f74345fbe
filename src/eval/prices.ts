// Token prices in US dollars per million tokens, by model id, for cost accounting. The table is a
// starting point that goes stale: override it with --prices <file.json> ({"model": {"input": x, "output": y}}).

/** Dollars per million input and output tokens. */
export interface Price {
  input: number;
  output: number;
}

export const defaultPrices: Record<string, Price> = {
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'claude-3-5-haiku-latest': { input: 0.8, output: 4 },
  'claude-sonnet-4-0': { input: 3, output: 15 },
};

/** Cost of a call, 0 for local and self-hosted models, undefined when the price is unknown. */
export function callCost(
  provider: string,
  modelId: string,
  inputTokens: number,
  outputTokens: number,
  prices: Record<string, Price> = defaultPrices,
): number | undefined {
  if (provider === 'local' || provider === 'ollama' || provider === 'openai-compatible') return 0;
  const price = prices[modelId];
  return price ? (inputTokens * price.input + outputTokens * price.output) / 1e6 : undefined;
}
