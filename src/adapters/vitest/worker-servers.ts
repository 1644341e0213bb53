import { existsSync } from 'node:fs';
import { inject } from 'vitest';
import type { ServerSpec, ServersConfig } from '../../config/types.js';
import type { Endpoint } from '../../endpoint.js';
import {
  ConfigError,
  ServerNotFoundError,
  StateFileError,
  StopError,
  SupervisorUnreachableError,
} from '../../errors.js';
import { startServers, type ServersHandle } from '../../lifecycle/start-servers.js';
import { getEndpoint, readState, resolveStatePath, stateKey } from '../../state/index.js';
import { detectWorkerSlot } from '../../state/worker-slot.js';
import { exitWhenRunnerDies } from '../orphaned-worker.js';
import { debugLog, isDebugEnabled } from './debug.js';
import { PROVIDE_KEY, type ProvidedServers, type ReloadErrorInfo, type ServerName } from './types.js';

/**
 * The servers of one worker slot, as the `servers` fixture gives them. Worker-scoped servers start
 * lazily, on the first `start` (or their own fixture); run-scoped ones are read from the run's state file.
 */
export interface WorkerServers<C extends ServersConfig = ServersConfig> {
  /** Worker slot of this worker (1-based, from `VITEST_POOL_ID`; 1 outside a pool). */
  readonly slot: number;
  /** The run's state file. */
  readonly stateFile: string;
  /**
   * Endpoint of a server for this slot, from the state file: the run-scoped instance, or this slot's
   * instance of a `worker`-scoped one, which must be started already (by its fixture, by
   * {@link WorkerServers.start}, or by an earlier test file of the slot). The package's one lookup
   * (`getEndpoint`, see README "Looking up a server"), on the fixture.
   * @throws ServerNotFoundError when `name` is not in the config, or no such instance runs.
   * @throws ServerDeadError when it is recorded as dead.
   */
  getEndpoint(name: ServerName<C>): Endpoint;
  /**
   * Starts a server for this slot, unless it runs, and gives its endpoint: what a server's own fixture
   * does, for a name that cannot be a fixture (see `serverFixtures`) or is chosen at run time. A
   * `worker`-scoped server (and its `worker`-scoped dependencies) starts the first time it is asked
   * for in this worker; a command server already recorded for this slot by an earlier test file is
   * reused after checking it is alive and the same process (pid + start time). A `run`-scoped one is
   * read from the state file (the global setup started it).
   * @throws ServerNotFoundError when `name` is not in the config (or a run-scoped server is not running).
   * @throws the start errors of `startServers` (`ServerExitedError`, `ReadinessTimeoutError`, …).
   */
  start(name: ServerName<C>): Promise<Endpoint>;
}

/**
 * The process of a worker-scoped instance, for the debug line: a command server's own pid (from the
 * state file), or this worker's for an in-process server, which runs in it (and the line says so).
 */
async function serverProcessOf(
  stateFile: string,
  name: string,
  slot: number,
  spec: ServerSpec,
): Promise<{ pid: number | 'unknown'; note: string }> {
  if (spec.app !== undefined) return { pid: process.pid, note: ' (in-process: this worker)' };
  const entry = (await readState(stateFile)).servers[stateKey(name, slot)];
  return entry === undefined ? { pid: 'unknown', note: ' (no state entry)' } : { pid: entry.pid, note: '' };
}

interface Registry {
  servers: WorkerServers;
  users: number;
  stop(): Promise<void>;
}

/**
 * One registry per worker (process or thread) and slot: with `isolate: false`, every test file of the
 * worker shares it; with `isolate: true`, every file has a fresh worker, hence a fresh registry, and
 * command servers are found again in the state file.
 */
const registries = new Map<string, Registry>();

/**
 * A number per config object: a config imported again (watch mode after an edit, with `isolate: false`)
 * gets a registry of its own, which starts the new specs instead of handing out the old instances.
 */
const configIds = new WeakMap<ServersConfig, number>();
let nextConfigId = 1;
function configIdOf(config: ServersConfig): number {
  let id = configIds.get(config);
  if (id === undefined) configIds.set(config, (id = nextConfigId++));
  return id;
}

