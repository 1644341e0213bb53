import { dirname } from 'node:path';
import { StateFileError } from '../errors.js';
import { readState } from '../state/state-file.js';
import type { StateFile } from '../state/schema.js';
import { removeRunDirectory } from './remove-run-dir.js';
import { stopProcessGroup } from '../process/stop-process-group.js';
import { recordedGroupOf } from './recorded-group.js';
import type { KeyedEntry } from './stop-order.js';

/** Options of {@link reapRun}. */
export interface ReapRunOptions {
  /** SIGKILL every group at once instead of its stop signal first (a second Ctrl+C). @default false */
  urgent?: boolean;
  /** Receives one line per action, for the reaper's log. @default no logging */
  log?: (line: string) => void;
}

/** What {@link reapRun} did. */
export interface ReapRunResult {
  /** State keys of the servers that were running and were stopped. */
  stopped: string[];
  /** Those of them that needed SIGKILL (after their `stopTimeoutMs`, or at once when urgent). */
  forced: string[];
  /** Keys whose pid now belongs to an unrelated process: left alone. */
  foreign: string[];
}

/** Rounds of read → stop: a worker may record a server while the first round runs. */
const MAX_ROUNDS = 5;

/**
 * Reaps a run whose owner is gone: reads its state file (without the lock: the owner may have died
 * holding it), stops every recorded command server's process group (its stop signal, then SIGKILL
 * after its `stopTimeoutMs`), checking identity (pid + start time) before
 * every signal, then removes the run directory (the state file's directory). In-process entries are
 * skipped: their host is a test process, never ours to kill. Nothing that is not recorded in the
 * state file is ever signalled. The servers are stopped all at once, not in dependency order: the
 * owner is gone, and the point is that nothing survives, quickly.
 *
 * Used by the reaper process when its owner's pipe closes, and by {@link sweepStaleRuns}.
 *
 * @throws `StateFileError` `foreign` (the file belongs to another user: nothing is touched); the
 *   `kill(2)` error other than `ESRCH`. A missing or corrupt state file stops nothing and the
 *   directory is still removed.
 */
export async function reapRun(stateFile: string, options: ReapRunOptions = {}): Promise<ReapRunResult> {
  const log = options.log ?? (() => undefined);
  const result: ReapRunResult = { stopped: [], forced: [], foreign: [] };
  const handled = new Set<string>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let state: StateFile;
    try {
      state = await readState(stateFile);
    } catch (error) {
      if (!(error instanceof StateFileError) || error.problem === 'foreign') throw error;
      log(`state file unreadable (${error.problem}): nothing more to stop`);
      break;
    }
    const pending = Object.entries(state.servers).filter(
      ([key, entry]) => recordedGroupOf(entry) !== undefined && !handled.has(`${key}:${entry.pid}`),
    );
    if (pending.length === 0) break;
    for (const [key, entry] of pending) handled.add(`${key}:${entry.pid}`);
    // All at once, not in dependency order: the owner is gone, and what matters now is that nothing
    // survives, fast. Each server still gets its stop signal first.
    await Promise.all(pending.map((keyed) => stopOne(keyed, options.urgent === true, result, log)));
  }
  await removeRunDirectory(dirname(stateFile));
  log(`removed ${dirname(stateFile)}`);
  return result;
}

async function stopOne([key, entry]: KeyedEntry, urgent: boolean, result: ReapRunResult, log: (line: string) => void): Promise<void> {
  const group = recordedGroupOf(entry)!;
  const signal = urgent ? 'SIGKILL' : (entry.stopSignal as NodeJS.Signals);
  const outcome = await stopProcessGroup(group, { signal, stopTimeoutMs: entry.stopTimeoutMs });
  if (outcome.foreign) {
    result.foreign.push(key);
    log(`${key}: pid ${group.pid} now belongs to another process: left alone`);
    return;
  }
  if (!outcome.wasRunning) return;
  result.stopped.push(key);
  log(`${key}: ${signal} to process group ${group.pgid}${outcome.forced ? `, SIGKILL after ${entry.stopTimeoutMs} ms` : ''}`);
  if (outcome.forced || signal === 'SIGKILL') result.forced.push(key);
}
