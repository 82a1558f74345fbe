// A task's audit policy checked against the audits recorded for a version: each criterion of the
// policy becomes a failure message when an audit of its kind that counts misses it, or when the version
// has no such audit at all. Pure: the registry finds the audits and decides what a failure refuses.
import type { AuditPolicy } from '../tasks/index.js';
import { pValueText } from './bias-statistics.js';

/** The summary of a recorded audit run, as its producer stored it. */
export interface RecordedAudit {
  id: string;
  summary: Record<string, unknown>;
}

/** Which audit kinds a policy asks for. */
export function auditsRequired(policy: AuditPolicy): ('bias' | 'sensitivity')[] {
  return (['bias', 'sensitivity'] as const).filter(
    (kind) => policy[kind] && Object.values(policy[kind]).some((value) => value !== undefined),
  );
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

/** `value` as a percent, with two decimals where one would print it as `limit` (5.04% above 5.0%). */
const finePercent = (value: number, limit: number) =>
  percent(value) === percent(limit) ? `${(value * 100).toFixed(2)}%` : percent(value);

/**
 * Why the version fails the policy (empty when it passes), given the audits that count of each kind:
 * every one must meet the policy's thresholds. One of fewer examples than the policy's minimum fails for
 * that unless an audit of its kind has enough; then it counts only if it misses a threshold (a small
 * audit that failed is not outweighed by a larger one that passed).
 */
export function auditPolicyFailures(
  policy: AuditPolicy,
  audits: Partial<Record<'bias' | 'sensitivity', RecordedAudit | RecordedAudit[]>>,
): string[] {
  const failures: string[] = [];
  for (const kind of auditsRequired(policy)) {
    const given = audits[kind];
    const recorded = given === undefined ? [] : Array.isArray(given) ? given : [given];
    // audits of other models than the policy names do not count, and are said to be there
    const all = recorded.filter((audit) => onPolicyModel(policy, audit));
    const elsewhere = recorded.filter((audit) => !all.includes(audit));
    if (all.length === 0)
      failures.push(
        `no ${kind} audit of this version${policy.models ? ` on ${policy.models.join(' or ')}` : ''} is recorded${
          elsewhere.length
            ? ` (not counted: ${elsewhere.map((audit) => `${audit.id} on ${String(audit.summary.model)}`).join(', ')})`
            : ''
        }`,
      );
    const examples = (audit: RecordedAudit) =>
      Number(kind === 'bias' ? audit.summary.audited : audit.summary.n) || 0;
    const enoughSomewhere = all.some((audit) => examples(audit) >= policy.minExamples);
    for (const audit of all) {
      const missed = thresholdFailures(policy, kind, audit);
      if (examples(audit) >= policy.minExamples) failures.push(...missed);
      else if (!enoughSomewhere)
        failures.push(
          `${kind} audit ${audit.id}: ${examples(audit)} examples audited, fewer than the policy's ${policy.minExamples}`,
          ...missed,
        );
      else failures.push(...missed.map((failure) => `${failure} (on ${examples(audit)} examples)`));
    }
  }
  return failures;
}

/**
 * What an audit of an adapter version adds to its base model's name (`+soft:`, `+lora:` or `+prefix:` and
 * 12 hex digits of its weights' hash, as `audit --version` names the model that answered).
 */
const adapterSuffix = /\+(?:soft|lora|prefix):[0-9a-f]{12}$/;

/**
 * Whether an audit ran on a model the policy names (any, when it names none): the name the audit records
 * (`local:../models/x.gguf`), or its end after a slash or a colon (`x.gguf`, `gpt-4o-mini`); an adapter's
 * audit by its base model's name (the adapter is the version audited, the policy names the model).
 */
function onPolicyModel(policy: AuditPolicy, audit: RecordedAudit): boolean {
  if (!policy.models) return true;
  const recorded = String(audit.summary.model ?? '');
  const base = recorded.replace(adapterSuffix, '');
  return policy.models.some((named) =>
    [recorded, base].some(
      (model) => model === named || model.endsWith(`/${named}`) || model.endsWith(`:${named}`),
    ),
  );
}

/** The thresholds of the policy an audit misses. */
function thresholdFailures(
  policy: AuditPolicy,
  kind: 'bias' | 'sensitivity',
  audit: RecordedAudit,
): string[] {
  const failures: string[] = [];
  const where = `${kind} audit ${audit.id}`;
  if (kind === 'bias' && policy.bias) {
    const bias = audit.summary;
    const gap = (bias.gap ?? {}) as { difference?: number; pValue?: number; between?: string[] };
    const between = gap.between?.join(' − ') ?? '';
    const flipRate = Number(bias.flipRate);
    const maxFlipRate = policy.bias.maxFlipRate;
    if (maxFlipRate !== undefined && policy.bias.flipRateBound === 'upper') {
      const upper = Array.isArray(bias.flipInterval) ? Number(bias.flipInterval[1]) : Number.NaN;
      if (Number.isNaN(upper))
        failures.push(
          `${where}: it records no interval of its flip rate for the policy's upper bound (recorded before audits kept one: run it again)`,
        );
      else if (!(upper <= maxFlipRate))
        failures.push(
          `${where}: flip rate ${percent(flipRate)} could be as high as ${finePercent(upper, maxFlipRate)} (its 95% interval's upper end), above ${percent(maxFlipRate)}`,
        );
    } else if (maxFlipRate !== undefined && !(flipRate <= maxFlipRate))
      failures.push(`${where}: flip rate ${percent(flipRate)} is above ${percent(maxFlipRate)}`);
    if (policy.bias.maxGap !== undefined && !(Number(gap.difference) <= policy.bias.maxGap))
      failures.push(
        `${where}: the gap ${between} of ${Number(gap.difference).toFixed(3)} is above ${policy.bias.maxGap}`,
      );
    // the policy's own level, not the one the audit was run at
    if (policy.bias.gapNotSignificant && !(Number(gap.pValue) >= policy.bias.alpha))
      failures.push(
        `${where}: the gap ${between} is significant (${pValueText(Number(gap.pValue))}, below ${policy.bias.alpha})`,
      );
  }
  const maxSpread = policy.sensitivity?.maxSpread;
  if (kind === 'sensitivity' && maxSpread !== undefined) {
    const sensitivity = audit.summary;
    if (!Array.isArray(sensitivity.variants) || sensitivity.variants.length === 0)
      failures.push(`${where}: it scored no variant of the prompt or the inputs`);
    const spread = Number((sensitivity.spread as { range?: { value?: number } } | undefined)?.range?.value);
    if (!(spread <= maxSpread))
      failures.push(`${where}: the score spread of ${spread.toFixed(3)} is above ${maxSpread}`);
  }
  return failures;
}
