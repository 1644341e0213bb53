import { readFileSync, readdirSync } from 'node:fs';

/**
 * The environment marker of every command server a supervisor spawns: `EPHEMERAL_SERVERS_RUN_ID` names
 * the run and `EPHEMERAL_SERVERS_SERVER` the instance (`<name>@<slot>`). Descendants inherit it, so a
 * process that left the server's process group (a `setsid` daemon, a double fork) can still be found:
 * the marker is its identity (a random run id no unrelated process carries).
 */
export const RUN_MARKER_ENV = 'EPHEMERAL_SERVERS_RUN_ID';
/** See {@link RUN_MARKER_ENV}. */
export const SERVER_MARKER_ENV = 'EPHEMERAL_SERVERS_SERVER';

const procAvailable = process.platform === 'linux';

/** Which marked processes to look for. */
export interface MarkerQuery {
  runId: string;
  /** Only this instance's. @default every server of the run */
  key?: string;
  /**
   * Only pids above this one, unless the pid counter wrapped since (`/proc/sys/kernel/ns_last_pid` is
   * lower): a descendant is younger than the server, so a larger pid. Keeps the scan to a few files.
   * @default every pid
   */
  newerThanPid?: number;
}

function lastPid(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EACCES') return undefined;
    throw error;
  }
}

/**
 * Live processes carrying the run's marker (see {@link RUN_MARKER_ENV}), found through
 * `/proc/<pid>/environ` (proc(5)): readable only for this user's processes, so another user's are
 * never matched. Zombies have an empty environ and are not matched. Where there is no `/proc`, the
 * answer is `[]` (the platform issue covers `ps eww`).
 */
export function findMarkedProcesses(query: MarkerQuery): number[] {
  if (!procAvailable) return [];
  const runNeedle = `\0${RUN_MARKER_ENV}=${query.runId}\0`;
  const keyNeedle = query.key === undefined ? undefined : `\0${SERVER_MARKER_ENV}=${query.key}\0`;
  const last = query.newerThanPid === undefined ? undefined : lastPid();
  const floor = last !== undefined && query.newerThanPid !== undefined && last >= query.newerThanPid ? query.newerThanPid : 0;
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= floor || pid === process.pid) continue;
    let environ: string;
    try {
      environ = `\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES' || code === 'EPERM') continue;
      throw error;
    }
    if (environ.includes(runNeedle) && (keyNeedle === undefined || environ.includes(keyNeedle))) found.push(pid);
  }
  return found;
}
