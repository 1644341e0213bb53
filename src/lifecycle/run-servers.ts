import { differingFields, fingerprintSpec, type SpecFingerprint } from '../config/fingerprint.js';
import type { ServerPlan } from '../config/normalized.js';
import type { ServersConfig } from '../config/types.js';
import { validateConfig } from '../config/validate-config.js';
import type { Endpoint } from '../endpoint.js';
import { StopError } from '../errors.js';
import { stopInReverseOrder } from '../run/stop-in-reverse-order.js';
import { supervisorFor } from '../run/supervisor-client.js';
import { startServers, type ServersHandle } from './start-servers.js';

/** What {@link RunServers.reload} changed. Names are in config order; `workerStopped` holds state keys (`api@2`). */
export interface ReloadResult {
  /** Run-scoped servers stopped and started again: their spec changed, or one they depend on restarted. */
  restarted: string[];
  /** Run-scoped servers new in the config, started. */
  started: string[];
  /** Run-scoped servers no longer in the config (or no longer run-scoped), stopped. */
  stopped: string[];
  /**
   * Worker-scoped command instances stopped because their spec changed or a server they depend on
   * restarted: the next test that asks for one starts it again, from the new spec.
   */
  workerStopped: string[];
}

/** The run-scoped servers of a run owner, one handle per server, so that one can be restarted alone. */
export interface RunServers {
  /** Endpoints by name; the same object, updated by {@link RunServers.reload}. */
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  /** Time to ready by name, in milliseconds; updated by {@link RunServers.reload}. */
  readonly readyMs: Readonly<Record<string, number>>;
  /**
   * Applies a changed config: validates it first (a `ConfigError` changes nothing), then compares each
   * run-scoped server's fingerprint (`fingerprintSpec`) with the running one's and restarts only those
   * that differ, and those that depend on them; starts new ones, stops removed ones, and stops the
   * worker-scoped command instances whose recorded fingerprint differs from the new spec (or that
   * depend on a restarted server), so that workers start them again.
   * @throws ConfigError when the config is invalid (nothing was stopped); the start error of a server
   *   that failed (what could not start is started again by the next reload).
   */
  reload(config: ServersConfig): Promise<ReloadResult>;
  /** Stops every run-scoped server, in reverse dependency order. @throws StopError */
  stop(): Promise<void>;
}

interface Running {
  handle: ServersHandle;
  fingerprint: SpecFingerprint;
  dependsOn: readonly string[];
}

/** Stops handles in reverse dependency order; returns the errors. */
function stopEach(running: ReadonlyMap<string, Running>, names: readonly string[]): Promise<unknown[]> {
  return stopInReverseOrder(
    names,
    (name) => name,
    (name) => running.get(name)?.dependsOn ?? [],
    (name) => running.get(name)!.handle.stop(),
  );
}

/**
 * Starts `names` of a plan, each with its own `startServers` handle, once the ones it depends on (among
 * `names`) are ready; independent ones in parallel. On the first failure the others are aborted and
 * whatever started is stopped before the promise rejects with that failure (or with `signal`'s reason).
 */
async function startEach(
  config: ServersConfig,
  plan: ServerPlan,
  names: readonly string[],
  options: { stateFile: string; signal?: AbortSignal },
): Promise<Map<string, Running>> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const running = new Map<string, Running>();
  const pending = new Map<string, Promise<void>>();
  const startOne = (name: string): Promise<void> => {
    let promise = pending.get(name);
    if (promise === undefined) {
      const spec = plan.specs.get(name)!;
      promise = (async () => {
        await Promise.all(spec.dependsOn.filter((dependency) => names.includes(dependency)).map(startOne));
        const handle = await startServers(config, {
          stateFile: options.stateFile,
          only: [name],
          exportEnv: false,
          signal: controller.signal,
        });
        running.set(name, { handle, fingerprint: fingerprintSpec(spec), dependsOn: spec.dependsOn });
      })();
      pending.set(name, promise);
    }
    return promise;
  };
  const results = await Promise.allSettled(
    names.map((name) =>
      startOne(name).catch((error: unknown) => {
        controller.abort(error);
        throw error;
      }),
    ),
  );
  options.signal?.removeEventListener('abort', onAbort);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) {
    await stopEach(running, [...running.keys()]);
    throw controller.signal.aborted ? controller.signal.reason : failure.reason;
  }
  return running;
}

