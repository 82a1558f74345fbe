// Resolving a request's `model` to a registry version: `task` (its production label, else its latest
// version), `task@label`, `task@<number>` or `task@<id prefix>`. Resolutions are cached for a second
// (a label move made elsewhere reaches the service within that time; one made here applies at once);
// versions are immutable, down to the task spec each was pushed with, so each is loaded once by id.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { NotFoundError, parseInput, ValidationError } from '../errors/index.js';
import { constraintAutomaton, createGuardSet, taskConstraint } from '../guard/index.js';
import { namePattern, versionIdPattern, type PromptVersion, type Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/index.js';
import type { ServedVersion } from './task-model.js';

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

/** Registry versions ready to serve, cached. */
export class ServedVersions {
  private readonly references = new Map<string, { id: string; label: string | null; expires: number }>();
  private readonly versions = new Map<string, ServedVersion>();

  constructor(
    private readonly registry: Registry,
    private readonly ttlMs = 1000,
    /** The model `judge` validators of served specs ask. */
    private readonly guardJudge?: LanguageModelV3,
  ) {}

  /** The served version for a model name. */
  async resolve(name: string): Promise<ServedVersion> {
    return (await this.resolveNamed(name)).served;
  }

  /**
   * The served version for a model name, with the label it was reached through: the one named, or
   * `production` (or `latest`) for a bare task name; null for a version named by number or id.
   */
  async resolveNamed(name: string): Promise<{ served: ServedVersion; label: string | null }> {
    const cached = this.references.get(name);
    const known = cached && cached.expires > Date.now() ? this.versions.get(cached.id) : undefined;
    if (known) return { served: known, label: cached!.label };
    const { task, ref } = parseModelName(name);
    let version: PromptVersion;
    let label: string | null =
      ref === undefined || /^\d+$/.test(ref) || versionIdPattern.test(ref) ? null : ref;
    if (ref !== undefined) version = await this.registry.resolveVersion(task, ref);
    else {
      label = 'production';
      version = await this.registry.resolveVersion(task, 'production').catch((error: unknown) => {
        if (!NotFoundError.isInstance(error)) return Promise.reject(error);
        label = 'latest';
        return this.registry.resolveVersion(task, 'latest');
      });
    }
    if (!this.versions.has(version.id)) {
      this.versions.set(version.id, await this.load(version));
      // keep the most recent 256 versions (soft ones hold their adapter bytes)
      if (this.versions.size > 256) this.versions.delete(this.versions.keys().next().value!);
    }
    this.references.set(name, { id: version.id, label, expires: Date.now() + this.ttlMs });
    if (this.references.size > 10_000) this.references.clear();
    return { served: this.versions.get(version.id)!, label };
  }

  /** Drops the cached resolutions of a task's names (`task`, `task@...`), e.g. after a label move. */
  forget(task: string): void {
    for (const name of this.references.keys())
      if (name === task || name.startsWith(`${task}@`)) this.references.delete(name);
  }

  /** A version with the task spec it was pushed with (not the task's latest: pushes do not change what a label serves). */
  private async load(version: PromptVersion): Promise<ServedVersion> {
    const served = await this.loadSpec(version);
    // guards and a constraint that cannot run here fail once, naming the version, not in every request
    try {
      const constraint = taskConstraint(served.spec);
      if (constraint) constraintAutomaton(constraint);
      // a pushed spec must not make the service import code from its disk
      const custom = [...(served.spec.guards?.input ?? []), ...(served.spec.guards?.output ?? [])].find(
        (entry) => entry.validator === 'custom',
      );
      if (custom)
        throw new ValidationError(`its guards name a custom validator module (${custom.module})`, {
          code: 'GUARD_CUSTOM_NOT_SERVED',
          hint: 'The service runs built-in validators only; use custom validators in eval and the library.',
        });
      // outputs come with the model's token count; inputs would need a tokenizer the service lacks
      const guards = await createGuardSet(served.spec.guards, {
        task: served.spec,
        baseDirectory: process.cwd(),
        judge: this.guardJudge,
        countsInputTokens: false,
      });
      return guards.input.length + guards.output.length > 0 ? { ...served, guards } : served;
    } catch (error) {
      if (!ValidationError.isInstance(error)) throw error;
      throw new ValidationError(`${version.task}@${version.number} cannot be served: ${error.message}`, {
        code: error.code,
        hint: error.hint,
      });
    }
  }

  private async loadSpec(version: PromptVersion): Promise<ServedVersion> {
    const base = await this.registry.getSpec(version.specId);
    const content = version.content as Record<string, unknown>;
    // a stored spec is parsed again (defaults filled): one imported in a short form still serves
    const source = {
      where: `${version.task}@${version.number} as stored`,
      code: 'REGISTRY_VERSION_UNSERVABLE',
      hint: 'The stored version or its spec is not valid; push a corrected version and move the label to it.',
    };
    if (version.kind === 'soft') {
      return {
        spec: parseInput(taskSpec, base, source),
        version,
        softPrompt: {
          key: version.id,
          files: {
            config: content.adapterConfig as Record<string, unknown>,
            metadata: content.promptune as Record<string, unknown> | undefined,
            safetensors: await this.registry.getBlob(String(content.adapterBlob)),
          },
        },
      };
    }
    const prompt = {
      system: content.system,
      template: content.template,
      demos: content.demos,
      demoSeparator: content.demoSeparator,
    };
    const generation = content.generation ?? (base as { generation?: unknown }).generation;
    return { spec: parseInput(taskSpec, { ...base, prompt, generation }, source), version };
  }
}
