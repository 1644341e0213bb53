/**
 * SIGINT, SIGTERM and SIGHUP for run owners. Installing a signal listener disables Node's default
 * action (exit by the signal, see the Node docs, "Signal events"), so these listeners act only when
 * they are the process's only ones, not counting signal-exit's (which stands aside the same way; used
 * by write-file-atomic, hence by Jest):
 * - alone (a plain script, the Jest main process, whose Ctrl+C otherwise kills it without
 *   globalTeardown): the first signal runs every registered run's ordered teardown, then removes these
 *   listeners and re-raises the signal, so the process ends by that signal as it would have without
 *   us. A second signal meanwhile SIGKILLs every recorded process group at once and re-raises.
 * - not alone (Vitest's CLI sets `process.exitCode` to 128 + signal and calls `process.exit()` 1 ms
 *   later, without awaiting its globalSetup teardown; the ephemeral-servers CLI forwards signals to its
 *   command): the host owns the signal and the exit; nothing is done here: when the process exits, the
 *   run's supervisor sees its pipe close and stops the run in reverse dependency order.
 */

/** What a signal does to one run. */
export interface SignalTarget {
  /** Ordered teardown of the run, after `signal`. */
  teardown(signal: NodeJS.Signals): Promise<void>;
  /** Synchronous: SIGKILL every process group the run recorded, now (a second signal). */
  killNow(): void;
}

/** The signals handled. */
export const HANDLED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const targets = new Set<SignalTarget>();
let installed = false;
let firstSignal: NodeJS.Signals | undefined;

/**
 * Handles SIGINT, SIGTERM and SIGHUP for `target` (see the module comment) until the returned
 * function is called. Idempotent per target.
 *
 * @returns Stops handling signals for `target`; the listeners go when no target is left.
 */
export function handleSignalsFor(target: SignalTarget): () => void {
  targets.add(target);
  install();
  return () => {
    targets.delete(target);
    if (targets.size === 0 && firstSignal === undefined) uninstall();
  };
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of HANDLED_SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  for (const signal of HANDLED_SIGNALS) process.off(signal, onSignal);
}

/** Listeners of signal-exit (v3 and v4 count theirs in a process-wide emitter; each adds one per signal). */
function countSignalExitListeners(): number {
  const v4 = (globalThis as Record<symbol, { count?: unknown } | undefined>)[Symbol.for('signal-exit emitter')];
  const v3 = (process as unknown as { __signal_exit_emitter__?: { count?: unknown } }).__signal_exit_emitter__;
  return (typeof v4?.count === 'number' ? v4.count : 0) + (typeof v3?.count === 'number' ? v3.count : 0);
}

/** Whether these listeners are the only ones for `signal`, apart from signal-exit's. */
export function isOnlySignalListener(signal: NodeJS.Signals): boolean {
  const others = process.listeners(signal).filter((listener) => listener !== onSignal).length;
  return others - countSignalExitListeners() <= 0;
}

function onSignal(signal: NodeJS.Signals): void {
  if (!isOnlySignalListener(signal)) return;
  if (firstSignal !== undefined) {
    for (const target of targets) target.killNow();
    reRaise(signal);
    return;
  }
  firstSignal = signal;
  void Promise.allSettled([...targets].map((target) => target.teardown(signal))).then((results) => {
    for (const result of results) {
      if (result.status === 'rejected') {
        const reason: unknown = result.reason;
        process.stderr.write(
          `ephemeral-servers: teardown after ${signal} failed: ${reason instanceof Error ? reason.message : String(reason)}\n`,
        );
      }
    }
    reRaise(signal);
  });
}

/** Removes these listeners and sends `signal` to this process again: it now ends as Node's default would. */
function reRaise(signal: NodeJS.Signals): void {
  uninstall();
  firstSignal = undefined;
  process.kill(process.pid, signal);
}
