// `promptune generate`: stream a model's continuation of a prompt to stdout (nothing else on stdout;
// progress and warnings go to stderr).
import { defineCommand } from 'citty';
import { applyChatTemplate, generateStream, loadModel } from '../../engine/index.js';
import { numberOption, repeatedOption, seedOption } from '../options.js';
import { downloadProgress } from '../progress.js';

export default defineCommand({
  meta: { name: 'generate', description: 'Generate a continuation of a prompt with a local model' },
  args: {
    model: {
      type: 'string',
      required: true,
      description: 'Model: .gguf file, llama2.c .bin, Hugging Face directory, or hf:<org>/<name>',
    },
    prompt: { type: 'string', required: true, description: 'Prompt text' },
    'max-tokens': { type: 'string', default: '128', description: 'Most tokens to generate' },
    temperature: { type: 'string', default: '0.8', description: 'Sampling temperature; 0 is greedy' },
    'top-k': { type: 'string', description: 'Sample among the k most likely tokens' },
    'top-p': {
      type: 'string',
      description: 'Sample among the most likely tokens whose probability sums to p',
    },
    'repetition-penalty': { type: 'string', description: 'Penalty > 1 for tokens already in the context' },
    stop: { type: 'string', description: 'Stop when this text appears (repeatable)' },
    seed: { type: 'string', default: '0', description: 'Random seed; the same seed gives the same output' },
    tokenizer: { type: 'string', description: "Tokenizer file to use instead of the model's own" },
    chat: {
      type: 'boolean',
      default: false,
      description: "Wrap the prompt as a user message with the model's chat template",
    },
  },
  async run({ args, rawArgs }) {
    const { model, tokenizer } = await loadModel(args.model, {
      tokenizer: args.tokenizer,
      hub: { onProgress: downloadProgress() },
    });
    const text = args.chat
      ? applyChatTemplate(tokenizer, [{ role: 'user', content: args.prompt }])
      : args.prompt;
    const tokens = tokenizer.encode(text, { addBos: !args.chat });
    const events = generateStream(model, tokenizer, [{ tokens }], {
      maxTokens: numberOption('max-tokens', args['max-tokens'], { integer: true, min: 0 }),
      temperature: numberOption('temperature', args.temperature, { min: 0 }),
      topK: numberOption('top-k', args['top-k'], { integer: true, min: 1 }),
      topP: numberOption('top-p', args['top-p'], { min: 0, max: 1 }),
      repetitionPenalty: numberOption('repetition-penalty', args['repetition-penalty'], { min: 0 }),
      stop: repeatedOption(rawArgs, 'stop'),
      seed: seedOption(args.seed),
    });
    for await (const event of events) if ('delta' in event) process.stdout.write(event.delta);
    process.stdout.write('\n');
  },
});
