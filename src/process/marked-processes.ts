import { platformBackend } from '../platform/select-backend.js';

/**
 * The environment marker of every command server a supervisor spawns: `EPHEMERAL_SERVERS_RUN_ID` names
 * the run and `EPHEMERAL_SERVERS_SERVER` the instance (`<name>@<slot>`). Descendants inherit it, so a
 * process that left the server's process group (a `setsid` daemon, a double fork) can still be found:
 * the marker is its identity (a random run id no unrelated process carries).
 */
export const RUN_MARKER_ENV = 'EPHEMERAL_SERVERS_RUN_ID';
/** See {@link RUN_MARKER_ENV}. */
export const SERVER_MARKER_ENV = 'EPHEMERAL_SERVERS_SERVER';

/** Which marked processes to look for. */
export interface MarkerQuery {
  runId: string;
  /** Only this instance's. @default every server of the run */
  key?: string;
  /**
   * Only pids above this one, unless the pid counter wrapped since (`/proc/sys/kernel/ns_last_pid` is
   * lower): a descendant is younger than the server, so a larger pid. Keeps the procfs scan to a few
   * files; the posix backend lists every process in one `ps` call and ignores it.
   * @default every pid
   */
  newerThanPid?: number;
  /** Only these pids (e.g. to check one process). @default every process */
  pids?: readonly number[];
}

/**
 * Live processes (not this one) carrying the run's marker (see {@link RUN_MARKER_ENV}) and matching
 * `query`: procfs reads `/proc/<pid>/environ` (proc(5)); posix reads `ps eww` (ps(1)) where the OS
 * shows environments. Either way only this user's processes are readable (every one as root), so
 * another user's are never matched; zombies are never matched.
 *
 * @throws ProcessTableError when no backend works here.
 */
export function findMarkedProcesses(query: MarkerQuery): number[] {
  const env: Record<string, string> = { [RUN_MARKER_ENV]: query.runId };
  if (query.key !== undefined) env[SERVER_MARKER_ENV] = query.key;
  return platformBackend().findProcessesWithEnvironment({
    env,
    ...(query.newerThanPid === undefined ? {} : { newerThanPid: query.newerThanPid }),
    ...(query.pids === undefined ? {} : { pids: query.pids }),
  });
}
