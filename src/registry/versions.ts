// What a hard prompt version holds (the parts of a task spec that make the prompt), a version's method in
// a word or two and the base model it records, and a line diff between two versions (and between the
// specs they serve with) for `registry diff`.
import type { TaskSpec } from '../tasks/index.js';
import { adapterShape, type MethodShape } from '../soft/index.js';
import type { PromptVersion } from './registry.js';

/** The version content of a task spec's prompt: system, template, demos and generation parameters. */
export function hardVersionContent(spec: TaskSpec): Record<string, unknown> {
  return {
    system: spec.prompt.system,
    template: spec.prompt.template,
    demos: spec.prompt.demos,
    demoSeparator: spec.prompt.demoSeparator,
    generation: spec.generation,
  };
}

/** Each PEFT method's short name, as a version's method is listed. */
const methodNames: Record<string, string> = {
  PROMPT_TUNING: 'soft prompt',
  LORA: 'LoRA',
  PREFIX_TUNING: 'prefix',
  P_TUNING: 'P-tuning',
  MULTITASK_PROMPT_TUNING: 'multitask prompt',
};

/** A PEFT method's short name ("soft prompt", "LoRA", "prefix", …); "soft prompt" for one not known. */
export function adapterMethodName(peftType: unknown): string {
  return methodNames[String(peftType)] ?? 'soft prompt';
}

/** A version's method: "hard prompt", or the adapter's ("soft prompt", "LoRA", "prefix", …). */
export function versionMethod(version: Pick<PromptVersion, 'kind' | 'content'>): string {
  if (version.kind !== 'soft') return 'hard prompt';
  const config = version.content.adapterConfig as { peft_type?: unknown } | undefined;
  return adapterMethodName(config?.peft_type);
}

/**
 * What tells versions of one method apart in a listing, in a few words: a LoRA's rank and alpha, a
 * prompt's or prefix's positions, a multitask prompt's rank; undefined for a hard prompt or a config
 * without them. (The dashboard's version list says the same.)
 */
export function versionShapeText(version: Pick<PromptVersion, 'kind' | 'content'>): string | undefined {
  if (version.kind !== 'soft') return undefined;
  const config = (version.content.adapterConfig ?? {}) as Record<string, unknown>;
  const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
  switch (config.peft_type) {
    case 'LORA': {
      const [rank, alpha] = [number(config.r), number(config.lora_alpha)];
      if (rank === undefined) return undefined;
      return `r ${rank}${alpha === undefined ? '' : `, alpha ${alpha}`}${config.use_rslora === true ? ', rslora' : ''}`;
    }
    case 'MULTITASK_PROMPT_TUNING': {
      const rank = number(config.num_ranks);
      return rank === undefined ? undefined : `rank ${rank}`;
    }
    default: {
      const positions = number(config.num_virtual_tokens);
      if (positions === undefined) return undefined;
      return `${positions} ${config.peft_type === 'PREFIX_TUNING' ? 'positions' : 'tokens'}`;
    }
  }
}

/**
 * A trained version's test score as its training recorded it: label accuracy on a label task (as it is
 * served), else exact match; undefined for a version without one (a hard prompt, a pushed PEFT adapter).
 */
export function versionTestScore(version: Pick<PromptVersion, 'content'>): string | undefined {
  const metadata = version.content.promptune;
  const metrics =
    typeof metadata === 'object' && metadata !== null
      ? (metadata as { metrics?: Record<string, unknown> }).metrics
      : undefined;
  if (typeof metrics?.testLabelAccuracy === 'number')
    return `${metrics.testLabelAccuracy.toFixed(3)} (labels)`;
  if (typeof metrics?.testExactMatch === 'number') return metrics.testExactMatch.toFixed(3);
  return undefined;
}

/**
 * A soft version's method and shape as soft train's options (src/soft/method-shape.ts), read off its
 * PEFT config and promptune.json; undefined for a hard prompt or an adapter no method of soft train makes.
 */
export function versionShape(version: Pick<PromptVersion, 'kind' | 'content'>): MethodShape | undefined {
  const { adapterConfig, promptune } = version.content as { adapterConfig?: unknown; promptune?: unknown };
  if (version.kind !== 'soft' || typeof adapterConfig !== 'object' || adapterConfig === null)
    return undefined;
  return adapterShape(
    adapterConfig as Record<string, unknown>,
    typeof promptune === 'object' && promptune !== null ? promptune : {},
  );
}

/**
 * The base model an adapter version's promptune.json records (name and weight fingerprint), read
 * defensively: undefined for a hard prompt, a PEFT adapter pushed without one, or a record without it.
 */
