// The headline number of a recorded run, as the run list and a version's scores show it, and what kind
// of run it is in words (a training's method, an audit's kind).
import { notClearlyBelow, type Standing } from './components/comparison-standing';
import { score } from './format';
import type { Run } from './types';

/** The headline number of a run: its score (a training's test label accuracy or exact match); an audit's gap, spread or agreement. */
export function runScore(run: Run): string {
  const summary = run.summary as Record<string, { value?: number; difference?: number } | undefined> | null;
  if (run.kind === 'loop') return typeof run.summary?.outcome === 'string' ? run.summary.outcome : '–';
  // a comparison's headline is the method that scored best, and its test accuracy
  if (run.kind === 'comparison') {
    const best = run.summary?.best as { method?: string; testAccuracy?: number } | undefined;
    if (!best) return '–';
    // the rows its standing finds not clearly below the best, on the same test examples
    const standing = run.summary?.standing as Standing | undefined;
    const first = standing?.methods[0];
    if (!standing || !first)
      return `${methodWords[best.method ?? ''] ?? best.method} ${score(best.testAccuracy)}`;
    const close = notClearlyBelow(standing);
    const headline = `${first.name} ${score(first.accuracy)}`;
    if (!close.length) return headline;
    return `${headline} · not clearly below: ${close.join(', ')}${standing.pick ? ` · cheapest: ${standing.pick}` : ''}`;
  }
  // a training's headline is a label task's test label accuracy (as it is served), else its test exact
  // match (dev's when it had no test split), each named: one column holds them all
  if (run.kind === 'soft-training') {
    const named: [unknown, string][] = [
      [run.summary?.testLabelAccuracy, 'labels'],
      [run.summary?.testExactMatch, 'exact match'],
      [run.summary?.devExactMatch, 'dev exact match'],
    ];
    const [value, name] = named.find(([candidate]) => typeof candidate === 'number') ?? [undefined, ''];
    return value === undefined ? '–' : `${score(value as number)} (${name})`;
  }
  if (run.kind !== 'audit' || !summary) return withMetrics(run);
  if (run.config.audit === 'bias')
    return `gap ${score(summary.gap?.difference)}, flip rate ${score(summary.flipRate as number | undefined)}`;
  if (run.config.audit === 'sensitivity')
    return `spread ${score((summary.spread as { range?: { value?: number } } | undefined)?.range?.value)}`;
  if (run.config.audit === 'variability') return `agree ${score(summary.agreement?.value)}`;
  return '–';
}

/** An evaluation's score, with the metric it is (or the metrics it is the mean of). */
function withMetrics(run: Run): string {
  const value = run.summary?.score;
  if (typeof value !== 'number') return score(value as number | undefined);
  const metrics = run.summary?.metrics;
  const names = metrics && typeof metrics === 'object' ? Object.keys(metrics) : [];
  if (names.length === 0) return score(value);
  return `${score(value)} (${names.length === 1 ? names[0] : `mean of ${names.join(', ')}`})`;
}

/** soft train's --method names in the words versions use for them. */
const methodWords: Record<string, string> = {
  'prompt-tuning': 'soft prompt',
  'p-tuning': 'P-tuning',
  'prefix-tuning': 'prefix',
  'multitask-prompt-tuning': 'multitask prompt',
  lora: 'LoRA',
  'full-fine-tuning': 'full fine-tuning',
};

/** What a run is: "soft-training (LoRA)", "bias audit", "evaluation". */
export function runKindText(run: Pick<Run, 'kind' | 'config'>): string {
  if (run.kind === 'audit') return `${String(run.config.audit)} audit`;
  // a training that records no method is prompt tuning (as runs were before there were others)
  const method = typeof run.config.method === 'string' ? run.config.method : 'prompt-tuning';
  if (run.kind === 'soft-training') return `soft-training (${methodWords[method] ?? method})`;
  if (run.kind === 'comparison') return 'method comparison';
  return run.kind;
}
