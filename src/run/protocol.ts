/**
 * The supervisor's protocol: newline-delimited JSON over the run's Unix socket (`<runDir>/s.sock`).
 * A client sends requests `{ id, op, ...arguments }`; the supervisor answers each with
 * `{ id, ok: true, result }` or `{ id, ok: false, error: { code, message } }`, in any order,
 * once the change is visible to readers of the state file. It also pushes events without an id:
 * `{ event: 'exit', pid, code, signal }` to the connections that watch that pid.
 *
 * Changes of one connection are applied in the order they were sent (a socket is a byte stream, and
 * the supervisor handles each line as it arrives); changes that arrive together share one write.
 */
import type { ExitStatus } from '../errors.js';
import type { StateEntry, StateFile } from '../state/schema.js';

/** What a spawn request carries: everything the supervisor needs to start and record a command server. */
export interface SpawnRequest {
  /** State key `<name>@<slot>`. */
  key: string;
  /** The entry to record, without what only the spawn knows (`pid`, `pgid`, `startTime`). */
  entry: Omit<StateEntry, 'pid' | 'pgid' | 'startTime'>;
  /** argv, placeholders already expanded. */
  command: readonly string[];
  cwd: string;
  /** Complete environment of the server (the run's marker is added by the supervisor). */
  env: Record<string, string>;
  /** stdout and stderr go to this file (opened for append, 0600). */
  logPath: string;
  /** Run it as this user and group (the spec's `user`; needs the supervisor to run as root). @default the supervisor's */
  uid?: number;
  gid?: number;
}

/** How a stop went, as {@link StopOutcome} in `src/process/stop-process-group.ts`, plus what was found outside the group. */
export interface StopResult {
  /** Whether anything of the server was still running when the stop began. */
  wasRunning: boolean;
  /** Whether SIGKILL was needed after `stopTimeoutMs`. */
  forced: boolean;
  /** Whether its pid belonged to another process (nothing was signalled). */
  foreign: boolean;
  /** Pids of marked processes that had left the server's process group (e.g. `setsid` daemons) and were stopped too. */
  escaped: number[];
}

/** What a stop of many servers did. */
export interface StopAllResult {
  /** State keys stopped, in the order their stops completed. */
  stopped: string[];
  /** Keys whose process was already gone (entry removed). */
  alreadyGone: string[];
  /** Keys that could not be stopped, with why (their entries stay). */
  failed: { key: string; message: string }[];
}

/** Requests, by operation. */
export interface Requests {
  /** First message of a connection: who is on the other end (`thread`: `worker_threads.threadId`, 0 for a main thread). */
  hello: { args: { pid: number; thread: number }; result: { runId: string } };
  /** Sets an entry (in-process servers; tests). */
  record: { args: { key: string; entry: StateEntry }; result: null };
  /** Changes fields of the entry `key` if it is still the one of `pid`. */
  patch: {
    args: { key: string; pid: number; changes: Partial<Pick<StateEntry, 'status' | 'endpoint'>> };
    result: { applied: boolean };
  };
  /** Hands servers over to the run: their owner becomes the run's, so a closing connection no longer stops them. */
  handOver: { args: { keys: { key: string; pid: number }[] }; result: { handed: number } };
  /** Deletes the entry `key` if it is still the one of `pid` (and `port`, when given). */
  remove: { args: { key: string; pid: number; port?: number }; result: { removed: boolean } };
  /** Spawns a command server as the supervisor's child and records it as `entry.status`. */
  spawn: { args: SpawnRequest; result: { pid: number; pgid: number; startTime: string | undefined } };
  /** Pushes `exit` events for these pids to this connection. */
  watch: {
    args: { pids: number[] };
    result: { exited: { pid: number; code: number | null; signal: NodeJS.Signals | null }[] };
  };
  /** Graceful stop of one server (its stop signal, SIGKILL after `stopTimeoutMs`), then its entry is removed. */
  stop: { args: { key: string; pid: number; stopTimeoutMs?: number }; result: StopResult };
  /** Stops every recorded command server (of `scope`, when given) in reverse dependency order. */
  stopAll: { args: { scope?: 'run' | 'worker' }; result: StopAllResult };
  /** The run's state as the supervisor holds it. */
  state: { args: Record<string, never>; result: StateFile };
  /** The run ended cleanly: remove the run directory and exit. Nothing is stopped. */
  shutdown: { args: Record<string, never>; result: null };
}

export type Op = keyof Requests;

/** A request on the wire. */
export type RequestMessage = { [K in Op]: { id: number; op: K } & Requests[K]['args'] }[Op];

/** An error on the wire: an `EphemeralServersError` code, or an errno code (`ENOENT`) for system errors. */
export interface WireError {
  code: string;
  message: string;
  /** `StateChangeError.detail`, so that the client can rebuild that error. */
  detail?: string;
}

/** A response or an event on the wire. */
export type ServerMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: WireError }
  | ({ event: 'exit'; pid: number } & ExitStatus);

/** Splits a byte stream into lines and hands each parsed JSON value to `onMessage`. */
export function createLineReader(onMessage: (message: unknown) => void): (chunk: Buffer | string) => void {
  let buffered = '';
  return (chunk) => {
    buffered += chunk.toString();
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.length > 0) onMessage(JSON.parse(line));
      newline = buffered.indexOf('\n');
    }
  };
}

/** One message as a line. */
export function encodeMessage(message: RequestMessage | ServerMessage): string {
  return `${JSON.stringify(message)}\n`;
}
