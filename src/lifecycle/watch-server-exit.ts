import type { ExitStatus } from '../errors.js';
import { StateFileError } from '../errors.js';
import { updateState } from '../state/update-state.js';

/**
 * Marks a command server dead in the state file when its process exits without being stopped: its entry
 * gets `status: 'dead'` and its exit status, so the next `getEndpoint` throws `ServerDeadError` (with
 * the exit status and the log's tail) instead of tests failing with ECONNREFUSED. Only the process
 * that spawned the server sees its `exit` event; for a server whose spawning worker is gone, readers
 * find out from `/proc` (see `findEndpoint`).
 *
 * @param exited Resolves with the exit status when the server's process exits (never rejects).
 * @returns `cancel()`, called before an intentional stop.
 */
export function watchServerExit(stateFile: string, key: string, pid: number, exited: Promise<ExitStatus>): { cancel(): void } {
  let cancelled = false;
  void exited.then(async (status) => {
    if (cancelled) return;
    try {
      await updateState(stateFile, (state) => {
        const entry = state.servers[key];
        if (entry === undefined || entry.pid !== pid || entry.status === 'dead') return;
        entry.status = 'dead';
        entry.exit = { code: status.code, signal: status.signal };
      });
    } catch (error) {
      // The run is over (its directory removed): nothing to mark.
      if (error instanceof StateFileError && error.problem === 'missing') return;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      process.emitWarning(`ephemeral-servers: could not record that server ${key} died: ${String(error)}`);
    }
  });
  return {
    cancel: () => {
      cancelled = true;
    },
  };
}
