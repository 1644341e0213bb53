import { createServer } from 'node:net';
import { PortInUseError, PortPermissionError } from '../errors.js';
import { findPortHolder } from './find-port-holder.js';

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Binds a throwaway server on host:port and closes it again. */
function bindOnce(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => resolve());
    });
  });
}

/**
 * Tries to bind `port` on `host` with a throwaway server, then closes it. `localhost` is tried on
 * both `127.0.0.1` and `::1` (a machine without IPv6 skips `::1`), because servers differ in which one
 * they bind.
 *
 * Bind only ports you have reserved ({@link reservePort}): a probe holds the port for a moment, and a
 * server of another process binding it in that moment would fail with EADDRINUSE.
 *
 * @returns `undefined` when the port is free, or the bind error (`code` EADDRINUSE or EACCES).
 * @throws any other bind error (EADDRNOTAVAIL for a host that is not a local address, …).
 */
export async function probePort(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  const hosts = host === 'localhost' ? ['127.0.0.1', '::1'] : [host];
  for (const candidate of hosts) {
    try {
      await bindOnce(candidate, port);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'EADDRINUSE' || code === 'EACCES') return error as NodeJS.ErrnoException;
      if (host === 'localhost' && candidate === '::1' && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT'))
        continue;
      throw error;
    }
  }
  return undefined;
}

/**
 * Checks that a fixed port can be bound, so that a server asked to use it fails early with a clear
 * error instead of a confusing crash. Binds a throwaway server on host:port and closes it.
 *
 * @param server Server name, for the error message.
 * @param host Address the server will bind, e.g. `127.0.0.1`, `::1`, `0.0.0.0` or `localhost`.
 * @param port TCP port, 1–65535.
 * @throws PortInUseError (`ES_PORT_IN_USE`) on EADDRINUSE, with the holding process when
 *   {@link findPortHolder} finds it (Linux, a process whose `/proc/<pid>/fd` we may read).
 * @throws PortPermissionError (`ES_PORT_ACCESS`) on EACCES (a port below
 *   `/proc/sys/net/ipv4/ip_unprivileged_port_start`, 1024 by default, without the privilege).
 * @throws any other bind error unchanged.
 */
export async function assertPortAvailable(server: string, host: string, port: number): Promise<void> {
  const error = await probePort(host, port);
  if (error === undefined) return;
  if (error.code === 'EACCES') throw new PortPermissionError(server, host, port, { cause: error });
  throw new PortInUseError(server, host, port, await findPortHolder(port), { cause: error });
}
