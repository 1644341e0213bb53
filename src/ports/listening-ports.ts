import { readFile } from 'node:fs/promises';

/** Errors expected while walking `/proc`: entries vanish (ENOENT) and other users' are closed to us. */
function isExpected(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'EACCES' || code === 'EPERM';
}

/**
 * Awaits `promise`, answering `undefined` for the errors expected while reading `/proc` (ENOENT,
 * EACCES, EPERM); rethrows any other.
 */
export async function orUndefined<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (isExpected(error)) return undefined;
    throw error;
  }
}

const LISTEN = '0A';

/** A listening TCP socket: its local port and its socket inode. */
export interface ListeningSocket {
  port: number;
  inode: string;
}

/**
 * The listening TCP sockets of this network namespace, from `/proc/net/tcp` and `/proc/net/tcp6`
 * (proc(5)): columns `sl local_address rem_address st … inode`, addresses as `HEXIP:HEXPORT`, state
 * `0A` = LISTEN. `undefined` where there is no `/proc/net/tcp` (not Linux, or no /proc mounted).
 */
export async function readListeningSockets(): Promise<ListeningSocket[] | undefined> {
  if (process.platform !== 'linux') return undefined;
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

/**
 * Ports with a listening TCP socket on any address, IPv4 or IPv6 (Linux, from `/proc/net/tcp*`; this
 * reads and never binds, so it cannot disturb another process's bind).
 * @returns the ports, or `undefined` on platforms without `/proc/net/tcp`.
 */
export async function listListeningPorts(): Promise<Set<number> | undefined> {
  const sockets = await readListeningSockets();
  return sockets && new Set(sockets.map((socket) => socket.port));
}
