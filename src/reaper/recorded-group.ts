import { isProcessAlive, isProcessGroupAlive } from '../process/process-identity.js';
import type { StateEntry } from '../state/schema.js';

/** What the state file records of a command server's process group. */
export interface RecordedGroup {
  /** Pid of the group leader (the spawned command). */
  pid: number;
  /** Its process group id (equals `pid` for servers spawned by this package). */
  pgid: number;
  /** Start time of the leader, against pid reuse (see process-identity.ts). */
  startTime?: string | undefined;
}

/**
 * Where a recorded group stands, checked through `/proc`:
 * - `foreign`: the leader's pid runs a different process now (another start time): never signal it.
 * - `alive`: the leader is the recorded process, or it has exited but members of its group live on (a
 *   grandchild). A process group id cannot be handed out again while any process still belongs to the
 *   group, so a live group under a dead leader is still the recorded one.
 * - `gone`: nothing of it runs (zombies count as gone).
 */
export function checkRecordedGroup(group: RecordedGroup): 'alive' | 'gone' | 'foreign' {
  if (isProcessAlive(group.pid)) {
    if (group.startTime !== undefined && !isProcessAlive(group.pid, group.startTime)) return 'foreign';
    return 'alive';
  }
  return isProcessGroupAlive(group.pgid) ? 'alive' : 'gone';
}

/**
 * Sends `signal` to a recorded process group after checking its identity (see {@link checkRecordedGroup}).
 *
 * @returns Whether the signal was sent.
 * @throws The `kill(2)` error other than `ESRCH` (e.g. `EPERM` for another user's group).
 */
export function signalRecordedGroup(group: RecordedGroup, signal: NodeJS.Signals): boolean {
  if (checkRecordedGroup(group) !== 'alive') return false;
  try {
    process.kill(-group.pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** The group of a command entry, or `undefined` for an in-process one (its host is never ours to kill). */
export function recordedGroupOf(entry: StateEntry): RecordedGroup | undefined {
  if (entry.kind !== 'command' || entry.pgid === undefined) return undefined;
  return { pid: entry.pid, pgid: entry.pgid, startTime: entry.startTime };
}
