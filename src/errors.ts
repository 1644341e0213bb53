/**
 * Typed errors. Every error this package throws on purpose is an {@link EphemeralServersError} with a
 * stable `code` (see docs/errors.md: code → cause → fix) and an explicit `name`, because errors cross
 * worker boundaries (Vitest and Jest serialise them) where `instanceof` no longer works but `name` and
 * `code` survive.
 */
import { keepLog } from './logs/kept-logs.js';

/** Every stable error code, in the order of docs/errors.md. */
export const ERROR_CODES = [
  'ES_CONFIG_INVALID',
  'ES_PORT_IN_USE',
  'ES_PORT_ACCESS',
  'ES_PORT_EXHAUSTED',
  'ES_COMMAND_NOT_FOUND',
  'ES_SERVER_EXITED',
  'ES_SETUP_FAILED',
  'ES_SERVER_DEAD',
  'ES_START_FAILED',
  'ES_START_INTERRUPTED',
  'ES_READINESS_TIMEOUT',
  'ES_STOP_FAILED',
  'ES_SERVER_NOT_FOUND',
  'ES_STATE_MISSING',
  'ES_STATE_CORRUPT',
  'ES_STATE_FOREIGN',
  'ES_STATE_VERSION',
  'ES_STATE_CHANGE_REJECTED',
  'ES_SUPERVISOR_UNREACHABLE',
  'ES_SERVER_DAEMONIZED',
  'ES_RUN_DIR',
  'ES_PORT_RESERVATION',
  'ES_RUN_CONFIG_MISMATCH',
  'ES_PROCESS_TABLE',
  'ES_PROCESS_UNVERIFIED',
  'ES_PLATFORM_UNSUPPORTED',
] as const;

/** Stable error codes. Match on these, not on messages. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * What to do, in one line, for each code: the last line of every message (after `  What to do: `), and
 * the start of the fix column of docs/errors.md (a test checks both).
 */
export const ERROR_FIXES: Readonly<Record<ErrorCode, string>> = Object.freeze({
  ES_CONFIG_INVALID: 'fix each field listed above; an unknown field comes with a "did you mean" when one is close.',
  ES_PORT_IN_USE: "stop the process that holds the port, or omit `port` (or set it to 'auto') to get a free one.",
  ES_PORT_ACCESS: 'use a port of 1024 or more, or omit `port` to get a free one.',
  ES_PORT_EXHAUSTED:
    'something on this machine grabs ports: widen or drop `portRange`, or let the server bind port 0 and announce it (`port: 0` with a `log` probe).',
  ES_COMMAND_NOT_FOUND:
    "fix the name or the PATH, install the program, or give an absolute path; for shell syntax use `['sh', '-c', '…']`.",
  ES_SERVER_EXITED:
    'read its output above (often a missing env variable, file or dependency), then run the command by hand with the same cwd and env.',
  ES_SETUP_FAILED:
    'run the step by hand with the same cwd and env and fix it; if it is only slow, raise `startTimeoutMs`.',
  ES_SERVER_DEAD:
    'read its output above and its full log (it crashed, or was killed during the tests: an OOM kill shows in `dmesg`), fix that, then run the tests again.',
  ES_START_FAILED: 'fix what the reason above names (the `cwd`, `user` or `command` field, or the `app` factory).',
  ES_START_INTERRUPTED:
    'nothing to fix: the start was stopped and cleaned up because the process got a signal (Ctrl+C, a CI timeout); run again when it should not be stopped.',
  ES_READINESS_TIMEOUT:
    'if the server is only slow, raise `startTimeoutMs`; otherwise check the probe (path, `statuses`, the host it binds, `insecure` for self-signed https) against its output above.',
  ES_STOP_FAILED:
    'kill the listed processes by hand (one that changed user needs root), then run `ephemeral-servers prune`.',
  ES_SERVER_NOT_FOUND:
    'check the name against the known ones, and that the server is in the config and started (`run` scope by the global setup, `worker` by its fixture).',
  ES_STATE_MISSING:
    "run the tests through the adapter's global setup or `ephemeral-servers run -- …`, or pass the state file path.",
  ES_STATE_CORRUPT:
    'delete the run directory (`ephemeral-servers prune` does it for dead runs) and run the tests again.',
  ES_STATE_FOREIGN: 'point `EPHEMERAL_SERVERS_STATE` at a run of your own user.',
  ES_STATE_VERSION:
    'use one version of ephemeral-servers in every process of the run (check for duplicate installs: `npm ls ephemeral-servers`).',
  ES_STATE_CHANGE_REJECTED:
    'use one version of ephemeral-servers in every process of the run (check for duplicate installs: `npm ls ephemeral-servers`).',
  ES_SUPERVISOR_UNREACHABLE:
    'run the tests again under the global setup (or `ephemeral-servers run`); `ephemeral-servers prune` reaps what a dead run left.',
  ES_SERVER_DAEMONIZED:
    "keep the server in the foreground: nginx `-g 'daemon off;'`, redis `--daemonize no`, `postgres -D …` instead of `pg_ctl start`.",
  ES_RUN_DIR: 'set `TMPDIR` to a shorter directory, e.g. `/tmp`.',
  ES_PORT_RESERVATION:
    'remove that path (the directory is recreated), or set `EPHEMERAL_SERVERS_RESERVATION_DIR` to a directory of your own for every process of the run (or pass `reservationDir` to `startServers`).',
  ES_RUN_CONFIG_MISMATCH:
    "give the CLI and the runner's global setup the same config file from the same directory (`ephemeral-servers run --config <file>`), or run the runner without `ephemeral-servers run`.",
  ES_PROCESS_TABLE:
    'mount /proc (Linux), or make `ps` work (macOS and BSD have it; on Linux it needs /proc too), and do not set `EPHEMERAL_SERVERS_PROCFS=0` where only /proc works.',
  ES_PLATFORM_UNSUPPORTED:
    'run the tests under WSL 2 (Linux) or in a Linux container; native Windows support is designed in docs/architecture.md ("Windows") and not built.',
  ES_PROCESS_UNVERIFIED:
    'look at the process (`ps -p <pid> -o pid,lstart,command`): if it is the server, stop it by hand, then run `ephemeral-servers prune`.',
});

