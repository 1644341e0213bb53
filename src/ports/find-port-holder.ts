import type { PortHolder } from '../errors.js';
import { platformBackend } from '../platform/select-backend.js';

/**
 * Finds the process listening on a TCP port (any address, IPv4 or IPv6), to name it in a
 * {@link PortInUseError}, through the platform backend: procfs takes the socket's inode from
 * `/proc/net/tcp*` and its owner from the `socket:[inode]` links in `/proc/<pid>/fd` (proc(5)); posix
 * asks `lsof -iTCP:<port> -sTCP:LISTEN` (lsof(8)) and the command line from `ps`. This process is
 * preferred when it is one of the holders.
 *
 * @returns the holder's pid and space-joined command line, or `undefined` when no process listens on
 *   the port, or when the holder is hidden from us (another user's process, unless we are root; no
 *   lsof installed).
 * @throws only unexpected errors (a file system error other than ENOENT, EACCES or EPERM; a failed
 *   spawn other than ENOENT); ProcessTableError when no backend works here.
 */
export async function findPortHolder(port: number): Promise<PortHolder | undefined> {
  return platformBackend().findPortHolder(port);
}
