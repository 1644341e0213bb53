import { checkProcessGroup } from '../process/stop-process-group.js';
import { recordedGroupOf, signalRecordedGroup, type RecordedGroup } from './recorded-group.js';
import { orderStopLevels, type KeyedEntry } from './stop-order.js';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` milliseconds (an `exit` handler cannot await). */
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * Synchronous ordered stop, for an `exit` handler: level by level in reverse dependency order, each
 * recorded command server's process group gets its stop signal, then SIGKILL once its
 * `stopTimeoutMs` or the overall `budgetMs` has run out, whichever comes first. Identity (pid + start
 * time) is checked before every signal; in-process entries are skipped.
 *
 * @param budgetMs Longest time spent waiting for graceful exits, in milliseconds, over all levels;
 *   whatever still runs then is SIGKILLed. 0 means SIGKILL at once.
 * @returns State keys whose groups were signalled.
 */
export function stopRecordedGroupsSync(entries: readonly KeyedEntry[], budgetMs: number): string[] {
  const deadline = performance.now() + budgetMs;
  const signalled: string[] = [];
  for (const level of orderStopLevels(entries.filter(([, entry]) => recordedGroupOf(entry) !== undefined))) {
    const remainingMs = deadline - performance.now();
    const graceful = remainingMs > 0;
    let levelDeadline = performance.now();
    for (const [key, entry] of level) {
      const signal = graceful ? (entry.stopSignal as NodeJS.Signals) : 'SIGKILL';
      if (!trySignal(recordedGroupOf(entry)!, signal)) continue;
      signalled.push(key);
      levelDeadline = Math.max(levelDeadline, performance.now() + Math.min(entry.stopTimeoutMs, remainingMs));
    }
    const alive = () => level.filter(([, entry]) => checkProcessGroup(recordedGroupOf(entry)!) === 'alive');
    waitSync(() => alive().length === 0, levelDeadline);
    for (const [, entry] of alive()) trySignal(recordedGroupOf(entry)!, 'SIGKILL');
    // SIGKILL takes effect at once; wait briefly so the next level really stops after this one.
    waitSync(() => alive().length === 0, performance.now() + 200);
  }
  return signalled;
}

function trySignal(group: RecordedGroup, signal: NodeJS.Signals): boolean {
  try {
    return signalRecordedGroup(group, signal);
  } catch (error) {
    // EPERM: not ours to signal. An exit handler cannot report it any better than this.
    process.stderr.write(`ephemeral-servers: could not signal process group ${group.pgid}: ${String(error)}\n`);
    return false;
  }
}

function waitSync(done: () => boolean, deadline: number): void {
  let intervalMs = 1;
  while (!done()) {
    const remainingMs = deadline - performance.now();
    if (remainingMs <= 0) return;
    sleepSync(Math.min(intervalMs, remainingMs));
    intervalMs = Math.min(intervalMs * 1.5, 20);
  }
}
