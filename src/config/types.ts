import type { RequestListener, Server as HttpServer } from 'node:http';
import type { Server as NetServer } from 'node:net';
import type { Protocol } from '../endpoint.js';

/** `run`: one instance for the whole run, started by the global setup. `worker`: one per worker slot. */
export type Scope = 'run' | 'worker';

/** What a readiness probe can see while it runs. */
export interface ProbeContext {
  /** Server name. */
  server: string;
  /** Host the server listens on (unbracketed). */
  host: string;
  /** Port the server listens on; for a port-0 command server, the one its `log` probe captured. */
  port: number;
  /** Base URL of the server, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Aborted when the start is given up (timeout, exit, caller's signal). */
  signal: AbortSignal;
}

/** Readiness by HTTP: a `GET` whose status is accepted. */
export interface HttpReadiness {
  type: 'http';
  /** Path (and query) to request. @default '/' */
  path?: string;
  /** Accepted status codes. @default every status from 200 to 399 */
  statuses?: readonly number[];
  /** Accept self-signed or otherwise untrusted certificates on `https`. @default false */
  insecure?: boolean;
}

/** Readiness by a TCP connect. For `localhost` both 127.0.0.1 and ::1 are tried. */
export interface TcpReadiness {
  type: 'tcp';
}

/**
 * Readiness by a line of output (stdout or stderr) matching `pattern`. Named groups are captured: a
 * `port` group (and optionally `host`) feeds the endpoint, which is how a command server started on
 * port 0 announces the port the kernel gave it.
 */
export interface LogReadiness {
  type: 'log';
  pattern: RegExp;
}

/**
 * Readiness by a function of yours, called repeatedly until it returns without throwing and without
 * returning `false`.
 */
export interface CustomReadiness {
  type: 'custom';
  check: (context: ProbeContext) => Promise<boolean | void> | boolean | void;
  /** How the probe is named in errors. @default 'custom' */
  description?: string;
}

/** One probe. */
export type ReadinessProbeSpec = HttpReadiness | TcpReadiness | LogReadiness | CustomReadiness;

/**
 * How to know a server is ready. Shorthands: `'http'` and `'tcp'`, a `RegExp` (a log probe), a function
 * (a custom probe). An array means all of them, under the one `startTimeoutMs` deadline.
 */
export type ReadinessSpec =
  | ReadinessProbeSpec
  | 'http'
  | 'tcp'
  | RegExp
  | CustomReadiness['check']
  | readonly (ReadinessProbeSpec | 'http' | 'tcp' | RegExp | CustomReadiness['check'])[];

/** Fields shared by both kinds of server spec. */
export interface BaseServerSpec {
  /** @default 'run' */
  scope?: Scope;
  /**
   * Host to bind and to reach the server on. IPv6 literals such as `::1` work (URLs bracket them).
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * `'auto'` or omitted: a free port is allocated (in-process servers and announced-port command
   * servers listen on port 0; others get a reserved port). `0`: a command server binds port 0 itself
   * and announces the real port through a `log` probe with a `port` named group. A number: used as
   * given; if it is taken, the start fails with `PortInUseError` naming the holder.
   * @default 'auto'
   */
  port?: number | 'auto';
  /**
   * Preferred port range `[first, last]` (inclusive) for an allocated port; any free port is used when
   * the whole range is taken. Its ports are tried in random order, not from `first` up: parallel
   * workers allocating from one range would otherwise all race for the same first free port.
   */
  portRange?: readonly [number, number];
  /** URL scheme of the endpoint. @default 'http' */
  protocol?: Protocol;
  /** Readiness probe(s). @default 'tcp' for command servers; in-process servers are ready once listening */
  readiness?: ReadinessSpec;
  /** Deadline for spawn + readiness, in milliseconds. @default 30000 */
  startTimeoutMs?: number;
  /** Signal sent to the server's process group to stop it gracefully. @default 'SIGTERM' */
  stopSignal?: NodeJS.Signals;
  /**
   * Time to wait after `stopSignal` before SIGKILL to the whole process group, in milliseconds; for
   * in-process servers, the time in-flight requests get before their sockets are destroyed.
   * @default 5000
   */
  stopTimeoutMs?: number;
  /** Names of servers that must be ready before this one starts. @default [] */
  dependsOn?: readonly string[];
}

/**
 * A server spawned as a child process (any language), without a shell, in its own process group.
 * Placeholders in `command` and `env` values: `{port}`, `{host}`, `{url}`, and `{<server>.url}`,
 * `{<server>.port}`, `{<server>.host}` for servers listed in `dependsOn`.
 */
export interface CommandServerSpec extends BaseServerSpec {
  /** argv: executable then arguments. Looked up on `PATH`; never passed through a shell. */
  command: readonly string[];
  /** Working directory. @default process.cwd() */
  cwd?: string;
  /**
   * Extra environment variables, merged over `process.env`. `PYTHONUNBUFFERED=1` is set unless you set
   * it, so a Python server's output reaches `log` probes line by line.
   */
  env?: Readonly<Record<string, string>>;
  app?: never;
}

/** Anything an in-process server factory may return. */
export type AppLike =
  | NetServer
  | HttpServer
  | RequestListener
  | {
      /** koa */
      callback(): RequestListener;
    }
  | {
      /** fastify and alike: `listen({ port, host })` or `listen(port, host)`, then `close()`. */
      listen(...args: never[]): unknown;
      close(...args: never[]): unknown;
    };

/**
 * A server started inside the calling process: `app` returns an `http.Server`/`https.Server`, a
 * request listener (an express app is one), a koa app, or an object with `listen`/`close` (fastify).
 * It always listens on port 0 unless `port` is a number: the kernel picks, so there is no race.
 */
export interface InProcessServerSpec extends BaseServerSpec {
  app: () => AppLike | Promise<AppLike>;
  command?: never;
}

/** Either kind of server spec. */
export type ServerSpec = CommandServerSpec | InProcessServerSpec;

/** A servers config: server name → spec. Names are used in placeholders, so they match `[A-Za-z0-9_-]+`. */
export type ServersConfig = Readonly<Record<string, ServerSpec>>;
