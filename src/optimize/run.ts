// What every optimizer run starts and ends with: the budget tracker and the counted models, the trial
// history, the seed prompt scored on dev as trial 0, and the artifact built from the final prompt.
import { PromptuneError } from '../errors/index.js';
import type { EvaluatedModel } from '../eval/harness.js';
import type { ResponseCache } from '../eval/response-cache.js';
import type { Task } from '../tasks/load-task.js';
import type { TaskSpec } from '../tasks/spec.js';
import { makeArtifact, mean } from './artifact.js';
import { BudgetTracker } from './budget.js';
import { scorePrompt } from './candidate.js';
import type { OptimizeOptions, PromptArtifact, Trial } from './types.js';

/** A started optimizer run. */
export interface OptimizerRun {
  seed: number;
  tracker: BudgetTracker;
  student: EvaluatedModel;
  /** Present whenever the caller passed one (always, with requireTeacher). */
  teacher: EvaluatedModel | undefined;
  shared: { cache?: ResponseCache; stateDirectory?: string };
  history: Trial[];
  /** The seed prompt's results on dev. */
  baseline: Awaited<ReturnType<typeof scorePrompt>>;
  record(trial: Trial): void;
  /** The artifact for `prompt` (with its dev `scores`) and the history. */
  finish(prompt: TaskSpec['prompt'], scores: number[]): { artifact: PromptArtifact; history: Trial[] };
}

/** Starts a run of optimizer `name`: checks the teacher (before any call), then scores the seed prompt. */
export async function startRun(
  task: Task,
  options: OptimizeOptions,
  name: string,
  settings: { requireTeacher?: boolean; seedDescription: string },
): Promise<OptimizerRun> {
  if (settings.requireTeacher && !options.teacher) {
    throw new PromptuneError(`the ${name} optimizer needs a teacher model`, {
      code: 'OPTIMIZE_NO_TEACHER',
      hint: 'Pass --teacher <model> (it may be the same as --model).',
    });
  }
  const seed = options.seed ?? 0;
  const tracker = new BudgetTracker(options.budget);
  const student = tracker.wrap(options.student, 'student');
  const teacher = options.teacher ? tracker.wrap(options.teacher, 'teacher') : undefined;
  const shared = { cache: options.cache, stateDirectory: options.stateDirectory };
  const history: Trial[] = [];
  const record = (trial: Trial) => {
    history.push(trial);
    options.onTrial?.(trial);
  };
  const baseline = await scorePrompt(task, task.spec.prompt, options.dev, student, shared);
  record({
    index: 0,
    description: settings.seedDescription,
    score: mean(baseline.scores),
    accepted: true,
    calls: baseline.calls,
  });
  const finish = (prompt: TaskSpec['prompt'], scores: number[]) => ({
    artifact: makeArtifact(
      task,
      name,
      seed,
      tracker.used.studentCalls + tracker.used.teacherCalls,
      prompt,
      baseline.scores,
      scores,
    ),
    history,
  });
  return { seed, tracker, student, teacher, shared, history, baseline, record, finish };
}
