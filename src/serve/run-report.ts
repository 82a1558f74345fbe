// A recorded run's HTML report, rendered from what the registry holds (the same data the dashboard
// shows): an evaluation's summary and examples through eval's report, an optimization's artifact,
// details and trials through optimize's, an audit's statistics (and a bias audit's flipped examples)
// through audit's. `promptune runs report` writes it; GET /v1/runs/{id}/report
// serves it.
import { ValidationError } from '../errors/index.js';
import {
  renderBiasReportHtml,
  renderSensitivityReportHtml,
  renderVariabilityReportHtml,
  renderExplanationHtml,
  type BiasAudit,
  type HardExplanation,
  type SoftExplanation,
  type FlippedExample,
  type SensitivityAudit,
  type VariabilityAudit,
} from '../audit/index.js';
import { renderReportHtml, type EvaluationReport } from '../eval/index.js';
import { renderOptimizationHtml, type OptimizeResult } from '../optimize/index.js';
import type { Registry, RunRecord } from '../registry/index.js';

const noReport = (run: RunRecord, why: string, hint: string) =>
  new ValidationError(`run ${run.id} has no report: ${why}`, { code: 'RUN_NO_REPORT', hint });

/** The fields each audit's report reads from a run's summary. */
const auditFields: Record<string, string[]> = {
  bias: ['groups', 'gap', 'flipRate', 'scoreFlipRate', 'sets', 'alpha'],
  sensitivity: ['original', 'variants', 'spread', 'families'],
  variability: ['score', 'agreement', 'modalAgreement', 'passK', 'leastStable', 'distinctAnswers'],
  explain: ['kind', 'original', 'n'],
};

/** Whether an audit run's summary has what its report reads (other code may record audit runs). */
function auditSummaryFits(run: RunRecord): boolean {
  const fields = auditFields[String(run.config.audit)];
  return fields !== undefined && fields.every((field) => run.summary?.[field] !== undefined);
}

/** The HTML report of run `id`. */
export async function runReportHtml(registry: Registry, id: string): Promise<string> {
  const run = await registry.runs.get(id);
  if (run.status !== 'completed' || !run.summary)
    throw noReport(
      run,
      `it is ${run.status}`,
      'A report is made from a completed run; see what it recorded with promptune runs show.',
    );
  if (run.kind === 'evaluation') {
    if (!Array.isArray(run.summary.interval) || typeof run.summary.n !== 'number')
      throw noReport(
        run,
        'its summary is not an evaluation report',
        'Runs recorded by promptune eval --push have reports; this one was recorded by other code.',
      );
    const examples = await registry.runs.allEntries(id, 'example');
    return renderReportHtml({
      ...(run.summary as unknown as Omit<EvaluationReport, 'examples'>),
      examples: examples.map((entry) => entry.data as unknown as EvaluationReport['examples'][number]),
    });
  }
  if (run.kind === 'optimization') {
    const { artifact, details } = (run.summary.result ?? {}) as Partial<OptimizeResult>;
    if (!artifact || !details)
      throw noReport(
        run,
        'it was recorded before runs kept their details',
        'Run the optimization again with --push (its cache makes the repeat free), or use its --report file.',
      );
    const trials = await registry.runs.allEntries(id, 'trial');
    const history = trials.map((entry) => entry.data as unknown as OptimizeResult['history'][number]);
    return renderOptimizationHtml(
      { artifact, details, history },
      `${run.task}: ${String(run.config.optimizer ?? 'optimization')} on ${String(run.config.model ?? '')}`,
    );
  }
  if (run.kind === 'audit' && !auditSummaryFits(run))
    throw noReport(
      run,
      'its summary is not an audit report',
      'Runs recorded by promptune audit --push have reports; this one was recorded by other code.',
    );
  if (run.kind === 'audit' && run.config.audit === 'bias') {
    const flipped = await registry.runs.allEntries(id, 'example');
    const { subject, flippedLines: _, ...summary } = run.summary;
    return renderBiasReportHtml(
      {
        ...(summary as unknown as Omit<BiasAudit, 'flippedExamples'>),
        flippedExamples: flipped.map((entry) => entry.data as unknown as FlippedExample),
      },
      typeof subject === 'string' ? subject : '',
    );
  }
  if (run.kind === 'audit' && run.config.audit === 'sensitivity') {
    const { subject, ...summary } = run.summary;
    return renderSensitivityReportHtml(
      summary as unknown as SensitivityAudit,
      typeof subject === 'string' ? subject : '',
    );
  }
  if (run.kind === 'audit' && run.config.audit === 'variability') {
    const { subject, ...summary } = run.summary;
    return renderVariabilityReportHtml(
      summary as unknown as VariabilityAudit,
      typeof subject === 'string' ? subject : '',
    );
  }
  if (run.kind === 'audit' && run.config.audit === 'explain') {
    const { subject, ...summary } = run.summary;
    const explanation = summary as unknown as (SoftExplanation | HardExplanation) & {
      task: string;
      split: string;
      model: string;
    };
    return renderExplanationHtml(explanation, explanation, typeof subject === 'string' ? subject : '');
  }
  throw noReport(
    run,
    `a ${run.kind} run has no HTML report`,
    'Open it in the dashboard (promptune ui), which draws its loss and dev accuracy curves.',
  );
}
