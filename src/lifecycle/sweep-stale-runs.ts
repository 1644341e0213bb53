import { lstat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateFileError } from '../errors.js';
import { isProcessAlive } from '../process/process-identity.js';
import { reapRun } from '../reaper/reap-run.js';
import { removeRunDirectory } from '../reaper/remove-run-dir.js';
import { readState } from '../state/state-file.js';
import { readReaperIdentity } from './spawn-reaper.js';
import { RUN_DIR_PREFIX } from './run.js';

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
 * Reaps the leftovers of older runs (a machine crash, an owner and its reaper both killed): every
 * directory named `ephemeral-servers-run-*` under `tmpDir` that belongs to the current user and whose
 * owner (pid + start time in the state file) is dead and whose reaper (pid + start time in
 * `reaper.json`) is dead too has its recorded servers stopped, exactly as the reaper does (reverse
 * stop signal then SIGKILL after `stopTimeoutMs`, all at once, identity checked before every
 * signal: a pid that now belongs to an unrelated process is left alone), and is removed. Runs whose
 * owner or reaper lives are not touched. Called by `startRun` at the start of every run, and by
 * `ephemeral-servers prune`.
 *
 * @returns The run directories reaped, and those skipped with a reason (a corrupt or foreign state
 *   file, a process that may not be signalled).
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
  const stateFile = join(runDir, 'state.json');
  let state;
  try {
    state = await readState(stateFile);
  } catch (error) {
    if (!(error instanceof StateFileError)) throw error;
    if (error.problem === 'missing') {
      if (Date.now() - stats.mtimeMs < CREATION_GRACE_MS) return 'live';
      await removeRunDirectory(runDir);
      return 'reaped';
    }
    return { skipped: `${error.problem} state file: ${error.message}` };
  }
  if (isProcessAlive(state.owner.pid, state.owner.startTime)) return 'live';
  const reaper = await readReaperIdentity(runDir);
  if (reaper !== undefined && isProcessAlive(reaper.pid, reaper.startTime)) return 'live';
  try {
    await reapRun(stateFile);
  } catch (error) {
    // A state file of another user, a group we may not signal (EPERM): report it, sweep the others.
    if (error instanceof StateFileError || typeof (error as NodeJS.ErrnoException).code === 'string') {
      return { skipped: `could not reap it: ${(error as Error).message}` };
    }
    throw error;
  }
  return 'reaped';
}
