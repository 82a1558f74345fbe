// The audit policy gate of a label move: when the spec a version serves with has an audit policy that
// guards the label, the version's latest completed audits (runs recorded with that version) must meet
// it. A failing move is refused with the failed criteria, unless an admin overrides it with a reason,
// which the label's history keeps beside the criteria it overrode.
import { auditPolicyFailures, type RecordedAudit } from '../audit/index.js';
import { PermissionError, QualityGateError } from '../errors/index.js';
import type { TaskSpec } from '../tasks/index.js';
import type { Actor, PromptVersion } from './records.js';
import type { RunStore } from './runs.js';

/** What the gate reads: the spec a version serves with, and the runs. */
interface PolicySource {
  getSpec(id: string): Promise<TaskSpec>;
  runs: RunStore;
}

/** The latest completed audit of each kind recorded for `version`. */
async function latestAudits(source: PolicySource, version: PromptVersion) {
  const audits: Partial<Record<'bias' | 'sensitivity', RecordedAudit>> = {};
  let after: string | undefined;
  do {
    const page = await source.runs.list(
      { task: version.task, kind: 'audit', status: 'completed' },
      { after },
    );
    for (const run of page.data) {
      const kind = run.config.audit;
      if (run.version !== version.id || (kind !== 'bias' && kind !== 'sensitivity')) continue;
      audits[kind] ??= { id: run.id, summary: run.summary ?? {} }; // newest first
    }
    after = page.next;
  } while (after && !(audits.bias && audits.sensitivity));
  return audits;
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
  const policy = (await source.getSpec(version.specId)).audit?.policy;
  if (!policy || !policy.labels.includes(input.label)) return input.reason;
  const failures = auditPolicyFailures(policy, await latestAudits(source, version));
  if (failures.length === 0) return input.reason;
  const target = `${version.task}@${input.label} → ${version.task}@${version.number}`;
  if (input.overridePolicy === undefined || input.overridePolicy.trim() === '')
    throw new QualityGateError(`${target} is refused by the task's audit policy: ${failures.join('; ')}`, {
      code: 'REGISTRY_AUDIT_POLICY',
      hint: `Audit the version and record it (promptune audit bias --version ${version.task}@${version.number} --push), or as an admin override the policy with a reason.`,
    });
  if (!input.actor.scopes.includes('admin'))
    throw new PermissionError(`overriding the audit policy of ${target} needs the admin scope`, {
      code: 'REGISTRY_PROTECTED_LABEL',
      hint: 'Use an admin key (or --admin on the command line), or audit the version so it passes.',
    });
  const overridden = `audit policy overridden by ${input.actor.name}: ${input.overridePolicy.trim()} (failed: ${failures.join('; ')})`;
  return input.reason ? `${input.reason}; ${overridden}` : overridden;
}
