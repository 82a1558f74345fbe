// An example as every group of one or more aligned attribute sets would have it: group i of each set
// stands for the same group (girl names with female words), so the gender task's "She … Lily" becomes
// "He … Tom" in one variant. Each set rewrites the result of the one before (their terms differ), and
// the steps are kept so an answer can be mapped back. An example whose sets disagree on its group, or
// that a set cannot rewrite completely, is left out.
import { ValidationError } from '../errors/index.js';
import type { AttributeSet } from './attribute-sets.js';
import { counterfactuals, undoReplacements } from './counterfactual.js';

/** One set's rewrite of a variant. */
export interface SwapStep {
  set: AttributeSet;
  replacements: Record<string, string>;
}

/** The example as one group would have it. */
export interface SwappedExample {
  group: string;
  fields: Record<string, unknown>;
  target: unknown;
  /** The rewrites that made it from the original, in order (none for the original). */
  steps: SwapStep[];
}

/** The names of the aligned groups: one set's own, or each set's joined by " + ". */
export function alignedGroupNames(sets: AttributeSet[]): string[] {
  checkAligned(sets);
  return sets[0].groups.map((_, group) => sets.map((set) => set.groups[group].name).join(' + '));
}

/** Refuses sets with different numbers of groups (group i of each must stand for the same people). */
export function checkAligned(sets: AttributeSet[]): void {
  if (sets.length === 0)
    throw new ValidationError('no attribute set to audit with', {
      code: 'AUDIT_NO_SET',
      hint: 'Name a built-in set or a YAML file of one with --set.',
    });
  const counts = sets.map((set) => set.groups.length);
  if (counts.some((count) => count !== counts[0]))
    throw new ValidationError(
      `the sets ${sets.map((set) => `${set.name} (${set.groups.length} groups)`).join(', ')} do not line up`,
      {
        code: 'AUDIT_SETS_MISALIGNED',
        hint: 'Sets audited together list the same number of groups, in the same order (group i of each stands for the same people).',
      },
    );
}

/**
 * The example under each group, in group order, and the index of the group it came from; undefined when
 * no set applies, the sets disagree on its group, or a rewrite is incomplete.
 */
export function swapAttributes(
  example: { fields: Record<string, unknown>; target: unknown },
  sets: AttributeSet[],
): { source: number; variants: SwappedExample[] } | undefined {
  const names = alignedGroupNames(sets);
  const applicable = sets.flatMap((set) => {
    const found = counterfactuals(example, set);
    return found ? [{ set, source: set.groups.findIndex((group) => group.name === found[0].group) }] : [];
  });
  if (applicable.length === 0) return undefined;
  const source = applicable[0].source;
  if (applicable.some((each) => each.source !== source)) return undefined;
  const variants: SwappedExample[] = [];
  for (let group = 0; group < names.length; group++) {
    if (group === source) {
      variants.push({ group: names[group], ...example, steps: [] });
      continue;
    }
    let current = { fields: example.fields, target: example.target };
    const steps: SwapStep[] = [];
    for (const { set } of applicable) {
      const rewritten = counterfactuals(current, set)?.find((each) => each.group === set.groups[group].name);
      if (!rewritten) return undefined;
      current = { fields: rewritten.fields, target: rewritten.target };
      steps.push({ set, replacements: rewritten.replacements });
    }
    variants.push({ group: names[group], ...current, steps });
  }
  return { source, variants };
}

/** A variant's text with its rewrites undone, last first (to compare its answer with the original's). */
export function undoSwap(text: string, variant: SwappedExample): string {
  return variant.steps.reduceRight((result, step) => undoReplacements(result, step, step.set), text);
}
