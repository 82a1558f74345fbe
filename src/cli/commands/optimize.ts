// `promptune optimize`: tune a task's hard prompt on a model (bootstrap optimizer for now), printing the
// estimated number of calls before spending anything and each trial as it finishes.
import { defineCommand } from 'citty';
import { writeFileSync } from 'node:fs';
import { ValidationError } from '../../errors/index.js';
import { ResponseCache } from '../../eval/index.js';
import {
  bootstrapOptimizer,
  defaultSearchSettings,
  evolveOptimizer,
  proposeOptimizer,
  searchOptimizer,
  type BootstrapSettings,
} from '../../optimize/index.js';
import { resolveModel } from '../../providers/index.js';
import { loadTask } from '../../tasks/load-task.js';
import { loadSplit } from '../../tasks/splits.js';
import { numberOption } from '../options.js';
import { downloadProgress } from '../progress.js';

/** Presets: demos per candidate and candidates tried. */
export const presets: Record<string, BootstrapSettings> = {
  light: { maxDemos: 3, candidates: 6 },
  medium: { maxDemos: 4, candidates: 12 },
  heavy: { maxDemos: 6, candidates: 24 },
};

export default defineCommand({
  meta: { name: 'optimize', description: "Tune a task's hard prompt on a model" },
  args: {
    task: { type: 'string', required: true, description: 'Task spec file' },
    model: { type: 'string', required: true, description: 'Student model (see promptune eval --help)' },
    teacher: {
      type: 'string',
      description: 'Teacher model that labels demonstrations (default: the student)',
    },
    optimizer: {
      type: 'string',
      default: 'bootstrap',
      description: 'bootstrap, propose, search or evolve (propose and evolve need --teacher)',
    },
    preset: { type: 'string', default: 'light', description: 'light, medium or heavy' },
    'max-calls': { type: 'string', description: 'Hard cap on student calls' },
    'dev-limit': { type: 'string', description: 'Use only the first N dev examples' },
    seed: { type: 'string', default: '0', description: 'Random seed' },
    'cache-file': {
      type: 'string',
      default: '.promptune/cache.sqlite',
      description: 'Response cache (a rerun replays from it)',
    },
    out: { type: 'string', required: true, description: 'Where to write the prompt artifact (JSON)' },
  },
  async run({ args }) {
    if (!['bootstrap', 'propose', 'search', 'evolve'].includes(args.optimizer)) {
      throw new ValidationError(`optimizer "${args.optimizer}" is not implemented yet`, {
        code: 'OPTIMIZE_UNKNOWN',
        hint: 'Use --optimizer bootstrap, propose, search or evolve.',
      });
    }
    const settings = presets[args.preset];
    if (!settings)
      throw new ValidationError(`--preset is "${args.preset}"`, {
        code: 'CLI_INVALID_OPTION',
        hint: 'Use light, medium or heavy.',
      });
    const task = loadTask(args.task);
    const train = loadSplit(task, 'train');
    const dev = loadSplit(task, 'dev').slice(
      0,
      numberOption('dev-limit', args['dev-limit'], { integer: true, min: 1 }),
    );
    const local = { hub: { onProgress: downloadProgress() } };
    const student = await resolveModel(args.model, { local });
    const teacher = args.teacher ? await resolveModel(args.teacher, { local }) : undefined;
    const proposeSettings = {
      rounds: Math.max(1, Math.round(settings.candidates / 3)),
      proposalsPerRound: 3,
    };
    const searchSettings = {
      ...defaultSearchSettings,
      trials: settings.candidates * 2,
      maxDemos: settings.maxDemos,
    };
    const estimate =
      args.optimizer === 'evolve'
        ? dev.length * (1 + settings.candidates) + settings.candidates * 12
        : args.optimizer === 'search'
          ? dev.length * (1 + searchSettings.trials / searchSettings.validateEvery) +
            searchSettings.trials * searchSettings.minibatch +
            Math.min(train.length, settings.maxDemos * 9)
          : args.optimizer === 'propose'
            ? dev.length * (1 + proposeSettings.rounds * proposeSettings.proposalsPerRound) +
              proposeSettings.rounds
            : dev.length * (1 + settings.candidates) + Math.min(train.length, settings.maxDemos * 9);
    const maxCalls = numberOption('max-calls', args['max-calls'], { integer: true, min: 1 });
    process.stderr.write(
      `estimated calls: about ${estimate} (${args.optimizer}, ${dev.length} dev examples per candidate)${maxCalls ? `, capped at ${maxCalls}` : ''}\n`,
    );
    const cache = new ResponseCache(args['cache-file']);
    try {
      const optimizer =
        args.optimizer === 'propose'
          ? proposeOptimizer(proposeSettings)
          : args.optimizer === 'search'
            ? searchOptimizer(searchSettings)
            : args.optimizer === 'evolve'
              ? evolveOptimizer({ iterations: settings.candidates, minibatch: 6, mergeEvery: 4 })
              : bootstrapOptimizer(settings);
      const { artifact, history } = await optimizer.optimize(task, {
        student,
        teacher,
        train,
        dev,
        budget: { studentCalls: maxCalls, teacherCalls: maxCalls },
        seed: numberOption('seed', args.seed, { integer: true }),
        cache,
        onTrial: (trial) =>
          process.stderr.write(
            `trial ${trial.index}: ${trial.description}: dev ${trial.score.toFixed(3)}${trial.accepted ? ' (accepted)' : ''}, ${trial.calls} calls\n`,
          ),
      });
      writeFileSync(args.out, JSON.stringify(artifact, null, 2) + '\n');
      process.stdout.write(
        `dev score ${artifact.scores.seed.toFixed(3)} -> ${artifact.scores.best.toFixed(3)} after ${history.length - 1} candidates, ${artifact.optimizer.calls} model calls; prompt written to ${args.out}\n`,
      );
    } finally {
      cache.close();
    }
  },
});