/** The line every message ends with: what to do, for its code. */
export function fixLine(code: ErrorCode): string {
  return `  What to do: ${ERROR_FIXES[code]}`;
}

/** Base class of every error thrown by ephemeral-servers. */
export class EphemeralServersError extends Error {
  /** Stable machine-readable code, e.g. `ES_PORT_IN_USE`. */
  readonly code: ErrorCode;

  /**
   * @param message What happened; the constructor appends {@link fixLine} (what to do) as the last line.
   */
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    // A message rebuilt from another process's error (the supervisor's answer) already ends with it.
    const fix = fixLine(code);
    super(message.endsWith(fix) ? message : `${message}\n${fix}`, options);
    this.code = code;
    this.name = 'EphemeralServersError';
  }
}

/** One problem found while validating a server config. */
export interface ConfigIssue {
  /** Server name the problem belongs to, when it belongs to one. */
  server?: string;
  /** Dotted path of the field inside the server spec, e.g. `readiness.path`; empty for the spec itself. */
  path: string;
  /** What is wrong and what to do. */
  message: string;
}

/**
 * The server config is invalid. Thrown once with every problem found (unknown field, empty command,
 * unknown `dependsOn`, dependency cycle, placeholder naming no server, …), not one at a time.
 */
export class ConfigError extends EphemeralServersError {
  /** Every problem found, in config order. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map((issue) => {
      const where = [
        issue.server === undefined ? '' : `server "${issue.server}"`,
        issue.path ? `field \`${issue.path}\`` : '',
      ]
        .filter(Boolean)
        .join(', ');
      return `  - ${where ? `${where}: ` : ''}${issue.message}`;
    });
    super(
      'ES_CONFIG_INVALID',
      `Invalid servers config (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * The process that holds a port, when it could be found: through `/proc/net/tcp*` and `/proc/<pid>/fd`
 * (procfs backend) or `lsof` (posix backend); another user's process only as root.
 */
export interface PortHolder {
  pid: number;
  /** Its command line, space-joined. */
  command: string;
}

/** A fixed `port` asked for by a server spec is already bound by another socket. */
export class PortInUseError extends EphemeralServersError {
  readonly server: string;
  readonly host: string;
  readonly port: number;
  /** Who holds the port, when it could be found. */
  readonly holder: PortHolder | undefined;