function createRegistry(config: ServersConfig, stateFile: string, slot: number): Registry {
  const pending = new Map<string, Promise<Endpoint>>();
  const handles: ServersHandle[] = [];

  const notInConfig = (name: string): ServerNotFoundError =>
    new ServerNotFoundError(name, slot, Object.keys(config), 'the servers config given to the fixtures');
  const lookUp = (name: string): Endpoint => {
    const spec = config[name];
    if (spec === undefined) throw notInConfig(name);
    return getEndpoint(name, { stateFile, slot: spec.scope === 'worker' ? slot : 0 });
  };
  const start = (name: string): Promise<Endpoint> => {
    const spec = config[name];
    if (spec === undefined) return Promise.reject(notInConfig(name));
    if (spec.scope !== 'worker') return Promise.resolve().then(() => lookUp(name));
    let promise = pending.get(name);
    if (promise === undefined) {
      promise = (async () => {
        for (const dependency of spec.dependsOn ?? []) {
          if (config[dependency]?.scope === 'worker') await start(dependency);
        }
        const startedAt = performance.now();
        const handle = await startServers(config, {
          stateFile,
          scope: 'worker',
          only: [name],
          slot,
          reuse: true,
          exportEnv: false,
        });
        handles.push(handle);
        // Command servers outlive this worker: the run owner stops them. In-process ones stop with it.
        await handle.detach();
        const endpoint = handle.getEndpoint(name);
        if (isDebugEnabled()) {
          const reused = handle.readyMs[name] === 0;
          const ms = (performance.now() - startedAt).toFixed(1);
          const { pid, note } = await serverProcessOf(stateFile, name, slot, spec);
          debugLog(
            `${reused ? 'reused' : 'started'} ${name}@${slot} pid=${pid} port=${endpoint.port} in ${ms} ms${note}`,
          );
        }
        return endpoint;
      })();
      pending.set(name, promise);
      // A failed start may be retried by the next test that asks.
      promise.catch(() => pending.delete(name));
    }
    return promise;
  };

  return {
    servers: { slot, stateFile, getEndpoint: lookUp, start },
    users: 0,
    async stop() {
      const startedAt = performance.now();
      const errors: unknown[] = [];
      for (const handle of handles.splice(0).reverse()) {
        await handle.stop().catch((error: unknown) => errors.push(error));
      }
      pending.clear();
      // With `isolate: false` workers outlive the run owner's teardown (Vitest tears the global setup
      // down before it stops its pool), so the run may be gone: the servers are closed anyway, and
      // there is no entry left to remove, hence no supervisor to ask. Only that is expected; any other
      // error (EMFILE, a server's close failing, a bug) is reported.
      const runGone = !existsSync(stateFile);
      const unexpected = errors
        .flatMap((error) => (error instanceof StopError ? error.errors : [error]))
        .filter(
          (error) =>
            !(
              runGone &&
              (error instanceof SupervisorUnreachableError ||
                (error instanceof StateFileError && error.problem === 'missing'))
            ),
        );
      if (unexpected.length > 0) throw new StopError(unexpected);
      debugLog(
        `worker slot ${slot} pid=${process.pid} stopped its in-process servers in ${(performance.now() - startedAt).toFixed(1)} ms`,
      );
    },
  };
}

/**
 * In a forked worker, once the runner is dead (this worker was re-parented: see `exitWhenRunnerDies`),
 * stops every registry's in-process servers and exits: when Vitest dies without stopping its workers
 * (SIGTERM, SIGKILL), an orphaned worker would otherwise stay alive until its test ends, or forever,
 * its event loop held by the listening sockets. Worker threads need nothing: they die with the
 * runner's process.
 */
function stopAllOnDisconnect(): void {
  exitWhenRunnerDies(async () => {
    const stops = [...registries].map(([key, registry]) => {
      registries.delete(key);
      return registry
        .stop()
        .catch((error: unknown) =>
          debugLog(`could not stop the in-process servers of an orphaned worker: ${String(error)}`),
        );
    });
    await Promise.allSettled(stops);
    debugLog(`orphaned worker pid=${process.pid} exits: its runner is gone`);
  });
}

/** The error the global setup provided when the servers could not follow a config edit (watch mode), rebuilt. */
function reloadErrorOf(info: ReloadErrorInfo): Error {
  if (info.code === 'ES_CONFIG_INVALID' && info.issues !== undefined) return new ConfigError(info.issues);
  const error = new Error(`The servers could not follow the last edit of the servers config: ${info.message}`);
  error.name = info.name;
  return Object.assign(error, { code: info.code });
}

/**
 * Takes a reference on this worker's registry (created on first use). Release it with
 * {@link releaseWorkerServers}; the last release stops the in-process servers it started.
 * @throws StateFileError `missing` when not under the global setup (`EPHEMERAL_SERVERS_STATE` unset).
 * @throws the error of the last reload in watch mode (a `ConfigError`, …) until the config is fixed.
 */
export function acquireWorkerServers<C extends ServersConfig>(config: C): WorkerServers<C> {
  const reloadError = (inject as (key: string) => ProvidedServers | undefined)(PROVIDE_KEY)?.reloadError;
  if (reloadError !== undefined) throw reloadErrorOf(reloadError);
  const stateFile = resolveStatePath();
  const slot = detectWorkerSlot() ?? 1;
  const key = `${stateFile}\0${slot}\0${configIdOf(config)}`;
  let registry = registries.get(key);
  if (registry === undefined) {
    registry = createRegistry(config, stateFile, slot);
    registries.set(key, registry);
    stopAllOnDisconnect();
  }
  registry.users++;
  return registry.servers;
}

/** Drops a reference taken by {@link acquireWorkerServers}. */
export async function releaseWorkerServers(servers: WorkerServers): Promise<void> {
  const [key, registry] = [...registries].find(([, candidate]) => candidate.servers === servers) ?? [];
  if (key === undefined || registry === undefined) return;
  registry.users--;
  if (registry.users > 0) return;
  registries.delete(key);
  await registry.stop();
}