/** Adds to `set`, until nothing changes, every name for which `dependsOn(name)` names one in `set`. */
function addDependents(
  set: Set<string>,
  names: readonly string[],
  dependsOn: (name: string) => readonly string[],
): void {
  for (let grew = true; grew;) {
    grew = false;
    for (const name of names) {
      if (!set.has(name) && dependsOn(name).some((dependency) => set.has(dependency))) {
        set.add(name);
        grew = true;
      }
    }
  }
}

/**
 * Starts the `run`-scoped servers of a config in a run (dependencies first, independent ones in
 * parallel), one handle per server: see {@link RunServers}.
 * @throws the start error of the first server that failed; nothing is left running.
 */
export async function startRunServers(
  config: ServersConfig,
  options: { stateFile: string; signal?: AbortSignal },
): Promise<RunServers> {
  const { stateFile } = options;
  const plan = validateConfig(config);
  const runNames = (of: ServerPlan): string[] => of.order.filter((name) => of.specs.get(name)!.scope === 'run');
  const running = await startEach(config, plan, runNames(plan), options);
  const endpoints: Record<string, Endpoint> = {};
  const readyMs: Record<string, number> = {};
  const record = (started: ReadonlyMap<string, Running>): void => {
    for (const [name, { handle }] of started) {
      endpoints[name] = handle.getEndpoint(name);
      readyMs[name] = handle.readyMs[name] ?? 0;
    }
  };
  record(running);
  // One change at a time: a reload and the final stop never interleave.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  };
  let stopping: Promise<void> | undefined;

  const reload = async (next: ServersConfig): Promise<ReloadResult> => {
    const nextPlan = validateConfig(next);
    const nextNames = runNames(nextPlan);
    const oldNames = [...running.keys()];
    const affected = new Set(
      oldNames.filter((name) => {
        const spec = nextPlan.specs.get(name);
        return (
          spec === undefined ||
          spec.scope !== 'run' ||
          differingFields(running.get(name)!.fingerprint, fingerprintSpec(spec)).length > 0
        );
      }),
    );
    addDependents(affected, oldNames, (name) => [
      ...running.get(name)!.dependsOn,
      ...(nextPlan.specs.get(name)?.dependsOn ?? []),
    ]);

    // Worker-scoped instances: compared with the fingerprint recorded when they started.
    const client = supervisorFor(stateFile);
    const state = await client.request('state', {});
    const workers = Object.entries(state.servers).filter(
      ([, entry]) => entry.scope === 'worker' && entry.kind === 'command',
    );
    const staleKeys = new Set(
      workers
        .filter(([, entry]) => {
          const spec = nextPlan.specs.get(entry.name);
          if (spec === undefined || spec.scope !== 'worker' || entry.fingerprint === undefined) return true;
          return differingFields(entry.fingerprint, fingerprintSpec(spec)).length > 0;
        })
        .map(([key]) => key),
    );
    for (const name of affected) staleKeys.add(`${name}@0`);
    const keys = workers.map(([key]) => key);
    addDependents(staleKeys, keys, (key) => state.servers[key]?.dependsOn ?? []);
    for (const name of affected) staleKeys.delete(`${name}@0`);
    const workerStopped = keys.filter((key) => staleKeys.has(key));
    const stopErrors = await stopInReverseOrder(
      workerStopped,
      (key) => key,
      (key) => state.servers[key]?.dependsOn ?? [],
      async (key) => {
        await client.request('stop', { key, pid: state.servers[key]!.pid });
      },
    );
    const toStop = oldNames.filter((name) => affected.has(name));
    stopErrors.push(...(await stopEach(running, toStop)));
    for (const name of toStop) {
      running.delete(name);
      delete endpoints[name];
      delete readyMs[name];
    }
    if (stopErrors.length > 0)
      throw new StopError(stopErrors.flatMap((e) => (e instanceof StopError ? e.errors : [e])));

    const toStart = nextNames.filter((name) => !running.has(name));
    const started = await startEach(next, nextPlan, toStart, { stateFile });
    for (const [name, entry] of started) running.set(name, entry);
    record(started);
    return {
      restarted: toStart.filter((name) => toStop.includes(name)),
      started: toStart.filter((name) => !toStop.includes(name)),
      stopped: toStop.filter((name) => !toStart.includes(name)),
      workerStopped,
    };
  };

  return {
    endpoints,
    readyMs,
    reload: (next) => serially(() => reload(next)),
    stop() {
      stopping ??= serially(async () => {
        const errors = await stopEach(running, [...running.keys()]);
        if (errors.length > 0) throw new StopError(errors.flatMap((e) => (e instanceof StopError ? e.errors : [e])));
      });
      return stopping;
    },
  };
}
