// The audit policy gate of a label move: when the spec a version serves with, the task's latest spec, or
// the spec of the version the label serves now has an audit policy that guards the label (all apply, so
// pushing a spec without the policy does not lift it), the version's audits that count (per audit
// configuration the latest completed one, on the data the version was made from) must meet it. A failing
// move is refused with the failed criteria, unless an admin overrides it with a reason, which the label's
// history keeps beside the criteria it overrode; a passing move's history names the audits it passed on.
import { auditPolicyFailures, auditsRequired } from '../audit/index.js';
import { PermissionError, QualityGateError, ValidationError } from '../errors/index.js';
import type { AuditPolicy, TaskSpec } from '../tasks/index.js';
import type { Actor, PromptVersion } from './records.js';
import { countedAudits } from './counted-audits.js';
import type { RunStore } from './runs.js';

/** What the gate reads: the specs, the labels and versions, and the runs. */
interface PolicySource {
  getSpec(id: string): Promise<TaskSpec>;
  getTask(name: string): Promise<TaskSpec>;
  listLabels(task: string): Promise<{ label: string; version: string }[]>;
  resolveVersion(task: string, reference: string): Promise<PromptVersion>;
  runs: RunStore;
}

/**
 * The policies that guard `label`: the version's spec's, the task's latest spec's, and the spec's of the
 * version the label points at now (so a spec pushed without the policy does not lift it while the label
 * serves a version pushed under it), once each; and whether the last is the only one that holds it.
 */
async function guardingPolicies(source: PolicySource, version: PromptVersion, label: string) {
  const current = (await source.listLabels(version.task)).find((entry) => entry.label === label);
  const incumbent = current ? await source.resolveVersion(version.task, current.version) : undefined;
  const guarding = (spec: TaskSpec) =>
    spec.audit?.policy?.labels.includes(label) ? [spec.audit.policy] : [];
  const own = [
    ...guarding(await source.getSpec(version.specId)),
    ...guarding(await source.getTask(version.task)),
  ];
  const held = incumbent ? guarding(await source.getSpec(incumbent.specId)) : [];
  const all = [...own, ...held];
  const policies = [...new Map(all.map((policy) => [JSON.stringify(policy), policy])).values()];
  // said in a refusal: the task's spec no longer has the policy, the label's version does
  const heldOnly =
    incumbent && own.length === 0 && held.length > 0
      ? ` (the policy of the spec ${version.task}@${incumbent.number} serves with, which ${label} points at: pushing a spec without it does not lift it)`
      : '';
  return { policies, heldOnly, current: incumbent?.id === version.id };
}

/** Whether a version meets the audit policies that guard one label, and on which audits. */
export interface PolicyVerdict {
  label: string;
  met: boolean;
  /** The criteria it misses (empty when met). */
  failures: string[];
  /** The audit runs that counted. */
  counted: string[];
  /** Why audits of the version were left out (their data, their spec, retired by an admin). */
  notCounted: string[];
  /** The only policy guarding the label is that of the spec the label's current version serves with. */
  heldByIncumbent: boolean;
  /** The label points at this version now (moved by an override when the policy is not met). */
  current: boolean;
}

async function verdictFor(
  source: PolicySource,
  version: PromptVersion,
  label: string,
  /** The version's counted audits, when the caller read them already (they do not depend on the label). */
  counted?: Awaited<ReturnType<typeof countedAudits>>,
): Promise<{ verdict: PolicyVerdict; policies: AuditPolicy[]; heldOnly: string } | undefined> {
  const { policies, heldOnly, current } = await guardingPolicies(source, version, label);
  if (policies.length === 0) return undefined;
  const { audits, otherData, otherSpec, retired } = counted ?? (await countedAudits(source, version));
  const failures = [...new Set(policies.flatMap((policy) => auditPolicyFailures(policy, audits)))];
  const verdict = {
    label,
    met: failures.length === 0,
    failures,
    counted: [...audits.bias, ...audits.sensitivity].map((audit) => audit.id),
    notCounted: [
      ...(otherData.length ? [`run on data the version was not made from: ${otherData.join(', ')}`] : []),
      ...(otherSpec.length ? [`run with another spec than the version's: ${otherSpec.join(', ')}`] : []),
      ...(retired.length ? [`retired: ${retired.join(', ')}`] : []),
    ],
    heldByIncumbent: heldOnly !== '',
    current,
  };
  return { verdict, policies, heldOnly };
}

