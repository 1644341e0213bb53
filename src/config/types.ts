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
  /** Connection URL of the server (its `url` template expanded), e.g. `http://127.0.0.1:41234` or `redis://127.0.0.1:41234/0`. */
  url: string;
  /** Aborted when the start is given up (timeout, exit, caller's signal). */
  signal: AbortSignal;
}

/** Readiness by HTTP: a `GET` whose status is accepted. */
export interface HttpReadiness {
  type: 'http';
  /** Path (and query) to request, appended to the server's `url` (which must be `http://` or `https://`). @default '/' */
  path?: string;
  /**
   * The whole URL to request instead of `url` + `path`, a template with `{host}` (bracketed when IPv6)
   * and `{port}`, e.g. `'http://{host}:{port}/health'`. Needed when the server's `url` is not
   * `http(s)://` (a server that speaks another protocol but has an HTTP health route). Not combined
   * with `path`.
   */
  url?: string;
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

/** Schemes offered first when a `url` template is typed; any other `scheme://…` is accepted too. */
export type KnownUrlScheme =
  | 'http'
  | 'https'
  | 'ws'
  | 'wss'
  | 'postgresql'
  | 'postgres'
  | 'mysql'
  | 'mariadb'
  | 'mongodb'
  | 'redis'
  | 'rediss'
  | 'amqp'
  | 'nats'
  | 'grpc'
  | 'memcached'
  | 'smtp'
  | 'ftp';

/** A `url` template: `<scheme>:…` with placeholders (see {@link BaseServerSpec.url}). */
export type ConnectionUrlTemplate = `${KnownUrlScheme}://${string}` | (string & {});

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
  /**
   * URL scheme of the endpoint's default `url` (`<protocol>://{host}:{port}`). Not combined with `url`.
   * @default 'http'
   */
  protocol?: Protocol;
  /**
   * The endpoint's connection URL, a template: `{host}` (bracketed when IPv6, as a URL authority
   * needs: RFC 3986, section 3.2.2), `{port}`, and for command servers `{tmpDir}`; other braces are
   * text, and `{{port}}` is the literal `{port}` (docs/placeholders.md). It is the endpoint's `url` everywhere: the state file, `inject`, fixtures, Jest globals,
   * `<NAME>_URL` in the CLI, `{url}` in this server's `command`/`env` and `{<server>.url}` in other
   * servers'. Any scheme works; a server whose `url` is not `http(s)://` has no `http` probe unless the
   * probe has its own `url` (the default readiness of a command server is `tcp`).
   * @example 'postgresql://postgres@{host}:{port}/postgres'
   * @example 'redis://{host}:{port}/0'
   * When omitted, it is `<protocol>://{host}:{port}`.
   * @default 'http://{host}:{port}'
   */
  url?: ConnectionUrlTemplate;
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
 * A server spawned as a child process (any language), without a shell, in its own process group, by
 * the run's supervisor. Placeholders in `command`, `setup`, `env` values and `cwd`: `{port}`, `{host}`,
 * `{url}`, `{tmpDir}`, and `{<server>.url}`, `{<server>.port}`, `{<server>.host}` for servers listed in
 * `dependsOn`. Only placeholder-shaped text is a placeholder: inline JavaScript, JSON and shell braces
 * pass through unchanged, and `{{port}}` is the literal `{port}` (docs/placeholders.md).
 *
 * `{tmpDir}` is a scratch directory of this instance alone (mode 0700, under the run directory, owned
 * by `user` when set): created before its first `setup` step or its `command`, removed once the
 * instance is stopped, by whichever process stops it (the owner's teardown, the supervisor's reap, the
 * stale-run sweep). Two instances never share one; a retried start gets a fresh one.
 */
export interface CommandServerSpec extends BaseServerSpec {
  /** argv: executable then arguments. Looked up on `PATH`; never passed through a shell. */
  command: readonly string[];
  /**
   * Steps run one after the other before `command`, each an argv like `command`, with the same `cwd`,
   * env, `user` and placeholders, each spawned (and stopped on teardown) by the supervisor like the
   * server itself; their output goes to the server's log. All of them and the readiness probes share
   * the one `startTimeoutMs` deadline. A step that exits non-zero (or is still running at the
   * deadline) fails the start with `SetupStepError`.
   * @example [['initdb', '-D', '{tmpDir}/data', '-U', 'postgres', '-A', 'trust']]
   * @default []
   */
  setup?: readonly (readonly string[])[];
  /**
   * Working directory of `setup` and `command`; may be or start with `{tmpDir}`. Relative paths are
   * resolved against `process.cwd()`.
   * @default process.cwd()
   */
  cwd?: string;
  /**
   * Run `setup` and `command` as this user (a name or a uid; its primary group is used), for servers
   * that refuse to run as root, such as PostgreSQL. Needs this process to run as root (`spawn`'s
   * `uid`/`gid`, Node's child_process docs); `{tmpDir}` is owned by that user. The user is looked up
   * with `id -u`/`id -g` at start.
   * @example process.getuid?.() === 0 ? 'postgres' : undefined
   * @default the user of this process
   */
  user?: string | number;
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
