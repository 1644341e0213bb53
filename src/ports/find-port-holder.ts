import { readFile, readdir, readlink } from 'node:fs/promises';
import type { PortHolder } from '../errors.js';
import { readCommandLine } from '../process/process-identity.js';
import { orUndefined, readListeningSockets } from './listening-ports.js';

/** Whether one of `pid`'s file descriptors is one of `sockets` (`socket:[<inode>]` links). */
async function holdsSocket(pid: number, sockets: ReadonlySet<string>): Promise<boolean> {
  const fds = await orUndefined(readdir(`/proc/${pid}/fd`));
  if (fds === undefined) return false;
  const links = await Promise.all(fds.map((fd) => orUndefined(readlink(`/proc/${pid}/fd/${fd}`))));
  return links.some((link) => link !== undefined && sockets.has(link));
}

/**
 * Finds the process listening on a TCP port (any address, IPv4 or IPv6), to name it in a
 * {@link PortInUseError}. Linux only: the listening socket's inode comes from `/proc/net/tcp*`, its
 * owner from the `socket:[inode]` links in `/proc/<pid>/fd`. This process is looked at first.
 *
 * @returns the holder's pid and space-joined command line, or `undefined` on other platforms, when no
 *   process listens on the port, or when the holder's `/proc/<pid>/fd` is closed to us (another user's
 *   process, unless we are root).
 * @throws only unexpected file system errors (not ENOENT, EACCES or EPERM).
 */
export async function findPortHolder(port: number): Promise<PortHolder | undefined> {
  const listening = (await readListeningSockets()) ?? [];
  const sockets = new Set(listening.filter((socket) => socket.port === port && socket.inode !== '0').map((socket) => `socket:[${socket.inode}]`));
  if (sockets.size === 0) return undefined;
  const entries = (await orUndefined(readdir('/proc'))) ?? [];
  const pids = entries.map(Number).filter((pid) => Number.isInteger(pid) && pid > 0 && pid !== process.pid);
  for (const pid of [process.pid, ...pids]) {
    if (await holdsSocket(pid, sockets)) {
      const command = readCommandLine(pid);
      return { pid, command: command || (await orUndefined(readFile(`/proc/${pid}/comm`, 'utf8')))?.trim() || '(unknown)' };
    }
  }
  return undefined;
}
