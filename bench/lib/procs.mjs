// /proc helpers: find a scenario's processes by their --tag, check liveness, clean up.
import { readdirSync, readFileSync } from 'node:fs';
import { sleep } from './stats.mjs';

/** Whether pid is a live process; zombies count as dead (pid 1 here may not reap). */
export function isLive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Live processes whose command line or environment (`BENCH_TAG=<tag>`) carries `tag`, except this one:
 * [{ pid, cmd }].
 */
export function findTagged(tag) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let cmd;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue;
    }
    let tagged = cmd.includes(tag);
    if (!tagged) {
      try {
        tagged = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`BENCH_TAG=${tag}`);
      } catch {}
    }
    if (tagged && isLive(pid)) found.push({ pid, cmd });
  }
  return found;
}

/** Polls every `intervalMs` until none of `pids` is live; returns the time it took, or undefined on timeout. */
export async function waitGone(pids, timeoutMs = 5000, intervalMs = 1) {
  const start = performance.now();
  for (;;) {
    if (!pids.some(isLive)) return performance.now() - start;
    if (performance.now() - start > timeoutMs) return undefined;
    await sleep(intervalMs);
  }
}

/** SIGKILLs every live process carrying `tag` and waits until they are gone. Returns how many it killed. */
export async function killTagged(tag) {
  const procs = findTagged(tag);
  for (const { pid } of procs) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  await waitGone(
    procs.map((p) => p.pid),
    3000,
    5,
  );
  return procs.length;
}
