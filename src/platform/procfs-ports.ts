import { readFileSync } from 'node:fs';
import { readFile, readdir, readlink } from 'node:fs/promises';
import type { PortHolder } from '../errors.js';
import type { PortRangeReading } from './platform-backend.js';
import { parsePortRange, parseReservedPorts } from './port-range-text.js';
import { isExpectedProcError, readProcCommandLine } from './procfs-processes.js';

/**
 * Sockets and port settings through Linux `/proc` (proc(5)). Moved here unchanged from
 * `ports/listening-ports.ts`, `ports/find-port-holder.ts` and `ports/ephemeral-port-range.ts`.
 */

/**
 * Awaits `promise`, answering `undefined` for the errors expected while reading `/proc` (ENOENT,
 * ESRCH, EACCES, EPERM); rethrows any other.
 */
async function orUndefined<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (isExpectedProcError(error)) return undefined;
    throw error;
  }
}

const LISTEN = '0A';

/** A listening TCP socket: its local port and its socket inode. */
interface ListeningSocket {
  port: number;
  inode: string;
}

/**
 * The listening TCP sockets of this network namespace, from `/proc/net/tcp` and `/proc/net/tcp6`:
 * columns `sl local_address rem_address st … inode`, addresses as `HEXIP:HEXPORT`, state `0A` =
 * LISTEN. `undefined` where there is no `/proc/net/tcp`.
 */
async function readListeningSockets(): Promise<ListeningSocket[] | undefined> {
  const sockets: ListeningSocket[] = [];
  let found = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await orUndefined(readFile(table, 'utf8'));
    if (text === undefined) continue; // no IPv6
    found = true;
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const inode = fields[9];
      if (local === undefined || inode === undefined || fields[3] !== LISTEN) continue;
      sockets.push({ port: Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16), inode });
    }
  }
  return found ? sockets : undefined;
}

/** Ports with a listening TCP socket on any address, IPv4 or IPv6 (read, never bound: it cannot disturb another process's bind). */
export async function listProcListeningPorts(): Promise<Set<number> | undefined> {
  const sockets = await readListeningSockets();
  return sockets && new Set(sockets.map((socket) => socket.port));
}

/** Whether one of `pid`'s file descriptors is one of `sockets` (`socket:[<inode>]` links). */
async function holdsSocket(pid: number, sockets: ReadonlySet<string>): Promise<boolean> {
  const fds = await orUndefined(readdir(`/proc/${pid}/fd`));
  if (fds === undefined) return false;
  const links = await Promise.all(fds.map((fd) => orUndefined(readlink(`/proc/${pid}/fd/${fd}`))));
  return links.some((link) => link !== undefined && sockets.has(link));
}

/**
 * The process listening on TCP `port`: the listening socket's inode from `/proc/net/tcp*`, its owner
 * from the `socket:[inode]` links in `/proc/<pid>/fd` (closed to us for another user's process,
 * unless we are root). This process is looked at first.
 */
export async function findProcPortHolder(port: number): Promise<PortHolder | undefined> {
  const listening = (await readListeningSockets()) ?? [];
  const sockets = new Set(
    listening
      .filter((socket) => socket.port === port && socket.inode !== '0')
      .map((socket) => `socket:[${socket.inode}]`),
  );
  if (sockets.size === 0) return undefined;
  const entries = (await orUndefined(readdir('/proc'))) ?? [];
  const pids = entries.map(Number).filter((pid) => Number.isInteger(pid) && pid > 0 && pid !== process.pid);
  for (const pid of [process.pid, ...pids]) {
    if (await holdsSocket(pid, sockets)) return { pid, command: readProcCommandLine(pid) ?? '(unknown)' };
  }
  return undefined;
}

function readSysctlFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM') return undefined;
    throw error;
  }
}

/** `/proc/sys/net/ipv4/ip_local_port_range` without the ports of `ip_local_reserved_ports`. */
export function readProcPortRange(): PortRangeReading | undefined {
  const bounds = parsePortRange(readSysctlFile('/proc/sys/net/ipv4/ip_local_port_range'));
  if (bounds === undefined) return undefined;
  return {
    first: bounds[0],
    last: bounds[1],
    reserved: parseReservedPorts(readSysctlFile('/proc/sys/net/ipv4/ip_local_reserved_ports') ?? ''),
  };
}
