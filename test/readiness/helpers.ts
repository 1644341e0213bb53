import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { createEndpoint, formatHostForUrl, type Protocol } from '../../src/endpoint.js';
import type { ExitStatus } from '../../src/errors.js';
import type { OutputSource, ProbeTarget } from '../../src/readiness/index.js';

const cleanups: (() => unknown)[] = [];

/** Runs `cleanup` after the current test (last registered, first run). */
export function defer(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}

afterEach(async () => {
  for (let cleanup = cleanups.pop(); cleanup !== undefined; cleanup = cleanups.pop()) {
    await cleanup();
  }
});

/** Listens on port 0 of `host`, closes it after the test (dropping open connections), returns the port. */
export async function listen(server: NetServer, host = '127.0.0.1', port = 0): Promise<number> {
  trackConnections(server);
  server.listen(port, host);
  await once(server, 'listening');
  defer(() => closeServer(server));
  return (server.address() as AddressInfo).port;
}

/** Closes a server, destroying the connections it still has. */
export async function closeServer(server: NetServer): Promise<void> {
  if (!server.listening) return;
  const closed = once(server, 'close');
  server.close();
  for (const socket of connections.get(server) ?? []) socket.destroy();
  await closed;
}

const connections = new WeakMap<NetServer, Set<Socket>>();

/** Tracks a server's connections so that {@link closeServer} can destroy them. */
export function trackConnections<T extends NetServer>(server: T): T {
  const sockets = new Set<Socket>();
  connections.set(server, sockets);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return server;
}

/** A port that nothing listens on (bound on port 0 of 127.0.0.1, then released). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createNetServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return port;
}

/** Whether this machine can bind ::1. */
export async function hasIpv6(): Promise<boolean> {
  const server = createNetServer();
  try {
    server.listen(0, '::1');
    await once(server, 'listening');
    await closeServer(server);
    return true;
  } catch (error) {
    // The only way to ask is to try: these codes mean "no IPv6 loopback here".
    if (['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EINVAL'].includes((error as NodeJS.ErrnoException).code ?? '')) return false;
    throw error;
  }
}

/** A probe target for `host`:`port`. */
export function targetOf(host: string, port: number, protocol: Protocol = 'http'): ProbeTarget {
  const { url } = createEndpoint('test', 0, host, port, `${protocol}://${formatHostForUrl(host)}:${port}`);
  return { host, port, url };
}

/** An output source fed by hand. */
export function manualOutput(): OutputSource & { lines: string[] } {
  return { lines: [] };
}

/** A child process whose stdout and stderr lines are collected, killed after the test. */
export interface CollectedChild {
  child: ChildProcess;
  output: OutputSource & { lines: string[] };
  /** Settles once the process has exited and its output has been read to the end. */
  exited: Promise<ExitStatus>;
}

/** Spawns `node <args>` with piped output split into lines. */
export function spawnNode(args: readonly string[]): CollectedChild {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = manualOutput();
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split(/\r?\n/);
      partial = parts.pop() ?? '';
      output.lines.push(...parts);
    });
  }
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  defer(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
    await exited;
  });
  return { child, output, exited };
}
