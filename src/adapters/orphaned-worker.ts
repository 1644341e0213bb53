/**
 * A runner's worker process whose runner died: what the Vitest and Jest adapters do about it.
 *
 * A forked worker (Vitest's `forks` pool, Jest's `jest-worker` children) talks to its runner over an
 * IPC channel. When the runner dies without stopping it (SIGKILL, or a signal only the runner got),
 * neither runner makes the worker exit: it goes on until its current test ends (measured in
 * docs/runner-modes.md; upstream: vitest-dev/vitest#9123), and a listening in-process server would hold
 * it forever. This module exits such a worker once its in-process servers are closed.
 */

/** How often a forked worker checks that its runner is still its parent, in ms. */
export const RUNNER_CHECK_INTERVAL_MS = 50;

let watching = false;

/**
 * In a process with an IPC channel to its parent (a forked runner worker; nothing happens in a worker
 * thread or a process without one), once: checks every {@link RUNNER_CHECK_INTERVAL_MS} that the parent
 * is still the one it had (`process.ppid`); once this process was re-parented (the runner died), calls
 * `onOrphaned` (to close what this process serves) and exits with code 1 when it settled. A normal
 * shutdown (the runner lives) is left to the runner.
 *
 * The check is an unref'd timer, not a `'disconnect'` listener: such a listener keeps the IPC channel
 * referenced (Node's child_process), so a Jest worker, which ends by dropping its `'message'` listener,
 * would no longer exit on its own; and the kernel closes a dying runner's end of the channel before it
 * re-parents its children, so the disconnect alone does not tell a death from a shutdown. Only the
 * first call of a process registers: `onOrphaned` must reach every server of the process (a registry),
 * not one test file's.
 */
export function exitWhenRunnerDies(onOrphaned: () => Promise<unknown>): void {
  if (watching || typeof process.send !== 'function') return;
  watching = true;
  const parentPid = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parentPid) return;
    clearInterval(timer);
    void Promise.allSettled([Promise.resolve().then(onOrphaned)]).then(() => process.exit(1));
  }, RUNNER_CHECK_INTERVAL_MS);
  timer.unref();
}
