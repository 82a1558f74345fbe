// The command line that trains a comparison's pick for serving, as compare-methods trained it (its
// method, epochs, batch size, seed and shape), printed under the standing. A fully fine-tuned pick from a
// model file soft train cannot write (llama2.c, fused checkpoints) names the copy it needs instead.
import type { TaskStanding } from './comparison-significance.js';

/** What the line names where --model cannot be written: the same model in a format soft train writes. */
const MODEL_COPY = '<the same model as GGUF or a Hugging Face directory>';

/**
 * The soft train command that trains a standing's pick for serving (its method, as compared: the same
 * epochs, batch size, seed and shape); none when the pick is the frozen model or a multitask prompt
 * transferred from other tasks (soft train-multitask makes those).
 */
export function trainPickLine(
  standing: TaskStanding,
  args: {
    model: string;
    data: string;
    epochs: string;
    'batch-size': string;
    seed: string;
    rank: string;
    'virtual-tokens': string;
    'input-field': string;
    'target-field': string;
  },
  context: {
    /**
     * Why soft train cannot write a fully fine-tuned copy of --model (checkModelWritable's refusal):
     * compare-methods trains the copy in memory, but the line it prints would be refused.
     */
    unwritable?: { message: string; hint?: string };
    /** The task's whole training split: soft train trains on all of it, whatever size was compared. */
    trainSplit?: number;
  } = {},
): string[] {
  const { unwritable, trainSplit } = context;
  const pick = standing.methods.find((method) => method.name === standing.pick);
  if (!pick?.method || pick.transferred) return [];
  // as compared: a prompt starts from sampled vocabulary (soft train's default on a label task starts
  // from the labels, and searches on small data)
  const shape =
    pick.method === 'lora'
      ? ['--rank', args.rank]
      : pick.method === 'full-fine-tuning'
        ? []
        : [
            '--virtual-tokens',
            args['virtual-tokens'],
            ...(pick.method === 'prompt-tuning' ? ['--init', 'sample-vocab'] : []),
          ];
  const fields =
    args['input-field'] === 'input' && args['target-field'] === 'target'
      ? []
      : ['--input-field', args['input-field'], '--target-field', args['target-field']];
  const copy = pick.method === 'full-fine-tuning' && unwritable;
  const model = copy ? MODEL_COPY : args.model;
  const words = [
    ...['promptune', 'soft', 'train', '--method', pick.method, ...shape, '--model', model],
    ...[
      '--data',
      args.data,
      '--epochs',
      args.epochs,
      '--batch-size',
      args['batch-size'],
      '--seed',
      args.seed,
    ],
    ...fields,
    ...['--out', `.promptune/soft/${standing.task}-${pick.method}`],
    ...(pick.method === 'full-fine-tuning' ? [] : ['--push']),
  ];
  const quoted = words.map((word) =>
    word === MODEL_COPY || /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`,
  );
  const notes: string[] = [];
  if (copy)
    notes.push(
      `soft train writes the tuned model in its source's format, and ${unwritable.message}${unwritable.hint ? `: ${unwritable.hint.replace(/\.$/, '')}` : ''}`,
    );
  // soft train reads the whole split: a pick compared on fewer examples would train on more, longer
  if (trainSplit !== undefined && standing.trainExamples < trainSplit)
    notes.push(
      `it trains on all ${trainSplit.toLocaleString('en-US')} training examples of --data, where the comparison used ${standing.trainExamples.toLocaleString('en-US')}`,
    );
  const after = notes.length ? ` (${notes.join('; ')})` : '';
  return [`  To train ${pick.name} for serving as compared: ${quoted.join(' ')}${after}`];
}
