import { checkProcessGroup, signalProcessGroup, type ProcessGroupTarget } from '../process/stop-process-group.js';
import type { StateEntry } from '../state/schema.js';

/** What the state file records of a command server's process group. */
export type RecordedGroup = ProcessGroupTarget;

/**
 * Sends `signal` to a recorded process group after checking its identity (see `checkProcessGroup`).
 *
 * @returns Whether the signal was sent.
 * @throws The `kill(2)` error other than `ESRCH` (e.g. `EPERM` for another user's group).
 */
export function signalRecordedGroup(group: RecordedGroup, signal: NodeJS.Signals): boolean {
  return checkProcessGroup(group) === 'alive' && signalProcessGroup(group.pgid, signal);
}

/** The group of a command entry, or `undefined` for an in-process one (its host is never ours to kill). */
export function recordedGroupOf(entry: StateEntry): RecordedGroup | undefined {
  if (entry.kind !== 'command' || entry.pgid === undefined) return undefined;
  return { pid: entry.pid, pgid: entry.pgid, startTime: entry.startTime };
}
