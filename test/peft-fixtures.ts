// The PEFT parity fixtures (test/fixtures/peft-*, written by tools/reference/peft_*.py from the real PEFT):
// each folder's reference.json and the tensors of its reference.safetensors.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { openSafetensors } from '../src/engine/index.js';
import { maxAbsDiff, repositoryRoot } from './models.js';

/** What every fixture's reference.json records: the rows (right-padded, BOS first), the targets, ten steps' rate. */
export interface FixtureBatch {
  rows: number[][];
  targetTokens: number;
  steps: number;
  learningRate: number;
}

/** A fixture folder's path, its reference.json (as `Reference`) and its reference tensors by name. */
export function readPeftFixture<Reference>(name: string): {
  folder: string;
  reference: Reference;
  tensors: Map<string, Float32Array>;
} {
  const folder = join(repositoryRoot, 'test', 'fixtures', name);
  const reference = JSON.parse(readFileSync(join(folder, 'reference.json'), 'utf8')) as Reference;
  const source = openSafetensors([join(folder, 'reference.safetensors')]);
  try {
    return {
      folder,
      reference,
      tensors: new Map(source.names().map((tensor) => [tensor, source.read(tensor)])),
    };
  } finally {
    source.close();
  }
}

/**
 * The logits the real PEFT gives a fixture's batch with the adapter in `directory`, through `script`'s
 * --check (tools/reference/<script>.py); undefined when PROMPTUNE_PEFT_PYTHON names no Python with peft.
 */
export function peftLogits(script: string, directory: string): Float32Array | undefined {
  const python = process.env.PROMPTUNE_PEFT_PYTHON;
  if (!python) return undefined;
  const path = join(repositoryRoot, 'tools', 'reference', `${script}.py`);
  const output = JSON.parse(execFileSync(python, [path, '--check', directory], { encoding: 'utf8' })) as {
    logits: number[];
  };
  return Float32Array.from(output.logits);
}

/**
 * The largest difference between two (B, T, V) logits over each row's real positions, its first
 * `lead + rows[b].length` (lead: positions before the row's tokens, such as a prompt's).
 */
export function rowLogitsDifference(
  ours: Float32Array,
  theirs: Float32Array,
  rows: number[][],
  time: number,
  vocabularySize: number,
  lead = 0,
): number {
  let difference = 0;
  rows.forEach((row, b) => {
    const from = b * time * vocabularySize;
    const to = from + (lead + row.length) * vocabularySize;
    difference = Math.max(difference, maxAbsDiff(ours.subarray(from, to), theirs.subarray(from, to)));
  });
  return difference;
}

/**
 * The largest difference between PEFT's logits and the fixture's, relative to the largest fixture logit:
 * PEFT itself, on the same tensors, differs by about 1e-5 between the CPU that made the fixture and another.
 */
export function relativeLogitsDifference(peft: Float32Array, fixture: Float32Array): number {
  let largest = 0;
  for (const value of fixture) largest = Math.max(largest, Math.abs(value));
  return maxAbsDiff(peft, fixture) / largest;
}

/**
 * Checks that PEFT itself, loading the adapter promptune wrote in `directory`, lands within 1e-6 of the
 * fixture's largest logit (relativeLogitsDifference), logged as `what`; nothing without
 * PROMPTUNE_PEFT_PYTHON.
 */
export function expectPeftRoundTrip(
  script: string,
  directory: string,
  fixture: Float32Array,
  what: string,
): void {
  const logits = peftLogits(script, directory);
  if (!logits) return;
  const difference = relativeLogitsDifference(logits, fixture);
  console.log(`PEFT loading ${what}: logits differ by ${difference.toExponential(2)} of the largest`);
  expect(difference).toBeLessThan(1e-6);
}

/**
 * The tensors in which two adapter folders' safetensors files differ: a name in one only, or other
 * values (bit for bit); empty when the files hold the same tensors.
 */
export function tensorDifferences(directory: string, other: string): string[] {
  const [ours, theirs] = [directory, other].map((folder) =>
    openSafetensors([join(folder, 'adapter_model.safetensors')]),
  );
  try {
    const names = [...new Set([...ours.names(), ...theirs.names()])].sort();
    return names.filter((name) => {
      if (!ours.names().includes(name) || !theirs.names().includes(name)) return true;
      const [a, b] = [ours.read(name), theirs.read(name)];
      return a.length !== b.length || a.some((value, i) => !Object.is(value, b[i]));
    });
  } finally {
    ours.close();
    theirs.close();
  }
}
