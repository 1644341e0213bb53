import { readFileSync, readdirSync } from 'node:fs';

/**
 * Process identity and liveness, from `/proc` on Linux (proc(5)): a pid alone is not an identity,
 * because the kernel reuses pids. A pid plus its start time (field 22 of `/proc/<pid>/stat`, clock ticks
 * since boot) is. Zombies (state `Z`) count as dead: they run nothing and hold no port, and a container
 * init that does not reap (as on this project's CI machine) can leave them for a long time.
 */

interface ProcStat {
  state: string;
  ppid: number;
  pgid: number;
  startTime: string;
}

const hasProc = process.platform === 'linux';

function isExpectedFsError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES' || code === 'EPERM';
}

/** Parses `/proc/<pid>/stat`; the command name (field 2) may hold spaces and parentheses. */
function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    if (isExpectedFsError(error)) return undefined;
    throw error;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); field N is fields[N - 3].
  return {
    state: fields[0] ?? '?',
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    startTime: fields[19] ?? '',
  };
}

/**
 * Start time of a process, as an opaque string (Linux: clock ticks since boot), or `undefined` when the
 * process does not exist or the platform has no `/proc`.
 */
export function readProcessStartTime(pid: number): string | undefined {
  if (!hasProc) return undefined;
  return readProcStat(pid)?.startTime;
}

/**
 * Whether `pid` runs and, when `startTime` is given, is still the process that had that start time
 * (so a reused pid is reported dead). Zombies are dead.
 */
export function isProcessAlive(pid: number, startTime?: string): boolean {
  if (hasProc) {
    const stat = readProcStat(pid);
    if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return false;
    return startTime === undefined || stat.startTime === startTime;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    if ((error as NodeJS.ErrnoException).code === 'EPERM') return true;
    throw error;
  }
}

/**
 * Pids of the live (non-zombie) members of process group `pgid`. On platforms without `/proc` it
 * answers `[pgid]` while `kill(-pgid, 0)` succeeds, else `[]`.
 */
export function listProcessGroup(pgid: number): number[] {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return [];
    if (code !== 'EPERM') throw error;
  }
  if (!hasProc) return [pgid];
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readProcStat(pid);
    if (stat && stat.pgid === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(pid);
  }
  return members;
}

/**
 * Whether process group `pgid` still has a live member. The leader is checked first (one `/proc` file):
 * while it runs, the answer is yes without a scan of every process; the scan is only needed once it
 * has exited, to tell live members from zombies.
 */
export function isProcessGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code !== 'EPERM') throw error;
  }
  if (hasProc) {
    const leader = readProcStat(pgid);
    if (leader !== undefined && leader.pgid === pgid && leader.state !== 'Z' && leader.state !== 'X') return true;
  }
  return listProcessGroup(pgid).length > 0;
}

/** Command line of a process, space-joined, or `undefined`. */
export function readCommandLine(pid: number): string | undefined {
  if (!hasProc) return undefined;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch (error) {
    if (isExpectedFsError(error)) return undefined;
    throw error;
  }
}
