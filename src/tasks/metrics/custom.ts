// User metrics: a JavaScript module (or TypeScript, when run under tsx) whose default export (or
// options.export) takes (example, output) and returns a number in [0, 1] or { score, feedback }.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ValidationError } from '../../errors/index.js';
import type { Example } from '../dataset.js';
import type { Metric, MetricContext, MetricScore } from './types.js';

type UserFunction = (
  example: Example,
  output: string,
) => number | MetricScore | Promise<number | MetricScore>;

/** Loads the user's metric module named by options.module (relative to the spec). */
export async function customMetric(
  options: Record<string, unknown>,
  context: MetricContext,
): Promise<Metric> {
  if (typeof options.module !== 'string') {
    throw new ValidationError('custom: options.module is missing', {
      code: 'METRIC_OPTIONS',
      hint: 'Name a .js/.mjs file whose default export scores (example, output).',
    });
  }
  const path = isAbsolute(options.module) ? options.module : resolve(context.baseDirectory, options.module);
  if (!existsSync(path)) {
    throw new ValidationError(`custom: metric module ${path} does not exist`, {
      code: 'METRIC_OPTIONS',
      hint: 'Paths are relative to the task spec file.',
    });
  }
  const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const name = String(options.export ?? 'default');
  const user = module[name] as UserFunction | undefined;
  if (typeof user !== 'function') {
    throw new ValidationError(`custom: ${path} has no function export "${name}"`, {
      code: 'METRIC_OPTIONS',
      hint: 'Export a function (example, output) => number | {score, feedback}.',
    });
  }
  return {
    name: String(options.name ?? 'custom'),
    async score(example, output) {
      const result = await user(example, output);
      const score = typeof result === 'number' ? { score: result } : result;
      if (typeof score?.score !== 'number' || !Number.isFinite(score.score)) {
        throw new ValidationError(`custom metric ${path} returned ${JSON.stringify(result)}`, {
          code: 'METRIC_RESULT',
          hint: 'Return a number in [0, 1] or { score, feedback }.',
        });
      }
      return { ...score, score: Math.max(0, Math.min(1, score.score)) };
    },
  };
}
