import type { BackendKind, ProcessStatus } from '../platform/platform-backend.js';
import { processExists } from '../platform/posix-processes.js';
import { platformBackend } from '../platform/select-backend.js';
import { startTimeKind } from '../platform/start-time.js';

/**
 * Process identity and liveness, through the platform backend of this process (`/proc` on Linux,
 * `ps` elsewhere: see `src/platform/`). A pid alone is not an identity, because the kernel reuses
 * pids; a pid plus its start time is. Zombies count as dead: they run nothing and hold no port, and a
 * container init that does not reap (as on this project's CI machine) can leave them for a long time.
 */

/**
 * Where a recorded process (pid + start time) stands:
 * - `alive`: that pid runs, with the recorded start time: it is the recorded process;
 * - `dead`: no process has that pid, or only a zombie;
 * - `reused`: that pid runs another process (another start time);
 * - `unverified`: that pid runs, but nothing says whether it is the recorded process: no start time was
 *   recorded, it was recorded by the other backend (the tokens cannot be compared), or this backend
 *   cannot read the process's start time. Never signal such a process on its pid alone.
 */
export type ProcessIdentity = 'alive' | 'dead' | 'reused' | 'unverified';

function identify(
  status: ProcessStatus | undefined,
  startTime: string | undefined,
  kind: BackendKind,
): ProcessIdentity {
  if (status === undefined || status.zombie) return 'dead';
  if (startTime === undefined || startTimeKind(startTime) !== kind || status.startTime === undefined)
    return 'unverified';
  return status.startTime === startTime ? 'alive' : 'reused';
}

/**
 * Checks a recorded process: see {@link ProcessIdentity}. One `/proc` file, or one `ps` call (none when
 * `kill(pid, 0)` already reports it gone).
 *
 * @param startTime the token recorded with the pid (see `src/platform/start-time.ts`).
 * @throws ProcessTableError when no backend works here.
 */
export function checkProcessIdentity(pid: number, startTime: string | undefined): ProcessIdentity {
  const backend = platformBackend();
  return identify(backend.readProcess(pid), startTime, backend.kind);
}

/**
 * {@link checkProcessIdentity} for many processes in one pass (one `ps` call on the posix backend).
 *
 * @returns the identity of each target, in the order of `targets`.
 * @throws ProcessTableError when no backend works here.
 */
export function checkProcessIdentities(
  targets: readonly { pid: number; startTime?: string | undefined }[],
): ProcessIdentity[] {
  const backend = platformBackend();
  const statuses = backend.readProcesses(targets.map((target) => target.pid));
  return targets.map((target) => identify(statuses.get(target.pid), target.startTime, backend.kind));
}

/**
 * Why a process reads as {@link ProcessIdentity} `unverified`, for messages (e.g. "no start time was
 * recorded").
 */
export function describeUnverified(startTime: string | undefined): string {
  const backend = platformBackend();
  if (startTime === undefined) return 'no start time was recorded for it';
  const kind = startTimeKind(startTime);
  if (kind !== backend.kind) {
    return `its start time ${JSON.stringify(startTime)} was recorded ${kind === undefined ? 'in an unknown format' : `by the ${kind} backend`}, and this process reads processes through the ${backend.kind} backend: the two cannot be compared`;
  }
  return 'its start time cannot be read';
}

/**
 * Start time of a process, as an opaque token of this process's backend (procfs: clock ticks since
 * boot; posix: `ps:<seconds since the epoch>`), or `undefined` when the process does not exist.
 *
 * @throws ProcessTableError when no backend works here.
 */
export function readProcessStartTime(pid: number): string | undefined {
  if (pid === process.pid) return (ownStartTime ??= { token: platformBackend().readProcess(pid)?.startTime }).token;
  return platformBackend().readProcess(pid)?.startTime;
}

/** This process's start time never changes: read once (the posix backend spawns `ps` for it). */
let ownStartTime: { token: string | undefined } | undefined;

/**
 * Whether `pid` runs and, when `startTime` is given, may still be the process that had that start
 * time: a reused pid is reported dead, an {@link ProcessIdentity} `unverified` one alive (it may be the
 * one; to decide whether to signal it, use {@link checkProcessIdentity}). Zombies are dead.
 *
 * @throws ProcessTableError when no backend works here.
 */
export function isProcessAlive(pid: number, startTime?: string): boolean {
  const backend = platformBackend();
  const status = backend.readProcess(pid);
  if (status === undefined || status.zombie) return false;
  return startTime === undefined || identify(status, startTime, backend.kind) !== 'reused';
}

/**
 * Those of `pids` that run (zombies excluded), in one pass (one `ps` call on posix).
 *
 * @throws ProcessTableError when no backend works here.
 */
export function listLiveProcesses(pids: readonly number[]): number[] {
  if (pids.length === 0) return [];
  const statuses = platformBackend().readProcesses(pids);
  return pids.filter((pid) => statuses.get(pid)?.zombie === false);
}

/**
 * Whether a recorded process has certainly ended, answered from what is cheap, for readers deciding
 * whether to report a server dead (`getEndpoint` runs on every supertest request): with procfs, the
 * full {@link isProcessAlive} check (one file); with posix, `kill(pid, 0)` alone (no `ps` spawn), so a
 * zombie or a reused pid there reads as running until the supervisor, its parent, records the exit (it
 * does so as soon as Node reaps the child, milliseconds after the exit).
 *
 * @throws ProcessTableError when no backend works here.
 */
export function hasProcessEnded(pid: number, startTime?: string): boolean {
  if (platformBackend().kind === 'procfs') return !isProcessAlive(pid, startTime);
  return !processExists(pid);
}

/**
 * Pids of the live (non-zombie) members of process group `pgid`: none without asking the backend
 * when `kill(-pgid, 0)` finds no group.
 *
 * @throws ProcessTableError when no backend works here.
 */
export function listProcessGroup(pgid: number): number[] {
  if (!processExists(-pgid)) return [];
  return platformBackend().listGroupMembers(pgid);
}

/**
 * Whether process group `pgid` still has a live member. `kill(-pgid, 0)` first (no group: no); then
 * the leader (one `/proc` file or one `ps -p`): while it runs, the answer is yes without listing every
 * process; the full list is only needed once it has exited, to tell live members from zombies.
 *
 * @throws ProcessTableError when no backend works here.
 */
export function isProcessGroupAlive(pgid: number): boolean {
  if (!processExists(-pgid)) return false;
  const backend = platformBackend();
  const leader = backend.readProcess(pgid);
  if (leader !== undefined && leader.pgid === pgid && !leader.zombie) return true;
  return backend.listGroupMembers(pgid).length > 0;
}

/**
 * Command line of a process, space-joined (for messages), or `undefined` when it is gone or hidden.
 *
 * @throws ProcessTableError when no backend works here.
 */
export function readCommandLine(pid: number): string | undefined {
  return platformBackend().readCommandLine(pid);
}
