// Process checks for the consumers' plain-Node drivers (`*/orphan-driver.mjs`), which cannot import
// the suite's TypeScript helpers: the same check as `isLive` of test/helpers/processes.ts.
import { readFileSync } from 'node:fs';

/**
 * Whether `pid` runs and is not a zombie (`Z`) or dead (`X`): /proc/<pid>/stat's state field, read
 * after the last `)` (a command name may hold one). This machine's pid 1 reaps orphans only after
 * 1–2 s, so a dead orphan stays a zombie that `kill(pid, 0)` would count as alive.
 * @param {number} pid
 * @returns {boolean}
 */
export function isLive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
