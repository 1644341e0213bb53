import type { BackendKind } from './platform-backend.js';

/**
 * Start-time tokens. A pid alone is not an identity (the kernel reuses pids); a pid plus the start
 * time of the process is. Each backend writes its own kind of token, and tokens of different kinds
 * are never compared:
 * - procfs: clock ticks since boot, field 22 of `/proc/<pid>/stat` (proc(5)), digits only, e.g.
 *   `4817263` (the format of every state file and port claim written before the posix backend);
 * - posix: `ps:` and the start in whole seconds since the epoch, from `ps -o lstart=` (ps(1)) read
 *   in UTC, e.g. `ps:1764639780`. One second of resolution: a pid reused within the same second as
 *   its previous process started reads as the same process (the kernel hands pids out in order, so
 *   that takes a full wrap of the pid counter in under a second).
 */
export const POSIX_START_TIME_PREFIX = 'ps:';

const PROCFS_TOKEN = /^\d+$/;
const POSIX_TOKEN = /^ps:\d+$/;

/** The backend that wrote `token`, or `undefined` for anything else (an old `x`, garbage). */
export function startTimeKind(token: string): BackendKind | undefined {
  if (PROCFS_TOKEN.test(token)) return 'procfs';
  if (POSIX_TOKEN.test(token)) return 'posix';
  return undefined;
}

/** The posix token for a start `epochSeconds` seconds after the epoch. */
export function posixStartTime(epochSeconds: number): string {
  return `${POSIX_START_TIME_PREFIX}${epochSeconds}`;
}
