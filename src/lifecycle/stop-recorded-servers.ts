import { StopError } from '../errors.js';
import { isProcessAlive } from '../process/process-identity.js';
import { stopProcessGroup } from '../process/stop-process-group.js';
import { readState, updateState } from '../state/index.js';
import type { StateEntry } from '../state/schema.js';
import { stopInReverseOrder } from './stop-in-reverse-order.js';

/** What {@link stopRecordedServers} did. */
export interface StopRecordedResult {
  /** State keys stopped, in the order their stops completed. */
  stopped: string[];
  /** Keys whose process was already gone (entry removed). */
  alreadyGone: string[];
}

/**
 * Stops servers recorded in a state file, from any process (the run owner at teardown, the CLI, the
 * reaper): each command server's process group gets its `stopSignal`, then SIGKILL after its
 * `stopTimeoutMs`. Order: a server stops only after every recorded server that depends on it
 * (reverse dependency order); independent ones stop in parallel. The identity of each process
 * (pid + start time) is checked before any signal, so a reused pid is never hit. Each entry is removed
 * as its server exits. In-process entries are only removed when their host process is gone (they can
 * only be closed from inside it).
 *
 * @param options.filter which entries to stop. @default every entry
 * @throws StopError listing the servers that could not be stopped; every other one is still stopped.
 */
export async function stopRecordedServers(
  stateFile: string,
  options: { filter?: (entry: StateEntry, key: string) => boolean } = {},
): Promise<StopRecordedResult> {
  const state = await readState(stateFile);
  const entries = Object.entries(state.servers).filter(([key, entry]) => options.filter?.(entry, key) ?? true);
  const result: StopRecordedResult = { stopped: [], alreadyGone: [] };
  const errors = await stopInReverseOrder(
    entries,
    ([key]) => key,
    ([, entry]) => entry.dependsOn ?? [],
    async ([key, entry]) => {
      if (entry.kind === 'in-process') {
        if (isProcessAlive(entry.pid, entry.startTime)) return;
        result.alreadyGone.push(key);
      } else if (entry.pgid !== undefined) {
        const outcome = await stopProcessGroup(
          { pid: entry.pid, pgid: entry.pgid, startTime: entry.startTime },
          { signal: entry.stopSignal as NodeJS.Signals, stopTimeoutMs: entry.stopTimeoutMs },
        );
        (outcome.wasRunning ? result.stopped : result.alreadyGone).push(key);
      }
      await updateState(stateFile, (current) => {
        if (current.servers[key]?.pid === entry.pid) delete current.servers[key];
      });
    },
  );
  if (errors.length > 0) throw new StopError(errors);
  return result;
}
