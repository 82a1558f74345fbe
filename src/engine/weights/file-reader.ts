// Random-access reads from a model file with clear errors for missing and truncated files.
// Files are read piece by piece (never mapped), so a large checkpoint is not held twice in memory.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { NotFoundError, WeightLoadError } from '../../errors/index.js';

/** An open file that reads exact byte ranges. */
export class FileReader {
  readonly size: number;
  private readonly descriptor: number;

  constructor(readonly path: string) {
    try {
      this.descriptor = openSync(path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new NotFoundError(`model file ${path} does not exist`, {
          code: 'MODEL_NOT_FOUND',
          hint: 'Check the path, or use hf:<org>/<name> to download from the Hugging Face hub.',
        });
      }
      throw new WeightLoadError(`cannot open ${path}: ${(error as Error).message}`, {
        code: 'WEIGHT_UNREADABLE',
        hint: 'Check the file permissions.',
        cause: error,
      });
    }
    const stat = fstatSync(this.descriptor);
    // a folder opens for reading on Linux, and fails only at its first read, naming no path
    if (stat.isDirectory()) {
      closeSync(this.descriptor);
      throw new WeightLoadError(`${path} is a folder, where a file was expected`, {
        code: 'PATH_IS_A_FOLDER',
        hint: 'Give the file itself (a .gguf, .safetensors or .bin), or the model folder that holds it.',
      });
    }
    this.size = stat.size;
  }

  /** Exactly `length` bytes at `offset`, or a WEIGHT_TRUNCATED error naming `what`. */
  read(offset: number, length: number, what: string): Uint8Array {
    if (offset + length > this.size) {
      throw new WeightLoadError(
        `${this.path}: ${what} needs bytes ${offset}..${offset + length}, the file has ${this.size}`,
        {
          code: 'WEIGHT_TRUNCATED',
          hint: 'The file is truncated (an interrupted download?); fetch it again.',
        },
      );
    }
    const bytes = new Uint8Array(length);
    let done = 0;
    while (done < length) done += readSync(this.descriptor, bytes, done, length - done, offset + done);
    return bytes;
  }

  close(): void {
    closeSync(this.descriptor);
  }
}
