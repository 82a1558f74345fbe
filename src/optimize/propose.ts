// The propose optimizer (APE/OPRO style): a teacher model reads the task description, a few training
// examples, the instructions tried so far with their scores, and the failures of the best one, and
// writes new instructions. Each is scored on dev; one replaces the incumbent only on a significant
// paired improvement. Proposals that copy dev text verbatim are rejected and reported; a teacher whose
// reply holds no proposal stops the run with an error instead of a silent zero-progress run.
import { BudgetExceededError, cutText, PromptuneError } from '../errors/index.js';
import { type EvaluatedModel, requestKey, type ResponseCache, mean, withRetries } from '../eval/index.js';
import type { Example, Task } from '../tasks/index.js';
import { scorePrompt } from './candidate.js';
import { significantlyBetter } from './artifact.js';
import { startRun, stoppable } from './run.js';
import type { OptimizeOptions, Optimizer, ScoredPrompt } from './types.js';
import { answerText } from '../providers/index.js';

/** Propose settings. */
export interface ProposeSettings {
  rounds: number;
  proposalsPerRound: number;
}

const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** The request the teacher answers. */
export function proposalRequest(
  task: Task,
  train: Example[],
  tried: { instruction: string; score: number }[],
  failures: { input: string; expected: string; got: string }[],
  count: number,
): string {
  return [
    'You improve the instruction given to a language model for a task.',
    `Task: ${task.spec.description || task.spec.name}`,
    `Prompt template (the instruction is sent before it): ${task.spec.prompt.template}`,
    `Examples:\n${train.map((example) => `- input: ${text(Object.values(example.fields)[0])} -> expected: ${text(example.target)}`).join('\n')}`,
    `Instructions tried so far (score on a validation set, higher is better):\n${tried.map((entry) => `- ${JSON.stringify(entry.instruction)}: ${entry.score.toFixed(3)}`).join('\n')}`,
    failures.length
      ? `Where the best instruction fails:\n${failures.map((failure) => `- input: ${failure.input} expected: ${failure.expected} got: ${failure.got}`).join('\n')}`
      : '',
    `Write ${count} new, different instructions. Put each on its own line starting with "INSTRUCTION:". Do not copy the examples.`,
  ]
    .filter(Boolean)
    .join('\n\n');
}

/** Instructions in a teacher's reply (lines starting with INSTRUCTION:). */
export function parseProposals(reply: string): string[] {
  return reply
    .split('\n')
    .map((line) => /^\s*INSTRUCTION:\s*(.+?)\s*$/i.exec(line)?.[1])
    .filter((instruction): instruction is string => Boolean(instruction));
}

/** Whether a reply holds a proposal. */
const holdsProposals = (reply: string) => parseProposals(reply).length > 0;

/** The proposals in a reply; a reply without any stops the run loudly rather than making no progress. */
function requireProposals(reply: string): string[] {
  const proposals = parseProposals(reply);
  if (proposals.length === 0) {
    throw new PromptuneError(
      `the teacher's reply held no proposals: ${JSON.stringify(reply.slice(0, 200))}`,
      {
        code: 'OPTIMIZE_TEACHER_UNPARSEABLE',
        hint: 'Use a stronger teacher model, or check that it follows the "INSTRUCTION:" format.',
      },
    );
  }
  return proposals;
}

/** Whether two instructions are the same but for case, spacing and final punctuation. */
export function sameInstruction(first: string, second: string): boolean {
  const normal = (text: string) =>
    text
      .toLowerCase()
      .replace(/\s+/g, ' ')
      .replace(/[\s.!]+$/, '')
      .trim();
  return normal(first) === normal(second);
}

/** Whether an instruction repeats 20 or more characters of any dev input verbatim. */
export function copiesData(instruction: string, examples: Example[]): boolean {
  return examples.some((example) => {
    const input = text(Object.values(example.fields)[0]);
    for (let start = 0; start + 20 <= input.length; start += 10)
      if (instruction.includes(input.slice(start, start + 20))) return true;
    return false;
  });
}

/**
 * Asks the teacher, through the response cache so a rerun replays the same proposals at no cost. Only a
 * reply `usable` accepts is cached: an unusable one stops the run, and a rerun asks again rather than
 * replaying the same unusable reply forever.
 */
