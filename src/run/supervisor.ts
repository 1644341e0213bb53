import { mkdirSync, rmSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { ExitStatus } from '../errors.js';
import { StateChangeError, SupervisorUnreachableError } from '../errors.js';
import { keepLog } from '../logs/kept-logs.js';
import { RUN_MARKER_ENV, SERVER_MARKER_ENV } from '../process/marked-processes.js';
import { checkProcessIdentities, isProcessAlive } from '../process/process-identity.js';
import { spawnCommand } from '../process/spawn-command.js';
import { platformBackend } from '../platform/select-backend.js';
import { signalProcessGroup } from '../process/stop-process-group.js';
import { writeFileAtomicSync } from '../state/atomic-write.js';
import { formatSchemaIssues } from '../state/parse-state.js';
import { stateEntrySchema, type StateEntry, type StateFile } from '../state/schema.js';
import type { Requests, RequestMessage, ServerMessage, StopAllResult, StopResult } from './protocol.js';
import type { RunPaths } from './run-dir.js';
import { removeRunDirectory } from './remove-run-dir.js';
import { stopInReverseOrder } from './stop-in-reverse-order.js';
import { serverGroupStatus, stopMarkedProcesses, stopServerGroup, type ServerProcess } from './stop-server.js';

/** How often adopted servers (not our children, after a supervisor restart) are checked for death, in ms. */
export const ADOPTED_POLL_MS = 50;
/**
 * The same with the posix backend, in ms: each check is a `ps` spawn (milliseconds of CPU), so it runs
 * less often; a death is still seen within this.
 */
export const ADOPTED_POLL_POSIX_MS = 250;
/** How often the state file is checked for being replaced or deleted behind our back, in ms. */
export const STATE_CHECK_MS = 500;

/** One client connection, as the supervisor sees it. */
export interface SupervisorConnection {
  /** Pid of the client (from `hello`); `undefined` until then. */
  pid: number | undefined;
  /** Its `worker_threads.threadId` (0: a main thread; Vitest's threads pool shares the owner's pid). */
  thread: number | undefined;
  /** Keys this connection spawned or recorded for a worker: stopped or removed when it closes. */
  readonly owned: Set<string>;
  /** Sends a message; `onFlushed` runs once it has been handed to the kernel (or the connection is gone). */
  send(message: ServerMessage, onFlushed?: () => void): void;
}

/** Options of {@link Supervisor}. */
export interface SupervisorOptions {
  paths: RunPaths;
  /** Initial state (a new run's, or the last state file when adopting). */
  state: StateFile;
  /** Write the state file on every change. `false` for a sweep that only reaps. @default true */
  writeState?: boolean;
  /** One line per action. @default none */
  log?: (line: string) => void;
}

type Handler<K extends keyof Requests> = (
  conn: SupervisorConnection,
  args: Requests[K]['args'],
) => Promise<Requests[K]['result']>;

/**
 * The run in memory: the one writer of the state file, the parent of every command server, and the
 * one place that stops them. Transport-free: `supervisor-main.ts` feeds it the socket's requests and
 * the owner's pipe; the stale-run sweep uses it to reap a dead run from its last state file.
 */
export class Supervisor {
  readonly state: StateFile;
  readonly #paths: RunPaths;
  readonly #writeState: boolean;
  readonly #log: (line: string) => void;
  readonly #processes = new Map<number, ServerProcess>();
  readonly #stops = new Map<string, Promise<StopResult>>();
  readonly #watchers = new Map<number, Set<SupervisorConnection>>();
  readonly #entryJson = new WeakMap<StateEntry, string>();
  #waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  #flushScheduled = false;
  /** Identity of the state file as last written (inode, size, mtime): anything else means someone else wrote it. */
  #written: string | undefined;
  #reaping: Promise<StopAllResult> | undefined;
  #timers: NodeJS.Timeout[] = [];
  /** Set by `shutdown`: the run is over, nothing is written any more. */
  #closed = false;

  constructor(options: SupervisorOptions) {
    this.#paths = options.paths;
    this.state = options.state;
    this.#writeState = options.writeState !== false;
    this.#log = options.log ?? (() => undefined);
  }

  /**
   * Writes the state file now (the first write of a run, after adopting, or to restore it).
   * @returns Whether the run directory had to be recreated (it was removed behind our back).
   */
  writeNow(): boolean {
    // A run being reaped or shut down is never written again: a late write would recreate its directory.
    if (!this.#writeState || this.#ending()) return false;
    const text = this.#serialize();
    let recreated = false;
    try {
      writeFileAtomicSync(this.#paths.stateFile, text);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // A tmp cleaner, or a test that cleans its TMPDIR: recreate the directory from memory.
      mkdirSync(this.#paths.logDir, { recursive: true, mode: 0o700 });
      writeFileAtomicSync(this.#paths.stateFile, text);
      this.#log('the run directory was removed: recreated it and rewrote the state file');
      recreated = true;
    }
    this.#written = fileIdentity(this.#paths.stateFile);
    return recreated;
  }

  /**
   * Adopts the command servers of the state (after a supervisor restart, or for a sweep): those not
   * known dead (dead, or their pid reused) are watched by polling, the others are recorded dead. One
   * whose identity cannot be established (`unverified`) is kept: it may be the server, and its stop
   * decides (it is never signalled on its pid alone).
   */
  adopt(): void {
    const adopted: ServerProcess[] = [];
    for (const [key, entry] of Object.entries(this.state.servers)) {
      if (entry.kind !== 'command' || entry.pgid === undefined || entry.status === 'dead') continue;
      const proc: ServerProcess = createServerProcess(key, entry.pid, entry.pgid, entry.startTime, undefined);
      this.#processes.set(entry.pid, proc);
      adopted.push(proc);
    }
    const recordEnded = (procs: readonly ServerProcess[]): void => {
      // One pass for all of them: one `ps` call on posix.
      const identities = checkProcessIdentities(procs);
      procs.forEach((proc, index) => {
        if (identities[index] === 'dead' || identities[index] === 'reused')
          this.#exited(proc, { code: null, signal: null });
      });
    };
    recordEnded(adopted);
    const timer = setInterval(
      () => {
        const watched = [...this.#processes.values()].filter(
          (proc) => proc.child === undefined && proc.exit === undefined,
        );
        if (watched.length > 0) recordEnded(watched);
      },
      platformBackend().kind === 'posix' ? ADOPTED_POLL_POSIX_MS : ADOPTED_POLL_MS,
    );
    timer.unref();
    this.#timers.push(timer);
  }

  /**
   * Rewrites the state file from memory when something else wrote, replaced or deleted it (its inode,
   * size or mtime differ from the last write; checked every {@link STATE_CHECK_MS}).
   * @param onDirectoryRestored called when the whole run directory had to be recreated (the socket went with it).
   */
  guardStateFile(onDirectoryRestored: () => void): void {
    const timer = setInterval(() => {
      if (this.#ending()) return;
      const current = fileIdentity(this.#paths.stateFile);
      if (current === this.#written) return;
      this.#log(
        `the state file was ${current === undefined ? 'deleted' : 'changed by another process'}: rewriting it from memory`,
      );
      if (this.writeNow()) onDirectoryRestored();
    }, STATE_CHECK_MS);
    timer.unref();
    this.#timers.push(timer);
  }

  /** Applies one request; resolves with its result once a reader of the state file would see the change. */
  handle(conn: SupervisorConnection, message: RequestMessage): Promise<unknown> {
    const handler = this.#handlers[message.op] as Handler<typeof message.op> | undefined;
    if (handler === undefined) {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- `op` comes from another process: one of the protocol's names by type, anything at run time
      const op = String(message.op);
      return Promise.reject(
        new StateChangeError(
          op,
          'unknown operation (is every process of the run on the same ephemeral-servers version?)',
        ),
      );
    }
    // A run being reaped or shut down takes nothing new: a server spawned now would outlive it.
    if ((message.op === 'spawn' || message.op === 'record') && this.#ending())
      return Promise.reject(this.#endingError(message.op));
    return handler(conn, message);
  }

  #ending(): boolean {
    return this.#reaping !== undefined || this.#closed;
  }

  #endingError(op: string): SupervisorUnreachableError {
    return new SupervisorUnreachableError(this.#paths.runDir, `the run is ending: \`${op}\` refused`);
  }

  /** A connection closed: what it started for a worker and never handed over goes (the worker is gone). */
  async disconnected(conn: SupervisorConnection): Promise<void> {
    for (const watchers of this.#watchers.values()) watchers.delete(conn);
    // The owner's end is its pipe (reap, in order), not its socket.
    const isOwner = conn.pid === this.state.owner.pid && conn.thread === 0;
    if (this.#reaping || isOwner || conn.owned.size === 0) return;
    const entries = [...conn.owned].flatMap((key) => {
      const entry = this.state.servers[key];
      return entry && entry.owner.kind === 'worker' ? [[key, entry] as const] : [];
    });
    conn.owned.clear();
    await stopInReverseOrder(
      entries,
      ([key]) => key,
      ([, entry]) => entry.dependsOn ?? [],
      ([key, entry]) => this.#stopKey(key, entry.pid).then(() => undefined),
    );
  }

  /**
   * Reaps the run: every command server, in reverse dependency order (its stop signal, then SIGKILL
   * after `stopTimeoutMs`; SIGKILL at once when `urgent`), then every process still carrying the run's
   * marker. Works from memory: whatever happened to the state file or the directory. Idempotent.
   *
   * @returns What the stop of the recorded servers did; `failed` lists those left running and why (a
   *   process that may not be signalled: `EPERM`, or an identity that cannot be established).
   */
  reap(options: { urgent?: boolean } = {}): Promise<StopAllResult> {
    this.#reaping ??= (async () => {
      this.#stopTimers();
      const entries = Object.entries(this.state.servers).filter(([, entry]) => entry.kind === 'command');
      // Urgent: SIGKILL every group now, so that graceful stops already under way end at once too.
      if (options.urgent === true) for (const [, entry] of entries) this.#killNow(entry);
      const result = await this.#stopEntries(entries, options.urgent === true ? 0 : undefined);
      this.#log(
        `reaped: stopped [${result.stopped.join(', ')}], already gone [${result.alreadyGone.join(', ')}]${result.failed.length ? `, failed [${result.failed.map((f) => `${f.key}: ${f.message}`).join('; ')}]` : ''}`,
      );
      const escaped = await stopMarkedProcesses({ runId: this.state.runId }, 'SIGKILL', 0);
      if (escaped.length > 0)
        this.#log(`stopped ${escaped.length} marked process(es) outside any recorded group: ${escaped.join(', ')}`);
      return result;
    })();
    return this.#reaping;
  }

  readonly #handlers: { [K in keyof Requests]: Handler<K> } = {
    hello: async (conn, { pid, thread }) => {
      conn.pid = pid;
      conn.thread = thread;
      return { runId: this.state.runId };
    },
    record: async (conn, { key, entry }) => {
      this.state.servers[key] = parseEntry('record', entry);
      if (entry.owner.kind === 'worker') conn.owned.add(key);
      await this.#commit();
      return null;
    },
    patch: async (_conn, { key, pid, changes }) => {
      const entry = this.state.servers[key];
      if (entry?.pid !== pid) return { applied: false };
      // Only what a patch may change: identity, kind and ownership are never patched.
      const { status = entry.status, endpoint = entry.endpoint } = changes;
      this.state.servers[key] = parseEntry('patch', { ...entry, status, endpoint });
      await this.#commit();
      return { applied: true };
    },
    handOver: async (conn, { keys }) => {
      let handed = 0;
      for (const { key, pid } of keys) {
        const entry = this.state.servers[key];
        if (entry?.pid !== pid) continue;
        this.state.servers[key] = { ...entry, owner: { kind: 'run', pid: this.state.owner.pid } };
        conn.owned.delete(key);
        handed++;
      }
      if (handed > 0) await this.#commit();
      return { handed };
    },
    remove: async (conn, { key, pid, port }) => {
      const entry = this.state.servers[key];
      if (entry?.pid !== pid || (port !== undefined && entry.endpoint.port !== port)) return { removed: false };
      conn.owned.delete(key);
      delete this.state.servers[key];
      await this.#commit();
      return { removed: true };
    },
    spawn: async (conn, request) => {
      const env = { ...request.env, [RUN_MARKER_ENV]: this.state.runId, [SERVER_MARKER_ENV]: request.key };
      const spawned = await spawnCommand({
        command: request.command,
        cwd: request.cwd,
        env,
        logPath: request.logPath,
        uid: request.uid,
        gid: request.gid,
      });
      if (this.#ending()) {
        // The reap began while it was being spawned: it never joins the run.
        signalProcessGroup(spawned.pgid, 'SIGKILL');
        throw this.#endingError('spawn');
      }
      const proc = createServerProcess(request.key, spawned.pid, spawned.pgid, spawned.startTime, spawned.child);
      this.#processes.set(proc.pid, proc);
      this.#watch(conn, proc.pid);
      void spawned.exited.then((status) => this.#exited(proc, status));
      // Unref'd: the supervisor lives for its run, not for its children.
      spawned.child.unref();
      const entry = {
        ...request.entry,
        pid: spawned.pid,
        pgid: spawned.pgid,
        startTime: spawned.startTime,
      } as StateEntry;
      this.state.servers[request.key] = parseEntry('spawn', entry);
      if (entry.owner.kind === 'worker') conn.owned.add(request.key);
      this.#log(`spawned ${request.key} pid ${spawned.pid}: ${request.command.join(' ')}`);
      await this.#commit();
      return { pid: spawned.pid, pgid: spawned.pgid, startTime: spawned.startTime };
    },
    watch: async (conn, { pids }) => {
      const exited: Requests['watch']['result']['exited'] = [];
      for (const pid of pids) {
        const proc = this.#processes.get(pid);
        if (proc?.exit !== undefined) exited.push({ pid, ...proc.exit });
        else if (proc !== undefined) this.#watch(conn, pid);
        else if (!isProcessAlive(pid)) exited.push({ pid, code: null, signal: null });
      }
      return { exited };
    },
    stop: async (conn, { key, pid, stopTimeoutMs }) => {
      conn.owned.delete(key);
      return this.#stopKey(key, pid, stopTimeoutMs);
    },
    stopAll: async (_conn, { scope }) => {
      const entries = Object.entries(this.state.servers).filter(
        ([, entry]) => scope === undefined || entry.scope === scope,
      );
      const commands = entries.filter(([, entry]) => entry.kind === 'command');
      // In-process servers can only be closed by their host; the entries of dead hosts go.
      let removed = false;
      for (const [key, entry] of entries) {
        if (entry.kind === 'in-process' && !isProcessAlive(entry.pid, entry.startTime)) {
          delete this.state.servers[key];
          removed = true;
        }
      }
      if (removed) await this.#commit();
      return this.#stopEntries(commands);
    },
    state: async () => this.state,
    shutdown: async () => {
      // The owner stops its servers before it ends the run; anything still recorded (a server a worker
      // spawned after that) is reaped here, so that no server outlives its run.
      if (Object.values(this.state.servers).some((entry) => entry.kind === 'command')) {
        this.#log('shutdown with command servers still recorded: reaping them first');
        await this.reap();
      }
      // From here on the run directory goes: nothing may recreate it. Answered once it is gone.
      this.#closed = true;
      this.#stopTimers();
      await removeRunDirectory(this.#paths.runDir);
      return null;
    },
  };

  async #stopEntries(
    entries: readonly (readonly [string, StateEntry])[],
    stopTimeoutMs?: number,
  ): Promise<StopAllResult> {
    const result: StopAllResult = { stopped: [], alreadyGone: [], failed: [] };
    await stopInReverseOrder(
      entries,
      ([key]) => key,
      ([, entry]) => entry.dependsOn ?? [],
      async ([key, entry]) => {
        try {
          const outcome = await this.#stopKey(key, entry.pid, stopTimeoutMs);
          (outcome.wasRunning ? result.stopped : result.alreadyGone).push(key);
        } catch (error) {
          result.failed.push({ key, message: error instanceof Error ? error.message : String(error) });
        }
      },
    );
    return result;
  }

  /** The one stop of a server: its group gracefully, then marked escapees, then its entry. Shared by concurrent callers. */
  #stopKey(key: string, pid: number, stopTimeoutMs?: number): Promise<StopResult> {
    const id = `${key}\0${pid}`;
    let stopping = this.#stops.get(id);
    if (stopping === undefined) {
      stopping = (async (): Promise<StopResult> => {
        const entry = this.state.servers[key];
        if (entry?.pid !== pid) return { wasRunning: false, forced: false, foreign: false, escaped: [] };
        let outcome: StopResult = { wasRunning: false, forced: false, foreign: false, escaped: [] };
        if (entry.kind === 'command' && entry.pgid !== undefined) {
          const proc =
            this.#processes.get(pid) ?? createServerProcess(key, pid, entry.pgid, entry.startTime, undefined);
          const signal = stopTimeoutMs === 0 ? 'SIGKILL' : (entry.stopSignal as NodeJS.Signals);
          const timeoutMs = stopTimeoutMs ?? entry.stopTimeoutMs;
          outcome = { ...(await stopServerGroup(proc, signal, timeoutMs, this.state.runId)), escaped: [] };
          outcome.escaped = await stopMarkedProcesses(
            { runId: this.state.runId, key, newerThanPid: pid },
            signal,
            timeoutMs,
          );
          if (proc.exit !== undefined || outcome.wasRunning) this.#processes.delete(pid);
          this.#log(
            `stopped ${key} pid ${pid}${outcome.forced ? ' (SIGKILL)' : ''}${outcome.foreign ? ' (pid reused: left alone)' : ''}${outcome.escaped.length ? `, escaped ${outcome.escaped.join(', ')}` : ''}`,
          );
        }
        if (this.state.servers[key]?.pid === pid) delete this.state.servers[key];
        // Its scratch directory goes with it, once nothing of it runs any more.
        if (entry.tmpDir !== undefined && !outcome.foreign)
          removeScratchDirectory(this.#paths, entry.tmpDir, this.#log);
        await this.#commit();
        return outcome;
      })().finally(() => this.#stops.delete(id));
      this.#stops.set(id, stopping);
    }
    return stopping;
  }

  /** SIGKILL to a server's group, after the identity check every stop makes (`serverGroupStatus`). */
  #killNow(entry: StateEntry): void {
    const proc = this.#processes.get(entry.pid);
    if (proc !== undefined && serverGroupStatus(proc, this.state.runId) === 'alive')
      signalProcessGroup(proc.pgid, 'SIGKILL');
  }

  /**
   * The state file's text: `JSON.stringify(state)` and a newline. Entries are never changed in place (every
   * change replaces the entry object), so each entry's JSON is cached by identity: a write of a run with
   * thousands of entries re-serializes only the ones that changed.
   */
  #serialize(): string {
    const { servers, ...head } = this.state;
    const parts: string[] = [];
    for (const [key, entry] of Object.entries(servers)) {
      let json = this.#entryJson.get(entry);
      if (json === undefined) this.#entryJson.set(entry, (json = JSON.stringify(entry)));
      parts.push(`${JSON.stringify(key)}:${json}`);
    }
    return `${JSON.stringify(head).slice(0, -1)},"servers":{${parts.join(',')}}}\n`;
  }

  #stopTimers(): void {
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
  }

  #watch(conn: SupervisorConnection, pid: number): void {
    let watchers = this.#watchers.get(pid);
    if (watchers === undefined) this.#watchers.set(pid, (watchers = new Set()));
    watchers.add(conn);
  }

  /** A server's process ended: it is recorded dead at once (unless it is being stopped) and its watchers are told. */
  #exited(proc: ServerProcess, status: ExitStatus): void {
    if (proc.exit !== undefined) return;
    proc.exit = status;
    proc.resolveExit(status);
    const entry = this.state.servers[proc.key];
    const stopping = this.#stops.has(`${proc.key}\0${proc.pid}`);
    if (entry?.pid === proc.pid && entry.status !== 'dead' && !stopping) {
      this.state.servers[proc.key] = {
        ...entry,
        status: 'dead',
        exit: { code: status.code, signal: status.signal },
        exitedAt: new Date().toISOString(),
      };
      this.#log(`${proc.key} pid ${proc.pid} died (${status.signal ?? `exit code ${status.code}`})`);
      // A running server's death: its log outlives the run (docs/errors.md, ES_SERVER_DEAD), whether or
      // not a test notices. (A `starting` one fails its start, whose error keeps the log; a setup step's
      // exit is expected.)
      if (entry.logPath !== undefined && entry.status === 'running') {
        try {
          keepLog(entry.logPath);
        } catch (error) {
          this.#log(`could not keep the log of ${proc.key}: ${String(error)}`);
        }
      }
      this.#commit().catch((error: unknown) =>
        this.#log(`could not record the death of ${proc.key}: ${String(error)}`),
      );
    }
    for (const conn of this.#watchers.get(proc.pid) ?? []) conn.send({ event: 'exit', pid: proc.pid, ...status });
    this.#watchers.delete(proc.pid);
  }

  /** Resolves once the current state is in the file: changes arriving in the same turn share one write. */
  #commit(): Promise<void> {
    if (!this.#writeState || this.#ending()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      if (this.#flushScheduled) return;
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        const waiters = this.#waiters;
        this.#waiters = [];
        try {
          this.writeNow();
        } catch (error) {
          for (const waiter of waiters) waiter.reject(error);
          return;
        }
        for (const waiter of waiters) waiter.resolve();
      });
    });
  }
}

