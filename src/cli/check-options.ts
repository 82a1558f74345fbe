// Refusing options a command does not take: citty passes unknown flags through silently, so a typo
// (`--max-call 5`) would run without the cap the user meant; and a flag written both ways (`--search …
// --no-search`), of which citty silently keeps the last. It checks names only; values are each command's
// (numberOption and friends).
import type { ArgsDef, CommandDef } from 'citty';

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

/** Edit distance between two short strings (for "did you mean"). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length];
}

/** The name of `names` nearest to `written` when it is near enough to be a typo of it. */
export function nearestName(written: string, names: Iterable<string>): string | undefined {
  const nearest = [...names]
    .filter((name) => name.length > 1)
    .map((name) => ({ name, cost: distance(written, name) }))
    .sort((x, y) => x.cost - y.cost)[0];
  return nearest && nearest.cost <= Math.max(2, written.length / 3) ? nearest.name : undefined;
}

/** The first option in `rawArgs` that `command` does not declare, if any (`--` ends the options). */
export async function findUnknownOption(
  command: CommandDef,
  rawArgs: string[],
): Promise<UnknownOption | undefined> {
  const args = (typeof command.args === 'function' ? await command.args() : await command.args) ?? {};
  const names = declaredNames(args as ArgsDef);
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
  const args = ((typeof command.args === 'function' ? await command.args() : await command.args) ??
    {}) as ArgsDef;
  const options = rawArgs.slice(0, rawArgs.includes('--') ? rawArgs.indexOf('--') : undefined);
  const written = (name: string) => options.some((token) => token === name || token.startsWith(`${name}=`));
  return Object.entries(args)
    .filter(([, definition]) => definition.type === 'boolean')
    .map(([name]) => name)
    .find((name) => written(`--${name}`) && written(`--no-${name}`));
}
