// Writing the trainer's checkpoint (its format and reading: checkpoint.ts): the binary file first under a
// name of its own, flushed to disk, then the JSON that names it, then older binary files and what killed
// writes left are removed, so a write that is killed (or a machine that stops) leaves the last checkpoint
// whole. Copying one (a search's chosen trial becomes the run) keeps the same order.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { copyFileAtomically, writeFileAtomically } from '../engine/index.js';
import { readJsonFile, ValidationError } from '../errors/index.js';
import {
  binaryOrLeftover,
  binarySchema,
  checkpointHint,
  jsonName,
  pieces,
  sections,
  type Checkpoint,
} from './checkpoint.js';

/** Writes `checkpoint` into `directory`: the binary file, then the JSON naming it, then removes older files. */
export function writeCheckpoint(directory: string, checkpoint: Checkpoint): void {
  const { values, optimizer, best } = checkpoint;
  // a name of its own: a checkpoint written again at the same step must not replace the file the
  // current checkpoint.json names before the new JSON is in place
  const file = `checkpoint-${checkpoint.step}-${randomBytes(4).toString('hex')}.bin`;
  const hash = createHash('sha256');
  // durable: on the disk before the JSON that names it (a machine that stops could otherwise leave the
  // new JSON naming a file with no data, the older file already removed)
  writeFileAtomically(
    join(directory, file),
    (write) => {
      for (const bytes of pieces(sections(checkpoint))) {
        hash.update(bytes);
        write(bytes);
      }
    },
    { durable: true },
  );
  const saved: z.input<typeof binarySchema> = {
    step: checkpoint.step,
    optimizer: { step: optimizer.step },
    best: best && { step: best.step, exactMatch: best.exactMatch, loss: best.loss },
    evaluationsWithoutImprovement: checkpoint.evaluationsWithoutImprovement,
    history: checkpoint.history,
    settings: checkpoint.settings,
    tensors: { file, parameters: values.length, sha256: hash.digest('hex') },
  };
  // durable before the file the older JSON named goes
  writeFileAtomically(join(directory, jsonName), JSON.stringify(saved), { durable: true });
  for (const name of readdirSync(directory))
    if (binaryOrLeftover.test(name) && name !== file) rmSync(join(directory, name), { force: true });
}

/** Copies the checkpoint in `from` to `to`: the binary file first, then its JSON, each atomically. */
export function copyCheckpoint(from: string, to: string): void {
  const path = join(from, jsonName);
  const saved = readJsonFile(path, z.object({ tensors: binarySchema.shape.tensors.optional() }), {
    where: `checkpoint ${path}`,
    code: 'TRAIN_CHECKPOINT_INVALID',
    hint: checkpointHint,
  });
  const file = saved.tensors?.file;
  if (file !== undefined) {
    if (!existsSync(join(from, file)))
      throw new ValidationError(`checkpoint ${path}: ${file} is missing`, {
        code: 'TRAIN_CHECKPOINT_INVALID',
        hint: checkpointHint,
      });
    copyFileAtomically(join(from, file), join(to, file), { durable: true });
  }
  writeFileAtomically(join(to, jsonName), readFileSync(path), { durable: true });
}
