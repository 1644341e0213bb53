import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProcessStartTime } from '../process/process-identity.js';
import { removeRunDirectory } from '../reaper/remove-run-dir.js';
import { createStateFile, readState, STATE_ENV } from '../state/index.js';

/** Prefix of run directories under the OS temp dir; the stale-run sweep looks for it. */
export const RUN_DIR_PREFIX = 'ephemeral-servers-run-';

/** One invocation of a test runner: a private run directory holding the state file and the logs. */
export interface Run {
  runId: string;
  /** Absolute path of the run directory (mode 0700). */
  runDir: string;
  /** Absolute path of `state.json` inside it (mode 0600). */
  stateFile: string;
  /** Directory of the servers' log files. */
  logDir: string;
}

/**
 * Creates a run: `mkdtemp` under `os.tmpdir()` (mode 0700), a `logs/` folder and an empty state file
 * owned by the calling process.
 */
export async function createRun(options: { tmpDir?: string } = {}): Promise<Run> {
  const runDir = await mkdtemp(join(options.tmpDir ?? tmpdir(), RUN_DIR_PREFIX));
  await chmod(runDir, 0o700);
  const logDir = join(runDir, 'logs');
  await mkdir(logDir, { mode: 0o700 });
  const stateFile = join(runDir, 'state.json');
  const runId = randomUUID();
  await createStateFile(stateFile, {
    runId,
    owner: { pid: process.pid, startTime: readProcessStartTime(process.pid) },
    runDir,
  });
  return { runId, runDir, stateFile, logDir };
}

/**
 * Opens an existing run from its state file (default `process.env.EPHEMERAL_SERVERS_STATE`).
 * @throws StateFileError when the file is missing, corrupt, foreign or of a newer version.
 */
export async function openRun(stateFile: string | undefined = process.env[STATE_ENV]): Promise<Run> {
  const state = await readState(stateFile);
  return { runId: state.runId, runDir: state.runDir, stateFile: stateFile as string, logDir: join(state.runDir, 'logs') };
}

/**
 * Removes a run directory and everything in it, safely against processes of the run still writing into
 * it (renamed away first, see `removeRunDirectory`). A directory already gone is not an error.
 */
export async function removeRunDir(run: Pick<Run, 'runDir'>): Promise<void> {
  await removeRunDirectory(run.runDir);
}
