// PEFT's rank_pattern and alpha_pattern: modules given their own LoRA rank or alpha. A module takes the
// value of the first key that ends its path as PEFT matches it (get_pattern_key: `(.*\.)?(<key>)$` from
// the path's start), else the config's r and lora_alpha.
import { ValidationError } from '../errors/index.js';

/** The config fields the patterns are read with. */
export interface LoraPatternConfig {
  r: number;
  lora_alpha: number;
  rank_pattern?: Record<string, unknown> | null;
  alpha_pattern?: Record<string, unknown> | null;
}

const keyPattern = (key: string) => new RegExp(`^(?:.*\\.)?(?:${key})$`);

/**
 * Refuses patterns this reader would not read as PEFT does: a key that is not a pattern JavaScript
 * reads (ADAPTER_UNSUPPORTED), a rank that is not a whole number >= 1 or an alpha that is not positive
 * (ADAPTER_CONFIG_INVALID). `path` names the config file in errors.
 */
export function checkLoraPatterns(config: LoraPatternConfig, path: string): void {
  const fields = [
    [
      'rank_pattern',
      config.rank_pattern,
      (value: unknown) => Number.isInteger(value) && (value as number) >= 1,
    ],
    ['alpha_pattern', config.alpha_pattern, (value: unknown) => typeof value === 'number' && value > 0],
  ] as const;
  for (const [field, pattern, valid] of fields)
    for (const [key, value] of Object.entries(pattern ?? {})) {
      try {
        keyPattern(key);
      } catch {
        throw new ValidationError(`${path}: ${field} key "${key}" is not a pattern promptune reads`, {
          code: 'ADAPTER_UNSUPPORTED',
          hint: `Name the module plainly (o_proj, or model.layers.3.self_attn.q_proj) in ${field}.`,
        });
      }
      if (!valid(value))
        throw new ValidationError(`${path}: ${field} gives "${key}" ${JSON.stringify(value)}`, {
          code: 'ADAPTER_CONFIG_INVALID',
          hint: `${field === 'rank_pattern' ? 'A rank is a whole number >= 1' : 'An alpha is a positive number'}; restore adapter_config.json from the training run.`,
        });
    }
}

/** The value the first of `pattern`'s keys matching `modulePath` gives, as PEFT looks it up; undefined for none. */
function patternValue(pattern: Record<string, unknown> | null | undefined, modulePath: string) {
  const key = Object.keys(pattern ?? {}).find((candidate) => keyPattern(candidate).test(modulePath));
  return key === undefined ? undefined : (pattern![key] as number);
}

/** The rank and alpha PEFT gives the module at `modulePath` (model.layers.0.self_attn.q_proj). */
export function moduleRankAndAlpha(
  config: LoraPatternConfig,
  modulePath: string,
): { rank: number; alpha: number } {
  return {
    rank: patternValue(config.rank_pattern, modulePath) ?? config.r,
    alpha: patternValue(config.alpha_pattern, modulePath) ?? config.lora_alpha,
  };
}
