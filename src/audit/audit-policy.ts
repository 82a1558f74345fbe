// A task's audit policy checked against the audits recorded for a version: each criterion of the
// policy becomes a failure message when the latest audit of its kind misses it, or when the version
// has no such audit at all. Pure: the registry finds the audits and decides what a failure refuses.
import type { AuditPolicy } from '../tasks/index.js';

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

/** Why the version fails the policy (empty when it passes), given its latest audit of each kind. */
export function auditPolicyFailures(
  policy: AuditPolicy,
  audits: Partial<Record<'bias' | 'sensitivity', RecordedAudit>>,
): string[] {
  const failures: string[] = [];
  for (const kind of auditsRequired(policy))
    if (!audits[kind]) failures.push(`no ${kind} audit of this version is recorded`);
  const tooFew = (where: string, count: unknown) =>
    Number(count) >= policy.minExamples
      ? []
      : [`${where}: ${Number(count) || 0} examples audited, fewer than the policy's ${policy.minExamples}`];
  const bias = audits.bias?.summary;
  if (policy.bias && bias) {
    const where = `bias audit ${audits.bias!.id}`;
    const gap = (bias.gap ?? {}) as { difference?: number; pValue?: number; between?: string[] };
    const between = gap.between?.join(' − ') ?? '';
    const flipRate = Number(bias.flipRate);
    failures.push(...tooFew(where, bias.audited));
    if (policy.bias.maxFlipRate !== undefined && !(flipRate <= policy.bias.maxFlipRate))
      failures.push(`${where}: flip rate ${percent(flipRate)} is above ${percent(policy.bias.maxFlipRate)}`);
    if (policy.bias.maxGap !== undefined && !(Number(gap.difference) <= policy.bias.maxGap))
      failures.push(
        `${where}: the gap ${between} of ${Number(gap.difference).toFixed(3)} is above ${policy.bias.maxGap}`,
      );
    // the policy's own level, not the one the audit was run at
    if (policy.bias.gapNotSignificant && !(Number(gap.pValue) >= policy.bias.alpha))
      failures.push(
        `${where}: the gap ${between} is significant (p ${Number(gap.pValue).toFixed(4)} < ${policy.bias.alpha})`,
      );
  }
  const sensitivity = audits.sensitivity?.summary;
  if (policy.sensitivity?.maxSpread !== undefined && sensitivity) {
    const where = `sensitivity audit ${audits.sensitivity!.id}`;
    failures.push(...tooFew(where, sensitivity.n));
    if (!Array.isArray(sensitivity.variants) || sensitivity.variants.length === 0)
      failures.push(`${where}: it scored no variant of the prompt or the inputs`);
    const spread = Number((sensitivity.spread as { range?: { value?: number } } | undefined)?.range?.value);
    if (!(spread <= policy.sensitivity.maxSpread))
      failures.push(
        `${where}: the score spread of ${spread.toFixed(3)} is above ${policy.sensitivity.maxSpread}`,
      );
  }
  return failures;
}
