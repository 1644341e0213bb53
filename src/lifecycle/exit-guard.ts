/**
 * Last-resort cleanup: process groups this process spawned and still owns are SIGKILLed
 * synchronously on `exit`. Vitest and Jest may exit without awaiting async teardown (after a signal,
 * or when a test calls `process.exit`); an `exit` listener is the last code that runs (Node docs,
 * process event 'exit': only synchronous work happens there).
 */
const ownedGroups = new Set<number>();
let installed = false;

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

/** Registers a process group to kill if this process exits while still owning it. */
export function guardProcessGroup(pgid: number): void {
  if (!installed) {
    process.on('exit', killOwnedGroups);
    installed = true;
  }
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
