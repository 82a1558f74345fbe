// Resolving a request's `model` to a registry version: `task` (its production label, else its latest
// version), `task@label`, `task@<number>` or `task@<id prefix>`. A label with an experiment running
// splits its traffic: the request's unit (its user, else its key) is hashed into the control or the
// treatment, the same way on every replica. Resolutions are cached briefly (a second; longer while
// Postgres change notices arrive, which drop them at once: a label move or an experiment's step made
// by any replica is served within a second); versions are immutable, down to the task spec each was
// pushed with, so each is loaded once by id.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { NotFoundError, ValidationError } from '../errors/index.js';
import { buildSpecGuards } from '../guard/index.js';
import { armOf } from '../experiments/index.js';
import {
  namePattern,
  versionAdapter,
  versionIdPattern,
  versionSpec,
  type ExperimentRecord,
  type PromptVersion,
  type Registry,
} from '../registry/index.js';
import type { ServedVersion } from './task-model.js';
import { customGuards } from './version-fit.js';
import { answeredOrTrusted, outageTrustMs, trustedThroughOutage, type TrustedEntry } from './outage-trust.js';

/** Splits `task@ref`; ref is undefined when not given. */
export function parseModelName(name: string): { task: string; ref?: string } {
  const at = name.lastIndexOf('@');
  const [task, ref] = at < 0 ? [name, undefined] : [name.slice(0, at), name.slice(at + 1)];
  if (!namePattern.test(task) || ref === '')
    throw new ValidationError(`"${name}" is not task, task@label or task@version`, {
      code: 'SERVE_BAD_MODEL_NAME',
      hint: 'Name a task from GET /v1/models, optionally with @label or @version.',
    });
  return { task, ref };
}

/** The experiment arm a request was put in. */
export interface ServedArm {
  experiment: string;
  arm: 'control' | 'treatment';
}

/** A resolution: the version, the label it was reached through, and the experiment arm if any. */
export interface ServedResolution {
  served: ServedVersion;
  label: string | null;
  arm?: ServedArm;
}

interface Reference extends TrustedEntry {
  id: string;
  task: string;
  label: string | null;
  experiment?: Pick<ExperimentRecord, 'id' | 'control' | 'treatment' | 'weight'>;
}

/** Registry versions ready to serve, cached. */
export class ServedVersions {
  private readonly references = new Map<string, Reference>();
  private readonly versions = new Map<string, ServedVersion>();

  constructor(
    private readonly registry: Registry,
    /** How long a resolution is kept (a function: it may depend on change notices). */
    private readonly ttlMs: number | (() => number) = 1000,
    /** The model `judge` validators of served specs ask. */
    private readonly guardJudge?: LanguageModelV3,
    /** How a version's input tokens are counted here (inputTokenCounter), undefined where they cannot be. */
    private readonly countInputTokens?: (version: PromptVersion) => ((text: string) => number) | undefined,
    /**
     * Told of guards an earlier release stored that today's spec files may not say (a length validator
     * with no bound, a repair its validator lacks): the version is served as that release served it.
     */
    private readonly onLenientGuard?: (version: PromptVersion, message: string) => void,
  ) {}

  /** The served version for a model name (an experiment's arm picked at random: no unit). */
  async resolve(name: string): Promise<ServedVersion> {
    return (await this.resolveNamed(name)).served;
  }

  /**
   * The served version for a model name, with the label it was reached through: the one named, or
   * `production` (or `latest`) for a bare task name; null for a version named by number or id. When the
   * label has an experiment running, `unit` (the request's user or key) picks its arm.
   */
  async resolveNamed(
    name: string,
    unit?: string,
    /** Told the arm's version before it is loaded, so a request it cannot serve still counts against it. */
    onArm?: (pick: { task: string; version: string; label: string | null; arm: ServedArm }) => void,
  ): Promise<ServedResolution> {
    const reference = await this.reference(name);
    const experiment = reference.experiment;
    if (!experiment) return { served: this.versions.get(reference.id)!, label: reference.label };
    const arm = armOf(
      experiment.id,
      [
        { name: 'control', weight: 1 - experiment.weight },
        { name: 'treatment', weight: experiment.weight },
      ],
      unit ?? crypto.randomUUID(),
    ) as ServedArm['arm'];
    const id = arm === 'control' ? experiment.control : experiment.treatment;
    onArm?.({
      task: reference.task,
      version: id,
      label: reference.label,
      arm: { experiment: experiment.id, arm },
    });
    if (!this.versions.has(id)) await this.remember(await this.registry.resolveVersion(reference.task, id));
    return {
      served: this.versions.get(id)!,
      label: reference.label,
      arm: { experiment: experiment.id, arm },
    };
  }

  /** Whether some name would be served through a registry outage now (resolved within outageTrustMs). */
  servesThroughOutage(now = Date.now()): boolean {
    for (const reference of this.references.values())
      if (this.versions.has(reference.id) && now - reference.resolvedAt < outageTrustMs) return true;
    return false;
  }

