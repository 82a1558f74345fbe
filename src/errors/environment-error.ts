// A failure of the machine around promptune, reported by Node or SQLite with a system code (ENOENT,
// EACCES, a port in use, a file that is not a database): the user's to fix, so a code and a hint. The
// command line prints it as any other coded error; the library throws it in place of Node's errno
// error from what opens or writes a user's path (a registry, an adapter folder).
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.environment-error');

/** The machine around promptune failed (a missing folder, a permission, a full disk, a port in use). */
export class EnvironmentError extends PromptuneError {
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }

  /** True for an EnvironmentError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is EnvironmentError {
    return PromptuneError.hasMarker(error, marker);
  }
}

/**
 * Failures of the machine around promptune (a missing folder, a port in use, a database that is not
 * one or does not answer) reported by Node or SQLite: the user's to fix, so a code and a hint, not a
 * crash report. By the system's error code.
 */
const environmentErrors: Record<string, { code: string; hint: string }> = {
  ENOENT: {
    code: 'FILE_NOT_FOUND',
    hint: 'A file or folder in that path does not exist; an output file needs its folder to exist.',
  },
  EACCES: {
    code: 'PERMISSION_DENIED',
    hint: 'This user may not read or write there; choose another path or fix its permissions.',
  },
  EPERM: {
    code: 'PERMISSION_DENIED',
    hint: 'This user may not do that there; choose another path or fix its permissions.',
  },
  EISDIR: { code: 'PATH_IS_A_FOLDER', hint: 'A file was expected at that path; give a file name.' },
  ENOTDIR: { code: 'PATH_NOT_A_FOLDER', hint: 'A part of that path is a file, not a folder.' },
  ENOSPC: { code: 'DISK_FULL', hint: 'Free some disk space and run it again (a killed run resumes).' },
  EADDRINUSE: {
    code: 'PORT_IN_USE',
    hint: 'Another process listens there; choose another port (--port; 0 picks a free one), or stop it.',
  },
  EADDRNOTAVAIL: {
    code: 'ADDRESS_NOT_AVAILABLE',
    hint: 'This machine has no such address; choose another host (--host).',
  },
  ECONNREFUSED: {
    code: 'CONNECTION_FAILED',
    hint: 'Nothing answers at that address: check it (DATABASE_URL, a model URL) and that the server runs.',
  },
  ENOTFOUND: {
    code: 'CONNECTION_FAILED',
    hint: 'That host name does not resolve: check the address (DATABASE_URL, a model URL).',
  },
  ETIMEDOUT: {
    code: 'CONNECTION_FAILED',
    hint: 'The server did not answer in time: check the address and the network.',
  },
  EHOSTUNREACH: {
    code: 'CONNECTION_FAILED',
    hint: 'That host cannot be reached: check the address and the network.',
  },
  SQLITE_NOTADB: {
    code: 'REGISTRY_NOT_A_DATABASE',
    hint: 'The registry path (--db) names a file that is not a promptune registry (SQLite); give another path.',
  },
  SQLITE_CORRUPT: {
    code: 'REGISTRY_CORRUPT',
    hint: 'The registry file is damaged; restore it from a backup, or import an export into a new one.',
  },
  SQLITE_CANTOPEN: {
    code: 'REGISTRY_CANNOT_OPEN',
    hint: 'The registry file cannot be opened: check its path (--db) and its permissions.',
  },
  SQLITE_READONLY: {
    code: 'REGISTRY_READ_ONLY',
    hint: 'The registry file is read-only for this user; choose another path (--db) or fix its permissions.',
  },
};

/**
 * `error` as an EnvironmentError when it is a system failure the table knows (its message kept, the
 * original as `cause`); undefined for anything else, which the caller rethrows as it is.
 */
export function environmentError(error: unknown): EnvironmentError | undefined {
  if (PromptuneError.isInstance(error)) return undefined;
  const systemCode = (error as { code?: unknown } | null)?.code;
  const known = typeof systemCode === 'string' ? environmentErrors[systemCode] : undefined;
  if (!known) return undefined;
  return new EnvironmentError(error instanceof Error ? error.message : String(error), {
    ...known,
    cause: error,
  });
}

/**
 * Runs `work`, which opens or writes a user's path, and throws a system failure the table knows (a file
 * in the way, a folder this user may not write, a full disk) as its EnvironmentError.
 */
export function withEnvironmentErrors<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw environmentError(error) ?? error;
  }
}
