import type { ChildProcess } from 'node:child_process';
import type { ExitStatus } from '../errors.js';
import { findMarkedProcesses, type MarkerQuery } from '../process/marked-processes.js';
import { isProcessAlive, isProcessGroupAlive } from '../process/process-identity.js';
import { KILL_WAIT_MS, pollUntil, signalGroupAndWait, stopProcessGroup, type StopOutcome } from '../process/stop-process-group.js';

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
 * Graceful shutdown of a server's process group: `signal` to the group, up to `stopTimeoutMs` for every
 * member to exit, then SIGKILL.
 *
 * Identity: for a child of this supervisor whose exit has not been seen, the pid cannot have been reused
 * (an unreaped pid is never handed out again; Node reaps it when it reports the exit), so no `/proc`
 * check is needed, on any platform. After its exit, the group is signalled only while members of it
 * live (a process group id is not reused while the group has members). An adopted server (not our
 * child) goes through `stopProcessGroup`, which checks pid + start time first.
 *
 * @throws The `kill(2)` error other than `ESRCH` (e.g. `EPERM`).
 */
export async function stopServerGroup(proc: ServerProcess, signal: NodeJS.Signals, stopTimeoutMs: number): Promise<StopOutcome> {
  const options = { signal, stopTimeoutMs, exited: proc.exited };
  if (proc.child === undefined) return stopProcessGroup(proc, options);
  if (proc.exit !== undefined && !isProcessGroupAlive(proc.pgid)) return { forced: false, wasRunning: false, foreign: false };
  return signalGroupAndWait(proc.pgid, options);
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
  const send = (pid: number, sent: NodeJS.Signals): void => {
    try {
      process.kill(pid, sent);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  for (const pid of pids) send(pid, signal);
  const gone = (): boolean => pids.every((pid) => !isProcessAlive(pid));
  if (!(await pollUntil(gone, signal === 'SIGKILL' ? KILL_WAIT_MS : stopTimeoutMs))) {
    for (const pid of pids) if (isProcessAlive(pid)) send(pid, 'SIGKILL');
    await pollUntil(gone, KILL_WAIT_MS);
  }
  return pids;
}
