// Refusing options a command does not take: citty passes unknown flags through silently, so a typo
// (`--max-call 5`) would run without the cap the user meant; and a flag written both ways (`--search …
// --no-search`), of which citty silently keeps the last. It checks names only; values are each command's
// (numberOption and friends).
import type { ArgsDef, CommandDef } from 'citty';
import { nearestName } from '../errors/index.js';

/** A command line's option that the command does not declare, with the nearest one it does. */
export interface UnknownOption {
  option: string;
  suggestion: string | undefined;
}

/** The option names `args` declares, as they may be written (kebab and camel case, aliases, --no-x). */
function declaredNames(args: ArgsDef): Set<string> {
  const names = new Set(['help', 'h', 'version', 'v']);
  for (const [name, definition] of Object.entries(args)) {
    if (definition.type === 'positional') continue;
    const aliases = 'alias' in definition && definition.alias ? [definition.alias].flat() : [];
    for (const each of [name, ...aliases]) {
      names.add(each);
      names.add(each.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase()));
      if (definition.type === 'boolean') names.add(`no-${each}`);
    }
  }
  return names;
}

/** The first option in `rawArgs` that `command` does not declare, if any (`--` ends the options). */
export async function findUnknownOption(
  command: CommandDef,
  rawArgs: string[],
): Promise<UnknownOption | undefined> {
  const names = declaredNames(await declaredArgs(command));
  for (const token of rawArgs) {
    if (token === '--') break;
    const match = /^--?([A-Za-z][\w-]*)/.exec(token);
    if (!match || names.has(match[1])) continue;
    const nearest = nearestName(match[1], names);
    return { option: token.split('=')[0], suggestion: nearest && `--${nearest}` };
  }
  return undefined;
}

/**
 * The first boolean option `rawArgs` writes both ways (`--search` and `--no-search`), if any: which one
 * the user meant cannot be told (`--` ends the options).
 */
export async function findContradictedOption(
  command: CommandDef,
  rawArgs: string[],
): Promise<string | undefined> {
  const written = writtenOption(rawArgs);
  return Object.entries(await declaredArgs(command))
    .filter(([, definition]) => definition.type === 'boolean')
    .map(([name]) => name)
    .find((name) => written(`--${name}`) && written(`--no-${name}`));
}

/** A command's declared options (citty's args may be a function or a promise of them). */
async function declaredArgs(command: CommandDef): Promise<ArgsDef> {
  return ((typeof command.args === 'function' ? await command.args() : await command.args) ?? {}) as ArgsDef;
}

/** Whether `rawArgs` writes the option (`--name` or `--name=value`) before any `--`. */
function writtenOption(rawArgs: string[]): (option: string) => boolean {
  const options = rawArgs.slice(0, rawArgs.includes('--') ? rawArgs.indexOf('--') : undefined);
  return (option) => options.some((token) => token === option || token.startsWith(`${option}=`));
}

/**
 * The first required option `rawArgs` does not write, if any (`--` ends the options): citty would say
 * so when the command runs, which for a job is on a worker, after it was queued.
 */
export async function findMissingRequired(
  command: CommandDef,
  rawArgs: string[],
): Promise<string | undefined> {
  const written = writtenOption(rawArgs);
  return Object.entries(await declaredArgs(command))
    .filter(
      ([, definition]) => definition.type !== 'positional' && 'required' in definition && definition.required,
    )
    .map(([name]) => name)
    .find((name) => !written(`--${name}`));
}
