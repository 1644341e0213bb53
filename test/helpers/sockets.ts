/**
 * Listening sockets for tests: real TCP servers in this process, closed after each test by
 * {@link closeListeners} (call it in `afterEach`).
 */
import { createServer, type Server } from 'node:net';

const listeners: Server[] = [];

/**
 * Listens on `host:port` with a plain `net.Server` that accepts and ignores connections, and resolves
 * with the bound port (the kernel's pick for `port` 0).
 * @param port @default 0
 * @throws the listen error (EADDRINUSE, EADDRNOTAVAIL, …).
 */
export function listenOn(host: string, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port }, () => {
      listeners.push(server);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** Closes every listener {@link listenOn} opened since the last call. */
export async function closeListeners(): Promise<void> {
  await Promise.all(listeners.splice(0).map((server) => new Promise((done) => server.close(done))));
}
