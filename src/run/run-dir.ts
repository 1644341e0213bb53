import { chmod, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDirectoryError } from '../errors.js';

/** Prefix of run directories under the OS temp dir; the stale-run sweep looks for it. */
export const RUN_DIR_PREFIX = 'ephemeral-servers-run-';

/** Name of the state file in a run directory. */
export const STATE_FILE_NAME = 'state.json';
/** Name of the supervisor's Unix socket in a run directory (short: see {@link MAX_SOCKET_PATH_BYTES}). */
export const SOCKET_FILE_NAME = 's.sock';
/** Name of the file recording the supervisor's identity (`{ pid, startTime, runId }`), for the stale-run sweep. */
export const SUPERVISOR_FILE_NAME = 'supervisor.json';
/** Name of the supervisor's own log (what it did, never the servers' output). */
export const SUPERVISOR_LOG_NAME = 'supervisor.log';

/**
 * Longest Unix socket path we accept, in bytes: `sun_path` holds 104 bytes on macOS and the BSDs
 * (108 on Linux), including the terminating NUL (unix(4), unix(7)).
 */
export const MAX_SOCKET_PATH_BYTES = 103;

/** The paths of one run, all inside its run directory. */
export interface RunPaths {
  /** Absolute path of the run directory (mode 0700). */
  runDir: string;
  /** `state.json`: what readers read (mode 0600; only the supervisor writes it). */
  stateFile: string;
  /** Directory of the servers' log files. */
  logDir: string;
  /** The supervisor's Unix socket. */
  socketPath: string;
  /** Parent of the instances' scratch directories (`{tmpDir}`), created with the first of them. */
  tmpRoot: string;
}

/** The paths of the run whose directory is `runDir`. */
export function runPaths(runDir: string): RunPaths {
  return {
    runDir,
    stateFile: join(runDir, STATE_FILE_NAME),
    logDir: join(runDir, 'logs'),
    socketPath: join(runDir, SOCKET_FILE_NAME),
    tmpRoot: join(runDir, 'tmp'),
  };
}

/**
 * Creates a private run directory: `mkdtemp` under `tmpDir` (mode 0700) with a `logs/` folder. The
 * state file is written by the run's supervisor, not here.
 *
 * @param tmpDir Parent directory. @default os.tmpdir()
 * @throws {@link RunDirectoryError} when the supervisor's socket path would exceed
 *   {@link MAX_SOCKET_PATH_BYTES} (a very long `TMPDIR`); nothing is left behind.
 * @throws The `fs` error of `mkdtemp`/`mkdir`.
 */
export async function createRunDirectory(tmpDir: string = tmpdir()): Promise<RunPaths> {
  // mkdtemp adds 6 characters to the prefix.
  const socketBytes = Buffer.byteLength(join(tmpDir, `${RUN_DIR_PREFIX}XXXXXX`, SOCKET_FILE_NAME));
  if (socketBytes > MAX_SOCKET_PATH_BYTES) {
    throw new RunDirectoryError(
      `The run directory would be under ${tmpDir}, which makes the supervisor's socket path ${socketBytes} bytes long; ` +
        `Unix sockets allow ${MAX_SOCKET_PATH_BYTES} on macOS. Set TMPDIR to a shorter directory (e.g. /tmp).`,
      tmpDir,
    );
  }
  const runDir = await mkdtemp(join(tmpDir, RUN_DIR_PREFIX));
  await chmod(runDir, 0o700);
  const paths = runPaths(runDir);
  await mkdir(paths.logDir, { mode: 0o700 });
  return paths;
}