  constructor(server: string, host: string, port: number, holder?: PortHolder, options?: { cause?: unknown }) {
    super(
      'ES_PORT_IN_USE',
      `Server "${server}": port ${port} on ${host} is already in use${holder ? ` by pid ${holder.pid} (${holder.command})` : ''}.`,
      options,
    );
    this.name = 'PortInUseError';
    this.server = server;
    this.host = host;
    this.port = port;
    this.holder = holder;
  }
}

/** Binding the port was refused (EACCES), typically a port below 1024 without the privilege. */
export class PortPermissionError extends EphemeralServersError {
  readonly server: string;
  readonly host: string;
  readonly port: number;

  constructor(server: string, host: string, port: number, options?: { cause?: unknown }) {
    super(
      'ES_PORT_ACCESS',
      `Server "${server}": no permission to bind port ${port} on ${host} (EACCES): ports below 1024 need privileges.`,
      options,
    );
    this.name = 'PortPermissionError';
    this.server = server;
    this.host = host;
    this.port = port;
  }
}

/** No free port could be reserved, or a server kept losing its port to others after every retry. */
export class PortExhaustedError extends EphemeralServersError {
  readonly server: string;
  readonly attempts: number;

  constructor(server: string, attempts: number, detail: string, options?: { cause?: unknown }) {
    super(
      'ES_PORT_EXHAUSTED',
      `Server "${server}": could not get a port after ${attempts} attempts: ${detail}`,
      options,
    );
    this.name = 'PortExhaustedError';
    this.server = server;
    this.attempts = attempts;
  }
}

/** The executable of a command server does not exist or is not executable (spawn ENOENT / EACCES). */
export class CommandNotFoundError extends EphemeralServersError {
  readonly server: string;
  readonly command: readonly string[];

  constructor(server: string, command: readonly string[], options?: { cause?: unknown }) {
    super(
      'ES_COMMAND_NOT_FOUND',
      `Server "${server}": cannot run \`${command[0] ?? ''}\` (field \`command[0]\`): not found or not executable (commands are spawned without a shell).`,
      options,
    );
    this.name = 'CommandNotFoundError';
    this.server = server;
    this.command = command;
  }
}

/** How a process ended. */
export interface ExitStatus {
  /** Exit code, or `null` when a signal ended it. */
  code: number | null;
  /** Signal that ended it, or `null` when it exited by itself. */
  signal: NodeJS.Signals | null;
}

/** A log an error names: its kept copy, which outlives the run (see `keepLog`). */
function keptPath(logPath: string | undefined): string | undefined {
  return logPath === undefined ? undefined : keepLog(logPath);
}

function describeExit(status: ExitStatus): string {
  return status.signal === null ? `exit code ${status.code ?? 'unknown'}` : `signal ${status.signal}`;
}

/** An output summary (first and last lines, repeats collapsed: `summarizeOutput`) as indented lines. */
export function formatTail(tail: readonly string[]): string {
  return tail.length === 0 ? '\n  (no output)' : `\n  output:\n${tail.map((l) => `  | ${l}`).join('\n')}`;
}

/** A command server exited before it became ready. Carries its exit status and the end of its output. */
export class ServerExitedError extends EphemeralServersError {
  readonly server: string;
  readonly exit: ExitStatus;
  /** Last lines of the server's stdout and stderr, interleaved as written. */
  readonly outputTail: readonly string[];
  /** Path of the server's full log file, when it has one. */
  readonly logPath: string | undefined;

  constructor(server: string, exit: ExitStatus, outputTail: readonly string[], log?: string) {
    const logPath = keptPath(log);
    super(
      'ES_SERVER_EXITED',
      `Server "${server}" exited before it was ready (${describeExit(exit)}).${formatTail(outputTail)}${logPath ? `\n  full log: ${logPath}` : ''}`,
    );
    this.name = 'ServerExitedError';
    this.server = server;
    this.exit = exit;
    this.outputTail = outputTail;
    this.logPath = logPath;
  }
}

/**
 * A `setup` step of a command server failed, so its `command` never ran: the step exited with a
 * non-zero status or a signal, or was still running at the start deadline (`startTimeoutMs`, shared by
 * every step and the readiness probes; it was stopped). Its output is in the server's log.
 */
export class SetupStepError extends EphemeralServersError {
  readonly server: string;
  /** Index of the step in `setup`, from 0. */
  readonly step: number;
  /** The step's argv, placeholders expanded. */
  readonly argv: readonly string[];
  /** How it ended; `undefined` when it was stopped at the deadline. */
  readonly exit: ExitStatus | undefined;
  /** Last lines of the step's stdout and stderr, interleaved as written. */
  readonly outputTail: readonly string[];
  readonly logPath: string | undefined;

