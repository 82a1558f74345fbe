// `promptune model info`: what a model file is — architecture, size, vocabulary, context, format, and
// for GGUF files the types its tensors are stored as and the memory they take.
// `promptune model convert`: a GGUF re-written in another file type (q4_k_m, q8_0, …).
// `promptune model merge`: a LoRA adapter merged into its base model's weights (model-merge.ts).
import { defineCommand } from 'citty';
import {
  convertModel,
  describeTensors,
  fileTypes,
  inspectModel,
  type TensorDescription,
} from '../../engine/index.js';
import { downloadProgress } from '../progress.js';
import merge from './model-merge.js';

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
    tensors: { type: 'boolean', default: false, description: 'List every tensor with its type and memory' },
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
    const tensors = await describeTensors(info.path);
    if (args.json) {
      const storage = tensors && { storage: typeSummary(tensors), ...(args.tensors && { tensors }) };
      process.stdout.write(JSON.stringify({ ...summary, ...storage }, null, 2) + '\n');
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
      ...storageLines(tensors),
      ['path', info.path],
    ];
    for (const [name, value] of lines) process.stdout.write(`${name.padEnd(18)} ${value}\n`);
    if (args.tensors && tensors) {
      process.stdout.write('\n');
      for (const tensor of tensors)
        process.stdout.write(
          `${tensor.name.padEnd(28)} ${tensor.type.padEnd(6)} ${tensor.shape.join(' x ').padEnd(14)} file ${formatBytes(tensor.fileBytes).padStart(9)}  memory ${formatBytes(tensor.memoryBytes).padStart(9)}\n`,
        );
    }
  },
});

/** Tensors, file bytes and memory bytes per stored type. */
function typeSummary(tensors: TensorDescription[]) {
  const byType: Record<string, { tensors: number; fileBytes: number; memoryBytes: number }> = {};
  for (const tensor of tensors) {
    const entry = (byType[tensor.type] ??= { tensors: 0, fileBytes: 0, memoryBytes: 0 });
    entry.tensors++;
    entry.fileBytes += tensor.fileBytes;
    entry.memoryBytes += tensor.memoryBytes;
  }
  return byType;
}

function storageLines(tensors: TensorDescription[] | undefined): [string, string][] {
  if (!tensors) return [];
  const byType = Object.entries(typeSummary(tensors)).sort((a, b) => b[1].fileBytes - a[1].fileBytes);
  const total = (field: 'fileBytes' | 'memoryBytes') =>
    tensors.reduce((sum, tensor) => sum + tensor[field], 0);
  return [
    ['tensor types', byType.map(([type, entry]) => `${type} ${entry.tensors}`).join(', ')],
    [
      'weights',
      `${formatBytes(total('fileBytes'))} in the file, ${formatBytes(total('memoryBytes'))} in memory`,
    ],
  ];
}

function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '?';
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e3).toFixed(1)} kB`;
}

const convert = defineCommand({
  meta: {
    name: 'convert',
    description: 'Write a GGUF model in another file type (quantize it as llama.cpp does)',
  },
  args: {
    model: {
      type: 'string',
      required: true,
      description: 'Model: a .gguf file or hf:<org>/<name>/<file>.gguf',
    },
    to: {
      type: 'string',
      required: true,
      description: `File type: ${Object.keys(fileTypes).join(', ')}`,
    },
    out: { type: 'string', required: true, description: 'The .gguf file to write' },
  },
  async run({ args }) {
    const started = performance.now();
    const written = await convertModel(args.model, args.out, args.to.toLowerCase(), {
      hub: { onProgress: downloadProgress() },
    });
    const counts = new Map<string, number>();
    for (const tensor of written.tensors) counts.set(tensor.type, (counts.get(tensor.type) ?? 0) + 1);
    process.stdout.write(
      `wrote ${args.out}: ${formatBytes(written.bytes)}, ${written.tensors.length} tensors (${[...counts].map(([type, count]) => `${type} ${count}`).join(', ')}) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
  },
});

function formatCount(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(2)}B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(1)}M`;
  return `${(count / 1e3).toFixed(1)}K`;
}

export default defineCommand({
  meta: { name: 'model', description: 'Inspect, convert and merge model files' },
  subCommands: { info, convert, merge },
});
