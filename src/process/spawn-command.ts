import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, statSync } from 'node:fs';
import { CommandNotFoundError, ServerStartError, type ExitStatus } from '../errors.js';
import { readProcessStartTime } from './process-identity.js';

/** What {@link spawnCommand} needs. */
export interface SpawnCommandOptions {
  /** argv, placeholders already expanded. */
  command: readonly string[];
  /** Absolute working directory. */
  cwd: string;
  /** Complete environment of the child. */
  env: NodeJS.ProcessEnv;
  /** Log file receiving stdout and stderr (created 0600, appended to). */
  logPath: string;
  /** User and group ids to run it as (Node's `spawn` `uid`/`gid`; needs root). @default this process's */
  uid?: number;
  gid?: number;
}

/** A spawned command server, seen from its parent. */
export interface SpawnedCommand {
  child: ChildProcess;
  pid: number;
  /** Process group id; the child leads its own group, so it equals `pid`. */
  pgid: number;
  /** Identity of `pid` against reuse (see process-identity.ts). */
  startTime: string | undefined;
  /** Resolves when the child exits, with its code or signal. Never rejects. */
  exited: Promise<ExitStatus>;
}

/**
 * Checks what can be checked before asking for a spawn, so that the error names the field: `cwd` is a
 * directory and `command` is not empty.
 *
 * @throws ServerStartError naming `cwd` or `command`.
 */
export function assertSpawnable(server: string, command: readonly string[], cwd: string): void {
  let cwdIsDirectory = false;
  try {
    cwdIsDirectory = statSync(cwd).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (!cwdIsDirectory)
    throw new ServerStartError(server, `\`cwd\` ${cwd} is not a directory. Fix the server's \`cwd\` field.`);
  if (command.length === 0) throw new ServerStartError(server, '`command` is empty.');
}

/**
 * The typed error for a failed spawn: `CommandNotFoundError` for `ENOENT`/`EACCES` (no such
 * executable, or not executable), else `ServerStartError`.
 */
export function spawnError(
  server: string,
  command: readonly string[],
  error: { code?: string; message: string },
): Error {
  if (error.code === 'ENOENT' || error.code === 'EACCES')
    return new CommandNotFoundError(server, command, { cause: error });
  return new ServerStartError(server, `could not spawn \`${command[0] ?? ''}\`: ${error.message}`, { cause: error });
}

/**
 * Spawns a command without a shell, detached into its own process group and session (`setsid`, so the
 * whole group can be signalled and a terminal's Ctrl+C does not reach it), with stdout and stderr
 * written straight to `logPath` through a file descriptor: no pipe to the parent, so the server never
 * gets EPIPE/SIGPIPE when a reader goes away, and a `log` probe follows the file. Called by the run's
 * supervisor, which stays the server's parent: it learns each exit at once, with its status.
 *
 * @throws The spawn error (`ENOENT`, `EACCES`, `EAGAIN`, …) as Node reports it (see {@link spawnError}).
 */
export async function spawnCommand(options: SpawnCommandOptions): Promise<SpawnedCommand> {
  const { command, cwd, env, logPath, uid, gid } = options;
  const [file, ...args] = command;
  if (file === undefined) throw new TypeError('spawnCommand: `command` is empty');
  const fd = openSync(logPath, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(file, args, {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', fd, fd],
      windowsHide: true,
      ...(uid === undefined ? {} : { uid }),
      ...(gid === undefined ? {} : { gid }),
    });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const pid = child.pid!;
  return { child, pid, pgid: pid, startTime: readProcessStartTime(pid), exited };
}
