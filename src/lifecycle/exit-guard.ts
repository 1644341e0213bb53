import { removeRunDirectorySync } from '../reaper/remove-run-dir.js';
import { stopRecordedGroupsSync } from '../reaper/stop-groups-sync.js';
import { StateFileError } from '../errors.js';
import { readStateSync } from '../state/state-file.js';

/**
 * Last-resort cleanup on `exit`. Vitest and Jest may exit without awaiting async teardown (after a
 * signal, or when a test calls `process.exit`); an `exit` listener is the last code that runs, and
 * only synchronous work happens there (Node docs, process event 'exit'). Two registries:
 * - runs this process owns ({@link guardRun}): every command server recorded in the run's state file
 *   (read synchronously, so worker-scoped servers handed over by workers are included) is stopped in
 *   reverse dependency order, its stop signal first and SIGKILL once its `stopTimeoutMs` or
 *   {@link EXIT_STOP_BUDGET_MS} has run out, identity checked before every signal; then the run
 *   directory is removed.
 * - process groups this process spawned and still owns ({@link guardProcessGroup}): SIGKILLed.
 */
const ownedGroups = new Set<number>();
const guardedRuns = new Set<GuardedRun>();
let installed = false;

/**
 * Longest time the exit handler waits for graceful exits, over all of a run's servers, in
 * milliseconds; whatever still runs then is SIGKILLed. It bounds how long a Ctrl+C'd runner hangs.
 */
export const EXIT_STOP_BUDGET_MS = 3_000;

/** A run guarded by {@link guardRun}. */
export interface GuardedRun {
  stateFile: string;
  runDir: string;
  /** Called first on the exit path (e.g. tell the reaper to be quick, let a second Ctrl+C kill us). */
  beforeStop?: () => void;
}

function onExit(): void {
  for (const run of guardedRuns) stopGuardedRun(run);
  guardedRuns.clear();
  killOwnedGroups();
}

function install(): void {
  if (installed) return;
  process.on('exit', onExit);
  installed = true;
}

function stopGuardedRun(run: GuardedRun): void {
  run.beforeStop?.();
  try {
    const state = readStateSync(run.stateFile);
    stopRecordedGroupsSync(Object.entries(state.servers), EXIT_STOP_BUDGET_MS);
    removeRunDirectorySync(run.runDir);
  } catch (error) {
    // Missing: the run is already gone. Anything else cannot be thrown from an exit handler; the reaper
    // still gets the run when this process is gone.
    if (error instanceof StateFileError && error.problem === 'missing') return;
    process.stderr.write(`ephemeral-servers: could not stop the run in ${run.runDir} on exit: ${String(error)}\n`);
  }
}

function killOwnedGroups(): void {
  for (const pgid of ownedGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch (error) {
      // ESRCH: already gone. Anything else cannot be reported from an exit handler either.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') process.stderr.write(`ephemeral-servers: could not kill process group ${pgid}: ${String(error)}\n`);
    }
  }
  ownedGroups.clear();
}

/**
 * Stops `run` synchronously if this process exits before the returned function is called (see the
 * module comment).
 *
 * @returns Releases the guard (after a completed teardown). Idempotent.
 */
export function guardRun(run: GuardedRun): () => void {
  install();
  guardedRuns.add(run);
  return () => {
    guardedRuns.delete(run);
  };
}

/** Registers a process group to kill if this process exits while still owning it. */
export function guardProcessGroup(pgid: number): void {
  install();
  ownedGroups.add(pgid);
}

/** Forgets a process group: it was stopped, or its ownership moved to the run. */
export function releaseProcessGroup(pgid: number): void {
  ownedGroups.delete(pgid);
}

/** Process groups currently guarded, for the signal handler's immediate kill. */
export function guardedProcessGroups(): readonly number[] {
  return [...ownedGroups];
}
