// Writes a file through a temporary name and a rename, so readers never see a half-written model
// and a failed write leaves nothing behind.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

/** Calls `produce` with a function that appends bytes, then moves the finished file to `path`. */
export function writeFileAtomically(
  path: string,
  produce: (write: (bytes: Uint8Array) => void) => void,
): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const descriptor = openSync(temporary, 'w');
  const write = (bytes: Uint8Array) => {
    for (let done = 0; done < bytes.length;) done += writeSync(descriptor, bytes, done);
  };
  try {
    produce(write);
  } catch (error) {
    closeSync(descriptor);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(descriptor);
  renameSync(temporary, path);
}
