// `soft train --like <task@version>`: train with a registry version's method and shape (LoRA's rank,
// alpha and targets; a prefix's positions and MLP; P-tuning's encoder; a prompt's positions and layout),
// read off its PEFT config, as if they were written on the command line; the options written win. A
// multitask prompt made with other tasks starts from itself (--source, its files written into --out).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../errors/index.js';
import { versionBaseModel, versionMethod, versionShape, type PromptVersion } from '../registry/index.js';
import { optionArguments, optionForeignTo, shapeOptionsBeside } from '../soft/index.js';
import { givenOptions, repeatedOption } from './options.js';
import { versionReference, withRegistry } from './registry-access.js';
import { checkOutputFolder } from './soft-training.js';
import { softTaskName } from './soft-push.js';
import { versionAdapterBytes, writeVersionFiles } from './version-files.js';

/** What --like reads beside its own value. */
interface LikeArgs {
  like: string;
  data: string;
  baseline?: string;
  out: string;
  db: string;
}

const invalid = (message: string, hint: string) =>
  new ValidationError(message, { code: 'CLI_INVALID_OPTION', hint });

/**
 * The command line `rawArgs` with --like replaced by the options of the version it names that the
 * command line does not write itself (says on stderr what it added), and the version with the model its
 * adapter was trained on (soft train warns once the model is loaded when its weights differ).
 */
export async function expandLike(
  rawArgs: readonly string[],
  args: LikeArgs,
): Promise<{ rawArgs: string[]; version: string; trainedOn?: { name: string; sha256: string } }> {
  // a bare label, number or id is one of --data's task (--baseline's spec's, as --push registers it)
  const reference = args.like.includes('@')
    ? versionReference(args.like)
    : { task: softTaskName(args), ref: args.like };
  const version = await withRegistry(
    args,
    (registry) => registry.resolveVersion(reference.task, reference.ref),
    { reads: true },
  );
  const name = `${version.task}@${version.number}`;
  if (version.kind !== 'soft')
    throw invalid(
      `--like ${args.like} names version ${name}, a hard prompt: --like copies an adapter's method and shape`,
      "Name an adapter version (promptune registry ls <task> shows each version's method), or start from a hard prompt's words with --init-from <optimize --out artifact>.",
    );
  const shape = versionShape(version);
  const method = versionMethod(version);
  if (!shape)
    throw invalid(
      `--like ${args.like}: version ${name}'s adapter (${peftType(version)}) is no method soft train trains`,
      'Name the method and its options yourself (soft train --help).',
    );
  const written = givenOptions([...rawArgs]);
  // citty takes the last of an option written twice
  const stated = repeatedOption([...rawArgs], 'method').at(-1);
  if (stated !== undefined && stated !== shape.method)
    throw invalid(
      `--like ${args.like} trains version ${name}'s ${method} (--method ${shape.method}); --method ${stated} was given too`,
      `Drop --method to train as version ${version.number} does, or drop --like to train ${stated}.`,
    );
  const foreign = optionForeignTo(shape, written);
  if (foreign)
    throw invalid(
      `--${foreign} is not an option of version ${name}'s ${method}, which --like copies`,
      `Drop --${foreign}, or drop --like and name the method yourself.`,
    );
  const added = shapeOptionsBeside(shape, written);
  if (shape.transferFromItself && !written.has('source')) {
    const adapter = await withRegistry(args, (registry) => versionAdapterBytes(registry, version), {
      reads: true,
    });
    added.push(['source', writeSource(args.out, version, adapter)]);
  }
  process.stderr.write(
    `--like ${args.like}: version ${name}'s ${method}: ${optionArguments(added).join(' ') || 'nothing the command line does not give'}\n`,
  );
  const trainedOn = versionBaseModel(version);
  return {
    rawArgs: [...optionArguments(added), ...withoutLike(rawArgs)],
    version: name,
    ...(trainedOn && { trainedOn }),
  };
}

/** The PEFT method a version's config names, as written. */
function peftType(version: PromptVersion): string {
  const config = version.content.adapterConfig;
  const type =
    typeof config === 'object' && config !== null ? (config as { peft_type?: unknown }).peft_type : undefined;
  return type === undefined ? 'no adapter_config' : String(type);
}

/**
 * Writes the version's adapter files into --out, where a multitask transfer reads its source: a folder
 * named by the version's id, so that a run resumed there is started from the same prompt (and a run of
 * another version's is not resumed from it).
 */
function writeSource(out: string, version: PromptVersion, adapter: Uint8Array): string {
  checkOutputFolder(out);
  const folder = join(out, `like-${version.id.slice(0, 12)}`);
  if (existsSync(join(folder, 'adapter_model.safetensors'))) return folder;
  writeVersionFiles(folder, version, adapter);
  return folder;
}

/** The command line without --like and its value (up to `--`, after which nothing is an option). */
function withoutLike(rawArgs: readonly string[]): string[] {
  const kept: string[] = [];
  for (let index = 0; index < rawArgs.length; index++) {
    if (rawArgs[index] === '--') return [...kept, ...rawArgs.slice(index)];
    if (rawArgs[index] === '--like') index++;
    else if (!rawArgs[index].startsWith('--like=')) kept.push(rawArgs[index]);
  }
  return kept;
}