/** Removes an instance's scratch directory: only ever one inside the run's `tmp/` (an entry is data, not a path to trust). */
function removeScratchDirectory(paths: RunPaths, tmpDir: string, log: (line: string) => void): void {
  const root = `${paths.tmpRoot}${sep}`;
  if (!resolve(tmpDir).startsWith(root)) {
    log(`left ${tmpDir} alone: a scratch directory is always inside ${root}`);
    return;
  }
  try {
    rmSync(tmpDir, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    log(`could not remove the scratch directory ${tmpDir}: ${String(error)}`);
  }
}

/** `ino:size:mtime` of a file, or `undefined` when it (or its directory) is gone. */
function fileIdentity(path: string): string | undefined {
  try {
    const stats = statSync(path, { bigint: true });
    return `${stats.ino}:${stats.size}:${stats.mtimeNs}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

function createServerProcess(
  key: string,
  pid: number,
  pgid: number,
  startTime: string | undefined,
  child: ServerProcess['child'],
): ServerProcess {
  let resolveExit!: (status: ExitStatus) => void;
  const exited = new Promise<ExitStatus>((resolve) => (resolveExit = resolve));
  return { key, pid, pgid, startTime, child, exit: undefined, exited, resolveExit };
}

function parseEntry(op: string, entry: unknown): StateEntry {
  const parsed = stateEntrySchema.safeParse(entry);
  if (!parsed.success)
    throw new StateChangeError(
      op,
      `the entry does not fit the state file's schema: ${formatSchemaIssues(parsed.error)}`,
    );
  return parsed.data;
}
