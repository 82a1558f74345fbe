// The audit policy gate of a label move: when the spec a version serves with, or the task's latest spec,
// has an audit policy that guards the label (both apply, so pushing a spec without the policy does not
// lift it), the version's latest completed audits (runs recorded with that version, latest by finish
// time) must meet it. A failing move is refused with the failed criteria, unless an admin overrides it
// with a reason, which the label's history keeps beside the criteria it overrode.
import { auditPolicyFailures, auditsRequired, type RecordedAudit } from '../audit/index.js';
import { PermissionError, QualityGateError } from '../errors/index.js';
import type { AuditPolicy, TaskSpec } from '../tasks/index.js';
import type { Actor, PromptVersion } from './records.js';
import type { RunStore } from './runs.js';

/** What the gate reads: the specs, and the runs. */
interface PolicySource {
  getSpec(id: string): Promise<TaskSpec>;
  getTask(name: string): Promise<TaskSpec>;
  runs: RunStore;
}

/** The latest completed audit of each kind recorded for `version`, by finish time. */
async function latestAudits(source: PolicySource, version: PromptVersion) {
  const audits: Partial<Record<'bias' | 'sensitivity', RecordedAudit & { finishedAt: number }>> = {};
  let after: string | undefined;
  do {
    const page = await source.runs.list(
      { task: version.task, kind: 'audit', status: 'completed' },
      { after },
    );
    for (const run of page.data) {
      const kind = run.config.audit;
      if (run.version !== version.id || (kind !== 'bias' && kind !== 'sensitivity')) continue;
      const finishedAt = run.finishedAt ?? run.startedAt;
      if ((audits[kind]?.finishedAt ?? -Infinity) < finishedAt)
        audits[kind] = { id: run.id, summary: run.summary ?? {}, finishedAt };
    }
    after = page.next;
  } while (after);
  return audits;
}

/** The policies that guard `label`: the version's spec's and the task's latest spec's, once each. */
async function guardingPolicies(source: PolicySource, version: PromptVersion, label: string) {
  const specs = [await source.getSpec(version.specId), await source.getTask(version.task)];
  const policies = specs.flatMap((spec) => (spec.audit?.policy ? [spec.audit.policy] : []));
  const unique = [...new Map(policies.map((policy) => [JSON.stringify(policy), policy])).values()];
  return unique.filter((policy: AuditPolicy) => policy.labels.includes(label));
}

/**
 * The reason to record for moving `label` to `version`: the caller's, with the override and the
 * criteria it overrode when the version fails the policy. Throws when it fails without an override, or
 * when a non-admin overrides.
 */
export async function labelMoveReason(
  source: PolicySource,
  version: PromptVersion,
  input: { label: string; actor: Actor; reason?: string; overridePolicy?: string },
): Promise<string | undefined> {
  const policies = await guardingPolicies(source, version, input.label);
  if (policies.length === 0) return input.reason;
  const audits = await latestAudits(source, version);
  const failures = [...new Set(policies.flatMap((policy) => auditPolicyFailures(policy, audits)))];
  if (failures.length === 0) return input.reason;
  const target = `${version.task}@${input.label} → ${version.task}@${version.number}`;
  if (input.overridePolicy === undefined || input.overridePolicy.trim() === '') {
    const kinds = [...new Set(policies.flatMap(auditsRequired))];
    throw new QualityGateError(`${target} is refused by the task's audit policy: ${failures.join('; ')}`, {
      code: 'REGISTRY_AUDIT_POLICY',
      hint: `Record passing audits of that version (${kinds.map((kind) => `promptune audit ${kind} --version ${version.task}@<version> --push`).join(', ')}) and move the label then, or as an admin override the policy with a reason.`,
    });
  }
  if (!input.actor.scopes.includes('admin'))
    throw new PermissionError(`overriding the audit policy of ${target} needs the admin scope`, {
      code: 'REGISTRY_PROTECTED_LABEL',
      hint: 'Use an admin key (or --admin on the command line), or audit the version so it passes.',
    });
  const overridden = `audit policy overridden by ${input.actor.name}: ${input.overridePolicy.trim()} (failed: ${failures.join('; ')})`;
  return input.reason ? `${input.reason}; ${overridden}` : overridden;
}
