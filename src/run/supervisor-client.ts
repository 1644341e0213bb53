import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { threadId } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  EphemeralServersError,
  StateChangeError,
  SupervisorUnreachableError,
  type ErrorCode,
  type ExitStatus,
} from '../errors.js';
import {
  createLineReader,
  encodeMessage,
  type Op,
  type Requests,
  type ServerMessage,
  type WireError,
} from './protocol.js';
import { runPaths, type RunPaths } from './run-dir.js';

/** How long a client keeps trying to reach a supervisor that is gone (the owner restarts one in ~0.1–0.5 s), in ms. */
export const RECONNECT_WINDOW_MS = 5_000;

/** Operations that may be sent again on a new connection after the supervisor died (applying them twice changes nothing). */
const IDEMPOTENT: ReadonlySet<Op> = new Set([
  'hello',
  'record',
  'patch',
  'handOver',
  'remove',
  'watch',
  'stop',
  'stopAll',
  'state',
]);

interface Pending {
  op: Op;
  line: (id: number) => string;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

interface ExitWatch {
  promise: Promise<ExitStatus>;
  resolve: (status: ExitStatus) => void;
  /** Whether this watch keeps the process alive (a start in progress). */
  held: boolean;
}

/** How many unclaimed exit events a client keeps (see `#earlyExits`). */
const MAX_EARLY_EXITS = 256;

/**
 * One process's connection to a run's supervisor (see `protocol.ts`): requests are multiplexed by id
 * over one Unix socket, which is lazily opened, kept only while something is pending (it never keeps
 * the process alive otherwise) and reopened when the supervisor was restarted.
 */
export class SupervisorClient {
  readonly paths: RunPaths;
  #socket: Socket | undefined;
  #connecting: Promise<Socket> | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #exits = new Map<number, ExitWatch>();
  /**
   * Exits pushed before anyone asked for them: the supervisor watches what it spawns for the connection
   * that asked, and a process that exits at once (a quick setup step, a server that crashes on start) can
   * be reported before the spawn's answer. Bounded: the oldest go first.
   */
  readonly #earlyExits = new Map<number, ExitStatus>();

  constructor(paths: RunPaths) {
    this.paths = paths;
  }