export async function ask(
  teacher: EvaluatedModel,
  request: string,
  cache: ResponseCache | undefined,
  seed: number,
  usable: (reply: string) => boolean,
  call: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<string> {
  const parameters = { temperature: 0.7, maxOutputTokens: 400, seed };
  const key = requestKey({
    provider: teacher.model.provider,
    modelId: teacher.model.modelId,
    ...(teacher.endpoint && { endpoint: teacher.endpoint }),
    parameters,
    request,
  });
  // (an unusable reply cached before only usable ones were is asked again)
  const cached = cache?.get(key);
  if (cached && usable(cached.text)) {
    teacher.replayed?.(cached);
    return cached.text;
  }
  const start = performance.now();
  // as the harness calls the student: rate limits and server errors retried, each attempt timed out,
  // and the run's stop honoured (a teacher that hangs must not hang the run)
  const result = await withRetries(
    (abortSignal) =>
      teacher.model.doGenerate({
        prompt: [{ role: 'user', content: [{ type: 'text', text: request }] }],
        ...parameters,
        abortSignal,
      }),
    { signal: call.signal, timeoutMs: call.timeoutMs },
  );
  const reply = answerText(result.content);
  if (!usable(reply)) return reply;
  cache?.put(key, {
    text: reply,
    inputTokens: result.usage.inputTokens.total ?? 0,
    outputTokens: result.usage.outputTokens.total ?? 0,
    latencyMs: performance.now() - start,
  });
  return reply;
}

/** A propose optimizer: `rounds` rounds of `proposalsPerRound` teacher proposals. */
export function proposeOptimizer(settings: ProposeSettings = { rounds: 3, proposalsPerRound: 3 }): Optimizer {
  return stoppable({
    name: 'propose',
    async optimize(task: Task, options: OptimizeOptions) {
      const run = await startRun(task, options, 'propose', {
        requireTeacher: true,
        seedDescription: `seed instruction ${JSON.stringify(task.spec.prompt.system ?? '')}`,
        plan: settings,
      });
      const { seed, tracker, student, shared, baseline, record } = run;
      const teacher = run.teacher!; // startRun refused a run without one
      const seedPrompt = task.spec.prompt;
      let incumbent: ScoredPrompt = {
        prompt: seedPrompt,
        scores: baseline.scores,
        outputs: baseline.outputs,
      };
      let stopped: string | undefined;
      const tried = [{ instruction: seedPrompt.system ?? '', score: mean(baseline.scores) }];
      const examplesForTeacher = options.train.slice(0, 5);
      let index = 0;
      rounds: for (let round = 0; round < settings.rounds; round++) {
        stopped = run.stopReason(incumbent.scores);
        if (stopped) break;
        if (!tracker.fits('teacher', 1)) {
          stopped = 'the teacher budget cannot ask for more proposals';
          break;
        }
        const failures = options.dev
          .map((example, i) => ({
            input: text(Object.values(example.fields)[0]),
            expected: text(example.target),
            got: incumbent.outputs[i],
            score: incumbent.scores[i],
          }))
          .filter((entry) => entry.score < 1)
          .slice(0, 3);
        let reply: string;
        try {
          reply = await ask(
            teacher,
            proposalRequest(task, examplesForTeacher, tried, failures, settings.proposalsPerRound),
            options.cache,
            seed + round,
            holdsProposals,
            shared,
          );
        } catch (error) {
          if (!BudgetExceededError.isInstance(error)) throw error;
          stopped = error.message; // a token or money cap the teacher's worst case would cross
          break;
        }
        const proposals = requireProposals(reply);
        for (const instruction of proposals) {
          index++;
          if (tried.some((entry) => sameInstruction(entry.instruction, instruction))) {
            // a teacher repeating an instruction already scored: its score is known, not worth a call
            record({
              index,
              description: `rejected (already tried): ${JSON.stringify(cutText(instruction, 80))}`,
              score: 0,
              accepted: false,
              calls: 0,
            });
            continue;
          }
          if (copiesData(instruction, options.dev)) {
            record({
              index,
              description: `rejected (copies validation text): ${JSON.stringify(cutText(instruction, 80))}`,
              score: 0,
              accepted: false,
              calls: 0,
            });
            continue;
          }
          if (!tracker.fits('student', options.dev.length)) {
            stopped = 'the student budget cannot score another candidate';
            break rounds;
          }
          const prompt = { ...incumbent.prompt, system: instruction };
          let scored;
          try {
            scored = await scorePrompt(task, prompt, options.dev, student, shared);
          } catch (error) {
            if (!BudgetExceededError.isInstance(error)) throw error;
            stopped = error.message;
            break rounds;
          }
          const accepted = significantlyBetter(incumbent.scores, scored.scores, seed + index, options.alpha);
          if (accepted) incumbent = { prompt, scores: scored.scores, outputs: scored.outputs };
          tried.push({ instruction, score: mean(scored.scores) });
          record({
            index,
            description: `instruction ${JSON.stringify(cutText(instruction, 80))}`,
            score: mean(scored.scores),
            accepted,
            calls: scored.calls,
            parseRate: scored.parseRate,
            ...(scored.contentFiltered && { contentFiltered: scored.contentFiltered }),
          });
        }
      }
      return run.finish(incumbent, stopped);
    },
  });
}

/**
 * One round of proposals from the teacher for a search space: instructions that do not copy `dev`
 * text, each once, none the seed's. Throws like the propose optimizer when the reply holds none.
 */
export async function askForInstructions(
  task: Task,
  train: Example[],
  teacher: EvaluatedModel,
  count: number,
  dev: Example[],
  cache: ResponseCache | undefined,
  seed: number,
  call: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<string[]> {
  const reply = await ask(
    teacher,
    proposalRequest(
      task,
      train.slice(0, 5),
      [{ instruction: task.spec.prompt.system ?? '', score: 0 }],
      [],
      count,
    ),
    cache,
    seed,
    holdsProposals,
    call,
  );
  const proposals = requireProposals(reply);
  // the space holds the seed's instruction already; a repeated one would be searched twice
  const kept: string[] = [];
  for (const instruction of proposals)
    if (
      !copiesData(instruction, dev) &&
      ![task.spec.prompt.system ?? '', ...kept].some((other) => sameInstruction(other, instruction))
    )
      kept.push(instruction);
  return kept;
}
