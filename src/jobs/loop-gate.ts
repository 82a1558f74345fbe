// The closed loop's offline gate: the candidate and what production serves, evaluated on the same split
// (two evaluation runs in the registry), compared pair by pair (the difference with its bootstrap
// interval and p-value, the examples that flipped), and the candidate's audits held to the task's audit
// policy. It decides from recorded runs and runs nothing itself.
import { auditPolicyFailures, type RecordedAudit } from '../audit/index.js';
import { compareReports, type ComparedReport, type Comparison } from '../eval/index.js';
import type { Registry } from '../registry/index.js';
import type { AuditPolicy } from '../tasks/index.js';
import type { LoopPolicy } from './loop-policy.js';

/** What the gate decided, and on what. */
export interface GateResult {
  passed: boolean;
  /** Each criterion, met or not, in words. */
  criteria: { met: boolean; text: string }[];
  comparison: Omit<Comparison, 'improved' | 'regressed'> & { improved: number; regressed: number };
  candidate: { run: string; score: number };
  production: { run: string; score: number };
  audits: Record<string, string>;
}

/** An evaluation run as the comparison reads it: its score and its examples' scores. */
async function comparedRun(registry: Registry, id: string): Promise<ComparedReport> {
  const run = await registry.runs.get(id);
  const examples = (await registry.runs.allEntries(id, 'example')).map((entry) => ({
    id: String(entry.data.id),
    line: Number(entry.data.line),
    score: Number(entry.score ?? 0),
  }));
  return {
    model: String(run.config.model ?? run.id),
    score: Number(run.summary?.score ?? 0),
    examples,
  };
}

const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;

/** Decides the gate from the two evaluation runs and the candidate's audit runs. */
export async function gateDecision(
  registry: Registry,
  gate: LoopPolicy['gate'],
  input: {
    candidateRun: string;
    productionRun: string;
    auditRuns: Record<string, string>;
    /** The task's audit policy, when it has one that guards the loop's label. */
    auditPolicy?: AuditPolicy;
  },
): Promise<GateResult> {
  const production = await comparedRun(registry, input.productionRun);
  const candidate = await comparedRun(registry, input.candidateRun);
  const compared = compareReports(production, candidate);
  const criteria = [
    {
      met: compared.difference >= gate.minimumGain,
      text: `${gate.split} score ${candidate.score.toFixed(3)} against production's ${production.score.toFixed(3)}: difference ${signed(compared.difference)} on ${compared.n} examples [${compared.interval.map((end) => end.toFixed(3)).join(', ')}] (at least ${signed(gate.minimumGain)} needed)`,
    },
  ];
  if (gate.minimumScore !== undefined)
    criteria.push({
      met: candidate.score >= gate.minimumScore,
      text: `${gate.split} score ${candidate.score.toFixed(3)} (at least ${gate.minimumScore} needed)`,
    });
  if (gate.significant)
    criteria.push({
      met: compared.significant && compared.difference > 0,
      text: `the paired difference is ${compared.significant ? '' : 'not '}significant (p ${compared.pValue.toFixed(4)})`,
    });
  if (gate.audits.length > 0) {
    const audits: Partial<Record<'bias' | 'sensitivity', RecordedAudit>> = {};
    for (const [kind, id] of Object.entries(input.auditRuns)) {
      const run = await registry.runs.get(id);
      if (run.status === 'completed' && (kind === 'bias' || kind === 'sensitivity'))
        audits[kind] = { id, summary: run.summary ?? {} };
    }
    if (input.auditPolicy) {
      const failures = auditPolicyFailures(input.auditPolicy, audits);
      criteria.push(
        failures.length === 0
          ? { met: true, text: `the audits (${gate.audits.join(', ')}) meet the task's audit policy` }
          : { met: false, text: `the task's audit policy: ${failures.join('; ')}` },
      );
    } else
      criteria.push({
        met: gate.audits.every((kind) => audits[kind]),
        text: `audits recorded (${gate.audits.join(', ')}); the task has no audit policy to hold them to`,
      });
  }
  const { improved, regressed, ...comparison } = compared;
  return {
    passed: criteria.every((criterion) => criterion.met),
    criteria,
    comparison: { ...comparison, improved: improved.length, regressed: regressed.length },
    candidate: { run: input.candidateRun, score: candidate.score },
    production: { run: input.productionRun, score: production.score },
    audits: input.auditRuns,
  };
}
