// The headline number of a recorded run, as the run list and a version's scores show it.
import { score } from './format';
import type { Run } from './types';

/** The headline number of a run: its score (a training's test exact match); an audit's gap, spread or agreement. */
export function runScore(run: Run): string {
  const summary = run.summary as Record<string, { value?: number; difference?: number } | undefined> | null;
  if (run.kind === 'loop') return typeof run.summary?.outcome === 'string' ? run.summary.outcome : '–';
  // a training's headline is its test exact match (dev's when it had no test split)
  if (run.kind === 'soft-training') return score(run.summary?.testExactMatch ?? run.summary?.devExactMatch);
  if (run.kind !== 'audit' || !summary) return score(run.summary?.score);
  if (run.config.audit === 'bias') return `gap ${score(summary.gap?.difference)}`;
  if (run.config.audit === 'sensitivity')
    return `spread ${score((summary.spread as { range?: { value?: number } } | undefined)?.range?.value)}`;
  if (run.config.audit === 'variability') return `agree ${score(summary.agreement?.value)}`;
  return '–';
}
