import type { ChildProcess } from 'node:child_process';
import { UnverifiedProcessError, type ExitStatus } from '../errors.js';
import { findMarkedProcesses, type MarkerQuery } from '../process/marked-processes.js';
import { describeUnverified, isProcessGroupAlive, listLiveProcesses } from '../process/process-identity.js';
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
 * (an unreaped pid is never handed out again; Node reaps it when it reports the exit), so no platform
 * lookup is needed. After its exit, the group is alive only while members of it live (a process group
 * id is not reused while the group has members). An adopted server (not our child: after a supervisor
 * restart, or in the stale-run sweep) is checked by pid + start time (`checkProcessGroup`); when that
 * cannot decide (`unverified`: no start time, or one of the other backend), a leader that carries
 * the run's marker for this server (`runId`) is the server; anything else stays `unverified` and is
 * never signalled.
 *
 * @param runId the run's id, to look for its marker in an unverified leader's environment.
 * @throws ProcessTableError when no backend works here.
 */
export function serverGroupStatus(proc: ServerProcess, runId: string): 'alive' | 'gone' | 'foreign' | 'unverified' {
  if (proc.child !== undefined) return proc.exit === undefined || isProcessGroupAlive(proc.pgid) ? 'alive' : 'gone';
  const status = checkProcessGroup(proc);
  if (status === 'unverified' && findMarkedProcesses({ runId, key: proc.key, pids: [proc.pid] }).length > 0)
    return 'alive';
  return status;
}

/**
 * Graceful shutdown of a server's process group, its identity checked first ({@link serverGroupStatus}):
 * `signal` to the group, up to `stopTimeoutMs` for every member to exit, then SIGKILL.
 *
 * @throws UnverifiedProcessError when the identity of a running leader cannot be established: nothing
 *   was signalled. The `kill(2)` error other than `ESRCH` (e.g. `EPERM`).
 */
export async function stopServerGroup(
  proc: ServerProcess,
  signal: NodeJS.Signals,
  stopTimeoutMs: number,
  runId: string,
): Promise<StopOutcome> {
  const status = serverGroupStatus(proc, runId);
  if (status === 'unverified') throw new UnverifiedProcessError(proc.key, proc.pid, describeUnverified(proc.startTime));
  if (status !== 'alive') return { forced: false, wasRunning: false, foreign: status === 'foreign' };
  const child = proc.child;
  return signalGroupAndWait(proc.pgid, {
    signal,
    stopTimeoutMs,
    exited: proc.exited,
    ...(child === undefined ? {} : { leaderRunning: () => proc.exit === undefined }),
  });
}

/**
 * Stops the processes that carry the run's marker (see `findMarkedProcesses`) and match `query`:
 * those that left their server's process group. `signal` to each, up to `stopTimeoutMs` for them to go,
 * then SIGKILL to those that still carry the marker (the marker is their identity: it is checked again
 * before the second signal).
 *
 * @returns The pids found (and stopped).
 */
export async function stopMarkedProcesses(
  query: MarkerQuery,
  signal: NodeJS.Signals,
  stopTimeoutMs: number,
): Promise<number[]> {
  const pids = findMarkedProcesses(query);
  if (pids.length === 0) return [];
  for (const pid of pids) signalProcess(pid, signal);
  // One pass over every pid per poll (one `ps` call on posix, not one per pid).
  const gone = (): boolean => listLiveProcesses(pids).length === 0;
  if (!(await pollUntil(gone, signal === 'SIGKILL' ? KILL_WAIT_MS : stopTimeoutMs))) {
    // Those still marked now: a pid that exited meanwhile may already belong to someone else.
    const stubborn = findMarkedProcesses({ ...query, pids: listLiveProcesses(pids) });
    for (const pid of stubborn) signalProcess(pid, 'SIGKILL');
    await pollUntil(gone, KILL_WAIT_MS);
  }
  return pids;
}
