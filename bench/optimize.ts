// npm run bench:optimize — our evolve optimizer against Ax's GEPA (@ax-llm/ax, installed into bench/ on
// demand) on the same scripted task (bench/optimize-rules.ts), with the same scripted student and
// teacher behaviour and the same cap on student calls. Prints, for each: the final instruction's
// validation score (computed by the same rule for both, outside the budget), student and teacher calls
// used, and the ratios. Target: equal or higher score with no more student calls. Repeated over seeds.
import { AxGEPA, AxMockAIService, ax } from '@ax-llm/ax';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evolveOptimizer } from '../src/optimize/index.js';
import type { Example } from '../src/tasks/dataset.js';
import { taskFromObject } from '../src/tasks/load-task.js';
import {
  feedback,
  ruleExamples,
  studentAnswer,
  teacherInstruction,
  validationScore,
  type RuleExample,
} from './optimize-rules.js';
import { ScriptedModel } from '../test/scripted-model.js';
import { line } from './report.js';

const seeds = Number(process.env.BENCH_SEEDS ?? 3);
const seedInstruction = 'Solve the sum.';
/** The two settings: four forms with a roomy budget, eight forms with a tight one. */
const settings = [
  { formCount: 4, budget: 150 },
  { formCount: 8, budget: 120 },
];
let train = ruleExamples(40, 1, 4);
let validation = ruleExamples(20, 500, 4);
let budget = 150;

const teacherReply = (request: string) => '```\n' + teacherInstruction(request) + '\n```';

async function ours(seed: number) {
  const student = new ScriptedModel('student', studentAnswer);
  const teacher = new ScriptedModel('teacher', teacherReply);
  const task = taskFromObject(
    {
      name: 'rules',
      description: 'Answer sums; each form of question has its own rule.',
      input: { fields: ['question', 'form'] },
      prompt: { system: seedInstruction, template: '{{question}}' },
      metrics: [
        {
          name: 'custom',
          options: { module: fileURLToPath(new URL('./optimize-rules-metric.ts', import.meta.url)) },
        },
      ],
    },
    'rules',
  );
  const asExample = (example: RuleExample, index: number): Example => ({
    index,
    line: index + 1,
    id: `${example.question}`,
    fields: { question: example.question, form: example.form },
    target: example.answer,
  });
  const { artifact } = await evolveOptimizer({ iterations: 100, minibatch: 4, mergeEvery: 4 }).optimize(
    task,
    {
      student: { name: 'student', provider: 'scripted', modelId: 'student', model: student },
      teacher: { name: 'teacher', provider: 'scripted', modelId: 'teacher', model: teacher },
      train: train.map(asExample),
      dev: validation.map(asExample),
      budget: { student: { calls: budget } },
      seed,
      stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-bench-optimize-')),
    },
  );
  return {
    score: validationScore(artifact.prompt.system ?? '', validation),
    studentCalls: student.calls,
    teacherCalls: teacher.calls,
    instruction: artifact.prompt.system ?? '',
  };
}

async function axGepa(seed: number) {
  let studentCalls = 0;
  let teacherCalls = 0;
  const chatText = (request: { chatPrompt: readonly { content?: unknown }[] }) =>
    request.chatPrompt
      .map((message) =>
        typeof message.content === 'string' ? message.content : JSON.stringify(message.content),
      )
      .join('\n');
  const usage = {
    ai: 'mock',
    model: 'mock',
    tokens: { promptTokens: 10, completionTokens: 1, totalTokens: 11 },
  };
  const studentAI = new AxMockAIService<string>({
    features: { functions: false, streaming: false },
    chatResponse: async (request) => {
      studentCalls++;
      return {
        results: [{ index: 0, content: `Answer: ${studentAnswer(chatText(request))}`, finishReason: 'stop' }],
        modelUsage: usage,
      };
    },
  });
  const teacherAI = new AxMockAIService<string>({
    features: { functions: false, streaming: false },
    chatResponse: async (request) => {
      teacherCalls++;
      return {
        results: [{ index: 0, content: teacherReply(chatText(request)), finishReason: 'stop' }],
        modelUsage: usage,
      };
    },
  });
  const program = ax('question:string -> answer:string');
  program.setInstruction(seedInstruction);
  const formOf = (question: unknown) => /\(form (\w+)\)/.exec(String(question))?.[1] ?? '';
  const asRule = (example: Record<string, unknown>): RuleExample => ({
    question: String(example.question),
    form: formOf(example.question),
    answer: String(example.answer),
  });
  const optimizer = new AxGEPA({
    studentAI,
    teacherAI,
    numTrials: 100,
    minibatch: true,
    minibatchSize: 4,
    seed: seed + 1,
    verbose: false,
  });
  const result = await optimizer.compile(
    program as never,
    train.map((example) => ({ question: example.question, answer: example.answer })) as never,
    (({ prediction, example }: { prediction: { answer?: string }; example: Record<string, unknown> }) =>
      String(prediction?.answer ?? '').trim() === String(example.answer) ? 1 : 0) as never,
    {
      validationExamples: validation.map((example) => ({
        question: example.question,
        answer: example.answer,
      })),
      maxMetricCalls: budget,
      feedbackFn: ({ prediction, example }: { prediction: unknown; example: unknown }) =>
        feedback(
          asRule(example as Record<string, unknown>),
          String((prediction as { answer?: string })?.answer ?? ''),
        ),
    } as never,
  );
  const components = result.optimizedProgram?.componentMap ?? {};
  const instruction =
    Object.entries(components).find(([key]) => key.includes('instruction'))?.[1] ?? seedInstruction;
  return { score: validationScore(instruction, validation), studentCalls, teacherCalls, instruction };
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
for (const setting of settings) {
  [train, validation, budget] = [
    ruleExamples(40, 1, setting.formCount),
    ruleExamples(20, 500, setting.formCount),
    setting.budget,
  ];
  line(
    `bench:optimize — scripted rules task with ${setting.formCount} forms, ${train.length} train / ${validation.length} validation, student-call cap ${budget}, ${seeds} seeds`,
  );
  line('system       seed  validation  student calls  teacher calls  final instruction');
  const rows: { ours: Awaited<ReturnType<typeof ours>>; ax: Awaited<ReturnType<typeof axGepa>> }[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    const row = { ours: await ours(seed), ax: await axGepa(seed) };
    rows.push(row);
    for (const [name, result] of [
      ['promptune', row.ours],
      ['ax-gepa', row.ax],
    ] as const)
      line(
        `${name.padEnd(12)} ${String(seed).padStart(4)}  ${result.score.toFixed(3).padStart(10)}  ${String(result.studentCalls).padStart(13)}  ${String(result.teacherCalls).padStart(13)}  ${JSON.stringify(result.instruction.slice(0, 90))}`,
      );
  }
  const [ourScore, axScore] = [
    mean(rows.map((row) => row.ours.score)),
    mean(rows.map((row) => row.ax.score)),
  ];
  const [ourCalls, axCalls] = [
    mean(rows.map((row) => row.ours.studentCalls)),
    mean(rows.map((row) => row.ax.studentCalls)),
  ];
  line(
    `mean validation score: promptune ${ourScore.toFixed(3)}, ax-gepa ${axScore.toFixed(3)} (ratio ${(ourScore / Math.max(axScore, 1e-9)).toFixed(2)}x); mean student calls: promptune ${ourCalls.toFixed(1)}, ax-gepa ${axCalls.toFixed(1)} (ratio ${(ourCalls / Math.max(axCalls, 1e-9)).toFixed(2)}x). Target: score ratio >= 1 with calls ratio <= 1.\n`,
  );
}