/**
 * For each label an audit policy guards (the version's spec's, the task's latest spec's, or the spec's
 * of the version a label points at), whether moving it to `version` would pass the policy: the gate's
 * own verdict, without moving anything.
 */
export async function policyVerdicts(source: PolicySource, version: PromptVersion): Promise<PolicyVerdict[]> {
  const policyLabels = (spec: TaskSpec) => spec.audit?.policy?.labels ?? [];
  const labels = new Set([
    ...policyLabels(await source.getSpec(version.specId)),
    ...policyLabels(await source.getTask(version.task)),
  ]);
  for (const current of await source.listLabels(version.task)) {
    const incumbent = await source.resolveVersion(version.task, current.version);
    if (policyLabels(await source.getSpec(incumbent.specId)).includes(current.label))
      labels.add(current.label);
  }
  if (labels.size === 0) return [];
  const counted = await countedAudits(source, version); // once, for every label
  const verdicts: PolicyVerdict[] = [];
  for (const label of [...labels].sort()) {
    const judged = await verdictFor(source, version, label, counted);
    if (judged) verdicts.push(judged.verdict);
  }
  return verdicts;
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
  // an override given empty is a mistake, not "no override": said as such, not as the policy's refusal
  if (input.overridePolicy !== undefined && input.overridePolicy.trim() === '')
    throw new ValidationError('the audit policy override is empty: it needs a reason', {
      code: 'REGISTRY_OVERRIDE_EMPTY',
      hint: 'Give the reason the label history keeps, e.g. --override-policy "hotfix for incident 42", or leave it out.',
    });
  const judged = await verdictFor(source, version, input.label);
  if (!judged) return input.reason;
  const { verdict, policies, heldOnly } = judged;
  const { failures, counted } = verdict;
  // the history says which audits let the move through, and which were not counted
  const ignored = verdict.notCounted.map((reason) => ` (not counted, ${reason})`).join('');
  if (verdict.met) {
    const met = `audit policy met${counted.length ? ` by ${counted.join(', ')}` : ' (it asks for no audit)'}${ignored}`;
    return input.reason ? `${input.reason}; ${met}` : met;
  }
  const target = `${version.task}@${input.label} → ${version.task}@${version.number}`;
  if (input.overridePolicy === undefined) {
    const kinds = [...new Set(policies.flatMap(auditsRequired))];
    throw new QualityGateError(
      `${target} is refused by the task's audit policy${heldOnly}: ${failures.join('; ')}${ignored}`,
      {
        code: 'REGISTRY_AUDIT_POLICY',
        hint: `Record passing audits of that version on the data it was made from (${kinds.map((kind) => `promptune audit ${kind} --version ${version.task}@${version.number} --push`).join(', ')}; a failing audit is superseded only by the same audit run again) and move the label then, or as an admin override the policy with a reason.`,
      },
    );
  }
  if (!input.actor.scopes.includes('admin'))
    throw new PermissionError(`overriding the audit policy of ${target} needs the admin scope`, {
      code: 'REGISTRY_PROTECTED_LABEL',
      hint: 'Use an admin key (or --admin on the command line), or audit the version so it passes.',
    });
  const overridden = `audit policy overridden by ${input.actor.name}: ${input.overridePolicy.trim()} (failed: ${failures.join('; ')})`;
  return input.reason ? `${input.reason}; ${overridden}` : overridden;
}
