import type { ChildProcess } from 'node:child_process';
import type { ExitStatus } from '../errors.js';
import { findMarkedProcesses, type MarkerQuery } from '../process/marked-processes.js';
import { isProcessAlive, isProcessGroupAlive } from '../process/process-identity.js';
import {
  checkProcessGroup,
  KILL_WAIT_MS,
  pollUntil,
  signalGroupAndWait,
  signalProcess,
  type StopOutcome,
} from '../process/stop-process-group.js';

/** A command server's process as the supervisor holds it. */
export interface ServerProcess {
  key: string;
  pid: number;
  pgid: number;
  startTime: string | undefined;
  /** Set when the supervisor spawned it (it is the parent); `undefined` for an adopted one. */
  child: ChildProcess | undefined;
  /** The exit status, once it exited. */
  exit: ExitStatus | undefined;
  /** Resolves with the exit status (never rejects). */
  exited: Promise<ExitStatus>;
  resolveExit(status: ExitStatus): void;
}

/**
 * Whether a server's process group may be signalled, and needs to be.
 *
 * Identity: for a child of this supervisor whose exit has not been seen, the pid cannot have been reused
 * (an unreaped pid is never handed out again; Node reaps it when it reports the exit), so no `/proc`
 * check is needed, on any platform. After its exit, the group is alive only while members of it live (a
 * process group id is not reused while the group has members). An adopted server (not our child) is
 * checked by pid + start time (`checkProcessGroup`).
 */
export function serverGroupStatus(proc: ServerProcess): 'alive' | 'gone' | 'foreign' {
  if (proc.child === undefined) return checkProcessGroup(proc);
  return proc.exit === undefined || isProcessGroupAlive(proc.pgid) ? 'alive' : 'gone';
}

/**
 * Graceful shutdown of a server's process group, its identity checked first ({@link serverGroupStatus}):
 * `signal` to the group, up to `stopTimeoutMs` for every member to exit, then SIGKILL.
 *
 * @throws The `kill(2)` error other than `ESRCH` (e.g. `EPERM`).
 */
export async function stopServerGroup(proc: ServerProcess, signal: NodeJS.Signals, stopTimeoutMs: number): Promise<StopOutcome> {
  const status = serverGroupStatus(proc);
  if (status !== 'alive') return { forced: false, wasRunning: false, foreign: status === 'foreign' };
  return signalGroupAndWait(proc.pgid, { signal, stopTimeoutMs, exited: proc.exited });
}

/**
 * Stops the processes that carry the run's marker (see `findMarkedProcesses`) and match `query`:
 * those that left their server's process group. `signal` to each, up to `stopTimeoutMs` for them to go,
 * then SIGKILL.
 *
 * @returns The pids found (and stopped).
 */
export async function stopMarkedProcesses(query: MarkerQuery, signal: NodeJS.Signals, stopTimeoutMs: number): Promise<number[]> {
  const pids = findMarkedProcesses(query);
  if (pids.length === 0) return [];
  for (const pid of pids) signalProcess(pid, signal);
  const gone = (): boolean => pids.every((pid) => !isProcessAlive(pid));
  if (!(await pollUntil(gone, signal === 'SIGKILL' ? KILL_WAIT_MS : stopTimeoutMs))) {
    for (const pid of pids) if (isProcessAlive(pid)) signalProcess(pid, 'SIGKILL');
    await pollUntil(gone, KILL_WAIT_MS);
  }
  return pids;
}
