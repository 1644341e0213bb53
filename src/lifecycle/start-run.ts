import { setTimeout as sleep } from 'node:timers/promises';
import { loadServersConfig } from '../config/load-config.js';
import type { ServersConfig } from '../config/types.js';
import { validateConfig } from '../config/validate-config.js';
import type { Endpoint } from '../endpoint.js';
import { StopError } from '../errors.js';
import { createOwnedRun, type OwnedRun, type Run } from '../run/owned-run.js';
import { handleSignalsFor } from '../run/signal-handlers.js';
import { startServers, type ServersHandle } from './start-servers.js';

/** How long a start interrupted by a signal waits for that signal to end the process before it rejects, in ms. */
const INTERRUPTED_START_SETTLE_MS = 1_000;

/** Options of {@link startRun}. */
export interface StartRunOptions {
  /** The servers config. When omitted, it is loaded from `configFile` (see `loadServersConfig`). */
  config?: ServersConfig;
  /** Path of the servers config file. @default the first `servers.config.{ts,mts,cts,js,mjs,cjs}` in `cwd` */
  configFile?: string;
  /** Directory the config file is looked up in. @default process.cwd() */
  cwd?: string;
  /** Set `EPHEMERAL_SERVERS_STATE` in `process.env` for workers and child processes. @default true */
  exportEnv?: boolean;
  /** Reap the leftovers of dead runs first (see `sweepStaleRuns`). @default true */
  sweep?: boolean;
}

/** The owner of a run: what a globalSetup, the CLI or a Playwright config holds. */
export interface RunOwner extends AsyncDisposable {
  readonly run: Readonly<Run>;
  /** The validated config, for adapters that start worker-scoped servers later. */
  readonly config: ServersConfig;
  /** Absolute path of the config file, when it was loaded from one. */
  readonly configFile: string | undefined;
  /** Endpoints of the `run`-scoped servers, by name. */
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  /** Per-server time to ready of the `run`-scoped servers, in milliseconds. */
  readonly readyMs: Readonly<Record<string, number>>;
  /**
   * Ordered teardown of the whole run, from the supervisor's view (whatever happened to the state
   * file): every worker-scoped server that workers handed over, then the run-scoped ones, in reverse
   * dependency order; then the run directory. Idempotent.
   * @throws StopError naming exactly the servers that could not be stopped (the others still are).
   */
  teardown(): Promise<void>;
}

/**
 * Creates a run and starts its `run`-scoped servers: the entry point of every adapter's global setup
 * and of the CLI. Worker-scoped servers are started later, lazily, by workers (`startServers` with
 * `scope: 'worker'`) and handed over to this run with `detach()`; {@link RunOwner.teardown} stops
 * them too.
 *
 * The teardown guarantee (docs/teardown.md): before creating the run, leftovers of dead runs are
 * swept (`sweepStaleRuns`); the run's supervisor, the parent of every command server, stops them in
 * reverse dependency order if this process dies or exits by any means without tearing down (its pipe
 * closes); SIGINT, SIGTERM and SIGHUP run the teardown and are re-raised when no other listener (the
 * host runner's) handles them.
 *
 * On a start failure nothing is left: the run's servers are stopped and its directory removed before
 * the promise rejects.
 *
 * When SIGINT, SIGTERM or SIGHUP interrupts the start (and no other listener handles it), what was
 * started is stopped, the run directory removed, and the signal re-raised: the process ends by it
 * before this promise settles.
 *
 * @throws ConfigError when the config cannot be loaded or is invalid.
 * @throws the start error of the first server that failed (see `startServers`).
 */
export async function startRun(options: StartRunOptions = {}): Promise<RunOwner> {
  const loaded = options.config === undefined ? await loadServersConfig({ file: options.configFile, cwd: options.cwd }) : undefined;
  const config = options.config ?? loaded!.config;
  validateConfig(config);
  const owned: OwnedRun = await createOwnedRun({ exportEnv: options.exportEnv, sweep: options.sweep !== false });
  const { run } = owned;

  const startAborter = new AbortController();
  let handle: ServersHandle | undefined;
  let tearingDown: Promise<void> | undefined;
  let releaseSignals = (): void => undefined;
  const teardown = (): Promise<void> => {
    tearingDown ??= (async () => {
      const errors: unknown[] = [];
      // Worker-scoped servers handed over by workers first: they may depend on run-scoped ones. Then
      // this process's own (in-process ones can only be closed here), then anything still recorded.
      await owned.stopAll('worker').catch((error: unknown) => errors.push(error));
      await handle?.stop().catch((error: unknown) => errors.push(error));
      await owned.stopAll().catch((error: unknown) => errors.push(error));
      await owned.end().catch((error: unknown) => errors.push(error));
      releaseSignals();
      if (errors.length > 0) throw new StopError(errors.flatMap((e) => (e instanceof StopError ? e.errors : [e])));
    })();
    return tearingDown;
  };

  let starting: Promise<ServersHandle> | undefined;
  releaseSignals = handleSignalsFor({
    teardown: async () => {
      if (handle === undefined) {
        // Interrupted while starting: the start fails, stops what it started and cleans up (below).
        startAborter.abort(new Error('startRun was interrupted by a signal'));
        await Promise.allSettled([starting]);
        if (handle === undefined) return;
      }
      await teardown();
    },
    // A second signal: this process dies at once; the supervisor SIGKILLs everything when its pipe closes.
    killNow: () => owned.urgent(),
  });

  starting = (async () => {
    try {
      return await startServers(config, { stateFile: run.stateFile, scope: 'run', signal: startAborter.signal });
    } catch (error) {
      // startServers has already stopped whatever it started.
      await owned.end();
      releaseSignals();
      throw error;
    }
  })();
  try {
    handle = await starting;
  } catch (error) {
    // Interrupted by a signal: the signal handler re-raises it as soon as the cleanup above is done,
    // ending the process by that signal. Rejecting first would let the caller exit with its own status.
    if (startAborter.signal.aborted) await sleep(INTERRUPTED_START_SETTLE_MS);
    throw error;
  }

  return {
    run,
    config,
    configFile: loaded?.path,
    endpoints: handle.endpoints,
    readyMs: handle.readyMs,
    teardown,
    [Symbol.asyncDispose]: teardown,
  };
}
