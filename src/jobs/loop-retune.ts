// The method a loop's soft re-tune trains: the one the label serves (`soft train --like` its version, which
// reads the method and shape off the version's PEFT config: src/soft/method-shape.ts), so a LoRA in
// production is re-tuned as a LoRA and not as a plain soft prompt, and a multitask prompt is transferred
// from itself. The policy's own arguments win where they name the same option, and a `--method` among
// them chooses the method outright. It does not carry a run's learning rate, init or epochs: those are
// the re-tune's to choose (or the policy's).
import { versionMethod, versionShape, type PromptVersion } from '../registry/index.js';
import { optionArguments, optionForeignTo, shapeOptionsBeside, writtenOptions } from '../soft/index.js';

/** The `soft train` options that train production's method again, and how to say where they came from. */
export interface RetuneMethod {
  /** `--like <task>@<version id>`, or none (soft train's default method, or the policy's). */
  args: string[];
  /**
   * For the log and the dry run: "LoRA, as version 3 (--method lora --rank 8 …)" or why production's
   * method is not kept.
   */
  note: string;
  /**
   * Production's method is not what the re-tune trains (an adapter no method of soft train wrote, or
   * the policy's option another method's): the iteration warns, as the dry run says.
   */
  differs: boolean;
  /**
   * What decides the method trained beside the policy's arguments: production's method and shape as
   * options (shapeArguments) when `args` trains like it; none when `args` is empty (the policy's
   * arguments and soft train's defaults decide); undefined when production's content decides it too (a
   * multitask prompt transferred from itself), so that no earlier re-tune's result stands for this one.
   */
  settings: string[] | undefined;
}

/**
 * The method options a soft re-tune adds to the policy's `given` arguments for the version the label
 * serves (`production`, undefined when the label is not set): none when `given` names a method, or
 * production is a hard prompt; `--like` production otherwise, which soft train reads as production's
 * method and shape.
 */
export function retuneMethod(
  production: Pick<PromptVersion, 'kind' | 'content' | 'number' | 'task' | 'id'> | undefined,
  given: readonly string[],
): RetuneMethod {
  const policy = writtenOptions(given);
  // the policy's own method (or version to train like) chooses outright
  const chosen = ['method', 'like'].find((option) => policy.has(option));
  if (chosen) return { args: [], note: `the policy's --${chosen}`, differs: false, settings: [] };
  if (!production || production.kind !== 'soft')
    return {
      args: [],
      note: `soft train's default method${production ? ` (version ${production.number} is a hard prompt)` : ''}`,
      differs: false,
      settings: [],
    };
  const method = versionMethod(production);
  const shape = versionShape(production);
  if (!shape)
    return {
      args: [],
      note: `soft train's default method: version ${production.number}'s ${method} is not re-tuned as itself (name --method in the policy's args)`,
      differs: true,
      settings: [],
    };
  // an option of the policy's that production's method does not read would be refused beside it: the
  // policy then trains what it says, with soft train's default method
  const foreign = optionForeignTo(shape, policy);
  if (foreign)
    return {
      args: [],
      note: `soft train's default method: the policy's --${foreign} is not an option of version ${production.number}'s ${method}`,
      differs: true,
      settings: [],
    };
  const added = optionArguments(shapeOptionsBeside(shape, policy)).join(' ');
  const source = shape.transferFromItself && !policy.has('source') ? ' --source <its adapter>' : '';
  return {
    args: ['--like', `${production.task}@${production.id}`],
    note: `${method}, as version ${production.number} (${added}${source})`,
    differs: false,
    settings: source ? undefined : shapeArguments(production, given),
  };
}

/**
 * The method options a soft version stands for beside the `given` arguments (what `--like` it adds):
 * `--method lora --rank 8 …`; undefined for a hard version, an adapter no method of soft train writes,
 * and a multitask prompt whose training starts from itself.
 */
export function shapeArguments(
  version: Pick<PromptVersion, 'kind' | 'content'>,
  given: readonly string[],
): string[] | undefined {
  const shape = version.kind === 'soft' ? versionShape(version) : undefined;
  if (!shape || shape.transferFromItself) return undefined;
  return optionArguments(shapeOptionsBeside(shape, writtenOptions(given)));
}
