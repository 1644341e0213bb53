import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether `/proc/<pid>` is a live (non-zombie) process. Zombies are dead: the CI's init does not reap. */
export function isLive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Waits until none of `pids` is live, up to `timeoutMs`; returns the ones still live. */
export async function waitUntilGone(pids: readonly number[], timeoutMs = 5000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = pids.filter(isLive);
    if (live.length === 0 || Date.now() > deadline) return live;
    await sleep(5);
  }
}

/** Reads pids printed as `<label> pid=<n>` in a log file. */
export function pidsInLog(path: string, label: string): number[] {
  const text = readFileSync(path, 'utf8');
  return [...text.matchAll(new RegExp(`${label} pid=(\\d+)`, 'g'))].map((m) => Number(m[1]));
}
