import { execFile, spawnSync } from 'node:child_process';
import { ProcessTableError } from '../errors.js';

/**
 * Runs the system tools of the posix backend: ps(1), lsof(8), sysctl(8). One wrapper of our own, not a
 * library: ps-list (pid, ppid, uid, cpu, memory, command), pidtree (ppid, pid) and tree-kill (`ps
 * --ppid`, `pgrep -P`) give neither start time nor state nor process group nor environment; execa and
 * Playwright's processLauncher only signal their own children (`kill(-pid)`) and need none of them.
 *
 * Every tool runs with a fixed environment: `LC_ALL=C` (English month and day names), `TZ=UTC` (start
 * times printed in UTC) and this process's `PATH` plus `/usr/sbin:/sbin` (where sysctl lives). None
 * of our markers: a tool must never look like one of the run's processes.
 */
const TOOL_ENV: NodeJS.ProcessEnv = {
  LC_ALL: 'C',
  TZ: 'UTC',
  PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`,
};

/** ps output can hold every process's environment (`eww`): allow far more than Node's 1 MiB default. */
const MAX_BUFFER = 256 * 1024 * 1024;

/** What a tool printed: its stdout lines (trailing empty line dropped) and the pid it ran as. */
export interface ToolOutput {
  lines: string[];
  /** Pid of the tool's own process: `ps -A` lists itself, and that entry is not one to report. */
  pid: number | undefined;
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * Runs `ps` synchronously (the process module's questions are synchronous). Exit status 1 with nothing
 * on stdout is "no such process" (`-p` matched nothing, on procps and BSD alike): no lines.
 *
 * @throws ProcessTableError when `ps` is missing or fails otherwise; the spawn error when it is not
 *   ENOENT (EAGAIN, EMFILE: the machine is out of processes or descriptors).
 */
export function runPs(args: readonly string[]): ToolOutput {
  const result = spawnSync('ps', args, {
    env: TOOL_ENV,
    encoding: 'utf8',
    maxBuffer: MAX_BUFFER,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error !== undefined) {
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ProcessTableError(['`ps` is not on PATH'], { cause: result.error });
    throw result.error;
  }
  if (result.status === 0 || (result.status === 1 && result.stdout.trim() === '')) {
    return { lines: result.status === 0 ? splitLines(result.stdout) : [], pid: result.pid };
  }
  const how = result.status === null ? `was killed by ${String(result.signal)}` : `exited with ${result.status}`;
  throw new ProcessTableError([
    `\`ps ${args.join(' ')}\` ${how}${result.stderr.trim() ? `: ${result.stderr.trim()}` : ''}`,
  ]);
}

/**
 * Runs `sysctl -n <names>` and answers its stdout lines, or `undefined` when sysctl is missing or
 * does not know a name (each platform names its settings differently).
 */
export function runSysctl(names: readonly string[]): string[] | undefined {
  const result = spawnSync('sysctl', ['-n', ...names], {
    env: TOOL_ENV,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error !== undefined) {
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw result.error;
  }
  return result.status === 0 ? splitLines(result.stdout) : undefined;
}

/**
 * Runs `lsof` asynchronously (the port questions are asynchronous: it can take tens of milliseconds).
 * Exit status 1 is "nothing found" (or found with warnings); its stdout is used either way.
 *
 * @returns stdout lines, or `undefined` when lsof is not installed or fails (another status).
 * @throws the spawn error when it is not ENOENT.
 */
export function runLsof(args: readonly string[]): Promise<string[] | undefined> {
  return new Promise((resolve, reject) => {
    execFile('lsof', args, { env: TOOL_ENV, encoding: 'utf8', maxBuffer: MAX_BUFFER }, (error, stdout) => {
      if (error === null) return resolve(splitLines(stdout));
      const code = (error as NodeJS.ErrnoException & { code?: unknown }).code;
      if (code === 'ENOENT') return resolve(undefined);
      if (typeof code === 'number') return resolve(code === 1 ? splitLines(stdout) : undefined);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an Error at run time; @types/node types it `Omit<ExecException, 'code'> & …`, which is not
      reject(error);
    });
  });
}
