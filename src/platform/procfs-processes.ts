import { readFileSync, readdirSync } from 'node:fs';
import type { EnvironmentQuery, ProcessStatus } from './platform-backend.js';

/**
 * Processes through Linux `/proc` (proc(5)). Moved here unchanged from `process-identity.ts`,
 * `marked-processes.ts` and `cli/foreground.ts`: one file read per question, no process spawned, so
 * this stays the hot path of every stop and readiness check on Linux (measured by `npm run bench`).
 */

/** Errors expected while reading `/proc`: processes vanish (ENOENT, ESRCH) and other users' files are closed (EACCES, EPERM). */
export function isExpectedProcError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES' || code === 'EPERM';
}

/** The fields of `/proc/<pid>/stat` after the command name: `fields[0]` is field 3 (state), field N is `fields[N - 3]`. */
function readStatFields(pid: number | 'self'): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    if (isExpectedProcError(error)) return undefined;
    throw error;
  }
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** Parses `/proc/<pid>/stat` (state, ppid, pgrp, starttime); `undefined` when there is no such process. */
export function readProcStat(pid: number): ProcessStatus | undefined {
  const fields = readStatFields(pid);
  if (fields === undefined) return undefined;
  const state = fields[0] ?? '?';
  return {
    pid,
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    zombie: state === 'Z' || state === 'X',
    startTime: fields[19] || undefined,
  };
}

/** Numeric entries of `/proc`: every pid of this pid namespace. */
function listPids(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries.map(Number).filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** Live members of process group `pgid`: one `stat` file read per process. */
export function listProcGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const pid of listPids()) {
    const stat = readProcStat(pid);
    if (stat && stat.pgid === pgid && !stat.zombie) members.push(pid);
  }
  return members;
}

/** The last pid handed out in this namespace (`/proc/sys/kernel/ns_last_pid`), when readable. */
function lastPid(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EACCES')
      return undefined;
    throw error;
  }
}

/**
 * Processes whose `/proc/<pid>/environ` holds every pair of `query.env`: readable only for this user's
 * processes (or every process as root), so another user's are never matched. Zombies have an empty
 * environ and are not matched.
 */
export function findProcsWithEnvironment(query: EnvironmentQuery): number[] {
  const needles = Object.entries(query.env).map(([name, value]) => `\0${name}=${value}\0`);
  const last = query.newerThanPid === undefined ? undefined : lastPid();
  const floor =
    last !== undefined && query.newerThanPid !== undefined && last >= query.newerThanPid ? query.newerThanPid : 0;
  const found: number[] = [];
  for (const pid of query.pids ?? listPids()) {
    if (pid <= floor || pid === process.pid) continue;
    let environ: string;
    try {
      environ = `\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`;
    } catch (error) {
      if (isExpectedProcError(error)) continue;
      throw error;
    }
    if (needles.every((needle) => environ.includes(needle))) found.push(pid);
  }
  return found;
}

/** Command line of a process (`/proc/<pid>/cmdline`, NUL-separated), space-joined; its `comm` when that is empty (a kernel thread). */
export function readProcCommandLine(pid: number): string | undefined {
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return command || readFileSync(`/proc/${pid}/comm`, 'utf8').trim() || undefined;
  } catch (error) {
    if (isExpectedProcError(error)) return undefined;
    throw error;
  }
}

/**
 * Whether this process is in the foreground process group of its controlling terminal, from
 * `/proc/self/stat` (`pgrp`, `tty_nr`, `tpgid`); `false` without a terminal.
 */
export function isProcTerminalForeground(): boolean {
  const fields = readStatFields('self');
  if (fields === undefined) return false;
  // state ppid pgrp session tty_nr tpgid
  const [, , pgrp, , ttyNr, tpgid] = fields;
  return ttyNr !== '0' && pgrp === tpgid;
}

/**
 * Why `/proc` cannot serve this process, or `undefined` when it can: `/proc/self/stat` must be
 * readable and name this process (its pid and parent pid); a `/proc` of another pid namespace, an
 * empty tmpfs over it, or none at all fail the check.
 */
export function checkProcfs(): string | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/stat', 'utf8');
  } catch (error) {
    if (!isExpectedProcError(error) && (error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
    return `/proc/self/stat cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  const pid = Number(text.slice(0, text.indexOf(' ')));
  const ppid = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
  if (pid !== process.pid || ppid !== process.ppid) {
    return `/proc/self/stat names pid ${pid} (parent ${ppid}), not this process (pid ${process.pid}, parent ${process.ppid}): a /proc of another pid namespace`;
  }
  return undefined;
}
