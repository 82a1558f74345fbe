// Hands a model to the PyTorch peer scripts (bench/*_torch.py): weights as safetensors plus a JSON
// manifest (and the rows' tokens with placeholders where a prompt goes), and runs a script under Debian's
// /usr/bin/python3, or says why it cannot.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { matrixFloat32, writeSafetensors, type LlamaModel, type NamedTensor } from '../src/engine/index.js';
import { parameterShapes } from '../src/engine/weights/assemble.js';

const here = dirname(fileURLToPath(import.meta.url));
const python = '/usr/bin/python3';

/** Writes `model`'s weights and a manifest (config, threads, plus `extra`) into `directory`. */
export function writeForTorch(model: LlamaModel, directory: string, extra: Record<string, unknown>): void {
  mkdirSync(directory, { recursive: true });
  const { config, weights } = model;
  const shapes = parameterShapes(config);
  const tensors: Record<string, NamedTensor> = {
    embedding: { shape: shapes.embedding, data: matrixFloat32(weights.embedding) },
    finalNorm: { shape: shapes.finalNorm, data: weights.finalNorm },
  };
  weights.layers.forEach((layer, l) => {
    for (const field of [
      'attentionNorm',
      'query',
      'key',
      'value',
      'attentionOutput',
      'mlpNorm',
      'gate',
      'up',
      'down',
    ] as const) {
      tensors[`layers.${l}.${field}`] = {
        shape: shapes[field],
        data: matrixFloat32(layer[field]),
      };
    }
  });
  writeSafetensors(join(directory, 'weights.safetensors'), tensors);
  writeFileSync(join(directory, 'manifest.json'), JSON.stringify({ config, ...extra }));
}

/** Runs bench/<script> on `directory`; its last stdout line parsed as JSON, or a reason it was skipped. */
export function runTorch<T>(
  script: string,
  directory: string,
  threads: number,
): { result: T } | { skipped: string } {
  if (spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status !== 0) {
    return { skipped: 'no torch under /usr/bin/python3 (apt-get install python3-torch)' };
  }
  const run = spawnSync(python, [join(here, script), directory], {
    encoding: 'utf8',
    env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(threads) },
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0) throw new Error(`${script} failed:\n${run.stderr}`);
  return { result: JSON.parse(run.stdout.trim().split('\n').pop()!) as T };
}

/**
 * What the peer needs of a prompt-tuning step's batch: the rows' token ids with N placeholders after BOS
 * where the prompt's vectors go, the next-token targets, and the batch's size.
 */
export function promptStep(
  examples: { inputIds: number[]; targetIds: number[] }[],
  batch: { batch: number; time: number; targets: Int32Array },
  virtualTokens: number,
): Record<string, unknown> {
  return {
    tokens: examples.flatMap((example) => [
      example.inputIds[0],
      ...new Array<number>(virtualTokens).fill(0),
      ...example.inputIds.slice(1),
      ...example.targetIds,
    ]),
    targets: Array.from(batch.targets),
    batch: batch.batch,
    time: batch.time,
    virtualTokens,
  };
}
