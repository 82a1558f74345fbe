// The closed loop's offline gate: the candidate and what production serves, evaluated on the same split
// (two evaluation runs, `eval --version … --push`), compared pair by pair (the difference with its
// bootstrap interval and p-value, the examples that flipped), and the candidate's audits held to the
// task's audit policy. gateDecision decides from recorded runs; runGate runs the commands first.
import { auditPolicyFailures, type RecordedAudit } from '../audit/index.js';
import { compareReports, type ComparedReport, type Comparison } from '../eval/index.js';
import type { Registry, RunRecord } from '../registry/index.js';
import type { AuditPolicy } from '../tasks/index.js';
import { completedRun, type LoopStepData } from './loop-steps.js';
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

/** Runs the gate's evaluations and audits (each reused when a previous attempt finished it) and decides. */
export async function runGate(input: {
  registry: Registry;
  policy: LoopPolicy;
  run: RunRecord;
  folder: string;
  candidate: { id: string; number: number };
  previous: LoopStepData | undefined;
  record: (data: LoopStepData) => Promise<void>;
  step: (args: string[], runId: string) => Promise<RunRecord>;
}): Promise<LoopStepData> {
  const { registry, policy } = input;
  const serving = await registry.resolveVersion(policy.task, policy.label);
  const production = { id: serving.id, number: serving.number };
  const attempt = Number(input.previous?.attempt ?? 0) + 1;
  const runs = { ...((input.previous?.runs as Record<string, string>) ?? {}) };
  const subjects: [string, string[]][] = [
    ['candidate', ['eval', '--version', `${policy.task}@${input.candidate.number}`]],
    ['production', ['eval', '--version', `${policy.task}@${production.number}`]],
    ...policy.gate.audits.map((kind): [string, string[]] => [
      kind,
      ['audit', kind, '--version', `${policy.task}@${input.candidate.number}`],
    ]),
  ];
  for (const [name, command] of subjects) {
    const existing = await completedRun(registry, runs[name]);
    // a production score is reusable only for the version serving now
    if (existing && (name !== 'production' || existing.version === production.id)) continue;
    runs[name] = `${input.run.id}.gate-${name}.${attempt}`;
    await input.record({ step: 'gate', done: false, attempt, production, runs });
    const base = [...command, '--task', policy.spec, '--model', policy.model, '--data', input.folder];
    await input.step([...base, '--split', policy.gate.split, '--push'], runs[name]);
  }
  const spec = await registry.getTask(policy.task);
  const auditPolicy = spec.audit?.policy?.labels.includes(policy.label) ? spec.audit.policy : undefined;
  const { candidate, production: productionRun, ...audits } = runs;
  const decision: GateResult = await gateDecision(registry, policy.gate, {
    candidateRun: candidate,
    productionRun,
    auditRuns: audits,
    auditPolicy,
  });
  const data: LoopStepData = {
    step: 'gate',
    done: true,
    attempt,
    production,
    runs,
    passed: decision.passed,
    criteria: decision.criteria,
    comparison: decision.comparison,
    scores: { candidate: decision.candidate.score, production: decision.production.score },
  };
  await input.record(data);
  return data;
}