  constructor(
    server: string,
    step: number,
    argv: readonly string[],
    exit: ExitStatus | undefined,
    outputTail: readonly string[],
    log?: string,
    timeoutMs?: number,
  ) {
    const logPath = keptPath(log);
    const how =
      exit === undefined
        ? `was still running after the start deadline (startTimeoutMs ${timeoutMs ?? '?'} ms) and was stopped`
        : `failed (${describeExit(exit)})`;
    super(
      'ES_SETUP_FAILED',
      `Server "${server}": setup[${step}] \`${argv.join(' ')}\` ${how}, so the server was not started.${formatTail(outputTail)}` +
        (logPath ? `\n  full log: ${logPath}` : ''),
    );
    this.name = 'SetupStepError';
    this.server = server;
    this.step = step;
    this.argv = argv;
    this.exit = exit;
    this.outputTail = outputTail;
    this.logPath = logPath;
  }
}

/** Where and when a dead server died, for {@link ServerDeadError}. */
export interface ServerDeathDetails {
  /** Its worker slot (0: the run-scoped instance). */
  slot?: number;
  /** When the supervisor saw it exit (ISO 8601). */
  exitedAt?: string;
  /** Its log file (the kept copy, when the run keeps it). */
  logPath?: string;
}

/**
 * A server that was running has died since: asking for its endpoint raises this instead of a cascade of
 * ECONNREFUSED, and a failing test that used it gets it added to its failure (the adapters check).
 */
export class ServerDeadError extends EphemeralServersError {
  readonly server: string;
  /** Its worker slot (0: run-scoped), when known. */
  readonly slot: number | undefined;
  /** How it ended, when known (a server adopted after a supervisor restart dies without a status). */
  readonly exit: ExitStatus | undefined;
  /** When it died (ISO 8601), when known. */
  readonly exitedAt: string | undefined;
  /** Its first and last lines of output (see `summarizeOutput`). */
  readonly outputTail: readonly string[];
  /** Path of its full log, when it has one. */
  readonly logPath: string | undefined;

  constructor(
    server: string,
    exit: ExitStatus | undefined,
    outputTail: readonly string[],
    details: ServerDeathDetails = {},
  ) {
    const { slot, exitedAt } = details;
    const logPath = keptPath(details.logPath);
    const when = exitedAt === undefined ? '' : ` at ${exitedAt}${describeAgo(exitedAt)}`;
    super(
      'ES_SERVER_DEAD',
      `Server "${server}"${slot === undefined ? '' : ` (slot ${slot})`} died${when} while the tests were using it` +
        `${exit ? ` (${describeExit(exit)})` : ' (exit status unknown)'}.${formatTail(outputTail)}${logPath ? `\n  full log: ${logPath}` : ''}`,
    );
    this.name = 'ServerDeadError';
    this.server = server;
    this.slot = slot;
    this.exit = exit;
    this.exitedAt = exitedAt;
    this.outputTail = outputTail;
    this.logPath = logPath;
  }
}

function describeAgo(iso: string): string {
  const ms = Date.now() - Date.parse(iso);
  return Number.isFinite(ms) && ms >= 0 ? ` (${ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`} ago)` : '';
}

/** A server failed to start for a reason no more specific error covers (e.g. an in-process `listen` error). */
export class ServerStartError extends EphemeralServersError {
  readonly server: string;

  constructor(server: string, message: string, options?: { cause?: unknown }) {
    super('ES_START_FAILED', `Server "${server}": ${message}`, options);
    this.name = 'ServerStartError';
    this.server = server;
  }
}

/**
 * A start (`startRun`: a globalSetup, the CLI) was cut short by SIGINT, SIGTERM or SIGHUP: what had
 * started was stopped and the run directory removed. When no other listener handles the signal, the
 * process is ended by it right after this rejection is settled.
 */
export class StartInterruptedError extends EphemeralServersError {
  /** The signal that interrupted the start. */
  readonly signal: NodeJS.Signals;

  constructor(signal: NodeJS.Signals) {
    super(
      'ES_START_INTERRUPTED',
      `The start of the servers was interrupted by ${signal}: what had started was stopped and the run directory removed.`,
    );
    this.name = 'StartInterruptedError';
    this.signal = signal;
  }
}

/** A server did not pass its readiness probe within `startTimeoutMs`. */
export class ReadinessTimeoutError extends EphemeralServersError {
  readonly server: string;
  /** Description of the probe that was not satisfied, e.g. `http GET http://127.0.0.1:4100/health`. */
  readonly probe: string;
  readonly url: string;
  readonly elapsedMs: number;
  /** Message of the last failed probe attempt. */
  readonly lastError: string | undefined;
  readonly outputTail: readonly string[];
  /** Path of the server's full log (its kept copy), when it has one. */
  readonly logPath: string | undefined;

  constructor(fields: {
    server: string;
    probe: string;
    url: string;
    elapsedMs: number;
    lastError: string | undefined;
    outputTail: readonly string[];
    /** Path of the server's full log, when it has one. */
    logPath?: string;
  }) {
    const logPath = keptPath(fields.logPath);
    super(
      'ES_READINESS_TIMEOUT',
      `Server "${fields.server}" was not ready after ${fields.elapsedMs} ms: probe ${fields.probe} (${fields.url}) ` +
        `never passed${fields.lastError ? `; last error: ${fields.lastError}` : ''}.${formatTail(fields.outputTail)}${logPath ? `\n  full log: ${logPath}` : ''}`,
    );
    this.name = 'ReadinessTimeoutError';
    this.server = fields.server;
    this.probe = fields.probe;
    this.url = fields.url;
    this.elapsedMs = fields.elapsedMs;
    this.lastError = fields.lastError;
    this.outputTail = fields.outputTail;
    this.logPath = logPath;
  }
}

