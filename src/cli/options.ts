// Parsing of command-line option values into typed values, with errors that name the option.
import { nearestName, ValidationError } from '../errors/index.js';
import { writtenOptions } from '../soft/index.js';

/** The largest seed: the random streams keep a seed's low 32 bits, so a larger one would repeat a smaller one's. */
const MAX_SEED = 2 ** 32 - 1;

/** Parses --seed: a whole number from 0 to 2^32 - 1 (-1 or 2^32 would silently be another seed). */
export const seedOption = (value: unknown): number | undefined =>
  numberOption('seed', value, { integer: true, min: 0, max: MAX_SEED });

/** Parses a numeric option; undefined stays undefined. */
export function numberOption(
  name: string,
  value: unknown,
  rule: {
    integer?: boolean;
    min?: number;
    above?: number;
    max?: number;
    /** What the maximum is, when it comes from elsewhere (the model's hidden size). */
    maxMeaning?: string;
    below?: number;
  } = {},
): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  const ok =
    Number.isFinite(number) &&
    (!rule.integer || Number.isInteger(number)) &&
    (rule.min === undefined || number >= rule.min) &&
    (rule.above === undefined || number > rule.above) &&
    (rule.max === undefined || number <= rule.max) &&
    (rule.below === undefined || number < rule.below);
  if (!ok) {
    const maximum = `${rule.max}${rule.maxMeaning ? ` (${rule.maxMeaning})` : ''}`;
    // "a whole number from 1 to 64", else each bound as it is ("a number > 0 and < 1")
    const bounds =
      rule.min !== undefined && rule.max !== undefined
        ? [`from ${rule.min} to ${maximum}`]
        : [rule.min !== undefined ? `>= ${rule.min}` : '', rule.max !== undefined ? `<= ${maximum}` : ''];
    const range = [
      rule.integer ? 'a whole number' : 'a number',
      [
        ...bounds,
        rule.above !== undefined ? `> ${rule.above}` : '',
        rule.below !== undefined ? `< ${rule.below}` : '',
      ]
        .filter(Boolean)
        .join(' and '),
    ]
      .filter(Boolean)
      .join(' ');
    throw new ValidationError(`--${name} is "${String(value)}", expected ${range}`, {
      code: 'CLI_INVALID_OPTION',
      hint: `Pass --${name} as ${range}.`,
    });
  }
  return number;
}

/** Values of an option that may be repeated (citty gives a string or an array). */
export function listOption(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/**
 * The options written on the command line (`--name`, `--name=v`, `--no-name` as `name`), before any `--`:
 * what citty's parsed args cannot tell apart from a default.
 */
export function givenOptions(rawArgs: string[]): Set<string> {
  return writtenOptions(rawArgs);
}

/**
 * Refuses the first of `options` written on the command line, which the caller found would mean nothing
 * (`--label` without `--push`): citty takes any declared option, and the run would silently ignore it.
 */
export function refuseIgnored(
  written: ReadonlySet<string>,
  options: readonly string[],
  why: string,
  hint: (option: string) => string,
): void {
  const option = options.find((name) => written.has(name));
  if (option)
    throw new ValidationError(`--${option} would be ignored: ${why}`, {
      code: 'CLI_INVALID_OPTION',
      hint: hint(option),
    });
}

/**
 * Every value of a repeatable option, in order, read from the command's raw arguments (`--name v` and
 * `--name=v`): citty's parsed args keep only the last of a repeated string option.
 */
export function repeatedOption(rawArgs: string[], name: string): string[] {
  const values: string[] = [];
  for (let index = 0; index < rawArgs.length; index++) {
    const argument = rawArgs[index];
    if (argument === '--') break;
    if (argument === `--${name}` && index + 1 < rawArgs.length) values.push(rawArgs[++index]);
    else if (argument.startsWith(`--${name}=`)) values.push(argument.slice(name.length + 3));
  }
  return values;
}

/**
 * The option a written value meant: the same name spelt otherwise ("LoRA" for lora, "prefix_tuning" for
 * prefix-tuning), the first word of only one ("prefix"), else a near typo; undefined when none is near.
 */
export function meantOption(value: string, options: readonly string[]): string | undefined {
  const folded = (text: string) => text.toLowerCase().replace(/[_ ]/g, '-');
  // the first word of only one option ("prefix" for prefix-tuning) is that option
  const starting = options.filter((option) => folded(option).startsWith(`${folded(value)}-`));
  return (
    options.find((option) => folded(option) === folded(value)) ??
    (starting.length === 1 ? starting[0] : undefined) ??
    nearestName(folded(value), options)
  );
}

/** An option that must be one of `options`; anything else is a CLI_INVALID_OPTION naming them. */
export function choice<T extends string>(name: string, value: string, options: readonly T[]): T {
  if (!options.includes(value as T)) {
    const nearest = meantOption(value, options);
    throw new ValidationError(`--${name} is "${value}"${nearest ? `; did you mean ${nearest}?` : ''}`, {
      code: 'CLI_INVALID_OPTION',
      hint: `Use one of: ${options.join(', ')}.`,
    });
  }
  return value as T;
}
