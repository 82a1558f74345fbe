// A spec's guards and decoding constraint built once before the spec is stored, as eval and the service
// build them: a regex that is not valid, a constraint the engine cannot compile, a custom module that
// is not there, or a policy its validator cannot carry out is refused with its code at push, not found
// by the service as a 404 on every request once a label names the version. Judge validators are built
// against a model that is never called (the judge is chosen where they run).
import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { TaskSpec } from '../tasks/index.js';
import { constraintAutomaton } from './constrain/index.js';
import { taskConstraint } from './constrain-model.js';
import { createGuardSet, type GuardContext, type GuardSet } from './create-validators.js';

/** Stands for the judge a spec's judge validators will ask; building one does not call it. */
const unaskedJudge: LanguageModelV3 = {
  specificationVersion: 'v3',
  provider: 'promptune',
  modelId: 'judge-not-chosen',
  supportedUrls: {},
  doGenerate: () => Promise.reject(new Error('the preflight judge is never asked')),
  doStream: () => Promise.reject(new Error('the preflight judge is never asked')),
};

/**
 * `spec`'s decoding constraint compiled (to see that it compiles) and its guard set built with
 * `context`, as the service loads a version: `GUARD_OPTIONS`, `CONSTRAINT_UNSUPPORTED`, ... when they
 * cannot run.
 */
export async function buildSpecGuards(spec: TaskSpec, context: GuardContext): Promise<GuardSet> {
  const constraint = taskConstraint(spec);
  if (constraint) constraintAutomaton(constraint);
  return createGuardSet(spec.guards, context);
}

/**
 * Builds `spec`'s guard set and constraint (custom modules resolved from `baseDirectory`, the spec's
 * folder), throwing what eval or the service would: `GUARD_OPTIONS`, `CONSTRAINT_UNSUPPORTED`, ...
 */
export async function preflightGuards(spec: TaskSpec, baseDirectory: string): Promise<void> {
  await buildSpecGuards(spec, { task: spec, baseDirectory, judge: unaskedJudge });
}