/** One line of a {@link StopError}: the error's message, after the server it names (its `server` field) unless the message names it already. */
function describeStopFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const server = (error as { server?: unknown } | null | undefined)?.server;
  if (typeof server !== 'string' || message.startsWith(`${server}:`) || message.includes(`"${server}"`)) return message;
  return `${server}: ${message}`;
}

/**
 * One or more servers could not be stopped (e.g. EPERM on kill). Every other server was still stopped.
 * Each line names the server (`<name>@<slot>: kill EPERM`).
 */
export class StopError extends EphemeralServersError {
  readonly errors: readonly unknown[];

  constructor(errors: readonly unknown[]) {
    super(
      'ES_STOP_FAILED',
      `Could not stop ${errors.length} server(s):\n${errors.map((e) => `  - ${describeStopFailure(e)}`).join('\n')}`,
      { cause: errors[0] },
    );
    this.name = 'StopError';
    this.errors = errors;
  }
}

/** No server of that name (and slot) is recorded in the state file. */
export class ServerNotFoundError extends EphemeralServersError {
  readonly server: string;
  readonly slot: number | undefined;

  constructor(server: string, slot: number | undefined, known: readonly string[], where: string) {
    super(
      'ES_SERVER_NOT_FOUND',
      `No server "${server}"${slot === undefined ? '' : ` for slot ${slot}`} in ${where}. ` +
        `Known: ${known.length ? known.join(', ') : '(none)'}.`,
    );
    this.name = 'ServerNotFoundError';
    this.server = server;
    this.slot = slot;
  }
}

/** Why a state file was rejected. */
export type StateFileProblem = 'missing' | 'corrupt' | 'foreign' | 'version';

const STATE_CODES: Record<StateFileProblem, ErrorCode> = {
  missing: 'ES_STATE_MISSING',
  corrupt: 'ES_STATE_CORRUPT',
  foreign: 'ES_STATE_FOREIGN',
  version: 'ES_STATE_VERSION',
};

/**
 * A state file could not be used: `missing` (no path given and `EPHEMERAL_SERVERS_STATE` unset, or no
 * file there), `corrupt` (not JSON or not our schema), `foreign` (owned by another user), `version`
 * (written by a newer ephemeral-servers).
 */
export class StateFileError extends EphemeralServersError {
  readonly path: string | undefined;
  readonly problem: StateFileProblem;

  constructor(problem: StateFileProblem, path: string | undefined, message: string, options?: { cause?: unknown }) {
    super(STATE_CODES[problem], message, options);
    this.name = 'StateFileError';
    this.problem = problem;
    this.path = path;
  }
}

/**
 * The run's supervisor refused a change sent to it (a state entry that does not fit the schema, an
 * unknown operation from another version of this package). Nothing of that change was applied.
 */
