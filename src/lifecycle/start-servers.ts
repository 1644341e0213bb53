import type { NormalizedSpec } from '../config/normalized.js';
import type { Scope, ServersConfig } from '../config/types.js';
import { validateConfig } from '../config/index.js';
import type { Endpoint } from '../endpoint.js';
import {
  ConfigError,
  EphemeralServersError,
  ServerDeadError,
  ServerNotFoundError,
  StopError,
  type ConfigIssue,
} from '../errors.js';
import { suggestName } from '../config/suggest-name.js';
import { isProcessAlive } from '../process/process-identity.js';
import { readLogTail } from '../process/log-follower.js';
import { createOwnedRun, joinRun, type OwnedRun } from '../run/owned-run.js';
import type { RunPaths } from '../run/run-dir.js';
import { stopInReverseOrder } from '../run/stop-in-reverse-order.js';
import { detectWorkerSlot, readState } from '../state/index.js';
import { readStateEnv } from '../state/state-path.js';
import { stateKey, type StateFile } from '../state/schema.js';
import { startInstance, type StartedInstance } from './start-instance.js';

/** Options of {@link startServers}. */
export interface StartServersOptions {
  /**
   * State file of the run to join. Default: `process.env.EPHEMERAL_SERVERS_STATE`; when that is unset
   * or empty too, a new run is created (run directory, state file, supervisor), owned by the returned handle,
   * and its `stop()` ends it. Its supervisor stops the servers if this process dies by any means,
   * SIGKILL included. A created run exports `EPHEMERAL_SERVERS_STATE` to `process.env` (so spawned
   * servers and child processes inherit it) unless `exportEnv` is `false`.
   */
  stateFile?: string;
  /** @default true */
  exportEnv?: boolean;
  /** Start only servers of this scope (their dependencies of the other scope must already run). Default: all. */
  scope?: Scope;
  /**
   * Start only these servers (and nothing else; dependencies must be listed or already running).
   * A name that is not in the config is a `ConfigError` (with a "did you mean"). Default: all.
   */
  only?: readonly string[];
  /**
   * Worker slot of `worker`-scoped instances (1-based; anything else is a `ConfigError`: slot 0 is the
   * key of the run-scoped instances). `run`-scoped ones always use slot 0.
   * @default the detected slot (`VITEST_POOL_ID`, `JEST_WORKER_ID`, `TEST_PARALLEL_INDEX` + 1), else 1
   */
  slot?: number;
  /**
   * Reuse an instance already recorded in the state file for the same name and slot when it is alive
   * and the same process (pid + start time); such an instance is not stopped by this handle.
   * @default false
   */
  reuse?: boolean;
  /** Aborts the start: whatever already started is stopped, and the promise rejects with the reason. */
  signal?: AbortSignal;
  /** Directory of cross-process port reservations. @default `<os.tmpdir()>/ephemeral-servers-ports-<uid>` */
  reservationDir?: string;
}

/** Running servers, as returned by {@link startServers}. Stop it with `stop()` or `await using`. */
export interface ServersHandle extends AsyncDisposable {
  /** The run these servers belong to. */
  readonly run: Readonly<RunPaths>;
  /** Endpoints of every server this handle started or reused, by name. */
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  /** Per-server time from the start call to ready, in milliseconds (0 for reused ones). */
  readonly readyMs: Readonly<Record<string, number>>;
  /**
   * Endpoint of a server of this handle (from memory: no state file read). The same lookup, name and
   * errors as the package's `getEndpoint` (see README, "Looking up a server").
   * @throws ServerNotFoundError when the handle has no server of that name.
   */
  getEndpoint(name: string): Endpoint;
  /**
   * Stops every server this handle started, in reverse dependency order (a server stops before what it
   * depends on; independent ones in parallel), removing each state entry as its server exits; then
   * removes the run directory if the handle created the run. Idempotent: later calls return the first
   * call's promise.
   * @throws StopError listing the servers that could not be stopped (every other one is still stopped).
   */
  stop(): Promise<void>;
  /**
   * Hands the command servers over to the run owner: this handle's `stop()` and this process's exit no
   * longer stop them; the run owner's teardown does. This is how a worker-scoped server outlives the
   * test file (and worker process) that started it. (Without it, the supervisor stops them when this
   * process's connection to it closes: when the process exits.)
   */
  detach(): Promise<void>;
}

