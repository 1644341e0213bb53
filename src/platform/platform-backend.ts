import type { PortHolder } from '../errors.js';

/**
 * Which source a backend reads the process table from: `procfs` (Linux `/proc`, proc(5)) or `posix`
 * (the `ps`, `lsof` and `sysctl` commands: macOS, the BSDs, and Linux where `/proc` is not used).
 */
export type BackendKind = 'procfs' | 'posix';

/** One process as a backend sees it. */
export interface ProcessStatus {
  pid: number;
  /** Parent pid. */
  ppid: number;
  /** Process group id. */
  pgid: number;
  /** Zombie or dead (`Z`, `X`): runs nothing, holds no port. A zombie counts as dead everywhere. */
  zombie: boolean;
  /**
   * Start time as an opaque token (see `start-time.ts`): comparable only with a token of the same
   * backend. `undefined` when the backend could not read it.
   */
  startTime: string | undefined;
}

/** Which processes {@link PlatformBackend.findProcessesWithEnvironment} looks for. */
export interface EnvironmentQuery {
  /** Every one of these `NAME=value` pairs must be in the process's environment. */
  env: Readonly<Record<string, string>>;
  /**
   * A hint: only pids above this one can match, unless the pid counter wrapped since (a descendant is
   * younger than its ancestor). The procfs backend uses it to read a few files instead of every
   * process's; the posix backend lists every process in one `ps` call anyway and ignores it.
   * @default every pid
   */
  newerThanPid?: number;
  /** Only these pids. @default every process */
  pids?: readonly number[];
}

/** The kernel's ephemeral port range as a backend reads it. */
export interface PortRangeReading {
  /** First port, inclusive. */
  first: number;
  /** Last port, inclusive. */
  last: number;
  /** Ranges (inclusive) the administrator keeps out of automatic assignment; Linux only. */
  reserved: Array<readonly [number, number]>;
}

/**
 * Everything this package asks the operating system about processes, sockets and the terminal,
 * behind one interface with two implementations (`procfs-backend.ts`, `posix-backend.ts`). Signals are
 * not here: `kill(2)` is the same everywhere. Other users' processes may be invisible to either
 * backend; they are then reported as not found, never matched.
 */
export interface PlatformBackend {
  readonly kind: BackendKind;
  /** One process, or `undefined` when no process has that pid. */
  readProcess(pid: number): ProcessStatus | undefined;
  /** Several processes in one pass (one `ps` call on posix); pids with no process are absent. */
  readProcesses(pids: readonly number[]): Map<number, ProcessStatus>;
  /** Pids of the live (non-zombie) members of process group `pgid`, in one pass. */
  listGroupMembers(pgid: number): number[];
  /** Pids of live processes (not this one) whose environment holds every pair of `query.env`. */
  findProcessesWithEnvironment(query: EnvironmentQuery): number[];
  /** A process's command line, space-joined, or `undefined` when it is gone or hidden. */
  readCommandLine(pid: number): string | undefined;
  /** The process listening on TCP `port` (any address), or `undefined` when none is visible. */
  findPortHolder(port: number): Promise<PortHolder | undefined>;
  /** Ports with a listening TCP socket, or `undefined` when this backend cannot list them. */
  listListeningPorts(): Promise<Set<number> | undefined>;
  /** The kernel's ephemeral port range, or `undefined` when it cannot be read. */
  readEphemeralPortRange(): PortRangeReading | undefined;
  /** Whether this process is in the foreground process group of its controlling terminal. */
  isTerminalForeground(): boolean;
}