export class StateChangeError extends EphemeralServersError {
  /** The operation that was refused, e.g. `record`. */
  readonly op: string;
  /** Why, without the operation. */
  readonly detail: string;

  constructor(op: string, detail: string, options?: { cause?: unknown }) {
    super('ES_STATE_CHANGE_REJECTED', `The run's supervisor refused \`${op}\`: ${detail}`, options);
    this.name = 'StateChangeError';
    this.op = op;
    this.detail = detail;
  }
}

/**
 * No supervisor answers for the run: its socket is gone or refuses connections, and none came back
 * within the reconnect window (the owner restarts a supervisor that dies, in well under a second).
 * The run has ended, or its owner died with it.
 */
export class SupervisorUnreachableError extends EphemeralServersError {
  /** The run directory. */
  readonly runDir: string;

  constructor(runDir: string, detail: string, options?: { cause?: unknown }) {
    super(
      'ES_SUPERVISOR_UNREACHABLE',
      `No supervisor answers for the run in ${runDir} (${detail}): the run has ended or its owner died.`,
      options,
    );
    this.name = 'SupervisorUnreachableError';
    this.runDir = runDir;
  }
}

/**
 * A command server's main process exited before it was ready while a process it started (found by the
 * run's environment marker) kept running: the server daemonized (forked into the background). Those
 * processes were stopped. Keep it in the foreground.
 */
export class ServerDaemonizedError extends EphemeralServersError {
  readonly server: string;
  /** Pids of the background processes that were found and stopped. */
  readonly pids: readonly number[];

  constructor(server: string, pids: readonly number[], log?: string) {
    const logPath = keptPath(log);
    super(
      'ES_SERVER_DAEMONIZED',
      `Server "${server}" daemonized: its main process exited before it was ready while pid(s) ${pids.join(', ')} it started ` +
        `kept running (stopped now): it forked into the background.${logPath ? `\n  full log: ${logPath}` : ''}`,
    );
    this.name = 'ServerDaemonizedError';
    this.server = server;
    this.pids = pids;
  }
}

/** The run directory cannot be created where it would go (e.g. a `TMPDIR` too long for a Unix socket path). */
export class RunDirectoryError extends EphemeralServersError {
  /** The directory the run directory would have been created in. */
  readonly dir: string;

  constructor(message: string, dir: string, options?: { cause?: unknown }) {
    super('ES_RUN_DIR', message, options);
    this.name = 'RunDirectoryError';
    this.dir = dir;
  }
}

/**
 * The port reservation directory cannot be used safely: it is not a directory (a regular file, a
 * symlink, a file on its path), or belongs to another user (someone could plant or read our claims).
 * It is `EPHEMERAL_SERVERS_RESERVATION_DIR`, else `<os.tmpdir()>/ephemeral-servers-ports-<uid>`.
 */
export class PortReservationError extends EphemeralServersError {
  /** The reservation directory. */
  readonly dir: string;

  constructor(message: string, dir: string, options?: { cause?: unknown }) {
    super('ES_PORT_RESERVATION', message, options);
    this.name = 'PortReservationError';
    this.dir = dir;
  }
}

/** One server on which a test runner's config and the run of `ephemeral-servers run` disagree (see {@link RunConfigMismatchError}). */
export interface RunConfigDifference {
  server: string;
  /**
   * `extra`: started by `ephemeral-servers run`, but not a `run`-scoped server of the runner's config;
   * `missing`: a `run`-scoped server of the runner's config that `ephemeral-servers run` did not start;
   * `changed`: in both, with `fields` differing; `unverifiable`: recorded without a fingerprint (started
   * by another version of ephemeral-servers).
   */
  kind: 'extra' | 'missing' | 'changed' | 'unverifiable';
  /** The spec fields whose values differ (`changed`), e.g. `['command', 'env']`; empty otherwise. */
  fields: readonly string[];
}

/**
 * A test runner's global setup found the run of the `ephemeral-servers run` around it, but its servers
 * config differs from the one the CLI started that run with (another set of `run`-scoped servers, or a
 * `run`-scoped server whose spec differs): joining would hand the tests servers other than the ones
 * configured, and starting a second copy is what joining is there to prevent. Nothing was started.
 */
export class RunConfigMismatchError extends EphemeralServersError {
  /** The state file of the CLI's run. */
  readonly stateFile: string;
  /** Every server that differs, in the runner's config order, then the CLI's extra ones. */
  readonly differences: readonly RunConfigDifference[];