  /** The cached resolution of a name, resolved again once it expires. */
  private async reference(name: string): Promise<Reference> {
    const cached = this.references.get(name);
    const now = Date.now();
    if (cached && cached.expires > now && this.versions.has(cached.id)) return cached;
    try {
      const usable = cached && this.versions.has(cached.id) ? cached : undefined;
      const answered = await answeredOrTrusted(usable, this.resolveReference(name), now);
      return answered ? answered.answer : usable!;
    } catch (error) {
      // the database away: what the name last resolved to is served on (a label cannot move meanwhile)
      if (cached && this.versions.has(cached.id) && trustedThroughOutage(cached, error, now)) return cached;
      throw error;
    }
  }

  /** A name resolved from the registry, and kept. */
  private async resolveReference(name: string): Promise<Reference> {
    const { task, ref } = parseModelName(name);
    let version: PromptVersion;
    let label: string | null =
      ref === undefined || /^\d+$/.test(ref) || versionIdPattern.test(ref) ? null : ref;
    if (ref !== undefined) version = await this.registry.resolveVersion(task, ref);
    else {
      label = 'production';
      version = await this.registry
        .resolveVersion(task, 'production')
        .catch((error: unknown) => {
          if (!NotFoundError.isInstance(error)) return Promise.reject(error);
          label = 'latest';
          return this.registry.resolveVersion(task, 'latest');
        })
        .catch((error: unknown) =>
          Promise.reject(NotFoundError.isInstance(error) ? unknownName(name, error) : error),
        );
    }
    await this.remember(version);
    // an experiment splits the label only while the label still serves its control
    const running = label ? await this.registry.experiments.running(task, label) : undefined;
    const experiment = running?.control === version.id ? running : undefined;
    const reference: Reference = {
      id: version.id,
      task,
      label,
      ...(experiment && {
        experiment: {
          id: experiment.id,
          control: experiment.control,
          treatment: experiment.treatment,
          weight: experiment.weight,
        },
      }),
      expires: Date.now() + (typeof this.ttlMs === 'number' ? this.ttlMs : this.ttlMs()),
      resolvedAt: Date.now(),
    };
    this.references.set(name, reference);
    if (this.references.size > 10_000) this.references.clear();
    return reference;
  }

  /**
   * Loads a version once, keeping the most recent 256 (each its spec and guards: an adapter's files are
   * read only when the engine has not been sent them, and not held here).
   */
  private async remember(version: PromptVersion): Promise<void> {
    if (this.versions.has(version.id)) return;
    this.versions.set(version.id, await this.load(version));
    if (this.versions.size > 256) this.versions.delete(this.versions.keys().next().value!);
  }

  /**
   * Has every name resolved again on its next request (change notices may have been missed); what each
   * was is kept only to answer while the database is away.
   */
  forgetAll(): void {
    for (const reference of this.references.values()) reference.expires = 0;
  }

  /** The same for a task's names (`task`, `task@...`), e.g. after a label move. */
  forget(task: string): void {
    for (const [name, reference] of this.references)
      if (name === task || name.startsWith(`${task}@`)) reference.expires = 0;
  }

  /** A version with the task spec it was pushed with (not the task's latest: pushes do not change what a label serves). */
  private async load(version: PromptVersion): Promise<ServedVersion> {
    const served = await this.loadSpec(version);
    // guards and a constraint that cannot run here fail once, naming the version, not in every request
    try {
      // a pushed spec must not make the service import code from its disk
      const custom = customGuards(served.spec);
      if (custom)
        throw new ValidationError(custom, {
          code: 'GUARD_CUSTOM_NOT_SERVED',
          hint: 'The service runs built-in validators only; use custom validators in eval and the library.',
        });
      // outputs come with the model's token count; inputs with the tokenizer of the model the version
      // runs on, where the service has it (its engine's)
      const countTokens = this.countInputTokens?.(version);
      const guards = await buildSpecGuards(served.spec, {
        task: served.spec,
        baseDirectory: process.cwd(),
        judge: this.guardJudge,
        judgeOption:
          "a judge model to the service: createService's guardJudge, or promptune serve --judge <model>",
        countsInputTokens: countTokens !== undefined,
        stored: { onLenient: (message) => this.onLenientGuard?.(version, message) },
      });
      return guards.input.length + guards.output.length > 0
        ? { ...served, guards, ...(countTokens && { countInputTokens: countTokens }) }
        : served;
    } catch (error) {
      if (!ValidationError.isInstance(error)) throw error;
      throw new ValidationError(`${version.task}@${version.number} cannot be served: ${error.message}`, {
        code: error.code,
        hint: error.hint,
      });
    }
  }

  private async loadSpec(version: PromptVersion): Promise<ServedVersion> {
    // a stored spec is parsed again (defaults filled): one imported in a short form still serves
    const spec = await versionSpec(this.registry, version);
    if (version.kind !== 'soft') return { spec, version };
    return {
      spec,
      version,
      softPrompt: { key: version.id, files: () => versionAdapter(this.registry, version) },
    };
  }
}

/**
 * A bare model name that resolves to nothing, said in the client's words ("model "nope" is not served
 * here: there is no task named nope; did you mean …"), not as the label it was last tried as ("nope@latest
 * does not exist"); the registry's code and hint are kept.
 */
function unknownName(name: string, error: NotFoundError): NotFoundError {
  const why = error.message.replace(/^\S+ does not exist:?\s*/, '') || `task ${name} has no version`;
  return new NotFoundError(`model "${name}" is not served here: ${why}`, {
    code: error.code,
    hint: error.hint,
    cause: error,
  });
}