/**
 * Stops a handle's instances, each after the ones that depend on it (names are unique in a handle).
 * An error that does not name its server (a system error such as `kill EPERM`) comes back as one that
 * does, `<name>@<slot>: <message>`, with the original as its `cause`.
 */
function stopInstances(instances: readonly StartedInstance[]): Promise<unknown[]> {
  return stopInReverseOrder(
    instances,
    (instance) => instance.spec.name,
    (instance) => instance.spec.dependsOn,
    (instance) =>
      instance.stop().catch((error: unknown) => {
        throw error instanceof EphemeralServersError
          ? error
          : new Error(`${instance.key}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }),
  );
}

/**
 * Checks the options that name servers and slots before anything starts: `slot` is an integer of at
 * least 1 (slot 0 is the run-scoped instance's key), each `only` entry names a server of the config.
 * @throws ConfigError naming the option and the bad value (with a "did you mean" for `only`).
 */
function checkStartOptions(options: StartServersOptions, names: readonly string[]): void {
  const issues: ConfigIssue[] = [];
  const { slot, only } = options;
  if (slot !== undefined && !(Number.isSafeInteger(slot) && slot >= 1)) {
    issues.push({
      path: 'slot',
      message:
        `option \`slot\` is ${typeof slot === 'number' ? String(slot) : JSON.stringify(slot)}: it must be an integer of at least 1 (a worker slot; ` +
        "slot 0 is the run-scoped instance of each server, which `scope: 'run'` servers get on their own)",
    });
  }
  for (const [index, name] of (only ?? []).entries()) {
    if (names.includes(name)) continue;
    const suggestion = suggestName(name, names);
    issues.push({
      path: `only[${index}]`,
      message: `option \`only\` names no server ${JSON.stringify(name)}.${suggestion === undefined ? '' : ` Did you mean "${suggestion}"?`} Servers: ${names.join(', ') || '(none)'}`,
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

function resolveExternalDependency(
  state: StateFile,
  spec: NormalizedSpec,
  dependency: NormalizedSpec,
  slot: number,
): Endpoint {
  const depSlot = dependency.scope === 'run' ? 0 : slot;
  const entry = state.servers[stateKey(dependency.name, depSlot)];
  if (entry === undefined) {
    throw new ServerNotFoundError(
      dependency.name,
      depSlot,
      Object.keys(state.servers),
      `the run's state file (needed by "${spec.name}")`,
    );
  }
  if (entry.status === 'dead' || !isProcessAlive(entry.pid, entry.startTime)) {
    throw new ServerDeadError(
      dependency.name,
      entry.exit as ServerDeadError['exit'],
      entry.logPath ? readLogTail(entry.logPath) : [],
    );
  }
  return entry.endpoint;
}

/**
 * Starts servers: validates the config, then starts every server after its dependencies and
 * independent servers in parallel; each gets a port (see docs/architecture.md, "Ports: no race by
 * construction"), passes its readiness probe, and is recorded in the run's state file.
 *
 * A failure stops whatever already started (and removes a run it created) before the promise rejects
 * with the first error.
 *
 * @example
 * ```ts
 * await using servers = await startServers(defineServers({
 *   api: { command: ['node', 'server.js', '--port', '{port}'], readiness: { type: 'http', path: '/health' } },
 * }));
 * const res = await fetch(`${servers.getEndpoint('api').url}/health`);
 * ```
 * @throws ConfigError when the config is invalid (every problem listed), or `slot` or `only` is (see
 *   {@link StartServersOptions}), before anything starts.
 * @throws PortInUseError, PortPermissionError, PortExhaustedError, CommandNotFoundError,
 *   ServerExitedError, ReadinessTimeoutError, ServerStartError for the server that failed.
 * @throws StateFileError when the state file to join is missing, corrupt, foreign or newer.
 */
export async function startServers(config: ServersConfig, options: StartServersOptions = {}): Promise<ServersHandle> {
  const plan = validateConfig(config);
  checkStartOptions(options, plan.order);
  const stateFile = options.stateFile || readStateEnv();
  const owned: OwnedRun | undefined =
    stateFile === undefined ? await createOwnedRun({ exportEnv: options.exportEnv }) : undefined;
  const { run, client } = owned ?? joinRun(stateFile!);
  const endRun = async (): Promise<void> => {
    await owned?.end();
  };
  const slot = options.slot ?? detectWorkerSlot() ?? 1;

  const selected = plan.order.filter(
    (name) =>
      (options.scope === undefined || plan.specs.get(name)?.scope === options.scope) &&
      (options.only === undefined || options.only.includes(name)),
  );
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const started: StartedInstance[] = [];
  const reused = new Map<string, Endpoint>();
  const pending = new Map<string, Promise<Endpoint>>();
  let state: StateFile | undefined;
  const loadState = async (): Promise<StateFile> => (state ??= await readState(run.stateFile));

  const startOne = (name: string): Promise<Endpoint> => {
    let promise = pending.get(name);
    if (promise) return promise;
    const spec = plan.specs.get(name)!;
    promise = (async () => {
      const instanceSlot = spec.scope === 'run' ? 0 : slot;
      const dependencies: Record<string, Endpoint> = {};
      const dependencyKeys: string[] = [];
      await Promise.all(
        spec.dependsOn.map(async (depName) => {
          const dependency = plan.specs.get(depName)!;
          dependencies[depName] = selected.includes(depName)
            ? await startOne(depName)
            : resolveExternalDependency(await loadState(), spec, dependency, slot);
          dependencyKeys.push(stateKey(depName, dependency.scope === 'run' ? 0 : slot));
        }),
      );
      if (controller.signal.aborted) throw controller.signal.reason;
      if (options.reuse) {
        const entry = (await readState(run.stateFile)).servers[stateKey(name, instanceSlot)];
        if (
          entry &&
          entry.status === 'running' &&
          entry.kind === 'command' &&
          isProcessAlive(entry.pid, entry.startTime)
        ) {
          reused.set(name, entry.endpoint);
          return entry.endpoint;
        }
      }
      const instance = await startInstance(spec, {
        run,
        client,
        slot: instanceSlot,
        dependencies,
        dependencyKeys,
        signal: controller.signal,
        reservationDir: options.reservationDir,
      });
      started.push(instance);
      return instance.endpoint;
    })();
    pending.set(name, promise);
    return promise;
  };

  const results = await Promise.allSettled(
    selected.map((name) =>
      startOne(name).catch((error: unknown) => {
        controller.abort(error);
        throw error;
      }),
    ),
  );
  options.signal?.removeEventListener('abort', onAbort);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) {
    await stopInstances(started);
    await endRun();
    // The first failure aborted the controller with itself as the reason; a caller's abort keeps its own.
    throw controller.signal.aborted ? controller.signal.reason : failure.reason;
  }

  const endpoints: Record<string, Endpoint> = {};
  const readyMs: Record<string, number> = {};
  for (const name of selected) {
    const instance = started.find((i) => i.spec.name === name);
    const endpoint = instance?.endpoint ?? reused.get(name);
    if (endpoint) endpoints[name] = endpoint;
    readyMs[name] = instance?.readyMs ?? 0;
  }
  let stopping: Promise<void> | undefined;
  let detached = false;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // Detached command servers belong to the run owner now; in-process ones cannot outlive us.
      const errors = await stopInstances(detached ? started.filter((i) => i.spec.kind === 'in-process') : started);
      await endRun();
      if (errors.length > 0) throw new StopError(errors);
    })();
    return stopping;
  };
  return {
    run,
    endpoints,
    readyMs,
    getEndpoint(name: string): Endpoint {
      const endpoint = endpoints[name];
      if (endpoint === undefined) throw new ServerNotFoundError(name, undefined, Object.keys(endpoints), 'this handle');
      return endpoint;
    },
    stop,
    async detach(): Promise<void> {
      if (detached) return;
      detached = true;
      const keys = started.filter((i) => i.spec.kind === 'command').map((i) => ({ key: i.key, pid: i.pid }));
      // Nothing started here (all reused, or in-process only): no state change.
      if (keys.length > 0) await client.request('handOver', { keys });
    },
    [Symbol.asyncDispose]: stop,
  };
}
