import { createServer, Server as HttpServer, type RequestListener } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { AppLike } from '../config/types.js';
import { PortInUseError, PortPermissionError, ServerStartError } from '../errors.js';

/** A listening in-process server. */
export interface StartedInProcessServer {
  /** The port it listens on (the kernel's pick when asked for port 0). */
  port: number;
  /**
   * Closes it: stops accepting, closes idle keep-alive connections at once, gives in-flight requests
   * up to `stopTimeoutMs` milliseconds, then destroys every remaining socket. Never hangs.
   */
  close(stopTimeoutMs: number): Promise<void>;
}

type ListenCloseApp = { listen(...args: unknown[]): unknown; close(...args: unknown[]): unknown; server?: unknown };

function isListenCloseApp(app: unknown): app is ListenCloseApp {
  return (
    typeof app === 'object' &&
    app !== null &&
    typeof (app as ListenCloseApp).listen === 'function' &&
    typeof (app as ListenCloseApp).close === 'function'
  );
}

function listenError(server: string, host: string, port: number, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new PortInUseError(server, host, port, undefined, { cause: error });
  if (code === 'EACCES') return new PortPermissionError(server, host, port, { cause: error });
  return new ServerStartError(server, `listen on ${host}:${port} failed: ${(error as Error).message}`, {
    cause: error,
  });
}

/** Tracks sockets so that close can destroy them (for plain `net.Server`s without `closeAllConnections`). */
function trackSockets(server: NetServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

async function closeNetServer(server: NetServer, sockets: Set<Socket>, stopTimeoutMs: number): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  if (server instanceof HttpServer) server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), stopTimeoutMs);
    timer.unref();
  });
  const first = await Promise.race([closed.then(() => 'closed' as const), deadline]);
  clearTimeout(timer);
  if (first === 'timeout') {
    if (server instanceof HttpServer) server.closeAllConnections();
    for (const socket of sockets) socket.destroy();
    await closed;
  }
}

async function listenNetServer(server: NetServer, name: string, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(listenError(name, host, port, error));
    server.once('error', onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Starts an in-process server from what the spec's `app` factory returned:
 * - a `net.Server` (`http.Server`, `https.Server`, …): `listen(port, host)` on it;
 * - a function: a request listener (an express app is one), wrapped in `http.createServer`;
 * - an object with `callback()` (koa): `http.createServer(app.callback())`;
 * - an object with `listen`/`close` (fastify): `await app.listen({ port, host })`, closed with `app.close()`.
 *
 * @param port 0 to let the kernel pick (the default: no race is possible), or a fixed port (the caller
 *   checks it first with `assertPortAvailable`, which names the holder; one taken in between gives a
 *   PortInUseError without `holder`).
 * @throws PortInUseError / PortPermissionError when a fixed port cannot be bound;
 *   ServerStartError when `app` returned something else or its own `listen` failed.
 */
export async function startInProcessServer(
  name: string,
  app: AppLike,
  host: string,
  port: number,
): Promise<StartedInProcessServer> {
  let server: NetServer | undefined;
  if (app instanceof NetServer) server = app;
  else if (typeof app === 'function') server = createServer(app);
  else if (typeof app === 'object' && app !== null && typeof (app as { callback?: unknown }).callback === 'function') {
    server = createServer((app as { callback(): RequestListener }).callback());
  }
  if (server !== undefined) {
    const sockets = trackSockets(server);
    const bound = await listenNetServer(server, name, host, port);
    const listening = server;
    return { port: bound, close: (stopTimeoutMs) => closeNetServer(listening, sockets, stopTimeoutMs) };
  }
  if (isListenCloseApp(app)) {
    let result: unknown;
    try {
      result = await app.listen({ port, host });
    } catch (error) {
      throw listenError(name, host, port, error);
    }
    const candidate = result instanceof NetServer ? result : app.server instanceof NetServer ? app.server : undefined;
    if (candidate === undefined || !candidate.listening) {
      throw new ServerStartError(
        name,
        '`app` returned an object whose `listen({ port, host })` gave no listening net.Server (neither as its result nor as `.server`).',
      );
    }
    const listening = candidate;
    // Its connections from now on (nobody knows the port before this returns): a plain net.Server's
    // close() waits for every one to end, so the deadline below destroys those still open.
    const sockets = trackSockets(listening);
    return {
      port: (listening.address() as AddressInfo).port,
      close: async (stopTimeoutMs) => {
        if (listening instanceof HttpServer) listening.closeIdleConnections();
        const timer = setTimeout(() => {
          if (listening instanceof HttpServer) listening.closeAllConnections();
          for (const socket of sockets) socket.destroy();
        }, stopTimeoutMs);
        timer.unref();
        try {
          await app.close();
        } finally {
          clearTimeout(timer);
        }
      },
    };
  }
  throw new ServerStartError(
    name,
    '`app` must return an http.Server/https.Server, a request listener (e.g. an express app), a koa app, or an object with listen/close (e.g. fastify).',
  );
}
