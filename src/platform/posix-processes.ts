import { ProcessTableError } from '../errors.js';
import type { EnvironmentQuery, ProcessStatus } from './platform-backend.js';
import { runPs } from './posix-tools.js';
import { posixStartTime } from './start-time.js';

/**
 * Processes through ps(1), for macOS, the BSDs and Linux without `/proc`: only the options POSIX and
 * BSD `ps` share (`-A`, `-p`, `-o pid,ppid,pgid,stat,lstart,tpgid,command`, and BSD `eww` for the
 * environment). A `ps` spawn costs milliseconds, so every question is one call: a whole table at once
 * (`-A`) or a list of pids (`-p a,b,c`), never one call per pid; and a pid that `kill(pid, 0)` already
 * reports gone (`ESRCH`) is not asked about at all.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** `lstart` in the C locale: `Wed Dec  2 01:54:19 2026` (ps prints it in the `TZ` the tools run with: UTC). */
const LSTART = /^[A-Z][a-z]{2}\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})$/;

/** Parses a `ps -o lstart=` value printed in UTC into seconds since the epoch; `undefined` when it is not one. */
export function parseLstart(text: string): number | undefined {
  const match = LSTART.exec(text.trim());
  if (match === null) return undefined;
  const [, month, day, hours, minutes, seconds, year] = match;
  const monthIndex = MONTHS.indexOf(month!);
  if (monthIndex === -1) return undefined;
  return Date.UTC(Number(year), monthIndex, Number(day), Number(hours), Number(minutes), Number(seconds)) / 1000;
}

/** Whether a `stat` value (`Ss`, `Z+`, `R`) is a zombie or dead process. */
function isZombieState(stat: string | undefined): boolean {
  return stat === undefined || stat.startsWith('Z') || stat.startsWith('X');
}

/**
 * Whether `kill(pid, 0)` finds a process (ours or, with `EPERM`, another user's); for a negative pid, a
 * process group with a member (kill(2)).
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') return true;
    throw error;
  }
}

const STATUS_COLUMNS = 'pid=,ppid=,pgid=,stat=,lstart=';

/** Parses lines of `ps -o pid=,ppid=,pgid=,stat=,lstart=` (lstart last: it holds spaces). */
function parseStatusLines(lines: readonly string[], psPid: number | undefined): Map<number, ProcessStatus> {
  const found = new Map<number, ProcessStatus>();
  for (const line of lines) {
    const [pid, ppid, pgid, stat, ...lstart] = line.trim().split(/\s+/);
    const status: ProcessStatus = {
      pid: Number(pid),
      ppid: Number(ppid),
      pgid: Number(pgid),
      zombie: isZombieState(stat),
      startTime: undefined,
    };
    if (!Number.isInteger(status.pid) || status.pid === psPid) continue;
    const seconds = parseLstart(lstart.join(' '));
    status.startTime = seconds === undefined ? undefined : posixStartTime(seconds);
    found.set(status.pid, status);
  }
  return found;
}

/** Status of `pids` in one `ps -p` call; those `kill(pid, 0)` reports gone are not asked about. */
export function readPsProcesses(pids: readonly number[]): Map<number, ProcessStatus> {
  const existing = [...new Set(pids)].filter((pid) => Number.isInteger(pid) && pid > 0 && processExists(pid));
  if (existing.length === 0) return new Map();
  const { lines, pid } = runPs(['-o', STATUS_COLUMNS, '-p', existing.join(',')]);
  return parseStatusLines(lines, pid);
}

/** Live members of process group `pgid`: one `ps -A`. */
export function listPsGroupMembers(pgid: number): number[] {
  const { lines, pid: psPid } = runPs(['-A', '-o', 'pid=,pgid=,stat=']);
  const members: number[] = [];
  for (const line of lines) {
    const [pid, group, stat] = line.trim().split(/\s+/);
    if (Number(group) === pgid && Number(pid) !== psPid && !isZombieState(stat)) members.push(Number(pid));
  }
  return members;
}

/** Whether `text` holds ` NAME=value` as a whole space-separated token. */
function hasToken(text: string, needle: string): boolean {
  return `${text} `.includes(`${needle} `);
}

/**
 * Processes whose environment holds every pair of `query.env`, from `ps eww` (the environment after
 * the command line; BSD and procps alike; where the OS shows it: another user's processes, and on
 * macOS some protected ones, show none). A match in the command line is not a match: the candidates
 * are asked again without `e`, and only what follows their command line counts. Two calls when
 * something matches, one otherwise.
 */
export function findPsProcessesWithEnvironment(query: EnvironmentQuery): number[] {
  if (query.pids !== undefined && query.pids.length === 0) return [];
  const needles = Object.entries(query.env).map(([name, value]) => ` ${name}=${value}`);
  const selection = query.pids === undefined ? ['-A'] : ['-p', query.pids.join(',')];
  const withEnvironment = runPs(['eww', ...selection, '-o', 'pid=,stat=,command=']);
  const candidates = new Map<number, string>();
  for (const line of withEnvironment.lines) {
    const match = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === withEnvironment.pid || pid === process.pid || isZombieState(match[2])) continue;
    if (needles.every((needle) => hasToken(match[3]!, needle))) candidates.set(pid, match[3]!);
  }
  if (candidates.size === 0) return [];
  const commandLines = runPs(['-ww', '-o', 'pid=,command=', '-p', [...candidates.keys()].join(',')]);
  const found: number[] = [];
  for (const line of commandLines.lines) {
    const match = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (match === null) continue;
    const pid = Number(match[1]);
    const full = candidates.get(pid);
    const command = match[2]!.trim();
    if (full === undefined || !full.startsWith(command)) continue;
    const environment = full.slice(command.length);
    if (needles.every((needle) => hasToken(environment, needle))) found.push(pid);
  }
  return found;
}

/** Command line of a process (`ps -ww -o command=`), or `undefined` when it is gone. */
export function readPsCommandLine(pid: number): string | undefined {
  if (!processExists(pid)) return undefined;
  return runPs(['-ww', '-o', 'command=', '-p', String(pid)]).lines[0]?.trim() || undefined;
}

/**
 * Whether this process is in the foreground process group of its controlling terminal: `ps -o
 * pgid=,tpgid=` (tpgid is the terminal's foreground group: -1 on procps and 0 on BSD without one).
 */
export function isPsTerminalForeground(): boolean {
  const [pgid, tpgid] = (runPs(['-o', 'pgid=,tpgid=', '-p', String(process.pid)]).lines[0] ?? '')
    .trim()
    .split(/\s+/)
    .map(Number);
  return tpgid !== undefined && tpgid > 0 && pgid === tpgid;
}

/**
 * Why `ps` cannot serve this process, or `undefined` when it can: `ps -o pid=,ppid= -p <this pid>`
 * must name this process and its parent (procps without `/proc` fails; a `ps` of another pid
 * namespace names another process).
 */
export function checkPs(): string | undefined {
  let lines: string[];
  try {
    lines = runPs(['-o', 'pid=,ppid=', '-p', String(process.pid)]).lines;
  } catch (error) {
    if (error instanceof ProcessTableError) return error.reasons.join('; ');
    throw error;
  }
  const [pid, ppid] = (lines[0] ?? '').trim().split(/\s+/).map(Number);
  if (pid !== process.pid || ppid !== process.ppid) {
    return `\`ps -p ${process.pid}\` answers ${lines.length === 0 ? 'nothing' : `pid ${pid} (parent ${ppid})`}, not this process (parent ${process.ppid})`;
  }
  return undefined;
}
