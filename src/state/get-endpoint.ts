import type { Endpoint } from '../endpoint.js';
import { ServerDeadError, ServerNotFoundError, type ExitStatus } from '../errors.js';
import { readLogTail } from '../process/log-follower.js';
import { hasProcessEnded } from '../process/process-identity.js';
import { stateKey, type StateFile } from './schema.js';
import { readStateSync } from './state-file.js';
import { recordUsedServer } from './used-servers.js';
import { resolveStatePath } from './state-path.js';
import { detectWorkerSlot } from './worker-slot.js';

/** Options of {@link getEndpoint}. */
export interface GetEndpointOptions {
  /**
   * Slot of the instance: 0 for a `run`-scoped server, 1..N for a `worker`-scoped one.
   * @default the run-scoped instance if there is one, else the current worker's slot (see `detectWorkerSlot`)
   */
  slot?: number;
  /** The state file. @default process.env.EPHEMERAL_SERVERS_STATE */
  stateFile?: string;
}

/**
 * The endpoint of a running server, from the run's state file (read synchronously, without locking:
 * the supervisor replaces it by an atomic rename, so a read sees a whole file). This is the one lookup
 * of the package: every adapter's `getEndpoint` (and the fixtures' `servers.getEndpoint`) answers the
 * same question with the same shape and errors (see README, "Looking up a server").
 *
 * Synchronous on purpose: the state file is a few kilobytes (a read is well under a millisecond), and a
 * synchronous lookup works where a promise cannot be awaited (module scope, a Playwright config, a
 * supertest call chain).
 *
 * @param name Server name, as in the config.
 * @throws {@link ServerNotFoundError} when no such instance is recorded (the message lists the known ones).
 * @throws {@link ServerDeadError} when it died: recorded as dead (the process that spawned it saw it exit;
 *   the error carries its exit status), or whose process (for an in-process server, its host) is gone,
 *   checked through the platform backend (`hasProcessEnded`: with `/proc`, pid + start time; with
 *   `ps`, `kill(pid, 0)` only, so as not to spawn `ps` on every call), for the moment before the
 *   supervisor has recorded an exit (exit status unknown then). The error carries the last lines of
 *   the server's log file, if it has one.
 * @throws `StateFileError` as `readStateSync` does (`missing` outside a run: no `EPHEMERAL_SERVERS_STATE`);
 *   `RangeError` for an invalid `slot` or slot variable.
 */
export function getEndpoint(name: string, options: GetEndpointOptions = {}): Endpoint {
  const path = resolveStatePath(options.stateFile);
  return findEndpoint(readStateSync(path), name, options.slot, path);
}

/**
 * Picks the endpoint of `name` out of a state already read; see {@link getEndpoint} for how the slot is
 * chosen and what is thrown.
 *
 * @param where Where the state comes from (its path), for messages.
 */
export function findEndpoint(state: StateFile, name: string, slot: number | undefined, where: string): Endpoint {
  if (slot !== undefined && (!Number.isInteger(slot) || slot < 0)) {
    throw new RangeError(`\`slot\` must be a non-negative integer, got ${String(slot)}`);
  }
  const runScoped = state.servers[stateKey(name, 0)];
  const wanted = slot ?? (runScoped ? 0 : detectWorkerSlot());
  const entry = wanted === undefined ? undefined : state.servers[stateKey(name, wanted)];
  if (!entry) throw new ServerNotFoundError(name, wanted, Object.keys(state.servers).sort(), where);
  if (entry.status === 'dead' || hasProcessEnded(entry.pid, entry.startTime)) {
    throw new ServerDeadError(
      name,
      entry.exit as ExitStatus | undefined,
      entry.logPath === undefined ? [] : readLogTail(entry.logPath),
      {
        slot: entry.slot,
        exitedAt: entry.exitedAt,
        logPath: entry.logPath,
      },
    );
  }
  recordUsedServer(where, stateKey(name, entry.slot));
  return { ...entry.endpoint };
}
