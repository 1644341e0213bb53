import { loadServersConfig } from '../config/load-config.js';
import type { ServersConfig } from '../config/types.js';
import { validateConfig } from '../config/validate-config.js';
import type { Endpoint } from '../endpoint.js';
import { StopError } from '../errors.js';
import { STATE_ENV } from '../state/index.js';
import { createRun, removeRunDir, type Run } from './run.js';
import { startServers, type ServersHandle } from './start-servers.js';
import { stopRecordedServers } from './stop-recorded-servers.js';

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
   * Ordered teardown of the whole run: every server recorded in the state file (worker-scoped ones
   * that workers handed over, then the run-scoped ones) in reverse dependency order, then the run
   * directory. Idempotent.
   * @throws StopError when some server could not be stopped (the others still are).
   */
  teardown(): Promise<void>;
}

/**
 * Creates a run and starts its `run`-scoped servers: the entry point of every adapter's global setup
 * and of the CLI. Worker-scoped servers are started later, lazily, by workers (`startServers` with
 * `scope: 'worker'`) and handed over to this run with `detach()`; {@link RunOwner.teardown} stops
 * them too.
 *
 * On a start failure nothing is left: the run's servers are stopped and its directory removed before
 * the promise rejects.
 *
 * @throws ConfigError when the config cannot be loaded or is invalid.
 * @throws the start error of the first server that failed (see `startServers`).
 */
export async function startRun(options: StartRunOptions = {}): Promise<RunOwner> {
  const loaded = options.config === undefined ? await loadServersConfig({ file: options.configFile, cwd: options.cwd }) : undefined;
  const config = options.config ?? loaded!.config;
  validateConfig(config);
  const run = await createRun();
  const exportEnv = options.exportEnv !== false;
  const previousEnv = process.env[STATE_ENV];
  if (exportEnv) process.env[STATE_ENV] = run.stateFile;
  const restoreEnv = (): void => {
    if (!exportEnv || process.env[STATE_ENV] !== run.stateFile) return;
    if (previousEnv === undefined) delete process.env[STATE_ENV];
    else process.env[STATE_ENV] = previousEnv;
  };

  let handle: ServersHandle;
  try {
    handle = await startServers(config, { stateFile: run.stateFile, scope: 'run' });
  } catch (error) {
    // startServers has already stopped whatever it started.
    await removeRunDir(run);
    restoreEnv();
    throw error;
  }

  let tearingDown: Promise<void> | undefined;
  const teardown = (): Promise<void> => {
    tearingDown ??= (async () => {
      const errors: unknown[] = [];
      // Worker-scoped servers handed over by workers first: they may depend on run-scoped ones.
      await stopRecordedServers(run.stateFile, { filter: (entry) => entry.scope === 'worker' }).catch((error: unknown) => errors.push(error));
      await handle.stop().catch((error: unknown) => errors.push(error));
      await stopRecordedServers(run.stateFile).catch((error: unknown) => errors.push(error));
      await removeRunDir(run);
      restoreEnv();
      if (errors.length > 0) throw new StopError(errors.flatMap((e) => (e instanceof StopError ? e.errors : [e])));
    })();
    return tearingDown;
  };

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
