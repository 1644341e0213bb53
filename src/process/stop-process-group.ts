import { setTimeout as sleep } from 'node:timers/promises';
import { checkProcessIdentity, isProcessGroupAlive } from './process-identity.js';

/** A process group to stop, as recorded when its leader was spawned. */
export interface ProcessGroupTarget {
  /** Pid of the group leader (the spawned command). */
  pid: number;
  /** Process group id; equals `pid` for servers spawned by this package. */
  pgid: number;
  /**
   * Start time of the leader (a token of `src/platform/start-time.ts`). Without one (or with one of the
   * other backend), a running leader cannot be told from a reused pid, and is never signalled.
   */
  startTime?: string | undefined;
}

/** How a stop went. */
export interface StopOutcome {
  /** Whether SIGKILL was needed after `stopTimeoutMs`. */
  forced: boolean;
  /** Whether anything was still running when the stop began. */
  wasRunning: boolean;
  /** Whether the leader's pid belongs to another process now (nothing was signalled). */
  foreign: boolean;
}

/**
 * Where a process group stands, checked through the platform backend (see `checkProcessIdentity`):
 * - `foreign`: the leader's pid runs a different process now (another start time): never signal it.
 * - `unverified`: the leader's pid runs, but whether it is the recorded process cannot be established
 *   (no start time recorded, or one of the other backend): never signal it on that alone.
 * - `alive`: the leader is the recorded process, or it has exited but members of its group live on (a
 *   grandchild). A process group id cannot be handed out again while any process still belongs to the
 *   group, so a live group under a dead leader is still the recorded one.
 * - `gone`: nothing of it runs (zombies count as gone).
 *
 * @throws ProcessTableError when no backend works here.
 */
export function checkProcessGroup(target: ProcessGroupTarget): 'alive' | 'gone' | 'foreign' | 'unverified' {
  const leader = checkProcessIdentity(target.pid, target.startTime);
  if (leader === 'alive') return 'alive';
  if (leader === 'reused') return 'foreign';
  if (leader === 'unverified') return 'unverified';
  return isProcessGroupAlive(target.pgid) ? 'alive' : 'gone';
}

/**
 * Poll intervals while waiting for a group to empty: from 1 ms, ×1.5, capped at 20 ms. These timers are
 * ref'd on purpose: a caller awaiting a stop must not see its process exit with the stop half done.
 */
const POLL = { initialMs: 1, factor: 1.5, maxMs: 20 } as const;

/** How long to wait for a group to vanish after SIGKILL, in milliseconds (SIGKILL cannot be ignored). */
export const KILL_WAIT_MS = 10_000;

/**
 * Sends `signal` to every process of the group (`kill(-pgid, signal)`, see kill(2)), ignoring a group
 * that is already gone. Returns whether the signal was delivered.
 */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  return signalProcess(-pgid, signal);
}

/**
 * Sends `signal` to a process (or, for a negative `pid`, a process group: kill(2)), ignoring one that is
 * already gone (`ESRCH`). Returns whether the signal was delivered.
 *
 * @throws The `kill(2)` error other than `ESRCH` (e.g. `EPERM`).
 */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Resolves `true` once every live member of the group is gone, or `false` after `timeoutMs`.
 * `wake` (e.g. the leader's exit) triggers an immediate check instead of waiting for the next poll.
 * `leaderRunning`, when the caller knows (the leader is its child and its exit has not been seen),
 * answers "still running" without asking the platform backend: no `ps` spawn per poll on posix.
 */
export function waitForProcessGroupExit(
  pgid: number,
  timeoutMs: number,
  wake?: Promise<unknown>,
  leaderRunning?: () => boolean,
): Promise<boolean> {
  return pollUntil(() => !(leaderRunning?.() ?? false) && !isProcessGroupAlive(pgid), timeoutMs, wake);
}

/**
 * The one poll of process teardown: checks `done` now, then after 1 ms, ×1.5 each time, capped at 20 ms
 * ({@link POLL}), until it is true (resolves `true`) or `timeoutMs` has passed (resolves `false`). `wake`
 * triggers an immediate check.
 */
export async function pollUntil(done: () => boolean, timeoutMs: number, wake?: Promise<unknown>): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let intervalMs: number = POLL.initialMs;
  let woken = false;
  void wake?.then(() => {
    woken = true;
  });
  for (;;) {
    if (done()) return true;
    const remainingMs = deadline - performance.now();
    if (remainingMs <= 0) return false;
    const delay = Math.min(intervalMs, remainingMs);
    const controller = new AbortController();
    // Aborted below once the wait is over (woken early): that rejection is ours and expected.
    const timer = sleep(delay, undefined, { signal: controller.signal }).catch((error: unknown) => {
      if ((error as Error).name !== 'AbortError') throw error;
    });
    await (wake && !woken ? Promise.race([timer, wake]) : timer);
    controller.abort();
    intervalMs = Math.min(intervalMs * POLL.factor, POLL.maxMs);
  }
}

/** How a group is stopped: its stop signal, how long it gets, and what wakes the wait early. */
export interface GroupStopOptions {
  signal: NodeJS.Signals;
  /** How long the group gets to exit after `signal` before SIGKILL, in milliseconds (not waited for SIGKILL itself). */
  stopTimeoutMs: number;
  /** Resolves when the leader exits (a child's `exit` event): the stop returns then rather than at the next poll. */
  exited?: Promise<unknown>;
  /** Whether the leader is known to run still (a child whose exit has not been seen): no need to look. @default unknown: look */
  leaderRunning?: () => boolean;
}

/**
 * The stop of a process group whose identity is known: `signal` to the group, wait up to
 * `stopTimeoutMs` for every member to exit, then SIGKILL to the group and wait again (SIGKILL cannot be
 * ignored, so that wait is short). A grandchild that stayed in the group dies with it; one that called
 * `setsid()` has left the group (the supervisor finds those by the run's marker).
 *
 * @throws Error (EPERM) when the group belongs to another user.
 */
export async function signalGroupAndWait(pgid: number, options: GroupStopOptions): Promise<StopOutcome> {
  signalProcessGroup(pgid, options.signal);
  if (
    options.signal !== 'SIGKILL' &&
    (await waitForProcessGroupExit(pgid, options.stopTimeoutMs, options.exited, options.leaderRunning))
  ) {
    return { forced: false, wasRunning: true, foreign: false };
  }
  signalProcessGroup(pgid, 'SIGKILL');
  await waitForProcessGroupExit(pgid, KILL_WAIT_MS, options.exited, options.leaderRunning);
  return { forced: options.signal !== 'SIGKILL', wasRunning: true, foreign: false };
}
