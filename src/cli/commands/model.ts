// `promptune model info`: what a model file is — architecture, size, vocabulary, context, format.
import { defineCommand } from 'citty';
import { inspectModel } from '../../engine/index.js';
import { downloadProgress } from '../progress.js';

const info = defineCommand({
  meta: {
    name: 'info',
    description: 'Print architecture, parameter count, vocabulary, context length and format',
  },
  args: {
    model: {
      type: 'string',
      required: true,
      description: 'Model: .gguf file, llama2.c .bin, Hugging Face directory, or hf:<org>/<name>',
    },
    tokenizer: { type: 'string', description: "Tokenizer file to use instead of the model's own" },
    json: { type: 'boolean', default: false, description: 'Print JSON' },
  },
  async run({ args }) {
    // header, config and tokenizer only: the weights are not read
    const info = await inspectModel(args.model, {
      tokenizer: args.tokenizer,
      hub: { onProgress: downloadProgress() },
    });
    const { config } = info;
    const summary = {
      model: info.reference,
      path: info.path,
      format: info.format,
      architecture: info.architecture,
      parameters: info.parameters,
      vocabularySize: info.vocabularySize,
      contextLength: info.contextLength,
      tokenizer: info.tokenizer,
      hiddenSize: config.hiddenSize,
      layers: config.layers,
      heads: config.heads,
      kvHeads: config.kvHeads,
      intermediateSize: config.intermediateSize,
      ropeTheta: config.ropeTheta,
      tiedEmbeddings: config.tiedEmbeddings,
    };
    if (args.json) {
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      return;
    }
    const lines: [string, string | number | boolean][] = [
      ['architecture', info.architecture],
      ['parameters', `${info.parameters.toLocaleString('en-US')} (${formatCount(info.parameters)})`],
      ['vocabulary', info.vocabularySize],
      ['context length', info.contextLength],
      ['format', info.format],
      ['tokenizer', info.tokenizer],
      ['layers', config.layers],
      ['hidden size', config.hiddenSize],
      ['heads', `${config.heads} query, ${config.kvHeads} key/value, ${config.headDim} dims each`],
      ['intermediate size', config.intermediateSize],
      [
        'rope',
        `theta ${config.ropeTheta}, ${config.ropeStyle}${config.ropeScaling ? `, ${config.ropeScaling.type} scaling` : ''}`,
      ],
      ['tied embeddings', config.tiedEmbeddings],
      ['path', info.path],
    ];
    for (const [name, value] of lines) process.stdout.write(`${name.padEnd(18)} ${value}\n`);
  },
});

function formatCount(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(2)}B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(1)}M`;
  return `${(count / 1e3).toFixed(1)}K`;
}

export default defineCommand({
  meta: { name: 'model', description: 'Inspect model files' },
  subCommands: { info },
});
