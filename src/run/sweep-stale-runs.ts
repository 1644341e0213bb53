import { lstat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateFileError } from '../errors.js';
import { checkProcessIdentity, describeUnverified } from '../process/process-identity.js';
import { readState } from '../state/state-file.js';
import type { StateFile } from '../state/schema.js';
import { removeRunDirectory } from './remove-run-dir.js';
import { RUN_DIR_PREFIX, runPaths, STATE_FILE_NAME } from './run-dir.js';
import { readSupervisorIdentity } from './spawn-supervisor.js';
import { stopMarkedProcesses } from './stop-server.js';
import { Supervisor } from './supervisor.js';

/** Options of {@link sweepStaleRuns}. */
export interface SweepStaleRunsOptions {
  /** Directory holding the run directories. @default os.tmpdir() */
  tmpDir?: string;
}

/** What {@link sweepStaleRuns} did. */
export interface SweepStaleRunsResult {
  /** Run directories that were stale: their recorded servers were stopped and the directory removed. */
  reaped: string[];
  /** Stale-looking run directories left in place, and why (corrupt state file, another user's, …). */
  skipped: { runDir: string; reason: string }[];
}

/**
 * A run directory without a state file is younger than this while its run is being created; older, it
 * is the leftover of an owner that died between `mkdtemp` and writing the state file. In milliseconds.
 */
const CREATION_GRACE_MS = 60_000;

/**
 * Reaps the leftovers of older runs (a machine crash, an owner and its supervisor both killed): every
 * directory named `ephemeral-servers-run-*` under `tmpDir` that belongs to the current user, whose
 * owner (pid + start time in the state file) is dead and whose supervisor (pid + start time in
 * `supervisor.json`) is dead too, is reaped exactly as its supervisor would have: its recorded command
 * servers in reverse dependency order (stop signal, SIGKILL after `stopTimeoutMs`; identity checked
 * before every signal: a pid that now belongs to an unrelated process is left alone, and so is one
 * whose identity cannot be established), then every process still carrying the run's marker; then the
 * directory is removed. A corrupt state file is reaped through the marker alone (the run id is in
 * `supervisor.json`). Runs whose owner or supervisor lives are not touched, nor, with a reason in
 * `skipped`, those whose owner or supervisor pid runs a process that cannot be told apart from it (a
 * start time recorded by the other platform backend, or none). Called by `startRun` at the start of
 * every run, and by `ephemeral-servers prune`.
 *
 * @returns The run directories reaped, and those skipped with the exact reason (a foreign state file, a
 *   corrupt one without a run id to find its processes by, an owner that may still live, servers left
 *   running because they may not be signalled or their identity cannot be established: their run
 *   directory stays, so that a later sweep can try again).
 * @throws ProcessTableError when no platform backend works here.
 * @throws The `fs` error when `tmpDir` cannot be read.
 */
export async function sweepStaleRuns(options: SweepStaleRunsOptions = {}): Promise<SweepStaleRunsResult> {
  const dir = options.tmpDir ?? tmpdir();
  const result: SweepStaleRunsResult = { reaped: [], skipped: [] };
  const names = (await readdir(dir)).filter((name) => name.startsWith(RUN_DIR_PREFIX));
  await Promise.all(
    names.map(async (name) => {
      const runDir = join(dir, name);
      const outcome = await sweepOne(runDir);
      if (outcome === 'reaped') result.reaped.push(runDir);
      else if (outcome !== 'live') result.skipped.push({ runDir, reason: outcome.skipped });
    }),
  );
  result.reaped.sort();
  return result;
}

async function sweepOne(runDir: string): Promise<'reaped' | 'live' | { skipped: string }> {
  let stats;
  try {
    stats = await lstat(runDir);
  } catch (error) {
    // Removed meanwhile, by its owner or a concurrent sweep.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'live';
    throw error;
  }
  const uid = process.getuid?.();
  if (!stats.isDirectory()) return { skipped: 'not a directory' };
  if (uid !== undefined && stats.uid !== uid) return 'live';
  const stateFile = join(runDir, STATE_FILE_NAME);
  const supervisor = await readSupervisorIdentity(runDir);
  let state: StateFile | undefined;
  let unreadable: StateFileError | undefined;
  try {
    state = await readState(stateFile);
  } catch (error) {
    if (!(error instanceof StateFileError)) throw error;
    if (error.problem === 'missing' && supervisor === undefined) {
      if (Date.now() - stats.mtimeMs < CREATION_GRACE_MS) return 'live';
      await removeRunDirectory(runDir);
      return 'reaped';
    }
    if (error.problem === 'foreign') return { skipped: `foreign state file: ${error.message}` };
    unreadable = error;
  }
  for (const [who, recorded] of [
    ['owner', state?.owner],
    ['supervisor', supervisor],
  ] as const) {
    if (recorded === undefined) continue;
    const identity = checkProcessIdentity(recorded.pid, recorded.startTime);
    if (identity === 'alive') return 'live';
    if (identity === 'unverified') {
      return {
        skipped: `its ${who} pid ${recorded.pid} runs and may still be the ${who}: ${describeUnverified(recorded.startTime)}. Left alone; remove ${runDir} by hand once that run is over.`,
      };
    }
  }
  try {
    if (state !== undefined) {
      const reaper = new Supervisor({ paths: runPaths(runDir), state, writeState: false });
      reaper.adopt();
      const { failed } = await reaper.reap();
      if (failed.length > 0) {
        return {
          skipped:
            `left ${failed.length} server(s) running: ${failed.map(({ key, message }) => `${key}: ${message.split('\n')[0]}`).join('; ')}. ` +
            `The run directory stays, so that \`ephemeral-servers prune\` can try again once they are checked.`,
        };
      }
    } else if (supervisor?.runId !== undefined) {
      // The file says nothing, but every server of the run carries its marker.
      await stopMarkedProcesses({ runId: supervisor.runId }, 'SIGKILL', 0);
    } else {
      return {
        skipped:
          `${unreadable?.problem ?? 'missing'} state file and no supervisor.json: nothing says which processes were this run's. ` +
          `Check \`ps\` for its servers, then remove ${runDir}.`,
      };
    }
  } catch (error) {
    // A marked process we may not signal (EPERM): report it, sweep the others. Anything else (EMFILE,
    // a process table that cannot be read) is not this run's problem and goes up.
    if ((error as NodeJS.ErrnoException).code === 'EPERM') {
      return { skipped: `could not reap it: ${(error as Error).message}` };
    }
    throw error;
  }
  await removeRunDirectory(runDir);
  return 'reaped';
}
