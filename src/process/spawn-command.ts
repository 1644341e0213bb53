import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { CommandNotFoundError, ServerStartError, type ExitStatus } from '../errors.js';
import { LogFollower } from './log-follower.js';
import { readProcessStartTime } from './process-identity.js';

/** What {@link spawnCommand} needs. */
export interface SpawnCommandOptions {
  /** Server name, for errors. */
  server: string;
  /** argv, placeholders already expanded. */
  command: readonly string[];
  /** Absolute working directory. */
  cwd: string;
  /** Complete environment of the child. */
  env: NodeJS.ProcessEnv;
  /** Log file receiving stdout and stderr (created 0600, appended to). */
  logPath: string;
}

/** A spawned command server. */
export interface SpawnedCommand {
  pid: number;
  /** Process group id; the child leads its own group, so it equals `pid`. */
  pgid: number;
  /** Identity of `pid` against reuse (see process-identity.ts). */
  startTime: string | undefined;
  /** Follows the log file: output lines for `log` probes and error tails. */
  output: LogFollower;
  /** Resolves when the child exits, with its code or signal. Never rejects. */
  exited: Promise<ExitStatus>;
  /** The exit status once known. */
  exitStatus(): ExitStatus | undefined;
  /** Stops the child handle from keeping this process alive (done once the server is ready). */
  unref(): void;
}

/**
 * Spawns a command server without a shell, detached into its own process group (`setsid`, so the
 * whole group can be signalled and the server survives the worker that spawned it), with stdout and
 * stderr written straight to `logPath` through a file descriptor: no pipe to us, so the server never
 * gets EPIPE/SIGPIPE when the spawning process exits. The child handle keeps this process alive
 * until `unref()` is called (the lifecycle calls it once the server is ready, so a started server never
 * keeps a test process alive by itself, while a start in progress is never cut short by an empty event
 * loop).
 *
 * @throws CommandNotFoundError when the executable does not exist or cannot be executed (ENOENT, EACCES).
 * @throws ServerStartError when `cwd` is not a directory, or spawning fails otherwise.
 */
export async function spawnCommand(options: SpawnCommandOptions): Promise<SpawnedCommand> {
  const { server, command, cwd, env, logPath } = options;
  let cwdIsDirectory = false;
  try {
    cwdIsDirectory = statSync(cwd).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (!cwdIsDirectory) {
    throw new ServerStartError(server, `\`cwd\` ${cwd} is not a directory. Fix the server's \`cwd\` field.`);
  }
  const [file, ...args] = command;
  if (file === undefined) throw new ServerStartError(server, '`command` is empty.');

  const fd = openSync(logPath, 'a', 0o600);
  // An earlier instance under the same name may have written to this log: follow only what comes next.
  const startOffset = fstatSync(fd).size;
  let child;
  try {
    child = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd], windowsHide: true });
  } finally {
    closeSync(fd);
  }
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      status = { code, signal };
      resolve(status);
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EACCES') reject(new CommandNotFoundError(server, command, { cause: error }));
      else reject(new ServerStartError(server, `could not spawn \`${file}\`: ${error.message}`, { cause: error }));
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new ServerStartError(server, `spawning \`${file}\` gave no pid`);
  return {
    pid,
    pgid: pid,
    startTime: readProcessStartTime(pid),
    output: new LogFollower(logPath, startOffset),
    exited,
    exitStatus: () => status,
    unref: () => child.unref(),
  };
}