  constructor(stateFile: string, differences: readonly RunConfigDifference[]) {
    const lines = differences.map(({ server, kind, fields }) => {
      switch (kind) {
        case 'extra':
          return `  - server "${server}": started by \`ephemeral-servers run\`, but not a run-scoped server of the runner's config (removed, renamed, made worker-scoped, or handed to Playwright's webServer)`;
        case 'missing':
          return `  - server "${server}": a run-scoped server of the runner's config that \`ephemeral-servers run\` did not start`;
        case 'changed':
          return `  - server "${server}": ${fields.map((field) => `\`${field}\``).join(', ')} differ${fields.length === 1 ? 's' : ''}`;
        default:
          return `  - server "${server}": recorded without a fingerprint, by another version of ephemeral-servers`;
      }
    });
    super(
      'ES_RUN_CONFIG_MISMATCH',
      `The test runner's servers config differs from the one \`ephemeral-servers run\` started its run with (${stateFile}):\n${lines.join('\n')}\n` +
        '  Give both the same config file, from the same directory: `ephemeral-servers run --config <file>`, and that file for the ' +
        "runner's global setup (its `configFile` option; for Vitest and Jest also `EPHEMERAL_SERVERS_CONFIG=<file>`), with one " +
        'installed version of ephemeral-servers. Or run the test runner without `ephemeral-servers run`: its global setup starts the servers itself.',
    );
    this.name = 'RunConfigMismatchError';
    this.stateFile = stateFile;
    this.differences = differences;
  }
}

/**
 * Processes cannot be inspected here: neither backend works (`/proc` is missing, hidden or of another
 * pid namespace, and `ps` is missing or fails; see "Platform backends" in docs/architecture.md), or
 * `ps` failed mid-run. Without either, no process's identity can be checked, so nothing is started and
 * nothing is signalled.
 */
export class ProcessTableError extends EphemeralServersError {
  /** What failed, one line per backend or call, e.g. `procfs: /proc/self/stat cannot be read (ENOENT)`. */
  readonly reasons: readonly string[];

  constructor(reasons: readonly string[], options?: { cause?: unknown }) {
    super(
      'ES_PROCESS_TABLE',
      `Cannot inspect processes (${reasons.join('; ')}): ephemeral-servers needs /proc or a working \`ps\` to tell its own processes from others.`,
      options,
    );
    this.name = 'ProcessTableError';
    this.reasons = reasons;
  }
}

/**
 * A recorded server's process is running, but it cannot be proven to be that server: it is not this
 * supervisor's child, its start time was not recorded (or was recorded by the other platform backend,
 * so the two cannot be compared), and it does not carry the run's marker. It was not signalled, and
 * its entry stays in the state file.
 */
export class UnverifiedProcessError extends EphemeralServersError {
  /** State key of the server, `<name>@<slot>`. */
  readonly server: string;
  readonly pid: number;
  /** Why its identity could not be established. */
  readonly reason: string;

  constructor(server: string, pid: number, reason: string) {
    // No server name in the message: StopError and the sweep put it in front (it is in `server`).
    super(
      'ES_PROCESS_UNVERIFIED',
      `pid ${pid} is running but cannot be proven to be this server (${reason}), so it was not signalled.`,
    );
    this.name = 'UnverifiedProcessError';
    this.server = server;
    this.pid = pid;
    this.reason = reason;
  }
}

/**
 * This operating system is not supported: native Windows (`process.platform === 'win32'`). Process
 * groups, POSIX signals, `detached` and Unix sockets mean other things there (Node's child_process docs,
 * "options.detached"; libuv#3179 on job objects), so a run could neither stop its servers' descendants
 * nor guarantee teardown. Thrown before anything is created, spawned or signalled.
 */
export class PlatformUnsupportedError extends EphemeralServersError {
  /** `process.platform` of this process, e.g. `win32`. */
  readonly platform: string;

  constructor(platform: string) {
    super(
      'ES_PLATFORM_UNSUPPORTED',
      `ephemeral-servers does not run on ${platform === 'win32' ? 'native Windows' : platform} (process.platform ${JSON.stringify(platform)}): ` +
        'it needs POSIX process groups and signals, and Unix sockets, to stop every process of a run.',
    );
    this.name = 'PlatformUnsupportedError';
    this.platform = platform;
  }
}