  /**
   * Sends one request and resolves with its result once the supervisor has applied it (a reader of the
   * state file sees it).
   *
   * @throws The typed error the supervisor answered with (e.g. {@link StateChangeError}); a system
   *   error from it (e.g. a spawn's `ENOENT`) as an `Error` with that `code`.
   * @throws {@link SupervisorUnreachableError} when no supervisor answers within {@link RECONNECT_WINDOW_MS},
   *   or at once when the run directory is gone (the run is over).
   */
  request<K extends Op>(op: K, args: Requests[K]['args']): Promise<Requests[K]['result']> {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      const pending: Pending = {
        op,
        line: (wireId) => encodeMessage({ id: wireId, op, ...args } as never),
        resolve: resolve as (result: unknown) => void,
        reject,
      };
      this.#pending.set(id, pending);
      this.#updateRef();
      this.#send(id, pending);
    });
  }

  /**
   * The exit status of a server this process asked the supervisor to spawn, when it exits.
   * @param held keep this process alive until {@link releaseExit} (a start in progress). @default true
   */
  watchExit(pid: number, held = true): Promise<ExitStatus> {
    let watch = this.#exits.get(pid);
    const early = this.#earlyExits.get(pid);
    if (watch === undefined && early !== undefined) {
      this.#earlyExits.delete(pid);
      return Promise.resolve(early);
    }
    if (watch === undefined) {
      let resolve!: (status: ExitStatus) => void;
      const promise = new Promise<ExitStatus>((r) => (resolve = r));
      watch = { promise, resolve, held };
      this.#exits.set(pid, watch);
      this.#updateRef();
    }
    return watch.promise;
  }

  /** Stops {@link watchExit}'s watch from keeping this process alive (the server is ready, or stopped). */
  releaseExit(pid: number): void {
    const watch = this.#exits.get(pid);
    if (watch === undefined) return;
    watch.held = false;
    this.#updateRef();
  }

  #send(id: number, pending: Pending): void {
    // Connected: write now (no promise turn on the hot path of every state change).
    if (this.#socket !== undefined) {
      this.#socket.write(pending.line(id));
      return;
    }
    this.#connect().then(
      (socket) => socket.write(pending.line(id)),
      (error: unknown) => this.#settle(id, () => pending.reject(error)),
    );
  }

  #settle(id: number, settle: () => void): void {
    if (!this.#pending.delete(id)) return;
    settle();
    this.#updateRef();
  }

  #connect(): Promise<Socket> {
    if (this.#socket !== undefined) return Promise.resolve(this.#socket);
    this.#connecting ??= this.#open().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #open(): Promise<Socket> {
    const deadline = performance.now() + RECONNECT_WINDOW_MS;
    let delayMs = 5;
    for (;;) {
      try {
        const socket = await this.#tryConnect();
        this.#attach(socket);
        return socket;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ECONNREFUSED') throw error;
        if (!existsSync(this.paths.runDir)) {
          throw new SupervisorUnreachableError(this.paths.runDir, 'the run directory is gone', { cause: error });
        }
        if (performance.now() >= deadline) {
          throw new SupervisorUnreachableError(
            this.paths.runDir,
            `${code} on ${this.paths.socketPath} for ${RECONNECT_WINDOW_MS} ms`,
            { cause: error },
          );
        }
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, 100);
      }
    }
  }

  #tryConnect(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.paths.socketPath);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  #attach(socket: Socket): void {
    this.#socket = socket;
    socket.write(encodeMessage({ id: 0, op: 'hello', pid: process.pid, thread: threadId }));
    const watched = [...this.#exits.keys()];
    if (watched.length > 0) {
      // After a supervisor restart: learn the exits missed meanwhile, and get the next ones pushed.
      void this.request('watch', { pids: watched }).then(
        ({ exited }) => exited.forEach((exit) => this.#exited(exit.pid, exit)),
        () => undefined,
      );
    }
    socket.on(
      'data',
      createLineReader((message) => this.#receive(message as ServerMessage)),
    );
    socket.on('error', () => undefined);
    socket.once('close', () => {
      if (this.#socket === socket) this.#socket = undefined;
      // Requests in flight: send again on a new connection when that is harmless; fail the others.
      for (const [id, pending] of this.#pending) {
        if (IDEMPOTENT.has(pending.op)) this.#send(id, pending);
        else
          this.#settle(id, () =>
            pending.reject(
              new SupervisorUnreachableError(this.paths.runDir, `the connection closed during \`${pending.op}\``),
            ),
          );
      }
    });
    this.#updateRef();
  }

  #receive(message: ServerMessage): void {
    if ('event' in message) {
      this.#exited(message.pid, { code: message.code, signal: message.signal });
      return;
    }
    const pending = this.#pending.get(message.id);
    if (pending === undefined) return;
    if (message.ok) this.#settle(message.id, () => pending.resolve(message.result));
    else this.#settle(message.id, () => pending.reject(toError(pending.op, message.error)));
  }

  #exited(pid: number, status: ExitStatus): void {
    const watch = this.#exits.get(pid);
    if (watch === undefined) {
      this.#earlyExits.set(pid, status);
      if (this.#earlyExits.size > MAX_EARLY_EXITS) this.#earlyExits.delete(this.#earlyExits.keys().next().value!);
      return;
    }
    this.#exits.delete(pid);
    watch.resolve(status);
    this.#updateRef();
  }

  /** Keeps the process alive only while a request is pending or a start is watched. */
  #updateRef(): void {
    let needed = this.#pending.size > 0;
    if (!needed) for (const watch of this.#exits.values()) if ((needed = watch.held)) break;
    if (needed) this.#socket?.ref();
    else this.#socket?.unref();
  }
}

/** Rebuilds the error the supervisor answered with: `StateChangeError`, another typed error by its code, or a system error (`ENOENT`, `EPERM`, …). */
function toError(op: string, error: WireError): Error {
  if (error.code === 'ES_STATE_CHANGE_REJECTED') return new StateChangeError(op, error.detail ?? error.message);
  if (error.code.startsWith('ES_')) return new EphemeralServersError(error.code as ErrorCode, error.message);
  return Object.assign(new Error(error.message), { code: error.code });
}

const clients = new Map<string, SupervisorClient>();

/**
 * The connection of this process (or worker thread: each has its own module state) to the supervisor
 * of the run whose state file is `stateFile` (the socket is `s.sock` next to it). One per run.
 */
export function supervisorFor(stateFile: string): SupervisorClient {
  const runDir = dirname(stateFile);
  let client = clients.get(runDir);
  if (client === undefined) {
    client = new SupervisorClient(runPaths(runDir));
    clients.set(runDir, client);
  }
  return client;
}