export function versionBaseModel(
  version: Pick<PromptVersion, 'content'>,
): { name: string; sha256: string } | undefined {
  const metadata = version.content.promptune;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const base = (metadata as { baseModel?: unknown }).baseModel;
  if (typeof base !== 'object' || base === null) return undefined;
  const { name, sha256 } = base as { name?: unknown; sha256?: unknown };
  return typeof sha256 === 'string'
    ? { name: typeof name === 'string' ? name : 'another model', sha256 }
    : undefined;
}

/**
 * Lines removed (-) and added (+) between two versions' contents, field by field. Between hard prompts,
 * each changed field whole; where a version is an adapter, first the method when it changed, then each
 * changed setting by its path (adapterConfig.r), and a long list (the nearest tokens) as its size only.
 */
export function diffVersions(a: PromptVersion, b: PromptVersion): string[] {
  if (a.kind === 'soft' || b.kind === 'soft') return diffAdapters(a, b);
  const lines: string[] = [];
  const keys = [...new Set([...Object.keys(a.content), ...Object.keys(b.content)])].sort();
  for (const key of keys) {
    const before = JSON.stringify(a.content[key], null, 2);
    const after = JSON.stringify(b.content[key], null, 2);
    if (before === after) continue;
    lines.push(`@@ ${key}`);
    // a field one side lacks shows no line on that side (not "undefined")
    if (before !== undefined) for (const line of before.split('\n')) lines.push(`- ${line}`);
    if (after !== undefined) for (const line of after.split('\n')) lines.push(`+ ${line}`);
  }
  return lines;
}

/** A list longer than this (as JSON) is shown by its size: the nearest tokens are hundreds of lines. */
const longList = 120;

/** `value`'s settings by path (a.b.0), a list of values or a short list whole, a long one by its size. */
function settings(value: unknown, path: string, into: Map<string, { shown: string; json: string }>) {
  // a field one version lacks is no setting of it (not "undefined")
  if (value === undefined) return;
  const json = JSON.stringify(value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) into.set(path, { shown: '{}', json });
    for (const [key, each] of entries) settings(each, path ? `${path}.${key}` : key, into);
    return;
  }
  if (Array.isArray(value) && json.length > longList)
    into.set(path, { shown: `${value.length} entries`, json });
  else into.set(path, { shown: json, json });
}

/**
 * What differs between the specs two versions serve with, setting by setting (`- decoding.constrain:
 * true`), under `@@ serving spec`: the same adapter served under another constraint answers otherwise.
 * Left out: the prompt (a hard version's own prompt is its content, diffed above; a soft version serves
 * its input without the template), the data files it names, and `leftOut`'s keys (generation, when both
 * versions hold their own).
 */
export function diffServingSpecs(a: TaskSpec, b: TaskSpec, leftOut: string[] = []): string[] {
  // the data files a spec names are where its datasets came from, not how it serves
  const served = (spec: TaskSpec) =>
    Object.fromEntries(
      Object.entries(spec).filter(([key]) => key !== 'prompt' && key !== 'data' && !leftOut.includes(key)),
    );
  const changed = changedSettings(served(a), served(b), '');
  return changed.length ? ['@@ serving spec', ...changed] : [];
}

/**
 * Each setting that differs between `a` and `b` (by path, `name` for the whole value): `- before`, `+
 * after`, or `~ path: N entries, changed` for a long list of the same size.
 */
function changedSettings(a: unknown, b: unknown, name: string): string[] {
  const [before, after] = [new Map(), new Map()] as Map<string, { shown: string; json: string }>[];
  settings(a, '', before);
  settings(b, '', after);
  const changed: string[] = [];
  for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const [was, is] = [before.get(path), after.get(path)];
    if (was?.json === is?.json) continue;
    const shownName = path || name;
    if (was && is && was.shown === is.shown) changed.push(`~ ${shownName}: ${is.shown}, changed`);
    else {
      if (was) changed.push(`- ${shownName}: ${was.shown}`);
      if (is) changed.push(`+ ${shownName}: ${is.shown}`);
    }
  }
  return changed;
}

/** The adapter diff: the method, then each changed setting (- before, + after, ~ a long list changed). */
function diffAdapters(a: PromptVersion, b: PromptVersion): string[] {
  const lines: string[] = [];
  const [methodA, methodB] = [versionMethod(a), versionMethod(b)];
  if (methodA !== methodB) lines.push('@@ method', `- ${methodA}`, `+ ${methodB}`);
  const keys = [...new Set([...Object.keys(a.content), ...Object.keys(b.content)])].sort();
  for (const key of keys) {
    const changed = changedSettings(a.content[key], b.content[key], key);
    if (changed.length) lines.push(`@@ ${key}`, ...changed);
  }
  return lines;
}
