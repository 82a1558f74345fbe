// The on-fail policies applied to one text: validators run in order, each on the text the ones before
// it left (a fix or a filter changes what the next one sees); every verdict is recorded with its
// latency. It never calls the generating model: whether a re-ask happens, and how, is the caller's.
import type { OnFailPolicy } from '../tasks/index.js';
import type { GuardedValidator } from './create-validators.js';
import type { CheckContext, CheckIssue, CheckUsage } from './validator.js';

/** What a policy did with a failure (`none` when the validator passed). */
export type CheckAction =
  'none' | 'recorded' | 'fixed' | 'filtered' | 'refrained' | 'refused' | 'reask' | 'exhausted' | 'unrepaired';

/** One validator's verdict on one text, and what its policy did. */
export interface CheckOutcome {
  validator: string;
  kind: string;
  stage: 'input' | 'output';
  /** 0 for the first answer, n for the n-th re-ask's answer. */
  attempt: number;
  passed: boolean;
  policy: OnFailPolicy;
  action: CheckAction;
  issues: CheckIssue[];
  latencyMs: number;
  usage?: CheckUsage;
}

/** The text after the policies, every outcome, and what the caller must still do. */
export interface ChecksResult {
  text: string;
  outcomes: CheckOutcome[];
  /** Failures whose policy asks the model again (reask, or fix_reask without a fix). */
  reask: CheckOutcome[];
  /** A failure whose policy is exception: the caller refuses. */
  refused: CheckOutcome | undefined;
  /** A refrain policy replaced the text with the fallback answer. */
  refrained: boolean;
}

/** Runs `validators` over `text` with their policies. */
export async function runChecks(
  text: string,
  validators: readonly GuardedValidator[],
  options: { stage: 'input' | 'output'; attempt?: number; refrain: string; context: CheckContext },
): Promise<ChecksResult> {
  const result: ChecksResult = { text, outcomes: [], reask: [], refused: undefined, refrained: false };
  const attempt = options.attempt ?? 0;
  for (const { validator, onFail } of validators) {
    const started = performance.now();
    const verdict = await validator.check(result.text, options.context);
    const outcome: CheckOutcome = {
      validator: validator.name,
      kind: validator.kind,
      stage: options.stage,
      attempt,
      passed: verdict.passed,
      policy: onFail,
      action: 'none',
      issues: verdict.issues,
      latencyMs: 0,
      ...(verdict.usage && { usage: verdict.usage }),
    };
    result.outcomes.push(outcome);
    if (!verdict.passed) {
      // a repair counts only when the repaired text passes the same validator
      const repaired = async (candidate: string | undefined) =>
        candidate !== undefined && (await validator.check(candidate, options.context)).passed
          ? candidate
          : undefined;
      if (onFail === 'fix' || onFail === 'fix_reask' || onFail === 'filter') {
        const repair = onFail === 'filter' ? validator.filter : validator.fix;
        const candidate = await repaired(repair?.call(validator, result.text, verdict));
        if (candidate !== undefined) {
          result.text = candidate;
          outcome.action = onFail === 'filter' ? 'filtered' : 'fixed';
        } else outcome.action = onFail === 'fix_reask' ? 'reask' : 'unrepaired';
      } else if (onFail === 'reask') outcome.action = 'reask';
      else if (onFail === 'exception') outcome.action = 'refused';
      else if (onFail === 'refrain') outcome.action = 'refrained';
      else outcome.action = 'recorded';
    }
    outcome.latencyMs = performance.now() - started;
    if (outcome.action === 'reask') result.reask.push(outcome);
    if (outcome.action === 'refused') {
      result.refused = outcome;
      break;
    }
    if (outcome.action === 'refrained') {
      result.text = options.refrain;
      result.refrained = true;
      break;
    }
  }
  return result;
}

/** The failures of outcomes as a re-ask message's lines (and a GuardError's reasons). */
export function describeFailures(outcomes: readonly CheckOutcome[]): { validator: string; reason: string }[] {
  return outcomes.map((outcome) => ({
    validator: outcome.validator,
    reason: outcome.issues.map((issue) => issue.reason).join('; ') || 'failed',
  }));
}
